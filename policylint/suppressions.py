"""Suppressions: inline comments, file-level comments, Kubernetes annotations, config and baseline.

A suppressed finding is kept (with `Finding.suppression`) so every report can show and count it.
Each suppression names its policies and gives a reason; one without either is refused and
reported as a `suppression-invalid` finding. One past its `until=` date stops working and says so
(`suppression-expired`). With `--warn-unused-suppressions` the ones that matched nothing are
reported as `suppression-unused` (these never fail a run).

Forms (documented in the README):

    image: app:1.0  # policylint: ignore[k8s-image-tag-latest] -- reason
    # policylint: ignore[k8s-run-as-root,k8s-privilege-escalation] until=2026-12-31 -- reason
    # policylint: ignore-file[docker-user-root] -- reason
    metadata: {annotations: {policylint.io/ignore: "k8s-run-as-root: reason until=2026-12-31; other-id: reason"}}

A trailing comment covers its own line; a comment on a line of its own covers the next line that is
not itself a comment (so several can be stacked). In YAML, when that line opens a node (a sequence
item: a container, a step; or a key whose value is a block below it: a job, a service,
`securityContext:`), the comment covers the whole node, every line indented under it. On a leaf key
(`image: app:1.0`) it covers that line only. A comment that starts with `policylint:` but is none of
these forms (`# policylint: disable=...`) is refused as `suppression-invalid`, never silently ignored.
Source text comes from `LoadResult.sources`: files are never read twice.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from policylint.core.findings import PARSE_ERROR, POLICY_ERROR, Finding, Location, Suppression, occurrences
from policylint.core.records import field, record, replace
from policylint.gitinfo import anchored_path

if TYPE_CHECKING:
    from policylint.core.documents import Document, LoadResult
    from policylint.core.policies import Policy, PolicySet
    from policylint.options import RunOptions

SUPPRESSION_INVALID = "suppression-invalid"
SUPPRESSION_EXPIRED = "suppression-expired"
SUPPRESSION_UNUSED = "suppression-unused"
META_IDS = (SUPPRESSION_INVALID, SUPPRESSION_EXPIRED, SUPPRESSION_UNUSED)
#: Findings that are reported but never change the exit code.
NON_FAILING = frozenset({SUPPRESSION_UNUSED})
META_SEVERITY = "low"
#: Findings no suppression may hide: the file (or a policy) could not be checked at all.
UNSUPPRESSIBLE = frozenset({PARSE_ERROR, *META_IDS})

ANNOTATION = "policylint.io/ignore"
#: 2: fingerprints and paths relative to the repository root (policylint.gitinfo.anchored_path).
#: 1: relative to the working folder; still read, matched by the fingerprints of that folder.
BASELINE_VERSION = 2
BASELINE_VERSIONS_READ = (1, 2)

_COMMENT = r"(?:^|(?<=\s))#\s*policylint\s*:\s*(?P<scope>ignore-file|ignore)(?![\w-])(?P<rest>.*)$"
_UNTIL = r"\buntil\s*=\s*(?P<date>\S+)"
#: Any comment addressed to policylint: one that is not a valid form above is refused, not ignored.
_ANY_COMMENT = r"(?:^|(?<=\s))#\s*policylint\s*:(?P<rest>.*)$"
ACCEPTED_FORMS = ("# policylint: ignore[<policy-id>,...] [until=YYYY-MM-DD] -- <reason>",
                  "# policylint: ignore-file[<policy-id>,...] [until=YYYY-MM-DD] -- <reason>")
#: File kinds whose comments may cover a whole YAML node (the others: the exact line).
_LINE_ONLY_KINDS = frozenset({"dockerfile"})


@cache
def _pattern(source: str) -> re.Pattern[str]:
    """Compiled on first use: most runs meet no suppression, and compiling costs start-up time."""
    return re.compile(source)


class SuppressionError(Exception):
    """The baseline file cannot be used (exit 2)."""


@record
class Directive:
    """One suppression as written: where, which policies, why, until when, and what it covers."""

    kind: str  # inline | file | annotation | config
    path: str
    line: int
    column: int
    policy_ids: tuple[str, ...]
    reason: str
    expires: datetime.date | None = None
    lines: frozenset[int] = frozenset()
    resource: tuple[str, str, str] | None = None
    globs: tuple[str, ...] = ()
    problem: str = ""
    file_kind: str = ""
    used: bool = field(default=False, compare=False)

    @property
    def label(self) -> str:
        """How the suppression is named in messages."""
        ids = ",".join(self.policy_ids) or "(no policy id)"
        return {"file": f"ignore-file[{ids}]", "annotation": f"annotation {ANNOTATION} ({ids})",
                "config": f"config ignore ({ids})"}.get(self.kind, f"ignore[{ids}]")

    def covers(self, finding: Finding) -> bool:
        """True when this directive applies to the finding's place (not checking the policy id)."""
        if self.kind == "config":
            return not self.globs or any(
                fnmatchcase(finding.path, glob) or fnmatchcase(finding.path, glob.rstrip("/") + "/*")
                or (glob.endswith("/**") and finding.path.startswith(glob[:-3] + "/"))
                for glob in self.globs
            )
        if finding.path != self.path:
            return False
        if self.kind == "inline":
            return finding.line in self.lines
        if self.kind == "annotation":
            return (finding.resource_kind, finding.resource_namespace, finding.resource_name) == self.resource
        return True


def _parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _outside_quotes(prefix: str) -> bool:
    """False when a `#` after `prefix` sits inside a quoted YAML scalar on the same line."""
    double = len(re.findall(r'(?<!\\)"', prefix)) % 2
    single = prefix.count("'") % 2
    return not double and not single


def parse_comments(path: str, text: str, file_kind: str = "") -> list[Directive]:
    """Every `# policylint: ignore...` comment of one file."""
    if "policylint" not in text:  # most files have none: skip the per-line scan
        return []
    lines = text.split("\n")
    found: list[Directive] = []
    pending: list[Directive] = []  # comment-only lines waiting for the next code line
    comment, anything = _pattern(_COMMENT), _pattern(_ANY_COMMENT)
    by_node = file_kind not in _LINE_ONLY_KINDS
    for number, line in enumerate(lines, start=1):
        match = comment.search(line)
        if match is not None and not _outside_quotes(line[: match.start()]):
            match = None
        stripped = line.strip()
        comment_only = stripped.startswith("#")
        if pending and not comment_only:
            covered = _node_lines(lines, number) if by_node else frozenset({number})
            for directive in pending:
                directive.lines = covered
            pending = []
        if match is None:
            other = anything.search(line)
            if other is not None and _outside_quotes(line[: other.start()]):
                found.append(_unknown_form(path, number, other.start() + 1, other.group("rest"), file_kind))
            continue
        directive = _directive(path, number, match.start() + 1, match.group("scope"), match.group("rest"))
        directive.file_kind = file_kind
        if directive.kind == "inline":
            if comment_only:
                pending.append(directive)
            else:
                directive.lines = _node_lines(lines, number) if by_node else frozenset({number})
        found.append(directive)
    return found


def _unknown_form(path: str, line: int, column: int, rest: str, file_kind: str) -> Directive:
    """A `# policylint:` comment of no accepted form: refused with the forms that work."""
    written = rest.strip()
    directive = Directive("inline", path, line, column, (), "", file_kind=file_kind)
    directive.problem = (f"'policylint: {written}' is not a suppression policylint reads; "
                         f"write {ACCEPTED_FORMS[0]!r} (this line, or the node it opens) or {ACCEPTED_FORMS[1]!r}")
    return directive


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _node_lines(lines: Sequence[str], number: int) -> frozenset[int]:
    """The lines of the YAML node that line `number` opens (1-based): the line alone for a leaf.

    A sequence item (`- name: app`) holds the lines indented past its dash; a key with nothing
    after the colon but a comment, an anchor, a tag or a block-scalar indicator (`securityContext:`,
    `build:`, `run: |`) holds the lines indented past the key, and a sequence written at the key's
    own indent. Blank and comment lines inside count; the node ends at the first line back at or
    left of where it opened.
    """
    text = lines[number - 1]
    code = text.split(" #", 1)[0].rstrip()
    body = code.lstrip(" ")
    indent = _indent(code)
    if body.startswith("- ") or body == "-":
        limit, same_indent_dash = indent, False
    elif re.fullmatch(r"[^\s#][^#]*?:(\s+(&\S+|!\S+|[|>][-+0-9]*))*", body):
        limit, same_indent_dash = indent, True
    else:
        return frozenset({number})
    covered = {number}
    for index in range(number, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current = _indent(line)
        if current > limit or (same_indent_dash and current == limit and stripped.startswith("-")
                               and (stripped == "-" or stripped.startswith("- "))):
            covered.add(index + 1)
            continue
        break
    return frozenset(covered)


def _directive(path: str, line: int, column: int, scope: str, rest: str) -> Directive:
    kind = "file" if scope == "ignore-file" else "inline"
    rest = rest.strip()
    ids_text = ""
    if rest.startswith("["):
        close = rest.find("]")
        ids_text, rest = (rest[1:close], rest[close + 1 :]) if close >= 0 else (rest[1:], "")
    options, _, reason = rest.partition("--")
    options, reason = options.strip(), reason.strip()
    ids = tuple(item.strip() for item in ids_text.split(",") if item.strip())
    directive = Directive(kind, path, line, column, ids, reason)
    until = _pattern(_UNTIL).search(options)
    if until is not None:
        directive.expires = _parse_date(until.group("date"))
        if directive.expires is None:
            directive.problem = f"until={until.group('date')} is not a date (write until=YYYY-MM-DD)"
        options = (options[: until.start()] + options[until.end():]).strip()
    if not ids:
        directive.problem = (f"policylint: {scope} without a policy id is refused; "
                             f"name the policies: {scope}[<policy-id>] -- <reason>")
    elif options:
        directive.problem = f"unexpected text {options!r} (write {scope}[<ids>] until=YYYY-MM-DD -- <reason>)"
    elif not reason:
        directive.problem = f"{directive.label} has no reason; add ' -- <why this is acceptable>'"
    return directive


def parse_annotations(doc: Document) -> list[Directive]:
    """The `policylint.io/ignore` annotation of a Kubernetes object and of its pod template."""
    from policylint.kinds.kubernetes.workloads import pod_metadata_pointer

    if doc.file_kind != "kubernetes":
        return []
    found: list[Directive] = []
    pointers = [("metadata",)]
    template = pod_metadata_pointer(doc.kind)
    if template and template != ("metadata",):
        pointers.append(template)
    for metadata_pointer in pointers:
        pointer = (*metadata_pointer, "annotations", ANNOTATION)
        value = doc.get(pointer)
        if value is None:
            continue
        position, _ = doc.position(pointer)
        resource = (doc.kind, doc.namespace, doc.name)
        if not isinstance(value, str):
            found.append(Directive("annotation", doc.path, position.line, position.column, (), "", resource=resource,
                                   problem=f"{ANNOTATION} must be a string: \"<policy-id>: <reason>; ...\"",
                                   file_kind=doc.file_kind))
            continue
        for entry in (part.strip() for part in re.split(r"[;\n]", value)):
            if not entry:
                continue
            ids_text, colon, reason = entry.partition(":")
            ids = tuple(item.strip() for item in ids_text.split(",") if item.strip()) if colon else ()
            directive = Directive("annotation", doc.path, position.line, position.column, ids, "",
                                  resource=resource, file_kind=doc.file_kind)
            until = _pattern(_UNTIL).search(reason)
            if until is not None:
                directive.expires = _parse_date(until.group("date"))
                if directive.expires is None:
                    directive.problem = f"until={until.group('date')} is not a date (write until=YYYY-MM-DD)"
                reason = reason[: until.start()] + reason[until.end():]
            directive.reason = reason.strip()
            if not ids or not all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", item) for item in ids):
                directive.problem = (f"{ANNOTATION} entry {entry!r} names no policy id; "
                                     "write \"<policy-id>: <reason>\" (a blanket suppression is refused)")
            elif not directive.reason:
                directive.problem = f"{directive.label} has no reason; write \"<policy-id>: <reason>\""
            found.append(directive)
    return found


def config_directives(rules: Iterable[Any]) -> list[Directive]:
    """Directives for the config file's `ignore:` entries (policylint.config.IgnoreRule)."""
    found = []
    for rule in rules:
        directive = Directive("config", rule.source, rule.line, 1, tuple(rule.policies), rule.reason,
                              globs=tuple(rule.paths))
        if rule.expires:
            directive.expires = _parse_date(rule.expires)
            if directive.expires is None:
                directive.problem = f"expires {rule.expires!r} is not a date (YYYY-MM-DD)"
        found.append(directive)
    return found


def _canonical(directives: list[Directive], policy_set: PolicySet) -> None:
    """Map aliases to ids; refuse directives that name a policy nobody has (with a suggestion)."""
    from policylint.catalog import BUILTIN_FINDINGS

    known = set(policy_set.policies) | {POLICY_ERROR} | (set(BUILTIN_FINDINGS) - UNSUPPRESSIBLE)
    aliases = {alias: policy.id for policy in policy_set for alias in policy.aliases}
    for directive in directives:
        if directive.problem:
            continue
        ids = []
        for item in directive.policy_ids:
            if item in known:
                ids.append(item)
            elif item in aliases:
                ids.append(aliases[item])
            else:
                from policylint.core.suggest import did_you_mean

                directive.problem = f"{directive.label} names unknown policy {item!r}{did_you_mean(item, known)}"
                break
        directive.policy_ids = tuple(ids)


def _meta(policy_id: str, directive: Directive, message: str) -> Finding:
    path, line, column = directive.path, directive.line, directive.column
    return Finding(
        policy_id=policy_id,
        severity=META_SEVERITY,
        path=path,
        line=line,
        column=column,
        message=message,
        file_kind=directive.file_kind,
        logical=f"{policy_id}:{directive.kind}:{','.join(directive.policy_ids)}:{directive.reason}",
    )


def comment_directives(load: LoadResult, report_paths: set[str]) -> list[Directive]:
    """The suppression comments of the reported files, in path order."""
    comments: list[Directive] = []
    kinds = {doc.path: doc.file_kind for doc in load.documents}
    for path in sorted(load.sources):
        if path in report_paths:
            comments.extend(parse_comments(path, load.sources[path], kinds.get(path, "")))
    return comments


def file_directives(load: LoadResult, report_paths: set[str]) -> tuple[list[Directive], list[Directive]]:
    """The suppression comments (files in path order) and annotations (documents in set order) of the reported files."""
    annotations = [directive for doc in load.documents if doc.path in report_paths for directive in parse_annotations(doc)]
    return comment_directives(load, report_paths), annotations


class Suppressor:
    """Suppressions applied a share of the run at a time (a unit, policylint.runner).

    A finding is covered only by directives of its own file, or by the configuration's; so each
    unit's findings are marked with that unit's comments and annotations plus the configuration's
    entries, and the findings about suppressions themselves (`problems`) come once, at the end,
    from every directive of the run.
    """

    _ORDER: ClassVar[dict[str, int]] = {"inline": 0, "annotation": 1, "file": 2, "config": 3}

    def __init__(self, options: RunOptions, policy_set: PolicySet, policies: Sequence[Policy],
                 today: datetime.date | None = None) -> None:
        self.enabled = options.use_suppressions
        self.options = options
        self.policy_set = policy_set
        self.ran = {policy.id for policy in policies}
        self.today = today or datetime.date.today()
        self.config = config_directives(options.ignore_rules) if self.enabled else []
        _canonical(self.config, policy_set)
        baseline = options.baseline if self.enabled else None
        self.baseline = read_baseline(baseline) if baseline is not None else None

    def _usable(self, directives: Iterable[Directive]) -> list[Directive]:
        return sorted((d for d in directives if not d.problem and (d.expires is None or d.expires >= self.today)),
                      key=lambda d: self._ORDER[d.kind])

    def prepare(self, comments: Sequence[Directive] = (), annotations: Sequence[Directive] = ()) -> list[Directive]:
        """The directives that may cover findings of the files `comments` and `annotations` come
        from (their aliases resolved), with the configuration's, in the order they apply: a share of
        the run prepares them once and marks its findings a file at a time (`mark(prepared=)`)."""
        if not self.enabled:
            return []
        own = [*comments, *annotations]
        _canonical(own, self.policy_set)
        return self._usable([*own, *self.config])

    def mark(self, findings: Iterable[Finding], comments: Sequence[Directive] = (),
             annotations: Sequence[Directive] = (), prepared: list[Directive] | None = None) -> list[Finding]:
        """`findings` with the suppression that covers each (the first, inline before annotation,
        file and configuration), then the baseline's; `comments` and `annotations` are the
        directives of the files these findings are in (their aliases are resolved here), or
        `prepared` is what `prepare` made of them."""
        if not self.enabled:
            return list(findings)
        usable = prepared if prepared is not None else self.prepare(comments, annotations)
        result: list[Finding] = []
        for finding in findings:
            if finding.policy_id not in UNSUPPRESSIBLE and finding.suppression is None:
                for directive in usable:
                    if finding.policy_id in directive.policy_ids and directive.covers(finding):
                        directive.used = True
                        finding = replace(finding, suppression=Suppression(
                            directive.kind, directive.reason,
                            directive.expires.isoformat() if directive.expires else "",
                            Location(directive.path, directive.line, directive.column),
                        ))
                        break
            result.append(finding)
        if self.baseline is not None:
            result = apply_baseline(result, self.baseline, str(self.options.baseline))
        return result

    def problems(self, comments: Sequence[Directive], annotations: Sequence[Directive]) -> list[Finding]:
        """The findings about suppressions of the whole run: refused, expired, and (with
        `warn_unused_suppressions`) unused ones; `comments` and `annotations` are every file
        directive of the run, in path and document order, already passed to `mark`."""
        if not self.enabled:
            return []
        meta: list[Finding] = []
        for directive in [*comments, *annotations, *self.config]:
            if directive.problem:
                meta.append(_meta(SUPPRESSION_INVALID, directive, f"suppression refused: {directive.problem}"))
            elif directive.expires is not None and directive.expires < self.today:
                meta.append(_meta(SUPPRESSION_EXPIRED, directive,
                                  f"{directive.label} expired on {directive.expires.isoformat()} and no longer applies "
                                  f"(reason was: {directive.reason})"))
            elif (self.options.warn_unused_suppressions and not directive.used
                  and set(directive.policy_ids) <= self.ran):
                meta.append(_meta(SUPPRESSION_UNUSED, directive, f"{directive.label} matches no finding; remove it"))
        counts: dict[str, int] = {}
        result = []
        for finding in meta:
            occurrence = counts.get(finding.logical + finding.path, 0)
            counts[finding.logical + finding.path] = occurrence + 1
            result.append(finding.with_fingerprint(occurrence, anchored_path(finding.path, self.options.anchor)))
        return result


# Baseline ---------------------------------------------------------------------------------------


def baseline_entries(findings: Iterable[Finding], anchor: str = "") -> list[dict[str, Any]]:
    """What a baseline records: today's unsuppressed policy findings, by line-independent fingerprint.

    Findings already matched by the baseline in use are kept, so rewriting a baseline never drops them.
    Paths are relative to `anchor` (the repository root), like the fingerprints.

    Parse errors, policy errors and findings about suppressions are never recorded: they mean a
    file was not really checked, which a baseline must not hide.
    """
    entries = [
        {
            "fingerprint": finding.fingerprint,
            "rule_id": finding.policy_id,
            "path": anchored_path(finding.path, anchor),
            "resource": "/".join(
                part for part in (finding.resource_kind, finding.resource_namespace, finding.resource_name) if part
            ),
            "message": finding.message,
        }
        for finding in findings
        if (finding.suppression is None or finding.suppression.kind == "baseline")
        and finding.policy_id not in (PARSE_ERROR, POLICY_ERROR, *META_IDS)
    ]
    entries.sort(key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))
    return entries


def write_baseline(path: Path, findings: Iterable[Finding], anchor: str = "") -> int:
    """Write the baseline file (sorted, stable JSON); returns the number of entries."""
    entries = baseline_entries(findings, anchor)
    document = {"version": BASELINE_VERSION, "tool": "policylint", "paths": "relative to the repository root",
                "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SuppressionError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
    return len(entries)


def read_baseline(path: Path) -> set[str]:
    """The fingerprints a baseline file records (either format: see BASELINE_VERSION)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuppressionError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise SuppressionError(f"{path}: not a policylint baseline (invalid JSON: {exc})") from exc
    valid = isinstance(data, Mapping) and data.get("version") in BASELINE_VERSIONS_READ
    if not valid or not isinstance(data.get("findings"), list):
        raise SuppressionError(f"{path}: not a policylint baseline (expected version {BASELINE_VERSION} with findings)")
    return {str(entry.get("fingerprint")) for entry in data["findings"] if isinstance(entry, Mapping)}


def _working_folder_fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Each finding's fingerprint as baselines of version 1 recorded it (path as shown), in order."""
    result = [""] * len(findings)
    for index, occurrence in occurrences(findings):
        result[index] = findings[index].with_fingerprint(occurrence).fingerprint
    return result


def apply_baseline(findings: Iterable[Finding], fingerprints: set[str], source: str) -> list[Finding]:
    """Mark findings recorded in the baseline as suppressed (kind `baseline`).

    A finding matches by its fingerprint, or by the one a version-1 baseline written from the
    working folder would hold for it (so existing baselines keep working).
    """
    justification = f"recorded in baseline {source}"
    findings = list(findings)
    legacy = _working_folder_fingerprints(findings)
    return [
        replace(finding, suppression=Suppression("baseline", justification))
        if finding.suppression is None and (finding.fingerprint in fingerprints or old in fingerprints)
        and finding.policy_id not in (PARSE_ERROR, POLICY_ERROR, *META_IDS)
        else finding
        for finding, old in zip(findings, legacy, strict=True)
    ]
