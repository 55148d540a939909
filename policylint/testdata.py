"""Test data: folders and files that hold inputs written for a test suite, left out by default.

Most findings on real repositories sit in test data: `testdata/` folders (Go's convention),
`tests/` trees, golden outputs and the fixtures of policy tools, written to be bad on purpose.
Discovery skips them by default, as semgrep's default ignores do; `--include-test-data` (config
`test-data: include`) checks them. Only path parts below a path given on the command line count,
so `policylint check fixtures/guide` still checks the guide. `examples/` and `samples/` are not
test data (people copy them), nor is a Helm chart's `templates/tests/` (part of its rendering).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Folders that are test data whatever their neighbours.
TEST_DATA_DIRS = frozenset({"testdata", "test-data", "test_data", "__tests__", "__fixtures__", "__snapshots__",
                            "fixtures"})

#: `testdata2`, `testdata-v1`: a numbered or suffixed copy of a testdata folder.
_NUMBERED_TESTDATA = re.compile(r"testdata[-_.]?[0-9a-z]*[0-9][0-9a-z]*")

#: `test` or `tests` as the whole name, or as the word a name starts or ends with, set off by `.`,
#: `-` or `_`: `e2e-tests`, `.chainsaw-test`, `test-infra`, `integration_tests` (not `latest`,
#: `contest`, `attestation`, `testing`).
_TEST_WORD = re.compile(r"\.?tests?|\.?tests?[._-].*|.*[._-]tests?", re.IGNORECASE)

#: Golden outputs and snapshots: `*.golden`, `*.golden.*`, `*.snap`.
_GOLDEN_FILE = re.compile(r".+\.golden(?:\..+)?$|.+\.snap$", re.IGNORECASE)


def is_test_data_dir(name: str, parent: str = "") -> bool:
    """Whether a folder named `name` (inside a folder named `parent`) holds test data."""
    lowered = name.lower()
    if lowered in TEST_DATA_DIRS or _NUMBERED_TESTDATA.fullmatch(lowered):
        return True
    if lowered == "tests" and parent == "templates":
        return False  # a Helm chart's test hooks: rendered with the chart
    return bool(_TEST_WORD.fullmatch(name))


def is_test_data_file(name: str) -> bool:
    """Whether a file name marks a golden output or a snapshot."""
    return bool(_GOLDEN_FILE.fullmatch(name))


def is_test_data(parts: Sequence[str]) -> bool:
    """Whether a file, given as its path parts below a walked root (folders, then the file's name), is test data."""
    if not parts:
        return False
    folders = parts[:-1]
    for index, folder in enumerate(folders):
        if is_test_data_dir(folder, folders[index - 1] if index else ""):
            return True
    return is_test_data_file(parts[-1])
