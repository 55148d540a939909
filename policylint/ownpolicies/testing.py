"""`policylint test-policies`: the Rego side (compile every file, run the `test_*` rules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path


def run_rego_tests_in(directories: Sequence[Path], echo: Callable[[str], None]) -> tuple[int, int]:
    """Run the Rego unit tests under `directories`, printing PASS/FAIL/ERROR lines; (passed, failed)."""
    from policylint.ownpolicies.rego import RegoError, RegoMissing, run_rego_tests

    files = sorted(path for directory in directories for path in directory.rglob("*.rego"))
    try:
        results = run_rego_tests(files)
    except RegoMissing as exc:
        echo(f"ERROR {files[0]}:1: {exc}")
        return 0, 1
    except RegoError as exc:
        echo(f"ERROR {exc.path}:{exc.line}: Rego does not compile: {exc.reason}")
        return 0, 1
    except (OSError, UnicodeDecodeError) as exc:
        echo(f"ERROR cannot read Rego file: {exc}")
        return 0, 1
    passed = failed = 0
    for result in results:
        if result.ok:
            passed += 1
            echo(f"PASS {result.name}")
        else:
            failed += 1
            echo(f"FAIL {result.name}{': ' + result.detail if result.detail else ''}")
    return passed, failed
