"""Property tests for GitLab CI (as tests/test_properties.py does for the other kinds): arbitrary
pipelines, split over a local include, with `extends:` and `!reference` in any shape, never make
a policy fail, and every finding is on a line of the file it names."""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policylint.catalog import load_policies
from policylint.core.documents import LoadResult
from policylint.core.engine import run
from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.gitlab_ci.loader import VIRTUAL_FILES

POLICIES = list(load_policies())
SETTINGS = settings(
    max_examples=int(os.environ.get("POLICYLINT_HYPOTHESIS_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = st.sampled_from([".base", ".tpl", "build", "deploy", "test", "pages", "default", "variables", "image",
                         "services", "stages", "include", "workflow", "spec", "before_script", "cache"])
FIELDS = st.sampled_from([
    "script", "before_script", "after_script", "image", "services", "variables", "extends", "stage", "environment",
    "timeout", "rules", "only", "except", "local", "remote", "project", "ref", "file", "template", "component",
    "name", "inherit", "default", "trigger", "value", "integrity", "pages", "DOCKER_TLS_CERTDIR", "API_TOKEN",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=12),
    st.sampled_from([".base", ".tpl", "build", "node:latest", "docker:27-dind", "curl -s x | sh", "kubectl apply -f x",
                     'eval "$CI_COMMIT_MESSAGE"', "/.gitlab/ci/a.yml", ".gitlab/ci/*.yml", "main", "v1.2.3", "",
                     "postgres://u:pw@db/x", "$CI_REGISTRY_IMAGE", "a/b@main"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(FIELDS, st.text(max_size=6)), children, max_size=5)),
    max_leaves=20,
)
PIPELINES = st.dictionaries(NAMES, TREES, max_size=6)
REFERENCES = st.lists(
    st.tuples(st.sampled_from(["build", ".base", ".tpl"]), st.sampled_from(["script", "variables", "image", "x"]),
              st.sampled_from(["script", "variables", "image", "services"])),
    max_size=3,
)


def _text(document: Any, references: list[tuple[str, str, str]], flow: bool) -> str:
    text = yaml.safe_dump(document, default_flow_style=flow) if document else ""
    for number, (target, key, field) in enumerate(references):
        text += f"ref{number}:\n  {field}:\n    - !reference [{target}, {key}]\n  script: !reference [{target}, script]\n"
    return text


@SETTINGS
@given(root=PIPELINES, included=PIPELINES, references=REFERENCES, flow=st.booleans())
def test_arbitrary_pipelines_split_over_an_include(root, included, references, flow) -> None:
    root = {**root, "include": [{"local": "/.gitlab/ci/a.yml"}]} if isinstance(root, dict) else root
    files = {".gitlab-ci.yml": _text(root, references, flow), ".gitlab/ci/a.yml": _text(included, [], flow)}
    token = VIRTUAL_FILES.set(files)
    try:
        load = LoadResult()
        for path, text in files.items():
            load.extend(load_bytes(path, text.encode(), detect_by_name(path) or "yaml"))
        findings = run(load, POLICIES)
    finally:
        VIRTUAL_FILES.reset(token)
    for finding in findings:
        assert finding.policy_id != "policy-error", finding.message
        last = max(1, len(files[finding.path].split("\n")))
        assert 1 <= finding.line <= last, (finding.policy_id, finding.path, finding.line, finding.message)
