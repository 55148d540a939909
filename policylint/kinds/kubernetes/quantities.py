"""Kubernetes resource quantities (`500m`, `1Gi`, `129M`, `1e3`) as exact numbers."""

from __future__ import annotations

import re
from decimal import Decimal

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$")


def parse_quantity(value: object) -> Decimal | None:
    """The quantity as an exact Decimal, or None when it is not a valid Kubernetes quantity."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        amount = Decimal(str(value))
        return amount if amount.is_finite() else None
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    number, exponent, suffix = match.groups()
    try:
        amount = Decimal(number)
        if exponent:
            # scaleb is exact; an absurd exponent overflows the context instead of hanging.
            return amount.scaleb(int(exponent[1:]))
        return amount * _SUFFIXES[suffix or ""]
    except (ArithmeticError, ValueError, KeyError):
        # InvalidOperation/Overflow (exponents beyond the Decimal range) or an exponent too long for int().
        return None
