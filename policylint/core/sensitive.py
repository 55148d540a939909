"""What counts as a secret: secret-like names, credential URLs, private keys and placeholders.

The vocabulary (which words make a name secret-like, which names and values are not secrets) is
data, in secret_vocabulary.yaml next to this module, read once on first use. Every domain's secret
policy (k8s env and ConfigMaps, compose environment, Dockerfile ENV/ARG, workflow env, pipeline
variables) judges names and values with these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

#: camelCase and acronym boundaries: `clientSecret` -> client_Secret, `DBPassword` -> DB_Password.
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
#: What follows `scheme://` in a URL with a password. The scheme is found by hand (see
#: `_credential_urls`): as a regex, `[a-zA-Z][a-zA-Z0-9+.-]*://` retries from every letter of a
#: long word and took seconds on one 16 kB value (quadratic), hours on a hostile 1 MB one.
_CREDENTIAL_URL_REST = re.compile(r"[^/\s:@]*:([^@\s/]+)@[^\s]+")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_VARIABLE = re.compile(r"^(?:\$\{[^}]*\}|\$\([^)]*\)|\$\{\{.*\}\}|\{\{.*\}\}|\$[A-Za-z_][A-Za-z0-9_]*)$", re.DOTALL)
_ANGLE_PLACEHOLDER = re.compile(r"^<[^<>]+>")
#: An all-capitals identifier with `_` (`GOOGLE_API_KEY_VAL`, `DB_PASSWORD`): a variable's name
#: written where its value belongs, for someone to fill in.
_IDENTIFIER_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
#: `...`, `....` or `…`: a value left out on purpose.
_ELLIPSIS = re.compile(r"^(?:\.{3,}|…)$")
#: A file path: `./x`, `../x`, `~/x`, or an absolute path whose first folder is a lower-case word
#: (`/run/secrets/db_password`); `/K7MDENG/bPxRfi` (base64 of a key) is not one.
_FILE_PATH = re.compile(r"^(?:(?:\.{1,2}|~)(?:/[\w.@-]+)+|/[a-z][a-z0-9_.-]*(?:/[\w.@-]+)*)/?$")
#: The opening line of a PEM private key: `-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----`,
#: also `-----BEGIN PGP PRIVATE KEY BLOCK-----`.
_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=]")
#: Where a PEM body ends: a line (or the rest of a one-line value) starting with dashes.
_PEM_BOUNDARY = re.compile(r"(?:^|\n)[ \t]*-{3,}|-{3,}\s*END\b", re.MULTILINE)
#: Fewer base64 characters than this between BEGIN and END is an abbreviated example, not a key
#: (the smallest real key, an Ed25519 OpenSSH key, has about 400).
_MIN_KEY_BODY = 64
WEAK_VALUES = frozenset({"password", "admin", "postgres", "root", "secret", "123456", "changeit", "pass", "test"})


class Vocabulary:
    """The data of secret_vocabulary.yaml, compiled."""

    def __init__(self, data: dict[str, Any]) -> None:
        def words_pattern(entries: list[str]) -> str:
            return "|".join(sorted((re.escape(entry) for entry in entries), key=len, reverse=True))

        self.secret_words = re.compile(rf"(?:^|_)(?:{words_pattern(data['secret_words'])})(?:_|$)")
        self.not_secret_suffix = re.compile(rf"(?:^|_)(?:{words_pattern(data['not_secret_suffixes'])})$")
        self.not_secret_names = frozenset(data["not_secret_names"])
        self.booleans = frozenset(data["boolean_values"])
        self.placeholder_prefixes = tuple(data["placeholder_prefixes"])


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary, read from the package's data file on first use."""
    from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream

    text = Path(__file__).with_name("secret_vocabulary.yaml").read_text(encoding="utf-8")
    (document,) = parse_yaml_stream(text)
    assert isinstance(document, YamlDocument), f"secret_vocabulary.yaml: {document}"
    return Vocabulary(document.data)


def words(name: str) -> str:
    """Normalise a key to lower-case words joined by `_` (splitting camelCase, `-` and `.`)."""
    return _CAMEL.sub("_", name).replace("-", "_").replace(".", "_").lower()


def is_secret_like_name(name: str) -> bool:
    """`DB_PASSWORD`, `clientSecret`, `AZURE_STORAGE_KEY`: yes. `KEYCLOAK_REALM`, `AUTHOR`, `SECRET_NAME`: no."""
    normal = words(name)
    found = vocabulary()
    if normal in found.not_secret_names or not found.secret_words.search(normal):
        return False
    return not found.not_secret_suffix.search(normal)


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


def _unquoted(text: str) -> str:
    """`'<PRIVKEY>'` -> `<PRIVKEY>`: quotes that survive into a value (Dockerfile, compose list form)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text


def is_placeholder(value: object) -> bool:
    """Empty, a variable reference, `...`, or plainly a placeholder (`your-...`, `my-...`, `changeme`, `<...>`,
    an all-capitals identifier such as `DB_PASSWORD`).

    A placeholder written in quotes (`'<PRIVKEY>'`) is one too. Weak defaults such as `password`
    or `admin` are not placeholders: they are the worst case.
    """
    if value is None:
        return True
    text = _unquoted(str(value).strip())
    if not text:
        return True
    if _VARIABLE.match(text) or text.startswith(("${", "$(")) or _ELLIPSIS.match(text):
        return True
    if _IDENTIFIER_PLACEHOLDER.fullmatch(text):
        return True
    if text.startswith(("...", "…")) or text.endswith(("...", "…")):
        return True  # elided: "...base64 encoded data...", "MIIEpAIBAAK..."
    lowered = text.lower()
    return lowered.startswith(vocabulary().placeholder_prefixes) or bool(_ANGLE_PLACEHOLDER.match(lowered))


def is_not_a_secret(value: object) -> bool:
    """A value that cannot be a secret whatever its name: a placeholder, a boolean, a file path.

    `MYSQL_RANDOM_ROOT_PASSWORD: "yes"` is a switch, `POSTGRES_PASSWORD_FILE: /run/secrets/db` a
    path to the secret; numbers are not exempt (`PIN: 123456` is the worst case).
    """
    if isinstance(value, bool) or is_placeholder(value):
        return True
    if not isinstance(value, str):
        return False
    text = _unquoted(value.strip())
    return text.lower() in vocabulary().booleans or bool(_FILE_PATH.match(text))


def private_key_block(value: str) -> str | None:
    """The opening line of a PEM private key with a real body in `value`, or None.

    Under any name: a key is a secret whatever the variable is called. Literal `\\n` escapes (a key
    written on one line) count as line breaks. A block whose body is abbreviated (`MIIE...`, `<key>`)
    or shorter than any real key is an example, not a key. The key counts from its BEGIN line: its
    body ends at the next line that starts with dashes, whatever that END line says (`---END  KEY---`,
    another block's BEGIN) or at the end of the value, so text after a missing END is not its body.
    """
    if "PRIVATE KEY" not in value:
        return None
    for begin in _PEM_BEGIN.finditer(value):
        rest = value[begin.end() :].replace("\\n", "\n")
        end = _PEM_BOUNDARY.search(rest)
        body = rest[: end.start()] if end is not None else rest
        if "..." in body or "…" in body or "<" in body:
            continue
        if len(_BASE64_CHARS.findall(body)) >= _MIN_KEY_BODY:
            return begin.group(0)
    return None


def has_private_key(value: object) -> bool:
    """True when a string value holds a PEM private key with a real body."""
    return isinstance(value, str) and private_key_block(value) is not None
