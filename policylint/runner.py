"""One run, end to end: discover → load → evaluate → suppress → a report for the reporters.

The CLI builds `RunOptions` and calls `check`; so do tests and the benchmark. Nothing here prints.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from policylint.catalog import BUILTIN_FINDINGS, load_policies
from policylint.core.documents import Document, LoadResult, Skipped
from policylint.core.findings import PARSE_ERROR, Finding, assign_fingerprints, severity_at_least
from policylint.core.policies import Policy, PolicySet
from policylint.core.records import field, record
from policylint.gctuning import fewer_collections, paused_while_loading
from policylint.gitinfo import anchored_path
from policylint.options import RunOptions, UsageError


@record
class RunReport:
    """What a run found, and what reporters need to describe it."""

    findings: list[Finding]
    policies: list[Policy]
    policy_set: PolicySet
    skipped: list[Skipped]
    files: list[str]
    options: RunOptions
    #: Path -> file kind of every loaded file (reporters that list passes need it).
    file_kinds: dict[str, str] = field(default_factory=dict)
    #: Every loaded document (the audit report tells "not applicable" from "pass" with them).
    documents: list[Document] = field(default_factory=list)
    #: Lines for --verbose (stderr), never findings.
    notes: list[str] = field(default_factory=list)
    #: Findings not shown because a more specific policy reports the same node (`supersedes:`); still
    #: evidence for their controls in the compliance report.
    superseded: list[Finding] = field(default_factory=list)
    #: Files left out as test data (policylint.testdata); empty with --include-test-data.
    test_data: list[str] = field(default_factory=list)
    #: The JSON output's `run` block (policylint.runinfo), filled by the CLI.
    run: dict[str, object] = field(default_factory=dict)
    #: After `--fix`: what was fixed (policylint.fixing.summary), for the text summary.
    fix_summary: str = ""

    @property
    def active(self) -> list[Finding]:
        """Findings that are not suppressed."""
        return [finding for finding in self.findings if finding.suppression is None]

    def exit_code(self) -> int:
        """0 when nothing at or above `fail_on` remains (a parse-error always counts), else 1."""
        from policylint.suppressions import NON_FAILING

        for finding in self.active:
            if finding.policy_id in NON_FAILING:
                continue
            if finding.policy_id == PARSE_ERROR or severity_at_least(finding.severity, self.options.fail_on):
                return 1
        return 0


def _matches(policy: Policy, selectors: Sequence[str]) -> bool:
    return any(
        selector in (policy.id, policy.domain, policy.file_kind) or selector in policy.aliases
        or (selector.endswith("*") and policy.id.startswith(selector[:-1]))
        for selector in selectors
    )


def select_policies(policy_set: PolicySet, options: RunOptions) -> list[Policy]:
    """The policies a run evaluates: defaults and profile, then --select/--ignore, with params."""
    known = {selector for policy in policy_set for selector in (policy.id, policy.domain, policy.file_kind, *policy.aliases)}
    known.update(BUILTIN_FINDINGS)
    for selector in (*options.select, *options.ignore, *options.enable):
        if selector.rstrip("*") and not selector.endswith("*") and selector not in known:
            from policylint.core.suggest import did_you_mean

            raise UsageError(f"unknown policy or domain {selector!r}{did_you_mean(selector, known, quote=False)}")
    chosen = []
    for policy in policy_set:
        active = policy.enabled_by_default or options.profile in policy.profiles or _matches(policy, options.enable)
        if options.select:
            # Naming a policy turns it on; naming a domain keeps its off-by-default policies off.
            named = policy.id in options.select or any(alias in options.select for alias in policy.aliases)
            on = named or (active and _matches(policy, options.select))
        else:
            on = active
        if on and options.ignore and _matches(policy, options.ignore):
            on = False
        if on:
            overrides = options.params.get(policy.id)
            chosen.append(policy.with_params(overrides) if overrides else policy)
    return chosen


def with_kube_version(policies: list[Policy], kube_version: str | None) -> list[Policy]:
    """Pass `--kube-version` to the policies that take a `kube_version` param (schema, deprecations)."""
    if not kube_version:
        return policies
    from policylint.kinds.kubernetes.versions import KubeVersionError, parse_kube_version

    try:
        parse_kube_version(kube_version)
    except KubeVersionError as exc:
        raise UsageError(str(exc)) from exc
    return [
        policy.with_params({"kube_version": kube_version}) if "kube_version" in policy.params else policy
        for policy in policies
    ]


def load_paths(paths: Sequence[str], options: RunOptions, trusted: bool = False,
               test_data: list[str] | None = None) -> tuple[LoadResult, list[str]]:
    """Discover and load every file inside the boundary of `paths` (their repositories; `trusted`
    paths, such as --context, are admitted themselves too); unreadable files become parse errors.

    Test data found while walking is left out unless `options.include_test_data`; its paths go to `test_data`.
    """
    from policylint.core.boundary import boundary_for, within

    named = [path for path in paths if path != "-"]
    with within(boundary_for(named, named if trusted else ())):
        return _load_paths(paths, options, test_data)


def _load_paths(paths: Sequence[str], options: RunOptions, test_data: list[str] | None) -> tuple[LoadResult, list[str]]:
    from policylint.core.documents import ParseFailure
    from policylint.core.files import STDIN_NAME
    from policylint.core.loading import load_bytes
    from policylint.discovery import discover
    from policylint.kinds.kubernetes.renderplan import holds_kustomization, may_hold_chart
    from policylint.kinds.kubernetes.scope import tag_from_candidates

    result = LoadResult()
    from policylint.discovery import Excludes

    excludes = Excludes([(options.anchor or fingerprint_anchor(options), options.excludes),
                         (str(options.config_dir or "."), options.config_excludes)])
    skipped_test_data = None if options.include_test_data else ([] if test_data is None else test_data)
    discovered = discover(paths, excludes, options.respect_gitignore, result.skipped, test_data=skipped_test_data)
    if not discovered and options.respect_gitignore and any(Path(raw).is_dir() for raw in paths if raw != "-"):
        _tell_when_ignored(paths, options, result)
    candidates, charts, kustomize_roots = list(discovered), [], []
    fallback: dict[Any, list[Any]] = {}
    if may_hold_chart(candidates):  # the renderers are imported only when a file may need them
        from policylint.kinds.kubernetes.helm import plan as plan_charts

        chart_plan = plan_charts(candidates, options.helm)
        candidates, charts = chart_plan.candidates, chart_plan.charts
        result.skipped.extend(chart_plan.skipped)
    if holds_kustomization(candidates):
        from policylint.kinds.kubernetes.kustomize import NO_RENDERER_NOTICE, plan, renderer_available

        render = options.kustomize
        if render is None:  # by default, rendered when a renderer is available (as Helm charts are)
            render = renderer_available()
            if not render:
                result.skipped.append(Skipped(".", NO_RENDERER_NOTICE))
        kustomize = plan(candidates, render)
        candidates, kustomize_roots, fallback = kustomize.candidates, kustomize.roots, kustomize.fallback
        result.skipped.extend(kustomize.skipped)
    files = []

    def load_candidate(candidate: Any) -> None:
        files.append(candidate.display)
        if candidate.disk is None:
            text = options.stdin_text if options.stdin_text is not None else sys.stdin.read()
            result.extend(load_bytes(STDIN_NAME, text.encode("utf-8", "surrogateescape"), "yaml"))
            return
        try:
            overlaid = options.overlay.get(candidate.display)
            raw = overlaid if overlaid is not None else candidate.disk.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            result.failures.append(ParseFailure(candidate.display, candidate.file_kind, 1, 1, f"cannot read file: {reason}"))
            return
        result.extend(load_bytes(candidate.display, raw, candidate.file_kind))

    for done, candidate in enumerate(candidates):
        if options.progress is not None:
            options.progress(done, len(candidates), "files")
        load_candidate(candidate)
    tag_from_candidates(result.documents, discovered)
    files.extend(sorted(set(result.sources) - set(files)))  # read by a loader itself: GitLab local includes
    for root in kustomize_roots:
        from policylint.kinds.kubernetes.kustomize import render

        rendered = render(root)
        if options.kustomize is None and rendered.failures and not rendered.documents:
            # Rendering was policylint's choice: a build that cannot run here (a remote base, a generated
            # file, a plugin) is said once, and its files are checked as plain manifests, as without rendering.
            from policylint.core.files import display_path

            reason = rendered.failures[0].reason
            result.skipped.append(Skipped(display_path(root.file), f"not rendered, its files are checked as plain "
                                          f"manifests (--kustomize reports it as an error): {reason[:160]}"))
            plain = [candidate for candidate in fallback.get(root.root, []) if candidate.display not in files]
            for candidate in plain:
                load_candidate(candidate)
            tag_from_candidates(result.documents, plain)
            continue
        paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
        files.extend(sorted(paths_seen - set(files)))
        result.extend(rendered)
    if charts:
        from policylint.kinds.kubernetes.helm import HelmSettings, render_all

        settings = HelmSettings(tuple(Path(file) for file in options.helm_values), options.helm_release_name,
                                options.helm_namespace or options.default_namespace)
        from policylint.notices import captured_fd2

        go_log: list[str] = []
        with captured_fd2(go_log):  # the Helm SDK logs from Go straight to fd 2
            rendered = render_all(charts, settings)
        options.library_log.extend(f"helm: {line}" for line in go_log)
        paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
        files.extend(sorted(paths_seen - set(files)))
        result.extend(rendered)
    if any(doc.file_kind == "kubernetes" for doc in result.documents):
        from policylint.kinds.kubernetes.builtimages import tag_built_images

        tag_built_images(result.documents)
    release_namespace = options.helm_namespace or options.default_namespace
    for document in result.documents:
        # A chart's objects without a namespace land in the release's namespace (helm install --namespace).
        helm = document.origin.startswith("helm chart ")
        document.default_namespace = release_namespace if helm else options.default_namespace
    if any(doc.groups for doc in result.documents):
        from policylint.kinds.kubernetes.builtimages import namespace_from_kustomizations

        namespace_from_kustomizations(result.documents)
    return result, files


def _tell_when_ignored(paths: Sequence[str], options: RunOptions, result: LoadResult) -> None:
    """A notice when nothing was found only because .gitignore files ignore it (`check .` inside an ignored folder)."""
    from policylint.discovery import discover

    if discover(paths, options.excludes, respect_gitignore=False, test_data=None if options.include_test_data else []):
        where = ", ".join(raw for raw in paths if raw != "-")
        result.skipped.append(Skipped(where, "nothing was checked: .gitignore ignores every file of a known kind here; "
                                             "--no-respect-gitignore checks them"))


@fewer_collections()
def check(options: RunOptions, policy_set: PolicySet | None = None) -> RunReport:
    """Run the whole pipeline and return the report (raises UsageError for bad input)."""
    import gc

    try:
        return _check(options, policy_set)
    finally:
        gc.unfreeze()  # what loading left frozen (gctuning.paused_while_loading) is collectable again


def _not_rendered(load: LoadResult, options: RunOptions) -> list[Finding]:
    """A `helm-not-rendered` finding at each chart's Chart.yaml the Helm library was missing for.

    The plan notes them as skipped files; a chart left unchecked without the user asking
    (`--no-helm`) must not pass silently, so they become findings (unless ignored by id).
    """
    if not any(item.reason.startswith("Helm charts found but not rendered") for item in load.skipped):
        return []
    from policylint.kinds.kubernetes.helm import INSTALL_HINT

    policy_id = "helm-not-rendered"
    chosen = not options.select or any(s in (policy_id, "helm") for s in options.select)
    if not chosen or any(s in (policy_id, "helm") for s in options.ignore):
        return []
    severity = options.severity_overrides.get(policy_id, BUILTIN_FINDINGS[policy_id][0])
    found = []
    for item in [item for item in load.skipped if item.reason == INSTALL_HINT]:
        load.skipped.remove(item)
        chart = item.path.rsplit("/", 1)[0] if "/" in item.path else "."
        found.append(Finding(policy_id, severity, item.path, 1, 1,
                             f"chart {chart} was not rendered, so none of its templates were checked: install the "
                             'Helm library (pip install "policylint[helm]"), or pass --no-helm to skip charts on purpose',
                             file_kind="helm", logical=f"{policy_id}:{chart}").with_fingerprint(0))
    charts = tuple(f"{finding.path.rsplit('/', 1)[0]}/" if "/" in finding.path else "" for finding in found)
    # the finding says it for the whole chart: no "render it first" notice per template of it
    load.skipped[:] = [item for item in load.skipped
                       if not (item.reason.startswith("Helm template") and item.path.startswith(charts))]
    return found


def scope_context(paths: Sequence[str]) -> list[str]:
    """What relational policies need besides files named alone: the rest of each one's relation scope.

    A pre-commit run names the changed files only; a changed Deployment's PodDisruptionBudget or
    HorizontalPodAutoscaler sits in an unchanged file. Two plain files relate when one's folder is
    the other's or contains it, or when a kustomization lists both (policylint.kinds.kubernetes.scope),
    so the context is: the named file's folder tree, the files directly in each folder above it (up
    to the working folder), and what the kustomizations enclosing it list. Charts need nothing: a
    named chart file renders its whole chart. Only files whose content decides their kind (YAML that
    may be Kubernetes) widen the run; a named Dockerfile or workflow needs no partner.
    """
    from policylint.core.kinds import BY_CONTENT, detect_by_name

    top = os.path.abspath(".")
    folders: set[str] = set()
    files: set[str] = set()
    for raw in paths:
        if raw == "-" or not os.path.isfile(raw) or detect_by_name(raw) != BY_CONTENT:
            continue
        folder = os.path.dirname(os.path.abspath(raw))
        folders.add(folder)
        above = folder
        while above.startswith(top.rstrip(os.sep) + os.sep) or above == top:
            if above != folder:
                files.update(entry.path for entry in _entries(above) if detect_by_name(entry.name) == BY_CONTENT)
            if above == top:
                break
            above = os.path.dirname(above)
    if not folders:
        return []
    from policylint.kinds.kubernetes.kustomization import read_kustomization
    from policylint.kinds.kubernetes.scope import _enclosing_kustomizations

    for file in _enclosing_kustomizations({folder + "/x" for folder in folders}):
        found = read_kustomization(Path(file))
        if found is not None:
            folders.update(str(item) for item in found.folders if os.path.isdir(item))
            files.update(str(item) for item in found.files if os.path.isfile(item))
    # a folder inside another is walked with it; files inside a walked folder come with it
    kept = sorted(folder for folder in folders if not any(folder.startswith(other + os.sep) for other in folders))
    inside = tuple(folder + os.sep for folder in kept)
    loose = sorted(file for file in files if not file.startswith(inside))
    from policylint.core.files import display_path

    return [display_path(Path(item)) for item in (*kept, *loose)]


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return [entry for entry in found if entry.is_file()]
    except OSError:
        return []


def fingerprint_anchor(options: RunOptions) -> str:
    """The folder fingerprints name paths from: the git top level of the first path, else the
    configuration file's folder, else the working folder. A baseline then survives `cd`."""
    from policylint.gitinfo import repository_root

    first = next((path for path in options.paths if path != "-"), ".")
    root = repository_root(Path(first)) or options.config_dir or Path.cwd()
    return os.path.abspath(root)


def _check(options: RunOptions, policy_set: PolicySet | None) -> RunReport:
    from policylint.core.engine import EngineOptions, run
    from policylint.core.files import DiscoveryError
    from policylint.core.policies import PolicyFormatError

    try:
        policy_set = policy_set or load_policies(options.policy_dirs)
    except PolicyFormatError as exc:
        raise UsageError(str(exc)) from exc
    from policylint.kinds.kubernetes.scope import with_relation_scope

    policies = with_kube_version(select_policies(policy_set, options), options.kube_version)
    policies = with_relation_scope(policies, options.relation_scope)
    from policylint.suppressions import SuppressionError, apply_suppressions

    report_paths: set[str] | None = None
    options.anchor = fingerprint_anchor(options)
    if not options.context and options.context_scope:
        options.context = scope_context(options.paths)
    test_data: list[str] = []
    try:
        with paused_while_loading():
            load, files = load_paths(options.paths, options, test_data=test_data)
            if options.context:
                report_paths = set(files)
                context, _ = load_paths(options.context, options, trusted=True, test_data=[])
                load.documents.extend(doc for doc in context.documents if doc.path not in report_paths)
                seen = {doc.path: doc for doc in context.documents if doc.groups}
                for doc in load.documents:  # a kustomization seen only in the context ties the reported files too
                    other = seen.get(doc.path)
                    if other is not None:
                        doc.groups = tuple(sorted({*doc.groups, *other.groups}))
                        doc.selector_labels = doc.selector_labels or other.selector_labels
    except DiscoveryError as exc:
        raise UsageError(str(exc)) from exc
    if options.progress is not None:
        options.progress(len(files), len(files), "files, evaluating policies")
    from policylint.parallel import evaluate_in_workers

    engine_options = EngineOptions(severity_overrides=options.severity_overrides)
    evaluated = evaluate_in_workers(load.documents, policies, engine_options, report_paths, options.jobs)
    problems: list[Finding] = []
    if policy_set.problems:  # user policies that did not load: one policy-error each (policylint.ownpolicies)
        from policylint.core.engine import policy_problem_findings

        problems = policy_problem_findings(policy_set.problems)
    if evaluated is not None:  # worker processes evaluated every policy on their share of the documents
        findings = run(load, [], engine_options, report_paths, [*evaluated, *problems])
    else:
        findings = run(load, policies, engine_options, report_paths, problems)
    if any(doc.origin.startswith("helm chart ") for doc in load.documents):
        from policylint.kinds.kubernetes.helm import deduplicate

        findings = deduplicate(findings)
    if any(doc.origin.startswith("kustomize overlay ") for doc in load.documents):
        from policylint.kinds.kubernetes.variants import merge_overlays

        findings = merge_overlays(findings)
    from policylint.core.findings import with_short_messages

    findings = with_short_messages(findings, (" (helm chart ", " (kustomize overlay "))
    findings = assign_fingerprints(findings, lambda path: anchored_path(path, options.anchor))
    findings.extend(_not_rendered(load, options))
    try:
        findings = apply_suppressions(findings, load, policy_set, policies, options, set(files))
    except SuppressionError as exc:
        raise UsageError(str(exc)) from exc
    from policylint.core.findings import split_superseded

    findings, superseded = split_superseded(findings, {policy.id: policy.supersedes for policy in policies if policy.supersedes})
    notes: list[str] = []
    if options.verbose:
        from policylint.core.documents import DocumentSet
        from policylint.kinds.kubernetes.relations import ambiguous_references

        notes = ambiguous_references(DocumentSet(load.documents), options.relation_scope)
    skipped = [*load.skipped, *_shellcheck_notice(policies, load.documents)]
    file_kinds = {doc.path: doc.file_kind for doc in load.documents if report_paths is None or doc.path in report_paths}
    file_kinds.update((failure.path, failure.file_kind) for failure in load.failures if failure.path in set(files))
    notes.extend(options.library_log)
    return RunReport(findings, policies, policy_set, skipped, files, options, file_kinds,
                     documents=[doc for doc in load.documents if report_paths is None or doc.path in report_paths],
                     notes=notes, superseded=superseded, test_data=sorted(set(test_data)))


def _shellcheck_notice(policies: list[Policy], documents: list[Document]) -> list[Skipped]:
    """One notice when ShellCheck policies would run on files of theirs but the runtime is missing."""
    wanted = sorted(policy.id for policy in policies if policy.relation == "shellcheck")
    kinds = {policy.file_kind for policy in policies if policy.relation == "shellcheck"}
    if not wanted or not any(doc.file_kind in kinds for doc in documents):
        return []
    from policylint.core.shellcheck import UNAVAILABLE, runtime

    if runtime() is not None:
        return []
    return [Skipped(", ".join(wanted), f"{UNAVAILABLE}; these policies report nothing")]
