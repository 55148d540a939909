"""Findings: what the engine reports and every reporter renders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from policylint.core.digests import sha256
from policylint.core.records import field, record, replace

SEVERITIES = ("critical", "high", "medium", "low")
SEVERITY_RANK = {name: rank for rank, name in enumerate(reversed(SEVERITIES), start=1)}
#: `--fail-on never` makes every run exit 0 unless the input itself is unusable.
FAIL_ON_CHOICES = (*SEVERITIES, "never")

#: The longest message a finding shows (an annotation, a terminal line); longer text is shortened.
MESSAGE_LIMIT = 300

PARSE_ERROR = "parse-error"
POLICY_ERROR = "policy-error"


@record(frozen=True, slots=True)
class Location:
    """A place in a scanned file."""

    path: str
    line: int
    column: int = 1
    message: str = ""


@record(frozen=True, slots=True)
class Suppression:
    """Why a finding is not counted: the kind of suppression and the justification given."""

    kind: str  # inline | file | annotation | config | baseline
    justification: str
    expires: str = ""
    location: Location | None = None


@record(frozen=True, slots=True)
class Finding:
    """One violation of one policy at one place.

    `logical` names the place without its line (e.g. `Deployment/default/api#container[app]`),
    so the fingerprint survives edits that move lines.
    """

    policy_id: str
    severity: str
    path: str
    line: int
    column: int
    message: str
    file_kind: str = ""
    resource_kind: str = ""
    resource_namespace: str = ""
    resource_name: str = ""
    logical: str = ""
    related: tuple[Location, ...] = ()
    suppression: Suppression | None = None
    fingerprint: str = field(default="")
    #: How to fix it (policylint.core.fixes.FixPlan), when its policy has a fix; not part of equality.
    fix: Any = field(default=None, compare=False, repr=False)
    #: Run-wide facts (policylint.core.assumptions) this finding's truth rests on, found in one unit
    #: of a split run: it holds while none of them exists elsewhere (with `assumes_present`: only
    #: when one does). Not part of equality or of any output.
    assumes: frozenset[Any] = field(default=frozenset(), compare=False, repr=False)
    assumes_present: bool = field(default=False, compare=False, repr=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order used everywhere: file, line, column, policy id, fingerprint."""
        return (self.path, self.line, self.column, self.policy_id, self.fingerprint)

    def with_fingerprint(self, occurrence: int = 0, path: str | None = None) -> Finding:
        """A copy with the stable fingerprint set (line-independent).

        `path` is the file as the fingerprint names it (default: as shown); the runner passes it
        relative to the repository root, so fingerprints do not depend on the working folder.
        """
        where = self.path if path is None else path
        basis = "\x1f".join((self.policy_id, where, self.logical or f"line {self.line}", str(occurrence)))
        return replace(self, fingerprint=sha256(basis.encode()).hexdigest()[:32])


def assign_fingerprints(findings: list[Finding], path_of: Callable[[str], str] | None = None) -> list[Finding]:
    """Give each finding its fingerprint; identical logical places are told apart by their order.

    `path_of` maps a finding's path to the one its fingerprint names (default: the path as shown).
    """
    result = [
        findings[index].with_fingerprint(occurrence, None if path_of is None else path_of(findings[index].path))
        for index, occurrence in occurrences(findings)
    ]
    result.sort(key=lambda f: f.sort_key)
    return result


def occurrences(findings: Sequence[Finding]) -> list[tuple[int, int]]:
    """(index, occurrence) of each finding, in file order; the occurrence counts the findings of the
    same policy, path and logical place before it (it tells identical places apart in a fingerprint)."""
    seen: dict[tuple[str, str, str], int] = {}
    result = []
    for index in sorted(range(len(findings)), key=lambda i: (findings[i].path, findings[i].line, findings[i].column,
                                                             findings[i].policy_id, findings[i].message)):
        finding = findings[index]
        key = (finding.policy_id, finding.path, finding.logical or f"line {finding.line}")
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        result.append((index, occurrence))
    return result


def severity_at_least(severity: str, threshold: str) -> bool:
    """True when `severity` is at or above `threshold` (`never` is above everything)."""
    if threshold == "never":
        return False
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[threshold]


def split_superseded(findings: list[Finding], supersedes: Mapping[str, Iterable[str]]) -> tuple[list[Finding], list[Finding]]:
    """(shown, superseded): a finding whose node a more specific policy also reports is not shown.

    `supersedes` maps a policy id to the ids it stands for (a policy's `supersedes:`). One place is
    reported once (`k8s-host-path-volume` rather than also `k8s-restricted-volume-type`); the
    superseded findings stay evidence for their own controls in the compliance report.
    """
    if not supersedes:
        return findings, []
    covered: set[tuple[str, str, int, int]] = {
        (hidden, finding.path, finding.line, finding.column)
        for finding in findings
        for hidden in supersedes.get(finding.policy_id, ())
    }
    if not covered:
        return findings, []
    shown, superseded = [], []
    for finding in findings:
        key = (finding.policy_id, finding.path, finding.line, finding.column)
        (superseded if key in covered else shown).append(finding)
    return shown, superseded


def shortened(message: str, suffix: str = "") -> str:
    """`message` plus `suffix` (where the object came from) in at most MESSAGE_LIMIT characters.

    The message is cut first, with an ellipsis, so the suffix that says where it came from stays.
    Without a suffix the middle goes: a message's start says what failed and its end often what to do.
    """
    if len(message) + len(suffix) <= MESSAGE_LIMIT:
        return message + suffix
    room = MESSAGE_LIMIT - len(suffix) - 1
    if suffix and room >= 80:
        return message[:room].rstrip() + "…" + suffix
    text = message + suffix
    head = (MESSAGE_LIMIT - 1) // 2
    return text[:head] + "…" + text[len(text) - (MESSAGE_LIMIT - 1 - head):]


def with_short_messages(findings: list[Finding], origin_markers: Iterable[str] = ()) -> list[Finding]:
    """Findings whose message is at most MESSAGE_LIMIT characters; the origin suffix (the last
    text starting with one of `origin_markers`, e.g. ` (helm chart `) is kept whole when it fits."""
    result = []
    for finding in findings:
        message = finding.message
        if len(message) > MESSAGE_LIMIT:
            cut = max((message.rfind(marker) for marker in origin_markers), default=-1)
            body, suffix = (message[:cut], message[cut:]) if cut > 0 else (message, "")
            finding = replace(finding, message=shortened(body, suffix))
        result.append(finding)
    return result
