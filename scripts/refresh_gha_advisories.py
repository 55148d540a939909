"""Rebuild policylint's offline snapshot of GitHub Actions security advisories.

    python scripts/refresh_gha_advisories.py SOURCE [--tags TAGS.json] [--date YYYY-MM-DD]

SOURCE is any of, already on disk (this script never downloads anything):

- a checkout (or part of one) of github/advisory-database: every `GHSA-*.json` under it is read;
- OSV's export for the ecosystem, `GitHub Actions/all.zip` (or the folder it unzips to);
- a folder of OSV/GHSA JSON records saved one by one.

Records are OSV 1.4 (the format both publish). Only `affected` entries whose
`package.ecosystem` is "GitHub Actions" are kept, with their ECOSYSTEM ranges
(`introduced`/`fixed`, or `last_affected`). The tag -> SHA pairs of the current snapshot are
kept; `--tags` merges more (a JSON object `{"owner/repo": {"v1.2.3": "<40-hex sha>"}}`, e.g.
made with `gh api repos/OWNER/REPO/tags --paginate`). The output replaces
policylint/kinds/github_actions/data/advisories.json, sorted, so a refresh diffs cleanly.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ECOSYSTEM = "GitHub Actions"
TARGET = Path(__file__).resolve().parents[1] / "policylint" / "kinds" / "github_actions" / "data" / "advisories.json"
_SHA = re.compile(r"^[0-9a-f]{40}$")


def records(source: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, record) for every JSON record under `source` (a folder, a zip or one file)."""
    if source.is_file() and source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield f"{source.name}:{name}", json.loads(archive.read(name))
        return
    paths = [source] if source.is_file() else sorted(source.rglob("*.json"))
    for path in paths:
        try:
            yield str(path), json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"skipped {path}: {exc}", file=sys.stderr)


def advisory(record: dict[str, Any]) -> dict[str, Any] | None:
    """The snapshot entry of an OSV record, or None when it has no GitHub Actions package."""
    if record.get("withdrawn"):
        return None
    for entry in record.get("affected") or ():
        package = entry.get("package") or {}
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        ranges = []
        for span in entry.get("ranges") or ():
            if span.get("type") != "ECOSYSTEM":
                continue
            current: dict[str, str] = {}
            for event in span.get("events") or ():
                if "introduced" in event:
                    current = {"introduced": str(event["introduced"])}
                elif "fixed" in event and current:
                    ranges.append({**current, "fixed": str(event["fixed"])})
                    current = {}
                elif "last_affected" in event and current:
                    ranges.append({**current, "fixed": "", "last_affected": str(event["last_affected"])})
                    current = {}
            if current:
                ranges.append({**current, "fixed": ""})
        if not ranges:
            continue
        return {
            "id": record["id"],
            "aliases": sorted(record.get("aliases") or ()),
            "summary": record.get("summary", ""),
            "severity": (record.get("database_specific") or {}).get("severity", ""),
            "action": str(package.get("name", "")).lower(),
            "ranges": ranges,
            "published": str(record.get("published", ""))[:10],
        }
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--tags", type=Path, help="JSON {owner/repo: {tag: sha}} to merge into the tag map")
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="the snapshot's date (default: today)")
    parser.add_argument("--output", type=Path, default=TARGET)
    options = parser.parse_args(argv)
    current = json.loads(options.output.read_text(encoding="utf-8")) if options.output.exists() else {}
    found: dict[str, dict[str, Any]] = {}
    sources: list[str] = []
    for where, record in records(options.source):
        entry = advisory(record) if isinstance(record, dict) and "id" in record else None
        if entry is not None:
            found[entry["id"]] = entry
            sources.append(where)
    tags: dict[str, dict[str, str]] = {action: dict(pairs) for action, pairs in (current.get("tags") or {}).items()}
    if options.tags:
        for action, pairs in json.loads(options.tags.read_text(encoding="utf-8")).items():
            for tag, sha in pairs.items():
                if _SHA.match(str(sha).lower()):
                    tags.setdefault(action.lower(), {})[str(tag)] = str(sha).lower()
    data = {
        "snapshot": options.date,
        "about": current.get("about", "GitHub security advisories for the GitHub Actions ecosystem (OSV 1.4 records)."),
        "sources": sorted(set(sources)) + [source for source in current.get("sources", ()) if source.startswith("tag ")],
        "advisories": sorted(found.values(), key=lambda entry: (entry["action"], entry["id"])),
        "tags": {action: dict(sorted(pairs.items())) for action, pairs in sorted(tags.items())},
    }
    options.output.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"{len(found)} advisories for {len({entry['action'] for entry in found.values()})} actions -> {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
