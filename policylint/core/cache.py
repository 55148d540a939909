"""A small on-disk cache in the user's cache folder, for work every start would otherwise repeat.

Why: a pre-commit run pays for start-up on every commit, and reading ~100 YAML policy files with
positions is a good share of it. Entries are JSON (never pickle: nothing in the cache can run
code), each stored with the key it was made for and ignored when the key differs, so an edited
policy file, another policylint version or another Python simply misses. Every failure (no home,
read-only or full disk, a corrupt or concurrent write) is a miss, never an error.

`POLICYLINT_CACHE_DIR` moves the cache; `POLICYLINT_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from policylint import __version__

FORMAT = 2  # 2: built-in policy entries without their examples


def cache_dir() -> Path | None:
    """Where entries live, or None when caching is off."""
    if os.environ.get("POLICYLINT_NO_CACHE"):
        return None
    explicit = os.environ.get("POLICYLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if base.startswith("~"):  # no home directory to expand
        return None
    return Path(base) / "policylint"


def stamp() -> str:
    """What every key includes: cache format, policylint version, Python version."""
    return f"{FORMAT}/{__version__}/{sys.version_info[0]}.{sys.version_info[1]}"


def read(name: str, key: str) -> Any | None:
    """The value stored under `name` when it was made for `key`, else None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{name}.json", encoding="utf-8") as handle:
            entry = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    return entry.get("value")


def write(name: str, key: str, value: Any) -> bool:
    """Store `value` for `key` atomically (write a temporary file, then rename); False on failure."""
    folder = cache_dir()
    if folder is None:
        return False
    import tempfile  # only when writing: it costs about 5 ms of every start-up (shutil, random)

    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"key": key, "value": value}, out, separators=(",", ":"))
        os.replace(temporary, folder / f"{name}.json")
        return True
    except (OSError, TypeError, ValueError):
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False
