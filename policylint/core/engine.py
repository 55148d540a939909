"""The engine: match policies to documents, build views, evaluate conditions, make findings."""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from policylint.core.conditions import Condition, Violation
from policylint.core.documents import Document, DocumentSet, LoadResult, ParseFailure
from policylint.core.findings import PARSE_ERROR, POLICY_ERROR, Finding, Location, assign_fingerprints, shortened
from policylint.core.policies import Policy
from policylint.core.records import field, record
from policylint.core.views import View

PARSE_ERROR_SEVERITY = "high"
POLICY_ERROR_SEVERITY = "high"


@record
class EngineOptions:
    """What a run changes about the policies themselves."""

    severity_overrides: Mapping[str, str] = field(default_factory=dict)
    #: The set is one unit of a split run: mark findings that rest on absence claims (View.assumes).
    assumptions: bool = False


class _SafeFields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class _Formatter(string.Formatter):
    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        try:
            return super().get_field(field_name, args, kwargs)
        except (KeyError, IndexError, AttributeError, TypeError):
            return "{" + field_name + "}", field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FORMATTER = _Formatter()


def render_message(template: str, fields: Mapping[str, Any]) -> str:
    """Fill `{name}` fields; unknown fields stay as written instead of failing the run."""
    try:
        return _FORMATTER.vformat(template, (), _SafeFields(fields))
    except (ValueError, IndexError):
        return template


class _Compiled:
    """A policy with its condition compiled once per run (lazily, for policies that match)."""

    __slots__ = ("condition", "kinds", "policy", "severity", "severity_cases", "when")

    def __init__(self, policy: Policy, severity: str, overridden: bool = False) -> None:
        self.policy = policy
        self.severity = severity
        self.kinds = policy.kinds
        self.condition: Condition | None = None
        self.when: Condition | None = None
        # a severity set by configuration applies to every finding of the policy
        self.severity_cases: list[tuple[Condition, str]] | None = [] if overridden or not policy.severity_when else None

    def severity_for(self, view: View) -> str:
        """The policy's severity, or that of its first `severity_when` entry the view matches."""
        if self.severity_cases is None:
            self.severity_cases = [(Condition(case["when"]), case["severity"]) for case in self.policy.severity_when]
        for condition, severity in self.severity_cases:
            if condition.is_valid(view.instance):
                return severity
        return self.severity

    def compile(self) -> None:
        if self.condition is None:
            if self.policy._compiled is None:
                when = Condition(self.policy.when) if self.policy.when is not None else None
                self.policy._compiled = (Condition(self.policy.condition), when)
            self.condition, self.when = self.policy._compiled


def _failure_message(file_kind: str, reason: str) -> str:
    if reason.startswith(("cannot read file", "helm ")):
        return reason  # nothing was parsed: say what happened, not which parser would have run
    label = "YAML" if file_kind == "yaml" else file_kind
    return f"cannot parse {label} file: {reason}"


def parse_error_findings(load: LoadResult) -> list[Finding]:
    """One `parse-error` finding for each file or document that failed to parse."""
    return [
        Finding(
            policy_id=PARSE_ERROR,
            severity=PARSE_ERROR_SEVERITY,
            path=failure.path,
            line=failure.line,
            column=failure.column,
            message=shortened(_failure_message(failure.file_kind, failure.reason)),
            file_kind=failure.file_kind,
            logical=f"parse@{failure.line}",
        )
        for failure in _distinct(load.failures)
    ]


def _distinct(failures: list[ParseFailure]) -> list[ParseFailure]:
    """Each failure once: a file found by the walk may also be read by a loader (a GitLab include)."""
    seen: set[tuple[str, int, int, str]] = set()
    kept = []
    for failure in failures:
        key = (failure.path, failure.line, failure.column, failure.reason)
        if key not in seen:
            seen.add(key)
            kept.append(failure)
    return kept


def evaluate(
    documents: DocumentSet,
    policies: Iterable[Policy],
    options: EngineOptions | None = None,
    report_paths: set[str] | None = None,
) -> list[Finding]:
    """Every finding of `policies` over `documents`, without parse errors or suppressions.

    `report_paths`, when given, limits reporting to documents of those paths (the others still
    take part in relations: pre-commit's context mode).
    """
    return list(evaluate_iter(documents, policies, options, report_paths))


def evaluate_iter(
    documents: DocumentSet,
    policies: Iterable[Policy],
    options: EngineOptions | None = None,
    report_paths: set[str] | None = None,
) -> Iterator[Finding]:
    """`evaluate`'s findings as they are made, a document at a time: a caller that streams them
    holds no more than one document's (policylint.runner, issue 24's memory per finding)."""
    from policylint.core.kinds import get_relation, get_target

    options = options or EngineOptions()
    by_file_kind: dict[str, list[_Compiled]] = defaultdict(list)
    for policy in policies:
        severity = options.severity_overrides.get(policy.id, policy.severity)
        by_file_kind[policy.file_kind].append(_Compiled(policy, severity, policy.id in options.severity_overrides))

    # The policies that can match each (file kind, kind), in policy order, worked out once per pair.
    by_kind: dict[tuple[str, str], list[_Compiled]] = {}
    for doc in documents:
        findings: list[Finding] = []
        if report_paths is not None and doc.path not in report_paths:
            continue
        kind = doc.kind
        applicable = by_kind.get((doc.file_kind, kind))
        if applicable is None:
            applicable = by_kind[(doc.file_kind, kind)] = [
                compiled for compiled in by_file_kind.get(doc.file_kind, ())
                if compiled.kinds is None or kind in compiled.kinds
            ]
        for compiled in applicable:
            policy = compiled.policy
            if policy.relation and doc.incomplete:
                continue  # part of the set was left out: an absence it claims may be that part
            try:
                target = get_target(doc.file_kind, policy.target)
                if target is None:
                    raise LookupError(f"unknown target {policy.target!r}")
                views: Iterable[View] = target(doc, policy.match)
                if policy.relation:
                    relation = get_relation(doc.file_kind, policy.relation)
                    if relation is None:
                        raise LookupError(f"unknown relation {policy.relation!r}")
                    views = [joined for view in views for joined in relation(view, documents, policy.params)]
                for view in views:
                    found = _view_findings(compiled, view)
                    if view.assumes and options.assumptions:
                        from functools import partial

                        from policylint.core.assumptions import with_assumptions

                        found = with_assumptions(found, view, partial(_view_findings, compiled))
                    findings.extend(found)
            except Exception as exc:
                findings.append(
                    Finding(
                        policy_id=POLICY_ERROR,
                        severity=POLICY_ERROR_SEVERITY,
                        path=doc.path,
                        line=doc.start_line,
                        column=1,
                        message=f"policy {policy.id} failed on {doc.identity}: {type(exc).__name__}: {exc}",
                        file_kind=doc.file_kind,
                        logical=f"{policy.id}@{doc.identity}",
                    )
                )
        yield from findings


def _view_findings(compiled: _Compiled, view: View) -> list[Finding]:
    """The findings of one compiled policy on one view."""
    compiled.compile()
    assert compiled.condition is not None
    if compiled.when is not None and not compiled.when.is_valid(view.instance):
        return []
    policy = compiled.policy
    if policy.evaluator is not None:  # a user's CEL or Rego policy (policylint.ownpolicies)
        violations = policy.evaluator.violations_in(view)
    else:
        violations = compiled.condition.violations(view.instance)
    return _findings(compiled, view, violations) if violations else []


def _findings(compiled: _Compiled, view: View, violations: list[Violation]) -> list[Finding]:
    policy = compiled.policy
    if policy.report == "first":
        # Some validators walk sets (additionalProperties extras), whose order follows the hash seed:
        # take the violation earliest in the file (a stable sort keeps schema order among equals).
        def place(violation: Violation) -> tuple[str, int, int]:
            doc, position, _ = view.locate(violation.path)
            return doc.path, position.line, position.column

        violations = [min(violations, key=place)] if len(violations) > 1 else violations
    result: list[Finding] = []
    seen: set[tuple[Any, ...]] = set()
    severity = compiled.severity_for(view)
    for violation in violations:
        anchor, _ = view.anchor_for(violation.path)
        path = violation.path
        if policy.report_at is not None and (not path or anchor is view.anchors.get(())):
            path = tuple(int(step) if step.isdigit() else step for step in policy.report_at.strip("/").split("/") if step)
        doc, position, _ = view.locate(path)
        key = (doc.path, position.line, position.column)
        if policy.evaluator is not None:  # a user's policy: several messages at one place are several findings
            key = (*key, violation.reason)
        if key in seen:
            continue
        seen.add(key)
        value = view.value_at(violation.path)
        fields = {**policy.params, **view.fields, "reason": violation.reason, "value": value, "title": policy.title,
                  **_place_fields(view, violation.path)}
        message = render_message(policy.message, fields)
        related = tuple(
            Location(anchor_doc.document.path, *_line_col(anchor_doc.document, anchor_doc.pointer), note)
            for anchor_doc, note in view.related
        )
        if doc.origin:
            message = f"{message} ({doc.origin})"  # shortened by the runner, after variants are de-duplicated
        result.append(
            Finding(
                policy_id=policy.id,
                severity=getattr(violation, "severity", None) or severity,
                path=doc.path,
                line=position.line,
                column=position.column,
                message=message,
                file_kind=doc.file_kind,
                resource_kind=doc.kind,
                resource_namespace=doc.namespace if doc.is_object else "",
                resource_name=doc.name,
                logical=f"{view.label}#{'/'.join(map(str, violation.path))}",
                related=related,
                fix=_fix_plan(policy, view, violation.path, value) if policy.fix else None,
            )
        )
    return result


def _fix_plan(policy: Policy, view: View, path: tuple[str | int, ...], value: Any) -> Any:
    """Where and what the policy's fix changes for this finding (resolved into edits only when
    a run fixes or reports fixes: policylint.core.fixes)."""
    from policylint.core.fixes import FixPlan

    fix = policy.fix
    assert fix is not None
    if "when" in fix:
        if policy._fix_when is None:
            policy._fix_when = Condition(fix["when"])
        if not policy._fix_when.is_valid(view.instance):
            return None
    at = fix.get("at", "")
    if at == "$violation":
        view_path: tuple[str | int, ...] = path
    elif at == "$document":
        view_path = ()
    else:
        view_path = tuple(int(step) if step.isdigit() else step for step in at.strip("/").split("/") if step)
    if at == "$document":
        from policylint.core.views import Anchor

        anchor, pointer, view_path = Anchor(view.subject, ()), (), ()
    else:
        anchor, pointer = view.anchor_for(view_path)
    violation_anchor, violation_pointer = view.anchor_for(path)
    document = anchor.document
    values = {key: item for key, item in view.fields.items() if isinstance(item, (str, int, float, bool)) or item is None}
    values["value"] = value if isinstance(value, (str, int, float, bool)) or value is None else None
    part = view.value_at(view_path)
    if isinstance(part, Mapping):  # the scalars of the part the fix is at (a Dockerfile instruction's end_line)
        values.update({f"at.{key}": item for key, item in part.items() if isinstance(item, (str, int, float, bool))})
    position, _ = document.position(pointer)
    values.update(fix.get("params") or {})
    return FixPlan(
        policy_id=policy.id,
        applicability=fix["applicability"],
        description=fix["description"],
        path=document.path,
        file_kind=document.file_kind,
        doc_line=document.start_line,
        pointer=(*document.pointer_prefix, *pointer),
        operations=tuple(fix.get("operations") or ()),
        code=fix.get("code", ""),
        values=values,
        origin=document.origin,
        violation_pointer=(*violation_anchor.document.pointer_prefix, *violation_pointer),
        line=position.line,
    )


def _place_fields(view: View, path: tuple[str | int, ...]) -> dict[str, Any]:
    """`{item}`: the list entry the violation is in (e.g. an env var); `{key}`: the last mapping key on its path.

    They let a message name *what* is wrong (`env var {item[name]}`) without quoting the value itself.
    """
    fields: dict[str, Any] = {}
    for index in range(len(path) - 1, -1, -1):
        if isinstance(path[index], int):
            fields["item"] = view.value_at(path[: index + 1])
            break
    keys = [step for step in path if isinstance(step, str)]
    if keys:
        fields["key"] = keys[-1]
    return fields


def _line_col(doc: Document, pointer: tuple[Any, ...]) -> tuple[int, int]:
    position, _ = doc.position(pointer)
    return position.line, position.column


def policy_problem_findings(problems: Iterable[Any]) -> list[Finding]:
    """One `policy-error` at the file and line of each user policy that could not be loaded."""
    return [
        Finding(
            policy_id=POLICY_ERROR,
            severity=POLICY_ERROR_SEVERITY,
            path=problem.path,
            line=problem.line,
            column=problem.column,
            message=f"cannot load policy: {problem.message}",
            logical=f"policy-load@{problem.message}",
        )
        for problem in problems
    ]


def run(
    load: LoadResult,
    policies: Iterable[Policy],
    options: EngineOptions | None = None,
    report_paths: set[str] | None = None,
    evaluated: Iterable[Finding] = (),
) -> list[Finding]:
    """Parse errors plus policy findings for a loaded set, fingerprinted and sorted.

    `evaluated`: findings of other policies already evaluated on this set (by worker processes).
    """
    return assign_fingerprints(list(findings_of(load, policies, options, report_paths, evaluated)))


def findings_of(
    load: LoadResult,
    policies: Iterable[Policy],
    options: EngineOptions | None = None,
    report_paths: set[str] | None = None,
    evaluated: Iterable[Finding] = (),
) -> Iterator[Finding]:
    """`run`'s findings before they are numbered, as they are made: parse errors, `evaluated`,
    then each document's (a file's findings may come apart: a relation reports at another file)."""
    for finding in parse_error_findings(load):
        if report_paths is None or finding.path in report_paths:
            yield finding
    yield from evaluated
    documents = DocumentSet(load.documents)
    try:
        yield from evaluate_iter(documents, policies, options, report_paths)
    finally:
        documents.release()
