"""A registry of named functions per file kind, whose modules are imported on first use.

Targets and relations both work this way: a module per file kind registers its functions with a
decorator, and nothing is imported until a policy of that kind runs (start-up stays short).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

F = TypeVar("F", bound=Callable[..., object])


class Registry(Generic[F]):
    """Functions keyed by (file kind, name), filled by the modules named in `modules`."""

    def __init__(self, modules: Mapping[str, str]) -> None:
        """`modules` maps a file kind to the module that registers its functions."""
        self.modules = dict(modules)
        self._functions: dict[tuple[str, str], F] = {}
        self._loaded: set[str] = set()

    def register(self, file_kind: str, name: str) -> Callable[[F], F]:
        """Decorator: register a function under `name` for files of `file_kind`."""

        def decorate(function: F) -> F:
            self._functions[(file_kind, name)] = function
            return function

        return decorate

    def _load(self, file_kind: str) -> None:
        if file_kind in self._loaded:
            return
        self._loaded.add(file_kind)
        module = self.modules.get(file_kind)
        if module is None:
            return
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise

    def get(self, file_kind: str, name: str) -> F | None:
        """The function registered under `name` for a file kind, or None."""
        self._load(file_kind)
        return self._functions.get((file_kind, name))

    def names(self, file_kind: str) -> list[str]:
        """Every name registered for a file kind, sorted."""
        self._load(file_kind)
        return sorted(name for kind, name in self._functions if kind == file_kind)
