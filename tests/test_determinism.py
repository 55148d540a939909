"""Same input, byte-identical output: across runs, `--jobs` values and the order files have on disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT

from policylint import parallel

sys.path.insert(0, str(ROOT / "benchmarks"))

from generate_corpus import generate

#: Enough documents that `--jobs 2` really forks two workers (see policylint.parallel).
DOCUMENTS = 2 * parallel.MIN_DOCUMENTS_PER_WORKER + 60


def _copy_reversed(source: Path, target: Path) -> None:
    """Copy a tree creating files (and folders) in reverse name order, so the on-disk order differs."""
    files = sorted((path for path in source.rglob("*") if path.is_file()), reverse=True)
    for path in files:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(path.read_bytes())


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("tree") / "repo"
    generate(first, DOCUMENTS)
    shutil.copytree(ROOT / "fixtures" / "guide", first / "guide")
    second = tmp_path_factory.mktemp("reversed") / "repo"
    _copy_reversed(first, second)
    return first, second


def _check(tree: Path, output_format: str, jobs: int) -> bytes:
    # SOURCE_DATE_EPOCH fixes the JSON `run` block's time, the one field that reads the clock.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYLINT_NO_CACHE": "1", "SOURCE_DATE_EPOCH": "1764900000"}
    completed = subprocess.run(
        [sys.executable, "-m", "policylint", "check", ".", "--format", output_format, "--jobs", str(jobs), "--no-progress"],
        cwd=tree, env=env, capture_output=True, timeout=600, check=False,
    )
    assert completed.returncode == 1, completed.stderr.decode()
    assert b"Traceback" not in completed.stderr
    return completed.stdout


def test_generated_tree_forks_workers(trees: tuple[Path, Path]) -> None:
    """The tree is large enough that `--jobs 2` takes the worker path (else the test proves little)."""
    from policylint.options import RunOptions
    from policylint.runner import load_paths

    load, _ = load_paths([str(trees[0])], RunOptions())
    assert parallel.worker_count(2, len(load.documents)) == 2


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_output_is_identical_across_jobs_and_disk_order(trees: tuple[Path, Path], output_format: str) -> None:
    first, second = trees
    reference = _check(first, output_format, jobs=1)
    assert reference.count(b"k8s-") > 10  # the corpus does break policies
    assert _check(first, output_format, jobs=2) == reference
    assert _check(second, output_format, jobs=2) == reference
    assert _check(second, output_format, jobs=1) == reference


def test_output_is_identical_across_hash_seeds() -> None:
    """Set iteration order follows PYTHONHASHSEED; no finding, message or order may depend on it."""
    outputs = []
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "POLICYLINT_NO_CACHE": "1", "SOURCE_DATE_EPOCH": "1764900000"}
        completed = subprocess.run(
            [sys.executable, "-m", "policylint", "check", "fixtures", "--format", "json", "--jobs", "1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )
        assert completed.returncode == 1, completed.stderr[-2000:]
        outputs.append(completed.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
