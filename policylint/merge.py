"""`policylint merge SHARD.json...`: the shards of one `check --shard I/N` run as one JSON or SARIF
output, byte for byte what the unsharded `check --format json` (or `sarif`) writes.

Each shard's output is read twice, one file at a time for its small parts (the `shard` block,
notices, run block and summary; its findings are skipped over line by line), then all N together,
one finding per shard in memory, merged in `Finding.sort_key` order as the whole run sorts them.
What a whole run says once comes from shard 1 (policylint.shards); a configuration `ignore:` entry
is reported unused when it is unused in every shard. The counts and the exit code add up from the
shards' summaries: a run fails when any shard has a failing finding, which is what the whole run
would decide with the same `--fail-on`.

Refused (MergeError, exit 2): files that are not shard outputs, shards of different runs (plan,
options, policy set, repository or commit differ), a missing or repeated shard.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from policylint.shards import LAST, SHARD_FORMAT, SHARD_ONLY

_FINDINGS_OPEN = '  "findings": ['
_RECORD_INDENT = "    "
#: Run-block fields every shard of one run has alike (`time` is the first shard's, `applicable` the union).
_SAME_RUN = ("repository", "commit", "branch", "policylint", "policy_set", "profile", "policies")


class MergeError(Exception):
    """The files cannot be merged (exit 2)."""


def _head(path: Path) -> tuple[dict[str, Any], set[str]]:
    """A shard output's parts other than its findings, and the rule ids among its findings that
    change the SARIF rules (suppression findings), read line by line."""
    lines: list[str] = []
    used: set[str] = set()
    try:
        with path.open(encoding="utf-8") as handle:
            inside = False
            for line in handle:
                if inside:
                    if line.startswith(_RECORD_INDENT + "{"):
                        if line.startswith('    {"rule_id": "suppression-'):
                            used.add(line[len('    {"rule_id": "'):].split('"', 1)[0])
                        continue
                    inside = False
                    lines.append(_FINDINGS_OPEN + "]" + line.strip()[1:] + "\n")
                    continue
                if line.rstrip("\n") == _FINDINGS_OPEN:
                    inside = True
                    continue
                lines.append(line)
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise MergeError(f"{path}: not a policylint JSON output ({exc})") from exc
    try:
        data = json.loads("".join(lines))
    except ValueError as exc:
        raise MergeError(f"{path}: not a policylint JSON output (check --format json): {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("findings"), list):
        raise MergeError(f"{path}: not a policylint JSON output (check --format json, version 1)")
    shard = data.get("shard")
    if not isinstance(shard, dict):
        raise MergeError(f"{path}: not a shard's output: write each shard with check --shard I/N --format json")
    if shard.get("format") != SHARD_FORMAT:
        raise MergeError(f"{path}: shard block of another policylint (format {shard.get('format')!r}, "
                         f"this one reads {SHARD_FORMAT})")
    return data, used


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """A shard output's findings, one at a time, in its order."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.rstrip("\n") == _FINDINGS_OPEN:
                break
        for line in handle:
            if not line.startswith(_RECORD_INDENT + "{"):
                return
            text = line.rstrip("\n")
            yield json.loads(text[:-1] if text.endswith(",") else text)


def _sort_key(record: dict[str, Any]) -> tuple[str, int, int, str, str]:
    return record["path"], record["line"], record["column"], record["rule_id"], record["fingerprint"]


class Shards:
    """The shards of one run, checked to belong together, in shard order."""

    def __init__(self, files: Sequence[str]) -> None:
        if not files:
            raise MergeError("no shard outputs given")
        heads = []
        for name in files:
            data, used = _head(Path(name))
            heads.append((Path(name), data, used))
        heads.sort(key=lambda item: item[1]["shard"].get("index", 0))
        first_path, first, _ = heads[0]
        count = first["shard"].get("count")
        indexes = [data["shard"].get("index") for _, data, _ in heads]
        for path, data, _ in heads[1:]:
            self._same(first_path, first, path, data)
        repeated = sorted({index for index in indexes if indexes.count(index) > 1})
        if repeated:
            where = ", ".join(str(path) for path, data, _ in heads if data["shard"].get("index") in repeated)
            raise MergeError(f"shard {'/'.join(map(str, repeated))} given more than once ({where})")
        missing = [index for index in range(1, int(count or 0) + 1) if index not in indexes]
        if missing:
            raise MergeError(f"missing shard(s) {', '.join(f'{index}/{count}' for index in missing)}: "
                             f"merge needs all {count} shards of the run")
        self.paths = [path for path, _, _ in heads]
        self.heads = [data for _, data, _ in heads]
        self.used = set().union(*(used for _, _, used in heads))

    @staticmethod
    def _same(first_path: Path, first: dict[str, Any], path: Path, data: dict[str, Any]) -> None:
        """Refuse a shard of another run: every field the whole run shares must be equal."""
        pairs = [
            ("number of shards", first["shard"].get("count"), data["shard"].get("count")),
            ("policy set", first.get("tool"), data.get("tool")),
            ("options", first["shard"].get("options"), data["shard"].get("options")),
            ("--fail-on", first["shard"].get("fail_on"), data["shard"].get("fail_on")),
            ("plan (the files and charts found)", first["shard"].get("plan"), data["shard"].get("plan")),
            ("units", first["shard"].get("units"), data["shard"].get("units")),
        ]
        first_run, run = first.get("run") or {}, data.get("run") or {}
        pairs.extend((f"run {name}", first_run.get(name), run.get(name)) for name in _SAME_RUN)
        for what, one, other in pairs:
            if one != other:
                raise MergeError(f"{path} and {first_path} are not shards of one run: their {what} differ")

    def skipped(self) -> list[dict[str, Any]]:
        """Every shard's notices in the whole run's order; the run's last notices once, the shards' own dropped."""
        keyed = []
        for data in self.heads:
            keys = data["shard"].get("skipped_keys", [])
            if len(keys) != len(data.get("skipped", [])):
                raise MergeError("a shard's notices and their order keys do not match")
            keyed.extend((key, item) for key, item in zip(keys, data["skipped"], strict=True) if key[0] != SHARD_ONLY)
        keyed.sort(key=lambda pair: pair[0])
        result, said = [], set()
        for key, item in keyed:
            if key[0] == LAST:
                if (item["path"], item["reason"]) in said:
                    continue
                said.add((item["path"], item["reason"]))
            result.append(item)
        return result

    def unused_config(self) -> list[dict[str, Any]]:
        """Findings for configuration `ignore:` entries unused in every shard (fingerprinted as the whole run does)."""
        from policylint.core.findings import Finding
        from policylint.reporters.json_report import finding_to_dict

        def identity(entry: dict[str, Any]) -> tuple[Any, ...]:
            return entry["path"], entry["line"], entry["column"], entry["logical"]

        everywhere = set.intersection(*({identity(entry) for entry in data["shard"].get("unused_config", [])}
                                        for data in self.heads))
        kept = [entry for entry in self.heads[0]["shard"].get("unused_config", []) if identity(entry) in everywhere]
        counts: dict[str, int] = {}
        found = []
        for entry in sorted(kept, key=lambda entry: (entry["line"], entry["column"])):  # the configuration's order
            occurrence = counts.get(entry["logical"] + entry["path"], 0)
            counts[entry["logical"] + entry["path"]] = occurrence + 1
            finding = Finding(entry["rule_id"], entry["severity"], entry["path"], entry["line"], entry["column"],
                              entry["message"], file_kind=entry["file_kind"], logical=entry["logical"])
            found.append(finding_to_dict(finding.with_fingerprint(occurrence, entry["anchored"])))
        return sorted(found, key=_sort_key)

    def findings(self, extra: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Any]]:
        """Every finding in the whole run's order, with where its suppression was written (or None)."""
        def stream(number: int) -> Iterator[tuple[dict[str, Any], Any]]:
            locations = {entry[0]: entry[1:] for entry in self.heads[number]["shard"].get("suppression_locations", [])}
            for position, record in enumerate(_records(self.paths[number])):
                yield record, locations.get(position)

        streams = [stream(number) for number in range(len(self.paths))]
        streams.append(iter((record, None) for record in extra))
        yield from heapq.merge(*streams, key=lambda pair: _sort_key(pair[0]))

    def summary(self, extra: list[dict[str, Any]], files: int) -> dict[str, Any]:
        """The whole run's summary: the shards' counts added up, plus the unused configuration entries."""
        from policylint.core.findings import SEVERITIES

        summaries = [data["summary"] for data in self.heads]
        by_severity = {name: sum(summary["by_severity"].get(name, 0) for summary in summaries) for name in SEVERITIES}
        for record in extra:
            by_severity[record["severity"]] += 1
        return {
            "files": files,
            "policies": summaries[0]["policies"],
            "findings": sum(summary["findings"] for summary in summaries) + len(extra),
            "suppressed": sum(summary["suppressed"] for summary in summaries),
            "by_severity": by_severity,
            "exit_code": self.exit_code(),
        }

    def exit_code(self) -> int:
        """1 when any shard has a finding that fails the run (unused suppressions never do), else 0."""
        return 1 if any(data["summary"].get("exit_code") == 1 for data in self.heads) else 0

    def files(self) -> int:
        """How many files the whole run read (a file read by two units counts once)."""
        seen: set[str] = set()
        for data in self.heads:
            seen.update(data["shard"].get("files", []))
        return len(seen)

    def run(self) -> dict[str, Any] | None:
        """The run block: the first shard's, with the policies that had a file to check in any shard."""
        if "run" not in self.heads[0]:
            return None
        applicable = set().union(*(data.get("run", {}).get("applicable", []) for data in self.heads))
        return {**self.heads[0]["run"], "applicable": sorted(applicable)}


def _finding(record: dict[str, Any], location: Any) -> Any:
    """A JSON finding record back as a Finding, for the SARIF writer."""
    from policylint.core.findings import Finding, Location, Suppression

    suppression = None
    if record.get("suppression") is not None:
        data = record["suppression"]
        where = Location(*location) if location is not None else None
        suppression = Suppression(data["kind"], data["justification"], data.get("expires", ""), where)
    resource = record.get("resource") or {}
    return Finding(
        record["rule_id"], record["severity"], record["path"], record["line"], record["column"], record["message"],
        file_kind=record.get("file_kind", ""), resource_kind=resource.get("kind", ""),
        resource_namespace=resource.get("namespace", ""), resource_name=resource.get("name", ""),
        related=tuple(Location(item["path"], item["line"], item["column"], item.get("message", ""))
                      for item in record.get("related", [])),
        suppression=suppression, fingerprint=record["fingerprint"], fix=_fix(record.get("fix")),
    )


def _fix(data: dict[str, Any] | None) -> Any:
    if data is None:
        return None
    from policylint.core.fixes import Edit, Fix

    edits = tuple(Edit(0, 0, edit["content"]) for edit in data["edits"])
    ranges = tuple((edit["location"]["row"], edit["location"]["column"], edit["end_location"]["row"],
                    edit["end_location"]["column"]) for edit in data["edits"])
    return Fix("", data["applicability"], data["message"], data.get("path", ""), edits, ranges, data.get("reason", ""))


def merge(files: Sequence[str], fmt: str, out: IO[str]) -> int:
    """Write the merged output of the shard files to `out`; the exit code the unsharded run has."""
    shards = Shards(files)
    extra = shards.unused_config()
    first = shards.heads[0]
    from policylint.reporters import jsonstream

    if fmt == "json":
        from policylint.reporters.json_report import INLINE, RECORDS

        data: dict[str, Any] = {"version": first["version"], "tool": first["tool"]}
        run = shards.run()
        if run is not None:
            data["run"] = run
        data |= {
            "findings": (record for record, _ in shards.findings(extra)),
            "skipped": shards.skipped(),
            "summary": shards.summary(extra, shards.files()),
        }
        jsonstream.write(data, out, RECORDS, inline=INLINE)
    else:
        from policylint.reporters.sarif import RECORDS as SARIF_RECORDS
        from policylint.reporters.sarif import log

        used = shards.used | {record["rule_id"] for record in extra}
        findings = (_finding(record, location) for record, location in shards.findings(extra))
        jsonstream.write(log(first["shard"]["rules"], used, findings, shards.exit_code(), first["tool"]["policy_set"],
                             first["tool"]["version"]), out, SARIF_RECORDS)
    out.write("\n")
    return shards.exit_code()
