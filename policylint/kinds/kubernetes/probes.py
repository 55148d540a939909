"""Which probe ports a container can never answer (the logic of k8s-probe-port-mismatch).

An httpGet, tcpSocket or grpc probe speaks TCP to one port of the container, given by number or
by the name of a declared port. Declaring ports is optional and processes often listen on ports
they do not declare, so a number is never judged; a name is, since it can resolve only against a
declared port. A placeholder (`${PORT}`, `<port>`, `PORT`) cannot be judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policylint.kinds.kubernetes.placeholders import is_port_placeholder

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc")


def probe_port_problems(container: Mapping[str, Any]) -> Iterator[tuple[tuple[str, str, str], str]]:
    """(path of the probe's port, reason) for each probe port the container cannot serve."""
    ports = container.get("ports")
    declared = [port for port in ports if isinstance(port, Mapping)] if isinstance(ports, list) else []
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
                if is_port_placeholder(port):
                    continue
                if port not in protocols:
                    if not declared:
                        yield where, f"{probe} names port {port} but the container declares no ports"
                    else:
                        yield where, f"{probe} port {port} is not a declared container port"
                elif protocols[port] != "TCP":
                    yield where, f"{probe} port {port} is a {protocols[port]} port; a {handler} probe needs TCP"
