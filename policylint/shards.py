"""`check --shard I/N`: one of N CI jobs checks a share of a run's units (issue 24, item 5).

The run is planned as usual (policylint.units groups it into units: a Helm chart, the plain files,
...), then the units are dealt to N shards by weight (`runner._weights`), heaviest first to the
lightest shard, ties to the lower shard. The deal depends only on the plan, never on timing or
`-j`, and a unit is never split, so relations stay intact. A run that is one unit (stdin,
`--context`, `--verbose`, `relation-scope: run`, a repository of plain files only) is all in
shard 1; the other shards check nothing and say so in a notice.

What the whole run says once belongs to shard 1: the plan's notices (what discovery skipped,
charts not rendered), `helm-not-rendered` findings, policy-problem findings, the configuration's
refused or expired `ignore:` entries, and the test-data summary. Whether a configuration `ignore:`
entry matched nothing can only be known over every shard: each shard lists the entries unused in
its share, and `policylint merge` (policylint.merge) reports those unused in every shard.

A shard's JSON output carries a `shard` block (only in shard outputs; the merge removes it) with
what the merge needs besides the findings: which shard of how many, digests of the plan and the
options (the merge refuses shards of different runs), each notice's whole-run order key, the
files read, the SARIF rules of the policies that ran, and where each suppression was written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from policylint.core.digests import sha256

if TYPE_CHECKING:
    from policylint.core.findings import Finding
    from policylint.options import RunOptions

#: Layout of the `shard` block; `policylint merge` refuses any other.
SHARD_FORMAT = 1
#: Options that do not change what a run reports (or differ between CI machines): not compared.
_NOT_COMPARED = frozenset({"progress", "library_log", "jobs", "shard", "quiet", "anchor", "config_dir", "overlay",
                           "stdin_text"})
#: Order-key categories of notices: the plan's (shard 1), the units', the run's last ones (said once
#: by the merge), and the shard's own (dropped by the merge).
PLAN, UNIT, LAST, SHARD_ONLY = 0, 1, 2, 9


def parse(text: str) -> tuple[int, int]:
    """`I/N` as (I, N), with 1 <= I <= N; ValueError otherwise."""
    index, sep, count = text.partition("/")
    if not sep or not index.strip().isdigit() or not count.strip().isdigit():
        raise ValueError(f"--shard takes I/N (this job's number and the number of jobs, e.g. 2/3), not {text!r}")
    first, total = int(index), int(count)
    if not 1 <= first <= total:
        raise ValueError(f"--shard {text}: I must be between 1 and N")
    return first, total


def deal(weights: list[int], count: int) -> list[list[int]]:
    """Unit numbers per shard: heaviest unit first to the lightest shard (ties: the lower unit, the
    lower shard). Deterministic: a function of the weights alone."""
    shares: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    for unit in sorted(range(len(weights)), key=lambda number: (-weights[number], number)):
        lightest = loads.index(min(loads))
        shares[lightest].append(unit)
        loads[lightest] += weights[unit]
    return [sorted(share) for share in shares]


def _plan_digest(planned: Any, units: list[Any] | None) -> str:
    """What the plan decided: the same in every shard of one run over the same tree."""
    if planned is None:
        return ""
    shape = {
        "candidates": [candidate.display for candidate in planned.candidates],
        "charts": len(planned.charts),
        "roots": len(planned.kustomize_roots),
        "units": None if units is None else [[sorted(unit.displays), sorted(unit.charts), sorted(unit.roots)]
                                             for unit in units],
    }
    return sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:32]


def options_digest(options: RunOptions) -> str:
    """The options that change what a run reports: shards made with others cannot merge."""
    values = {name: getattr(options, name) for name in options.__record_fields__  # type: ignore[attr-defined]
              if name not in _NOT_COMPARED}
    return sha256(json.dumps(values, sort_keys=True, default=repr).encode()).hexdigest()[:32]


def select(planned: Any, units: list[Any] | None, options: RunOptions, test_data: list[str],
           problems: list[Finding], weigh: Callable[[Any, list[Any]], list[int]],
           nothing: Callable[[], Any]) -> tuple[Any, list[Any] | None, list[Finding]]:
    """This shard's share of the planned run: (plan, units, policy problems) for the runner.

    `weigh(plan, units)` gives the units' weights, `nothing()` an empty plan (the runner's own: this
    module does not import the runner, which imports it).
    """
    assert options.shard is not None
    index, count = options.shard
    state: dict[str, Any] = {"plan": _plan_digest(planned, units), "units": 1 if units is None else len(units)}
    _STATE[id(options)] = state
    if index > 1:  # the whole run's once-only parts are shard 1's
        test_data.clear()
        problems = []
    if units is None:  # one unit: all of it is shard 1's
        state["assigned"] = [0] if index == 1 else []
        if index == 1:
            return planned, None, problems
        return nothing(), [], problems
    shares = deal(weigh(planned, units), count)
    state["assigned"] = shares[index - 1]
    return planned, [units[number] for number in shares[index - 1]], problems


#: select()'s findings for finish(), by id(options) (one run at a time per options object).
_STATE: dict[int, dict[str, Any]] = {}


def _config_meta(finding: Finding) -> bool:
    """A finding about a configuration `ignore:` entry (not about a comment or annotation in a file)."""
    from policylint.suppressions import META_IDS

    return finding.policy_id in META_IDS and finding.logical.startswith(f"{finding.policy_id}:config:")


def finish(report: Any, planned: Any, units: list[Any] | None) -> None:
    """Leave the once-only parts to shard 1 and note what the merge needs (`report.shard`)."""
    from policylint.gitinfo import anchored_path
    from policylint.suppressions import SUPPRESSION_UNUSED

    options = report.options
    assert options.shard is not None
    index, count = options.shard
    state = _STATE.pop(id(options), {"plan": "", "units": 1, "assigned": [0] if index == 1 else []})
    from policylint.core.findingstore import FindingStore

    unused: list[dict[str, Any]] = []

    def kept(findings: Iterable[Finding]) -> Iterator[Finding]:
        for finding in findings:
            if _config_meta(finding) and finding.policy_id == SUPPRESSION_UNUSED:
                # unused here may be used in another shard: the merge reports those unused in all
                unused.append({"rule_id": finding.policy_id, "severity": finding.severity, "path": finding.path,
                               "line": finding.line, "column": finding.column, "message": finding.message,
                               "file_kind": finding.file_kind, "logical": finding.logical,
                               "anchored": anchored_path(finding.path, options.anchor)})
            elif index > 1 and (_config_meta(finding) or finding.policy_id == "helm-not-rendered"):
                continue  # said by shard 1
            else:
                yield finding

    report.findings = FindingStore(kept(report.findings))  # a large shard stays on disk
    split = units is not None and planned is not None
    plan_keys = {id(item): number for number, item in enumerate(planned.skipped)} if planned is not None else {}
    unit_keys = planned.skipped_keys if planned is not None else {}
    skipped, keys = [], []
    for number, item in enumerate(report.skipped):
        if id(item) in plan_keys:
            if index > 1:
                continue
            key: list[Any] = [PLAN, plan_keys[id(item)]]
        elif not split:
            key = [UNIT, [[-1], number]]  # a run of one unit: everything is shard 1's, in its order
        elif id(item) in unit_keys:
            key = [UNIT, unit_keys[id(item)]]
        else:
            key = [LAST, number]
        skipped.append(item)
        keys.append(key)
    from policylint.core.documents import Skipped

    if not state["assigned"]:
        skipped.append(Skipped(".", f"shard {index}/{count} checks nothing: this run has {state['units']} unit(s) "
                                    "for the shards to share (a run of plain files only, stdin, --context, "
                                    "--verbose or relation-scope run is one unit, which shard 1 checks)"))
        keys.append([SHARD_ONLY])
    report.skipped = skipped
    report.shard = {"format": SHARD_FORMAT, "index": index, "count": count, "plan": state["plan"],
                    "options": options_digest(options), "units": state["units"], "assigned": state["assigned"],
                    "skipped_keys": keys, "unused_config": unused}
