"""One run, end to end: discover → load → evaluate → suppress → a report for the reporters.

The CLI builds `RunOptions` and calls `check`; so do tests and the benchmark. Nothing here prints.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
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

    #: In order (`Finding.sort_key`); a `FindingStore` from `check`, which keeps a large run on disk.
    findings: Sequence[Finding]
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
    superseded: Sequence[Finding] = field(default_factory=list)
    #: Files left out as test data (policylint.testdata); empty with --include-test-data.
    test_data: list[str] = field(default_factory=list)
    #: The JSON output's `run` block (policylint.runinfo), filled by the CLI.
    run: dict[str, object] = field(default_factory=dict)
    #: After `--fix`: what was fixed (policylint.fixing.summary), for the text summary.
    fix_summary: str = ""
    #: `check --shard I/N`: what `policylint merge` needs besides the findings (policylint.shards).
    shard: dict[str, Any] = field(default_factory=dict)
    #: The counts of the findings last counted (`tally`), with what they were counted from.
    counted: tuple[Any, Counter[tuple[str, str]]] | None = field(default=None, compare=False, repr=False)

    @property
    def active(self) -> Sequence[Finding]:
        """Findings that are not suppressed (read on demand from a large run's store)."""
        from policylint.core.findingstore import Selection

        return Selection(self.findings, _unsuppressed)

    def tally(self) -> Counter[tuple[str, str]]:
        """(policy id, severity) -> count of the active findings, counted in one pass and kept
        until `findings` is replaced: the summary, the exit code and the reporters all need it."""
        if self.counted is None or self.counted[0] is not self.findings:
            self.counted = (self.findings, Counter((finding.policy_id, finding.severity) for finding in self.active))
        return self.counted[1]

    def by_severity(self) -> Counter[str]:
        """Severity -> count of the active findings."""
        counts: Counter[str] = Counter()
        for (_, severity), count in self.tally().items():
            counts[severity] += count
        return counts

    @property
    def active_count(self) -> int:
        """How many findings are not suppressed."""
        return sum(self.tally().values())

    def exit_code(self) -> int:
        """0 when nothing at or above `fail_on` remains (a parse-error always counts), else 1."""
        from policylint.suppressions import NON_FAILING

        for policy_id, severity in self.tally():
            if policy_id in NON_FAILING:
                continue
            if policy_id == PARSE_ERROR or severity_at_least(severity, self.options.fail_on):
                return 1
        return 0


def _unsuppressed(finding: Finding) -> bool:
    return finding.suppression is None


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


@record
class _Plan:
    """What discovery and the render plans decided, before any file is parsed."""

    discovered: list[Any]
    candidates: list[Any]
    charts: list[Any]
    kustomize_roots: list[Any]
    fallback: dict[Any, list[Any]]
    skipped: list[Skipped]
    #: Whether a kustomization file was discovered (None: not asked).
    has_kustomizations: bool | None = None
    #: check --shard: each unit notice's whole-run order key, by id() of the Skipped (policylint.shards).
    skipped_keys: dict[int, Any] = field(default_factory=dict)
    #: Each candidate's place in `candidates`, by display (filled on first use).
    position: dict[str, int] = field(default_factory=dict)


@record
class _Unit:
    """One unit of work (policylint.units): the candidates, charts and kustomize roots it loads."""

    displays: set[str]
    charts: set[int]
    roots: set[int]


def _load_paths(paths: Sequence[str], options: RunOptions, test_data: list[str] | None) -> tuple[LoadResult, list[str]]:
    planned = _plan(paths, options, test_data)
    result = LoadResult(skipped=list(planned.skipped))
    files = _load_planned(planned, options, result)
    return result, files


def _plan(paths: Sequence[str], options: RunOptions, test_data: list[str] | None) -> _Plan:
    from policylint.discovery import discover
    from policylint.kinds.kubernetes.renderplan import holds_kustomization, may_hold_chart

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
    return _Plan(list(discovered), list(candidates), list(charts), list(kustomize_roots), fallback, result.skipped)


def _load_planned(planned: _Plan, options: RunOptions, result: LoadResult, unit: _Unit | None = None,
                  order: dict[str, list[Any]] | None = None) -> list[str]:
    """Load what `planned` names (only `unit`'s share when given) into `result`; the files read.

    With `order`, each file, document, failure and skipped entry added gets the key that puts it
    where the whole run would have put it (`order[...]` lists, parallel to what was added).
    """
    from policylint.core.documents import ParseFailure
    from policylint.core.files import STDIN_NAME
    from policylint.core.loading import load_bytes
    from policylint.kinds.kubernetes.scope import tag_from_candidates

    discovered = planned.discovered
    if not planned.position:  # once per run, not per unit
        planned.position.update((candidate.display, index) for index, candidate in enumerate(planned.candidates))
    position = planned.position
    candidates = planned.candidates if unit is None else [
        planned.candidates[index] for index in sorted(position[display] for display in unit.displays if display in position)]
    charts: list[Any] = planned.charts if unit is None else [(i, c) for i, c in enumerate(planned.charts) if i in unit.charts]
    roots = list(enumerate(planned.kustomize_roots))
    if unit is not None:
        roots = [(i, root) for i, root in roots if i in unit.roots]
    fallback = planned.fallback
    files: list[str] = []
    marks = [0, 0, 0, 0]

    def tag(key: Any, by_name: bool = False) -> None:
        if order is None:
            return
        for name, items, at in (("files", files, 0), ("documents", result.documents, 1),
                                ("failures", result.failures, 2), ("skipped", result.skipped, 3)):
            if by_name and at == 0:  # sorted by name over the whole run
                order[name].extend(((key[0], item), 0) for item in items[marks[at]:])
            else:
                order[name].extend((key, seq) for seq in range(len(items) - marks[at]))
            marks[at] = len(items)

    tag(None)  # what the plan skipped is the parent's, said once

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
        tag((0, position[candidate.display]))
    if unit is None:
        tag_from_candidates(result.documents, discovered)
    else:  # a kustomization ties only files of its own unit (policylint.units)
        from policylint.kinds.kubernetes.renderplan import is_kustomization

        members = [candidate for candidate in discovered if candidate.display in unit.displays]
        if planned.has_kustomizations is False or any(is_kustomization(c.disk) for c in members if c.disk is not None):
            tag_from_candidates(result.documents, members)
    files.extend(sorted(set(result.sources) - set(files)))  # read by a loader itself: GitLab local includes
    tag((1,), by_name=True)
    for index, root in roots:
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
            tag((2, index))
            continue
        paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
        files.extend(sorted(paths_seen - set(files)))
        result.extend(rendered)
        tag((2, index))
    if charts:
        from policylint.kinds.kubernetes.helm import HelmSettings, render_all

        settings = HelmSettings(tuple(Path(file) for file in options.helm_values), options.helm_release_name,
                                options.helm_namespace or options.default_namespace)
        from policylint.notices import captured_fd2

        go_log: list[str] = []
        # in a unit, chart by chart with its number in the whole run (it numbers the documents)
        batches = [(charts, None)] if unit is None else [([chart], [number]) for number, chart in charts]
        for batch, numbers in batches:
            with captured_fd2(go_log):  # the Helm SDK logs from Go straight to fd 2
                rendered = render_all(batch, settings, numbers)
            paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
            files.extend(sorted(paths_seen - set(files)))
            result.extend(rendered)
            tag((3, numbers[0] if numbers else 0), by_name=True)
        options.library_log.extend(f"helm: {line}" for line in go_log)
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
    return files


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
    may be Kubernetes) widen the run; a named Dockerfile or workflow needs no partner. A file outside
    any git repository widens nothing: its folder tree may be a home or temporary folder, not a project
    (`policylint check /tmp/pod.yaml` walked all of /tmp).
    """
    from policylint.core.boundary import repository_root
    from policylint.core.kinds import BY_CONTENT, detect_by_name

    top = os.path.abspath(".")
    folders: set[str] = set()
    files: set[str] = set()
    for raw in paths:
        if raw == "-" or not os.path.isfile(raw) or detect_by_name(raw) != BY_CONTENT or repository_root(raw) is None:
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
    from policylint.core.boundary import repository_root

    first = next((path for path in options.paths if path != "-"), ".")
    root = repository_root(first) or options.config_dir or Path.cwd()
    return os.path.abspath(root)


def _chunks(load: LoadResult, policies: list[Policy], engine_options: Any, report_paths: set[str] | None,
            options: RunOptions, problems: list[Finding], jobs: int | None = None) -> Iterator[list[Finding]]:
    """The findings of `policies` (and the policy problems) over a loaded set, merged and
    fingerprinted, a file at a time, in path order, each file's sorted (with
    `options.resolve_fixes`, their fixes resolved): the caller holds one file's findings, not a
    set's (issue 24: memory per finding).

    A file's findings are numbered together (a fingerprint counts equal places within its file),
    so they are first grouped by file through a FindingStore keyed by path, which keeps the engine's
    order within a file and spills to disk past its size. Variants of a chart or an overlay are
    merged across files, and findings of worker processes come at once: those sets are one chunk.
    """
    from policylint.core.engine import findings_of, run
    from policylint.parallel import evaluate_in_workers

    resolve = _resolver(options)
    evaluated = evaluate_in_workers(load.documents, policies, engine_options, report_paths,
                                    options.jobs if jobs is None else jobs)
    helm = any(doc.origin.startswith("helm chart ") for doc in load.documents)
    overlays = any(doc.origin.startswith("kustomize overlay ") for doc in load.documents)
    if evaluated is None and not helm and not overlays:
        from itertools import groupby

        from policylint.core.findingstore import FindingStore

        by_file = FindingStore(findings_of(load, policies, engine_options, report_paths, problems), key=_path_of)
        try:
            for _, found in groupby(by_file, key=_path_of):
                yield resolve(_numbered(assign_fingerprints(list(found)), options))
        finally:
            by_file.close()
        return
    if evaluated is not None:  # worker processes evaluated every policy on their share of the documents
        findings = run(load, [], engine_options, report_paths, [*evaluated, *problems])
    else:
        findings = run(load, policies, engine_options, report_paths, problems)
    if helm:
        from policylint.kinds.kubernetes.helm import deduplicate

        findings = deduplicate(findings)
    if overlays:
        from policylint.kinds.kubernetes.variants import merge_overlays

        findings = merge_overlays(findings)
    yield resolve(_numbered(findings, options))


def _path_of(finding: Finding) -> str:
    return finding.path


def _resolver(options: RunOptions) -> Any:
    """What resolves a chunk's fix plans (policylint.core.fixes.Resolver) when the run shows fixes;
    the fixes module is imported at the first plan (a clean run never needs it)."""
    resolved: Any = None

    def resolve(findings: list[Finding]) -> list[Finding]:
        nonlocal resolved
        if not options.resolve_fixes or all(finding.fix is None for finding in findings):
            return findings
        if resolved is None:
            from policylint.core.fixes import Resolver

            resolved = Resolver(options.overlay)
        return [resolved(finding) for finding in findings]

    return resolve


def _numbered(findings: list[Finding], options: RunOptions) -> list[Finding]:
    """Messages shortened (a rendered document's origin kept whole) and fingerprints named from
    the repository root: the last step of evaluating any share of the run."""
    from policylint.core.findings import with_short_messages

    findings = with_short_messages(findings, (" (helm chart ", " (kustomize overlay "))
    return assign_fingerprints(findings, lambda path: anchored_path(path, options.anchor))


def _planned_units(options: RunOptions, policies: list[Policy],
                   test_data: list[str]) -> tuple[_Plan | None, list[_Unit] | None]:
    """The run's plan and its units (policylint.units); no units when it is one unit, and no plan
    either when it must be (stdin, `relation-scope: run`, --verbose's whole-run notes)."""
    from policylint.kinds.kubernetes.scope import SCOPE_PARAM

    if ("-" in options.paths or options.relation_scope == "run" or options.verbose or options.overlay
            or os.environ.get("POLICYLINT_UNITS") == "0"):
        return None, None
    if any(policy.params.get(SCOPE_PARAM) == "run" for policy in policies):
        return None, None
    from policylint.core.boundary import boundary_for, within
    from policylint.kinds.kubernetes.renderplan import is_kustomization
    from policylint.units import group

    with within(boundary_for(list(options.paths), ())):
        planned = _plan(options.paths, options, test_data)
        # A shard cannot settle absence claims against units another shard runs (policylint.units
        # `retracted`): shards deal units that make none across them, all plain files as one and charts.
        pack = SHARD_PACK if options.shard is not None else None
        grouped = group(planned.discovered, planned.candidates, planned.charts, planned.kustomize_roots, planned.fallback,
                        pack=pack)
    if grouped is None:
        return planned, None
    planned.has_kustomizations = any(c.disk is not None and is_kustomization(c.disk) for c in planned.discovered)
    return planned, [_Unit(*unit) for unit in grouped]


@record(frozen=True, slots=True)
class DocumentSummary:
    """What a report keeps of a document once its unit is done: reporters read no more (paths for
    JUnit, file and object kinds for the audit report and the run block)."""

    path: str
    file_kind: str
    kind: str
    #: Where a rendered document comes from (`helm chart web`, `kustomize overlay ...`), else "".
    origin: str = ""


@record
class _UnitResult:
    """What a unit leaves besides its findings, small enough to send between processes: no parsed tree."""

    files: list[str]
    documents: list[Any]  # DocumentSummary
    failures: list[Any]
    skipped: list[Skipped]
    order: dict[str, list[Any]]
    library_log: list[str]
    #: The run-wide facts its documents make (policylint.units.unit_facts).
    facts: frozenset[Any] = frozenset()


_unit_state: dict[str, Any] = {}
#: The events of a unit (`_process_unit`), in this order: its suppression directives once, its
#: findings a file at a time, then what else it leaves.
DIRECTIVES, FINDINGS, DONE = "directives", "findings", "done"


def _process_unit(number: int) -> Iterator[tuple[str, Any]]:
    """Load, read the suppressions of, and evaluate one unit, as events (`DIRECTIVES`: comments
    and keyed annotations; `FINDINGS`: one file's findings; `DONE`: a _UnitResult): its findings
    are handed on as they are made, and its parsed documents are dropped before `DONE`."""
    from policylint.core.boundary import boundary_for, within

    planned, units, options, policies, engine_options, jobs = (
        _unit_state[key] for key in ("planned", "units", "options", "policies", "engine_options", "jobs"))
    order: dict[str, list[Any]] = {"files": [], "documents": [], "failures": [], "skipped": []}
    result = LoadResult()
    logged = len(options.library_log)
    with within(boundary_for(list(options.paths), ())), paused_while_loading():
        files = _load_planned(planned, options, result, units[number], order)
    comments: list[Any] = []
    annotations: list[Any] = []
    if options.use_suppressions:
        from policylint.suppressions import comment_directives, parse_annotations

        read = set(files)
        comments = comment_directives(result, read)
        keys = dict(zip((id(doc) for doc in result.documents), order["documents"], strict=True))
        annotations = [(keys[id(doc)], directive) for doc in result.documents if doc.path in read
                       for directive in parse_annotations(doc)]
    yield DIRECTIVES, (comments, annotations)
    for chunk in _chunks(result, policies, engine_options, None, options, [], jobs):
        yield FINDINGS, chunk
    # Only what reporters read outlives the unit: its parsed trees are dropped here, in a worker
    # and in this process alike, so a run holds one unit's trees at a time.
    documents: list[Any] = [DocumentSummary(doc.path, doc.file_kind, doc.kind, doc.origin) for doc in result.documents]
    from policylint.units import unit_facts

    facts = unit_facts(result.documents) if len(units) > 1 else frozenset()
    from policylint.core.yamlnodes import release_shared

    release_shared()  # the unit's positions and pointers go with its documents
    log = options.library_log[logged:]
    del options.library_log[logged:]  # the caller adds it in unit order, wherever the unit ran
    yield DONE, _UnitResult(files, documents, result.failures, result.skipped, order, log, facts)


def _in_this_process(units: list[_Unit], apart: bool = True) -> Iterator[Iterator[tuple[str, Any]]]:
    """Every unit's events in unit order, done in this process, but for the charts: with other
    units to do, one forked child renders and checks them first, then exits.

    Why: the Helm SDK's Go runtime keeps the memory it took for as long as its process lives (it
    adds 100-130 MiB to a run of many charts, measured on 293 real charts), on top of the most the
    other units took; a child gives it back when it ends, so a run's peak is the larger of the two
    instead of their sum. The child runs alone, before the rest, as `-j 1` asks. When it fails, the
    charts are done here (same output).
    """
    charts = [number for number, unit in enumerate(units) if unit.charts]
    done = None
    if apart and charts and len(charts) < len(units) and hasattr(os, "fork") and "helm_python" not in sys.modules:
        done = _in_workers(len(units), 1, queue=charts)
    if done is None:
        yield from (_process_unit(number) for number in range(len(units)))
        return
    for number in range(len(units)):
        yield next(done) if number in charts else _process_unit(number)  # both in unit order
    next(done, None)  # its folder is removed


def _unit_workers(planned: _Plan, units: list[_Unit], options: RunOptions) -> int:
    """Processes for the units: one per CPU (or `-j`) when the plain unit is not most of the work
    and there is enough to share; 1 keeps everything in this process."""
    from policylint.parallel import cpu_count

    wanted = options.jobs if options.jobs > 0 else cpu_count()
    if wanted <= 1 or len(units) < 2 or not hasattr(os, "fork"):
        return 1
    if "helm_python" in sys.modules:  # a Go runtime already started here does not survive a fork
        return 1
    work = _weights(planned, units)
    total = sum(work)
    if total < MIN_WORK_PER_WORKER * 2 or max(work) * 2 > total:
        return 1
    return max(1, min(wanted, len(units), total // MIN_WORK_PER_WORKER))


def _weights(planned: _Plan, units: list[_Unit]) -> list[int]:
    """A unit's expected work: its plain files and kustomize builds, and CHART_WEIGHT per chart."""
    loaded = {candidate.display for candidate in planned.candidates}
    return [sum(1 for display in unit.displays if display in loaded) + len(unit.roots)
            + len(unit.charts) * CHART_WEIGHT for unit in units]


#: Plain files packed into one unit with --shard: every plain file (see _planned_units).
SHARD_PACK = 1 << 62
#: A chart weighs as many plain files (it renders its templates, often under several values files).
CHART_WEIGHT = 30
#: Below this many plain files (or chart weights) per worker a pool costs more than it saves.
MIN_WORK_PER_WORKER = 300


def _check_units(planned: _Plan, units: list[_Unit], options: RunOptions, policies: list[Policy], engine_options: Any,
                 problems: list[Finding], sink: _Sink) -> tuple[LoadResult, list[str]]:
    """Each unit loaded and evaluated on its own (in worker processes with `-j`), its findings
    handed to `sink` in unit order; the whole run's load summary (in its order) and files."""
    if problems:  # as the whole run numbers them: their paths are policy files, no unit's
        sink.add(_numbered(assign_fingerprints(problems), options))
    workers = _unit_workers(planned, units, options)
    from policylint.core.records import replace
    from policylint.units import Unsettled, held_back, retracted

    _unit_state.update(planned=planned, units=units, options=options, policies=policies,
                       engine_options=replace(engine_options, assumptions=len(units) > 1),
                       jobs=1 if workers > 1 else options.jobs)
    pending: list[tuple[list[Finding], Any]] = []  # each unit's findings resting on absence claims, and its marks
    facts: list[frozenset[Any]] = []
    order: dict[str, list[Any]] = {"files": [], "documents": [], "failures": [], "skipped": []}
    merged = LoadResult()
    files: list[str] = []
    try:
        results = _in_workers(len(units), workers, _weights(planned, units)) if workers > 1 else None
        if results is None:
            _unit_state.update(jobs=options.jobs)
            results = _in_this_process(units, apart=workers <= 1)  # not after workers failed: the child might too
        for events in results:
            marks: Any = None
            waiting: list[Finding] = []
            for event, value in events:
                if event == DIRECTIVES:
                    comments, keyed = value
                    marks = sink.directives(comments, [directive for _, directive in keyed], keyed)
                elif event == FINDINGS:
                    settled, held = held_back(value)
                    sink.add(settled, marks)
                    waiting.extend(held)
                else:
                    result = value
            pending.append((waiting, marks))
            facts.append(result.facts)
            files.extend(result.files)
            merged.documents.extend(result.documents)  # type: ignore[arg-type]
            merged.failures.extend(result.failures)
            merged.skipped.extend(result.skipped)
            for name, keys in result.order.items():
                order[name].extend(keys)
            options.library_log.extend(result.library_log)
    finally:
        _unit_state.clear()
    if any(held for held, _ in pending):  # settled against every unit's facts (policylint.core.assumptions)
        kept = retracted([held for held, _ in pending], facts, lambda path: anchored_path(path, options.anchor))
        if kept is None:
            raise Unsettled
        for found, (_, marks) in zip(kept, pending, strict=True):
            sink.add(found, marks)

    def ordered(items: list[Any], keys: list[Any]) -> list[Any]:
        return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda pair: pair[0])]

    merged.documents = ordered(merged.documents, order["documents"])
    merged.failures = ordered(merged.failures, order["failures"])
    unit_skipped = ordered(merged.skipped, order["skipped"])
    if options.shard is not None:  # check --shard: the merge interleaves the shards' notices by these keys
        planned.skipped_keys = dict(zip(map(id, unit_skipped), sorted(order["skipped"]), strict=True))
    merged.skipped = [*planned.skipped, *unit_skipped]
    files = list(dict.fromkeys(ordered(files, order["files"])))
    return merged, files


class _Sink:
    """Where a run's findings go, a unit at a time: suppressions marked (policylint.suppressions),
    superseded findings set aside, the rest kept in order in a FindingStore (on disk past a size)."""

    def __init__(self, suppressor: Any, supersedes: dict[str, Any]) -> None:
        from policylint.core.findingstore import FindingStore

        self.suppressor = suppressor
        self.supersedes = supersedes
        self.findings = FindingStore()
        self.superseded = FindingStore()
        self.comments: list[Any] = []
        self.annotations: list[tuple[Any, Any]] = []

    def directives(self, comments: Sequence[Any] = (), annotations: Sequence[Any] = (),
                   keyed: list[tuple[Any, Any]] | None = None) -> Any:
        """Take one share of the run's suppression comments and annotations (`keyed`: the
        annotations with their whole-run order keys); what marks that share's findings (`add`)."""
        self.comments.extend(comments)
        if keyed is not None:
            self.annotations.extend(keyed)
        else:
            self.annotations.extend(((len(self.annotations),), directive) for directive in annotations)
        return self.suppressor.prepare(comments, annotations)

    def add(self, findings: list[Finding], marks: Any = None) -> None:
        """Findings of one share of the run, marked with that share's directives (`marks`, from
        `directives`; None: the configuration's and the baseline's only)."""
        from policylint.core.findings import split_superseded

        marked = self.suppressor.mark(findings, prepared=marks)
        shown, hidden = split_superseded(marked, self.supersedes)
        self.findings.extend(shown)
        self.superseded.extend(hidden)

    def finish(self) -> None:
        """Add the findings about suppressions, now that every file's directives were applied."""
        comments = sorted(self.comments, key=lambda directive: directive.path)  # stable: a file's own order is kept
        annotations = [directive for _, directive in sorted(self.annotations, key=lambda pair: pair[0])]
        self.add(self.suppressor.problems(comments, annotations))


#: Seconds without any worker finishing a unit before the workers are stopped and the run is done
#: in this process instead (a child that deadlocked after the fork; chart rendering has its own timeout).
WORKER_STALL_SECONDS = 600


def _in_workers(count: int, workers: int, weights: list[int] | None = None,
                queue: list[int] | None = None) -> Iterator[Iterator[tuple[str, Any]]] | None:
    """Every unit's result (only `queue`'s, in that order, when given) from forked workers, read
    back one at a time in unit order; None when a worker fails or stalls (the caller then does
    every unit in this process: same output).

    Plain `os.fork` children take the units heaviest first, each claiming the next unclaimed one
    when it is free (a claim is a file created exclusively in a private folder), so a chart that
    renders slowly does not leave the other worker idle; each writes a unit's result to its own
    file as soon as it is done, so a worker holds one unit at a time. Which worker did a unit never
    changes the output. Not a multiprocessing pool: the Helm SDK's Go runtime dies in a pool's
    worker process (measured: every chart unit broke the pool), and renders fine in a plain child.
    """
    import gc
    import tempfile

    weights = weights or [1] * count
    queue = queue if queue is not None else sorted(range(count), key=lambda item: (-weights[item], item))
    folder = tempfile.mkdtemp(prefix="policylint-units-")
    gc.collect()

    def spawn() -> int | None:
        gc.freeze()  # keep the inherited state out of the workers' collections: fewer copied pages
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            return None
        if pid == 0:  # pragma: no cover - runs in the child
            _worker(queue, folder)
        gc.unfreeze()
        return pid

    children = [pid for pid in (spawn() for _ in range(workers)) if pid is not None]
    if not children or not _wait(children, folder, len(queue), spawn):
        _remove(folder)
        return None
    return _read_results(folder, sorted(queue))


def _worker(queue: list[int], folder: str) -> None:  # pragma: no cover - runs in a forked child
    """A forked child's whole life: it claims units until none is left, writing each result then
    dropping it, or until it grew by WORKER_GROWTH_MIB (the parent then starts another); never returns."""
    import pickle

    code = 1
    growth = float(os.environ.get("POLICYLINT_WORKER_GROWTH_MIB", WORKER_GROWTH_MIB))
    start = _resident_mib()
    try:
        for number in queue:
            try:
                os.close(os.open(os.path.join(folder, f"{number}.claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                continue  # another worker has it
            target = os.path.join(folder, f"{number}.pickle")
            with open(target + ".part", "wb") as handle:
                for event in _process_unit(number):  # written as made: a worker holds one file's findings
                    pickle.dump(event, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(target + ".part", target)  # a reader never sees half a result
            if start is not None and (_resident_mib() or 0) - start > growth:
                break  # retire after a unit done: what it took (a Go heap, pages Python keeps) goes back
        code = 0
    finally:
        os._exit(code)


def _resident_mib() -> float | None:
    """This process's resident memory in MiB (None where /proc does not tell)."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except (OSError, ValueError, IndexError):
        return None


#: A worker that grew by this many MiB since it started takes no more units; a new one is forked
#: while units are left. A Go runtime (Helm charts) and Python's allocator keep what a process took
#: until it ends: a worker of 293 real charts grew to 263 MiB, far above what any one chart needs.
WORKER_GROWTH_MIB = 100


def _wait(children: list[int], folder: str, count: int, spawn: Any = None) -> bool:
    """Wait for every child, starting another (`spawn`) when one retired with units unclaimed;
    False when one failed, or none finished a unit for WORKER_STALL_SECONDS (then they are all
    stopped)."""
    import contextlib
    import signal
    import time

    stall = float(os.environ.get("POLICYLINT_WORKER_STALL_SECONDS", WORKER_STALL_SECONDS))
    running = set(children)
    ok = True
    done, last = 0, time.monotonic()
    while running:
        for pid in list(running):
            finished, status = os.waitpid(pid, os.WNOHANG)
            if finished:
                running.discard(pid)
                ok = ok and status == 0
                claimed = sum(1 for name in os.listdir(folder) if name.endswith(".claim"))
                if ok and spawn is not None and claimed < count:
                    new = spawn()
                    if new is not None:
                        running.add(new)
        if not running:
            break
        now_done = sum(1 for name in os.listdir(folder) if name.endswith(".pickle"))
        if now_done != done:
            done, last = now_done, time.monotonic()
        elif time.monotonic() - last > stall:
            for pid in running:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            for pid in running:
                os.waitpid(pid, 0)
            return False
        time.sleep(0.02)
    return ok and sum(1 for name in os.listdir(folder) if name.endswith(".pickle")) == count


def _read_results(folder: str, numbers: list[int]) -> Iterator[Iterator[tuple[str, Any]]]:
    """The workers' results of units `numbers`, in that order, each as its events (read one at a
    time, to be read through before the next unit's), each file removed once read."""
    try:
        for number in numbers:
            yield _read_events(os.path.join(folder, f"{number}.pickle"))
    finally:
        _remove(folder)


def _read_events(target: str) -> Iterator[tuple[str, Any]]:
    import pickle

    with open(target, "rb") as handle:
        while True:
            try:
                event = pickle.load(handle)
            except EOFError:
                break
            yield event
    os.unlink(target)


def _remove(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _check(options: RunOptions, policy_set: PolicySet | None) -> RunReport:
    from policylint.core.files import DiscoveryError
    from policylint.core.policies import PolicyFormatError

    try:
        policy_set = policy_set or load_policies(options.policy_dirs)
    except PolicyFormatError as exc:
        raise UsageError(str(exc)) from exc
    from policylint.kinds.kubernetes.scope import with_relation_scope

    policies = with_kube_version(select_policies(policy_set, options), options.kube_version)
    policies = with_relation_scope(policies, options.relation_scope)
    from policylint.suppressions import SuppressionError, Suppressor, file_directives

    report_paths: set[str] | None = None
    options.anchor = fingerprint_anchor(options)
    if not options.context and options.context_scope:
        options.context = scope_context(options.paths)
    test_data: list[str] = []
    from policylint.core.engine import EngineOptions

    engine_options = EngineOptions(severity_overrides=options.severity_overrides)
    problems: list[Finding] = []
    if policy_set.problems:  # user policies that did not load: one policy-error each (policylint.ownpolicies)
        from policylint.core.engine import policy_problem_findings

        problems = policy_problem_findings(policy_set.problems)
    try:
        suppressor = Suppressor(options, policy_set, policies)
    except SuppressionError as exc:
        raise UsageError(str(exc)) from exc
    sink = _Sink(suppressor, {policy.id: policy.supersedes for policy in policies if policy.supersedes})
    try:
        planned, units = (None, None) if options.context else _planned_units(options, policies, test_data)
        if options.shard is not None:  # check --shard I/N: only this shard's units (policylint.shards)
            from policylint.shards import select

            planned, units, problems = select(planned, units, options, test_data, problems, _weights,
                                              lambda: _Plan([], [], [], [], {}, []))
        if planned is not None and units is not None:
            from policylint.units import Unsettled, as_one

            logged = len(options.library_log)
            try:
                load, files = _check_units(planned, units, options, policies, engine_options, problems, sink)
            except Unsettled:  # an absence claim the units' facts cannot settle: the set as one unit
                del options.library_log[logged:]
                sink = _Sink(Suppressor(options, policy_set, policies), sink.supersedes)
                units = [_Unit(*as_one(units))]
                load, files = _check_units(planned, units, options, policies, engine_options, problems, sink)
        else:
            with paused_while_loading():
                if planned is not None:  # one unit: loaded from the plan already made
                    from policylint.core.boundary import boundary_for, within

                    load = LoadResult(skipped=list(planned.skipped))
                    with within(boundary_for(list(options.paths), ())):
                        files = _load_planned(planned, options, load)
                else:
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
    if units is None:
        if options.progress is not None:
            options.progress(len(files), len(files), "files, evaluating policies")
        comments, annotations = file_directives(load, set(files)) if options.use_suppressions else ([], [])
        marks = sink.directives(comments, annotations)
        for chunk in _chunks(load, policies, engine_options, report_paths, options, problems):
            sink.add(chunk, marks)
        sink.add(_not_rendered(load, options), marks)
    else:
        sink.add(_not_rendered(load, options))
    sink.finish()
    notes: list[str] = []
    if options.verbose:
        from policylint.core.documents import DocumentSet
        from policylint.kinds.kubernetes.relations import ambiguous_references

        notes = ambiguous_references(DocumentSet(load.documents), options.relation_scope)
    skipped = [*load.skipped, *_shellcheck_notice(policies, load.documents)]
    file_kinds = {doc.path: doc.file_kind for doc in load.documents if report_paths is None or doc.path in report_paths}
    file_kinds.update((failure.path, failure.file_kind) for failure in load.failures if failure.path in set(files))
    notes.extend(options.library_log)
    report = RunReport(sink.findings, policies, policy_set, skipped, files, options, file_kinds,
                       documents=[doc for doc in load.documents if report_paths is None or doc.path in report_paths],
                       notes=notes, superseded=sink.superseded, test_data=sorted(set(test_data)))
    if options.shard is not None:  # what the whole run says once stays with shard 1 (policylint.shards)
        from policylint.shards import finish

        finish(report, planned, units)
    return report


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
