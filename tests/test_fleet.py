"""`policylint report --results`: one compliance report over many `check --format json` results,
end to end on git repositories built here (commits that add, move and fix findings)."""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import pytest
from support import FIXTURES, PRIVILEGED_POD, commit, git

PRIVILEGED = PRIVILEGED_POD
CLEAN = PRIVILEGED.replace("privileged: true", "privileged: false")
HOST_PORT = CLEAN.replace("name: debug", "name: edge").replace(
    "securityContext: {privileged: false}", "securityContext: {privileged: false}\n      ports: [{containerPort: 80, hostPort: 80}]")
WORKFLOW = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
#: A folder of own policies: a run that adds it has another policy set.
OWN_POLICIES = FIXTURES / "own-policies" / "policies"


def make_repo(root: Path, name: str, files: dict[str, str]) -> Path:
    repo = root / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", f"https://ci:token-{name}@git.example.com/acme/{name}.git")
    commit(repo, files, "first")
    return repo


@pytest.fixture
def fleet(tmp_path: Path, run_cli) -> tuple[Path, dict[str, Path]]:
    """Three repositories scanned in their own CI job each; `legacy` with an extra policy folder."""
    if shutil.which("git") is None:
        pytest.skip("git builds the test repositories")
    repos = {
        "payments": make_repo(tmp_path, "payments", {"k8s/debug.yaml": PRIVILEGED, "k8s/edge.yaml": HOST_PORT}),
        "search": make_repo(tmp_path, "search", {"deploy/pod.yaml": CLEAN}),
        "legacy": make_repo(tmp_path, "legacy", {".github/workflows/ci.yml": WORKFLOW}),
    }
    results = tmp_path / "results"
    results.mkdir()
    for name, repo in repos.items():
        extra = ("--policies", str(OWN_POLICIES)) if name == "legacy" else ()
        code, _, err = run_cli("check", ".", *extra, "--format", "json", "-o", str(results / f"{name}.json"), cwd=repo)
        assert code in (0, 1), err
    return results, repos


def report_json(run_cli, *args: str) -> dict:
    code, out, err = run_cli("report", "--results", *args, "--framework", "pss-baseline", "--format", "json")
    assert code == 0, err
    return json.loads(out)


def control(document: dict, ref: str) -> dict:
    return next(row for table in document["frameworks"] for row in table["controls"] if row["ref"] == ref)


def test_each_control_per_repository_and_across_the_fleet(fleet, run_cli) -> None:
    results, repos = fleet
    document = report_json(run_cli, str(results))  # a folder: every *.json in it
    assert document["kind"] == "fleet" and document["results"] == 3
    by_name = {row["name"]: row for row in document["repositories"]}
    assert set(by_name) == {f"https://git.example.com/acme/{name}.git" for name in repos}
    payments = by_name["https://git.example.com/acme/payments.git"]
    search = by_name["https://git.example.com/acme/search.git"]
    legacy = by_name["https://git.example.com/acme/legacy.git"]
    assert payments["commit"] == git(repos["payments"], "rev-parse", "HEAD") and payments["branch"] == "main"
    privileged = control(document, "pss-baseline:privileged")
    assert payments["statuses"]["pss-baseline:privileged"] == "fail"
    assert search["statuses"]["pss-baseline:privileged"] == "pass"
    assert legacy["statuses"]["pss-baseline:privileged"] == "not-applicable"  # no Kubernetes file there
    assert privileged["status"] == "fail" and privileged["findings"] == 1
    assert privileged["repositories"] == {"fail": 1, "pass": 1, "not-applicable": 1, "not-run": 0}
    assert privileged["failing"] == ["https://git.example.com/acme/payments.git"]
    assert control(document, "pss-baseline:hostPorts")["repositories"]["fail"] == 1
    # The extra policy folder changes the policy set: flagged, the others not.
    assert [row["different_policy_set"] for row in (payments, search, legacy)] == [False, False, True]
    assert document["different_policy_set"] == 1
    assert "token-" not in json.dumps(document)


def test_commits_that_fix_move_and_add_findings_change_the_report(fleet, run_cli) -> None:
    results, repos = fleet
    payments = repos["payments"]
    # fix the privileged Pod, move the host port to another line, add a privileged Pod in search
    commit(payments, {"k8s/debug.yaml": CLEAN, "k8s/edge.yaml": "# moved\n" + HOST_PORT}, "fix and move")
    commit(repos["search"], {"deploy/debug.yaml": PRIVILEGED}, "add")
    for name in ("payments", "search"):
        run_cli("check", ".", "--format", "json", "-o", str(results / f"{name}.json"), cwd=repos[name])
    document = report_json(run_cli, *(str(results / f"{name}.json") for name in ("payments", "search", "legacy")))
    privileged = control(document, "pss-baseline:privileged")
    assert privileged["failing"] == ["https://git.example.com/acme/search.git"]
    assert privileged["repositories"] == {"fail": 1, "pass": 1, "not-applicable": 1, "not-run": 0}
    assert control(document, "pss-baseline:hostPorts")["failing"] == ["https://git.example.com/acme/payments.git"]
    commits = {row["name"].rsplit("/", 1)[-1]: row["commit"] for row in document["repositories"]}
    assert commits["payments.git"] == git(payments, "rev-parse", "HEAD")


def test_markdown_and_html_carry_the_same_rows(fleet, run_cli, tmp_path: Path) -> None:
    results, _ = fleet
    code, out, _ = run_cli("report", "--results", str(results), "--framework", "pss-baseline", "--format", "markdown")
    assert code == 0
    assert "| pss-baseline:privileged | " in out and "| Fail | 1 | 1 | 1 | 0 | 1 | https://git.example.com/acme/payments.git |" in out
    assert "different policy set" in out
    target = tmp_path / "fleet.html"
    code, _, err = run_cli("report", "--results", str(results), "--framework", "pss-baseline", "--format", "html",
                           "-o", str(target))
    html = target.read_text()
    assert code == 0 and "wrote" in err and "1 with a different policy set" in err
    assert '<table id="fleet-pss-baseline">' in html and 'id="different-policy-set"' in html
    assert html.count("<tr><td>https://git.example.com/acme/") == 3


def test_a_broken_result_is_listed_not_fatal(fleet, run_cli) -> None:
    results, _ = fleet
    (results / "junk.json").write_text("{not json")
    (results / "other.json").write_text('{"version": 1}')
    code, out, err = run_cli("report", "--results", str(results), "--framework", "pss-baseline", "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["results"] == 3
    assert sorted(Path(item["file"]).name for item in document["unreadable"]) == ["junk.json", "other.json"]
    assert "junk.json: not JSON" in err
    code, _, err = run_cli("report", "--results", str(results / "missing.json"), "--framework", "pss-baseline")
    assert code == 2 and "no such file" in err


def test_hostile_names_stay_inert(tmp_path: Path, run_cli) -> None:
    result = {"version": 1, "tool": {"name": "policylint", "version": "0", "policy_set": "x"},
              "run": {"repository": "<script>alert(1)</script>|x\x1b[31m", "policies": [], "applicable": []},
              "findings": []}
    (tmp_path / "evil.json").write_text(json.dumps(result))
    code, html, _ = run_cli("report", "--results", str(tmp_path / "evil.json"), "--framework", "pss-baseline")
    assert code == 0 and "<script>" not in html and "\x1b" not in html and "&lt;script&gt;" in html
    code, markdown, _ = run_cli("report", "--results", str(tmp_path / "evil.json"), "--framework", "pss-baseline",
                                "--format", "markdown")
    assert "<script>" not in markdown and "\x1b" not in markdown and "\\|x" in markdown


def test_a_thousand_results_are_folded_one_at_a_time(tmp_path: Path) -> None:
    """1,000 results of ~200 KB each (200 MB on disk): the fold's memory stays near one file's."""
    from policylint.catalog import load_policies
    from policylint.fleet import build_fleet, result_files
    from policylint.frameworks import control_index, load_frameworks

    policy_set = load_policies([])
    policies = sorted(policy_set.policies)
    finding = {"rule_id": "k8s-privileged-container", "severity": "high", "path": "k8s/p.yaml", "line": 1, "column": 1,
               "message": "x" * 200, "file_kind": "kubernetes", "resource": {"kind": "Pod", "namespace": "", "name": "p"},
               "fingerprint": "0" * 32, "related": [], "suppressed": False}
    folder = tmp_path / "results"
    folder.mkdir()
    for number in range(1000):
        document = {"version": 1, "tool": {"name": "policylint", "version": "0.1.0", "policy_set": policy_set.digest},
                    "run": {"repository": f"repo-{number:04d}", "policy_set": policy_set.digest, "policies": policies,
                            "applicable": policies},
                    "findings": [finding] * (500 if number % 2 else 0)}
        (folder / f"{number:04d}.json").write_text(json.dumps(document))
    files = result_files([str(folder)])
    total = sum(path.stat().st_size for path in files)
    frameworks = load_frameworks()
    tracemalloc.start()
    fleet = build_fleet(files, frameworks, ["pss-baseline", "cis-k8s"], control_index(policy_set), policy_set.digest, "d")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(fleet.repositories) == 1000 and total > 100 * 2**20
    row = next(row for row in fleet.frameworks[0].rows if row.control.ref == "pss-baseline:privileged")
    assert row.counts["fail"] == 500 and row.counts["pass"] == 500 and row.findings == 500 * 500
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MiB for {total / 2**20:.0f} MiB of results"
