"""The configuration file: discovery, validation and merging into `RunOptions`.

Layers merge as built-in defaults < profile < file < command line. A `.policylint.yaml` (or a
`[tool.policylint]` table in `pyproject.toml`) is found by walking up from the first scanned path,
validated against `config.schema.json` (a typo is exit 2 with the key's path and a suggestion), and
its relative paths are resolved against the folder the file lives in.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from policylint.core import records
from policylint.core.records import field, record

if TYPE_CHECKING:
    from policylint.core.policies import PolicySet
    from policylint.options import RunOptions

CONFIG_NAMES = (".policylint.yaml", ".policylint.yml")
PYPROJECT = "pyproject.toml"
SCHEMA_PATH = Path(__file__).with_name("config.schema.json")

STARTER = """\
# policylint configuration. Every key is optional; the command line wins over this file.
# Reference: `policylint rules` lists every policy id; `policylint explain <id>` explains one.

# default, or restricted (also turns on the off-by-default digest and namespace policies).
profile: default

# Lowest severity that fails the run (critical, high, medium, low, never).
fail-on: low

# Kubernetes version the manifests target (quote it, or YAML reads 1.30 as 1.3).
# kube-version: "1.31"

# Namespace assumed for objects that set none.
# namespace: default

# Policies to run only, to skip, and off-by-default policies to turn on (ids or domains: k8s, docker,
# compose, gha, gitlab), as --select, --ignore and --enable on the command line.
# select: [k8s, docker]
ignore: []
enable: []

# Severity overrides per policy id.
# severity:
#   k8s-single-replica: high

# Paths to skip (globs, relative to this file).
exclude: []

# Test data (testdata/, tests/, fixtures/, *.golden) found while walking folders: skip or include.
# test-data: skip

# Folders of your own policies (relative to this file).
# policy-dirs: [./org-policies]

# Policy parameters.
# params:
#   k8s-hpa-min-replicas-low: {min: 3}

# Other files loaded only so relational policies can see them (pre-commit passes just the changed files).
# context: [.]

# Suppressions for whole paths; each needs a reason, and may expire (YYYY-MM-DD).
# per-path-ignores:
#   - paths: ["legacy/**"]
#     policies: [k8s-run-as-root]
#     reason: legacy images are rebuilt in Q3
#     expires: "2026-12-31"
per-path-ignores: []
"""


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid (exit 2)."""


@record(frozen=True)
class IgnoreRule:
    """A config-level suppression: these policies on these paths (globs relative to the cwd)."""

    policies: tuple[str, ...]
    reason: str
    paths: tuple[str, ...] = ()
    expires: str = ""
    source: str = ""
    line: int = 1


@record(frozen=True)
class Config:
    """A validated configuration file (or the empty configuration when there is none)."""

    values: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None
    base_dir: Path = field(default_factory=Path.cwd)
    lines: Mapping[tuple[Any, ...], int] = field(default_factory=dict)

    @property
    def display_source(self) -> str:
        """The config file as shown in messages."""
        if self.source is None:
            return "(no configuration file)"
        return _display(self.source)

    def line_of(self, *path: Any) -> int:
        """The line of a key (1 when unknown, e.g. in TOML)."""
        return self.lines.get(tuple(path), 1)

    def path_ignores(self) -> list[tuple[tuple[str, int], Mapping[str, Any]]]:
        """The path suppressions with where each is written: `per-path-ignores:`, and the mappings
        under `ignore:` (their old place)."""
        return [((key, index), entry) for key in ("per-path-ignores", "ignore")
                for index, entry in enumerate(self.values.get(key) or ()) if isinstance(entry, Mapping)]

    def ignore_rules(self) -> list[IgnoreRule]:
        """The path suppressions, with their globs rebased onto the current directory."""
        rules = []
        for where, entry in self.path_ignores():
            globs = tuple(glob for glob in (rebase_glob(p, self.base_dir) for p in entry.get("paths") or ()) if glob)
            if entry.get("paths") and not globs:
                continue  # every glob lies outside the scanned tree
            rules.append(
                IgnoreRule(
                    policies=tuple(entry["policies"]),
                    reason=entry["reason"].strip(),
                    paths=globs,
                    expires=str(entry.get("expires") or ""),
                    source=self.display_source,
                    line=self.line_of(*where),
                )
            )
        return rules


def _display(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return (str(path) if relative.startswith("..") else relative).replace(os.sep, "/")


def rebase_glob(pattern: str, base_dir: Path, cwd: Path | None = None) -> str | None:
    """A glob written relative to `base_dir`, made relative to the cwd (how discovery shows paths).

    Returns None when the pattern can only match files outside the current directory's tree.
    Patterns without a slash (`*.tmp`) or starting with `**` match at any depth and stay as written.
    """
    pattern = pattern.strip().removeprefix("./")
    if "/" not in pattern.rstrip("/") or pattern.startswith("**"):
        return pattern
    if pattern.startswith("/"):
        pattern = pattern[1:]
    cwd = (cwd or Path.cwd()).resolve()
    base = base_dir.resolve()
    if base == cwd:
        return pattern
    if base.is_relative_to(cwd):
        return str(PurePosixPath(base.relative_to(cwd).as_posix(), pattern))
    if cwd.is_relative_to(base):
        prefix = cwd.relative_to(base).as_posix() + "/"
        if pattern.startswith(prefix):
            return pattern[len(prefix):]
        return None
    return None


#: A `[tool.policylint]` (or `[tool.policylint.*]`) table header at the start of a line, not in a comment.
_TOOL_TABLE = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*policylint[ \t]*[\].]", re.MULTILINE)


def find_config(start: Path) -> Path | None:
    """The nearest `.policylint.yaml`/`.yml`, or `pyproject.toml` with `[tool.policylint]`.

    Walks up from `start` (a file's folder, or the folder itself) and stops at the repository root
    (the first folder holding `.git`), so a file above the project never applies by surprise.
    """
    try:
        current = start.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, before Python 3.13
        return None
    if not current.is_dir():
        current = current.parent
    for folder in (current, *current.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file():
                return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            if _TOOL_TABLE.search(text):
                return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _toml(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    return tomllib.loads(text)


def _plain(value: Any) -> Any:
    """TOML dates become ISO strings, so TOML and YAML validate alike."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def read_config(path: Path) -> Config:
    """Read and validate one configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_display(path)}: cannot read configuration: {exc}") from exc
    lines: dict[tuple[Any, ...], int] = {}
    if path.name == PYPROJECT:
        try:
            data = _toml(text)
        except ValueError as exc:
            raise ConfigError(f"{_display(path)}: invalid TOML: {exc}") from exc
        data = _plain(data.get("tool", {}).get("policylint", {}))
        where = "[tool.policylint]"
    else:
        from policylint.core.yamlnodes import YamlError, parse_yaml_stream

        documents = list(parse_yaml_stream(text))
        if any(isinstance(doc, YamlError) for doc in documents):
            error = next(doc for doc in documents if isinstance(doc, YamlError))
            raise ConfigError(f"{_display(path)}:{error.line}: invalid YAML: {error.reason}")
        if len(documents) > 1:
            raise ConfigError(f"{_display(path)}: expected one YAML document, found {len(documents)}")
        data = documents[0].data if documents else {}  # type: ignore[union-attr]
        data = {} if data is None else data
        if documents:
            lines = {pointer: position.line for pointer, position in documents[0].positions.items()}  # type: ignore[union-attr]
        where = ""
    config = Config(data, path, path.parent, lines)
    validate(config, where)
    return config


_schema: dict[str, Any] | None = None


def _load_schema() -> dict[str, Any]:
    global _schema
    if _schema is None:
        _schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return _schema


def _is_date(value: Any) -> bool:
    """jsonschema's `date` format: YYYY-MM-DD that is a real date (non-strings pass)."""
    if not isinstance(value, str):
        return True
    import re

    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII) and datetime.date.fromisoformat(value))
    except ValueError:
        return False


def key_path(path: Iterable[Any]) -> str:
    """`ignore[0].reason` style path of a key."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(top level)"


def validate(config: Config, where: str = "") -> None:
    """Raise ConfigError naming every schema violation at once, each with file, line, key and a suggestion."""
    from policylint.core.fastschema import Unsupported, compile_schema

    schema = _load_schema()
    try:  # the compiled check (same verdict) spares every run with a config the jsonschema import
        if compile_schema(schema, formats={"date": _is_date}).is_valid(config.values):
            return
    except Unsupported:
        pass
    from jsonschema import Draft202012Validator

    from policylint.core.suggest import did_you_mean  # only when the configuration is wrong

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(
        validator.iter_errors(config.values),
        key=lambda e: (list(map(str, e.absolute_path)), e.validator != "additionalProperties", e.message),
    )
    if not errors:
        return
    problems: list[str] = []
    reported: set[tuple[str, ...]] = set()
    for error in errors:
        for message, path in _describe(error, did_you_mean):
            key = tuple(map(str, path))
            if key in reported or any(key[: len(done)] == done for done in reported if done):
                continue  # one problem per key: the first (most telling) one
            reported.add(key)
            problems.append(f"{_where(config, path, where)}{key_path(path)}: {message}")
    raise ConfigError("\n".join(problems))


def _where(config: Config, path: Sequence[Any], where: str = "") -> str:
    """`file:line: ` for a key (the nearest enclosing key with a known line)."""
    line = ""
    for size in range(len(path), -1, -1):
        if tuple(path[:size]) in config.lines:
            line = f":{config.lines[tuple(path[:size])]}"
            break
    return f"{config.display_source}{line}: " + (f"{where} " if where else "")


def _describe(error: Any, did_you_mean: Any) -> list[tuple[str, list[Any]]]:
    """What is wrong, in words, with the key path each problem concerns (one per unknown key)."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(str(key) for key in instance if key not in allowed)
        return [(f"unknown key {key!r}" + (did_you_mean(key, allowed) or f" (known keys: {', '.join(allowed)})"),
                 [*path, key]) for key in extra]
    return [(_detail(error, path, did_you_mean), path)]


def _detail(error: Any, path: list[Any], did_you_mean: Any) -> str:
    instance = error.instance
    if error.validator == "enum":
        choices = [str(choice) for choice in error.validator_value]
        return f"{instance!r} is not one of {', '.join(choices)}{did_you_mean(str(instance), choices)}"
    if path and path[-1] == "kube-version" and isinstance(instance, (int, float)):
        return f"{instance!r} is a number: quote it, e.g. kube-version: \"{instance}\" (YAML reads 1.30 as 1.3)"
    if error.validator == "format" and error.validator_value == "date":
        return f"{instance!r} is not a date (YYYY-MM-DD)"
    if error.validator == "pattern" and len(path) >= 2 and path[0] in _ID_LISTS:
        return f"{instance!r} is not a policy id or domain (lowercase letters, digits and '-')"
    return error.message


#: Keys that list policy ids and domains, as --select/--ignore/--enable do.
_ID_LISTS = ("select", "ignore", "enable", "disable")


def load_config(paths: Sequence[str], explicit: str | Path | None = None) -> Config:
    """The configuration for a run: `--config FILE`, else the nearest file above the first path."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        return read_config(path)
    first = next((p for p in paths if p != "-"), ".")
    found = find_config(Path(first))
    return read_config(found) if found is not None else Config()


def resolve_policy_ids(config: Config, policy_set: PolicySet) -> tuple[Config, list[str]]:
    """Drop (with a warning and a suggestion) policy ids the config names but no policy has.

    An unknown id in a config file is a warning, not an error: a config shared across versions
    of policylint may name a policy this version does not have. Aliases map to the current id.
    """
    policies = list(policy_set)
    from policylint.catalog import BUILTIN_FINDINGS

    ids = {policy.id for policy in policies} | set(BUILTIN_FINDINGS)
    selectors = ids | {policy.domain for policy in policies} | {policy.file_kind for policy in policies}
    aliases = {alias: policy.id for policy in policies for alias in policy.aliases}
    warnings: list[str] = []

    def known(value: str, where: tuple[Any, ...], allow_selectors: bool) -> str | None:
        pool = selectors if allow_selectors else ids
        if value in pool or (allow_selectors and value.endswith("*") and any(i.startswith(value[:-1]) for i in ids)):
            return value
        if value in aliases:
            warnings.append(f"{config.display_source}:{config.line_of(*where)}: {key_path(where)}: "
                            f"{value!r} was renamed to {aliases[value]!r}")
            return aliases[value]
        from policylint.core.suggest import did_you_mean  # only for a policy id no policy has

        warnings.append(f"{config.display_source}:{config.line_of(*where)}: {key_path(where)}: unknown policy "
                        f"{value!r}{did_you_mean(value, pool)}; ignored")
        return None

    values = dict(config.values)
    for key in ("disable", "enable", "select"):
        if key in values:
            values[key] = [v for i, item in enumerate(values[key]) if (v := known(item, (key, i), True))]
    if "ignore" in values:  # ids and domains; mappings are path suppressions, checked below
        values["ignore"] = [item if isinstance(item, Mapping) else v for i, item in enumerate(values["ignore"])
                            if isinstance(item, Mapping) or (v := known(item, ("ignore", i), True))]
    for key in ("severity", "params"):
        if key in values:
            values[key] = {v: item for name, item in values[key].items() if (v := known(name, (key, name), False))}
    problems: list[str] = []
    for name, given in (values.get("params") or {}).items():
        declared = policy_set.policies[name].params
        for param, value in given.items():
            where = f"{config.display_source}:{config.line_of('params', name, param)}: params.{name}.{param}"
            if param not in declared:
                from policylint.core.suggest import did_you_mean  # only for an unknown parameter

                names = ", ".join(sorted(declared)) or "none"
                choices = did_you_mean(param, declared) or f" (parameters: {names})"
                problems.append(f"{where}: unknown parameter{choices}")
            elif _json_type(value) != _json_type(declared[param]) and declared[param] is not None:
                problems.append(f"{where}: expected {_json_type(declared[param])}, got {value!r}")
    if problems:
        raise ConfigError("\n".join(problems))
    for key in ("per-path-ignores", "ignore"):
        if key not in values:
            continue
        entries = []
        for index, entry in enumerate(values[key]):
            if not isinstance(entry, Mapping):
                entries.append(entry)
                continue
            kept = [
                v for i, item in enumerate(entry["policies"])
                if (v := known(item, (key, index, "policies", i), False))
            ]
            if kept:
                entries.append({**entry, "policies": kept})
        values[key] = entries
    return records.replace(config, values=values), warnings


def deprecations(config: Config) -> list[str]:
    """Warnings for the old spellings, each with the new one (they keep working)."""
    warnings = []
    values = config.values
    if "disable" in values:
        ids = ", ".join(str(item) for item in values["disable"])
        warnings.append(f"{config.display_source}:{config.line_of('disable')}: disable: is deprecated; write "
                        f"ignore: [{ids}] (the same word as --ignore)")
    for (key, index), _ in config.path_ignores():
        if key == "ignore":
            warnings.append(f"{config.display_source}:{config.line_of(key, index)}: ignore[{index}]: a path "
                            "suppression under ignore: is deprecated; move it under per-path-ignores: (same fields). "
                            "ignore: now lists policy ids and domains, as --ignore does")
    return warnings


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "null"


def _relative_to_cwd(value: str, base_dir: Path) -> str:
    path = Path(value)
    if not path.is_absolute():
        path = base_dir / path
    return _display(Path(os.path.normpath(path)))


def apply_config(options: RunOptions, config: Config, explicit: Collection[str] = ()) -> RunOptions:
    """Merge the file into options built from the command line.

    `explicit` names the RunOptions fields the user set on the command line: those win. Lists
    combine (the command line's `--enable X` beats the file's `disable: [X]`, and the reverse).
    """
    values = config.values
    if not values and config.source is None:
        return options
    changes: dict[str, Any] = {}
    for key, name in (("profile", "profile"), ("fail-on", "fail_on"), ("namespace", "default_namespace"),
                      ("kube-version", "kube_version")):
        if key in values and name not in explicit:
            changes[name] = str(values[key]).removeprefix("v") if key == "kube-version" else values[key]
    cli_enable, cli_ignore = list(options.enable), list(options.ignore)
    file_ignore = [*values.get("disable", ()), *(i for i in values.get("ignore", ()) if not isinstance(i, Mapping))]
    changes["enable"] = [i for i in values.get("enable", ()) if i not in cli_ignore] + cli_enable
    changes["ignore"] = [i for i in file_ignore if i not in cli_enable] + cli_ignore
    if values.get("select") and not options.select:  # --select on the command line replaces the file's
        changes["select"] = list(values["select"])
    changes["severity_overrides"] = {**values.get("severity", {}), **options.severity_overrides}
    params = {name: dict(given) for name, given in values.get("params", {}).items()}
    for name, given in options.params.items():
        params[name] = {**params.get(name, {}), **given}
    changes["params"] = params
    changes["config_excludes"] = [*values.get("exclude", ())]  # relative to config_dir (discovery.Excludes)
    changes["policy_dirs"] = [
        *(Path(os.path.normpath(config.base_dir / d)) for d in values.get("policy-dirs", ())),
        *options.policy_dirs,
    ]
    field_names = set(records.field_names(options))
    if "context" in values and not options.context:
        changes["context"] = [_relative_to_cwd(item, config.base_dir) for item in values["context"]]
    if "baseline" in values and options.baseline is None:
        changes["baseline"] = Path(_relative_to_cwd(values["baseline"], config.base_dir))
    if values.get("warn-unused-suppressions"):
        changes["warn_unused_suppressions"] = True
    if "kustomize" in values and "kustomize" in field_names and "kustomize" not in explicit:
        changes["kustomize"] = values["kustomize"]
    if "test-data" in values and "include_test_data" not in explicit:
        changes["include_test_data"] = values["test-data"] == "include"
    if "relation-scope" in values and "relation_scope" not in explicit:
        changes["relation_scope"] = values["relation-scope"]
    helm = values.get("helm")
    if helm is False and "helm" not in explicit:
        changes["helm"] = False
    elif isinstance(helm, dict):
        changes["helm_values"] = [*options.helm_values, *(_relative_to_cwd(file, config.base_dir) for file in helm.get("values", ()))]
        if "release-name" in helm:
            changes["helm_release_name"] = helm["release-name"]
        if "namespace" in helm:
            changes["helm_namespace"] = helm["namespace"]
    changes["ignore_rules"] = [*config.ignore_rules(), *options.ignore_rules]
    if config.source is not None:
        changes["config_dir"] = config.base_dir
    return records.replace(options, **{k: v for k, v in changes.items() if k in field_names})


def write_starter(path: Path) -> None:
    """Write the commented starter file; refuse to overwrite an existing one."""
    if path.exists():
        raise ConfigError(f"{_display(path)} already exists; not overwriting it")
    path.write_text(STARTER, encoding="utf-8")


def _named_paths(values: Mapping[str, Any]) -> Iterable[tuple[tuple[Any, ...], str]]:
    """(key path, value) of every path a configuration names."""
    for key in ("policy-dirs", "context"):
        for index, item in enumerate(values.get(key) or ()):
            yield (key, index), str(item)
    if isinstance(values.get("baseline"), str):
        yield ("baseline",), values["baseline"]
    helm = values.get("helm")
    for index, item in enumerate(helm.get("values") or () if isinstance(helm, Mapping) else ()):
        yield ("helm", "values", index), str(item)


def _check_boundary(config: Config) -> None:
    """A configuration found in the scanned repository (not given with --config) is the
    repository's word, so the paths it names must stay inside the repository: a pull request
    must not point policylint at the runner's files through `policy-dirs: [/etc]` or a baseline
    `../../.git/config`. Paths given on the command line are trusted as they are."""
    if config.source is None:
        return
    from policylint.core.boundary import Boundary, root_of

    limits = Boundary([root_of(config.base_dir)])
    for where, value in _named_paths(config.values):
        path = Path(value) if Path(value).is_absolute() else config.base_dir / value
        if not limits.admits(os.path.normpath(path)):
            raise ConfigError(
                f"{config.display_source}:{config.line_of(*where)}: {key_path(where)}: {value!r} leads outside the "
                "repository; a configuration found in the repository may only name paths inside it (give such a "
                "path on the command line, or the file with --config, to trust it)")


def configure(
    options: RunOptions, config_file: str | Path | None = None, explicit: Collection[str] = ()
) -> tuple[RunOptions, PolicySet, list[str]]:
    """Find and read the config, load the policies it points at, merge: what `check` runs with.

    Returns the merged options, the policy set and warnings (unknown policy ids, renamed ids).
    Raises ConfigError (or PolicyFormatError for a bad policy folder): both are exit 2.
    """
    from policylint.catalog import load_policies

    config = load_config(options.paths, config_file)
    if config_file is None:
        _check_boundary(config)
    folders = [Path(os.path.normpath(config.base_dir / d)) for d in config.values.get("policy-dirs", ())]
    missing = [f"{config.display_source}:{config.line_of('policy-dirs', index)}: policy-dirs[{index}]: "
               f"{_display(folder)}: folder not found" for index, folder in enumerate(folders) if not folder.is_dir()]
    if missing:
        raise ConfigError("\n".join(missing))
    policy_set = load_policies([*folders, *options.policy_dirs])
    warnings = deprecations(config)
    config, unknown = resolve_policy_ids(config, policy_set)
    return apply_config(options, config, explicit), policy_set, [*warnings, *unknown]
