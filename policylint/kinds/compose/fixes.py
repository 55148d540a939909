"""Compose code fixes (policylint.core.fixes)."""

from __future__ import annotations

import yaml

from policylint.core.fixes import Edit, FixContext, Unfixable, scalar_like, set_path
from policylint.core.kinds import fixer

LOOPBACK = "127.0.0.1"


@fixer("compose", "bind-port-to-loopback")
def bind_port_to_loopback(context: FixContext) -> list[Edit]:
    """Publish a datastore's port on 127.0.0.1 only: `"5432:5432"` -> `"127.0.0.1:5432:5432"`,
    a long-syntax entry gets `host_ip: 127.0.0.1`."""
    pointer = context.plan.violation_pointer
    if "ports" not in pointer:
        raise Unfixable("no ports entry")
    at = pointer.index("ports")
    item_pointer = pointer[: at + 2]
    if len(item_pointer) != at + 2:
        raise Unfixable("no ports entry")
    node = context.yaml.find(item_pointer)
    target = context.yaml
    if isinstance(node, yaml.ScalarNode):
        value = node.value
        if value.count(":") != 1 or "[" in value or node.style in ("|", ">"):
            raise Unfixable(f"port {value!r} already names a host address or is not HOST:CONTAINER")
        return [Edit(target.start(node), target.end(node), scalar_like(node, f"{LOOPBACK}:{value}")
                     if node.style else f'"{LOOPBACK}:{value}"')]
    if isinstance(node, yaml.MappingNode):
        return set_path(target, node, ["host_ip"], LOOPBACK)
    raise Unfixable("ports entry of an unknown shape")
