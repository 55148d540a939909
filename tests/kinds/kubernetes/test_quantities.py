"""Kubernetes quantities compare as exact numbers (what k8s-request-exceeds-limit relies on)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policylint.kinds.kubernetes.quantities import parse_quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500m", Decimal("0.5")),
        ("1", Decimal(1)),
        ("100m", Decimal("0.1")),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("1.5e-3", Decimal("0.0015")),
        ("1k", Decimal(1000)),
        ("1Ki", Decimal(1024)),
        ("128Mi", Decimal(128 * 2**20)),
        ("129M", Decimal(129 * 10**6)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1E", Decimal(10**18)),  # a bare E is the exa suffix, not an exponent
        ("1Ei", Decimal(2**60)),
        (".5", Decimal("0.5")),
        ("2.", Decimal(2)),
        ("+3", Decimal(3)),
        ("250n", Decimal("0.00000025")),
        (2, Decimal(2)),
        (0.5, Decimal("0.5")),
    ],
)
def test_parse_quantity_exact(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [("500m", "1"), ("129M", "128Mi"), ("128Mi", "1Gi"), ("1k", "1Ki"), ("999", "1e3"), ("1Gi", "1.1G"), ("0.5", "501m")],
)
def test_ordering(smaller, larger):
    assert parse_quantity(smaller) < parse_quantity(larger)


@pytest.mark.parametrize(("left", "right"), [("1e3", "1k"), ("1000m", "1"), ("1024", "1Ki"), ("0.5Gi", "512Mi")])
def test_equal_values_in_different_notation(left, right):
    assert parse_quantity(left) == parse_quantity(right)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1m5", "1Kb", "1ki", "1 Gi", "Gi", "1e", "--1", None, True, [], {}, float("nan"), float("inf")],
)
def test_invalid_quantities_are_none(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize("text", ["1e999999999", "1e-999999999", "1e" + "9" * 5000, "9" * 5000 + "e9" * 1])
def test_absurd_exponents_do_not_raise_or_hang(text):
    value = parse_quantity(text)
    assert value is None or value > 0
