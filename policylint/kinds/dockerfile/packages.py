"""What a RUN command installs, and whether each package names its version.

One table per package manager: the words that start an install, the options that take a value
(so `-t bookworm-backports` is not taken for a package) and how a pinned package is written
(`pkg=1.2`, `pkg==1.2`, `pkg@1.2`, `pkg-1.2`, `pkg:1.2`; `go install pkg@latest` is not a pin). Requirement files, local paths, URLs
and archives are not judged (their content or the file pins the version), nor words a variable or
a command substitution decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PIP_PROGRAM = re.compile(r"^pip[0-9.]*$")
_PYTHON_PROGRAM = re.compile(r"^python[0-9.]*$")
_REDIRECTION = re.compile(r"^[0-9&]*[<>]")
_LOCAL = re.compile(r"(^[./~])|(://)|(^git\+)|(\.(whl|deb|rpm|apk|gem|tgz|zip|tar(\.[a-z0-9]+)?)$)")


class _Manager:
    __slots__ = ("install_words", "name", "pinned", "value_options")

    def __init__(self, name: str, install_words: frozenset[str], value_options: frozenset[str], pinned: re.Pattern[str]) -> None:
        self.name = name
        self.install_words = install_words
        self.value_options = value_options
        self.pinned = pinned


_APT = _Manager(
    "apt-get", frozenset({"install"}), frozenset({"-o", "-t", "-c", "--target-release", "--option", "--config-file"}), re.compile(r"=")
)
_APK = _Manager(
    "apk",
    frozenset({"add"}),
    frozenset({"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--keys-dir", "--cache-dir", "--repositories-file"}),
    re.compile(r"[=~<>]"),
)
_PIP = _Manager(
    "pip",
    frozenset({"install"}),
    frozenset(
        {
            "-e",
            "--editable",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
            "-t",
            "--target",
            "--prefix",
            "--root",
            "--src",
            "--trusted-host",
            "--platform",
            "--python-version",
            "--implementation",
            "--abi",
            "--upgrade-strategy",
            "--progress-bar",
            "--cache-dir",
            "--no-binary",
            "--only-binary",
            "-C",
            "--config-settings",
            "--global-option",
            "--log",
            "--timeout",
            "--retries",
            "--proxy",
            "--cert",
            "--client-cert",
            "--exists-action",
            "--report",
            "--python",
            "--root-user-action",
        }
    ),
    re.compile(r"[=<>~!]=?|@"),
)
_NPM = _Manager(
    "npm",
    frozenset({"install", "i", "add", "isntall"}),
    frozenset({"--prefix", "--registry", "--tag", "-w", "--workspace"}),
    re.compile(r".@"),
)
_GEM = _Manager(
    "gem",
    frozenset({"install", "i"}),
    frozenset({"-i", "--install-dir", "-n", "--bindir", "--source", "-s", "-P", "--trust-policy", "--platform"}),
    re.compile(r":"),
)
_YUM = _Manager(
    "yum",
    frozenset({"install", "in", "reinstall"}),
    frozenset({"-x", "--exclude", "--releasever", "--installroot", "-c", "--config", "--disablerepo", "--enablerepo", "-d", "-e"}),
    re.compile(r"-[0-9]"),
)
_ZYPPER = _Manager(
    "zypper", frozenset({"install", "in"}), frozenset({"-t", "--type", "-r", "--repo", "--from", "-R", "--root"}), re.compile(r"[=<>]")
)
_GO = _Manager(
    "go",
    frozenset({"install", "get"}),
    frozenset({"-tags", "--tags", "-ldflags", "-gcflags", "-o", "-mod", "-modfile", "-pkgdir", "-exec", "-p", "-C"}),
    re.compile(r"@(?!(latest|master|main|HEAD)$)"),
)
#: A package whose version is set by an option of the command (`gem install x -v 1.2`).
_VERSION_OPTIONS = {"gem": frozenset({"-v", "--version"})}
#: A package name that is no package (requirement files are read by -r/-c, which take a value).
_REQUIREMENT_OPTIONS = frozenset({"-r", "--requirement", "-c", "--constraint"})

MANAGERS: dict[str, _Manager] = {
    "apt-get": _APT, "apt": _APT, "aptitude": _APT, "apk": _APK, "gem": _GEM, "npm": _NPM,
    "yum": _YUM, "dnf": _YUM, "microdnf": _YUM, "tdnf": _YUM, "zypper": _ZYPPER, "go": _GO,
}  # fmt: skip


def installed_packages(command: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`[{manager, package, pinned}]` for an install command; empty for any other command."""
    program, args = command.get("program", ""), list(command.get("args", []))
    manager = MANAGERS.get(program)
    if _PIP_PROGRAM.match(program):
        manager = _PIP
    elif _PYTHON_PROGRAM.match(program) and args[:2] == ["-m", "pip"]:
        manager, args = _PIP, args[2:]
    if manager is None or command.get("substituted"):
        return []
    words = _after_install(args, manager)
    if words is None or (manager is _NPM and not ({"-g", "--global"} & set(args))):
        return []
    if any(word.split("=", 1)[0] in _VERSION_OPTIONS.get(manager.name, ()) for word in args):
        return []
    found = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if _REDIRECTION.match(word):
            skip = word.rstrip("0123456789&").endswith((">", "<"))
            continue
        if word.startswith("-"):
            skip = word in manager.value_options or word in _REQUIREMENT_OPTIONS
            continue
        if "$" in word or (word.startswith("@") and manager is _YUM) or _LOCAL.search(word) or not word:
            continue
        found.append({"manager": manager.name, "package": word, "pinned": bool(manager.pinned.search(word))})
    return found


def _after_install(args: list[str], manager: _Manager) -> list[str] | None:
    """The words after the install subcommand (options before it skipped), or None."""
    skip = False
    for index, word in enumerate(args):
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            skip = word in manager.value_options
            continue
        return args[index + 1 :] if word in manager.install_words else None
    return None
