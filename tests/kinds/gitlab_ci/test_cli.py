"""The command line on GitLab CI pipelines: --select gitlab, a baseline and config ignores over a
pipeline split across files, the missing-include notice, and the Code Quality format."""

from __future__ import annotations

import json
from pathlib import Path

PIPELINE = {
    ".gitlab-ci.yml": "include:\n  - local: /.gitlab/ci/build.yml\n  - local: /.gitlab/ci/gone.yml\n"
                      "stages: [build]\ntest:\n  image: node:latest\n  script: npm audit && npm test\n",
    ".gitlab/ci/build.yml": "build:\n  image: docker:latest\n  script: docker build .\n",
    "k8s.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: a:latest}]\n",
}


def _write(root: Path) -> None:
    for name, text in PIPELINE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_select_gitlab_and_the_missing_include_notice(tmp_path, run_cli, run_json):
    _write(tmp_path)
    code, report = run_json(".", "--select", "gitlab", cwd=tmp_path)
    assert code == 1
    assert sorted((f["path"], f["line"], f["rule_id"], f["file_kind"]) for f in report["findings"]) == [
        (".gitlab-ci.yml", 6, "gitlab-image-tag-latest", "gitlab-ci"),
        (".gitlab/ci/build.yml", 2, "gitlab-image-tag-latest", "gitlab-ci"),
    ]
    assert report["skipped"] == [{"path": ".gitlab-ci.yml",
                                  "reason": "local include '/.gitlab/ci/gone.yml' (.gitlab-ci.yml:3) not found: not checked"}]
    code, out, _ = run_cli("check", ".", "--select", "gitlab", "--format", "gitlab", cwd=tmp_path)
    assert sorted((item["check_name"], item["location"]["path"]) for item in json.loads(out)) == [
        ("gitlab-image-tag-latest", ".gitlab-ci.yml"), ("gitlab-image-tag-latest", ".gitlab/ci/build.yml")]


def test_baseline_and_config_ignores_cover_included_files(tmp_path, run_cli, run_json):
    _write(tmp_path)
    assert run_cli("check", ".", "--select", "gitlab", "--write-baseline", "base.json", cwd=tmp_path)[0] == 0
    (tmp_path / ".gitlab/ci/build.yml").write_text(
        "# moved down a line\nbuild:\n  image: docker:latest\n  script: docker build .\n", encoding="utf-8")
    code, report = run_json(".", "--select", "gitlab", "--baseline", "base.json", cwd=tmp_path)
    assert code == 0 and all(f["suppressed"] for f in report["findings"])
    (tmp_path / ".policylint.yaml").write_text(
        "ignore:\n  - paths: ['.gitlab/**']\n    policies: [gitlab-image-tag-latest]\n    reason: build images are rebuilt nightly\n",
        encoding="utf-8")
    code, report = run_json(".", "--select", "gitlab", cwd=tmp_path)
    active = [(f["path"], f["line"]) for f in report["findings"] if not f["suppressed"]]
    assert code == 1 and active == [(".gitlab-ci.yml", 6)]
