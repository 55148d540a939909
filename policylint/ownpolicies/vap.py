"""Kubernetes ValidatingAdmissionPolicy (and Kyverno ValidatingPolicy) objects as policies.

Each policy is evaluated on every Kubernetes document its match rules select, as the API server
would on a CREATE of that object: `object` is the document, `oldObject` null, `request` a CREATE
request for it, `params` the param object its binding names. What is read:

- `matchConstraints.resourceRules` / `excludeResourceRules` (apiGroups, apiVersions, resources,
  operations, resourceNames) and `objectSelector`; a `namespaceSelector` cannot be judged from
  files (namespace labels live in the cluster) and is ignored;
- `matchConditions`, `variables`, `validations` (`expression`, `message`, `messageExpression`,
  `reason`), `auditAnnotations` are skipped (they never deny);
- `paramKind` with the `ValidatingAdmissionPolicyBinding`s of the same folders (`paramRef.name`,
  `namespace`, `selector`, `parameterNotFoundAction`); a binding's own `matchResources` narrows it;
- annotations `policylint.dev/severity` (default high; low when the bindings' `validationActions`
  only Warn or Audit), `policylint.dev/title` and
  `policylint.dev/frameworks` (a YAML mapping: `{cis-k8s: ["5.2.1"]}`).

Kyverno `ValidatingPolicy` (policies.kyverno.io/v1alpha1 and later) has the same shape for
`matchConstraints`, `matchConditions`, `variables` and `validations`, and is read by the same code;
its Kyverno-only CEL libraries (`resource.Get`, `http`, `image`, `globalContext`) are not there and
are compile errors naming them; autogen (Pod rules applied to Pod controllers) is not done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policylint.ownpolicies import LoadProblem, OwnPolicies, OwnViolation, own_policy
from policylint.ownpolicies.cel import CelError, Program, bindings, compile_expression

VAP_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
KYVERNO_KIND = "ValidatingPolicy"
SEVERITY_ANNOTATION = "policylint.dev/severity"
TITLE_ANNOTATION = "policylint.dev/title"
FRAMEWORKS_ANNOTATION = "policylint.dev/frameworks"

#: Plural resource names that are not the kind in lower case plus "s".
_IRREGULAR_RESOURCES = {
    "Endpoints": "endpoints",
    "Ingress": "ingresses",
    "IngressClass": "ingressclasses",
    "StorageClass": "storageclasses",
    "PriorityClass": "priorityclasses",
    "RuntimeClass": "runtimeclasses",
    "NetworkPolicy": "networkpolicies",
    "PodSecurityPolicy": "podsecuritypolicies",
    "PodDisruptionBudget": "poddisruptionbudgets",
}


def resource_name(kind: str) -> str:
    """The REST resource of a kind (`Deployment` → `deployments`), as resourceRules name it."""
    if kind in _IRREGULAR_RESOURCES:
        return _IRREGULAR_RESOURCES[kind]
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def _group_version(api_version: Any) -> tuple[str, str]:
    text = str(api_version or "")
    group, _, version = text.rpartition("/")
    return group, version


def _rule_matches(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    group, version = _group_version(data.get("apiVersion"))
    resource = resource_name(str(data.get("kind", "")))

    def has(key: str, value: str) -> bool:
        values = rule.get(key) or []
        return "*" in values or value in values

    operations = rule.get("operations") or []
    if "*" not in operations and "CREATE" not in operations:
        return False
    resources = rule.get("resources") or []
    resource_ok = any(item in ("*", "*/*", resource) for item in resources)
    name = str((data.get("metadata") or {}).get("name", ""))
    names = rule.get("resourceNames") or []
    return has("apiGroups", group) and has("apiVersions", version) and resource_ok and (not names or name in names)


def _resources_match(match: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    """`matchConstraints`/`matchResources`: some resourceRule selects the object, no exclude rule does, labels fit."""
    if not match:
        return True
    rules = match.get("resourceRules")
    if rules is not None and not any(_rule_matches(rule, data) for rule in rules if isinstance(rule, dict)):
        return False
    if any(_rule_matches(rule, data) for rule in match.get("excludeResourceRules") or () if isinstance(rule, dict)):
        return False
    selector = match.get("objectSelector")
    if selector:
        from policylint.kinds.kubernetes.selectors import normalise_labels, parse_label_selector

        labels = normalise_labels((data.get("metadata") or {}).get("labels"))
        if not parse_label_selector(selector).matches(labels):
            return False
    return True


def _request(data: dict[str, Any]) -> dict[str, Any]:
    group, version = _group_version(data.get("apiVersion"))
    metadata = data.get("metadata") or {}
    kind = {"group": group, "version": version, "kind": data.get("kind")}
    resource = {"group": group, "version": version, "resource": resource_name(str(data.get("kind", "")))}
    return {
        "operation": "CREATE",
        "kind": kind,
        "resource": resource,
        "requestKind": kind,
        "requestResource": resource,
        "name": metadata.get("name", ""),
        "namespace": metadata.get("namespace", ""),
        "dryRun": False,
        "userInfo": {"username": "policylint", "groups": ["system:authenticated"]},
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    }


@dataclass
class _Validation:
    expression: Program
    message: str
    message_expression: Program | None
    #: Where a failure points (the validation's `fieldPath`), else at the object's `kind:`.
    field_path: tuple[Any, ...] = ("kind",)


def field_path(text: str) -> tuple[Any, ...]:
    """A validation's `fieldPath` (`spec.replicas`, `.spec.containers[0].image`, `metadata.labels['app']`)
    as a pointer; the object's `kind:` when it is empty or unreadable."""
    steps: list[Any] = []
    for match in re.finditer(r"\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]", text.strip()):
        name, index, key = match.groups()
        steps.append(int(index) if index is not None else (key if key is not None else name))
    return tuple(steps) or ("kind",)


@dataclass
class _Binding:
    """One binding's view of the policy: its extra match rules and the params it resolves to."""

    match: dict[str, Any] | None
    params: list[Any]  # one evaluation per param object; [None] when the policy takes none
    missing: str = ""  # why no param was found (parameterNotFoundAction Deny)


@dataclass
class AdmissionPolicyEvaluator:
    """The compiled policy; `violations_in(view)` evaluates it as a CREATE of that object."""

    match: dict[str, Any] | None
    conditions: list[tuple[str, Program]]
    variables: list[tuple[str, Program]]
    validations: list[_Validation]
    bindings: list[_Binding] = field(default_factory=list)

    def violations_in(self, view: Any) -> list[OwnViolation]:
        """One violation per failing validation (per binding and param object) of the view's object."""
        data = view.instance
        if not isinstance(data, dict) or not _resources_match(self.match, data):
            return []
        found: list[OwnViolation] = []
        for binding in self.bindings:
            if not _resources_match(binding.match, data):
                continue
            if binding.missing:
                found.append(OwnViolation(("kind",), binding.missing))
                continue
            for params in binding.params:
                for message, path in self._failures(data, params):
                    if all(message != seen.reason for seen in found):
                        found.append(OwnViolation(path, message))
        return found

    def _failures(self, data: dict[str, Any], params: Any) -> list[tuple[str, tuple[Any, ...]]]:
        metadata = data.get("metadata") or {}
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": metadata.get("namespace", "default")}}
        values: dict[str, Any] = {}
        context = bindings(object=data, request=_request(data), params=params, namespaceObject=namespace, variables=values)
        for name, condition in self.conditions:
            result = condition.evaluate(context)
            if result is not True:
                if result is False:
                    return []
                raise CelError(f"matchCondition {name!r} gave {result!r}, not a bool")
        for name, program in self.variables:
            try:
                values[name] = program.evaluate(context)
            except CelError:
                continue  # as in the API server, an erroring variable only matters to an expression that reads it
        failures = []
        for validation in self.validations:
            result = validation.expression.evaluate(context)
            if result is True:
                continue
            if result is not False:
                raise CelError(f"validation {validation.expression.source.strip()!r} gave {result!r}, not a bool")
            message = ""
            if validation.message_expression is not None:
                try:
                    text = validation.message_expression.evaluate(context)
                    message = text.strip() if isinstance(text, str) else ""
                except CelError:
                    message = ""
            failures.append((message or validation.message or f"failed expression: {validation.expression.source.strip()}",
                             validation.field_path))
        return failures


class _PolicyProblem(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _line(document: Any, pointer: tuple[Any, ...]) -> int:
    for size in range(len(pointer), -1, -1):
        position = document.positions.get(pointer[:size])
        if position is not None:
            return position.line
    return document.start_line


def _compile(document: Any, pointer: tuple[Any, ...], source: Any) -> Program:
    try:
        return compile_expression(source)
    except CelError as exc:
        line = _line(document, pointer)
        # A block scalar starts on the line after its key; a flow scalar on the key's line.
        value_position = document.value_positions.get(pointer)
        if value_position is not None:
            line = value_position[0].line
        raise _PolicyProblem(f"{'/'.join(map(str, pointer))}: {exc}", line + max(exc.line - 1, 0)) from None


def _compile_policy(document: Any, spec_key: str = "spec") -> AdmissionPolicyEvaluator:
    data = document.data
    spec = data.get(spec_key)
    if not isinstance(spec, dict):
        raise _PolicyProblem("spec must be a mapping", document.start_line)
    base = (spec_key,)
    validations = []
    for index, item in enumerate(spec.get("validations") or []):
        pointer = (*base, "validations", index)
        if not isinstance(item, dict) or "expression" not in item:
            raise _PolicyProblem(f"validations[{index}] needs an expression", _line(document, pointer))
        expression = _compile(document, (*pointer, "expression"), item["expression"])
        message_expression = None
        if item.get("messageExpression"):
            message_expression = _compile(document, (*pointer, "messageExpression"), item["messageExpression"])
        validations.append(_Validation(expression, str(item.get("message") or ""), message_expression,
                                       field_path(str(item.get("fieldPath") or ""))))
    if not validations:
        raise _PolicyProblem("spec.validations is empty: nothing to check", _line(document, base))
    conditions = [
        (str(item.get("name", index)), _compile(document, (*base, "matchConditions", index, "expression"), item.get("expression")))
        for index, item in enumerate(spec.get("matchConditions") or [])
        if isinstance(item, dict)
    ]
    variables = [
        (str(item.get("name")), _compile(document, (*base, "variables", index, "expression"), item.get("expression")))
        for index, item in enumerate(spec.get("variables") or [])
        if isinstance(item, dict)
    ]
    return AdmissionPolicyEvaluator(spec.get("matchConstraints"), conditions, variables, validations)


def _annotation(data: dict[str, Any], key: str) -> str:
    annotations = (data.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(key) if isinstance(annotations, dict) else None
    return str(value) if value is not None else ""


def _frameworks(data: dict[str, Any], document: Any) -> dict[str, list[str]]:
    text = _annotation(data, FRAMEWORKS_ANNOTATION)
    if not text:
        return {}
    from policylint.core.yamlnodes import YamlError, parse_yaml_stream

    parsed = next(iter(parse_yaml_stream(text)), None)
    value = None if parsed is None or isinstance(parsed, YamlError) else parsed.data
    if not isinstance(value, dict) or not all(isinstance(ids, list) for ids in value.values()):
        raise _PolicyProblem(f"annotation {FRAMEWORKS_ANNOTATION} must be a mapping of framework to a list of control ids",
                             _line(document, ("metadata", "annotations", FRAMEWORKS_ANNOTATION)))
    return {str(name): [str(item) for item in ids] for name, ids in value.items()}


def _select_params(binding: dict[str, Any], param_kind: dict[str, Any], objects: list[Any]) -> _Binding:
    spec = binding.get("spec") or {}
    ref = spec.get("paramRef") or {}
    candidates = [
        obj.data for _, obj in objects
        if obj.data.get("kind") == param_kind.get("kind") and obj.data.get("apiVersion") == param_kind.get("apiVersion")
    ]
    if ref.get("namespace"):
        candidates = [data for data in candidates if (data.get("metadata") or {}).get("namespace") == ref["namespace"]]
    if ref.get("name"):
        chosen = [data for data in candidates if (data.get("metadata") or {}).get("name") == ref["name"]]
    elif ref.get("selector") is not None:
        from policylint.kinds.kubernetes.selectors import normalise_labels, parse_label_selector

        selector = parse_label_selector(ref["selector"])
        chosen = [data for data in candidates if selector.matches(normalise_labels((data.get("metadata") or {}).get("labels")))]
    else:
        chosen = []
    binding_name = (binding.get("metadata") or {}).get("name", "")
    if chosen:
        return _Binding(spec.get("matchResources"), chosen)
    if ref.get("parameterNotFoundAction") == "Allow":
        return _Binding(spec.get("matchResources"), [])
    return _Binding(spec.get("matchResources"), [], missing=f"no param object found for binding {binding_name} "
                    f"({param_kind.get('apiVersion')}/{param_kind.get('kind')} {ref.get('name') or ref.get('selector')})")


def _default_severity(spec: dict[str, Any], own_bindings: list[dict[str, Any]]) -> str:
    """high, or low when every binding (a Kyverno policy: the policy itself) only warns or audits."""
    actions = {str(action) for binding in own_bindings for action in (binding.get("spec") or {}).get("validationActions") or ()}
    actions.update(str(action) for action in spec.get("validationActions") or ())
    return "low" if actions and "Deny" not in actions else "high"


def load_admission_policies(objects: list[tuple[Path, Any]], result: OwnPolicies) -> None:
    """Turn the VAP, binding and Kyverno objects among `objects` into policies (the rest may be params)."""
    from policylint.ownpolicies.cel import CelMissing

    bindings_by_policy: dict[str, list[dict[str, Any]]] = {}
    for _, document in objects:
        data = document.data
        if data.get("kind") == BINDING_KIND:
            policy_name = str((data.get("spec") or {}).get("policyName", ""))
            bindings_by_policy.setdefault(policy_name, []).append(data)
    for path, document in objects:
        data = document.data
        kind = data.get("kind")
        if kind not in (VAP_KIND, KYVERNO_KIND):
            continue
        name = str((data.get("metadata") or {}).get("name") or "")
        language = "Kubernetes ValidatingAdmissionPolicy (CEL)" if kind == VAP_KIND else "Kyverno ValidatingPolicy (CEL)"
        try:
            if not name:
                raise _PolicyProblem(f"{kind} without metadata.name", document.start_line)
            evaluator = _compile_policy(document)
            spec = data.get("spec") or {}
            param_kind = spec.get("paramKind")
            own_bindings = bindings_by_policy.get(name, [])
            if param_kind:
                if not own_bindings:
                    raise _PolicyProblem(
                        f"{name} takes params ({param_kind.get('apiVersion')}/{param_kind.get('kind')}) but no "
                        f"ValidatingAdmissionPolicyBinding with policyName: {name} is in the policy folders",
                        _line(document, ("spec", "paramKind")))
                evaluator.bindings = [_select_params(binding, param_kind, objects) for binding in own_bindings]
            elif own_bindings:
                evaluator.bindings = [_Binding((b.get("spec") or {}).get("matchResources"), [None]) for b in own_bindings]
            else:
                evaluator.bindings = [_Binding(None, [None])]
            policy = own_policy(
                name,
                title=_annotation(data, TITLE_ANNOTATION) or f"{kind} {name}",
                severity=_annotation(data, SEVERITY_ANNOTATION) or _default_severity(spec, own_bindings),
                file_kind="kubernetes",
                target="document",
                source=path,
                evaluator=evaluator,
                language=language,
                frameworks=_frameworks(data, document),
                line=document.start_line,
            )
        except CelMissing as exc:
            result.problems.append(LoadProblem(str(path), document.start_line, f"{kind} {name}: {exc}"))
            continue
        except _PolicyProblem as exc:
            result.problems.append(LoadProblem(str(path), exc.line, f"{kind} {name}: {exc}"))
            continue
        result.policies.append(policy)
