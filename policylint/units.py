"""Units of work: the independent parts of a run (issue 24, "scope-sharded pipeline").

A unit is loaded, evaluated and dropped on its own (in a worker process with `-j`), and its
findings are the ones the whole run would make. The grouping is conservative: when unsure, units
are merged, never split.

- Plain files are one unit, whatever their kind. Relations between plain Kubernetes files are
  scoped by folder and kustomization, but absence claims are checked over the whole run
  (`Index.whole_run`: an HPA's target, a selector that matches something elsewhere), and GitHub
  Actions, GitLab CI and compose have repository-level facts (dependabot/Renovate, includes,
  compose projects). Kustomize builds join them: one that cannot render falls back to plain files.
- A Helm chart's rendering relates only with itself (`Document.origin`), so each chart is a unit;
  a chart inside another's folder (a vendored subchart) or taken in with `file://` joins it.
- `--context`, `relation-scope: run`, stdin: the run stays one unit (policylint.runner).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import Any

#: The unit of every plain file (and kustomize build): a key no chart index can be.
PLAIN = "\0plain"
_FILE_DEPENDENCY = re.compile(r"""file://([^\s"'#]+)""")


class _Joined:
    """Union-find over string keys."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        while parent != key:
            grand = self.parent[parent]
            self.parent[key] = grand
            key, parent = parent, grand
        return key

    def join(self, first: str, second: str) -> None:
        one, other = self.find(first), self.find(second)
        if one != other:
            self.parent[max(one, other)] = min(one, other)


def _norm(path: Any) -> str:
    return os.path.normpath(os.path.abspath(str(path))).replace(os.sep, "/")


def group(discovered: Sequence[Any], candidates: Sequence[Any], charts: Sequence[Any], roots: Sequence[Any],
          fallback: dict[Any, list[Any]]) -> list[tuple[set[str], set[int], set[int]]] | None:
    """The units of a planned run: (member displays, chart indexes, kustomize root indexes) each,
    the plain files' unit first; None when the run is one unit."""
    if any(candidate.disk is None for candidate in discovered):
        return None
    joined = _Joined()
    chart_roots = {_norm(chart.root): index for index, chart in enumerate(charts)}
    for index, chart in enumerate(charts):
        root = _norm(chart.root)
        joined.join(f"c:{index}", f"c:{index}")
        above = os.path.dirname(root)  # a chart inside another's folder (a vendored subchart) joins it
        while above and above != root:
            if above in chart_roots:
                joined.join(f"c:{index}", f"c:{chart_roots[above]}")
                break
            root, above = above, os.path.dirname(above)
        for dependency in _file_dependencies(_norm(chart.root)):
            for other, number in chart_roots.items():  # the chart it takes in renders the same templates
                if other == dependency or other.startswith(dependency + "/") or dependency.startswith(other + "/"):
                    joined.join(f"c:{index}", f"c:{number}")
    units: dict[str, tuple[set[str], set[int], set[int]]] = {PLAIN: (set(), set(), set())}
    units[PLAIN][0].update(candidate.display for candidate in discovered)
    units[PLAIN][2].update(range(len(roots)))  # a build that cannot render falls back to plain files
    for index in range(len(charts)):
        units.setdefault(joined.find(f"c:{index}"), (set(), set(), set()))[1].add(index)
    if len(units) < 2:
        return None
    return list(units.values())


def _file_dependencies(root: str) -> list[str]:
    """Folders a chart takes `file://` dependencies from (Chart.yaml, requirements.yaml), resolved."""
    found = []
    for name in ("Chart.yaml", "requirements.yaml"):
        try:
            with open(os.path.join(root, name), encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        found.extend(_norm(os.path.join(root, match)) for match in _FILE_DEPENDENCY.findall(text))
    return found
