"""The layering of the package (README "Architecture"), measured from the code's own imports.

- the face (command line, run, reports) may import anything;
- a kind (`policylint/kinds/<kind>/`) imports only the core and itself;
- the core (`policylint/core/`) imports no kind and no face module;
- no module takes part in an import circle, function-local imports included.

import-linter checks the first three as the contracts in pyproject.toml (CI also runs `lint-imports`);
the same rules are checked here again edge by edge on grimp's graph, so a failure names the import.
"""

from __future__ import annotations

import os

import grimp
import pytest
from support import ROOT


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("policylint", cache_dir=None)


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[:2] == ["policylint", "core"]:
        return "core"
    if parts[:2] == ["policylint", "kinds"]:
        return f"kind:{parts[2]}" if len(parts) > 2 else "kinds"
    return "face"


def test_import_linter_contracts_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlinter.cli import lint_imports

    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def layer_violations(graph: grimp.ImportGraph) -> list[str]:
    """Every direct import that goes against the layers."""
    wrong = []
    for importer in sorted(graph.modules):
        source = _layer(importer)
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            target = _layer(imported)
            allowed = (
                source == "face"
                or target == "core"
                or (source == "kinds" and target.startswith("kind:"))  # the index registers every kind
                or source == target
                or imported == "policylint"  # the package's version
            )
            if not allowed:
                wrong.append(f"{importer} ({source}) imports {imported} ({target})")
    return wrong


def circles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components over module imports, those of more than one module."""
    modules = sorted(graph.modules)
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in modules:
        if start in index:
            continue
        enter(start)
        work = [(start, iter(edges[start]))]  # iterative, so depth is no concern
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    enter(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_import_respects_the_layers(graph: grimp.ImportGraph) -> None:
    assert layer_violations(graph) == []


def test_no_import_circles(graph: grimp.ImportGraph) -> None:
    assert circles(graph) == []


def test_the_checks_see_a_wrong_import() -> None:
    """Not vacuous: a core module importing the runner breaks the layers and closes a circle."""
    wrong = grimp.build_graph("policylint", cache_dir=None)
    wrong.add_import(importer="policylint.core.documents", imported="policylint.runner")
    wrong.add_import(importer="policylint.kinds.compose.loader", imported="policylint.kinds.dockerfile.loader")
    assert layer_violations(wrong) == [
        "policylint.core.documents (core) imports policylint.runner (face)",
        "policylint.kinds.compose.loader (kind:compose) imports policylint.kinds.dockerfile.loader (kind:dockerfile)",
    ]
    assert any({"policylint.core.documents", "policylint.runner"} <= set(circle) for circle in circles(wrong))


def test_each_kind_is_one_folder_with_a_kind_record() -> None:
    """Every package under policylint/kinds/ describes itself with a `KIND`, and the index registers it."""
    import policylint.kinds  # noqa: F401  (registers the kinds)
    from policylint.core.kinds import registered

    folders = sorted(
        entry.name for entry in os.scandir(ROOT / "policylint" / "kinds") if entry.is_dir() and entry.name != "__pycache__"
    )
    packages = sorted(kind.package.rsplit(".", 1)[-1] for kind in registered())
    assert packages == folders
