"""Which probe ports a container can never answer (the logic of k8s-probe-port-mismatch).

An httpGet, tcpSocket or grpc probe speaks TCP to one port of the container, given by number or
by the name of a declared port. Declaring ports is optional, so a number is judged only when the
container declares ports; a name is judged always, since it can resolve only against a declared
port. A port written exactly as a declared containerPort is that port, even when neither is
rendered yet (`${PORT}`); an unrendered probe port that matches nothing cannot be judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.kinds.kubernetes.placeholders import is_unrendered

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc")


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def probe_port_problems(container: Mapping[str, Any]) -> Iterator[tuple[tuple[str, str, str], str]]:
    """(path of the probe's port, reason) for each probe port the container cannot serve."""
    ports = container.get("ports")
    declared = [port for port in ports if isinstance(port, Mapping)] if isinstance(ports, list) else []
    # A quoted containerPort ("8080") is still port 8080, as the probe's own port is compared.
    numbers = {_as_int(port.get("containerPort")) for port in declared} - {None}
    texts = {str(port["containerPort"]) for port in declared if port.get("containerPort") is not None}
    protocols = {
        port["name"]: str(port.get("protocol") or "TCP").upper() for port in declared if isinstance(port.get("name"), str)
    }
    for probe in PROBES:
        spec = container.get(probe)
        if not isinstance(spec, Mapping):
            continue
        for handler in PROBE_HANDLERS:
            action = spec.get(handler)
            if not isinstance(action, Mapping) or "port" not in action:
                continue
            port = action["port"]
            where = (probe, handler, "port")
            if str(port) in texts:
                continue
            if isinstance(port, str) and not port.isdigit():
                if is_unrendered(port):
                    continue
                if port not in protocols:
                    if not declared:
                        yield where, f"{probe} names port {port} but the container declares no ports"
                    else:
                        yield where, f"{probe} port {port} is not a declared container port"
                elif protocols[port] != "TCP":
                    yield where, f"{probe} port {port} is a {protocols[port]} port; a {handler} probe needs TCP"
            elif declared and _as_int(port) not in numbers:
                yield where, f"{probe} port {port} is not a declared container port"
