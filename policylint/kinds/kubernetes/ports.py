"""Container ports and the references to them (Service targetPort, NetworkPolicy ports, probes).

A reference is a number or an IANA-style name; a name resolves only against named container
ports. Protocols default to TCP, as in the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from policylint.core.documents import Document
from policylint.kinds.kubernetes.workloads import containers

DEFAULT_PROTOCOL = "TCP"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    """One declared container port."""

    number: int
    protocol: str = DEFAULT_PROTOCOL
    name: str = ""


@dataclass(frozen=True, slots=True)
class PortRef:
    """A reference to a port: by number (with an optional range end) or by name."""

    number: int | None = None
    name: str | None = None
    end: int | None = None

    @property
    def label(self) -> str:
        """How the reference reads in messages."""
        if self.name is not None:
            return self.name
        if self.end is not None:
            return f"{self.number}-{self.end}"
        return str(self.number)


def as_port_number(value: Any) -> int | None:
    """An int port (1..65535) from an int or a string of digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number < 65536 else None


def parse_port_ref(value: Any, end: Any = None) -> PortRef | None:
    """A PortRef from a `port`/`targetPort` value (int, digit string or name); None when unusable."""
    number = as_port_number(value)
    if number is not None:
        last = as_port_number(end)
        return PortRef(number=number, end=last if last is not None and last > number else None)
    if isinstance(value, str) and value.strip():
        return PortRef(name=value.strip())
    return None


def protocol_of(value: Any) -> str:
    """The protocol named by a port entry (TCP when absent)."""
    return value.upper() if isinstance(value, str) and value else DEFAULT_PROTOCOL


def declared_ports(items: Any) -> list[ContainerPort]:
    """The ports of one container's `ports` list, ignoring malformed entries."""
    if not isinstance(items, list):
        return []
    found = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        number = as_port_number(item.get("containerPort"))
        if number is None:
            continue
        name = item.get("name")
        found.append(ContainerPort(number, protocol_of(item.get("protocol")), name if isinstance(name, str) else ""))
    return found


def workload_ports(doc: Document) -> list[ContainerPort]:
    """The ports the pods of a workload serve: main containers and (sidecar) init containers."""
    found: list[ContainerPort] = []
    for field, _, container in containers(doc):
        if field == "ephemeralContainers":
            continue
        found.extend(declared_ports(container.get("ports")))
    return found


def port_matches(ref: PortRef, protocol: str | None, ports: Iterable[ContainerPort]) -> bool:
    """True when some port satisfies the reference (and the protocol, when one is given)."""
    for port in ports:
        if protocol is not None and port.protocol != protocol:
            continue
        if ref.name is not None:
            if port.name == ref.name:
                return True
        elif ref.number is not None:
            last = ref.end if ref.end is not None else ref.number
            if ref.number <= port.number <= last:
                return True
    return False
