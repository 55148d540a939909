"""Rego policies in conftest's conventions, evaluated with regopy (OPA's Rego in C++, rego.v1).

Every package's `deny`, `violation` and `warn` rules (and `deny_*`, `violation_*`, `warn_*`, as
conftest reads them) are queried with `input` bound to one document. A string result is the
message; an object result gives `msg` and optionally `severity`, `id` (shown before the message)
and `path` (`spec.replicas` or a list of keys: the finding points there). The rule id is the
`custom.id` of the package's `# METADATA` block, else the package path; `deny`/`violation` are
high and `warn` low unless `custom.severity` (for the package) or a result says otherwise.
`custom.frameworks` maps to compliance controls and `custom.file` names the file kind the package
judges (`kubernetes` unless given: `dockerfile`, `compose`, `github-actions`).

Input shapes are conftest's: a Kubernetes object, compose file or workflow is its parsed YAML; a
Dockerfile is the list of its instructions, `{"Cmd": "from", "Flags": [...], "Value": [...],
"Stage": 0, "Original": "FROM alpine:3"}`. `*_test.rego` files are only read by
`policylint test-policies`, which runs their `test_*` rules as `opa test` does.

Why regopy: it is OPA's own language (rego.v1) as a self-contained wheel (no OPA binary, no
subprocess) and imports in ~8 ms; every rule is built once into a bundle entry point. The native
library prints compile errors to standard output, so it runs with file descriptor 1 pointed away.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.ownpolicies import SEVERITY_NAMES, LoadProblem, OwnPolicies, OwnViolation, own_policy

RULE_PREFIXES = ("deny", "violation", "warn")
_PACKAGE = re.compile(r"^package[ \t]+([A-Za-z_][\w.]*)", re.MULTILINE)
_RULE = re.compile(r"^((?:deny|violation|warn)(?:_\w+)?)\b", re.MULTILINE)
_TEST_RULE = re.compile(r"^(test_\w+)\b", re.MULTILINE)
_ERROR_AT = re.compile(r"\(error \d+:(.*?)\|(\d+)\|\d+")
_ERROR_MESSAGE = re.compile(r"\(errormsg \d+:([^\n]*?)\)\s*$", re.MULTILINE)
#: Where each file kind's documents come from (the view whose instance is the conftest input).
TARGETS = {"kubernetes": "document", "compose": "file", "dockerfile": "file", "github-actions": "document"}


class RegoMissing(Exception):
    """regopy is not installed."""


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """Point file descriptor 1 away while the native library may print (it writes errors there)."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


_log_level_set = False


def _regopy() -> Any:
    try:
        import regopy
    except ImportError as exc:
        raise RegoMissing("Rego policies need the optional Rego runtime: pip install 'policylint[rego]'") from exc
    global _log_level_set
    if not _log_level_set:  # the native library aborts the process if this is set twice
        _log_level_set = True
        regopy.set_default_log_level("None")
    return regopy


@dataclass
class RegoError(Exception):
    """A Rego module that does not compile: the file, line and reason."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def rego_error(exc: Exception, sources: dict[str, str]) -> RegoError:
    """The file, line and message of a regopy error (its text names the module and a byte offset)."""
    text = str(exc)
    where = _ERROR_AT.search(text)
    message = _ERROR_MESSAGE.search(text)
    reason = message.group(1) if message else (text.strip().splitlines() or ["invalid Rego"])[0]
    if where:
        name, offset = where.group(1), int(where.group(2))
        source = sources.get(name, "")
        return RegoError(name, source[:offset].count("\n") + 1, reason)
    return RegoError(next(iter(sources), "?"), 1, reason)


class Interpreter:
    """One regopy interpreter holding every module, built once into a bundle of entry points.

    A document is handed over once (as a native value: parsing it as a JSON term costs twice as
    much) however many packages query it; each rule is a prebuilt entry point (measured about ten
    times cheaper than compiling a query string for every document).
    """

    def __init__(self, modules: dict[str, str], entrypoints: list[str] = ()) -> None:
        """Compile `modules` (name → source) and build `entrypoints` (`pkg/path/rule`); RegoError names the first problem."""
        self._regopy = regopy = _regopy()
        self._rego = regopy.Interpreter()
        self._input_keep: Any = None
        self._input_native: Any = None
        self._bundle: Any = None
        with quiet_stdout():
            for name, source in modules.items():
                try:
                    self._rego.add_module(name, source)
                except Exception as exc:  # regopy.RegoError
                    raise rego_error(exc, {name: source}) from None
            if entrypoints:
                try:
                    self._bundle = self._rego.build(None, list(entrypoints))
                except Exception as exc:
                    raise rego_error(exc, modules) from None

    def _set_input(self, document: Any) -> None:
        if self._input_keep is not document:
            native = self._regopy.Input(json.loads(json.dumps(document, default=str)))
            self._rego.set_input(native)
            self._input_keep, self._input_native = document, native  # the native input must outlive its use

    def entrypoint(self, document: Any, entrypoint: str) -> Any:
        """The value of a prebuilt entry point with `input` set to `document` (None: undefined)."""
        self._set_input(document)
        with quiet_stdout():
            output = self._rego.query_bundle_entrypoint(self._bundle, entrypoint)
        if not output.ok():
            raise RuntimeError(f"Rego rule {entrypoint} failed: {self._last_error()}")
        if not output.results:
            return None
        expressions = output.results[0].expressions
        return expressions[0] if expressions else None

    def _last_error(self) -> str:
        """The interpreter's own account of the last failure (regopy keeps it in its C layer)."""
        try:
            from regopy.rego_shared import rego_get_error

            return str(rego_get_error(self._rego._impl)).strip() or "no reason given"
        except Exception:  # an older or newer regopy without it
            return "no reason given"

    def query(self, document: Any, expression: str) -> Any:
        """The value bound to `x` by `x := <expression>` with `input` set to `document` (None: undefined)."""
        self._set_input(document)
        with quiet_stdout():
            output = self._rego.query(f"x := {expression}")
        if not output.ok():
            raise RuntimeError(f"Rego query {expression} failed: {self._last_error()}")
        if not output.results:
            return None
        return output.results[0].bindings.get("x")


@dataclass
class RegoPackage:
    """The rules of one package, gathered over its files."""

    name: str
    path: Path
    line: int
    rules: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def _metadata(source: str, package_at: int) -> dict[str, Any]:
    """The `# METADATA` comment block right above the package line, as data."""
    lines = source[:package_at].rstrip("\n").split("\n")
    block: list[str] = []
    while lines and lines[-1].lstrip().startswith("#"):
        block.insert(0, lines.pop())
    for index, line in enumerate(block):
        if line.strip().lstrip("#").strip() == "METADATA":
            yaml_text = "\n".join(re.sub(r"^\s*# ?", "", item) for item in block[index + 1:])
            from policylint.core.yamlnodes import YamlError, parse_yaml_stream

            parsed = next(iter(parse_yaml_stream(yaml_text)), None)
            if parsed is not None and not isinstance(parsed, YamlError) and isinstance(parsed.data, dict):
                return parsed.data
    return {}


def scan_packages(files: dict[Path, str]) -> dict[str, RegoPackage]:
    """Packages, their deny/violation/warn rules and METADATA, read from the sources' text."""
    packages: dict[str, RegoPackage] = {}
    for path, source in files.items():
        match = _PACKAGE.search(source)
        if match is None:
            continue
        name = match.group(1)
        package = packages.setdefault(name, RegoPackage(name, path, source[: match.start()].count("\n") + 1))
        for rule in _RULE.findall(source):
            if rule not in package.rules:
                package.rules.append(rule)
        if not package.metadata:
            package.metadata = _metadata(source, match.start())
    return packages


def dockerfile_input(data: Any) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
    """A Dockerfile in conftest's shape (a flat instruction list), with each instruction's pointer."""
    commands: list[dict[str, Any]] = []
    pointers: list[tuple[Any, ...]] = []

    def add(item: dict[str, Any], stage: int, pointer: tuple[Any, ...]) -> None:
        arguments = str(item.get("arguments", ""))
        if item.get("form") == "exec" or arguments.lstrip().startswith("["):
            try:
                value = [str(part) for part in json.loads(arguments)]
            except (ValueError, TypeError):
                value = [arguments]
        elif item.get("instruction") in ("RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK"):
            value = [arguments]
        else:
            value = [word for word in arguments.split() if not word.startswith("--")] if item.get("flags") else arguments.split()
        flags = [_flag(key, val) for key, val in (item.get("flags") or {}).items()]
        commands.append({"Cmd": str(item.get("instruction", "")).lower(), "Flags": flags, "Value": value, "Stage": stage,
                         "Original": f"{item.get('instruction', '')} {arguments}".strip()})
        pointers.append(pointer)

    for number, item in enumerate(data.get("args", []) if isinstance(data, dict) else []):
        add(item, 0, ("args", number))
    for stage_number, stage in enumerate(data.get("stages", []) if isinstance(data, dict) else []):
        for number, item in enumerate(stage.get("instructions", [])):
            add(item, stage_number, ("stages", stage_number, "instructions", number))
    return commands, pointers


def _flag(key: str, value: Any) -> str:
    if value is None or value is True:
        return f"--{key}"
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"--{key}={value}"


def _result_path(value: Any) -> tuple[str | int, ...]:
    if isinstance(value, str):
        steps: list[str | int] = [step for step in re.split(r"[./]", value) if step]
    elif isinstance(value, list):
        steps = list(value)
    else:
        return ()
    return tuple(int(step) if isinstance(step, str) and step.isdigit() else step for step in steps)


@dataclass
class RegoEvaluator:
    """One package's rules, queried per document."""

    interpreter: Interpreter
    package: str
    rules: list[str]
    file_kind: str

    def violations_in(self, view: Any) -> list[OwnViolation]:
        """Every deny/violation/warn result for the view's document, placed at its `path` if given."""
        instance = view.instance
        prefix: tuple[Any, ...] = ()
        pointers: list[tuple[Any, ...]] = []
        if self.file_kind == "github-actions":
            instance, prefix = instance.get("document"), ("document",)
        elif self.file_kind == "dockerfile":
            instance, pointers = dockerfile_input(instance)
        found: list[OwnViolation] = []
        for rule in self.rules:
            value = self.interpreter.entrypoint(instance, entrypoint_name(self.package, rule))
            items = _result_items(value)
            default = "low" if rule.startswith("warn") else None
            for item in items:
                found.append(_violation(item, default, prefix, pointers))
        return found


def _result_items(value: Any) -> list[Any]:
    """A rule's results. rego-cpp reads the old partial-set form `deny[msg] { ... }` as an object
    whose keys are the members (mapped to true); those keys are the results, as conftest gave them."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(member is True for member in value.values()):
        items = []
        for key in value:
            if isinstance(key, str) and key.startswith("{"):
                try:
                    items.append(json.loads(key))
                    continue
                except ValueError:
                    pass
            items.append(key)
        return items
    return [] if value in (None, False, True) else [value]


def entrypoint_name(package: str, rule: str) -> str:
    """The bundle entry point of a rule: `k8s.labels` + `deny` → `k8s/labels/deny`."""
    return "/".join((*package.split("."), rule))


def _violation(item: Any, severity: str | None, prefix: tuple[Any, ...], pointers: list[tuple[Any, ...]]) -> OwnViolation:
    if not isinstance(item, dict):
        return OwnViolation(prefix or (() if pointers else ("kind",)), str(item), severity)
    message = str(item.get("msg", item.get("message", json.dumps(item, sort_keys=True))))
    if item.get("id"):
        message = f"{item['id']}: {message}"
    if item.get("severity") in SEVERITY_NAMES:
        severity = item["severity"]
    path = _result_path(item.get("path"))
    if pointers and path and isinstance(path[0], int) and 0 <= path[0] < len(pointers):
        path = (*pointers[path[0]], *path[1:])  # a Dockerfile instruction by its index in the input list
    elif pointers:
        path = ()
    elif not path and not prefix:
        path = ("kind",)  # no `path` in the result: at the object's kind line, not the file's first line
    return OwnViolation((*prefix, *path), message, severity)


def read_sources(files: list[Path]) -> dict[Path, str]:
    """The text of each Rego file (unreadable ones are skipped by the caller's problems)."""
    return {path: path.read_text(encoding="utf-8") for path in files}


def load_rego_policies(files: list[Path], result: OwnPolicies) -> None:
    """One policy per package with deny/violation/warn rules; test files are left to test-policies."""
    policy_files = [path for path in files if not path.name.endswith("_test.rego")]
    if not policy_files:
        return
    try:
        sources = read_sources(policy_files)
    except (OSError, UnicodeDecodeError) as exc:
        result.problems.append(LoadProblem(str(policy_files[0]), 1, f"cannot read Rego file: {exc}"))
        return
    packages = scan_packages(sources)
    entrypoints = [entrypoint_name(package.name, rule) for package in packages.values() for rule in package.rules]
    try:
        interpreter = Interpreter({str(path): text for path, text in sources.items()}, entrypoints)
    except RegoMissing as exc:
        result.problems.append(LoadProblem(str(policy_files[0]), 1, str(exc)))
        return
    except RegoError as exc:
        result.problems.append(LoadProblem(exc.path, exc.line, f"Rego does not compile: {exc.reason}"))
        return
    for package in packages.values():
        if not package.rules:
            continue
        custom = package.metadata.get("custom") if isinstance(package.metadata.get("custom"), dict) else {}
        file_kind = str(custom.get("file", "kubernetes"))
        if file_kind not in TARGETS:
            result.problems.append(LoadProblem(str(package.path), package.line,
                                               f"package {package.name}: custom.file {file_kind!r} is not one of {', '.join(TARGETS)}"))
            continue
        frameworks = custom.get("frameworks") if isinstance(custom.get("frameworks"), dict) else {}
        result.policies.append(own_policy(
            _policy_id(custom, package),
            title=str(package.metadata.get("title") or f"Rego package {package.name}"),
            severity=str(custom.get("severity") or "high"),
            file_kind=file_kind,
            target=TARGETS[file_kind],
            source=package.path,
            evaluator=RegoEvaluator(interpreter, package.name, package.rules, file_kind),
            language="Rego",
            description=str(package.metadata.get("description") or "").strip(),
            frameworks={str(key): [str(item) for item in value] for key, value in frameworks.items() if isinstance(value, list)},
            line=package.line,
        ))


def _policy_id(custom: dict[str, Any], package: RegoPackage) -> str:
    """`custom.id`, else the package path; `package main` (conftest's default, shared by every file)
    names nothing, so its id is the file name (`deny_latest.rego` → `deny-latest`)."""
    if custom.get("id"):
        return str(custom["id"])
    if package.name == "main":
        return Path(package.path).stem.replace("_", "-").lower()
    return package.name


@dataclass
class RegoTestResult:
    """One `test_*` rule: passed when it evaluated to true."""

    name: str
    ok: bool
    detail: str = ""


def run_rego_tests(files: list[Path]) -> list[RegoTestResult]:
    """Run every `test_*` rule of the Rego files, policies and tests loaded together (as `opa test` does).

    Raises RegoMissing or RegoError (with the file and line) when the modules do not compile.
    """
    sources = read_sources(files)
    tests = [
        (package, rule)
        for path, source in sources.items()
        if (package := _PACKAGE.search(source)) is not None
        for rule in _TEST_RULE.findall(source)
    ]
    if not tests:
        return []
    interpreter = Interpreter({str(path): text for path, text in sources.items()})
    results = []
    for package, rule in tests:
        name = f"data.{package.group(1)}.{rule}"
        try:
            value = interpreter.query({}, name)
        except RuntimeError as exc:
            results.append(RegoTestResult(name, False, str(exc)))
            continue
        results.append(RegoTestResult(name, value is True, "" if value is True else f"got {json.dumps(value)}"))
    return results
