"""Helm charts: recognise chart folders, render them in-process, and check what they render.

A folder holding `Chart.yaml` is a chart. With the Helm library installed (`pip install
"policylint[helm]"`: helm-python-sdk, Helm 4's Go SDK behind a C ABI, loaded with ctypes) a chart
is rendered offline — no cluster, no network, no plugins or post-renderers; `lookup` returns
nothing — once with its `values.yaml` (plus any `--helm-values` files) and once more for each
chart-testing `ci/*-values.yaml` file. Rendered objects point at their template file and line: the
line where the offending key is written literally, else the nearest template line holding the
key's name (see `TemplateLines`). The library is imported only when a chart is found, so a run
on plain manifests never loads it.

Declared dependencies missing from `charts/` become `helm` documents at their `Chart.yaml` entry
that `helm-dependency-missing` judges (a finding that can be suppressed, not a parse-error that
always fails the run); the chart's templates that render without them are still checked. Values
that break `values.schema.json` become `helm` documents that `helm-values-invalid` judges.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from policylint.core.documents import Document, LoadResult, ParseFailure, Skipped
from policylint.core.files import Candidate, display_path
from policylint.core.yamlnodes import Pointer, Position, YamlDocument, YamlError, parse_yaml_stream
from policylint.kinds.kubernetes.renderplan import CHART_FILE
from policylint.kinds.kubernetes.renderplan import may_be_chart_file as _may_be_chart_file

INSTALL_HINT = 'Helm charts found but not rendered: install the Helm library with pip install "policylint[helm]"'
#: helm template's own default release name, so names match what users see from `helm template`.
DEFAULT_RELEASE = "release-name"
#: A render error names `<chart>/templates/<file>:<line>:<column>` before its reason.
_TEMPLATE_ERROR = re.compile(
    r"(?:template: )?(?P<name>[^\s:]+/templates/[^\s:]+):(?P<line>\d+)(?::(?P<column>\d+))?:?\s+(?P<reason>.*)", re.S)
_SCHEMA_ERROR = re.compile(r"^- at '(?P<path>[^']*)': (?P<reason>.*)$")
_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_INCLUDE_ACTION = re.compile(r"\{\{-?\s*(?:include|template)\s")
_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?:-\s+)*(?P<key>[\"']?[A-Za-z0-9_.\-/$]+[\"']?)\s*:(?:\s|$)")


@dataclass(frozen=True)
class HelmSettings:
    """How charts are rendered: extra values files (in order), release name and namespace."""

    values: tuple[Path, ...] = ()
    release_name: str = DEFAULT_RELEASE
    namespace: str = "default"


@dataclass
class Chart:
    """A chart folder to render."""

    root: Path
    file: Path


@dataclass
class HelmPlan:
    """What a run does with the candidates once charts are known."""

    candidates: list[Candidate]
    charts: list[Chart] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def library_available() -> bool:
    """True when the Helm library is installed (checked without importing it)."""
    from importlib.util import find_spec

    return find_spec("helm_python") is not None


def _chart_root(path: str, cache: dict[str, bool]) -> Path | None:
    """The outermost chart folder holding `path` (absolute, normalised; a subchart renders as part
    of its parent). Folders are text here: a Path per folder per file costs more than the look-up."""
    found: str | None = None
    folder = os.path.dirname(path)
    while True:  # every folder above, up to the root (Path.parents)
        holds = cache.get(folder)
        if holds is None:
            holds = cache[folder] = Path(folder, CHART_FILE).is_file()
        if holds:
            found = folder
        above = os.path.dirname(folder)
        if above == folder:
            break
        folder = above
    return Path(found) if found is not None else None


def plan(candidates: list[Candidate], render: bool) -> HelmPlan:
    """Split candidates into plain files and chart folders to render.

    With `render` off, or without the library, charts are not rendered: their templates are then
    skipped by the Kubernetes loader with its notice (and, without the library, one notice says
    how to install it).
    """
    cache: dict[str, bool] = {}
    roots: dict[Path, Chart] = {}
    owner: dict[int, Path] = {}
    for index, candidate in enumerate(candidates):
        if candidate.disk is None or not _may_be_chart_file(candidate):
            continue
        root = _chart_root(os.path.abspath(candidate.disk), cache)
        if root is not None:
            owner[index] = root
            roots.setdefault(root, Chart(root, root / CHART_FILE))
    if not roots:
        return HelmPlan(list(candidates))
    if not render:
        return HelmPlan(list(candidates))
    if not library_available():
        # one per chart, at its Chart.yaml: the run turns these into helm-not-rendered findings
        return HelmPlan(list(candidates), skipped=[Skipped(display_path(roots[root].file), INSTALL_HINT)
                                                   for root in sorted(roots)])
    kept = [candidate for index, candidate in enumerate(candidates) if index not in owner]
    return HelmPlan(kept, [roots[root] for root in sorted(roots)])


# --- values -------------------------------------------------------------------------------------


@dataclass
class ValuesFile:
    """A values file read for a rendering: its data and key positions."""

    path: Path
    data: dict[str, Any]
    positions: dict[Pointer, Position]


def read_values(path: Path, result: LoadResult) -> ValuesFile | None:
    """Parse a values file (a parse-error, and None, when it is unreadable or not a mapping)."""
    display = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        result.failures.append(ParseFailure(display, "helm", 1, 1, f"cannot read file: {getattr(exc, 'strerror', None) or exc}"))
        return None
    result.sources[display] = text
    parsed = next(iter(parse_yaml_stream(text)), None)
    if isinstance(parsed, YamlError):
        result.failures.append(ParseFailure(display, "helm", parsed.line, parsed.column, parsed.reason))
        return None
    if parsed is None or parsed.data is None:
        return ValuesFile(path, {}, {})
    if not isinstance(parsed.data, dict):
        result.failures.append(ParseFailure(display, "helm", parsed.start_line, 1, "a values file must be a mapping"))
        return None
    return ValuesFile(path, parsed.data, parsed.positions)


def merge_values(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's `-f a -f b` merge: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_values(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


# --- mapping rendered objects back to template lines ------------------------------------------


class TemplateLines:
    """Where each key is written in one template: lines of `key:` with their YAML key path.

    Templates are not YAML, so the path of a literal key is read from indentation alone (template
    actions on their own line are passed over). A rendered key then maps to the literal line whose
    path agrees most with its own, else to its nearest parent's line (a block that `toYaml` wrote),
    else to the first line that names the key at all.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.keys: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        stack: list[tuple[int, str]] = []
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            if not stripped or (stripped.startswith(("#", "{{")) and stripped.endswith("}}")):
                continue
            if stripped == "---":
                stack = []
                continue
            match = _KEY_LINE.match(line)
            if match is None:
                continue
            key = match.group("key").strip("\"'")
            column = match.start("key") + 1
            while stack and stack[-1][0] >= column - 1:
                stack.pop()
            stack.append((column - 1, key))
            self.keys.setdefault(key, []).append((number, column, tuple(name for _, name in stack)))
        #: Every word of the template (`.Values.resources` holds `resources`) -> where it appears.
        self.words: dict[str, list[tuple[int, int]]] = {}
        for number, line in enumerate(self.lines, start=1):
            for word in _WORD.finditer(line):
                self.words.setdefault(word.group(), []).append((number, word.start() + 1))

    def locate(self, pointer: Pointer, after: int = 0) -> Position | None:
        """The template position of a rendered pointer: its key written literally, else the key's name
        anywhere, else the same for its parents (None when nothing fits)."""
        names = tuple(step for step in pointer if isinstance(step, str))
        for size in range(len(names), 0, -1):
            key = names[size - 1]
            entries = self.keys.get(key)
            if not entries:
                found = self.mention((key,), after)
                if found is not None:
                    return found
                continue
            wanted = names[:size]

            def score(entry: tuple[int, int, tuple[str, ...]], wanted: tuple[str, ...] = wanted) -> tuple[int, int, int]:
                line, _, path = entry
                common = 0
                for mine, theirs in zip(reversed(path), reversed(wanted), strict=False):
                    if mine != theirs:
                        break
                    common += 1
                return common, int(line >= after), -abs(line - after)

            line, column, _ = max(entries, key=score)
            return Position(line, column)
        return None

    def mention(self, pointer: Pointer, after: int = 0) -> Position | None:
        """The template line nearest `after` that names the pointer's key (or, failing that, a parent's) at all."""
        names = [step for step in pointer if isinstance(step, str)]
        for name in reversed(names):
            found = self.words.get(name)
            if found:
                line, column = min(found, key=lambda place: (place[0] < after, abs(place[0] - after)))
                return Position(line, column)
        return None


@lru_cache(maxsize=32)
def _template_lines(text: str) -> TemplateLines:
    return TemplateLines(text)


def _segments(text: str) -> list[tuple[int, str]]:
    """The template split at `---` lines: (first line number, text) of each part."""
    parts: list[tuple[int, str]] = []
    start, current = 1, []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == "---":
            parts.append((start, "\n".join(current)))
            start, current = number + 1, []
        else:
            current.append(line)
    parts.append((start, "\n".join(current)))
    return [part for part in parts if part[1].strip()]


def line_map(rendered: str, template: str) -> dict[int, int]:
    """Rendered line -> template line, for every line the template holds word for word.

    Most of a template is literal YAML (a CRD, a Deployment with a few actions): those lines map
    exactly, whatever the actions above them printed. difflib is the standard library's sequence
    matcher; it aligns the two texts in near-linear time when they are mostly the same.
    """
    from difflib import SequenceMatcher

    ours, theirs = rendered.split("\n"), template.split("\n")
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    mapping: dict[int, int] = {}
    for start, other, size in matcher.get_matching_blocks():
        for step in range(size):
            if ours[start + step].strip():
                mapping[start + step + 1] = other + step + 1
    return mapping


#: A pointer whose line is not literal in the template is placed by key name; past this many
#: such pointers in one object (a huge generated block) the rest take their nearest located parent's place.
_MAX_SEARCHED = 2000


def _template_positions(rendered: YamlDocument, template: str, index: int, count: int,
                        mapping: dict[int, int]) -> tuple[dict[Pointer, Position], int]:
    """Positions of every rendered node in the template, and the object's first template line."""
    segments = _segments(template)
    offset, text = segments[index] if len(segments) == count and index < len(segments) else (1, template)
    lines: TemplateLines | None = None
    positions: dict[Pointer, Position] = {}
    searched = 0
    previous = 0
    for pointer, position in rendered.positions.items():
        literal = mapping.get(position.line)
        if literal is not None:
            positions[pointer] = Position(literal, position.column)
            previous = literal - offset + 1
            continue
        if not pointer or searched >= _MAX_SEARCHED:
            continue
        searched += 1
        lines = lines or _template_lines(text)
        found = lines.locate(pointer, previous)
        if found is not None:
            previous = found.line
            positions[pointer] = Position(found.line + offset - 1, found.column)
    if () not in positions:
        lines = lines or _template_lines(text)
        kind = positions.get(("kind",)) or lines.locate(("kind",))
        if kind is None:  # the whole object comes from a named template: point at the action that includes it
            producer = next((number for number, line in enumerate(text.split("\n"), start=1) if _INCLUDE_ACTION.search(line)), 1)
            start = producer + offset - 1
        else:
            start = kind.line if ("kind",) in positions else kind.line + offset - 1
        positions[()] = Position(start, 1)
    for pointer in rendered.positions:  # a node left unplaced takes its nearest placed parent's position
        if pointer not in positions:
            parent = pointer[:-1]
            while parent not in positions:
                parent = parent[:-1]
            positions[pointer] = positions[parent]
    return positions, positions[()].line


# --- rendering ----------------------------------------------------------------------------------


def _dependency_failures(chart: Chart, helm: Any, result: LoadResult, folder: Path | None = None) -> bool:
    """A `helm` document at each `Chart.yaml` dependency entry missing from `charts/` (helm-dependency-missing); whether any is.

    Helm reads `folder` (the render copy, without links out of the chart), positions come from `chart.file`.
    """
    try:
        dependencies = helm.dependency_list(str(folder or chart.root))
    except helm.HelmError:
        return False
    broken = [item for item in dependencies if item.get("status") not in ("ok", "unpacked")]
    if not broken:
        return False
    display = display_path(chart.file)
    positions: dict[Pointer, Position] = {}
    declared: list[Any] = []
    try:
        text = chart.file.read_text(encoding="utf-8")
        parsed = next(iter(parse_yaml_stream(text)), None)
        if isinstance(parsed, YamlDocument) and isinstance(parsed.data, dict):
            positions, declared = parsed.positions, parsed.data.get("dependencies") or []
    except (OSError, UnicodeDecodeError):
        pass
    for number, item in enumerate(broken):
        name = item.get("name", "")
        entry = next((i for i, dep in enumerate(declared) if isinstance(dep, Mapping) and dep.get("name") == name), None)
        position = positions.get(("dependencies", entry), Position(1, 1)) if entry is not None else Position(1, 1)
        status = item.get("status")
        what = "is missing from charts/" if status == "missing" else f"in charts/ is {status}"
        version = f" {item['version']}" if item.get("version") else ""
        text = (f"dependency {name!r}{version} {what}: run `helm dependency build {display_path(chart.root)}` "
                "(policylint never downloads charts)")
        result.documents.append(Document(
            path=display, file_kind="helm", index=number,
            data={"chart": display_path(chart.root), "missingDependencies": [text]},
            positions={(): position, ("missingDependencies", 0): position}, start_line=position.line,
            end_line=position.line))
    return True


def _variants(chart: Chart, settings: HelmSettings) -> list[list[Path]]:
    """The values files of each rendering: the user's, then one more for each `ci/*-values.yaml`."""
    base = list(settings.values)  # the user's own --helm-values files: trusted as given
    ci = sorted((chart.root / "ci").glob("*-values.yaml")) if (chart.root / "ci").is_dir() else []
    inside = _inside(chart)
    return [base, *([*base, file] for file in ci if inside(file))]


def _inside(chart: Chart) -> Any:
    """A test that a file of the chart really is in it (a symlink out of the chart is never read)."""
    from policylint.core.boundary import Boundary, is_regular_file

    box = Boundary([str(chart.root)])
    return lambda path: box.admits(path) and is_regular_file(path)


def _label(chart: Chart, files: Sequence[Path]) -> str:
    """`helm chart charts/web (values ci/debug-values.yaml)`: a values file inside the chart is named
    from the chart's folder, so the message does not repeat the chart's path."""
    label = f"helm chart {display_path(chart.root)}"
    return f"{label} (values {', '.join(_values_name(chart, file) for file in files)})" if files else label


def _values_name(chart: Chart, file: Path) -> str:
    try:
        return Path(os.path.abspath(file)).relative_to(os.path.abspath(chart.root)).as_posix()
    except ValueError:
        return display_path(file)


def _source_file(chart: Chart, name: str) -> Path | None:
    """The file on disk of a rendered template name (`web/charts/sub/templates/x.yaml`)."""
    parts = name.split("/")[1:]
    path = chart.root.joinpath(*parts)
    if path.is_file():
        return path
    # A subchart folder named differently from the chart: charts/<folder>/templates/...
    for index in range(len(parts) - 1):
        if parts[index] == "charts" and index + 2 < len(parts):
            folder = chart.root.joinpath(*parts[:index + 1])
            rest = parts[index + 2:]
            for candidate in sorted(folder.iterdir()) if folder.is_dir() else []:
                if (candidate / Path(*rest)).is_file():
                    return candidate / Path(*rest)
    return None


#: A schema reference Helm's validator would download (the standard drafts' `$schema` URLs are built in).
_REMOTE_REF = re.compile(r'"\$(?:ref|schema)"\s*:\s*"(?!https?://json-schema\.org/)(https?://[^"]+)"')


#: Template functions whose output changes from one rendering to the next (random strings, UUIDs,
#: the clock, salted hashes, generated keys), each with a deterministic stand-in of the same arity
#: and result type. Charts use them for `rollme:` annotations, test-pod names and generated
#: passwords; left alone they would make two runs on the same chart differ.
_UNSTABLE_FUNCTIONS = {
    "randAlphaNum": "toString", "randAlpha": "toString", "randNumeric": "toString", "randAscii": "toString",
    "randBytes": "toString", "randInt": "min", "shuffle": "toString", "bcrypt": "toString", "htpasswd": "print",
    "genPrivateKey": "toString", "uuidv4": '"00000000-0000-4000-8000-000000000000"',
    "now": '(toDate "2006-01-02" "2000-01-01")',
    # genCA CN DAYS and genSelfSignedCert CN IPS DNS DAYS: a dict with .Cert and .Key (even argument counts).
    "genCA": 'dict "Cert" "" "Key" ""', "genSelfSignedCert": 'dict "Cert" "" "Key" ""',
}
_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
_UNSTABLE_CALL = re.compile(r"(?<![\w.$])(" + "|".join(sorted(_UNSTABLE_FUNCTIONS, key=len, reverse=True)) + r")\b")
_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`')


def stable_template(text: str) -> str:
    """The template with every call of an unstable function replaced by its stand-in.

    Only the code inside `{{ ... }}` actions changes, never a string literal in it, and no line is
    added or removed, so rendered lines still map onto the template's.
    """
    if not _UNSTABLE_CALL.search(text):
        return text

    def code(match: re.Match[str]) -> str:
        pieces, last = [], 0
        action = match.group(0)
        for literal in _STRING_LITERAL.finditer(action):
            pieces.append(_UNSTABLE_CALL.sub(lambda m: _UNSTABLE_FUNCTIONS[m.group(1)], action[last:literal.start()]))
            pieces.append(literal.group(0))
            last = literal.end()
        pieces.append(_UNSTABLE_CALL.sub(lambda m: _UNSTABLE_FUNCTIONS[m.group(1)], action[last:]))
        return "".join(pieces)

    return _ACTION.sub(code, text)


def _template_files(root: Path) -> Iterable[Path]:
    """The template files of a chart and of the subcharts unpacked under it."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and "templates" in path.relative_to(root).parts[:-1]:
            yield path


#: Notices for what a chart's rendering leaves out (they name the link, never what it points at).
LINK_OUT = ("symbolic link leads outside the chart: left out of the rendering, so templates "
            "(.Files, tpl, include) cannot read what it points at")
PACKED_LINK = "packed subchart holds a symbolic or hard link: left out of the rendering"


def _links_out(root: Path) -> list[Path]:
    """Symlinks under a chart (its subcharts included) that resolve outside the chart folder or to
    something other than a file or folder, and packed subcharts (`charts/*.tgz`) holding links.

    Helm follows a chart's symlinks when it loads the chart (`.Files.Get "leaked.txt"` would read
    `/etc/hostname` into a rendered object), so such a chart is never rendered as it is.
    """
    from policylint.core.boundary import Boundary, is_regular_file

    chart = Boundary([str(root)])
    found: list[Path] = []
    for folder, folders, files in os.walk(root):  # links to folders are listed, never entered
        folders.sort()
        for name in sorted((*folders, *files)):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                if not chart.admits(path) or not (os.path.isdir(path) or is_regular_file(path)):
                    found.append(Path(path))
            elif name.endswith((".tgz", ".tar.gz")) and _archive_holds_links(Path(path)):
                found.append(Path(path))
    return found


def _archive_holds_links(archive: Path) -> bool:
    """True when a packed chart holds a symbolic or hard link (or cannot be read to tell)."""
    import tarfile

    from policylint.core.loading import MAX_FILE_BYTES

    try:
        if archive.stat().st_size > MAX_FILE_BYTES:
            return True
        with tarfile.open(archive, "r:*") as packed:
            return any(member.issym() or member.islnk() for member in packed)
    except (OSError, tarfile.TarError, EOFError):
        return False  # not an archive Helm can load either: its own error says so


def _render_folder(chart: Chart, stack: Any, result: LoadResult) -> Path:
    """The folder to load: the chart itself, or a temporary copy of it that renders the same way
    every time and offline, and reads nothing outside the chart.

    The copy leaves out the values.schema.json files (the chart's or a subchart's) that refer to
    remote schemas: Helm downloads those while it validates values, and policylint makes no network
    calls, so such values are not validated. It also gives unstable template functions their
    deterministic stand-ins (`stable_template`), since the same input must give the same output.
    Symlinks that lead outside the chart (`_links_out`) are left out of the copy, with a notice.
    """
    links_out = _links_out(chart.root)
    left_out = {*links_out}
    remote: dict[Path, str] = {}
    for schema in sorted(chart.root.rglob("values.schema.json")):
        if schema in left_out:
            continue
        try:
            found = _REMOTE_REF.search(schema.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if found is not None:
            remote[schema] = found.group(1)
    unstable: dict[Path, str] = {}
    for template in _template_files(chart.root):
        if template in left_out:
            continue
        try:
            text = template.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        stable = stable_template(text)
        if stable != text:
            unstable[template.relative_to(chart.root)] = stable
    if not remote and not unstable and not links_out:
        return chart.root
    import shutil
    import tempfile

    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="policylint-helm-"))) / chart.root.name

    def leave_out(where: str, names: list[str]) -> list[str]:
        schema = ["values.schema.json"] if Path(where, "values.schema.json") in remote else []
        return [*schema, *(name for name in names if Path(where, name) in left_out)]

    shutil.copytree(chart.root, folder, symlinks=True, ignore=leave_out)
    for relative, text in unstable.items():
        target = folder / relative
        target.unlink()  # a symlink in the copy must not lead the write back into the user's tree
        target.write_text(text, encoding="utf-8")
    for link in links_out:
        result.skipped.append(Skipped(display_path(link), LINK_OUT if link.is_symlink() else PACKED_LINK))
    for schema, url in remote.items():
        result.skipped.append(Skipped(display_path(schema), f"refers to a remote schema ({url}), which policylint does not "
                                      "download: the chart is rendered without validating values against it"))
    return folder


def render_chart(chart: Chart, settings: HelmSettings, start_index: int = 0) -> LoadResult:
    """Render every values variant of one chart into documents located in its templates."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        return _render_chart(chart, settings, start_index, stack)


def _render_chart(chart: Chart, settings: HelmSettings, start_index: int, stack: Any) -> LoadResult:
    import helm_python as helm

    result = LoadResult()
    folder = _render_folder(chart, stack, result)
    dependencies_missing = _dependency_failures(chart, helm, result, folder)
    try:
        loaded = helm.Chart.load(str(folder))
    except helm.HelmError as exc:
        result.failures.append(ParseFailure(display_path(chart.file), "helm", 1, 1, f"helm chart cannot be loaded: {_one_line(str(exc))}"))
        return result
    default_values = chart.root / "values.yaml"
    inside = _inside(chart)
    chart_values = read_values(default_values, LoadResult()) if default_values.is_file() and inside(default_values) else None
    literals = frozenset(_scalars(chart_values.data)) if chart_values is not None else frozenset()
    index = start_index
    templates: dict[str, str] = {}
    placed: dict[tuple[str, str], _Placed] = {}
    seen_failures: set[tuple[str, int, str]] = set()
    with loaded:
        for files in _variants(chart, settings):
            label = _label(chart, files)
            overrides: dict[str, Any] = {}
            values_files: list[ValuesFile] = []
            for file in files:
                read = read_values(file, result)
                if read is None:
                    break
                values_files.append(read)
                overrides = merge_values(overrides, read.data)
            else:
                try:
                    rendered = loaded.render(overrides, name=settings.release_name, namespace=settings.namespace,
                                             is_install=True)
                except helm.HelmValuesError as exc:
                    found = _schema_documents(str(exc), [*values_files[::-1], *([chart_values] if chart_values else [])],
                                              chart, label, index)
                    if not found:  # not a schema violation Helm could name: say so instead of dropping the chart quietly
                        result.failures.append(ParseFailure(display_path(chart.file), "helm", 1, 1,
                                                            f"helm chart values rejected: {_one_line(str(exc))} ({label})"))
                    result.documents.extend(found)
                    index += 1000
                    continue
                except helm.HelmError as exc:
                    if dependencies_missing:
                        # Most often a template of the missing chart (`include "common.names.fullname"`):
                        # the dependency's own finding already says what to do, once. The templates
                        # that render without it are still checked.
                        rendered = _render_without_failing(helm, folder, str(exc), overrides, settings, stack, chart)
                        if rendered is not None:
                            first = len(result.documents)
                            index = _add_rendered(chart, rendered, label, index, templates, result, placed, literals)
                            for document in result.documents[first:]:
                                document.incomplete = True
                        continue
                    failure = _render_failure(chart, str(exc), label)
                    key = (failure.path, failure.line, failure.reason[: failure.reason.rfind(" (helm chart ")])
                    if key not in seen_failures:
                        seen_failures.add(key)
                        result.failures.append(failure)
                    continue
                index = _add_rendered(chart, rendered, label, index, templates, result, placed, literals)
    return result


#: How many templates that need a missing dependency one rendering leaves out, one by one, before giving up.
MAX_TEMPLATES_LEFT_OUT = 12


def _render_without_failing(helm: Any, folder: Path, message: str, overrides: dict[str, Any], settings: HelmSettings,
                            stack: Any, chart: Chart) -> Any:
    """The chart rendered without the templates that fail (they need a dependency missing from
    `charts/`), or None when a failure names no template of the chart itself or too many fail."""
    import shutil
    import tempfile

    copy: Path | None = None
    for _ in range(MAX_TEMPLATES_LEFT_OUT):
        match = _TEMPLATE_ERROR.search(message)
        if match is None:
            return None
        relative = match.group("name").split("/", 1)[1] if "/" in match.group("name") else ""
        if not relative.startswith("templates/"):
            return None  # a subchart's template, or a name that is not a file of this chart
        if copy is None:
            copy = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="policylint-helm-"))) / chart.root.name
            shutil.copytree(folder, copy, symlinks=True)
        target = copy / relative
        if not target.is_file() or target.is_symlink():
            return None
        target.unlink()
        try:
            with helm.Chart.load(str(copy)) as loaded:
                return loaded.render(overrides, name=settings.release_name, namespace=settings.namespace, is_install=True)
        except helm.HelmError as exc:
            message = str(exc)
    return None


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())


def _render_failure(chart: Chart, message: str, label: str) -> ParseFailure:
    """A render error at the template line Helm names, else at Chart.yaml."""
    match = _TEMPLATE_ERROR.search(message)
    if match:
        source = _source_file(chart, match.group("name"))
        if source is not None:
            return ParseFailure(display_path(source), "helm", int(match.group("line")), int(match.group("column") or 1),
                                f"helm template failed: {_one_line(match.group('reason'))} ({label})")
    return ParseFailure(display_path(chart.file), "helm", 1, 1, f"helm template failed: {_one_line(message)} ({label})")


_Placed = tuple[list[tuple[Any, dict[Pointer, Position], int]], list[str]]


def _place(text: str, template: str) -> _Placed:
    """The objects of one rendered template with their template positions, and YAML errors."""
    mapping = line_map(text, template) if template else {}
    items = list(parse_yaml_stream(text))
    objects = [item for item in items if isinstance(item, YamlDocument) and isinstance(item.data, dict) and "kind" in item.data]
    errors = [item.reason for item in items if isinstance(item, YamlError)]
    placed = []
    for number, item in enumerate(objects):
        if template:
            positions, start = _template_positions(item, template, number, len(objects), mapping)
        else:
            positions, start = {(): Position(1, 1)}, 1
        placed.append((item.data, positions, start))
    return placed, errors


def _scalars(data: Any) -> Iterable[str]:
    """Every scalar of a values tree, as text."""
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _scalars(value)
    elif isinstance(data, list):
        for value in data:
            yield from _scalars(value)
    elif data is not None and not isinstance(data, bool):
        yield str(data)


def supplied_secret_values(data: Mapping[str, Any], positions: Mapping[Pointer, Position], template: str,
                           literals: frozenset[str]) -> frozenset[Pointer]:
    """The `data`/`stringData` entries of a rendered Secret that the chart leaves to install time.

    An entry is committed when its value is written literally in the template, or when the rendered
    text is a literal of the chart's own `values.yaml` (a default password there is committed). Any
    other value came from a template action fed by install-time values, a chart-testing
    `ci/*-values.yaml` file or a generator function (`randAlphaNum`): nothing of it is in git.
    """
    import base64
    import binascii
    from contextlib import suppress

    lines = template.splitlines()
    supplied: set[Pointer] = set()
    for field_name in ("data", "stringData"):
        values = data.get(field_name)
        for key, value in values.items() if isinstance(values, Mapping) else ():
            position = positions.get((field_name, key))
            line = lines[position.line - 1] if position is not None and 0 < position.line <= len(lines) else ""
            name, _, written = line.partition(":")
            if str(key) in name and "{{" not in written:
                continue  # written literally in the template
            text = str(value) if value is not None else ""
            if field_name == "data":
                with suppress(binascii.Error, ValueError):
                    text = base64.b64decode(text, validate=True).decode("utf-8")
            if text in literals:
                continue
            supplied.add((field_name, key))
    return frozenset(supplied)


def _add_rendered(chart: Chart, rendered: Mapping[str, str], label: str, index: int, templates: dict[str, str],
                  result: LoadResult, placed: dict[tuple[str, str], _Placed], literals: frozenset[str] = frozenset()) -> int:
    for name in sorted(rendered):
        text = rendered[name]
        if not text.strip() or not name.endswith((".yaml", ".yml", ".json", ".tpl")) or name.endswith("NOTES.txt"):
            continue
        source = _source_file(chart, name)
        if source is not None and not _inside(chart)(source):
            source = None
        display = display_path(source) if source is not None else display_path(chart.file)
        if source is not None and display not in templates:
            try:
                templates[display] = source.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                templates[display] = ""
            result.sources[display] = templates[display]
        template = templates.get(display, "")
        key = (display, text)
        if key not in placed:  # variants mostly render a template the same way: parse and place it once
            placed[key] = _place(text, template if source is not None else "")
        objects, errors = placed[key]
        result.failures.extend(
            ParseFailure(display, "helm", 1, 1, f"helm template rendered invalid YAML: {reason} ({label})") for reason in errors)
        for data, positions, start in objects:
            supplied = (supplied_secret_values(data, positions, template, literals)
                        if data.get("kind") == "Secret" and source is not None else frozenset())
            result.documents.append(Document(path=display, file_kind="kubernetes", index=index, data=data,
                                             positions=positions, start_line=start, end_line=start, origin=label,
                                             supplied=supplied))
            index += 1
    return index


def _schema_documents(message: str, values: list[ValuesFile], chart: Chart, label: str, index: int) -> list[Document]:
    """One `helm` document per values.schema.json error, at the key in the values file that sets it."""
    documents = []
    for line in message.splitlines():
        stripped = line.strip()
        match = _SCHEMA_ERROR.match(stripped)
        if match is None:
            continue
        pointer = tuple(int(step) if step.isdigit() else step for step in match.group("path").strip("/").split("/") if step)
        file, position = _values_position(values, pointer, chart)
        text = f"{match.group('path') or '/'}: {match.group('reason')}"
        documents.append(Document(
            path=display_path(file), file_kind="helm", index=index + len(documents),
            data={"chart": display_path(chart.root), "schemaErrors": [text]},
            positions={(): position, ("schemaErrors", 0): position}, start_line=position.line, end_line=position.line,
            origin=label if "(values" in label else ""))
    return documents


def _values_position(values: list[ValuesFile], pointer: Pointer, chart: Chart) -> tuple[Path, Position]:
    """The values file (last given first) that sets the deepest part of `pointer`, and where."""
    for size in range(len(pointer), 0, -1):
        for file in values:
            found = file.positions.get(pointer[:size])
            if found is not None:
                return file.path, found
    if values:
        return values[0].path, values[0].positions.get((), Position(1, 1))
    return chart.root / "values.yaml", Position(1, 1)


#: A chart whose rendering takes longer than this is given up (templates can loop for hours).
RENDER_TIMEOUT_SECONDS = 60.0


def render_all(charts: Iterable[Chart], settings: HelmSettings, numbers: Sequence[int] | None = None) -> LoadResult:
    """Render every chart; one chart's failure, or a rendering that never ends, never stops the others.

    Each chart renders in a daemon thread that is waited for at most RENDER_TIMEOUT_SECONDS: the
    Go library cannot be interrupted, so a rendering that runs over is abandoned (it ends with the
    process) and reported as a parse-error. `numbers`: each chart's place in the whole run (it
    numbers the documents; a run split into units renders its charts apart).
    """
    import threading

    result = LoadResult()
    for place, chart in enumerate(charts):
        number = numbers[place] if numbers is not None else place
        outcome: list[LoadResult | BaseException] = []

        def work(chart: Chart = chart, start: int = number * 1_000_000, outcome: list[Any] = outcome) -> None:
            try:
                outcome.append(render_chart(chart, settings, start_index=start))
            except Exception as exc:  # the library failing unexpectedly is this chart's problem only
                outcome.append(exc)

        thread = threading.Thread(target=work, name=f"policylint-helm-{number}", daemon=True)
        thread.start()
        thread.join(RENDER_TIMEOUT_SECONDS)
        display = display_path(chart.file)
        if not outcome:
            result.failures.append(ParseFailure(
                display, "helm", 1, 1, f"helm chart rendering stopped after {RENDER_TIMEOUT_SECONDS:g} s "
                "(a template runs too long); its objects are not checked"))
        elif isinstance(outcome[0], BaseException):
            error = outcome[0]
            result.failures.append(ParseFailure(display, "helm", 1, 1, f"helm chart rendering failed: {type(error).__name__}: {error}"))
        else:
            result.extend(outcome[0])
    return result


def deduplicate(findings: list[Any]) -> list[Any]:
    """Drop a finding another values variant of the same chart also made, word for word, or
    differing only in the object's name (a ci/ variant that sets `fullnameOverride`).

    The one kept names the plainest rendering (the chart's own values before a ci/ variant). The
    object's name is left out of the comparison only where each variant has one finding at that
    place: a template that renders several objects in one rendering (a `range` over components)
    keeps one finding per object.
    """
    def split(finding: Any) -> tuple[tuple[str, str, int, int, str], str] | None:
        cut = finding.message.rfind(" (helm chart ")
        if cut < 0:
            return None
        return (finding.policy_id, finding.path, finding.line, finding.column, finding.message[:cut]), finding.message[cut:]

    def plainest(group: list[Any]) -> Any:
        return min(group, key=lambda finding: (len(finding.message), finding.message))

    exact: dict[tuple[str, str, int, int, str], list[Any]] = {}
    for finding in findings:
        found = split(finding)
        if found is not None:
            exact.setdefault(found[0], []).append(finding)
    kept = {id(plainest(group)) for group in exact.values()}
    survivors = [finding for finding in findings if split(finding) is None or id(finding) in kept]
    by_place: dict[tuple[str, str, int, int, str], list[Any]] = {}
    for finding in survivors:
        found = split(finding)
        if found is not None and finding.resource_name:
            (policy_id, path, line, column, text), _ = found
            by_place.setdefault((policy_id, path, line, column, text.replace(finding.resource_name, "\x00")),
                                []).append(finding)
    dropped: set[int] = set()
    for group in by_place.values():
        variants = [split(finding)[1] for finding in group]  # type: ignore[index]
        if len(group) > 1 and len(set(variants)) == len(variants):  # one finding per variant: one place
            best = plainest(group)
            dropped.update(id(finding) for finding in group if finding is not best)
    return [finding for finding in survivors if id(finding) not in dropped]
