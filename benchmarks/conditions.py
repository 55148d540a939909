"""Compare condition evaluators on policylint's own conditions: speed, and agreement with jsonschema.

    python benchmarks/conditions.py                          # the views of every policy example
    python benchmarks/conditions.py --real /path/to/files    # also a folder of real files (8,000 files: ~15 min)
    python benchmarks/conditions.py --repeat 7 --runs 11     # more timing rounds (medians)
    python benchmarks/conditions.py --examples 3             # show 3 disagreements of each sort

Evaluators: policylint's own `policylint.core.fastschema` (what runs today), `jsonschema` (the
reference every other one is compared with), and, when importable, `jsonschema_rs` (Rust) and
`fastjsonschema` (generated Python), plus one hybrid row (jsonschema-rs's `is_valid`, fastschema's
error listing) to show what keeping two evaluators would buy. The libraries under test are never
policylint dependencies: install them into the environment running this script
(`pip install jsonschema-rs fastjsonschema`).

The workload is what the engine evaluates: every built-in policy's `when` schema on every view its
target produces, and its condition on the views that pass `when` (as judged by jsonschema). Views
come from the policy examples (every policy's targets over every example's files) and, with
`--real`, from a folder loaded as `policylint check` loads it. Nothing is written anywhere.

Each evaluator gets policylint's custom formats and keywords in the way its API allows:
jsonschema-rs through Python callbacks (`formats=`, `keywords=` classes), fastjsonschema through
`formats=` only (it has no custom keywords and no Draft 2020-12, so such conditions are counted as
not taken). A condition or instance an evaluator does not take is handed to jsonschema in the timed
runs (what a single evaluator would have to do), and counted.

Figures: import time (fresh interpreters, median, minus a bare interpreter and minus one that
imports policylint.core.conditions, which every evaluator needs for the formats), compile time of every
condition, and time over all (schema, instance) pairs for `is_valid`, for listing every error with
its instance path and message, and for the engine's pattern (`is_valid` of every `when` and
condition, then a condition's errors only when it is invalid); CPU time (steadier than wall time on
a shared machine), the median of `--repeat` rounds taken in turns, as ratios to fastschema. Then
the disagreements with jsonschema: verdict, error instance paths (as multisets; fastjsonschema stops at its first error,
so for it the question is whether that one path is among jsonschema's), messages at agreeing paths,
and error order. Last, jsonschema-rs's cost of calling back into Python and of taking instances of
growing size. The script runs itself again with PYTHONHASHSEED=0 so that jsonschema's
`additionalProperties` order, and so the output apart from timings, is the same every run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Error = tuple[tuple[Any, ...], str]
#: Draft 2019-09/2020-12 keywords fastjsonschema (drafts 4, 6, 7) silently ignores.
NEWER_DRAFT_KEYWORDS = frozenset(
    {"prefixItems", "dependentRequired", "dependentSchemas", "unevaluatedItems", "unevaluatedProperties",
     "$dynamicRef", "$dynamicAnchor", "minContains", "maxContains"}
)


@dataclass
class Workload:
    """Every schema the engine compiles (with a label) and every (schema index, instance) it evaluates."""

    labels: list[str] = field(default_factory=list)
    schemas: list[Any] = field(default_factory=list)
    pairs: list[tuple[int, Any]] = field(default_factory=list)
    views: int = 0
    #: CPU seconds the targets and relations took to build the views (context for the evaluation figures).
    view_seconds: float = 0.0
    #: Schemas whose errors make findings (conditions; of a `when` only the verdict counts).
    conditions: set[int] = field(default_factory=set)
    #: Conditions whose policy message quotes the error (`{reason}`): there the message text shows.
    quoted: set[int] = field(default_factory=set)


# -- the workload ---------------------------------------------------------------------------------


def policy_schemas(policies: list[Any]) -> tuple[Workload, dict[str, tuple[int | None, int]]]:
    """The workload's schemas: each policy's `when` (if any) and condition, in policy order."""
    workload = Workload()
    index: dict[str, tuple[int | None, int]] = {}
    for policy in policies:
        when = None
        if policy.when is not None:
            when = len(workload.schemas)
            workload.labels.append(f"{policy.id} when")
            workload.schemas.append(policy.when)
        workload.labels.append(f"{policy.id} condition")
        workload.conditions.add(len(workload.schemas))
        if "{reason" in policy.message:
            workload.quoted.add(len(workload.schemas))
        workload.schemas.append(policy.condition)
        index[policy.id] = (when, len(workload.schemas) - 1)
    return workload, index


def example_load() -> Any:
    """Every policy example's files, loaded as the suite's differential test loads them."""
    from policylint.catalog import load_policies
    from policylint.core.documents import LoadResult
    from policylint.core.kinds import detect_by_name
    from policylint.core.loading import load_bytes
    from policylint.examples import example_files, iter_examples, strip_markers

    loads = []
    for policy in load_policies():
        for _, example, _ in iter_examples(policy):
            load = LoadResult()
            for path, text in example_files(policy, example).items():
                clean, _marks = strip_markers(text)
                load.extend(load_bytes(path, clean.encode(), detect_by_name(path) or "yaml"))
            loads.append(load)
    return loads


def real_load(folder: Path) -> Any:
    """A folder loaded as `policylint check` loads it (charts rendered when Helm is installed)."""
    from policylint.options import RunOptions
    from policylint.runner import load_paths

    load, _ = load_paths([str(folder)], RunOptions(paths=[str(folder)]))
    return load


def collect_pairs(workload: Workload, index: dict[str, tuple[int | None, int]], policies: list[Any], loads: list[Any],
                  reference: list[Any]) -> None:
    """Add the engine's (schema, instance) pairs over each load: `when` on every view, the condition where it holds."""
    from policylint.core.documents import DocumentSet
    from policylint.core.kinds import get_relation, get_target

    for load in loads:
        documents = DocumentSet(load.documents)
        for doc in documents:
            for policy in policies:
                if policy.file_kind != doc.file_kind or (policy.kinds is not None and doc.kind not in policy.kinds):
                    continue
                started = time.process_time()
                try:
                    target = get_target(doc.file_kind, policy.target)
                    views = list(target(doc, policy.match)) if target is not None else []
                    if policy.relation:
                        relation = get_relation(doc.file_kind, policy.relation)
                        views = [joined for view in views for joined in relation(view, documents, policy.params)] if relation else []
                except Exception:  # the engine reports a policy-error: nothing is evaluated
                    continue
                finally:
                    workload.view_seconds += time.process_time() - started
                when, condition = index[policy.id]
                for view in views:
                    workload.views += 1
                    if when is not None:
                        workload.pairs.append((when, view.instance))
                        if not reference[when].is_valid(view.instance):
                            continue
                    workload.pairs.append((condition, view.instance))


# -- evaluators -----------------------------------------------------------------------------------


class NotTaken(Exception):
    """The evaluator cannot evaluate this schema faithfully (the reason is the message)."""


@dataclass
class Evaluator:
    """How one library compiles a schema, decides validity and lists (instance path, message) errors."""

    name: str
    module: str  # what `import` costs
    compile: Callable[[Any], Any]
    is_valid: Callable[[Any], Callable[[Any], bool]]
    errors: Callable[[Any], Callable[[Any], list[Error]]]
    first_error_only: bool = False


def jsonschema_evaluator() -> Evaluator:
    """jsonschema's Draft 2020-12 validator with policylint's keywords and formats (the reference)."""
    from policylint.core import conditions

    cls, checker = conditions._setup()

    def errors(validator: Any) -> Callable[[Any], list[Error]]:
        return lambda instance: [(tuple(error.absolute_path), error.message) for error in validator.iter_errors(instance)]

    return Evaluator("jsonschema", "jsonschema", lambda schema: cls(schema, format_checker=checker),
                     lambda validator: validator.is_valid, errors)


def fastschema_evaluator() -> Evaluator:
    """policylint.core.fastschema, as policylint.core.conditions.Condition uses it."""
    from policylint.core.conditions import format_checks, keywords
    from policylint.core.fastschema import Unsupported, compile_schema

    formats = format_checks()

    def compile_one(schema: Any) -> Any:
        try:
            return compile_schema(schema, keywords(), formats)
        except Unsupported as exc:
            raise NotTaken(str(exc)) from exc

    return Evaluator("fastschema", "policylint.core.fastschema", compile_one, lambda compiled: compiled.is_valid,
                     lambda compiled: lambda instance: list(compiled.iter_errors(instance)))


class _RsError:
    """A keyword error as policylint's keyword functions build it (jsonschema-rs keeps only the message)."""

    __slots__ = ("message", "path")

    def __init__(self, message: str, path: Any = ()) -> None:
        self.message = message
        self.path = path


def jsonschema_rs_evaluator() -> Evaluator:
    """jsonschema-rs with policylint's formats (`formats=` callbacks) and keywords (Python keyword classes)."""
    import jsonschema_rs

    from policylint.core.conditions import format_checks, keywords

    formats = format_checks()
    keyword_classes: dict[str, Any] = {}

    def compile_one(schema: Any) -> Any:
        return jsonschema_rs.Draft202012Validator(schema, formats=formats, validate_formats=True, keywords=keyword_classes)

    class Shim:
        """What policylint's keyword functions ask of a validator, answered by jsonschema-rs."""

        policylint_error = _RsError

        def __init__(self) -> None:
            self.compiled: dict[str, Any] = {}

        def _validator(self, schema: Any) -> Any:
            key = json.dumps(schema, sort_keys=True)
            if key not in self.compiled:
                self.compiled[key] = compile_one(schema)
            return self.compiled[key]

        def evolve(self, schema: Any = None, **_: Any) -> Any:
            return self._validator(schema)

        def descend(self, instance: Any, schema: Any, path: Any = None, schema_path: Any = None) -> Iterator[_RsError]:
            for error in self._validator(schema).iter_errors(instance):
                yield _RsError(error.message, (path, *error.instance_path))

    shim = Shim()

    def keyword_class(function: Callable[..., Any]) -> type:
        class Keyword:
            def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
                self.value, self.schema = value, parent_schema

            def iter_errors(self, instance: Any) -> Iterator[ValueError]:
                for error in function(shim, self.value, instance, self.schema) or ():
                    yield ValueError(error.message)  # the error lands at the keyword's own instance path

            def validate(self, instance: Any) -> None:
                for error in self.iter_errors(instance):
                    raise error

        return Keyword

    keyword_classes.update({name: keyword_class(function) for name, function in keywords().items()})

    def errors(validator: Any) -> Callable[[Any], list[Error]]:
        return lambda instance: [(tuple(error.instance_path), error.message) for error in validator.iter_errors(instance)]

    return Evaluator("jsonschema-rs", "jsonschema_rs", compile_one, lambda validator: validator.is_valid, errors)


def hybrid_evaluator(verdicts: Evaluator, errors: Evaluator) -> Evaluator:
    """`verdicts`'s is_valid with `errors`'s error listing (two evaluators: measured, not proposed lightly)."""

    def compile_both(schema: Any) -> Any:
        return verdicts.compile(schema), errors.compile(schema)

    return Evaluator(f"{verdicts.name} is_valid + {errors.name} errors", verdicts.module, compile_both,
                     lambda both: verdicts.is_valid(both[0]), lambda both: errors.errors(both[1]))


def _keywords_in(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            yield key
            yield from _keywords_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _keywords_in(item)


def fastjsonschema_evaluator() -> Evaluator:
    """fastjsonschema (draft 7 code generation) with policylint's formats; it has no custom keywords."""
    import fastjsonschema

    from policylint.core.conditions import format_checks, keywords

    formats = format_checks()
    failure = fastjsonschema.JsonSchemaValueException

    def compile_one(schema: Any) -> Any:
        used = set(_keywords_in(schema))
        missing = sorted(used & (set(keywords()) | NEWER_DRAFT_KEYWORDS))
        if missing:
            raise NotTaken(", ".join(missing))
        try:
            return fastjsonschema.compile(schema, formats=formats, use_default=False)
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            raise NotTaken(str(exc)) from exc

    def is_valid(function: Any) -> Callable[[Any], bool]:
        def check(instance: Any) -> bool:
            try:
                function(instance)
            except failure:
                return False
            return True

        return check

    def errors(function: Any) -> Callable[[Any], list[Error]]:
        def listing(instance: Any) -> list[Error]:
            try:
                function(instance)
            except failure as exc:
                return [(_indexed(instance, exc.path[1:]), exc.message)]
            return []

        return listing

    return Evaluator("fastjsonschema", "fastjsonschema", compile_one, is_valid, errors, first_error_only=True)


def _indexed(instance: Any, path: list[Any]) -> tuple[Any, ...]:
    """fastjsonschema's path with list indices as ints (it gives "0" for the first item)."""
    steps: list[Any] = []
    node = instance
    for step in path:
        if isinstance(node, list) and isinstance(step, str) and step.isdigit():
            step = int(step)
        steps.append(step)
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(steps)


def available_evaluators() -> list[Evaluator]:
    """The reference first, then fastschema, then whichever libraries under test are importable."""
    import importlib.util

    evaluators = [jsonschema_evaluator(), fastschema_evaluator()]
    if importlib.util.find_spec("jsonschema_rs"):
        evaluators.append(jsonschema_rs_evaluator())
        evaluators.append(hybrid_evaluator(evaluators[-1], evaluators[1]))
    else:
        print("jsonschema_rs: not importable, skipped (pip install jsonschema-rs)")
    if importlib.util.find_spec("fastjsonschema"):
        evaluators.append(fastjsonschema_evaluator())
    else:
        print("fastjsonschema: not importable, skipped (pip install fastjsonschema)")
    return evaluators


# -- measuring ------------------------------------------------------------------------------------


def cpu_seconds(action: Callable[[], Any]) -> float:
    """The CPU time of one run of `action` (steadier than wall time on a shared machine)."""
    gc.collect()
    start = time.process_time()
    action()
    return time.process_time() - start


def median_seconds(action: Callable[[], Any], repeat: int) -> float:
    """The median CPU time of `repeat` runs of `action`."""
    return statistics.median(cpu_seconds(action) for _ in range(repeat))


#: What every evaluator needs anyway: policylint's formats and keywords.
CONDITIONS_MODULE = "policylint.core.conditions"


def import_ms(modules: list[str], runs: int) -> dict[str, tuple[float, float]]:
    """Median CPU milliseconds a fresh interpreter spends importing each module: alone (beyond a
    bare start) and on top of policylint.core.conditions (what it adds to policylint's start-up).

    Interleaved rounds (one start of each per round) so a busy minute on the shared machine weighs
    on all alike; bytecode caches are warm (one unmeasured start each first)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {"": "pass", CONDITIONS_MODULE: f"import {CONDITIONS_MODULE}"}
    for module in dict.fromkeys(modules):
        commands[module] = f"import {module}"
        commands[f"+{module}"] = f"import {CONDITIONS_MODULE}, {module}"

    def once(code: str) -> float:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime

    for code in commands.values():
        once(code)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, code in commands.items():
            samples[name].append(once(code))
    medians = {name: statistics.median(times) * 1000 for name, times in samples.items()}
    return {module: (medians[module] - medians[""], medians[f"+{module}"] - medians[CONDITIONS_MODULE]) for module in modules}


@dataclass
class Outcome:
    """One evaluator over the workload: what it took, its timings, its disagreements with the reference."""

    evaluator: Evaluator
    compiled: list[Any]
    not_taken: dict[int, str]
    raised: dict[int, str] = field(default_factory=dict)  # pair index -> exception
    seconds: dict[str, float] = field(default_factory=dict)
    differences: dict[str, list[tuple[int, Any, Any]]] = field(default_factory=dict)


def compile_all(evaluator: Evaluator, schemas: list[Any]) -> tuple[list[Any], dict[int, str]]:
    """Each schema compiled, or None with the reason it is not taken."""
    compiled: list[Any] = []
    not_taken: dict[int, str] = {}
    for number, schema in enumerate(schemas):
        try:
            compiled.append(evaluator.compile(schema))
        except NotTaken as exc:
            compiled.append(None)
            not_taken[number] = str(exc)
        except Exception as exc:  # e.g. a pattern its regex engine rejects
            compiled.append(None)
            not_taken[number] = f"{type(exc).__name__}: {exc}"
    return compiled, not_taken


def _sort_key(error: Error) -> str:
    return json.dumps([list(map(str, error[0])), error[1]])


def compare(outcome: Outcome, workload: Workload, reference: list[tuple[bool, list[Error]]]) -> None:
    """Count disagreements with jsonschema, pair by pair, over the pairs this evaluator takes."""
    evaluator = outcome.evaluator
    checks = {number: (evaluator.is_valid(compiled), evaluator.errors(compiled))
              for number, compiled in enumerate(outcome.compiled) if compiled is not None}
    kinds = ("verdict", "paths", "messages", "order")  # each pair counts under the first that differs
    outcome.differences = {kind: [] for kind in kinds}
    for pair_number, (schema, instance) in enumerate(workload.pairs):
        if schema not in checks:
            continue
        is_valid, errors = checks[schema]
        try:
            verdict, found = is_valid(instance), errors(instance)
        except Exception as exc:  # e.g. an instance jsonschema-rs cannot convert
            outcome.raised[pair_number] = f"{type(exc).__name__}: {exc}"
            continue
        expected_verdict, expected = reference[pair_number]
        if verdict != expected_verdict:
            outcome.differences["verdict"].append((pair_number, expected_verdict, verdict))
            continue
        if schema not in workload.conditions:  # the engine never lists a `when` schema's errors
            continue
        if evaluator.first_error_only:
            if found and found[0][0] not in {path for path, _ in expected}:
                outcome.differences["paths"].append((pair_number, expected, found))
            elif found and found[0] not in expected:
                outcome.differences["messages"].append((pair_number, expected, found))
            continue
        if sorted(path for path, _ in found) != sorted(path for path, _ in expected):
            outcome.differences["paths"].append((pair_number, expected, found))
        elif sorted(found, key=_sort_key) != sorted(expected, key=_sort_key):
            outcome.differences["messages"].append((pair_number, expected, found))
        elif found != expected:
            outcome.differences["order"].append((pair_number, expected, found))


def timed_actions(outcome: Outcome, workload: Workload, fallback: Evaluator,
                  fallback_compiled: list[Any]) -> dict[str, Callable[[], Any]]:
    """What is timed: compiling every schema, and the three loops over every pair.

    Pairs whose schema or instance this evaluator does not take go to jsonschema, as they would
    have to in a single-evaluator policylint."""
    evaluator = outcome.evaluator
    valid_of: dict[int, Callable[[Any], bool]] = {}
    errors_of: dict[int, Callable[[Any], list[Error]]] = {}
    for number, compiled in enumerate(outcome.compiled):
        if compiled is None:
            compiled, owner = fallback_compiled[number], fallback
        else:
            owner = evaluator
        valid_of[number], errors_of[number] = owner.is_valid(compiled), owner.errors(compiled)
    fallback_valid = {number: fallback.is_valid(compiled) for number, compiled in enumerate(fallback_compiled)}
    fallback_errors = {number: fallback.errors(compiled) for number, compiled in enumerate(fallback_compiled)}
    valid_calls, error_calls = [], []
    for pair_number, (schema, instance) in enumerate(workload.pairs):
        raised = pair_number in outcome.raised
        valid_calls.append(((fallback_valid if raised else valid_of)[schema], instance))
        error_calls.append(((fallback_errors if raised else errors_of)[schema], instance))
    both = [(valid, errors if schema in workload.conditions else None, instance)
            for (valid, instance), (errors, _), (schema, _) in zip(valid_calls, error_calls, workload.pairs, strict=True)]

    def valid_loop() -> None:
        for check, instance in valid_calls:
            check(instance)

    def errors_loop() -> None:
        for listing, instance in error_calls:
            listing(instance)

    def engine_loop() -> None:
        for check, listing, instance in both:
            if not check(instance) and listing is not None:
                listing(instance)

    def compile_loop() -> None:
        for schema in workload.schemas:
            _try_compile(evaluator, schema)

    return {"compile": compile_loop, "is_valid": valid_loop, "errors": errors_loop, "engine": engine_loop}


def time_interleaved(outcomes: list[Outcome], actions: list[dict[str, Callable[[], Any]]], repeat: int) -> None:
    """Median CPU seconds of each action, taken in rounds (every evaluator once per round), so a
    busy minute on the shared machine weighs on all evaluators alike."""
    samples: list[dict[str, list[float]]] = [{name: [] for name in action} for action in actions]
    for _ in range(repeat):
        for sample, action in zip(samples, actions, strict=True):
            for name, run in action.items():
                sample[name].append(cpu_seconds(run))
    for outcome, sample in zip(outcomes, samples, strict=True):
        outcome.seconds = {name: statistics.median(times) for name, times in sample.items()}


def _try_compile(evaluator: Evaluator, schema: Any) -> Any:
    try:
        return evaluator.compile(schema)
    except Exception:
        return None


# -- jsonschema-rs: callbacks and instance sizes ----------------------------------------------------


def per_call_ns(check: Callable[[Any], Any], instance: Any, calls: int) -> float:
    """Median nanoseconds per call over five rounds of `calls` calls."""
    def loop() -> None:
        for _ in range(calls):
            check(instance)

    return median_seconds(loop, 5) / calls * 1e9


class NoOpKeyword:
    """A jsonschema-rs custom keyword that does nothing: what calling back into Python costs."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        pass

    def validate(self, instance: Any) -> None:
        return None


def no_op_keyword(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """The same keyword for fastschema."""
    return iter(())


def callback_costs(calls: int) -> list[tuple[str, float, float]]:
    """(what, jsonschema-rs ns/call, fastschema ns/call) for a Python format, a Python keyword, and neither."""
    import jsonschema_rs

    from policylint.core.fastschema import compile_schema

    def accept(value: Any) -> bool:
        return True

    rows = []
    cases = [
        ("plain type check, string", {"type": "string"}, "nginx:1.27"),
        ("format with a Python callback, string", {"format": "accept"}, "nginx:1.27"),
        ("custom keyword with a Python class, small object", {"noOp": True}, {"name": "app", "image": "nginx:1.27"}),
        ("no keyword at all, small object", {}, {"name": "app", "image": "nginx:1.27"}),
    ]
    for label, schema, instance in cases:
        rs = jsonschema_rs.Draft202012Validator(schema, formats={"accept": accept}, validate_formats=True,
                                                keywords={"noOp": NoOpKeyword})
        fast = compile_schema(schema, {"noOp": no_op_keyword}, {"accept": accept})
        rows.append((label, per_call_ns(rs.is_valid, instance, calls), per_call_ns(fast.is_valid, instance, calls)))
    return rows


def size_costs(workload: Workload) -> list[tuple[str, int, float, float, float, float]]:
    """Per size band: instances, then µs/call of jsonschema-rs and fastschema for a schema that reads
    one key, and for a custom keyword (doing nothing) at the root.

    The first schema is the cheapest a condition can be, so what grows with the instance is the cost
    of handing the instance over, not of validating it. The second shows what a Python keyword costs
    jsonschema-rs: it hands the keyword the instance as Python objects again."""
    import jsonschema_rs

    from policylint.core.fastschema import compile_schema

    schema = {"properties": {"name": {"type": "string"}}}
    validators = [
        jsonschema_rs.Draft202012Validator(schema), compile_schema(schema),
        jsonschema_rs.Draft202012Validator({"noOp": True}, keywords={"noOp": NoOpKeyword}),
        compile_schema({"noOp": True}, {"noOp": no_op_keyword}),
    ]
    seen: set[int] = set()
    bands: dict[str, list[Any]] = {"< 1 KiB": [], "1-10 KiB": [], ">= 10 KiB": []}
    for _, instance in workload.pairs:
        if id(instance) in seen or not isinstance(instance, dict):
            continue
        seen.add(id(instance))
        try:
            size = len(json.dumps(instance, default=str))
        except (TypeError, ValueError):
            continue
        band = "< 1 KiB" if size < 1024 else "1-10 KiB" if size < 10240 else ">= 10 KiB"
        bands[band].append(instance)
    rows = []
    for band, instances in bands.items():
        if not instances:
            continue
        micros = []
        for validator in validators:
            try:
                seconds = median_seconds(lambda items=instances, check=validator.is_valid: [check(item) for item in items], 5)
            except Exception:  # an instance it cannot take
                seconds = float("nan")
            micros.append(seconds / len(instances) * 1e6)
        rows.append((band, len(instances), *micros))
    return rows


# -- report ---------------------------------------------------------------------------------------


def short(value: Any, width: int = 160) -> str:
    """A one-line JSON rendering of `value`, cut to `width` characters."""
    text = json.dumps(value, default=str, sort_keys=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def print_table(outcomes: list[Outcome], imports: dict[str, tuple[float, float]], workload: Workload) -> None:
    """The figures as milliseconds and as ratios to fastschema (< 1 is faster than fastschema)."""
    base = next(outcome for outcome in outcomes if outcome.evaluator.name == "fastschema")
    base_import = imports[base.evaluator.module]
    keys = ("compile", "is_valid", "errors", "engine")
    print()
    print(f"| evaluator | import ms alone | import ms on top of {CONDITIONS_MODULE} | compile ms ({len(workload.schemas)} schemas) "
          "| is_valid ms | errors ms | engine ms | ratio import alone | ratio import on top | ratio compile | ratio is_valid "
          "| ratio errors | ratio engine |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for outcome in outcomes:
        seconds = outcome.seconds
        alone, on_top = imports[outcome.evaluator.module]
        values = [alone, on_top, *(seconds[key] * 1000 for key in keys)]
        ratios = [alone / base_import[0], on_top / base_import[1], *(seconds[key] / base.seconds[key] for key in keys)]
        print(f"| {outcome.evaluator.name} | " + " | ".join(f"{value:.1f}" for value in values) + " | "
              + " | ".join(f"{ratio:.2f}" for ratio in ratios) + " |")


def print_differences(outcomes: list[Outcome], workload: Workload, examples: int) -> None:
    """Coverage and disagreement counts per evaluator, the policies they come from, and a few examples."""
    print()
    print("| evaluator | schemas not taken | pairs raising | pairs compared (conditions) | verdict | paths | messages "
          "| of which quoted in findings | order only |")
    print("|---|---|---|---|---|---|---|---|---|")
    for outcome in outcomes[1:]:
        taken = [schema for number, (schema, _) in enumerate(workload.pairs)
                 if outcome.compiled[schema] is not None and number not in outcome.raised]
        compared = f"{len(taken)} ({sum(1 for schema in taken if schema in workload.conditions)})"
        counts = [len(outcome.differences[kind]) for kind in ("verdict", "paths", "messages")]
        quoted = sum(1 for pair, _, _ in outcome.differences["messages"] if workload.pairs[pair][0] in workload.quoted)
        print(f"| {outcome.evaluator.name} | {len(outcome.not_taken)} | {len(outcome.raised)} | {compared} | "
              + " | ".join(map(str, counts)) + f" | {quoted} | {len(outcome.differences['order'])} |")
    for outcome in outcomes[1:]:
        name = outcome.evaluator.name
        if outcome.not_taken:
            reasons = Counter(f"{workload.labels[number]} ({reason[:70]})" for number, reason in outcome.not_taken.items())
            print(f"\n{name}: not taken: " + "; ".join(f"{reason} x{count}" for reason, count in sorted(reasons.items())))
        if outcome.raised:
            reasons = Counter(reason[:100] for reason in outcome.raised.values())
            print(f"{name}: raised on pairs: " + "; ".join(f"{reason} x{count}" for reason, count in sorted(reasons.items())))
        for kind, found in outcome.differences.items():
            if not found:
                continue
            by_policy = Counter(workload.labels[workload.pairs[pair][0]] for pair, _, _ in found)
            print(f"{name}: {kind} differs in {len(found)} pairs, from: "
                  + ", ".join(f"{label} x{count}" for label, count in sorted(by_policy.items(), key=lambda item: (-item[1], item[0]))[:8]))
            shown: set[str] = set()
            for pair, expected, got in found:
                label = workload.labels[workload.pairs[pair][0]]
                if label in shown or len(shown) >= examples:
                    continue
                shown.add(label)
                print(f"  e.g. {label}: instance {short(workload.pairs[pair][1], 120)}")
                print(f"       jsonschema: {short(expected)}")
                print(f"       {name}: {short(got)}")


def main() -> int:
    """Collect the workload, measure every evaluator, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, metavar="DIR", help="also the views of a folder of real files")
    parser.add_argument("--repeat", type=int, default=5, help="rounds per timing (median)")
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per import-time median")
    parser.add_argument("--examples", type=int, default=2, help="examples shown per sort of disagreement")
    parser.add_argument("--calls", type=int, default=100_000, help="calls per callback-cost figure")
    args = parser.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})

    from policylint.catalog import load_policies

    print("# condition evaluators")
    print(f"Python {sys.version.split()[0]}, nproc={os.cpu_count()}, load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    evaluators = available_evaluators()
    from importlib.metadata import version

    modules = dict.fromkeys(evaluator.module.split(".")[0] for evaluator in evaluators)
    print("versions: " + ", ".join(f"{module} {version(module)}" for module in modules))

    policies = list(load_policies())
    workload, index = policy_schemas(policies)
    reference_evaluator = evaluators[0]
    reference_compiled, _ = compile_all(reference_evaluator, workload.schemas)
    started = time.perf_counter()
    loads = example_load()
    sources = f"{len(loads)} policy examples"
    if args.real:
        loads.append(real_load(args.real))
        sources += f" + {len(loads[-1].documents)} documents of {args.real}"
    collect_pairs(workload, index, policies, loads, reference_compiled)
    print(f"workload: {len(policies)} policies, {len(workload.schemas)} schemas; {sources}; {workload.views} views, "
          f"{len(workload.pairs)} (schema, instance) pairs (collected in {time.perf_counter() - started:.1f} s; "
          f"the targets and relations building the views took {workload.view_seconds:.1f} s CPU)")

    reference = []
    for schema, instance in workload.pairs:
        validator = reference_compiled[schema]
        reference.append((validator.is_valid(instance), reference_evaluator.errors(validator)(instance)))
    print(f"invalid pairs (jsonschema): {sum(1 for verdict, _ in reference if not verdict)}")

    outcomes, actions = [], []
    for evaluator in evaluators:
        compiled, not_taken = compile_all(evaluator, workload.schemas)
        outcome = Outcome(evaluator, compiled, not_taken)
        compare(outcome, workload, reference)
        outcomes.append(outcome)
        actions.append(timed_actions(outcome, workload, reference_evaluator, reference_compiled))
    time_interleaved(outcomes, actions, args.repeat)
    imports = import_ms([evaluator.module for evaluator in evaluators], args.runs)
    print_table(outcomes, imports, workload)
    print(f"import: CPU of a fresh interpreter importing the module, minus a bare one / minus one importing {CONDITIONS_MODULE}; "
          "compile: every schema; is_valid / errors: every pair; engine: is_valid of every pair, then errors of invalid "
          "conditions. CPU ms, medians. Conditions or instances an evaluator does not take go to jsonschema.")
    print_differences(outcomes, workload, args.examples)

    if any(evaluator.name == "jsonschema-rs" for evaluator in evaluators):
        print("\n## jsonschema-rs calling back into Python (ns per is_valid call, median)")
        print("| case | jsonschema-rs | fastschema |")
        print("|---|---|---|")
        for label, rs_ns, fast_ns in callback_costs(args.calls):
            print(f"| {label} | {rs_ns:.0f} | {fast_ns:.0f} |")
        print("\n## handing over instances: a schema that reads one key, on the workload's distinct object views")
        print("| JSON size | instances | one key: jsonschema-rs µs | one key: fastschema µs "
              "| no-op keyword: jsonschema-rs µs | no-op keyword: fastschema µs |")
        print("|---|---|---|---|---|---|")
        for band, count, *micros in size_costs(workload):
            print(f"| {band} | {count} | " + " | ".join(f"{value:.2f}" for value in micros) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
