"""'Did you mean …?' hints for mistyped ids, keys and values.

difflib is imported only when a hint is wanted: these are error paths, and the import would
otherwise cost every pre-commit run a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice most like `word`, or None when nothing is close enough."""
    from difflib import get_close_matches

    found = get_close_matches(word, sorted(choices), n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str], quote: bool = True, cutoff: float = 0.6) -> str:
    """` (did you mean 'x'?)` for the closest choice, or an empty string."""
    hint = closest(word, choices, cutoff)
    if hint is None:
        return ""
    return f" (did you mean {hint!r}?)" if quote else f" (did you mean {hint}?)"
