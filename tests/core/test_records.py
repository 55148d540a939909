"""policylint.core.records.record behaves as dataclasses.dataclass for what policylint uses."""

from __future__ import annotations

import dataclasses

import pytest

from policylint.core import records


def _pair(frozen: bool, slots: bool, eq: bool = True) -> tuple[type, type]:
    """The same class body under @dataclass and under @record."""

    def body(decorate, field):
        @decorate(frozen=frozen, slots=slots, eq=eq)
        class Sample:
            """A record with every kind of field."""

            name: str
            line: int = 1
            tags: list[str] = field(default_factory=list)
            note: str = field(default="", compare=False)
            hidden: int = field(default=0, repr=False)

        return Sample

    return body(dataclasses.dataclass, dataclasses.field), body(records.record, records.field)


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("slots", [False, True])
def test_init_repr_and_equality_match_dataclasses(frozen: bool, slots: bool) -> None:
    reference, ours = _pair(frozen, slots)
    for args, kwargs in [(("a",), {}), (("a", 3), {"tags": ["x"]}), ((), {"name": "b", "note": "n", "hidden": 4})]:
        expected, got = reference(*args, **kwargs), ours(*args, **kwargs)
        assert repr(got) == repr(expected)
        assert [getattr(got, name) for name in ("name", "line", "tags", "note", "hidden")] == [
            getattr(expected, name) for name in ("name", "line", "tags", "note", "hidden")
        ]
    assert ours("a") == ours("a", note="ignored by eq")
    assert ours("a") != ours("a", line=2)
    assert ours("a") != reference("a")  # another class is never equal, as with dataclasses
    assert ours("a").tags is not ours("a").tags  # a fresh default from the factory each time
    assert (ours("a").__hash__ is None) == (reference("a").__hash__ is None)
    if frozen:
        assert hash(ours("a", tags=())) == hash(ours("a", tags=(), note="x"))
    assert hasattr(ours("a"), "__dict__") == hasattr(reference("a"), "__dict__")


def test_frozen_refuses_assignment_and_deletion() -> None:
    _, ours = _pair(frozen=True, slots=True)
    sample = ours("a")
    with pytest.raises(AttributeError):
        sample.name = "b"
    with pytest.raises(AttributeError):
        del sample.line
    assert sample.name == "a"


def test_missing_and_unknown_arguments_fail_as_with_dataclasses() -> None:
    reference, ours = _pair(frozen=False, slots=False)
    for call in (lambda cls: cls(), lambda cls: cls("a", nope=1), lambda cls: cls("a", 1, [], "", 0, 9)):
        with pytest.raises(TypeError):
            call(reference)
        with pytest.raises(TypeError):
            call(ours)


def test_eq_false_keeps_identity() -> None:
    _, ours = _pair(frozen=False, slots=True, eq=False)
    first, second = ours("a"), ours("a")
    assert first != second and first == first
    assert hash(first) != hash(second) or first is not second


def test_replace_and_post_init() -> None:
    @records.record(frozen=True, slots=True)
    class Span:
        start: int
        end: int = 0

    @records.record
    class Checked:
        value: int

        def __post_init__(self) -> None:
            if self.value < 0:
                raise ValueError("negative")

    assert records.replace(Span(1, 2), end=5) == Span(1, 5)
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)
    assert Checked(3).value == 3


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="follows default"):

        @records.record
        class Wrong:
            first: int = 0
            second: int


def test_a_subclass_takes_the_base_fields_and_defaults_first() -> None:
    """As GitlabDocument(Document): the base's fields, defaults included, come before the subclass's own."""

    @records.record(slots=True, eq=False)
    class Base:
        path: str
        origin: str = "file"

    @records.record(slots=True, eq=False)
    class Child(Base):
        role: str = "pipeline"

    child = Child("a.yml", role="include")
    assert (child.path, child.origin, child.role) == ("a.yml", "file", "include")
    assert records.field_names(child) == ("path", "origin", "role")
    assert repr(child).endswith("<locals>.Child(path='a.yml', origin='file', role='include')")
