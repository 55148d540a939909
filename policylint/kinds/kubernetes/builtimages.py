"""Images a build tool in the repository builds and tags: not `latest` (k8s-image-tag-latest).

`image: frontend` in a manifest that skaffold deploys is replaced by skaffold with the tag of the
image it just built; the same holds for Tilt's `docker_build('frontend', ...)` and for a
kustomization's `images:` entry with `newTag` or `digest`. Such a name is tagged at deploy time,
so reporting it as `latest` is noise nobody can act on. The names are read from the files only
(YAML parsed as data, a Tiltfile matched as text): nothing is run.

Scope: a `skaffold.yaml` or `Tiltfile` covers the manifests in its folder and below; a
kustomization's `images:` covers the files its build lists (`Document.groups`). An image that
nothing in the repository builds keeps its finding. `ko://` references are handled by the
`image-not-latest` format itself (ko tags what it builds by digest).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import Any

from policylint.core.documents import Document
from policylint.core.images import parse_image

SKAFFOLD_FILES = ("skaffold.yaml", "skaffold.yml")
TILTFILE = "Tiltfile"
#: `docker_build('name', ...)`, `docker_build(ref='name', ...)`, `custom_build(...)` and the live-update helper.
_TILT_BUILD = re.compile(
    r"\b(?:docker_build|custom_build|docker_build_with_restart)\(\s*(?:ref\s*=\s*)?[\"']([^\"']+)[\"']")


def image_name(reference: str) -> str:
    """The name a build tool matches an image by: registry and repository, without tag or digest."""
    parsed = parse_image(reference)
    return f"{parsed.registry}/{parsed.repository}" if parsed.registry else parsed.repository


def tag_built_images(documents: Iterable[Document]) -> None:
    """Set `Document.built_images` of each Kubernetes document that a build configuration covers."""
    docs = [doc for doc in documents if doc.file_kind == "kubernetes"]
    if not docs:
        return
    by_folder: dict[str, list[tuple[frozenset[str], tuple[str, ...] | None]]] = {}
    chains: dict[str, list[str]] = {}
    kustomize: dict[str, frozenset[str]] = {}
    top = os.path.abspath(os.getcwd())
    for doc in docs:
        names: set[str] = set()
        places = [os.path.abspath(doc.path)]
        if doc.origin.startswith(OVERLAY_ORIGIN):  # rendered: the overlay's folder is what a build tool deploys
            places.append(os.path.abspath(doc.origin[len(OVERLAY_ORIGIN):]))
        start = posixpath.dirname(doc.path)
        chain = chains.get(start)
        if chain is None:
            chain = chains[start] = _folders_up(start, top)
        for folder in chain:
            entries = by_folder.get(folder)
            if entries is None:
                entries = by_folder[folder] = _built_in_folder(folder)
            for built, scope in entries:
                if scope is None or any(_within(place, target) for place in places for target in scope):
                    names |= built
        for group in doc.groups:
            found = kustomize.get(group)
            if found is None:
                found = kustomize[group] = frozenset(_kustomization_images(group))
            names |= found
        if names:
            doc.built_images = tuple(sorted(names))


#: How a document rendered from a kustomize overlay names it (policylint.kinds.kubernetes.kustomize).
OVERLAY_ORIGIN = "kustomize overlay "


def _within(path: str, target: str) -> bool:
    return path == target or path.startswith(target.rstrip(os.sep) + os.sep)


def _folders_up(folder: str, top: str) -> list[str]:
    """`folder` (absolute) and each folder above it, up to the working folder or the repository root."""
    current = os.path.abspath(folder or ".")
    chain = []
    while True:
        chain.append(current)
        parent = os.path.dirname(current)
        if current == top or parent == current or os.path.exists(os.path.join(current, ".git")):
            return chain
        current = parent


def _built_in_folder(folder: str) -> list[tuple[frozenset[str], tuple[str, ...] | None]]:
    """(image names, scope) of the skaffold files and Tiltfile of one folder. The scope is None for
    the whole folder tree, else the paths a Tiltfile deploys (`k8s_yaml`, `kustomize`, `helm`)."""
    entries: list[tuple[frozenset[str], tuple[str, ...] | None]] = []
    for name in SKAFFOLD_FILES:
        text = _read(os.path.join(folder, name))
        if text is not None:
            entries.append((frozenset(skaffold_images(text)), None))
    text = _read(os.path.join(folder, TILTFILE))
    if text is not None:
        deployed = tilt_deployed_paths(text)
        scope = tuple(os.path.normpath(os.path.join(folder, path)) for path in deployed) if deployed else None
        entries.append((frozenset(tilt_images(text)), scope))
    return entries


#: What a Tiltfile deploys: the string arguments of `k8s_yaml(...)`, `kustomize(...)` and `helm(...)`.
_TILT_DEPLOY = re.compile(r"\b(?:k8s_yaml|kustomize|helm)\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_STRING = re.compile(r"[\"']([^\"']+)[\"']")


def tilt_deployed_paths(text: str) -> list[str]:
    """The paths a Tiltfile deploys, as written; empty when they are not literal (computed in Starlark)."""
    lines = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    return sorted({literal for call in _TILT_DEPLOY.finditer(lines) for literal in _STRING.findall(call.group(1))
                   if "=" not in literal and not literal.startswith(("ext://", "http"))})


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def skaffold_images(text: str) -> set[str]:
    """`build.artifacts[].image` of every document and profile of a skaffold configuration."""
    from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream

    names: set[str] = set()
    for parsed in parse_yaml_stream(text):
        if not isinstance(parsed, YamlDocument) or not isinstance(parsed.data, Mapping):
            continue
        data = parsed.data
        builds = [data.get("build")]
        profiles = data.get("profiles")
        builds += [profile.get("build") for profile in profiles if isinstance(profile, Mapping)] if isinstance(profiles, list) else []
        for build in builds:
            artifacts = build.get("artifacts") if isinstance(build, Mapping) else None
            for artifact in artifacts if isinstance(artifacts, list) else []:
                image = artifact.get("image") if isinstance(artifact, Mapping) else None
                if isinstance(image, str) and image.strip():
                    names.add(image_name(image))
    return names


def tilt_images(text: str) -> set[str]:
    """The image names a Tiltfile builds (`docker_build`, `custom_build`); the file is read, never run."""
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    return {image_name(match.group(1)) for match in _TILT_BUILD.finditer("\n".join(lines)) if match.group(1).strip()}


def _kustomization_data(file: str) -> Mapping[str, Any] | None:
    """The first document of a kustomization file when it is a mapping, else None."""
    text = _read(file)
    if text is None:
        return None
    from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream

    parsed = next(iter(parse_yaml_stream(text)), None)
    data = parsed.data if isinstance(parsed, YamlDocument) else None
    return data if isinstance(data, Mapping) else None


def _kustomization_images(file: str) -> set[str]:
    """The images a kustomization retags: `images:` entries with `newTag` or `digest` (their `name`, and `newName`)."""
    data = _kustomization_data(file)
    return kustomize_images(data) if data is not None else set()


def kustomize_images(data: Mapping[str, Any]) -> set[str]:
    """Names from a kustomization's `images:` whose entries set a digest or a tag other than `latest`."""
    names: set[str] = set()
    images = data.get("images")
    for entry in images if isinstance(images, list) else []:
        if not isinstance(entry, Mapping):
            continue
        tag = entry.get("newTag")
        if not entry.get("digest") and (not tag or str(tag).strip() == "latest"):
            continue  # `newTag: latest` retags to latest: still mutable
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            names.add(image_name(name))
    return names


def namespace_from_kustomizations(documents: Iterable[Document]) -> None:
    """Objects that set no namespace take the one the kustomizations listing them set (`namespace:`),
    as `kustomize build` writes it; when those kustomizations disagree (two overlays of one base),
    the run's default stays."""
    cache: dict[str, str | None] = {}
    for doc in documents:
        if doc.file_kind != "kubernetes" or not doc.groups or doc.origin or doc.metadata.get("namespace"):
            continue
        found = set()
        for group in doc.groups:
            if group not in cache:
                cache[group] = _kustomization_namespace(group)
            if cache[group]:
                found.add(cache[group])
        if len(found) == 1:
            doc.default_namespace = found.pop()


def _kustomization_namespace(file: str) -> str | None:
    data = _kustomization_data(file)
    namespace = data.get("namespace") if data is not None else None
    return namespace if isinstance(namespace, str) and namespace.strip() else None


def built_here(doc: Document, image: Any) -> bool:
    """Whether a container's image is one a build configuration covering `doc` builds and tags."""
    return bool(doc.built_images) and isinstance(image, str) and image_name(image) in doc.built_images
