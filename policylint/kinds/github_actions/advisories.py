"""Known-vulnerable actions, offline: the dated advisory snapshot in `data/advisories.json`.

The snapshot holds, per GitHub security advisory of the "GitHub Actions" ecosystem, the action,
its affected ranges (OSV `introduced`/`fixed`) and the GHSA id, plus tag -> commit SHA pairs of
affected versions so that a SHA-pinned `uses:` can be matched. `scripts/refresh_gha_advisories.py`
rebuilds it from the OSV export or a checkout of github/advisory-database. Nothing is fetched
when policylint runs.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

_NUMBER = re.compile(r"\d+")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:[-+].*)?$", re.IGNORECASE)
#: Stands for a missing component of a floating tag (`v4` is the newest 4.x.y).
_FLOATING = 1 << 30


@functools.lru_cache(maxsize=1)
def snapshot() -> dict[str, Any]:
    """The advisory snapshot (read once, on first use)."""
    text = resources.files("policylint.kinds.github_actions").joinpath("data/advisories.json").read_text(encoding="utf-8")
    data = json.loads(text)
    by_action: dict[str, list[Mapping[str, Any]]] = {}
    for advisory in data.get("advisories", ()):
        by_action.setdefault(str(advisory.get("action", "")).lower(), []).append(advisory)
    shas = {
        action.lower(): {sha.lower(): tag for tag, sha in sorted(tags.items())}
        for action, tags in (data.get("tags") or {}).items()
    }
    return {"date": data.get("snapshot", ""), "by_action": by_action, "shas": shas}


def parse_version(text: str) -> tuple[int, ...] | None:
    """`v4.1.2` -> (4, 1, 2); None when the ref is not a version (a branch, `main`)."""
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return tuple(int(part) for part in _NUMBER.findall(match.group(1)))


def _pad(version: tuple[int, ...], size: int, filler: int) -> tuple[int, ...]:
    return version + (filler,) * (size - len(version))


def affected(version: tuple[int, ...], introduced: str, fixed: str | None, last_affected: str | None = None) -> bool:
    """Whether the release a ref names lies in [introduced, fixed) (or [introduced, last_affected]).
    A floating tag (`v40`, `v4.1`) names the newest release under it, so it is affected only when
    that release is."""
    low = parse_version(introduced) or (0,)
    size = max(len(version), len(low), 3)
    newest = _pad(version, size, _FLOATING)
    oldest = _pad(version, size, 0)
    if newest < _pad(low, size, 0) and oldest < _pad(low, size, 0):
        return False
    if not fixed:
        last = parse_version(last_affected or "")
        return last is None or newest <= _pad(last, size, 0)
    high = parse_version(fixed)
    return high is None or newest < _pad(high, size, 0)


def vulnerabilities(action: str, ref: str, comment_version: str = "") -> tuple[list[dict[str, Any]], str]:
    """The advisories affecting `action@ref`, and how the version was known (`tag`, `sha`,
    `comment`). A SHA is matched through the snapshot's tag map, else through the version in the
    `uses:` line's trailing comment."""
    data = snapshot()
    advisories = data["by_action"].get(action.lower())
    if not advisories:
        return [], ""
    how = "tag"
    text = ref
    if re.fullmatch(r"[0-9a-fA-F]{40}", ref):
        tag = data["shas"].get(action.lower(), {}).get(ref.lower())
        text, how = (tag, "sha") if tag else (comment_version, "comment")
    version = parse_version(text or "")
    if version is None:
        return [], ""
    found = []
    for advisory in advisories:
        for span in advisory.get("ranges", ()):
            if affected(version, str(span.get("introduced", "0")), span.get("fixed"), span.get("last_affected")):
                found.append({"id": advisory["id"], "fixed": span.get("fixed") or "", "summary": advisory.get("summary", ""),
                              "version": text})
                break
    return found, how
