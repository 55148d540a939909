"""Dockerfile code fixes: edits on an instruction's own lines (policylint.core.fixes).

A Dockerfile is not YAML: each fix finds its instruction by the line the finding's plan names (and
the instruction's `end_line`) and edits the text there. Instructions with heredocs are left alone.
"""

from __future__ import annotations

import json
import re

from policylint.core.fixes import Edit, FixContext, Unfixable
from policylint.core.kinds import fixer

#: An apt command that installs from the package lists (so the lists may go after it, in the same RUN).
_APT_INSTALLS = re.compile(r"\b(apt-get|apt|aptitude)\b[^\n;&|]*?\b(install|upgrade|dist-upgrade|full-upgrade|build-dep)\b")
#: The first apt command of the rest of a stage, and its verb.
_APT_ANY = re.compile(r"\b(?:apt-get|apt|aptitude)\b(?:[ \t]+-[^\s]+|[ \t]+\\\n)*[ \t]+(?P<verb>[a-z-]+)")
_APT_INSTALL = re.compile(r"\b(apt-get|apt)((?:[ \t]+-[^\s]+|[ \t]+\\\n)*)[ \t]+install\b")
#: Where one shell command ends (the next starts).
_COMMAND_END = re.compile(r"&&|\|\||[;|&\n](?<!\\\n)")
#: Characters that make a shell-form command need the shell (expansion, quoting, operators, globs).
_SHELL_SYNTAX = re.compile(r"""[$`'"\\|&;<>(){}*?\[\]~#!]""")


def _span(context: FixContext) -> tuple[int, int]:
    """Start and end offsets of the instruction's lines (end: before the last line's break)."""
    plan = context.plan
    source = context.source
    end_line = plan.values.get("at.end_line") or plan.line
    if plan.line < 1 or not isinstance(end_line, int):
        raise Unfixable("instruction not located")
    start = source.offset(plan.line - 1, 0)
    end = source.line_end(source.offset(end_line - 1, 0))
    return start, end


def _no_heredoc(text: str) -> None:
    if re.search(r"<<-?\s*['\"]?[A-Za-z_]", text):
        raise Unfixable("the instruction uses a heredoc: edit it by hand")


@fixer("dockerfile", "apt-no-install-recommends")
def apt_no_install_recommends(context: FixContext) -> list[Edit]:
    """Insert `--no-install-recommends` after each `apt-get install` / `apt install` without it."""
    start, end = _span(context)
    text = context.source.text[start:end]
    _no_heredoc(text)
    edits = []
    for match in _APT_INSTALL.finditer(text):
        rest = text[match.end():]
        stop = _COMMAND_END.search(rest)
        command = match.group(0) + (rest[: stop.start()] if stop else rest)
        if "--no-install-recommends" in command or "Install-Recommends" in command:
            continue
        edits.append(Edit(start + match.end(), start + match.end(), " --no-install-recommends"))
    if not edits:
        raise Unfixable("no apt-get/apt install to change (aptitude: add --without-recommends by hand)")
    return edits


@fixer("dockerfile", "apt-lists-cleanup")
def apt_lists_cleanup(context: FixContext) -> list[Edit]:
    """Append ` && rm -rf /var/lib/apt/lists/*` to the RUN (shell form), in the same layer."""
    start, end = _span(context)
    text = context.source.text[start:end]
    _no_heredoc(text)
    body = re.sub(r"^\s*RUN\s+", "", text, flags=re.IGNORECASE)
    if body.lstrip().startswith("["):
        raise Unfixable("RUN in exec form: add the cleanup by hand")
    if re.search(r"(^|\s)--mount", body.split("\n", 1)[0]) and "/var/lib/apt" in body:
        raise Unfixable("the RUN mounts an apt cache")
    if not _APT_INSTALLS.search(body):
        raise Unfixable("this RUN only updates the package lists (a later RUN installs from them): move the update there")
    rest = context.source.text[end:]
    stage_rest = re.split(r"(?im)^\s*FROM\s", rest, maxsplit=1)[0]
    later = _APT_ANY.search(stage_rest)
    if later is not None and later.group("verb") != "update":
        raise Unfixable("a later RUN of the stage installs from these package lists without updating them")
    stripped = text.rstrip()
    if stripped.endswith(("&", ";", "|", "\\")):
        raise Unfixable("the RUN ends in an operator")
    at = start + len(stripped)
    return [Edit(at, at, " && rm -rf /var/lib/apt/lists/*")]


@fixer("dockerfile", "add-to-copy")
def add_to_copy(context: FixContext) -> list[Edit]:
    """`ADD` -> `COPY` when every source is a local path that is not an archive (and no ADD-only flag)."""
    start, end = _span(context)
    text = context.source.text[start:end]
    match = re.match(r"([ \t]*)(ADD)\b", text, flags=re.IGNORECASE)
    if match is None:
        raise Unfixable("not an ADD instruction here")
    if re.search(r"--(checksum|keep-git-dir|unpack)\b", text):
        raise Unfixable("ADD-only flags (--checksum, --keep-git-dir, --unpack)")
    if re.search(r"(https?|git|ssh)://|git@|\.(tar|tgz|tbz2?|txz|tzst|gz|bz2|xz|zst)\b", text, flags=re.IGNORECASE):
        raise Unfixable("a source is remote or an archive: ADD is needed for it")
    keyword = match.group(2)
    replacement = "COPY" if keyword.isupper() else "copy" if keyword.islower() else "Copy"
    return [Edit(start + match.start(2), start + match.end(2), replacement)]


@fixer("dockerfile", "exec-form")
def exec_form(context: FixContext) -> list[Edit]:
    """Shell-form CMD/ENTRYPOINT -> exec form (a JSON array) when it uses no shell syntax at all."""
    start, end = _span(context)
    text = context.source.text[start:end]
    match = re.match(r"([ \t]*)(CMD|ENTRYPOINT)[ \t]+", text, flags=re.IGNORECASE)
    if match is None or "\n" in text:
        raise Unfixable("not a one-line shell-form CMD/ENTRYPOINT")
    body = text[match.end():].rstrip()
    if not body or body.startswith("[") or _SHELL_SYNTAX.search(body):
        raise Unfixable("the command uses shell syntax (variables, quotes, operators, globs): keep the shell or rewrite by hand")
    words = body.split()
    if "=" in words[0]:
        raise Unfixable("the command starts with a variable assignment")
    if words[0] == "exec":
        words = words[1:]
    if not words:
        raise Unfixable("empty command")
    array = json.dumps(words, ensure_ascii=False)
    return [Edit(start + match.end(), start + match.end() + len(body), array)]


_PIP_INSTALL = re.compile(r"\b(?:pip3?|python3?\s+-m\s+pip)((?:[ \t]+-[^\s]+|[ \t]+\\\n)*)[ \t]+install\b")


@fixer("dockerfile", "pip-no-cache-dir")
def pip_no_cache_dir(context: FixContext) -> list[Edit]:
    """Insert `--no-cache-dir` after each `pip install` (pip3, python -m pip) without it."""
    start, end = _span(context)
    text = context.source.text[start:end]
    _no_heredoc(text)
    edits = []
    for match in _PIP_INSTALL.finditer(text):
        rest = text[match.end():]
        stop = _COMMAND_END.search(rest)
        command = match.group(0) + (rest[: stop.start()] if stop else rest)
        if "--no-cache-dir" in command:
            continue
        edits.append(Edit(start + match.end(), start + match.end(), " --no-cache-dir"))
    if not edits:
        raise Unfixable("no pip install to change")
    return edits


@fixer("dockerfile", "maintainer-to-label")
def maintainer_to_label(context: FixContext) -> list[Edit]:
    """`MAINTAINER name <mail>` -> `LABEL org.opencontainers.image.authors="name <mail>"`."""
    start, end = _span(context)
    text = context.source.text[start:end]
    match = re.match(r"([ \t]*)MAINTAINER[ \t]+(.+?)[ \t]*$", text, flags=re.IGNORECASE)
    if match is None or "\n" in text:
        raise Unfixable("not a one-line MAINTAINER instruction")
    value = match.group(2).replace("\\", "\\\\").replace('"', '\\"')
    keyword = "LABEL" if text.lstrip()[:1].isupper() else "label"
    return [Edit(start + len(match.group(1)), end, f'{keyword} org.opencontainers.image.authors="{value}"')]


#: Base images known to ship bash (their slim variants too); `alpine` tags, busybox and distroless do not.
_BASH_BASES = ("debian", "ubuntu", "python", "node", "golang", "ruby", "openjdk", "eclipse-temurin", "amazoncorretto",
               "maven", "gradle", "php", "perl", "rust", "fedora", "centos", "rockylinux", "almalinux", "amazonlinux",
               "buildpack-deps", "mcr.microsoft.com/dotnet/sdk", "ubi8/ubi", "ubi9/ubi")


@fixer("dockerfile", "shell-pipefail")
def shell_pipefail(context: FixContext) -> list[Edit]:
    """`SHELL ["/bin/bash", "-o", "pipefail", "-c"]` right after the stage's FROM, when its base image has bash
    (one edit per stage, the same for every piped RUN in it)."""
    source = context.source
    line = context.plan.line
    lines = source.text.split("\n")
    from_index = next((index for index in range(line - 2, -1, -1) if re.match(r"\s*FROM\s", lines[index], re.IGNORECASE)), None)
    if from_index is None:
        raise Unfixable("no FROM before the RUN")
    words = lines[from_index].split()
    image = next((word for word in words[1:] if not word.startswith("--")), "")
    name, _, tag = image.partition("@")[0].partition(":")
    short = name.rsplit("/", 1)[-1] if not name.startswith(("mcr.", "registry.access.redhat.com")) else name
    if "alpine" in tag or not any(short == base or name.endswith("/" + base) or name == base for base in _BASH_BASES):
        raise Unfixable(f"bash is not known to be in {image or 'the base image'}: add pipefail by hand")
    stage = lines[from_index + 1 : line - 1]
    if any(re.match(r"\s*SHELL\s", text, re.IGNORECASE) for text in stage):
        raise Unfixable("the stage sets its own SHELL")
    at = source.offset(from_index, 0) + len(lines[from_index])
    return [Edit(at, at, '\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]')]
