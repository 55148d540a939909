"""One run, end to end: discover → load → evaluate → suppress → a report for the reporters.

The CLI builds `RunOptions` and calls `check`; so do tests and the benchmark. Nothing here prints.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from policylint.catalog import load_policies
from policylint.core.documents import Document, LoadResult, Skipped
from policylint.core.findings import PARSE_ERROR, Finding, severity_at_least
from policylint.core.policies import Policy, PolicySet
from policylint.core.records import field, record
from policylint.gctuning import fewer_collections, paused_while_loading
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


def load_paths(paths: Sequence[str], options: RunOptions, trusted: bool = False) -> tuple[LoadResult, list[str]]:
    """Discover and load every file inside the boundary of `paths` (their repositories; `trusted`
    paths, such as --context, are admitted themselves too); unreadable files become parse errors."""
    from policylint.core.boundary import boundary_for, within

    named = [path for path in paths if path != "-"]
    with within(boundary_for(named, named if trusted else ())):
        return _load_paths(paths, options)


def _load_paths(paths: Sequence[str], options: RunOptions) -> tuple[LoadResult, list[str]]:
    from policylint.core.documents import ParseFailure
    from policylint.core.files import STDIN_NAME
    from policylint.core.loading import load_bytes
    from policylint.discovery import discover
    from policylint.kinds.kubernetes.renderplan import holds_kustomization, may_hold_chart
    from policylint.kinds.kubernetes.scope import tag_from_candidates

    result = LoadResult()
    discovered = discover(paths, options.excludes, options.respect_gitignore, result.skipped)
    candidates, charts, kustomize_roots = list(discovered), [], []
    if may_hold_chart(candidates):  # the renderers are imported only when a file may need them
        from policylint.kinds.kubernetes.helm import plan as plan_charts

        chart_plan = plan_charts(candidates, options.helm)
        candidates, charts = chart_plan.candidates, chart_plan.charts
        result.skipped.extend(chart_plan.skipped)
    if holds_kustomization(candidates):
        from policylint.kinds.kubernetes.kustomize import plan

        kustomize = plan(candidates, options.kustomize)
        candidates, kustomize_roots = kustomize.candidates, kustomize.roots
        result.skipped.extend(kustomize.skipped)
    files = []
    for done, candidate in enumerate(candidates):
        if options.progress is not None:
            options.progress(done, len(candidates), "files")
        files.append(candidate.display)
        if candidate.disk is None:
            text = options.stdin_text if options.stdin_text is not None else sys.stdin.read()
            result.extend(load_bytes(STDIN_NAME, text.encode("utf-8", "surrogateescape"), "yaml"))
            continue
        try:
            overlaid = options.overlay.get(candidate.display)
            raw = overlaid if overlaid is not None else candidate.disk.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            result.failures.append(ParseFailure(candidate.display, candidate.file_kind, 1, 1, f"cannot read file: {reason}"))
            continue
        result.extend(load_bytes(candidate.display, raw, candidate.file_kind))
    tag_from_candidates(result.documents, discovered)
    files.extend(sorted(set(result.sources) - set(files)))  # read by a loader itself: GitLab local includes
    for root in kustomize_roots:
        from policylint.kinds.kubernetes.kustomize import render

        rendered = render(root)
        paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
        files.extend(sorted(paths_seen - set(files)))
        result.extend(rendered)
    if charts:
        from policylint.kinds.kubernetes.helm import HelmSettings, render_all

        settings = HelmSettings(tuple(Path(file) for file in options.helm_values), options.helm_release_name,
                                options.helm_namespace or options.default_namespace)
        rendered = render_all(charts, settings)
        paths_seen = {doc.path for doc in rendered.documents} | {failure.path for failure in rendered.failures}
        files.extend(sorted(paths_seen - set(files)))
        result.extend(rendered)
    release_namespace = options.helm_namespace or options.default_namespace
    for document in result.documents:
        # A chart's objects without a namespace land in the release's namespace (helm install --namespace).
        helm = document.origin.startswith("helm chart ")
        document.default_namespace = release_namespace if helm else options.default_namespace
    return result, files


@fewer_collections()
def check(options: RunOptions, policy_set: PolicySet | None = None) -> RunReport:
    """Run the whole pipeline and return the report (raises UsageError for bad input)."""
    import gc

    try:
        return _check(options, policy_set)
    finally:
        gc.unfreeze()  # what loading left frozen (gctuning.paused_while_loading) is collectable again


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
    try:
        with paused_while_loading():
            load, files = load_paths(options.paths, options)
            if options.context:
                report_paths = set(files)
                context, _ = load_paths(options.context, options, trusted=True)
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
    try:
        findings = apply_suppressions(findings, load, policy_set, policies, options, set(files))
    except SuppressionError as exc:
        raise UsageError(str(exc)) from exc
    notes: list[str] = []
    if options.verbose:
        from policylint.core.documents import DocumentSet
        from policylint.kinds.kubernetes.relations import ambiguous_references

        notes = ambiguous_references(DocumentSet(load.documents), options.relation_scope)
    file_kinds = {doc.path: doc.file_kind for doc in load.documents if report_paths is None or doc.path in report_paths}
    file_kinds.update((failure.path, failure.file_kind) for failure in load.failures if failure.path in set(files))
    return RunReport(findings, policies, policy_set, load.skipped, files, options, file_kinds,
                     documents=[doc for doc in load.documents if report_paths is None or doc.path in report_paths],
                     notes=notes)
