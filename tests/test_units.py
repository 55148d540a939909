"""Units of work (policylint.units): a run split into units, in this process or in workers, reports
byte for byte what the run as one unit reports."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from support import ROOT

from policylint import reporters, runner
from policylint.options import RunOptions
from policylint.units import group

FIXTURES = ["guide", "helm", "kustomize", "hostile", "own-policies", "scenarios"]


#: Run in a fresh process: a Go runtime (the Helm SDK) started by an earlier test in this process
#: keeps the runner from forking (policylint.runner._unit_workers), so workers are tried only there.
IN_FRESH_PROCESS = """
import json, sys
from policylint import runner
runner.MIN_WORK_PER_WORKER = 1  # workers even for a small fixture
runner.CHART_WEIGHT = 1000
used = []
original = runner._in_workers
def spy(count, workers, weights=None):
    results = original(count, workers, weights)
    used.append(workers if results is not None else 0)  # 0: a worker failed, the parent did it all
    return results
runner._in_workers = spy
sys.path.insert(0, sys.argv[3])
from test_units import _outputs
written = _outputs(sys.argv[1], int(sys.argv[2]))
written["workers"] = used
print(json.dumps(written))
"""


def _outputs_fresh(path: str, jobs: int) -> dict[str, object]:
    import json
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run([sys.executable, "-c", IN_FRESH_PROCESS, path, str(jobs), str(ROOT / "tests")],
                               capture_output=True, text=True, env=env, timeout=600, check=True)
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def _outputs(path: str, jobs: int) -> dict[str, str]:
    report = runner.check(RunOptions(paths=[path], jobs=jobs))
    written = {}
    for name in ("json", "sarif", "text", "junit"):
        out = io.StringIO()
        reporters.write(name, report, out)
        written[name] = out.getvalue()
    written["exit"] = str(report.exit_code())
    return written


@pytest.fixture()
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "fixtures")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")
    monkeypatch.setenv("POLICYLINT_NO_CACHE", "1")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_units_report_what_one_unit_reports(fixture: str, in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    whole = _outputs(fixture, 1)
    monkeypatch.delenv("POLICYLINT_UNITS")
    assert _outputs(fixture, 1) == whole
    fresh = _outputs_fresh(fixture, 2)
    fresh.pop("workers")
    assert fresh == whole


def test_helm_fixture_splits_and_uses_workers(in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above proves something: charts are units of their own and workers really run."""
    options = RunOptions(paths=["helm"])
    options.anchor = runner.fingerprint_anchor(options)
    _planned, units = runner._planned_units(options, [], [])  # type: ignore[misc]
    assert len(units) >= 3 and units[0].charts == set() and all(unit.charts for unit in units[1:])
    fresh = _outputs_fresh("helm", 2)
    assert fresh["workers"] == [2]
    whole = _outputs("helm", 1)
    assert {key: value for key, value in fresh.items() if key != "workers"} == whole
    report = runner.check(RunOptions(paths=["helm"]))
    assert report.findings and {doc.file_kind for doc in report.documents} >= {"kubernetes"}


def test_one_unit_when_run_scope_stdin_or_context(in_fixtures: None) -> None:
    for options in (RunOptions(paths=["helm"], relation_scope="run"), RunOptions(paths=["-"]),
                    RunOptions(paths=["helm"], verbose=True)):
        options.anchor = runner.fingerprint_anchor(options)
        assert runner._planned_units(options, [], [])[1] is None


def _chart(root: Path, dependency: str = "") -> SimpleNamespace:
    root.mkdir(parents=True, exist_ok=True)
    extra = f"dependencies:\n  - name: lib\n    repository: {dependency}\n" if dependency else ""
    (root / "Chart.yaml").write_text(f"apiVersion: v2\nname: {root.name}\nversion: 1.0.0\n{extra}")
    return SimpleNamespace(root=root, file=root / "Chart.yaml")


def test_subcharts_and_file_dependencies_join_their_chart(tmp_path: Path) -> None:
    app = _chart(tmp_path / "charts" / "app", "file://../lib")
    lib = _chart(tmp_path / "charts" / "lib")
    vendored = _chart(tmp_path / "charts" / "web" / "charts" / "common")
    web = _chart(tmp_path / "charts" / "web")
    alone = _chart(tmp_path / "charts" / "alone")
    plain = SimpleNamespace(display="deploy.yaml", disk=tmp_path / "deploy.yaml", file_kind="yaml")
    units = group([plain], [plain], [app, lib, vendored, web, alone], [], {})
    assert units is not None
    assert units[0] == ({"deploy.yaml"}, set(), set())
    assert sorted(sorted(unit[1]) for unit in units[1:]) == [[0, 1], [2, 3], [4]]


def test_kustomize_builds_stay_with_plain_files(tmp_path: Path) -> None:
    plain = SimpleNamespace(display="a.yaml", disk=tmp_path / "a.yaml", file_kind="yaml")
    root = SimpleNamespace(root=tmp_path / "overlay", file=tmp_path / "overlay" / "kustomization.yaml")
    assert group([plain], [plain], [], [root], {}) is None
    stdin = SimpleNamespace(display="-", disk=None, file_kind="yaml")
    assert group([stdin], [stdin], [_chart(tmp_path / "c")], [], {}) is None


def test_chart_heavy_copy_is_identical_with_two_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree of many charts next to plain files and pipelines: -j 1 and -j 2 equal the one-unit run."""
    for number in range(6):
        shutil.copytree(ROOT / "fixtures" / "helm", tmp_path / f"team{number}")
    shutil.copytree(ROOT / "fixtures" / "guide", tmp_path / "guide")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")
    monkeypatch.setenv("POLICYLINT_NO_CACHE", "1")
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    whole = _outputs(".", 1)
    monkeypatch.delenv("POLICYLINT_UNITS")
    assert _outputs(".", 1) == whole
    fresh = _outputs_fresh(".", 2)
    assert fresh.pop("workers") == [2]
    assert fresh == whole


@pytest.mark.parametrize("fixture", FIXTURES)
def test_findings_kept_on_disk_report_what_findings_in_memory_report(
        fixture: str, in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # a store that spills every 3 findings (policylint.core.findingstore), units or one unit alike,
    # writes every format byte for byte as a run that holds its findings in memory
    from policylint.core import findingstore

    held = _outputs(fixture, 1)
    monkeypatch.setattr(findingstore, "SPILL_AT", 3)
    spilled = _outputs(fixture, 1)
    assert spilled == held
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    assert _outputs(fixture, 1) == held


def test_a_spilled_run_reports_through_every_consumer(in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # the CLI's later passes (fix resolution, --diff-base marking) keep a spilled store on disk
    from policylint.core import findingstore
    from policylint.core.findingstore import FindingStore
    from policylint.fixing import resolve_findings

    monkeypatch.setattr(findingstore, "SPILL_AT", 2)
    report = runner.check(RunOptions(paths=["guide"], jobs=1))
    assert isinstance(report.findings, FindingStore) and report.findings.spilled
    before = [finding.fingerprint for finding in report.findings]
    resolve_findings(report)
    assert isinstance(report.findings, FindingStore) and report.findings.spilled
    assert [finding.fingerprint for finding in report.findings] == before
    assert any(finding.fix is not None and type(finding.fix).__name__ == "Fix" for finding in report.findings)
    assert len(report.active) == len(before) and report.exit_code() == 1


#: A worker that never finishes its unit: the parent stops the workers and does the run itself.
STALLED_WORKER = """
import json, os, sys, time
from policylint import runner
runner.MIN_WORK_PER_WORKER = 1
runner.CHART_WEIGHT = 1000
parent = os.getpid()
original = runner._process_unit
def hangs_in_a_child(number):
    if os.getpid() != parent:
        time.sleep(3600)
    return original(number)
runner._process_unit = hangs_in_a_child
used = []
spied = runner._in_workers
def spy(count, workers, weights=None):
    results = spied(count, workers, weights)
    used.append(workers if results is not None else 0)
    return results
runner._in_workers = spy
sys.path.insert(0, sys.argv[2])
from test_units import _outputs
start = time.monotonic()
written = _outputs(sys.argv[1], 2)
written["workers"] = used
written["seconds"] = time.monotonic() - start
print(json.dumps(written))
"""


def test_a_stalled_worker_is_stopped_and_the_run_done_here(in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYLINT_WORKER_STALL_SECONDS": "1"}
    completed = subprocess.run([sys.executable, "-c", STALLED_WORKER, "helm", str(ROOT / "tests")],
                               capture_output=True, text=True, env=env, timeout=300, check=True)
    written = json.loads(completed.stdout)
    assert written.pop("workers") == [0]  # the workers were given up on
    assert written.pop("seconds") < 120
    assert written == _outputs("helm", 1)
