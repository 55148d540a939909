"""GitLab CI loading: local includes from disk, GitLab's merge (includes, extends, !reference,
default) with the origin of each setting, and each file judged once."""

from __future__ import annotations

import json
from pathlib import Path

from policylint.core.documents import DocumentSet
from policylint.core.kinds import detect_by_content, detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.gitlab_ci.loader import GitlabDocument
from policylint.kinds.gitlab_ci.pipeline import model
from policylint.options import RunOptions
from policylint.runner import check


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _load(path: str):
    return load_bytes(path, Path(path).read_bytes(), detect_by_name(path) or "yaml")


def _line(job, *path):
    anchor = job.config.origin(path)
    position, _ = anchor.document.position(anchor.pointer)
    return anchor.document.path, position.line


def test_names_and_content_that_mark_gitlab_ci():
    assert detect_by_name(".gitlab-ci.yml") == "gitlab-ci"
    assert detect_by_name("ci/deploy.gitlab-ci.yml") == "gitlab-ci"
    assert detect_by_name(".gitlab/ci/build.yml") == "yaml"  # content decides
    assert detect_by_content("stages: [build]\nbuild:\n  script: make\n") == "gitlab-ci"
    assert detect_by_content(".base:\n  image: x:1\n\nlint:\n  stage: test\n  extends: .base\n") == "gitlab-ci"
    # a Helm values file with a `script:` block is not a pipeline
    assert detect_by_content("minio:\n  image: minio:1\n  script: |-\n    mc ls\n") == "kubernetes"
    assert detect_by_content("workflow:\n  serviceAccount:\n    create: true\n") == "kubernetes"
    assert detect_by_content("apiVersion: v1\nkind: ConfigMap\ndata:\n  script: x\n") == "kubernetes"
    assert detect_by_content("replicaCount: 1\nimage:\n  tag: 1.0\n") == "kubernetes"


def test_local_includes_are_read_from_the_repository_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "ci/main.gitlab-ci.yml": "include:\n  - local: /ci/parts/*.yml\n  - '/ci/missing.yml'\n"
                                 "  - remote: https://example.com/x.yml\n  - project: a/b\n    file: c.yml\n"
                                 "build:\n  script: make\n",
        "ci/parts/a.yml": "include: /ci/parts/nested/b.yml\na:\n  script: a\n",
        "ci/parts/nested/b.yml": "include: /ci/main.gitlab-ci.yml\nb:\n  script: b\n",
        "ci/parts/c.yml": "c:\n  script: c\n",
    })
    result = _load("ci/main.gitlab-ci.yml")
    paths = [(doc.path, doc.role) for doc in result.documents]
    assert paths == [("ci/main.gitlab-ci.yml", "pipeline"), ("ci/parts/a.yml", "include"),
                     ("ci/parts/nested/b.yml", "include"), ("ci/parts/c.yml", "include")]
    pipeline = result.documents[0].pipeline
    # merge order: each include after its own includes, the root last; the cycle back is ignored
    assert [doc.path for doc in pipeline.files] == [
        "ci/parts/nested/b.yml", "ci/parts/a.yml", "ci/parts/c.yml", "ci/main.gitlab-ci.yml"]
    assert sorted(entry.kind for entry in pipeline.unfetched) == ["project", "remote"]
    assert [skip.reason for skip in result.skipped] == [
        "local include '/ci/missing.yml' (ci/main.gitlab-ci.yml:3) not found: not checked"]
    assert set(result.sources) == {"ci/main.gitlab-ci.yml", "ci/parts/a.yml", "ci/parts/nested/b.yml", "ci/parts/c.yml"}
    assert model(pipeline).job_names == ["b", "a", "c", "build"]


def test_double_star_includes_reach_any_depth(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": "include: {local: 'ci/**.yml'}\nbuild:\n  script: make\n",
        "ci/one.yml": "one:\n  script: one\n",
        "ci/deeper/two.yml": "two:\n  script: two\n",
    })
    assert sorted(doc.path for doc in _load(".gitlab-ci.yml").documents) == [
        ".gitlab-ci.yml", "ci/deeper/two.yml", "ci/one.yml"]


def test_an_unparsable_include_is_a_parse_error_in_that_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": "include: .gitlab/ci/broken.yml\nbuild:\n  script: make\n",
        ".gitlab/ci/broken.yml": "lint:\n  script: [make lint\n",
    })
    report = check(RunOptions(paths=["."], select=["gitlab"]))
    errors = [(f.path, f.line, f.policy_id) for f in report.findings if f.policy_id == "parse-error"]
    assert errors == [(".gitlab/ci/broken.yml", 3, "parse-error")]
    assert report.exit_code() == 1


def test_extends_multi_level_and_list_form_keep_the_origin_of_each_setting(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": (
            "include: /.gitlab/ci/templates.yml\n"  # 1
            "default:\n"  # 2
            "  image: node:20\n"  # 3
            "  timeout: 10m\n"  # 4
            ".a:\n"  # 5
            "  extends: .base\n"  # 6
            "  variables: {A: a, SHARED: from-a}\n"  # 7
            "build:\n"  # 8
            "  extends: [.a, .b]\n"  # 9
            "  variables: {OWN: own}\n"  # 10
            "  script: make\n"  # 11
            "solo:\n"  # 12
            "  inherit: {default: false}\n"  # 13
            "  script: make\n"  # 14
        ),
        ".gitlab/ci/templates.yml": (
            ".base:\n"  # 1
            "  image: python:3.12\n"  # 2
            "  variables: {BASE: base}\n"  # 3
            ".b:\n"  # 4
            "  variables: {SHARED: from-b}\n"  # 5
            "build:\n"  # 6
            "  stage: build\n"  # 7
        ),
    })
    result = _load(".gitlab-ci.yml")
    pipeline_model = model(result.documents[0].pipeline)
    build = pipeline_model.job("build")
    assert build.config.value["image"] == "python:3.12"
    assert _line(build, "image") == (".gitlab/ci/templates.yml", 2)
    assert build.config.value["variables"] == {"BASE": "base", "A": "a", "SHARED": "from-b", "OWN": "own"}
    assert _line(build, "variables", "SHARED") == (".gitlab/ci/templates.yml", 5)
    assert _line(build, "variables", "A") == (".gitlab-ci.yml", 7)
    assert build.config.value["stage"] == "build"  # the included definition of the same job merges in
    assert _line(build, "timeout") == (".gitlab-ci.yml", 4)  # from default:
    assert build.complete and build.templates == [".a", ".base", ".b"]
    assert build.defined_in.path == ".gitlab-ci.yml"
    assert "image" not in pipeline_model.job("solo").config.value


def test_null_removes_an_inherited_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {".gitlab-ci.yml": ".base:\n  parallel: 4\n  variables: {A: a}\n"
                                         "job:\n  extends: .base\n  parallel: null\n  script: make\n"})
    job = model(_load(".gitlab-ci.yml").documents[0].pipeline).job("job")
    assert job.config.value == {"variables": {"A": "a"}, "extends": ".base", "script": "make"}


def test_reference_tags_resolve_to_the_lines_that_write_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {".gitlab-ci.yml": (
        ".setup:\n"  # 1
        "  script:\n"  # 2
        "    - echo one\n"  # 3
        "    - !reference [.more, script]\n"  # 4
        ".more:\n"  # 5
        "  script: [echo two]\n"  # 6
        "  variables:\n"  # 7
        "    X: x\n"  # 8
        "test:\n"  # 9
        "  variables: !reference [.more, variables]\n"  # 10
        "  script:\n"  # 11
        "    - !reference [.setup, script]\n"  # 12
        "    - |\n"  # 13
        "      make\n"  # 14
        "      make test\n"  # 15
        "broken:\n"  # 16
        "  script:\n"  # 17
        "    - !reference [.nowhere, script]\n"  # 18
    )})
    result = _load(".gitlab-ci.yml")
    root = result.documents[0]
    assert isinstance(root, GitlabDocument)
    assert root.references == {(".setup", "script", 1), ("test", "variables"), ("test", "script", 0),
                               ("broken", "script", 0)}
    pipeline_model = model(root.pipeline)
    test = pipeline_model.job("test")
    assert test.config.value["script"] == ["echo one", "echo two", "make\nmake test\n"]
    assert [_line(test, "script", index)[1] for index in range(3)] == [3, 6, 13]
    assert test.config.value["variables"] == {"X": "x"}
    assert _line(test, "variables", "X") == (".gitlab-ci.yml", 8)
    assert root.position(("test", "script", 1, "\n", 1))[0].line == 15
    assert test.complete and not pipeline_model.job("broken").complete


def test_schema_accepts_what_gitlab_accepts_and_points_at_keys_in_each_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": (
            "include: [{local: ci/jobs.yml}]\n"
            ".vars:\n  variables: {A: '1'}\n"
            "test:\n"
            "  variables: !reference [.vars, variables]\n"
            "  image: !reference [.img, image]\n"
            "  script:\n    - !reference [.vars, script]\n    - make\n"
        ),
        "ci/jobs.yml": "lint:\n  script: make lint\n  artifacts:\n    expire_in: 1 week\n    pathz: [x]\n",
    })
    report = check(RunOptions(paths=["."], select=["gitlab-schema-invalid"]))
    assert [(f.path, f.line) for f in report.findings] == [("ci/jobs.yml", 5)]


def test_a_root_included_by_another_is_judged_in_that_pipeline_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": "include: /ci/deploy.gitlab-ci.yml\n.deploy:\n  environment: production\n",
        "ci/deploy.gitlab-ci.yml": "deploy:\n  extends: .deploy\n  script: kubectl apply -f k8s/\n"
                                   "  variables: {API_TOKEN: abc123}\n",
        "ci/other.gitlab-ci.yml": "include: /ci/deploy.gitlab-ci.yml\nx:\n  script: make\n",
    })
    report = check(RunOptions(paths=["."], select=["gitlab"]))
    found = sorted((f.path, f.line, f.policy_id) for f in report.findings)
    # alone, deploy would lack its environment; two pipelines include it: one finding, not three
    assert found == [
        (".gitlab-ci.yml", 1, "gitlab-dependency-scanning-missing"),
        ("ci/deploy.gitlab-ci.yml", 4, "gitlab-secret-in-variables"),
    ]
    documents = DocumentSet(_load("ci/deploy.gitlab-ci.yml").documents + _load(".gitlab-ci.yml").documents)
    assert [doc.path for doc in documents] == [".gitlab-ci.yml", "ci/deploy.gitlab-ci.yml"]


def test_suppressions_and_reports_cover_included_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": "include: .gitlab/ci/vars.yml\ntest:\n  extends: .vars\n  script: trivy fs .\n",
        ".gitlab/ci/vars.yml": (".vars:\n  variables:\n    DB_PASSWORD: hunter2\n"
                                "    API_TOKEN: abc  # policylint: ignore[gitlab-secret-in-variables] -- test fixture\n"),
    })
    report = check(RunOptions(paths=["."], select=["gitlab"]))
    active = [(f.path, f.line) for f in report.active]
    assert active == [(".gitlab/ci/vars.yml", 3)]
    assert [f.line for f in report.findings if f.suppression] == [4]
    from policylint.reporters import render

    quality = json.loads(render("gitlab", report))
    assert [(item["location"]["path"], item["location"]["lines"]["begin"]) for item in quality] == [
        (".gitlab/ci/vars.yml", 3)]
    sarif = json.loads(render("sarif", report))
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    assert {(loc["artifactLocation"]["uri"], loc["region"]["startLine"]) for loc in locations} == {
        (".gitlab/ci/vars.yml", 3), (".gitlab/ci/vars.yml", 4)}


def test_hostile_pipelines_stay_fast(tmp_path, monkeypatch):
    """Self- and fan-out references, a diamond of extends 11 deep and thousands of jobs finish quickly."""
    import time

    monkeypatch.chdir(tmp_path)
    refs = "".join("    - !reference [.bomb, script]\n" for _ in range(6))
    diamond = "".join(
        f".l{level}a:\n  extends: [.l{level + 1}a, .l{level + 1}b]\n.l{level}b:\n  extends: [.l{level + 1}a, .l{level + 1}b]\n"
        for level in range(11)
    )
    many = "".join(f"job{n}:\n  extends: .l0a\n  image: node:latest\n  script: make\n" for n in range(3000))
    _write(tmp_path, {".gitlab-ci.yml": f".bomb:\n  script:\n{refs}selfish:\n  extends: .bomb\n{diamond}{many}"})
    started = time.monotonic()
    report = check(RunOptions(paths=["."], select=["gitlab"], jobs=1))
    assert time.monotonic() - started < 60
    assert not [f for f in report.findings if f.policy_id == "policy-error"]
    assert sum(f.policy_id == "gitlab-image-tag-latest" for f in report.findings) == 3000


def test_context_mode_still_judges_a_changed_pipeline_file(tmp_path, monkeypatch):
    """pre-commit's context hook names the changed file and loads the repository as context: the
    changed file is still judged (its copy, not the context pipeline's, is the one in the set)."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {
        ".gitlab-ci.yml": "include: /ci/build.gitlab-ci.yml\nstages: [build]\n",
        "ci/build.gitlab-ci.yml": "build:\n  image: node:latest\n  script: npm ci\n",
    })
    report = check(RunOptions(paths=["ci/build.gitlab-ci.yml"], context=["."], select=["gitlab-image-tag-latest"]))
    assert [(f.path, f.line) for f in report.findings] == [("ci/build.gitlab-ci.yml", 2)]


def test_reference_word_in_comments_and_strings_is_not_a_tag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {".gitlab-ci.yml": (
        "# reuse with !reference\n"
        "test:\n"
        "  script:\n"
        "    - echo '!reference'\n"
        "    - make\n"
        "  tags: [!reference [.x, tags]]\n"
    )})
    root = _load(".gitlab-ci.yml").documents[0]
    assert root.references == {("test", "tags", 0)}
