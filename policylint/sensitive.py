"""What counts as a secret-like name, a credential URL and a placeholder (the catalog's definitions)."""

from __future__ import annotations

import re

_SECRET_WORDS = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|token|api_?key|private_?key|credentials?|auth)(?:_|$)"
)
#: camelCase and acronym boundaries: `clientSecret` -> client_Secret, `DBPassword` -> DB_Password.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_CREDENTIAL_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:([^@\s/]+)@[^\s]+")
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


def credential_url_password(value: str) -> str | None:
    """The password of a `scheme://user:password@host` value, or None when there is none."""
    for match in _CREDENTIAL_URL.finditer(value):
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
