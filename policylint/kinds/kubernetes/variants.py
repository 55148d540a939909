"""One finding per place when several renderings of one source file say the same thing.

A base listed by three overlays is rendered three times with `--kustomize`; a node the overlays
leave untouched gives the same finding, word for word, at the same line of the base each time.
It is reported once, naming every overlay (and the objects, when one overlay renders the base
several times under other names). (Charts do the same for values variants:
policylint.kinds.kubernetes.helm.deduplicate.)
"""

from __future__ import annotations

from typing import Any

OVERLAY_MARK = " (kustomize overlay "


def merge_overlays(findings: list[Any]) -> list[Any]:
    """Findings on one place (policy, file, line, column, message) from several overlays, merged into one."""
    from policylint.core.records import replace

    groups: dict[tuple[str, str, int, int, str], list[Any]] = {}
    for finding in findings:
        key = _key(finding)
        if key is not None:
            groups.setdefault(key, []).append(finding)
    merged: dict[int, Any] = {}
    dropped: set[int] = set()
    for key, group in groups.items():
        if len(group) < 2:
            continue
        overlays = sorted({finding.message[len(key[4]) + len(OVERLAY_MARK):-1] for finding in group})
        where = f"kustomize overlay{'s' if len(overlays) > 1 else ''} {', '.join(overlays)}"
        if len(group) > len(overlays):  # one overlay rendering the base more than once (namePrefix variants)
            names = sorted({finding.resource_name for finding in group if finding.resource_name})
            where += f"; {len(group)} objects" + (f": {', '.join(names)}" if names else "")
        first = group[0]
        merged[id(first)] = replace(first, message=f"{key[4]} ({where})")
        dropped.update(id(finding) for finding in group[1:])
    if not merged:
        return findings
    return [merged.get(id(finding), finding) for finding in findings if id(finding) not in dropped]


def _key(finding: Any) -> tuple[str, str, int, int, str] | None:
    cut = finding.message.rfind(OVERLAY_MARK)
    if cut < 0 or not finding.message.endswith(")"):
        return None
    return finding.policy_id, finding.path, finding.line, finding.column, finding.message[:cut]
