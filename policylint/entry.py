"""The `policylint` program: the console script and `python -m policylint` start here.

Why a module of its own: the collector thresholds of a run (policylint.gctuning) must be in place
before the command line module is imported. Importing click and defining the commands makes tens
of thousands of objects without cycles, and with CPython's default thresholds the collector
traverses them several times: about 7 ms of a 105 ms pre-commit run on one manifest
(`python benchmarks/run.py --only-startup`). This module imports nothing else until `main` runs.
"""

from __future__ import annotations


def main() -> int:
    """Run the command line with the run's collector thresholds from the first import on."""
    from policylint.gctuning import fewer_collections

    with fewer_collections():
        from policylint.cli import main as run

    return run()
