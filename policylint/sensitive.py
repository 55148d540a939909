"""What counts as a secret-like name, a credential URL and a placeholder (the catalog's definitions)."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SECRET_WORDS = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|token|api_?key|private_?key|credentials?|auth)(?:_|$)"
)
#: camelCase and acronym boundaries: `clientSecret` -> client_Secret, `DBPassword` -> DB_Password.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
#: What follows `scheme://` in a URL with a password. The scheme is found by hand (see
#: `_credential_urls`): as a regex, `[a-zA-Z][a-zA-Z0-9+.-]*://` retries from every letter of a
#: long word and took seconds on one 16 kB value (quadratic), hours on a hostile 1 MB one.
_CREDENTIAL_URL_REST = re.compile(r"[^/\s:@]*:([^@\s/]+)@[^\s]+")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_VARIABLE = re.compile(r"^(?:\$\{[^}]*\}|\$\([^)]*\)|\$\{\{.*\}\}|\{\{.*\}\}|\$[A-Za-z_][A-Za-z0-9_]*)$", re.DOTALL)
_PLACEHOLDER_WORDS = (
    "your-",
    "your_",
    "changeme",
    "change-me",
    "change_me",
    "example",
    "dummy",
    "placeholder",
    "redacted",
    "***",
    "xxx",
)
_ANGLE_PLACEHOLDER = re.compile(r"^<[^<>]+>")
WEAK_VALUES = frozenset({"password", "admin", "postgres", "root", "secret", "123456", "changeit", "pass", "test"})


def words(name: str) -> str:
    """Normalise a key to lower-case words joined by `_` (splitting camelCase, `-` and `.`)."""
    return _CAMEL.sub("_", name).replace("-", "_").replace(".", "_").lower()


def is_secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `clientSecret`, `api-key`: yes. `KEYCLOAK_REALM`, `AUTHOR`: no."""
    return bool(_SECRET_WORDS.search(words(name)))


def _credential_urls(value: str) -> Iterator[re.Match[str]]:
    """Each `scheme://user:password@host` in `value`, left to right, in linear time.

    Same matches as finditer(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@]*:([^@\\s/]+)@[^\\s]+").
    """
    start = 0
    while True:
        marker = value.find("://", start)
        if marker < 0:
            return
        begin = marker
        while begin > start and value[begin - 1] in _SCHEME_CHARS:
            begin -= 1
        has_letter = any(char.isascii() and char.isalpha() for char in value[begin:marker])
        match = _CREDENTIAL_URL_REST.match(value, marker + 3) if has_letter else None
        if match is None:
            start = marker + 1
            continue
        yield match
        start = match.end()


def credential_url_password(value: str) -> str | None:
    """The password of a `scheme://user:password@host` value, or None when there is none."""
    for match in _credential_urls(value):
        password = match.group(1)
        if not is_placeholder(password):
            return password
    return None


def is_credential_url(value: str) -> bool:
    """True for a URL carrying a literal (non-placeholder) password."""
    return credential_url_password(value) is not None


def is_placeholder(value: object) -> bool:
    """Empty, a variable reference, or plainly a placeholder (`your-...`, `changeme`, `<...>`, ...).

    Weak defaults such as `password` or `admin` are not placeholders: they are the worst case.
    """
    if value is None:
        return True
    text = str(value).strip()
    if not text:
        return True
    if _VARIABLE.match(text) or text.startswith(("${", "$(")):
        return True
    lowered = text.lower()
    return lowered.startswith(_PLACEHOLDER_WORDS) or bool(_ANGLE_PLACEHOLDER.match(lowered))
