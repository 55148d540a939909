"""Run the fail/pass examples embedded in policy files (the suite and `policylint test-policies`).

A fail example marks each line where a finding is expected with `# expect: <id>[, <id>]`; the
marker is cut from the text before loading, so it works in every file kind. The examples pass when
the set of (policy id, line) pairs found equals the set marked. A pass example must give no
finding of its policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from policylint.core.policies import Policy
from policylint.kinds.kubernetes.scope import KUSTOMIZATION_NAMES

MARKER = re.compile(r"[ \t]*#[ \t]*expect:[ \t]*([a-z0-9][a-z0-9., -]*?)[ \t]*$")  # ids may hold dots (admission policies)
DEFAULT_PATHS = {
    "kubernetes": "example.yaml",
    "dockerfile": "Dockerfile",
    "compose": "docker-compose.yml",
    "github-actions": ".github/workflows/example.yml",
    "gitlab-ci": ".gitlab-ci.yml",
}


@dataclass
class ExampleResult:
    """The outcome of one example: expected and found (path, line, id) triples."""

    policy_id: str
    name: str  # e.g. "fail[0]"
    expected: set[tuple[str, int, str]]
    found: set[tuple[str, int, str]]
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the findings are exactly the expected ones."""
        return self.expected == self.found

    def describe(self) -> str:
        """A readable account of the difference, for test failures."""
        missing = sorted(self.expected - self.found, key=str)
        unexpected = sorted(self.found - self.expected, key=str)
        lines = [f"{self.policy_id} {self.name}:"]
        lines += [f"  missing  {path}:{line} {rule}" for path, line, rule in missing]
        lines += [f"  unexpected {path}:{line} {rule}" for path, line, rule in unexpected]
        lines += [f"  message: {message}" for message in self.messages]
        return "\n".join(lines)


def strip_markers(text: str) -> tuple[str, list[tuple[int, str]]]:
    """The text without `# expect:` markers, and the (line, id) pairs they named."""
    marks: list[tuple[int, str]] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        match = MARKER.search(line)
        if match:
            lines[number - 1] = line[: match.start()]
            marks.extend((number, rule.strip()) for rule in match.group(1).split(",") if rule.strip())
    return "\n".join(lines), marks


def example_files(policy: Policy, example: Any) -> dict[str, str]:
    """The files of one example: a single string uses the policy's default file name."""
    if isinstance(example, str):
        return {DEFAULT_PATHS[policy.file_kind]: example}
    return dict(example["files"])


def run_example(policy: Policy, example: Any, name: str, expect_findings: bool) -> ExampleResult:
    """Load the example's files, evaluate just this policy, and compare with the markers."""
    from policylint.core.documents import LoadResult
    from policylint.core.engine import run
    from policylint.core.kinds import detect_by_name
    from policylint.core.loading import load_bytes
    from policylint.kinds.gitlab_ci.loader import VIRTUAL_FILES

    load = LoadResult()
    expected: set[tuple[str, int, str]] = set()
    kustomizations: dict[str, str] = {}
    raw_files = example_files(policy, example)
    if any(path.rsplit("/", 1)[-1] == "Chart.yaml" for path in raw_files):
        load = _load_chart_example(raw_files, expected)
    if not load.documents and not load.failures:
        files = {path: strip_markers(text) for path, text in raw_files.items()}
        # A GitLab pipeline reads its local includes from the example's other files, never the disk.
        token = VIRTUAL_FILES.set({path: clean for path, (clean, _) in files.items()})
        try:
            for path, (clean, marks) in files.items():
                expected.update((path, line, rule) for line, rule in marks)
                if path.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES:
                    kustomizations[path] = clean  # as in a run: not checked itself, it ties the files it lists
                    continue
                load.extend(load_bytes(path, clean.encode(), detect_by_name(path) or "yaml"))
        finally:
            VIRTUAL_FILES.reset(token)
        if kustomizations:
            _tag_kustomize_groups(load, kustomizations, list(files))
    target = policy
    if isinstance(example, dict) and example.get("params"):
        target = policy.with_params(example["params"])
    findings = run(load, [target])
    relevant = [f for f in findings if f.policy_id in (policy.id, "parse-error", "policy-error")]
    if not expect_findings:
        expected = set()
    found = {(f.path, f.line, f.policy_id) for f in relevant}
    return ExampleResult(policy.id, name, expected, found, [f"{f.path}:{f.line} {f.policy_id} {f.message}" for f in relevant])


def _tag_kustomize_groups(load: Any, kustomizations: dict[str, str], paths: list[str]) -> None:
    """Tie the example's files listed by its kustomization files, as a run does."""
    import posixpath

    from policylint.core.yamlnodes import YamlDocument, parse_yaml_stream
    from policylint.kinds.kubernetes.scope import listing_from_data, tag_groups

    def is_folder(target: str) -> bool:
        return any(path.startswith(target + "/") for path in paths)

    listings = []
    for path, text in kustomizations.items():
        parsed = next(iter(parse_yaml_stream(text)), None)
        data = parsed.data if isinstance(parsed, YamlDocument) else None
        listings.append(listing_from_data(posixpath.normpath(path), data, is_folder))
    tag_groups(load.documents, listings)


def _load_chart_example(files: dict[str, str], expected: set[tuple[str, int, str]]) -> Any:
    """An example holding a Helm chart: written to a temporary folder and rendered as a run would."""
    import os
    import tempfile
    from pathlib import Path

    from policylint.core.documents import LoadResult
    from policylint.options import RunOptions
    from policylint.runner import load_paths

    with tempfile.TemporaryDirectory(prefix="policylint-example-") as folder:
        for path, text in files.items():
            clean, marks = strip_markers(text)
            expected.update((path, line, rule) for line, rule in marks)
            target = Path(folder, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(clean, encoding="utf-8")
        loaded, _ = load_paths([folder], RunOptions(paths=[folder], jobs=1))
    prefix = os.path.realpath(folder) + "/"

    def relative(path: str) -> str:
        real = os.path.realpath(path) if os.path.isabs(path) else path
        return real[len(prefix):] if real.startswith(prefix) else path.removeprefix(folder + "/")

    result = LoadResult()
    for document in loaded.documents:
        document.path = relative(document.path)
        document.origin = document.origin.replace(folder + "/", "")
        result.documents.append(document)
    from policylint.core.records import replace

    result.failures = [replace(failure, path=relative(failure.path)) for failure in loaded.failures]
    result.sources = {relative(path): text for path, text in loaded.sources.items()}
    return result


def iter_examples(policy: Policy) -> Iterable[tuple[str, Any, bool]]:
    """(name, example, is_fail) for every example of a policy."""
    for index, example in enumerate(policy.examples.get("fail", [])):
        yield f"fail[{index}]", example, True
    for index, example in enumerate(policy.examples.get("pass", [])):
        yield f"pass[{index}]", example, False


def check_policy_examples(policy: Policy) -> list[ExampleResult]:
    """Run every example of a policy (its fix's before/after examples too); a fail example with no
    marker is itself a failure."""
    results = []
    for name, example, is_fail in iter_examples(policy):
        result = run_example(policy, example, name, is_fail)
        if is_fail and not result.expected:
            result.messages.append("a fail example must mark its expected lines with '# expect: <id>'")
            result.expected = {("<marker>", 0, policy.id)}
        results.append(result)
    for index, example in enumerate((policy.fix or {}).get("examples") or []):
        results.append(run_fix_example(policy, example, f"fix[{index}]"))
    return results


def run_fix_example(policy: Policy, example: dict[str, str], name: str) -> ExampleResult:
    """Write the `before` text to a temporary folder, run `--fix --unsafe-fixes` with just this
    policy, and compare the file with `after`, character for character."""
    import difflib
    import tempfile
    from pathlib import Path

    from policylint.core.policies import PolicySet
    from policylint.fixing import run_fixes
    from policylint.options import RunOptions

    path = DEFAULT_PATHS[policy.file_kind]
    with tempfile.TemporaryDirectory(prefix="policylint-fix-example-") as folder:
        target = Path(folder, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(example["before"], encoding="utf-8")
        options = RunOptions(paths=(folder,), select=[policy.id], jobs=1, unsafe_fixes=True, respect_gitignore=False)
        run_fixes(options, PolicySet({policy.id: policy}, "example"), write=True)
        fixed = target.read_text(encoding="utf-8")
    wanted = {(path, 0, "after")}
    if fixed == example["after"]:
        return ExampleResult(policy.id, name, wanted, wanted)
    diff = difflib.unified_diff(example["after"].splitlines(), fixed.splitlines(), "after", "fixed", lineterm="")
    return ExampleResult(policy.id, name, wanted, {(path, 0, "something else")}, list(diff))
