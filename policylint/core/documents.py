"""The uniform shape every loader produces, and the set of documents of one run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from policylint.core import kinds
from policylint.core.kinds import OBJECT_KINDS
from policylint.core.records import field, record
from policylint.core.yamlnodes import Pointer, Position, YamlDocument

T = TypeVar("T")

@record(slots=True, eq=False)
class Document:
    """One parsed document with the position of every node.

    `data` is plain JSON-like data; `positions` maps a pointer (tuple of keys and indexes) to the
    line and column of that node (for mapping entries: of the key).
    """

    path: str
    file_kind: str
    index: int
    data: Any
    positions: dict[Pointer, Position]
    value_positions: dict[Pointer, tuple[Position, str]] = field(default_factory=dict)
    start_line: int = 1
    end_line: int = 1
    #: Extra text shown with findings on this document (e.g. the kustomize overlay it came from).
    origin: str = ""
    #: Kustomization files whose build lists this (plain) file: its relation scope reaches their other files.
    groups: tuple[str, ...] = ()
    #: One of those kustomizations writes labels into selectors (`commonLabels`): its build creates a
    #: `spec.selector` this file leaves out (policylint.kinds.kubernetes.kustomization.adds_selector_labels).
    selector_labels: bool = False
    default_namespace: str = "default"
    #: Image names a build configuration covering this file builds and tags at deploy time (skaffold,
    #: Tilt, a kustomization's `images:`): not `latest` (policylint.kinds.kubernetes.builtimages).
    built_images: tuple[str, ...] = ()
    #: Secret values a Helm chart leaves to install time: written as a template action and not a
    #: literal of the chart's own values.yaml (policylint.kinds.kubernetes.helm.supplied_secret_values).
    supplied: frozenset[Pointer] = frozenset()
    #: Rendered with parts left out (a chart's templates that need a missing dependency): what the set
    #: lacks is unknown, so relational policies do not judge it (policylint.core.engine).
    incomplete: bool = False
    #: Trailing comments a loader kept because they carry meaning (`uses: x@<sha>  # v4.1.1`).
    comments: dict[Pointer, str] = field(default_factory=dict)
    #: Where this document's data sits in the YAML document it was read from (`("items", 2)` for an
    #: item of a `kind: List`); fixes prepend it to reach the node in the file.
    pointer_prefix: Pointer = ()

    @classmethod
    def from_yaml(cls, path: str, file_kind: str, index: int, parsed: YamlDocument) -> Document:
        """A document made from one parsed YAML document, positions and all."""
        return cls(
            path=path,
            file_kind=file_kind,
            index=index,
            data=parsed.data,
            positions=parsed.positions,
            value_positions=parsed.value_positions,
            start_line=parsed.start_line,
            end_line=parsed.end_line,
        )

    # Conveniences for API objects (Kubernetes); harmless (empty) for other file kinds.
    @property
    def kind(self) -> str:
        """The Kubernetes `kind`, or the file kind for other files."""
        data = self.data
        # `type(...) is dict` first: asked for on every document and policy, and the Mapping (ABC) check is slower.
        kind = data.get("kind") if type(data) is dict or isinstance(data, Mapping) else None
        return kind if isinstance(kind, str) else ""

    @property
    def api_version(self) -> str:
        """The Kubernetes `apiVersion`, or an empty string."""
        value = self.data.get("apiVersion") if isinstance(self.data, Mapping) else None
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The `metadata` mapping (empty when absent or malformed)."""
        data = self.data
        value = data.get("metadata") if type(data) is dict or isinstance(data, Mapping) else None
        return value if type(value) is dict or isinstance(value, Mapping) else {}

    @property
    def name(self) -> str:
        """`metadata.name` (or `generateName`), or an empty string."""
        meta = self.metadata
        value = meta.get("name") or meta.get("generateName") or ""
        return str(value)

    @property
    def is_object(self) -> bool:
        """True when the document is an API object, named by kind, namespace and name."""
        return self.file_kind in OBJECT_KINDS

    @property
    def namespace(self) -> str:
        """The object's namespace, defaulted; empty for cluster-scoped kinds."""
        if self.kind in OBJECT_KINDS.get(self.file_kind, ()):
            return ""
        value = self.metadata.get("namespace")
        return str(value) if value else self.default_namespace

    @property
    def identity(self) -> str:
        """A line-independent name for the document, used in fingerprints and messages."""
        if self.is_object:
            ns = self.namespace
            return f"{self.kind}/{ns}/{self.name}" if ns else f"{self.kind}/{self.name}"
        return f"{self.file_kind}[{self.index}]"

    def position(self, pointer: Pointer) -> tuple[Position, Pointer]:
        """The position of the deepest existing node on `pointer`, and that node's pointer."""
        current = tuple(pointer)
        while current:
            found = self.positions.get(current)
            if found is not None:
                return found, current
            current = current[:-1]
        return self.positions.get((), Position(self.start_line, 1)), ()

    def get(self, pointer: Pointer, default: Any = None) -> Any:
        """The data at `pointer`, or `default` when a step is missing."""
        node = self.data
        for step in pointer:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return default
        return node


@record(frozen=True, slots=True)
class Skipped:
    """A file that was seen but not checked, and why (shown as a notice, not a finding)."""

    path: str
    reason: str


@record(frozen=True, slots=True)
class ParseFailure:
    """A recognised file, or one document of it, that could not be parsed."""

    path: str
    file_kind: str
    line: int
    column: int
    reason: str


@record(slots=True)
class LoadResult:
    """What loading a set of paths produced."""

    documents: list[Document] = field(default_factory=list)
    failures: list[ParseFailure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Path -> text of every file read, kept for suppression comments (never re-read later).
    sources: dict[str, str] = field(default_factory=dict)

    def extend(self, other: LoadResult) -> None:
        """Append another result (used when loading files one by one or in workers)."""
        self.documents.extend(other.documents)
        self.failures.extend(other.failures)
        self.skipped.extend(other.skipped)
        self.sources.update(other.sources)


class DocumentSet:
    """All documents of one run, with the indexes relational policies share.

    Indexes are built once, lazily, so a run stays linear in the number of documents.
    """

    def __init__(self, documents: Iterable[Document]) -> None:
        """Index `documents`; the order given is kept for iteration."""
        self.documents = kinds.settle(list(documents))
        self._by_kind: dict[str, list[Document]] | None = None
        self._by_identity: dict[tuple[str, str, str], Document] | None = None
        self._by_namespace: dict[tuple[str, str], list[Document]] | None = None
        #: Per-run memo for relations, so several policies share one join (see `memo`).
        self.cache: dict[Any, Any] = {}

    def release(self) -> None:
        """Drop the memo: its indexes point back at this set, a cycle only the collector would free
        (a run in units frees each unit's indexes as soon as the unit is evaluated)."""
        self.cache.clear()

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """`build()` the first time `key` is asked for, the same value after: a join or index that
        several policies (or several views of one document) share, computed once per run."""
        try:
            return self.cache[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self.cache[key] = build()
            return value

    def __iter__(self) -> Iterator[Document]:
        """Iterate over every document in the set."""
        return iter(self.documents)

    def __len__(self) -> int:
        """The number of documents."""
        return len(self.documents)

    def of_file_kind(self, file_kind: str) -> list[Document]:
        """Every document of one file kind."""
        return [doc for doc in self.documents if doc.file_kind == file_kind]

    def _build(self) -> None:
        by_kind: dict[str, list[Document]] = defaultdict(list)
        by_identity: dict[tuple[str, str, str], Document] = {}
        by_namespace: dict[tuple[str, str], list[Document]] = defaultdict(list)
        objects = OBJECT_KINDS
        for doc in self.documents:
            if doc.file_kind not in objects:
                continue
            kind = doc.kind
            by_kind[kind].append(doc)
            by_identity.setdefault((kind, doc.namespace, doc.name), doc)
            by_namespace[(kind, doc.namespace)].append(doc)
        self._by_kind, self._by_identity, self._by_namespace = by_kind, by_identity, by_namespace

    def by_kind(self, kind: str) -> list[Document]:
        """API objects (Kubernetes) of one kind."""
        if self._by_kind is None:
            self._build()
        assert self._by_kind is not None
        return self._by_kind.get(kind, [])

    def lookup(self, kind: str, namespace: str, name: str) -> Document | None:
        """The API object with this kind, namespace and name, if it is in the set."""
        if self._by_identity is None:
            self._build()
        assert self._by_identity is not None
        return self._by_identity.get((kind, namespace, name))

    def in_namespace(self, kinds: Iterable[str], namespace: str) -> list[Document]:
        """API objects of the given kinds in one namespace."""
        if self._by_namespace is None:
            self._build()
        assert self._by_namespace is not None
        found: list[Document] = []
        for kind in kinds:
            found.extend(self._by_namespace.get((kind, namespace), ()))
        return found
