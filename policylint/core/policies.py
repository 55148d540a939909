"""Policies are data: read, validate and select the YAML policy files."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from policylint.core.digests import sha256
from policylint.core.kinds import DOMAINS, KIND_ALIASES
from policylint.core.records import field, record
from policylint.core.yamlnodes import YamlError, parse_yaml_stream

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")


class PolicyFormatError(Exception):
    """A policy file is not valid (a usage error: exit 2)."""


def builtin_policy_dir() -> Path:
    """The built-in policies: inside the installed package, or at the top of a source checkout."""
    packaged = Path(__file__).parent.parent / "policies"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "policies"


@record(eq=False)
class Policy:
    """One policy, as read from its file. `condition` and `when` already have params substituted."""

    id: str
    title: str
    severity: str
    rationale: str
    remediation: str
    message: str
    match: dict[str, Any]
    condition: Any
    #: The fail/pass examples, or a function that reads them on first use (built-in policies: the
    #: start-up cache leaves them out, being most of its size, and only test-policies and docs read them).
    example_data: dict[str, list[Any]] | Callable[[], dict[str, list[Any]]]
    file_kind: str
    source: Path
    description: str = ""
    status: str = "stable"
    enabled_by_default: bool = True
    profiles: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: Less specific policies this one stands for where both report the same node (policylint.core.findings.split_superseded).
    supersedes: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    relation: str | None = None
    when: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    report: str = "first"
    report_at: str | None = None
    #: ({severity, when, reason}, ...): findings whose view matches `when` get that severity.
    severity_when: tuple[dict[str, Any], ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    _compiled: Any = field(default=None, repr=False)
    #: A user policy's own test (CEL `assert:`, an admission policy, a Rego package): what the
    #: engine calls instead of the JSON Schema condition. See policylint.ownpolicies.
    evaluator: Any = field(default=None, repr=False)
    #: "" for a policylint YAML policy; else the language it came in (`rules`/`explain` show it).
    language: str = ""
    source_line: int = 1
    #: The policy's `fix:` (policylint.core.fixes), or None when it has none.
    fix: dict[str, Any] | None = None
    _fix_when: Any = field(default=None, repr=False)

    @property
    def fix_applicability(self) -> str:
        """`safe`, `unsafe`, or "" for a policy without a fix (the `rules` column)."""
        return str(self.fix.get("applicability", "")) if self.fix else ""

    @property
    def examples(self) -> dict[str, list[Any]]:
        """The policy's `examples` (read from its file the first time when not kept in memory)."""
        if callable(self.example_data):
            self.example_data = self.example_data()
        return self.example_data

    @property
    def kinds(self) -> frozenset[str] | None:
        """Kubernetes kinds this policy applies to (None: any), aliases expanded."""
        kinds = self.match.get("kinds")
        if not kinds:
            return None
        expanded: set[str] = set()
        for kind in kinds:
            expanded.update(KIND_ALIASES.get(kind, (kind,)))
        expanded.difference_update(self.match.get("exclude_kinds", ()))
        return frozenset(expanded)

    @property
    def target(self) -> str:
        """The `match.target` name."""
        return str(self.match["target"])

    @property
    def domain(self) -> str:
        """The id's prefix (`k8s`, `docker`, ...), used by `--select k8s`."""
        return self.id.split("-", 1)[0]

    def with_params(self, overrides: Mapping[str, Any]) -> Policy:
        """A copy whose `$param` nodes use `overrides` on top of the policy's defaults."""
        params = {**self.params, **overrides}
        clone = copy.copy(self)
        clone.params = params
        clone.condition = substitute_params(self.raw.get("condition", True), params, self.id)
        clone.when = substitute_params(self.raw.get("when"), params, self.id)
        clone.severity_when = tuple(
            {**case, "when": substitute_params(case["when"], params, self.id)} for case in self.raw.get("severity_when") or ()
        )
        clone._compiled = None
        return clone

    def without_param_nodes(self) -> Policy:
        """What `with_params({})` gives for a policy with no `$param` node, without walking its condition."""
        self.condition = self.raw.get("condition", True)
        self.when = self.raw.get("when")
        self.severity_when = tuple(dict(case) for case in self.raw.get("severity_when") or ())
        return self


def substitute_params(node: Any, params: Mapping[str, Any], policy_id: str) -> Any:
    """Replace every `{"$param": name}` node by the parameter's value (structurally, not as text)."""
    if isinstance(node, dict):
        if set(node) == {"$param"}:
            name = node["$param"]
            if name not in params:
                raise PolicyFormatError(f"{policy_id}: unknown parameter {name!r}")
            return params[name]
        return {key: substitute_params(value, params, policy_id) for key, value in node.items()}
    if isinstance(node, list):
        return [substitute_params(item, params, policy_id) for item in node]
    return node


_meta_validator: Any = None


def _validate_meta(data: Any, source: Path, positions: Mapping[Any, Any]) -> None:
    global _meta_validator
    if _meta_validator is None:
        from jsonschema import Draft202012Validator

        _meta_validator = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    errors = sorted(_meta_validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    problems = []  # every problem of the file in one run, each with its line and key
    for error in errors:
        path = tuple(error.absolute_path)
        key = "/".join(str(step) for step in path) or "(top level)"
        line = ""
        for size in range(len(path), -1, -1):
            if path[:size] in positions:
                line = f":{positions[path[:size]].line}"
                break
        problem = f"{source}{line}: {key}: {_describe(error)}"
        if problem not in problems:
            problems.append(problem)
    raise PolicyFormatError("\n".join(problems))


def _describe(error: Any) -> str:
    """A schema error in words; a prose field that is too short says how long it must be."""
    if error.validator == "minLength" and isinstance(error.instance, str):
        return f"{error.instance!r} is too short: write at least {error.validator_value} characters"
    return str(error.message)


def parse_policy(source: Path, text: str, validate: bool = True) -> Policy:
    """Read one policy file. `validate` checks it against the policy meta-schema first."""
    return policy_from_data(source, policy_data(source, text, validate))


def policy_data(source: Path, text: str, validate: bool = True) -> dict[str, Any]:
    """The plain data of one policy file (what the built-in policy cache stores)."""
    documents = list(parse_yaml_stream(text))
    if len(documents) != 1:
        raise PolicyFormatError(f"{source}: expected exactly one YAML document, found {len(documents)}")
    parsed = documents[0]
    if isinstance(parsed, YamlError):
        raise PolicyFormatError(f"{source}:{parsed.line}: invalid YAML: {parsed.reason}")
    data = parsed.data
    if not isinstance(data, dict):
        raise PolicyFormatError(f"{source}: a policy must be a mapping")
    if validate:
        _validate_meta(data, source, parsed.positions)
    return data


def policy_from_data(source: Path, data: dict[str, Any], has_params: bool = True) -> Policy:
    """Build the Policy of a file's data (already validated when it had to be).

    `has_params=False` (a file whose text never says `$param`) skips the substitution walk.
    """
    policy_id = data["id"]
    if source.stem != policy_id:
        raise PolicyFormatError(f"{source}: id {policy_id!r} must equal the file name {source.stem!r}")
    match = dict(data["match"])
    file_kind = match.get("file") or DOMAINS.get(policy_id.split("-", 1)[0])
    if file_kind is None:
        prefixes = [f"{domain}-" for domain in DOMAINS]
        raise PolicyFormatError(
            f"{source}: match.file is required when the id does not start with {', '.join(prefixes[:-1])} or {prefixes[-1]}"
        )
    match["file"] = file_kind
    params = dict(data.get("params") or {})
    policy = Policy(
        id=policy_id,
        title=data["title"],
        severity=data["severity"],
        rationale=data["rationale"].strip(),
        remediation=data["remediation"].strip(),
        message=data["message"],
        match=match,
        condition=None,
        example_data=data["examples"] if "examples" in data else partial(_examples_of, source),
        file_kind=file_kind,
        source=source,
        description=(data.get("description") or "").strip(),
        status=data.get("status", "stable"),
        enabled_by_default=data.get("default", "enabled") == "enabled",
        profiles=tuple(data.get("profiles") or ()),
        aliases=tuple(data.get("aliases") or ()),
        supersedes=tuple(data.get("supersedes") or ()),
        references=tuple(data.get("references") or ()),
        frameworks={key: list(value) for key, value in (data.get("frameworks") or {}).items()},
        relation=data.get("relation"),
        params=params,
        report=data.get("report", "first"),
        report_at=data.get("report_at"),
        raw=data,
        fix=data.get("fix"),
    )
    if not has_params:
        return policy.without_param_nodes()
    return policy.with_params({})


def _examples_of(source: Path) -> dict[str, list[Any]]:
    """A built-in policy's examples, read from its file (they are not in the start-up cache)."""
    examples = policy_data(source, read_policy(source), validate=False).get("examples")
    return examples if isinstance(examples, dict) else {}


def policy_files(directory: Path) -> list[Path]:
    """Every `*.yaml`/`*.yml` policy file under a folder (sorted), skipping non-policy data files.

    A walk with `os.walk` sorted by path parts (the order `sorted(Path.rglob(...))` gives): on every
    start-up, pathlib's glob machinery and comparisons of Path objects cost about 2 ms for the
    built-in folder alone.
    """
    found: list[tuple[list[str], str]] = []
    root = os.fspath(directory)
    for folder, _, names in os.walk(root, followlinks=True):
        if os.path.basename(folder) == "frameworks":
            continue
        relative = os.path.relpath(folder, root).split(os.sep) if folder != root else []
        found.extend(
            ([*relative, name], os.path.join(folder, name))
            for name in names
            if name.endswith((".yaml", ".yml")) and name not in ("profiles.yaml", "frameworks.yaml")
        )
    found.sort(key=lambda item: item[0])
    return [Path(path) for _, path in found]


@record
class PolicySet:
    """Every policy read for a run, by id, plus a hash that names the exact set (for reports)."""

    policies: dict[str, Policy]
    #: The hash, or a function that computes it when a report first asks (see `digest`).
    hash_or_maker: str | Callable[[], str]
    #: User policies that could not be loaded (policylint.ownpolicies.LoadProblem): `policy-error` findings.
    problems: list[Any] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """The set's hash (16 hex digits of SHA-256 over every file's name and text, built-in files first).

        With user folders it is computed on first use: it needs the built-in texts, which a run
        whose report never shows the hash (text, GitHub, GitLab output) then need not read.
        """
        if callable(self.hash_or_maker):
            self.hash_or_maker = self.hash_or_maker()
        return self.hash_or_maker

    def __iter__(self) -> Any:
        """Iterate over policies in id order."""
        return iter(self.policies[key] for key in sorted(self.policies))

    def __len__(self) -> int:
        """The number of policies."""
        return len(self.policies)

    def get(self, policy_id: str) -> Policy | None:
        """A policy by id or by one of its aliases."""
        found = self.policies.get(policy_id)
        if found is not None:
            return found
        for policy in self.policies.values():
            if policy_id in policy.aliases:
                return policy
        return None


def read_policy(path: Path) -> str:
    """The text of one policy file (a read failure is a PolicyFormatError, exit 2)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFormatError(f"{path}: cannot read policy: {exc}") from exc


def builtin_data(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], str, set[str]]:
    """The parsed data of the built-in policy files, the hash of their names and texts, and the
    files that mention `$param` (only their conditions need the substitution walk).

    Both come from the user cache when nothing changed, in one read: the key is built from each
    file's path, size, modification and change times and inode (stat only, plus policylint's and
    Python's version), so an edited, replaced, added or removed policy misses (the change time
    also catches an edit that kept the size and put the old modification time back). Only then are the files read, parsed and hashed (the
    hash is the `policy_set` of reports, the same value as hashing the files on every start).
    User policies are always re-read.
    """
    from policylint.core import cache

    if not paths:
        return {}, sha256().hexdigest(), set()
    key = sha256(cache.stamp().encode())
    try:
        for path in paths:
            status = path.stat()
            key.update(f"\0{path}\0{status.st_size}\0{status.st_mtime_ns}\0{status.st_ctime_ns}\0{status.st_ino}".encode())
    except OSError as exc:
        raise PolicyFormatError(f"{path}: cannot read policy: {exc}") from exc
    stamp = key.hexdigest()
    stored = cache.read("builtin-policies", stamp)
    if (isinstance(stored, dict) and isinstance(stored.get("data"), dict) and isinstance(stored.get("digest"), str)
            and isinstance(stored.get("parametrised"), list)):
        return stored["data"], stored["digest"], set(stored["parametrised"])
    digest = sha256()
    data: dict[str, dict[str, Any]] = {}
    parametrised: list[str] = []
    for path in paths:
        text = read_policy(path)
        digest.update(path.name.encode())
        digest.update(text.encode())
        parsed = policy_data(path, text, validate=False)
        parsed.pop("examples", None)  # most of the cache's size; read from the file when wanted
        data[str(path)] = parsed
        if "$param" in text:
            parametrised.append(str(path))
    cache.write("builtin-policies", stamp, {"data": data, "digest": digest.hexdigest(), "parametrised": parametrised})
    return data, digest.hexdigest(), set(parametrised)
