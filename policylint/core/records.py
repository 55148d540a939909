"""Record classes built with one compile per class: `@record` for the start-up path.

Why not `@dataclass`: on Python 3.11 a dataclass compiles each generated method with its own
`exec` and inspects every annotation, about 0.7 ms per class. The ~35 records a pre-commit run
imports cost about 25 ms of a 145 ms run (`python benchmarks/run.py --only-startup`). `record`
compiles only `__init__` (about 0.1 ms) and shares `__eq__`, `__hash__` and `__repr__` built on
`operator.attrgetter`, with the same results. It covers the part of dataclasses policylint uses: defaults,
`field(default_factory=..., compare=False, repr=False)`, `frozen`, `slots` and `eq=False`, plus
`replace`. tests/test_records.py holds it to dataclasses' behaviour. Classes off the start-up path
(reporters, renderers, own policies) keep `@dataclass`.
"""

from __future__ import annotations

from collections.abc import Callable
from inspect import get_annotations
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as dataclasses.FrozenInstanceError)."""


class Field:
    """A field's options, as `dataclasses.field` takes them."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Any, compare: bool, repr: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare
        self.repr = repr


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | Any = _MISSING, compare: bool = True,
          repr: bool = True) -> Any:
    """Options for one field: a default, a factory for a fresh mutable default, left out of eq or repr."""
    return Field(default, default_factory, compare, repr)


def _annotations(cls: type) -> list[str]:
    """Field names in definition order, base classes' first (`ClassVar` annotations are not fields)."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, annotation in get_annotations(klass).items():
            if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in names:
                names.append(name)
    return names


def _equality(compared: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compared(self) == compared(other)

    return __eq__


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def record(cls: type[T] | None = None, *, frozen: bool = False, slots: bool = False, eq: bool = True) -> Any:
    """Class decorator: `__init__` from the annotations, plus `__eq__`/`__hash__`/`__repr__` as dataclasses do."""

    def wrap(klass: type[T]) -> type[T]:
        return _build(klass, frozen=frozen, slots=slots, eq=eq)

    return wrap if cls is None else wrap(cls)


def _build(cls: type[T], *, frozen: bool, slots: bool, eq: bool) -> type[T]:
    names = _annotations(cls)
    options: dict[str, Field] = {}
    for name in names:
        value = _class_default(cls, name)
        options[name] = value if isinstance(value, Field) else Field(value, _MISSING, True, True)
    namespace: dict[str, Any] = {"_MISSING": _MISSING, "_setattr": object.__setattr__}
    parameters, body = [], []
    for name, option in options.items():
        if option.default_factory is not _MISSING:
            namespace[f"_factory_{name}"] = option.default_factory
            parameters.append(f"{name}=_MISSING")
            value = f"_factory_{name}() if {name} is _MISSING else {name}"
        elif option.default is not _MISSING:
            namespace[f"_default_{name}"] = option.default
            parameters.append(f"{name}=_default_{name}")
            value = name
        else:
            if parameters and parameters[-1].count("="):
                raise TypeError(f"non-default argument {name!r} follows default argument")
            parameters.append(name)
            value = name
        body.append(f"  _setattr(self, {name!r}, {value})" if frozen else f"  self.{name} = {value}")
    if "__post_init__" in cls.__dict__ or any("__post_init__" in base.__dict__ for base in cls.__mro__[1:-1]):
        body.append("  self.__post_init__()")
    exec("\n".join([f"def __init__(self, {', '.join(parameters)}):", *(body or ["  pass"])]), namespace)
    compared = attrgetter(*[name for name, option in options.items() if option.compare] or ["__class__"])
    shown = [name for name, option in options.items() if option.repr]
    if eq:
        namespace["__eq__"] = _equality(compared)
        if frozen:
            namespace["__hash__"] = lambda self: hash(compared(self))
    namespace["__repr__"] = lambda self: (
        f"{self.__class__.__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"
    )
    generated = {}
    for method in ("__init__", "__eq__", "__hash__", "__repr__"):
        if method in namespace and (method == "__init__" or method not in cls.__dict__):
            function = namespace[method]
            function.__qualname__ = f"{cls.__qualname__}.{method}"
            generated[method] = function
    if eq and not frozen and "__hash__" not in cls.__dict__:
        generated["__hash__"] = None  # mutable and compared by value: unhashable, as dataclasses make it
    if frozen:
        generated["__setattr__"] = _frozen_setattr
        generated["__delattr__"] = _frozen_delattr
        # pickle (worker processes send findings back) would restore the fields through __setattr__
        generated["__reduce__"] = _frozen_reduce
    generated["__record_fields__"] = tuple(names)
    generated["__record_options__"] = options
    generated["__match_args__"] = tuple(names)
    if not slots:
        for name, option in options.items():
            if isinstance(cls.__dict__.get(name), Field):  # as dataclasses: the default, or no attribute
                if option.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, option.default)
        for key, value in generated.items():
            setattr(cls, key, value)
        return cls
    own = get_annotations(cls)
    body = {key: value for key, value in cls.__dict__.items() if key not in ("__dict__", "__weakref__")}
    for name in own:  # class attributes holding defaults would clash with the slots
        body.pop(name, None)
    body.update(generated)
    body["__slots__"] = tuple(name for name in names if name in own)
    body["__qualname__"] = cls.__qualname__
    return type(cls)(cls.__name__, cls.__bases__, body)


def _frozen_reduce(self: Any) -> tuple[Any, ...]:
    """Pickle a frozen record as its class called with its field values."""
    return _rebuild, (self.__class__, tuple(getattr(self, name) for name in self.__record_fields__))


def _rebuild(cls: type, values: tuple[Any, ...]) -> Any:
    return cls(*values)


def _class_default(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in klass.__dict__.get("__record_options__", {}):  # a base record's field (maybe slotted)
            return klass.__dict__["__record_options__"][name]
        if name in get_annotations(klass) and name in klass.__dict__:
            return klass.__dict__[name]
    return _MISSING


def replace(instance: T, **changes: Any) -> T:
    """A copy of `instance` with some fields changed (as dataclasses.replace)."""
    values = {name: getattr(instance, name) for name in instance.__record_fields__}  # type: ignore[attr-defined]
    values.update(changes)
    return instance.__class__(**values)


def field_names(instance: Any) -> tuple[str, ...]:
    """The field names of a record class or instance, in order (as `f.name for f in dataclasses.fields`)."""
    return instance.__record_fields__  # type: ignore[no-any-return]
