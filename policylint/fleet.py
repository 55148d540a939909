"""`policylint report --results FILE...`: one compliance report over the JSON results of many runs.

Each `check --format json` output is read, folded into per-control aggregates and dropped before
the next file is opened, so a thousand results never sit in memory together: what is kept is one
small row per result (its `run` block and one status per control) and, per control, the count
of results in each status and the findings behind failures (counted, not kept).

Status of a control in one result (`STATUSES`):
- `fail`: an unsuppressed finding of a policy mapped to the control;
- `pass`: a mapped policy ran and had a file of its kind to check, and found nothing;
- `not-applicable`: mapped policies ran but no scanned file was of a kind they check;
- `not-run`: no mapped policy ran (deselected, or unknown to the result's policy set).
Across the fleet a control fails when any result fails it, passes when none fails and at least
one passes, else it is not applicable (some ran) or not run.

Results made with another policy set than the one the report maps controls with are flagged
(`different_policy_set`): the same policy id may not mean the same check there. A result without
a `run` block (written by an older policylint) is named after its file and its policies are
known only through its findings.

The N outputs of one `check --shard I/N` run (same plan, options, repository, commit and policy
set) make one row, folded in once all N are read: their findings add up (a unit is in one shard),
the policies that had a file to check join, and the row's run block is shard 1's. Until then only
their counters are kept; shards of a run left incomplete are listed as unreadable.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policylint.frameworks import Control, Framework

STATUSES = ("fail", "pass", "not-applicable", "not-run")
STATUS_LABELS = {"fail": "Fail", "pass": "Pass", "not-applicable": "Not applicable", "not-run": "Not run"}
#: Findings about a file or a suppression, never about a control.
_TOOL_IDS = frozenset({"parse-error", "policy-error", "suppression-invalid", "suppression-expired", "suppression-unused"})


class ResultError(Exception):
    """A file given to --results is not a policylint JSON result."""


@dataclass
class Repository:
    """One result file: who it is, and one status per control (by `framework:control` ref)."""

    name: str
    file: str
    commit: str = ""
    branch: str = ""
    time: str = ""
    version: str = ""
    policy_set: str = ""
    different_policy_set: bool = False
    findings: int = 0
    unverified: int = 0
    statuses: dict[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Controls by status."""
        found = Counter(self.statuses.values())
        return {status: found[status] for status in STATUSES}


@dataclass
class ControlRow:
    """One control across the fleet."""

    control: Control
    policies: list[str]
    counts: Counter[str] = field(default_factory=Counter)
    findings: int = 0
    failing: list[int] = field(default_factory=list)  # indexes into Fleet.repositories

    @property
    def status(self) -> str:
        """The fleet's status for the control."""
        for status in ("fail", "pass", "not-applicable"):
            if self.counts[status]:
                return status
        return "not-run"


@dataclass
class FrameworkRows:
    """A framework's control rows."""

    framework: Framework
    rows: list[ControlRow]

    @property
    def counts(self) -> dict[str, int]:
        """Controls by fleet status."""
        found = Counter(row.status for row in self.rows)
        return {status: found[status] for status in STATUSES}


@dataclass
class Fleet:
    """What the three formats render."""

    policy_set: str
    date: str
    frameworks: list[FrameworkRows]
    repositories: list[Repository] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def result_files(paths: Iterable[str]) -> list[Path]:
    """The files named, with every `*.json` of a named folder (sorted), each once, in the given order."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.update(dict.fromkeys(sorted(item for item in path.rglob("*.json") if item.is_file())))
        else:
            found[path] = None
    return list(found)


def _read(path: Path) -> Mapping[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise ResultError(f"cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ResultError(f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping) or data.get("version") != 1 or not isinstance(data.get("findings"), list):
        raise ResultError("not a policylint result (check --format json, version 1)")
    shard = data.get("shard")
    if shard is not None and not (isinstance(shard, Mapping) and isinstance(shard.get("index"), int)
                                  and isinstance(shard.get("count"), int) and 1 <= shard["index"] <= shard["count"]):
        raise ResultError("not a policylint result (its shard block is not one check --shard writes)")
    return data


@dataclass
class _Shards:
    """The shards of one `check --shard I/N` run read so far: one row once all N are in."""

    count: int
    files: dict[int, str] = field(default_factory=dict)
    #: Shard 1's row: the whole run's run block is shard 1's (policylint.merge).
    first: Repository | None = None
    failing: Counter[str] = field(default_factory=Counter)
    findings: int = 0
    unverified: int = 0
    applicable: set[str] | None = None

    def add(self, index: int, repository: Repository, failing: Counter[str], applicable: set[str] | None) -> None:
        """Fold one shard in: findings add up (a unit is in one shard only), applicable policies join."""
        self.files[index] = repository.file
        if index == 1:
            self.first = repository
        self.failing.update(failing)
        self.findings += repository.findings
        self.unverified += repository.unverified
        if applicable is not None:
            self.applicable = (self.applicable or set()) | applicable

    def row(self) -> Repository:
        """The run's row, once every shard is in."""
        assert self.first is not None
        self.first.findings, self.first.unverified = self.findings, self.unverified
        self.first.file = ", ".join(self.files[index] for index in sorted(self.files))
        return self.first


def _status(policies: Sequence[str], failing: set[str], ran: set[str] | None, applicable: set[str] | None) -> str:
    if any(policy in failing for policy in policies):
        return "fail"
    if ran is None:  # no run block: only findings tell which policies ran
        return "not-run"
    if applicable is not None and any(policy in applicable for policy in policies):
        return "pass"
    return "not-applicable" if any(policy in ran for policy in policies) else "not-run"


def build_fleet(
    files: Sequence[Path],
    frameworks: Mapping[str, Framework],
    selected: Sequence[str],
    index: Mapping[str, list[str]],
    policy_set: str,
    date: str,
) -> Fleet:
    """Fold every result file into the fleet's aggregates, one file at a time."""
    from policylint.frameworks import report_controls

    tables = [FrameworkRows(frameworks[framework_id],
                            [ControlRow(control, list(index.get(control.ref, [])))
                             for control in report_controls(frameworks[framework_id], frameworks)])
              for framework_id in dict.fromkeys(selected)]
    fleet = Fleet(policy_set, date, tables)
    pending: dict[tuple[Any, ...], _Shards] = {}
    for path in files:
        try:
            data = _read(path)
        except ResultError as exc:
            fleet.unreadable.append((str(path), str(exc)))
            continue
        run = data.get("run") if isinstance(data.get("run"), Mapping) else {}
        tool = data.get("tool") if isinstance(data.get("tool"), Mapping) else {}
        digest = str(run.get("policy_set") or tool.get("policy_set") or "")
        repository = Repository(
            name=str(run.get("repository") or path.stem), file=str(path), commit=str(run.get("commit") or ""),
            branch=str(run.get("branch") or ""), time=str(run.get("time") or ""),
            version=str(run.get("policylint") or tool.get("version") or ""), policy_set=digest,
            different_policy_set=digest != policy_set,
        )
        failing: Counter[str] = Counter()
        for finding in data["findings"]:
            if not isinstance(finding, Mapping) or finding.get("suppressed"):
                continue
            rule = str(finding.get("rule_id", ""))
            if rule in ("parse-error", "policy-error"):
                repository.unverified += 1
            if rule not in _TOOL_IDS:
                failing[rule] += 1
                repository.findings += 1
        ran = set(run["policies"]) if isinstance(run.get("policies"), list) else None
        applicable = set(run["applicable"]) if isinstance(run.get("applicable"), list) else None
        shard = data.get("shard")
        if shard is not None:  # one repository checked by N jobs (check --shard): one row once all are read
            key = (shard.get("plan"), shard.get("options"), shard["count"], repository.name, repository.commit, digest)
            group = pending.setdefault(key, _Shards(shard["count"]))
            if shard["index"] in group.files:
                fleet.unreadable.append((str(path), f"shard {shard['index']}/{shard['count']} already read from "
                                                    f"{group.files[shard['index']]}; left out"))
                continue
            group.add(shard["index"], repository, failing, applicable)
            if len(group.files) < group.count:
                continue
            del pending[key]
            repository, failing, applicable = group.row(), group.failing, group.applicable
        position = len(fleet.repositories)
        failed = set(failing)
        for table in tables:
            for row in table.rows:
                status = _status(row.policies, failed, ran, applicable)
                repository.statuses[row.control.ref] = status
                row.counts[status] += 1
                if status == "fail":
                    row.findings += sum(failing[policy] for policy in row.policies)
                    row.failing.append(position)
        fleet.repositories.append(repository)
        del data  # the next file is read only now
    for group in pending.values():
        missing = ", ".join(f"{index}/{group.count}" for index in range(1, group.count + 1) if index not in group.files)
        fleet.unreadable.append((", ".join(group.files[index] for index in sorted(group.files)),
                                 f"shards of one run without shard {missing}: left out (give every shard)"))
    return fleet
