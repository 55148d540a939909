"""The logic of benchmarks/run.py's at-scale section that its printed verdicts rest on: the slope of
memory per finding, the process tree whose memory is summed, and the generator's violation share."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest
from support import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_corpus import generate

_spec = importlib.util.spec_from_file_location("benchmark_run", ROOT / "benchmarks" / "run.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["benchmark_run"] = bench  # dataclasses look their module up while the class is made
_spec.loader.exec_module(bench)
shutil.rmtree(bench.CACHE_DIR, ignore_errors=True)  # made at import for the children; no child runs here


def test_memory_per_finding_is_the_least_squares_slope_in_kib_and_the_line_at_the_target() -> None:
    # 100 MiB + 0.01 MiB per finding, with the middle point 1 MiB above the line.
    points = [(1000, 110.0), (3000, 131.0), (5000, 150.0)]
    intercept, slope = bench.linear_fit([(float(x), y) for x, y in points])
    assert slope == pytest.approx(0.01)
    assert intercept == pytest.approx(100 + 1 / 3)
    per_finding, extrapolated = bench.memory_per_finding(points)
    assert per_finding == pytest.approx(10.24)
    assert extrapolated == pytest.approx(100 + 1 / 3 + 0.01 * 235_000)
    assert bench.memory_per_finding(points, at=0)[1] == pytest.approx(100 + 1 / 3)


def test_a_slope_needs_two_different_finding_counts() -> None:
    with pytest.raises(ValueError):
        bench.linear_fit([(5.0, 1.0), (5.0, 2.0)])


def test_verdict_names_figure_target_and_outcome() -> None:
    assert bench.verdict("json growth", "0.25 KiB", "<= 0.3 KiB", True) == "verdict: json growth: 0.25 KiB (target <= 0.3 KiB): met"
    assert bench.verdict("json growth", "3.1 KiB", "<= 0.3 KiB", False).endswith(": NOT met")


def test_process_tree_is_the_root_and_all_its_descendants_only() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 1, 14: 10, 15: 13}
    assert bench.process_tree(10, parents) == [10, 11, 14, 12]
    assert bench.process_tree(99, parents) == [99]


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")
def test_proc_readers_see_this_process() -> None:
    assert bench.parent_ids()[os.getpid()] == os.getppid()
    rss, pss = bench.process_memory_kib(os.getpid())
    assert rss >= pss > 0
    assert bench.process_memory_kib(2**22 + 1) is None  # above the largest pid Linux allows


def test_bad_share_changes_violations_not_files_or_documents(tmp_path: Path) -> None:
    none = generate(tmp_path / "none", 300, bad_share=0.0)
    every = generate(tmp_path / "every", 300, bad_share=1.0)
    assert none == every
    files = [sorted(path.relative_to(root) for path in root.rglob("*") if path.is_file())
             for root in (tmp_path / "none", tmp_path / "every")]
    assert files[0] == files[1]

    def root_containers(root: Path) -> int:
        return sum(path.read_text().count("runAsUser: 0\n") for path in root.rglob("*.yaml"))

    assert root_containers(tmp_path / "none") == 0
    assert root_containers(tmp_path / "every") == none["kubernetes"] // 6 + (none["kubernetes"] % 6 > 0)


@pytest.mark.skipif(not Path("/proc/self/exe").exists() or shutil.which("sleep") is None, reason="needs Linux /proc")
def test_tree_sums_leave_out_programs_the_root_runs() -> None:
    import subprocess

    other = subprocess.Popen(["sleep", "5"])
    try:
        assert bench.same_executable([os.getpid(), other.pid]) == [os.getpid()]
    finally:
        other.kill()
        other.wait()
