"""The README's GitLab CI job (a merge-request gate with Code Quality and SARIF) is valid for
GitLab's schema and breaks none of policylint's job-level GitLab rules."""

from __future__ import annotations

import re

from support import ROOT

from policylint.options import RunOptions
from policylint.runner import check

README = ROOT / "README.md"


def test_readme_gitlab_job_passes_the_gitlab_rules(tmp_path, monkeypatch):
    snippet = re.search(r"```yaml\n(# \.gitlab-ci\.yml\n.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert snippet is not None
    (tmp_path / ".gitlab-ci.yml").write_text(snippet.group(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = check(RunOptions(paths=["."], select=["gitlab"], enable=["gitlab-job-timeout-missing"]))
    # only the repository-level fact: this one job does not scan dependencies
    assert [f.policy_id for f in report.findings] == ["gitlab-dependency-scanning-missing"]
    assert "--format gitlab" in snippet.group(1) and "codequality: gl-code-quality.json" in snippet.group(1)
