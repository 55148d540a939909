"""Side-by-side: zizmor (offline) and policylint on the same workflows, per overlapping rule.

Usage (from the repository root; zizmor from PyPI):
    zizmor --offline --persona auditor --format json PATHS... > zizmor.json
    policylint check --format json PATHS... > policylint.json
    python benchmarks/compare_zizmor.py zizmor.json policylint.json

Prints, for each zizmor audit that policylint has a rule for, every (file, line) zizmor reports
and whether policylint reports its rule there: on the same line, or for artipacked up to 3 lines
on (zizmor points at the checkout step, policylint at its `with:` key when it has one).
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

#: Lines policylint's finding may sit below zizmor's for the same problem.
TOLERANCE = {"artipacked": 3}
#: zizmor audit -> the policylint rules that cover the same problem.
OVERLAP = {
    "template-injection": ("gha-script-injection", "gha-secret-in-run"),
    "unpinned-uses": ("gha-action-not-pinned",),
    "excessive-permissions": ("gha-permissions-write-all", "gha-permissions-missing"),
    "artipacked": ("gha-checkout-persist-credentials",),
    "dangerous-triggers": ("gha-pull-request-target-checkout",),
    "archived-uses": ("gha-deprecated-action",),
    "hardcoded-container-credentials": ("gha-hardcoded-credentials",),
}


def main(zizmor_path: str, policylint_path: str) -> None:
    with open(zizmor_path, encoding="utf-8") as handle:
        zizmor = json.load(handle)
    with open(policylint_path, encoding="utf-8") as handle:
        policylint = json.load(handle)["findings"]
    ours: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for finding in policylint:
        ours[finding["rule_id"]].append((finding["path"], finding["line"]))
    rows = set()
    others = defaultdict(int)
    for finding in zizmor:
        ident = finding["ident"]
        for location in finding["locations"]:
            if location["symbolic"]["kind"] != "Primary":
                continue
            path = location["symbolic"]["key"]["Local"]["verbatim_path"]
            line = location["concrete"]["location"]["start_point"]["row"] + 1
            judged = finding["determinations"]
            confidence = f"{judged['severity']}, {judged['confidence']} confidence, {judged['persona']}"
            if ident not in OVERLAP:
                others[ident] += 1
                continue
            hits = sorted(
                {
                    rule
                    for rule in OVERLAP[ident]
                    for (where, at) in ours[rule]
                    if where == path and line <= at <= line + TOLERANCE.get(ident, 0)
                }
            )
            rows.add((path, line, ident, confidence, ", ".join(hits) or "MISS"))
    print("| file:line | zizmor audit (severity, confidence, persona) | policylint |")
    print("|---|---|---|")
    for path, line, ident, confidence, hits in sorted(rows):
        print(f"| {path.split('.github/workflows/')[-1]}:{line} | {ident} ({confidence}) | {hits} |")
    print()
    print("zizmor audits with no policylint counterpart:", dict(sorted(others.items())))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
