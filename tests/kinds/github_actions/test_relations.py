"""GitHub Actions relations: the deprecation table lookup, the once-per-run dependency audit
(with the dependabot file next to the workflows), later risky steps, and schema errors."""

from __future__ import annotations

from policylint.catalog import load_policies
from policylint.core.documents import DocumentSet, LoadResult
from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.github_actions.relations import dependency_audit, external_schema, find_deprecation, later_steps
from policylint.kinds.github_actions.targets import document, parse_uses, step, workflow

POLICIES = load_policies()
DEPRECATION = POLICIES.get("gha-deprecated-action").params
AUDIT = POLICIES.get("gha-dependency-audit-missing").params
CHECKOUT = POLICIES.get("gha-checkout-persist-credentials").params
SHA = "0123456789abcdef0123456789abcdef01234567"


def load_set(files: dict[str, str]) -> DocumentSet:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, text.encode(), detect_by_name(path) or "yaml"))
    assert not result.failures, result.failures
    return DocumentSet(result.documents)


def deprecation(uses: str, comment: str | None = None):
    found = find_deprecation(parse_uses(uses, comment), DEPRECATION)
    return found and (found["group"], found["replacement"])


def test_deprecation_table_groups_and_versions():
    assert deprecation("actions-rs/toolchain@v1")[0] == "archived"
    assert deprecation("actions-rs/cargo@main")[0] == "archived"  # archived: every ref
    assert deprecation("actions/checkout@v3") == ("removed_node_runtimes", "actions/checkout@v5")
    assert deprecation("actions/checkout@v4") == ("node20_retired", "actions/checkout@v5")
    assert deprecation("actions/checkout@v5") is None
    assert deprecation("actions/checkout@main") is None  # a branch has no major to judge
    assert deprecation(f"actions/checkout@{SHA}", "v3.6.0")[0] == "removed_node_runtimes"
    assert deprecation(f"actions/checkout@{SHA}", "v5.0.0") is None
    assert deprecation(f"actions/checkout@{SHA}") is None  # no comment: the version is unknown
    assert deprecation("github/codeql-action/analyze@v2")[0] == "removed_node_runtimes"
    assert deprecation("ACTIONS/Setup-Python@v4")[0] == "removed_node_runtimes"  # owner/repo case-insensitive
    assert deprecation("./actions-rs/local") is None


CI = "on: push\njobs:\n  test:\n    runs-on: x\n    steps:\n      - run: cargo test\n"
AUDITED = "on: push\njobs:\n  audit:\n    runs-on: x\n    steps:\n      - run: cargo deny check\n"


def audit_views(documents: DocumentSet):
    views = []
    for doc in documents:
        for view in workflow(doc, {}):
            views.extend(dependency_audit(view, documents, AUDIT))
    return [(view.subject.path, view.instance["scanners"], view.instance["dependabot"]) for view in views]


def test_dependency_audit_is_one_view_per_run_at_the_first_workflow():
    documents = load_set({".github/workflows/b.yml": CI, ".github/workflows/a.yml": CI})
    assert audit_views(documents) == [(".github/workflows/a.yml", [], [])]


def test_dependency_audit_sees_scanners_in_any_workflow_and_dependabot_next_to_them():
    scanned = load_set({".github/workflows/a.yml": CI, ".github/workflows/z.yml": AUDITED})
    assert audit_views(scanned) == [(".github/workflows/a.yml", [".github/workflows/z.yml: cargo deny"], [])]
    with_bot = load_set({".github/workflows/a.yml": CI, ".github/dependabot.yml": "version: 2\nupdates: []\n"})
    assert audit_views(with_bot) == [(".github/workflows/a.yml", [], [".github"])]
    elsewhere = load_set({".github/workflows/a.yml": CI, "other/.github/dependabot.yml": "version: 2\n"})
    assert audit_views(elsewhere) == [(".github/workflows/a.yml", [], [])]


def test_later_steps_only_counts_the_same_job_after_the_checkout():
    text = f"""\
on: push
jobs:
  a:
    runs-on: x
    steps:
      - uses: third/party@v1
      - uses: actions/checkout@v5
      - uses: actions/setup-node@v5
      - uses: actions/upload-artifact@v6
      - uses: docker://alpine@sha256:{"a" * 64}
  b:
    runs-on: x
    steps:
      - uses: actions/checkout@v5
"""
    documents = load_set({".github/workflows/a.yml": text})
    doc = documents.documents[0]
    risks = {
        (view.instance["jobId"], view.instance["index"]): view.instance["laterRisks"]
        for base in step(doc, {})
        for view in later_steps(base, documents, CHECKOUT)
    }
    assert risks[("a", 1)] == [
        "uploads an artifact (actions/upload-artifact@v6)",
        f"runs third-party code (docker://alpine@sha256:{'a' * 64})",
    ]
    assert risks[("a", 3)] == [f"runs third-party code (docker://alpine@sha256:{'a' * 64})"]
    assert risks[("b", 0)] == []


def test_external_schema_yields_one_view_per_error_at_its_key():
    text = "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: soon\n    stepz: []\n"
    documents = load_set({".github/workflows/a.yml": text})
    doc = documents.documents[0]
    views = [view for base in document(doc, {}) for view in external_schema(base, documents, {})]
    located = sorted((view.locate(("valid",))[1].line, view.fields["error"].split(":")[0]) for view in views)
    assert located == [(5, "jobs/a/timeout-minutes"), (6, "unexpected key 'stepz'")]


def test_naming_only_a_workflow_still_sees_the_dependabot_file_next_to_it(tmp_path, monkeypatch):
    from policylint.discovery import discover
    from policylint.options import RunOptions
    from policylint.runner import check

    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(CI)
    monkeypatch.chdir(tmp_path)
    options = RunOptions(paths=[".github/workflows/ci.yml"], select=["gha-dependency-audit-missing"])
    assert [(f.path, f.line) for f in check(options).findings] == [(".github/workflows/ci.yml", 1)]
    (tmp_path / ".github" / "dependabot.yml").write_text("version: 2\nupdates: []\n")
    assert [c.display for c in discover([".github/workflows/ci.yml"])] == [".github/dependabot.yml", ".github/workflows/ci.yml"]
    assert check(options).findings == []
    assert [c.display for c in discover(["."], excludes=[".github/dependabot.yml"])] == [".github/workflows/ci.yml"]


def test_upload_paths_that_may_hold_the_checkouts_git_folder():
    from policylint.kinds.github_actions.relations import upload_may_hold_git

    def risky(path, checkout_path=None):
        return upload_may_hold_git({"uses": "actions/upload-artifact@v5", "with": {"path": path}}, checkout_path)

    for path in (".", "./", "*", "**/*", "**/config", "${{ github.workspace }}", "$GITHUB_WORKSPACE/", "..",
                 "${{ env.OUT }}", ".git/config", ".*", "/home/runner/work/repo/repo", "~"):
        assert risky(path), path
    for path in ("dist/", "target/*.tar.gz", "**/*.xml", "build-${{ matrix.os }}/", "${{ github.workspace }}/site",
                 "/tmp/out", "~/.cache/pip", "dist/\n!dist/.git", "${{ env.OUT }}/report.html"):
        assert not risky(path), path
    assert risky("dist/\n.")  # one risky line is enough
    assert risky("src", checkout_path="src") and risky("src/", checkout_path="src/")
    assert not risky("dist", checkout_path="src")
    assert not upload_may_hold_git({"uses": "actions/upload-pages-artifact@v4"}, None)  # default path _site/
    assert upload_may_hold_git({"uses": "actions/upload-artifact@v5"}, None)  # no path: cannot tell


def test_actions_of_the_workflows_own_repository_are_not_third_party():
    text = """\
on: push
jobs:
  a:
    if: github.repository == 'Acme/Tools'
    runs-on: x
    steps:
      - uses: actions/checkout@v5
      - uses: ./local/action
      - uses: acme/tools/.github/actions/cache@main
      - uses: acme/other@v1
"""
    action = "name: s\ndescription: d\nruns: {using: composite, steps: []}\n"
    documents = load_set({"repo/.github/workflows/a.yml": text, "repo/.github/actions/setup/action.yml": action})
    doc = documents.documents[0]
    risks = [view.instance["laterRisks"] for base in step(doc, {}) for view in later_steps(base, documents, CHECKOUT)]
    assert risks[0] == ["runs third-party code (acme/other@v1)"]
    scanned = load_set({
        "repo/.github/workflows/a.yml": text.replace("acme/other@v1", "someone/tools/.github/actions/setup@v1"),
        "repo/.github/actions/setup/action.yml": action,
    })
    doc = scanned.documents[0]
    risks = [view.instance["laterRisks"] for base in step(doc, {}) for view in later_steps(base, scanned, CHECKOUT)]
    assert risks[0] == []


def test_risks_are_named_once_per_kind_and_capped():
    from policylint.kinds.github_actions.relations import summarise_risks

    risks = [f"runs third-party code (acme/a{n}@{'f' * 40})" for n in range(5)]
    risks += ["uploads an artifact (actions/upload-artifact@v4)", "runs third-party code (acme/a0@v2)"]
    assert summarise_risks(risks) == (
        "runs third-party code (acme/a0, acme/a1, acme/a2 and 2 more); uploads an artifact (actions/upload-artifact)")
    assert summarise_risks([]) == ""
