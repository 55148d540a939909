"""`check --fix`, `--unsafe-fixes` and `--diff`: resolve the findings' fixes, splice them into the
files, check again, repeat until nothing more applies (policylint.core.fixes does the splicing).

Files are read as bytes and written back as bytes: a UTF-8 BOM, CRLF line breaks and a missing final
newline stay as they were, and every character outside the edited spans is the file's own.
"""

from __future__ import annotations

import difflib
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from policylint.core.fixes import MAX_PASSES, Fix, choose, on_raw_text, splice
from policylint.core.fixes import normalised as _normalised
from policylint.core.fixes import raw_text as _raw_text
from policylint.core.records import field, record

if TYPE_CHECKING:
    from policylint.core.policies import PolicySet
    from policylint.options import RunOptions
    from policylint.runner import RunReport

_BOM = "\ufeff"


@record
class FixOutcome:
    """What fixing did: findings fixed per policy, the files changed (path -> original and new text)."""

    fixed: Counter[str] = field(default_factory=Counter)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    passes: int = 0
    #: Files left alone because their fixed text would not parse as before (a fix's bug: the safety net).
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.fixed.values())


def fix_counts(report: RunReport, unsafe: bool) -> tuple[int, int]:
    """(fixable now, fixable only with --unsafe-fixes) among the active findings of a resolved report."""
    now = hidden = 0
    for finding in report.active:
        fix = finding.fix
        if isinstance(fix, Fix) and fix.available:
            if fix.applicable(unsafe):
                now += 1
            else:
                hidden += 1
    return now, hidden


def run_fixes(options: RunOptions, policy_set: PolicySet | None, write: bool) -> tuple[RunReport, FixOutcome]:
    """Check, fix, check again until nothing more applies (at most MAX_PASSES). `write=False` keeps
    the fixed texts in memory (`options.overlay`) for `--diff`. Returns the last report (resolved)."""
    from policylint.runner import check

    outcome = FixOutcome()
    options.resolve_fixes = True  # each check resolves its plans, against the fixed texts so far (overlay)
    report = check(options, policy_set)
    policy_set = report.policy_set
    for _ in range(MAX_PASSES):
        by_path: dict[str, list[Fix]] = {}
        for finding in report.active:
            fix = finding.fix
            if isinstance(fix, Fix) and fix.applicable(options.unsafe_fixes):
                by_path.setdefault(fix.path, []).append(fix)
        changed = False
        written: set[str] = set()
        for path, fixes in sorted(by_path.items()):
            if path in outcome.refused:
                continue
            if Path(path).is_symlink():  # written through, it would change a file elsewhere (maybe outside the repository)
                continue
            real = os.path.realpath(path)
            if real in written:  # one file named two ways (`a.yaml`, `./a.yaml`): its fixes wait for the next pass
                continue
            written.add(real)
            raw = _raw_text(path, options.overlay)
            if raw is None:
                continue
            chosen = choose(fixes)
            body = raw[1:] if raw.startswith(_BOM) else raw
            edits = [edit for fix in chosen for edit in fix.edits]
            new_body = splice(body, on_raw_text(body, set(edits)))
            if new_body == body:
                continue
            new_raw = (_BOM if raw.startswith(_BOM) else "") + new_body
            problem = yaml_damage(path, _normalised(raw), _normalised(new_raw))
            if problem:
                outcome.refused[path] = problem
                continue
            original = outcome.changed[path][0] if path in outcome.changed else raw
            outcome.changed[path] = (original, new_raw)
            outcome.fixed.update(fix.policy_id for fix in chosen)
            changed = True
            data = new_raw.encode("utf-8")
            if write:
                Path(path).write_bytes(data)
            else:
                options.overlay[path] = data
        if not changed:
            break
        outcome.passes += 1
        report = check(options, policy_set)
    return report, outcome


_YAML_NAMES = (".yaml", ".yml", ".json")


def yaml_damage(path: str, before: str, after: str) -> str:
    """Why the fixed text of a YAML file is worse than the original ("" when it is not): a document
    that no longer parses, or a mapping with a key written twice. A safety net under the splicer."""
    if not path.lower().endswith(_YAML_NAMES) and not path.endswith(".gitlab-ci.yml"):
        return ""
    errors_before, duplicates_before = _yaml_health(before)
    errors_after, duplicates_after = _yaml_health(after)
    if errors_after > errors_before:
        return "the fixed text would not parse as YAML"
    if duplicates_after > duplicates_before:
        return "the fixed text would write a key twice in one mapping"
    return ""


def _yaml_health(text: str) -> tuple[int, int]:
    """(documents that do not parse, keys written twice in one mapping) of a YAML stream."""
    import yaml

    from policylint.core.yamlnodes import YamlError, _Loader, parse_yaml_stream, split_documents

    errors = sum(1 for item in parse_yaml_stream(text) if isinstance(item, YamlError))
    duplicates = 0
    for _, chunk in split_documents(text):
        try:
            root = yaml.compose(chunk, Loader=_Loader)
        except (yaml.YAMLError, ValueError, RecursionError):
            continue
        seen: set[int] = set()
        stack = [root] if root is not None else []
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
                duplicates += len(keys) - len(set(keys))
                stack.extend(value for _, value in node.value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
    return errors, duplicates


def unified_diff(outcome: FixOutcome) -> str:
    """A unified diff of every changed file (`a/path`, `b/path`), as git would show it."""
    chunks: list[str] = []
    for path, (before, after) in sorted(outcome.changed.items()):
        if before == after:
            continue
        lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                     fromfile=f"a/{path.lstrip('/')}", tofile=f"b/{path.lstrip('/')}")
        for line in lines:
            if not line.endswith("\n"):
                line += "\n\\ No newline at end of file\n"
            chunks.append(line)
    return "".join(chunks)


def summary(outcome: FixOutcome, report: RunReport, unsafe: bool, diff: bool) -> str:
    """`Fixed N findings (...)` / `Would fix N findings`, and what --unsafe-fixes would add."""
    lines = [f"Not fixed: {path}: {reason} (a bug in a fix: please report it)."
             for path, reason in sorted(outcome.refused.items())]
    if outcome.total:
        per_rule = ", ".join(f"{count} {rule}" for rule, count in sorted(outcome.fixed.items()))
        files = len(outcome.changed)
        verb = "Would fix" if diff else "Fixed"
        lines.append(f"{verb} {outcome.total} finding{'s' if outcome.total != 1 else ''} in {files} "
                     f"file{'s' if files != 1 else ''} ({per_rule}).")
    else:
        lines.append("No fixes applied." if not diff else "No fixes would be applied.")
    _, hidden = fix_counts(report, unsafe)
    if hidden:
        lines.append(f"{hidden} more fix{'es' if hidden != 1 else ''} available with --unsafe-fixes.")
    if not diff:
        left = len(report.active)
        lines.append(f"{left} finding{'s' if left != 1 else ''} remain{'s' if left == 1 else ''}.")
    return "\n".join(lines) + "\n"
