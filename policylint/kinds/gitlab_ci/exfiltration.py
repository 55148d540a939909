"""Commands that send CI credentials or the environment to a network peer (gitlab-secret-exfiltration).

What counts as sent: the data a command uploads (curl `-d`/`--data*`/`-F`/`--form*`/`-T`/`--json`,
and headers; wget `--post-data`/`--body-data`/`--header`), anything written to a raw socket
(nc, ncat, netcat, socat), and what is piped into either. What counts as secret: GitLab's own
credentials (`$CI_JOB_TOKEN`, `$CI_JOB_JWT*`, `$CI_*_PASSWORD`, `$CI_*_TOKEN`), the output of
`env`/`printenv`/`set`, and — on a raw socket only — any variable with a secret-like name (to an
HTTP API such a token is usually on its way to the service that issued it). Requests to the
GitLab instance itself (`$CI_API_V4_URL`, `$CI_SERVER_URL`, ..., or a `/api/v4/` URL) are how
the job token is meant to be used and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

HTTP_CLIENTS = frozenset({"curl", "wget"})
SOCKETS = frozenset({"nc", "ncat", "netcat", "socat"})
ENV_DUMPS = frozenset({"env", "printenv", "set", "export", "declare"})
CURL_DATA = (
    "-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "--data-ascii", "-F", "--form",
    "--form-string", "-T", "--upload-file", "--json", "-H", "--header",
)
WGET_DATA = ("--post-data", "--body-data", "--header")
#: Variables that point at the GitLab instance: a request there is the job token's intended use.
INSTANCE_VARIABLES = (
    "CI_API_V4_URL", "CI_API_GRAPHQL_URL", "CI_SERVER_URL", "CI_SERVER_HOST", "CI_SERVER_FQDN", "CI_PROJECT_URL",
    "CI_REGISTRY", "CI_REPOSITORY_URL", "CI_DEPENDENCY_PROXY_SERVER", "CI_PAGES_URL",
)
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_CI_CREDENTIAL = re.compile(r"^CI_(JOB_TOKEN|JOB_JWT\w*|\w+_PASSWORD|\w+_TOKEN)$")


def _credentials(word: str, secret_like: bool) -> list[str]:
    """The credential variables a word expands; `secret_like`: also any variable with a secret-like name."""
    from policylint.core.sensitive import is_secret_like_name

    found = []
    for name in _VARIABLE.findall(word):
        if _CI_CREDENTIAL.match(name) or (secret_like and is_secret_like_name(name)):
            found.append(f"${name}")
    return found


def _data_words(program: str, words: Sequence[str]) -> list[str]:
    """The words an HTTP client uploads (the value after a data flag, or attached to it)."""
    flags = CURL_DATA if program == "curl" else WGET_DATA
    data: list[str] = []
    for index, word in enumerate(words):
        for flag in flags:
            if word == flag and index + 1 < len(words):
                data.append(words[index + 1])
            elif flag.startswith("--") and word.startswith(flag + "="):
                data.append(word[len(flag) + 1 :])
            elif len(flag) == 2 and word.startswith(flag) and len(word) > 2 and not word.startswith("--"):
                data.append(word[2:])
    return data


def _to_instance(words: Sequence[str]) -> bool:
    """True when the command talks to the GitLab instance (an instance variable or a /api/v4/ URL)."""
    for word in words:
        if "/api/v4/" in word:
            return True
        if any(name in INSTANCE_VARIABLES for name in _VARIABLE.findall(word)):
            return True
    return False


def exfiltration(command: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]]) -> str:
    """What secret a command sends to a network peer (for a message), or an empty string.

    `earlier`: the commands of the same pipeline before it (what is piped into it).
    """
    program = str(command.get("program") or "")
    if program not in HTTP_CLIENTS and program not in SOCKETS:
        return ""
    words = [str(word) for word in command.get("words") or ()]
    position = words.index(program) if program in words else 0
    arguments = words[position + 1 :]
    if _to_instance(arguments):
        return ""
    socket = program in SOCKETS
    found: list[str] = []
    for word in arguments if socket else _data_words(program, arguments):
        found.extend(_credentials(word, secret_like=socket))
    substituted = set(command.get("substituted") or ())
    piped = [str(item) for item in command.get("pipedFrom") or ()]
    if substituted & ENV_DUMPS or set(piped) & ENV_DUMPS:
        found.append("the job's environment")
    for item in earlier:
        for word in item.get("words") or ():
            found.extend(_credentials(str(word), secret_like=True))
    if not found:
        return ""
    return f"{', '.join(dict.fromkeys(found))} with {program}"
