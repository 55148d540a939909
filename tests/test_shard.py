"""`check --shard I/N` and `policylint merge` (policylint.shards, policylint.merge): the N shards'
JSON outputs merge into byte for byte what the unsharded run writes, as JSON and as SARIF."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from policylint.cli import main
from policylint.shards import deal, parse

FIXTURES = ["guide", "helm", "kustomize", "hostile", "own-policies", "scenarios",
            "scenarios/dockerfiles", "scenarios/gitlab", "scenarios/k8s-shop", "scenarios/workflows"]


@pytest.fixture()
def stable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764900000")  # the run block's time is the only clock field
    monkeypatch.setenv("POLICYLINT_NO_CACHE", "1")


def _whole(paths: list[str], out: Path, *args: str) -> tuple[int, bytes, bytes]:
    json_file, sarif_file = out / "whole.json", out / "whole.sarif"
    code = main(["check", *paths, "-j", "1", "-q", "--format", "json", "-o", str(json_file),
                 "--format", "sarif", "-o", str(sarif_file), *args])
    return code, json_file.read_bytes(), sarif_file.read_bytes()


def _shards(paths: list[str], count: int, out: Path, *args: str) -> tuple[list[Path], list[int]]:
    files, codes = [], []
    for index in range(1, count + 1):
        target = out / f"shard-{index}-of-{count}.json"
        codes.append(main(["check", *paths, "-j", "1", "-q", "--shard", f"{index}/{count}",
                           "--format", "json", "-o", str(target), *args]))
        files.append(target)
    return files, codes


def _merged(files: list[Path], out: Path, fmt: str) -> tuple[int, bytes]:
    target = out / f"merged.{fmt}"
    code = main(["merge", *map(str, files), "--format", fmt, "-o", str(target)])
    return code, target.read_bytes()


def _assert_merges_to_whole(paths: list[str], counts: list[int], out: Path, *args: str) -> dict[int, list[Path]]:
    """For each N: the shards merge into the unsharded JSON and SARIF, and exit as it does."""
    code, whole_json, whole_sarif = _whole(paths, out, *args)
    written = {}
    for count in counts:
        folder = out / f"n{count}"
        folder.mkdir()
        files, codes = _shards(paths, count, folder, *args)
        merged_code, merged_json = _merged(files, folder, "json")
        assert merged_json == whole_json, f"N={count}: merged JSON differs"
        sarif_code, merged_sarif = _merged(files, folder, "sarif")
        assert merged_sarif == whole_sarif, f"N={count}: merged SARIF differs"
        assert merged_code == sarif_code == code
        # a shard fails when its share has a failing finding; the run fails when any shard does
        assert (1 if 1 in codes else 0) == code
        for file, shard_code in zip(files, codes, strict=True):
            assert json.loads(file.read_text())["summary"]["exit_code"] == shard_code
        written[count] = files
    return written


def _units(file: Path) -> tuple[int, list[int]]:
    block = json.loads(file.read_text())["shard"]
    return block["units"], block["assigned"]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_shards_merge_to_the_unsharded_output(fixture: str, stable: None, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "fixtures")
    written = _assert_merges_to_whole([fixture], [1, 2, 3, 5], tmp_path)
    units, _ = _units(written[1][0])
    for files in written.values():  # every unit in exactly one shard
        assigned = [unit for file in files for unit in _units(file)[1]]
        assert sorted(assigned) == list(range(units))


def test_one_unit_run_is_shard_ones_and_the_others_say_so(stable: None, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "fixtures")
    files, _ = _shards(["guide"], 2, tmp_path)
    first, second = (json.loads(file.read_text()) for file in files)
    assert first["findings"] and first["shard"]["assigned"] == [0]
    assert second["findings"] == [] and second["shard"]["assigned"] == []
    assert any("shard 2/2 checks nothing" in item["reason"] for item in second["skipped"])


def _chart_heavy(root: Path, copies: int = 4) -> None:
    """Copies of the Helm fixture and the guide, with suppressions written in files and in the
    configuration: some used in one chart only, some unused everywhere, an expired one, a refused comment."""
    for number in range(copies):
        shutil.copytree(ROOT / "fixtures" / "helm", root / f"team{number}")
    shutil.copytree(ROOT / "fixtures" / "guide", root / "guide")
    (root / "plain").mkdir()
    (root / "plain" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    # policylint: disable=k8s-run-as-root\n"
        "    - name: c  # policylint: ignore[k8s-run-as-root] -- a test fixture\n"
        "      image: nginx:1.25  # policylint: ignore[k8s-host-port] -- matches nothing\n")
    (root / ".policylint.yaml").write_text(
        "warn-unused-suppressions: true\n"
        "per-path-ignores:\n"
        "  - paths: ['team1/web/**']\n    policies: [k8s-run-as-root]\n    reason: same reason\n"
        "  - paths: ['nowhere/**']\n    policies: [k8s-run-as-root]\n    reason: same reason\n"
        "  - paths: ['team2/web/**']\n    policies: [k8s-run-as-root]\n    reason: same reason\n"
        "  - paths: ['team0/**']\n    policies: [k8s-privileged-container]\n    reason: old\n"
        "    expires: '2020-01-01'\n")


def _in_chart_heavy_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A chart-heavy tree as the working folder; the folder for outputs."""
    tree = tmp_path / "tree"
    tree.mkdir()
    _chart_heavy(tree)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tree)
    return out


def test_chart_heavy_tree_with_suppressions(stable: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _in_chart_heavy_tree(tmp_path, monkeypatch)
    written = _assert_merges_to_whole(["."], [1, 2, 3, 4, 12], out)
    whole = json.loads((out / "whole.json").read_text())
    ids = [finding["rule_id"] for finding in whole["findings"]]
    # the test sees what it means to: config entries used in one shard only, unused ones, refused, expired
    assert ids.count("suppression-expired") == 1 and ids.count("suppression-invalid") == 1
    unused = [f for f in whole["findings"] if f["rule_id"] == "suppression-unused"]
    assert sorted((f["path"], f["line"]) for f in unused) == [(".policylint.yaml", 6), ("plain/pod.yaml", 9)]
    assert {f["suppression"]["kind"] for f in whole["findings"] if f["suppressed"]} == {"config", "inline"}
    assert '"location"' in (out / "whole.sarif").read_text()  # where a suppression was written
    units, _ = _units(written[3][0])
    assert units == 1 + 2 * 4  # the plain files, two charts per copy
    for count, files in written.items():
        shares = [_units(file)[1] for file in files]
        assert sorted(unit for share in shares for unit in share) == list(range(units)), count
        if count <= units:
            assert all(shares), f"N={count}: a shard got no unit although there are enough"
        else:
            assert sum(1 for share in shares if not share) == count - units


def test_generated_set(stable: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """About 2,000 generated documents (plain files: one unit, all in shard 1)."""
    corpus = tmp_path / "corpus"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_corpus.py"), str(corpus), "2000"],
                   check=True, capture_output=True)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(corpus)
    written = _assert_merges_to_whole(["."], [1, 2, 3], out)
    assert json.loads((out / "whole.json").read_text())["summary"]["findings"] > 100
    assert _units(written[3][0])[1] == [0]


def test_merge_refuses_missing_repeated_and_foreign_shards(stable: None, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT / "fixtures")
    files, _ = _shards(["helm"], 3, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    selected, _ = _shards(["helm"], 3, other, "--select", "k8s")
    (tmp_path / "two").mkdir()
    two, _ = _shards(["helm"], 2, tmp_path / "two")
    plain = tmp_path / "plain.json"
    assert main(["check", "helm", "-q", "--format", "json", "-o", str(plain)]) == 1
    cases = [
        ([files[0], files[2]], "missing shard(s) 2/3"),
        ([files[0], files[1], files[1], files[2]], "shard 2 given more than once"),
        ([files[0], selected[1], files[2]], "are not shards of one run"),
        ([files[0], files[1], two[1], files[2]], "are not shards of one run: their number of shards differ"),
        ([plain], "not a shard's output"),
    ]
    for given, message in cases:
        capsys.readouterr()
        target = tmp_path / "merged.json"
        assert main(["merge", *map(str, given), "-o", str(target)]) == 2
        assert message in capsys.readouterr().err
        assert not target.exists() and not Path(f"{target}.partial").exists()
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert main(["merge", str(garbage)]) == 2
    assert "not a policylint JSON output" in capsys.readouterr().err


def test_shard_option_is_checked(stable: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(ROOT / "fixtures")
    for bad in ("0/3", "4/3", "2", "a/b", "1/0"):
        assert main(["check", "helm", "--shard", bad]) == 2
        assert "--shard" in capsys.readouterr().err
    assert main(["check", "helm", "--shard", "1/2", "--diff"]) == 2
    assert "need the whole run" in capsys.readouterr().err
    assert parse("2/3") == (2, 3)


def test_deal_balances_by_weight_and_depends_on_weights_only() -> None:
    weights = [100, 30, 30, 30, 30, 5, 1]
    shares = deal(weights, 3)
    assert shares == deal(list(weights), 3)
    assert sorted(unit for share in shares for unit in share) == list(range(len(weights)))
    assert [sum(weights[unit] for unit in share) for share in shares] == [100, 65, 61]
    assert deal([5], 3) == [[0], [], []]


def _fleet(paths: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["report", "--results", *paths, "--framework", "pss-baseline", "--framework", "guide",
                 "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_fleet_report_counts_the_shards_of_a_run_once(stable: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`report --results` over the N shard outputs gives the row the merged output gives."""
    tree = tmp_path / "tree"
    tree.mkdir()
    _chart_heavy(tree, copies=2)
    monkeypatch.chdir(tree)
    out = tmp_path / "out"
    out.mkdir()
    files, _ = _shards(["."], 3, out)
    assert main(["merge", *map(str, files), "-o", str(tmp_path / "merged.json")]) == 1
    code, merged = _fleet([str(tmp_path / "merged.json")], capsys)
    assert code == 0
    code, sharded = _fleet([str(file) for file in reversed(files)], capsys)  # in any order
    assert code == 0
    rows = sharded.pop("repositories")
    assert len(rows) == 1 and rows[0].pop("file") == ", ".join(map(str, files))
    merged_rows = merged.pop("repositories")
    merged_rows[0].pop("file")
    assert rows == merged_rows and sharded == merged
    assert any(control["status"] == "fail" for framework in merged["frameworks"] for control in framework["controls"])
    # a shard missing or given twice: said, never counted as a repository of its own
    again = out / "shard-3-again.json"
    shutil.copy(files[2], again)
    code, partial = _fleet([str(files[0]), str(files[2]), str(again)], capsys)
    assert code == 2 and partial["repositories"] == []
    reasons = [item["reason"] for item in partial["unreadable"]]
    assert any("already read" in reason for reason in reasons)
    assert any("without shard 2/3" in reason for reason in reasons)


#: A shard with forked unit workers, in a fresh process (a Go runtime started by an earlier test
#: keeps the runner from forking, policylint.runner._unit_workers); prints the worker counts used.
SHARD_WITH_WORKERS = """
import json, sys
from policylint import runner
from policylint.cli import main
runner.MIN_WORK_PER_WORKER = 1  # workers even for a small tree
used = []
original = runner._in_workers
def spy(count, workers, weights=None, queue=None):
    results = original(count, workers, weights, queue)
    if queue is None:  # the unit workers (with a queue: the charts' child of an in-process run)
        used.append(workers if results is not None else 0)
    return results
runner._in_workers = spy
code = main(["check", ".", "-j", "2", "-q", "--shard", sys.argv[1], "--format", "json", "-o", sys.argv[2]])
print(json.dumps({"code": code, "workers": used}))
"""


def test_shards_with_unit_workers_merge_the_same(stable: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _in_chart_heavy_tree(tmp_path, monkeypatch)
    _whole(["."], out)
    files = []
    for index in (1, 2):
        target = out / f"workers-{index}.json"
        completed = subprocess.run([sys.executable, "-c", SHARD_WITH_WORKERS, f"{index}/2", str(target)],
                                   capture_output=True, text=True, check=True, timeout=600,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert json.loads(completed.stdout.strip().splitlines()[-1])["workers"] == [2], completed.stderr
        files.append(target)
    assert _merged(files, out, "json")[1] == (out / "whole.json").read_bytes()
    assert _merged(files, out, "sarif")[1] == (out / "whole.sarif").read_bytes()


def test_shards_keep_absence_claims_settled_as_the_unsharded_run(stable: None, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # An unsharded run splits these folders into units and settles each absence claim against the
    # other units' facts (policylint.units); a shard cannot see another shard's units, so shards
    # deal fact-closed units (all plain files as one): the merge still equals the unsharded run.
    from test_units import ACROSS_FOLDERS, CLAIMS

    tree = tmp_path / "tree"
    for name, text in ACROSS_FOLDERS.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    shutil.copytree(ROOT / "fixtures" / "helm", tree / "charts")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(tree)
    monkeypatch.setenv("POLICYLINT_UNIT_FILES", "1")  # the unsharded run: a unit per folder
    _assert_merges_to_whole(["."], [2, 3], out)
    whole = json.loads((out / "whole.json").read_text())
    claims = sorted((f["rule_id"], f["path"]) for f in whole["findings"] if f["rule_id"] in CLAIMS)
    assert ("k8s-hpa-target-missing", "lone/hpa.yaml") in claims and ("k8s-hpa-target-missing", "hpa/hpa.yaml") not in claims
