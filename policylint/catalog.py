"""The policies of a run: the built-in ones and the user's folders, in every language they come in.

Built-in and user YAML policies are read by `policylint.core.policies`; user folders may also hold
ValidatingAdmissionPolicies, CEL assertions and Rego (`policylint.ownpolicies`), which this module
gathers into the same `PolicySet`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import policylint.kinds  # noqa: F401  (registers every file kind: policies name their targets and relations)
from policylint.core import policies as core_policies
from policylint.core.digests import sha256
from policylint.core.kinds import get_target, relation_names, target_names
from policylint.core.policies import Policy, PolicyFormatError, PolicySet
from policylint.core.yamlnodes import YamlError, parse_yaml_stream

#: Findings the run itself makes (no policy file): what `explain` says of each. Severity, title,
#: why it matters, how to fix it.
BUILTIN_FINDINGS: dict[str, tuple[str, str, str, str]] = {
    "parse-error": (
        "high", "A file policylint reads could not be parsed",
        "A file of a known kind that does not parse cannot be checked at all, so every policy is silent on it; "
        "the deployment tool would refuse it too. It always counts towards the exit code and cannot be suppressed "
        "or baselined.",
        "Fix the syntax at the line given (the message quotes the parser). A file that is not of the kind its "
        "name suggests can be left out with --exclude.",
    ),
    "policy-error": (
        "high", "One of your own policies could not be loaded",
        "A policy of a --policies folder that does not compile checks nothing; reporting it keeps a broken "
        "rule from passing silently.",
        "Run `policylint test-policies <folder>`: it lists every problem of each policy file with its line.",
    ),
    "suppression-invalid": (
        "low", "A suppression comment or annotation is not valid",
        "A suppression without a policy id or a reason, with a bad date, naming an unknown policy, or a "
        "`# policylint:` comment of no known form suppresses nothing; it is reported so it is not mistaken "
        "for one that works.",
        "Write `# policylint: ignore[<policy-id>] -- <reason>` (optionally `until=YYYY-MM-DD` before the "
        "reason), or `ignore-file[...]` for the whole file.",
    ),
    "suppression-expired": (
        "low", "A suppression is past its expiry date",
        "A suppression with `until=` (or `expires:`) stops applying after that day, so the finding it hid is "
        "reported again; this says why.",
        "Fix the finding, or renew the suppression with a new date and a reason that still holds.",
    ),
    "suppression-unused": (
        "low", "A suppression matches no finding (--warn-unused-suppressions)",
        "A suppression that hides nothing is noise and may hide a future finding nobody reviewed.",
        "Remove it. This finding never fails a run.",
    ),
    "helm-not-rendered": (
        "medium", "A Helm chart was not checked: the Helm library is not installed",
        "Chart templates are not Kubernetes YAML until rendered; without the Helm library (the `helm` extra) "
        "policylint cannot render them, so nothing in the chart is checked. A finding, not a notice, so a "
        "chart change never passes a pre-commit hook or CI silently.",
        'Install the extra: pip install "policylint[helm]" (in pre-commit: additional_dependencies: '
        '["policylint[helm]"]). To skip charts on purpose, pass --no-helm or set `helm: false` in the configuration.',
    ),
}


def load_policies(user_dirs: Iterable[Path] = (), include_builtin: bool = True) -> PolicySet:
    """Read the built-in policies and the user's folders; user policies are always validated."""
    user_dirs = list(user_dirs)
    policies: dict[str, Policy] = {}
    builtin_paths = core_policies.policy_files(core_policies.builtin_policy_dir()) if include_builtin else []
    sources: list[tuple[Path, bool]] = []
    for directory in user_dirs:
        if not directory.is_dir():
            raise PolicyFormatError(f"{directory}: policy folder not found")
        sources.extend((path, True) for path in core_policies.policy_files(directory) if not _is_examples_file(path))
    texts = [core_policies.read_policy(path) for path, _ in sources]
    builtin_data, builtin_digest, parametrised = core_policies.builtin_data(builtin_paths)
    user_parts: list[bytes] = []  # what the set's hash takes from user files, after the built-in texts
    for path in builtin_paths:
        policy = core_policies.policy_from_data(path, builtin_data[str(path)], str(path) in parametrised)
        if policy.id in policies:
            raise PolicyFormatError(f"{path}: duplicate policy id {policy.id!r} (also in {policies[policy.id].source})")
        policies[policy.id] = policy
    own_objects: list[tuple[Path, Any]] = []
    problems: list[Any] = []
    for (path, validate), text in zip(sources, texts, strict=True):
        if validate and _collect_kubernetes_objects(path, text, own_objects):
            user_parts += [path.name.encode(), text.encode()]
            continue
        policy = core_policies.policy_from_data(path, core_policies.policy_data(path, text, validate))
        if policy.id in policies:
            raise PolicyFormatError(f"{path}: duplicate policy id {policy.id!r} (also in {policies[policy.id].source})")
        if policy.relation is not None and validate and policy.relation not in relation_names(policy.file_kind):
            known = ", ".join(relation_names(policy.file_kind)) or "none"
            raise PolicyFormatError(f"{path}: relation {policy.relation!r} is not known (known: {known})")
        if validate:
            if get_target(policy.file_kind, policy.target) is None:
                known = ", ".join(target_names(policy.file_kind)) or "none"
                raise PolicyFormatError(f"{path}: match.target {policy.target!r} is not known (known: {known})")
            if "assert" in policy.raw:
                from policylint.ownpolicies.assertions import attach_assertions  # CEL: imported only for `assert:`

                problem = attach_assertions(policy, text)
                if problem is not None:
                    problems.append(problem)
                    continue
        policies[policy.id] = policy
        user_parts += [path.name.encode(), text.encode()]
    rego_files = sorted(path for directory in user_dirs for path in directory.rglob("*.rego"))
    if own_objects or rego_files:
        own = _load_own_policies(own_objects, rego_files)
        problems.extend(own.problems)
        for policy in own.policies:
            if policy.id in policies:
                problems.append(_duplicate_problem(policy, policies[policy.id]))
                continue
            problem = _attach_sibling_examples(policy)
            if problem is not None:
                problems.append(problem)
            policies[policy.id] = policy
        for path in rego_files:
            user_parts += [path.name.encode(), path.read_bytes()]
    if not user_parts:  # the set is the built-in files alone: their hash comes with the cache entry
        return PolicySet(policies, builtin_digest[:16], problems)

    def user_set_hash() -> str:
        digest = sha256()
        for path in builtin_paths:  # the built-in texts again: sha256 cannot resume from the cached hash
            digest.update(path.name.encode())
            digest.update(core_policies.read_policy(path).encode())
        for part in user_parts:
            digest.update(part)
        return digest.hexdigest()[:16]

    return PolicySet(policies, user_set_hash, problems)


#: `<policy file>.examples.yaml`: fail/pass examples for a policy whose own format has no place for
#: them (an admission policy, a Rego package), beside its file.
EXAMPLES_SUFFIXES = (".examples.yaml", ".examples.yml")


def _is_examples_file(path: Path) -> bool:
    return path.name.endswith(EXAMPLES_SUFFIXES)


def _attach_sibling_examples(policy: Policy) -> Any:
    """Read `<name>.examples.yaml` beside an own policy's file into its examples; a LoadProblem when it is unusable.

    The file holds `fail:` and `pass:` lists, as a policylint policy's `examples:` does (documents
    as text with `# expect: <id>` markers, or `{files: {...}}`).
    """
    source = Path(policy.source)
    for suffix in EXAMPLES_SUFFIXES:
        sibling = source.with_name(source.name.rsplit(".", 1)[0] + suffix)
        if not sibling.is_file():
            continue
        from policylint.ownpolicies import LoadProblem

        documents = list(parse_yaml_stream(sibling.read_text(encoding="utf-8")))
        data = documents[0].data if len(documents) == 1 and not isinstance(documents[0], YamlError) else None
        if not isinstance(data, dict) or not set(data) <= {"fail", "pass"} or not all(
                isinstance(data.get(key, []), list) for key in ("fail", "pass")):
            return LoadProblem(str(sibling), 1, f"{policy.id}: {sibling.name} must be one mapping with "
                                                "`fail:` and `pass:` lists of examples")
        policy.example_data = {key: list(data.get(key) or []) for key in ("fail", "pass")}
        return None
    return None


def _collect_kubernetes_objects(path: Path, text: str, found: list[tuple[Path, Any]]) -> bool:
    """When a user YAML file holds Kubernetes objects (admission policies, bindings, params), keep them; True if so."""
    if "apiVersion" not in text or "kind" not in text:
        return False
    documents = [doc for doc in parse_yaml_stream(text) if not isinstance(doc, YamlError) and doc.data is not None]
    if not documents or not isinstance(documents[0].data, dict) or "id" in documents[0].data:
        return False
    from policylint.ownpolicies import is_kubernetes_object

    if not is_kubernetes_object(documents[0].data):
        return False
    found.extend((path, doc) for doc in documents if is_kubernetes_object(doc.data))
    return True


def _duplicate_problem(policy: Policy, other: Policy) -> Any:
    from policylint.ownpolicies import LoadProblem

    return LoadProblem(str(policy.source), policy.source_line, f"duplicate policy id {policy.id!r} (also in {other.source})")


def _load_own_policies(kubernetes_objects: list[tuple[Path, Any]], rego_files: list[Path]) -> Any:
    """Policies from the Kubernetes objects (parsed YAML documents) and Rego files of the user's folders.

    The CEL and Rego runtimes are imported only when a folder holds such a policy.
    """
    from policylint.ownpolicies import OwnPolicies

    result = OwnPolicies()
    if kubernetes_objects:
        from policylint.ownpolicies.vap import load_admission_policies

        load_admission_policies(kubernetes_objects, result)
    if rego_files:
        from policylint.ownpolicies.rego import load_rego_policies

        load_rego_policies(rego_files, result)
    return result
