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
import os
used, apart, forks = [], [], []
real_fork = os.fork
def counting_fork():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
os.fork = counting_fork
original = runner._in_workers
def spy(count, workers, weights=None, queue=None):
    results = original(count, workers, weights, queue)
    if queue is None:  # the unit workers
        used.append(workers if results is not None else 0)  # 0: a worker failed, the parent did it all
    else:  # the charts' child of an in-process run: how many units it did (0: it failed)
        apart.append(len(queue) if results is not None else 0)
    return results
runner._in_workers = spy
sys.path.insert(0, sys.argv[3])
from test_units import _outputs
written = _outputs(sys.argv[1], int(sys.argv[2]))
written["workers"] = used
written["apart"] = apart
written["forks"] = len(forks)
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
    report = runner.check(RunOptions(paths=[path], jobs=jobs, resolve_fixes=True))  # as the CLI, for fixes shown
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
    monkeypatch.setenv("POLICYLINT_UNIT_FILES", "1")  # the finest units: every part of the relation scope alone


@pytest.mark.parametrize("fixture", FIXTURES)
def test_units_report_what_one_unit_reports(fixture: str, in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    whole = _outputs(fixture, 1)
    monkeypatch.delenv("POLICYLINT_UNITS")
    assert _outputs(fixture, 1) == whole
    fresh = _outputs_fresh(fixture, 2)
    fresh.pop("workers"), fresh.pop("apart"), fresh.pop("forks")
    assert fresh == whole


def test_helm_fixture_splits_and_uses_workers(in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above proves something: charts are units of their own and workers really run."""
    options = RunOptions(paths=["helm"])
    options.anchor = runner.fingerprint_anchor(options)
    _planned, units = runner._planned_units(options, [], [])  # type: ignore[misc]
    assert len(units) >= 3 and units[0].charts == set() and all(unit.charts for unit in units[1:])
    fresh = _outputs_fresh("helm", 2)
    assert fresh.pop("apart") == [] and fresh.pop("forks") == 2
    assert fresh["workers"] == [2]
    whole = _outputs("helm", 1)
    assert {key: value for key, value in fresh.items() if key != "workers"} == whole
    report = runner.check(RunOptions(paths=["helm"]))
    assert report.findings and {doc.file_kind for doc in report.documents} >= {"kubernetes"}


def test_with_one_job_charts_are_done_in_a_child_first(in_fixtures: None) -> None:
    """`-j 1`: the charts' units go to one forked child (the Go runtime's memory ends with it),
    the rest stays in this process, and the output is the one-unit run's."""
    options = RunOptions(paths=["helm"])
    options.anchor = runner.fingerprint_anchor(options)
    _planned, units = runner._planned_units(options, [], [])  # type: ignore[misc]
    fresh = _outputs_fresh("helm", 1)
    charts = sum(1 for unit in units if unit.charts)
    assert fresh.pop("workers") == [] and fresh.pop("apart") == [charts] and fresh.pop("forks") == 1
    assert fresh == _outputs("helm", 1)


@pytest.mark.parametrize("jobs", [1, 2])
def test_workers_that_retire_after_each_unit_report_the_same(in_fixtures: None, monkeypatch: pytest.MonkeyPatch,
                                                             jobs: int) -> None:
    """A worker past its growth budget takes no more units and another is forked (here after every
    unit: budget -1 MiB), for the unit workers and the charts' child alike."""
    options = RunOptions(paths=["helm"])
    options.anchor = runner.fingerprint_anchor(options)
    _planned, units = runner._planned_units(options, [], [])  # type: ignore[misc]
    charts = sum(1 for unit in units if unit.charts)
    whole = _outputs("helm", 1)
    monkeypatch.setenv("POLICYLINT_WORKER_GROWTH_MIB", "-1")
    fresh = _outputs_fresh("helm", jobs)
    assert fresh.pop("workers") == ([2] if jobs == 2 else []) and fresh.pop("apart") == ([] if jobs == 2 else [charts])
    forks = fresh.pop("forks")  # a child per unit (two retiring at once may fork one that finds none left)
    assert forks == charts if jobs == 1 else len(units) <= forks <= len(units) + 1
    assert fresh == whole


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
    assert fresh.pop("workers") == [2] and fresh.pop("apart") == []
    fresh.pop("forks")
    assert fresh == whole


def _deployment(name: str, labels: str, replicas: int = 1, account: str = "") -> str:
    extra = f"      serviceAccountName: {account}\n" if account else ""
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n"
            f"  selector:\n    matchLabels: {{{labels}}}\n  template:\n    metadata:\n      labels: {{{labels}}}\n"
            f"    spec:\n{extra}      containers:\n        - name: app\n          image: example.com/{name}:1.0\n")


#: Folders that do not relate (no files at the top): each absence claim's answer is in another folder.
ACROSS_FOLDERS = {
    # an HPA whose target Deployment is in an unrelated folder (k8s-hpa-target-missing)
    "hpa/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n"
                    "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n"
                    "  maxReplicas: 4\n",
    "hpa/other.yaml": _deployment("other", "app: other", 2),
    # ... and that Deployment, single-replica and budgeted unless the HPA elsewhere may scale it
    "web/web.yaml": _deployment("web", "app: web"),
    "web/pdb.yaml": "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n"
                    "  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n",
    # a Service whose pods are defined elsewhere (k8s-service-selector-mismatch)
    "svc/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  selector: {app: api}\n"
                        "  ports:\n    - port: 80\n",
    "svc/worker.yaml": _deployment("worker", "app: worker"),
    "api/api.yaml": _deployment("api", "app: api"),
    # a ServiceAccount defined elsewhere (k8s-service-account-missing)
    "runner/job.yaml": _deployment("runner", "app: runner", account="builder"),
    "runner/accounts.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: reader\n",
    "accounts/builder.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: builder\n",
    # the same claims with nothing elsewhere: their findings stay
    "lone/hpa.yaml": "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ghost\nspec:\n"
                     "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ghost}\n  maxReplicas: 3\n",
    "lone/app.yaml": _deployment("lone", "app: lone", account="nobody"),
    "lone/accounts.yaml": "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: someone\n",
    "lone/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: none\nspec:\n  selector: {app: none}\n"
                         "  ports:\n    - port: 80\n",
}

CLAIMS = {"k8s-hpa-target-missing", "k8s-service-selector-mismatch", "k8s-service-account-missing",
          "k8s-pdb-blocks-eviction", "k8s-single-replica"}


@pytest.fixture()
def across_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in ACROSS_FOLDERS.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")
    monkeypatch.setenv("POLICYLINT_NO_CACHE", "1")
    monkeypatch.setenv("POLICYLINT_UNIT_FILES", "1")  # every folder a unit
    return tmp_path


def _claims(report: runner.RunReport) -> list[tuple[str, str, int]]:
    return sorted((f.policy_id, f.path, f.line) for f in report.findings if f.policy_id in CLAIMS)


def test_absence_claims_across_units_hold_as_in_one_unit(across_folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    options = RunOptions(paths=["."])
    options.anchor = runner.fingerprint_anchor(options)
    _planned, units = runner._planned_units(options, [], [])  # type: ignore[misc]
    assert units is not None and len(units) == 7  # one per folder
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    whole = _outputs(".", 1)
    claims = _claims(runner.check(RunOptions(paths=["."], jobs=1)))
    monkeypatch.delenv("POLICYLINT_UNITS")
    # what stays: the claims nothing elsewhere answers; the others are answered in another folder
    assert claims == [
        ("k8s-hpa-target-missing", "lone/hpa.yaml", 6),
        ("k8s-service-account-missing", "lone/app.yaml", 13),
        ("k8s-service-selector-mismatch", "lone/service.yaml", 6),
        ("k8s-single-replica", "api/api.yaml", 6),
        ("k8s-single-replica", "lone/app.yaml", 6),
        ("k8s-single-replica", "runner/job.yaml", 6),
        ("k8s-single-replica", "svc/worker.yaml", 6),
    ]
    assert _outputs(".", 1) == whole
    fresh = _outputs_fresh(".", 2)
    assert fresh.pop("workers") == [2] and fresh.pop("apart") == []
    fresh.pop("forks")
    assert fresh == whole


def test_without_the_retraction_units_would_differ(across_folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test above proves something: each unit alone makes the claims another unit answers."""
    from policylint import units

    def unsettled(findings: list[list[object]], facts: object, path_of: object) -> list[list[object]]:
        return [list(found) for found in findings]

    monkeypatch.setattr(units, "retracted", unsettled)
    claims = _claims(runner.check(RunOptions(paths=["."], jobs=1)))
    assert {("k8s-hpa-target-missing", "hpa/hpa.yaml", 6), ("k8s-service-selector-mismatch", "svc/service.yaml", 6),
            ("k8s-service-account-missing", "runner/job.yaml", 13), ("k8s-single-replica", "web/web.yaml", 6),
            ("k8s-pdb-blocks-eviction", "web/pdb.yaml", 6)} <= set(claims)


def test_a_claim_the_facts_cannot_settle_runs_as_one_unit(across_folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Rollout running another folder's Deployment template: its pod labels in the whole run are
    the run's first Deployment of that name, which the units cannot order: the set runs as one unit."""
    from policylint.kinds.kubernetes import runfacts

    (across_folders / "roll").mkdir()
    (across_folders / "roll" / "rollout.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: api\nspec:\n"
        "  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n")
    monkeypatch.setenv("POLICYLINT_UNITS", "0")
    whole = _outputs(".", 1)
    monkeypatch.delenv("POLICYLINT_UNITS")
    answers: list[object] = []
    original = runfacts.present

    def spy(key: tuple[object, ...], unit: int, table: object) -> object:
        answers.append(original(key, unit, table))  # type: ignore[arg-type]
        return answers[-1]

    monkeypatch.setattr(runfacts, "present", spy)
    assert _outputs(".", 1) == whole
    assert None in answers


def _planned_file(folder: Path, name: str, text: str = "kind: ConfigMap\n", kind: str = "yaml") -> SimpleNamespace:
    """A discovered file for `group`, written under `folder` (the working folder of the test)."""
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return SimpleNamespace(display=name, disk=folder / name, file_kind=kind)


def test_plain_files_group_by_relation_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def file(name: str, text: str = "kind: ConfigMap\n", kind: str = "yaml") -> SimpleNamespace:
        return _planned_file(tmp_path, name, text, kind)

    files = [
        file("a/x.yaml"), file("a/b/y.yaml"),  # a folder with files holds everything below it
        file("c/d/z.yaml"), file("c/e/w.yaml"), file("c/f/v.yaml"),  # c holds no file: its folders are apart
        file("c/g/kustomization.yaml", "resources: [../d/z.yaml, ../e]\n"),  # ... unless a kustomization joins them
        file("app/Dockerfile", "FROM scratch\n", "dockerfile"),
        file("ci/pipeline.yml", "stages: [test]\njob:\n  stage: test\n  script: [make]\n"),  # GitLab CI by content
        file(".gitlab-ci.yml", "include: [{local: ci/pipeline.yml}]\n", "gitlab-ci"),
    ]
    monkeypatch.chdir(tmp_path)
    units = group(files, files, [], [], {}, pack=1)
    assert units is not None
    assert [unit[0] for unit in units] == [
        {"a/x.yaml", "a/b/y.yaml"},
        {"c/d/z.yaml", "c/e/w.yaml", "c/g/kustomization.yaml"},
        {"c/f/v.yaml"},
        {"app/Dockerfile", "ci/pipeline.yml", ".gitlab-ci.yml"},  # repository-level kinds together
    ]
    assert [len(unit[0]) for unit in group(files, files, [], [], {}, pack=5) or []] == [5, 4]  # packed in order, whole parts


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

    monkeypatch.setattr(findingstore, "SPILL_AT", 2)
    report = runner.check(RunOptions(paths=["guide"], jobs=1))
    assert isinstance(report.findings, FindingStore) and report.findings.spilled
    before = [finding.fingerprint for finding in report.findings]
    report = runner.check(RunOptions(paths=["guide"], jobs=1, resolve_fixes=True))
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
def spy(count, workers, weights=None, queue=None):
    results = spied(count, workers, weights, queue)
    if queue is None:
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


def test_a_set_hands_on_its_findings_a_file_at_a_time(in_fixtures: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit's findings leave it one file's at a time (issue 24: memory per finding), through a
    grouping store that here spills every 3 findings, and their fixes resolved there equal the fixes
    resolved over the finished report, finding by finding."""
    from policylint.core import findingstore
    from policylint.core.fixes import Fix, Resolver

    chunks: list[set[str]] = []
    original = runner._chunks

    def spy(*args: object, **kwargs: object) -> object:
        for chunk in original(*args, **kwargs):  # type: ignore[arg-type]
            chunks.append({finding.path for finding in chunk})
            yield chunk

    monkeypatch.setattr(runner, "_chunks", spy)
    monkeypatch.setattr(findingstore, "SPILL_AT", 3)
    for fixture in ("guide", "scenarios"):
        afterwards = runner.check(RunOptions(paths=[fixture], jobs=1))
        resolved = Resolver()
        chunks.clear()
        during = runner.check(RunOptions(paths=[fixture], jobs=1, resolve_fixes=True))
        assert [(finding, finding.fix) for finding in during.findings] == [
            (finding, resolved(finding).fix) for finding in afterwards.findings]
        assert any(isinstance(finding.fix, Fix) and finding.fix.available for finding in during.findings)
        files = {finding.path for finding in during.findings}
        assert len(chunks) >= len(files) // 2 and all(len(paths) == 1 for paths in chunks), chunks


def test_files_named_alone_are_tied_by_the_kustomization_above_them(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a kustomization among the files, the ones enclosing them (a few folders up) tie them."""
    files = [_planned_file(tmp_path, name) for name in ("k/base/a.yaml", "k/base/b.yaml", "k/other/c.yaml", "k/apart/d.yaml")]
    (tmp_path / "k" / "base" / "kustomization.yaml").write_text("resources: [a.yaml, ../other/c.yaml]\n")
    monkeypatch.chdir(tmp_path)
    units = group(files, files, [], [], {}, pack=1)
    assert [unit[0] for unit in units or []] == [{"k/base/a.yaml", "k/base/b.yaml", "k/other/c.yaml"}, {"k/apart/d.yaml"}]


def test_a_files_head_is_what_a_buffered_read_gives(tmp_path: Path) -> None:
    from policylint.units import _head

    for size in (0, 1, 4095, 70_000):
        (tmp_path / "f").write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        for limit in (1, 100, 65_537, 200_000):
            with open(tmp_path / "f", "rb") as handle:
                assert _head(tmp_path / "f", limit) == handle.read(limit)
    with pytest.raises(OSError):
        _head(tmp_path, 10)  # a folder: no bytes, as open() refuses it
    with pytest.raises(OSError):
        _head(tmp_path / "missing", 10)


@pytest.mark.skipif(not os.path.isdir("/dev/fd"), reason="needs /dev/fd (a pipe named as a path)")
def test_a_pipe_named_on_the_command_line_is_read_once(tmp_path: Path) -> None:
    """`policylint check <(kustomize build)`: planning must not drain the pipe that loading reads."""
    from policylint.units import _head, _NotAFile

    text = b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx:latest\n"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(_NotAFile):
        _head(fifo, 10)  # not waiting for a writer, and not read
    read, write = os.pipe()
    try:
        os.write(write, text)
        os.close(write)
        report = runner.check(RunOptions(paths=[f"/dev/fd/{read}"], select=["k8s-image-tag-latest"], jobs=1))
    finally:
        os.close(read)
    assert [finding.policy_id for finding in report.active] == ["k8s-image-tag-latest"]
