"""GitHub Actions code fixes (policylint.core.fixes)."""

from __future__ import annotations

import re

import yaml

from policylint.core.fixes import Edit, FixContext, Unfixable, scalar_like
from policylint.core.kinds import fixer

_SHA = re.compile(r"^[0-9a-f]{40}$")


@fixer("github-actions", "bump-action-major")
def bump_action_major(context: FixContext) -> list[Edit]:
    """`uses: owner/repo@vN` -> the major the deprecation table names (`actions/checkout@v5`)."""
    replacement = str(context.plan.values.get("replacement") or "")
    wanted = re.fullmatch(r"([\w.-]+/[\w.*-]+(?:/[\w.*/-]+)?)@(v\d+)", replacement)
    if wanted is None:
        raise Unfixable(f"the replacement is another action ({replacement}): migrate by hand")
    node = context.node()
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        raise Unfixable("uses is not a one-line scalar")
    action, _, ref = node.value.partition("@")
    if not ref or _SHA.match(ref) or not re.fullmatch(r"v?\d+(\.\d+)*", ref):
        raise Unfixable(f"uses is pinned to {ref or 'nothing'}: pick the new commit by hand")
    pattern = wanted.group(1)
    if "*" in pattern:
        prefix = pattern.split("*", 1)[0]
        if not action.startswith(prefix):
            raise Unfixable("the replacement names another action")
    elif action.lower() != pattern.lower():
        raise Unfixable("the replacement names another action")
    new = f"{action}@{wanted.group(2)}"
    return [Edit(context.yaml.start(node), context.yaml.end(node), scalar_like(node, new))]
