"""docker-compose targets: the file, and each service with its settings normalised.

Compose accepts several spellings of the same setting; the service view gives each one shape, with
anchors back to where it is written, so policies stay plain JSON Schema:

- `environment` (map or `KEY=VALUE` list) -> a list of `{name, value}` and a map `env`;
- `ports` (short `"127.0.0.1:5432:5432/tcp"`, ranges, bare numbers, or long `{target, published,
  host_ip}`) -> `{host_ip, published, target, protocol, all_interfaces}`;
- `depends_on` (list or map) -> `{service, condition}`;
- `volumes` (short or long) -> `{type, source, target}`;
- `cap_add` -> upper-case names without the `CAP_` prefix; `command`/`entrypoint` -> words;
- `image` -> its parts (`name` is the last path component), with `interpolated` when it holds `$`;
- `memory_limit`: `deploy.resources.limits.memory` or `mem_limit`;
- `credentials`: each password-like variable with the user variable it pairs with;
- `provider`: true for a service run by a provider (`provider: {type: model}`), not a container.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.images import parse_image
from policylint.core.kinds import target
from policylint.core.sensitive import credential_url_password, is_placeholder, words
from policylint.core.views import Anchor, View
from policylint.kinds.compose.services import depends_on_of, healthcheck_defined, memory_limit, text_of

_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
_PASSWORD_WORD = re.compile(r"(?:^|_)(password|passwd|pass|pwd)(?=_|$)")
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})
_URL_USER = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://([^/\s:@]*):")


@target("compose", "file")
def file(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """The whole compose file."""
    yield View(doc.data, {(): Anchor(doc, ())}, doc, label=f"{doc.path}[{doc.index}]", fields={"file": doc.path})


@target("compose", "service")
def service(doc: Document, match: Mapping[str, Any]) -> Iterator[View]:
    """Each service under `services:`, normalised (see the module docstring)."""
    services = doc.data.get("services")
    if not isinstance(services, Mapping):
        return
    for name, data in services.items():
        if isinstance(data, Mapping):
            yield service_view(doc, str(name), data)


def service_view(doc: Document, name: str, data: Mapping[str, Any]) -> View:
    """The normalised view of one service."""
    base = ("services", name)
    anchors: dict[tuple[Any, ...], Anchor] = {(): Anchor(doc, base), ("service",): Anchor(doc, base)}
    instance: dict[str, Any] = {"service": data, "name": name}

    environment = _environment(data.get("environment"))
    instance["environment"] = [{"name": key, "value": value} for key, value, _ in environment]
    instance["env"] = {key: value for key, value, _ in environment}
    for number, (key, _, step) in enumerate(environment):
        anchors[("environment", number)] = Anchor(doc, (*base, "environment", step))
        anchors[("env", key)] = Anchor(doc, (*base, "environment", step))

    ports = data.get("ports")
    instance["ports"] = [parse_port(item) for item in ports] if isinstance(ports, list) else []
    for number in range(len(instance["ports"])):
        anchors[("ports", number)] = Anchor(doc, (*base, "ports", number))

    instance["depends_on"] = [{"service": other, "condition": cond} for other, cond, _ in depends_on_of(data.get("depends_on"))]

    volumes = data.get("volumes")
    instance["volumes"] = [_volume(item) for item in volumes] if isinstance(volumes, list) else []
    for number in range(len(instance["volumes"])):
        anchors[("volumes", number)] = Anchor(doc, (*base, "volumes", number))

    caps = data.get("cap_add")
    instance["capabilities_added"] = [_capability(item) for item in caps] if isinstance(caps, list) else []
    for number in range(len(instance["capabilities_added"])):
        anchors[("capabilities_added", number)] = Anchor(doc, (*base, "cap_add", number))

    command: list[str] = []
    for key in ("entrypoint", "command"):
        if key in data:
            command.extend(_command_words(data[key]))
            anchors[("command",)] = Anchor(doc, (*base, key))
    instance["command"] = command

    image = data.get("image")
    if isinstance(image, str):
        reference = parse_image(image)
        instance["image"] = image
        instance["image_ref"] = {
            "repository": reference.repository,
            "name": reference.repository.rsplit("/", 1)[-1],
            "tag": reference.tag,
            "digest": reference.digest,
            "interpolated": "$" in image,
        }
        anchors[("image",)] = anchors[("image_ref",)] = Anchor(doc, (*base, "image"))

    limit, limit_pointer = memory_limit(data)
    if limit is not None:
        instance["memory_limit"] = limit
        anchors[("memory_limit",)] = Anchor(doc, (*base, *limit_pointer))

    credentials = _credentials(environment)
    instance["credentials"] = [item for item, _ in credentials]
    for number, (_, step) in enumerate(credentials):
        anchors[("credentials", number)] = Anchor(doc, (*base, "environment", step))

    instance["healthcheck_defined"] = healthcheck_defined(data.get("healthcheck"))
    instance["provider"] = data.get("provider") is not None
    anchors[("healthcheck_defined",)] = Anchor(doc, (*base, "healthcheck") if "healthcheck" in data else base)
    return View(instance, anchors, doc, label=f"{doc.path}#services[{name}]", fields={"service": name, "name": name})


def _environment(value: Any) -> list[tuple[str, str | None, str | int]]:
    """(name, value, pointer step) for both syntaxes; a bare `KEY` takes its value from the host."""
    found: list[tuple[str, str | None, str | int]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.append((str(key), text_of(item), key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if isinstance(item, str):
                key, has_value, text = item.partition("=")
                found.append((key.strip(), text if has_value else None, number))
    return found


def interpolate_defaults(text: str) -> str:
    """`${VAR:-default}` -> default; any other `${...}` -> `$VAR` (unknown, but without colons)."""

    def replace(match: re.Match[str]) -> str:
        if match.group(2) in (":-", "-"):
            return match.group(3) or ""
        return "$" + match.group(1)

    return _INTERPOLATION.sub(replace, text)


def parse_port(item: Any) -> dict[str, Any]:
    """One `ports:` entry in either syntax, as {host_ip, published, target, protocol, all_interfaces}.

    A port with no published part still publishes, on a random host port. A host IP that is an
    unresolved variable is not judged (`all_interfaces` false).
    """
    if isinstance(item, Mapping):
        host_ip = text_of(item.get("host_ip")) or ""
        published = text_of(item.get("published"))
        target_port = text_of(item.get("target"))
        protocol = text_of(item.get("protocol")) or "tcp"
    else:
        text = interpolate_defaults(str(item).strip())
        text, _, protocol = text.partition("/")
        protocol = protocol or "tcp"
        host_ip = ""
        if text.startswith("["):
            host_ip, _, text = text[1:].partition("]")
            host_ip, text = f"[{host_ip}]", text.lstrip(":")
        elif text.count(":") > 2:  # a bare IPv6 address before published:target
            host_ip, _, text = text.rpartition(":")
            host_ip, _, published_part = host_ip.rpartition(":")
            text = f"{published_part}:{text}"
        parts = text.split(":")
        if len(parts) == 3:
            host_ip, published, target_port = parts
        elif len(parts) == 2:
            published, target_port = parts
        else:
            published, target_port = None, parts[0]
        published = published or None
    unresolved = host_ip.startswith("$")
    return {
        "host_ip": host_ip or None,
        "published": published,
        "target": target_port,
        "protocol": protocol.lower(),
        "all_interfaces": not unresolved and host_ip in ALL_INTERFACES,
    }


def _volume(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return {"type": text_of(item.get("type")) or "volume", "source": text_of(item.get("source")), "target": text_of(item.get("target"))}
    text = str(item)
    if text.startswith(("/", ".", "~", "$")) or re.match(r"^[A-Za-z]:[\\/]", text):
        kind = "bind"
    else:
        kind = "volume" if ":" in text else "anonymous"
    parts = re.split(r":(?![\\/])", text) if re.match(r"^[A-Za-z]:[\\/]", text) else text.split(":")
    source = parts[0] if len(parts) > 1 else None
    target_path = parts[1] if len(parts) > 1 else parts[0]
    return {"type": kind, "source": source, "target": target_path}


def _capability(item: Any) -> str:
    name = str(item).strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def _command_words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return []


def _credentials(environment: list[tuple[str, str | None, str | int]]) -> list[tuple[dict[str, Any], str | int]]:
    """Each password-like variable with its user (the paired variable, or the user of a URL).

    The pair of `X_PASSWORD` is the first of `X_USER`, `X_USERNAME`, `X` that is set
    (`KEYCLOAK_ADMIN_PASSWORD` pairs with `KEYCLOAK_ADMIN`, `POSTGRES_PASSWORD` with `POSTGRES_USER`).
    A credential URL pairs its own user and password.
    """
    values = {name: value for name, value, _ in environment}
    found: list[tuple[dict[str, Any], str | int]] = []
    for name, value, step in environment:
        if value is None:
            continue
        password = credential_url_password(value)
        if password is not None:
            user = _URL_USER.match(value)
            found.append(({"password_var": name, "user_var": name, "user": user.group(1) if user else "", "password": password}, step))
            continue
        normal = words(name).upper()
        match = _PASSWORD_WORD.search(normal.lower())
        if not match:
            continue
        stem = normal[: match.start()].rstrip("_")
        tail = normal[match.end() :]
        if is_placeholder(value):
            continue  # an empty or templated password equal to an empty user is no credential yet
        for candidate in (f"{stem}_USER{tail}", f"{stem}_USERNAME{tail}", f"{stem}{tail}"):
            if candidate in values and candidate != name and values[candidate] is not None:
                found.append(({"password_var": name, "user_var": candidate, "user": values[candidate], "password": value}, step))
                break
    return found
