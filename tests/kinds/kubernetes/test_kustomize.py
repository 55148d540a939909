"""Kustomize: overlays rendered with kubectl/kustomize, findings located in source files.

Rendering tests need a kubectl (the `kustomize` extra installs one into the environment, and the
test extra pulls it in) or `kustomize` on PATH; without one they are skipped with that reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import ROOT

from policylint.core.files import Candidate
from policylint.discovery import discover
from policylint.kinds.kubernetes.kustomization import read_kustomization
from policylint.kinds.kubernetes.kustomize import KustomizeError, find_tool, own_kubectl, plan
from policylint.options import RunOptions
from policylint.runner import check

FIXTURE = "fixtures/kustomize"
PROD = f"{FIXTURE}/overlays/production"
HAS_RENDERER = bool(own_kubectl() or shutil.which("kubectl") or shutil.which("kustomize"))
needs_renderer = pytest.mark.skipif(not HAS_RENDERER, reason="neither kubectl nor kustomize is on PATH")


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# --- without --kustomize -------------------------------------------------------------------------


def test_kustomization_files_are_skipped_quietly_and_bases_checked_plainly():
    report = check(RunOptions(paths=(FIXTURE,)))
    paths = {finding.path for finding in report.findings}
    assert not any(path.endswith("kustomization.yaml") for path in paths)
    assert f"{FIXTURE}/base/deployment.yaml" in paths
    assert not any(finding.policy_id == "parse-error" for finding in report.findings)
    # The production patch is a fragment, not an object: skipped with a notice, never judged alone.
    assert [(item.path, "patch" in item.reason) for item in report.skipped] == [
        (f"{PROD}/remove-memory-limit.yaml", True)
    ]
    # The base deployment keeps its memory limit, so nothing says otherwise without rendering.
    assert "k8s-memory-limit-missing" not in {finding.policy_id for finding in report.findings}


def test_plan_reads_the_kustomization_fields():
    production = read_kustomization(ROOT / PROD / "kustomization.yaml")
    assert production is not None
    assert production.folders == {ROOT / FIXTURE / "base"}
    assert production.patches == {ROOT / PROD / "remove-memory-limit.yaml"}
    base = read_kustomization(ROOT / FIXTURE / "base" / "kustomization.yaml")
    assert {path.name for path in base.files} == {
        "deployment.yaml", "service.yaml", "configmap.yaml", "secret.yaml", "hpa.yaml", "networkpolicy.yaml"}


def test_plan_renders_only_top_level_kustomizations():
    candidates = discover([FIXTURE])
    chosen = plan(candidates, render=True)
    assert sorted(item.root.name for item in chosen.roots) == ["dev", "production", "staging"]
    # Everything of the build is owned by the render: nothing is also loaded as a plain file.
    assert chosen.candidates == []
    only_base = plan(discover([f"{FIXTURE}/base"]), render=True)
    assert [item.root.name for item in only_base.roots] == ["base"]


def test_plain_files_next_to_kustomizations_are_still_loaded(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [app.yaml]\n")
    (tmp_path / "app.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "other.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n")
    candidates = [Candidate(str(p), p, "yaml") for p in sorted(tmp_path.iterdir())]
    assert [Path(c.display).name for c in plan(candidates, render=False).candidates] == ["app.yaml", "other.yaml"]
    assert [Path(c.display).name for c in plan(candidates, render=True).candidates] == ["other.yaml"]


def test_missing_renderer_is_a_clear_usage_error(monkeypatch, run_cli):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr("policylint.kinds.kubernetes.kustomize.own_kubectl", lambda: None)
    with pytest.raises(KustomizeError, match=r"kubectl .* kustomize"):
        find_tool()
    code, _, err = run_cli("check", "--kustomize", PROD)
    assert code == 2
    assert "kubectl kustomize" in err and "kustomize build" in err


# --- with --kustomize -------------------------------------------------------------------------------


@needs_renderer
def test_production_overlay_mistake_is_reported_at_the_source_file(run_cli):
    before = snapshot(ROOT / FIXTURE)
    code, out, _ = run_cli("check", "--kustomize", "--select", "k8s-memory-limit-missing", PROD)
    assert code == 1
    # The patch removed `limits.memory`; the finding lands on `limits:` of the base deployment
    # (the deepest node that exists in the source) and names the overlay.
    assert (
        f"{FIXTURE}/base/deployment.yaml:30:11 high k8s-memory-limit-missing container app has no "
        f"resources.limits.memory (kustomize overlay {PROD})"
    ) in out
    assert snapshot(ROOT / FIXTURE) == before  # the user's files are never modified


@needs_renderer
def test_other_overlays_keep_their_limit():
    for overlay in ("dev", "staging"):
        report = check(RunOptions(paths=(f"{FIXTURE}/overlays/{overlay}",), kustomize=True))
        ids = {finding.policy_id for finding in report.findings}
        assert "k8s-memory-limit-missing" not in ids
        assert "k8s-hpa-replicas-conflict" in ids  # the base's own mistakes show in every overlay


@needs_renderer
def test_rendered_objects_carry_the_overlay_namespace_and_no_origin_annotation():
    report = check(RunOptions(paths=(PROD,), kustomize=True, select=("k8s",)))
    documents = {(doc.kind, doc.name): doc for doc in report.documents}
    deployment = documents[("Deployment", "rust-webapi")]
    assert deployment.namespace == "rust-webapi-prod"
    assert deployment.path == f"{FIXTURE}/base/deployment.yaml"
    assert deployment.origin == f"kustomize overlay {PROD}"
    assert "annotations" not in deployment.data["metadata"]
    assert deployment.data["spec"]["template"]["spec"]["containers"][0]["image"] == "your-registry/rust-webapi:1.4.0"
    assert "memory" not in deployment.data["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert {doc.path for doc in report.documents} == {
        f"{FIXTURE}/base/{name}.yaml"
        for name in ("deployment", "service", "configmap", "secret", "hpa", "networkpolicy")
    }


@needs_renderer
def test_overlays_are_separate_worlds():
    # Three overlays of one base: each HPA finds its own Deployment, and the finding says which
    # overlays (one finding for the place all three render alike: issue 26, item 5).
    report = check(RunOptions(paths=(FIXTURE,), kustomize=True))
    conflicts = [f for f in report.findings if f.policy_id == "k8s-hpa-replicas-conflict"]
    overlays = ", ".join(f"{FIXTURE}/overlays/{name}" for name in ("dev", "production", "staging"))
    assert [f.message.rsplit(" (", 1)[1] for f in conflicts] == [f"kustomize overlays {overlays})"]
    assert not [f for f in report.findings if f.policy_id == "k8s-hpa-target-missing"]
    memory = [f for f in report.findings if f.policy_id == "k8s-memory-limit-missing"]
    assert [f.message.endswith(f"(kustomize overlay {PROD})") for f in memory] == [True]


@needs_renderer
def test_broken_kustomization_is_a_parse_error(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    report = check(RunOptions(paths=(str(tmp_path),), kustomize=True))
    (finding,) = [f for f in report.findings if f.policy_id == "parse-error"]
    assert finding.path.endswith("kustomization.yaml")
    assert "kustomize build failed" in finding.message


@needs_renderer
def test_config_file_switch_turns_rendering_on(tmp_path, run_cli):
    (tmp_path / ".git").mkdir()  # a repository: the overlay's `../../base` is inside the run's boundary
    shutil.copytree(ROOT / FIXTURE, tmp_path / "k8s")
    (tmp_path / ".policylint.yaml").write_text("kustomize: true\n")
    code, out, _ = run_cli("check", "--select", "k8s-memory-limit-missing", "k8s/overlays/production", cwd=tmp_path)
    assert code == 1
    assert "k8s/base/deployment.yaml:30:11 high k8s-memory-limit-missing" in out
    assert "(kustomize overlay k8s/overlays/production)" in out
    # The command line wins over the file.
    code, out, _ = run_cli("check", "--no-kustomize", "--select", "k8s-memory-limit-missing", "k8s/overlays/production",
                           cwd=tmp_path)
    assert code == 0, out


@needs_renderer
def test_unparsable_kustomization_is_reported_not_hidden(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml\n")
    report = check(RunOptions(paths=(str(tmp_path),), kustomize=True))
    assert [f.policy_id for f in report.findings] == ["parse-error"]
    assert report.findings[0].path.endswith("kustomization.yaml")
    # Without --kustomize it is simply not a manifest.
    assert check(RunOptions(paths=(str(tmp_path),))).findings == []


# --- rendering stays offline ----------------------------------------------------------------------

REMOTE_BASE = "github.com/example/repo//deploy/base?ref=v1.0.0"


@pytest.mark.parametrize(
    ("entry", "remote"),
    [
        ("https://raw.githubusercontent.com/example/repo/main/deploy.yaml", True),
        ("ssh://git@github.com/example/repo.git", True),
        ("git@github.com:example/repo.git//base", True),
        ("git::https://example.com/repo.git", True),
        (REMOTE_BASE, True),
        ("../base", False),
        ("./base", False),
        ("deployment.yaml", False),
        ("missing-folder/base", False),
    ],
)
def test_remote_entries_are_recognised(tmp_path, entry, remote):
    from policylint.kinds.kubernetes.kustomization import is_remote

    assert is_remote(entry, tmp_path / entry) is remote


def test_local_folder_with_a_dotted_name_is_not_remote(tmp_path):
    from policylint.kinds.kubernetes.kustomization import is_remote

    (tmp_path / "example.com" / "base").mkdir(parents=True)
    assert is_remote("example.com/base", tmp_path / "example.com" / "base") is False


def forbid_subprocess(monkeypatch):
    import subprocess

    def refuse(*args, **kwargs):
        raise AssertionError(f"the renderer must not run: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)


def test_remote_base_is_not_rendered_and_is_reported_at_its_entry(tmp_path, monkeypatch):
    forbid_subprocess(monkeypatch)
    (tmp_path / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        f"resources:\n  - deployment.yaml\n  - {REMOTE_BASE}\n"
    )
    shutil.copy(ROOT / FIXTURE / "base" / "deployment.yaml", tmp_path / "deployment.yaml")
    report = check(RunOptions(paths=(str(tmp_path),), kustomize=True))
    (finding,) = report.findings
    assert (finding.policy_id, finding.line, finding.column) == ("parse-error", 5, 5)
    assert finding.path.endswith("kustomization.yaml")
    assert f"{REMOTE_BASE!r} is remote and policylint makes no network calls" in finding.message
    assert report.exit_code() == 1


def test_remote_entry_of_an_included_base_blocks_its_overlay(tmp_path, monkeypatch):
    forbid_subprocess(monkeypatch)
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - https://example.com/app.yaml\n")
    (tmp_path / "overlay" / "kustomization.yaml").write_text("resources:\n  - ../base\n")
    report = check(RunOptions(paths=(str(tmp_path),), kustomize=True))
    (finding,) = report.findings
    assert finding.path.endswith("base/kustomization.yaml")
    assert (finding.line, finding.column) == (2, 5)
    assert "kustomize build of " in finding.message and "overlay not run" in finding.message


def test_renderer_environment_is_offline(monkeypatch):
    from policylint.kinds.kubernetes.kustomize import offline_environment

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "github.com")
    env = offline_environment()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        assert env[name] == "http://127.0.0.1:9"
    assert "no_proxy" not in env and "NO_PROXY" not in env
    assert env["GIT_ALLOW_PROTOCOL"] == "file"
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["PATH"] == __import__("os").environ["PATH"]


def test_kubectl_error_loses_its_klog_framing():
    from policylint.kinds.kubernetes.kustomize import render_error

    stderr = (
        'E1128 21:01:35.097172    9487 run.go:72] "command failed" err=<\n'
        "\taccumulating resources: accumulation err='accumulating resources from 'missing.yaml': "
        "open missing.yaml: no such file or directory'\n"
        " >\n"
    )
    assert render_error(stderr) == (
        "accumulating resources: accumulation err='accumulating resources from 'missing.yaml': "
        "open missing.yaml: no such file or directory'"
    )
    assert render_error("Error: must build at directory: not a valid directory\n") == (
        "must build at directory: not a valid directory"
    )
    long = "x" * 2000 + " proxyconnect tcp: connection refused"
    rendered = render_error(long)
    assert rendered.startswith("…") and "proxyconnect tcp: connection refused" in rendered
    assert rendered.endswith("(policylint blocks kustomize's network access: vendor remote bases)")


@needs_renderer
def test_remote_base_below_the_scanned_folder_fails_without_downloading(tmp_path):
    (tmp_path / ".git").mkdir()  # one repository: the base is inside the run's boundary
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n  - https://example.com/app.yaml\n")
    (tmp_path / "overlay" / "kustomization.yaml").write_text("resources:\n  - ../base\n")
    # Only the overlay is scanned: policylint never read the base, so the renderer's own guard acts.
    report = check(RunOptions(paths=(str(tmp_path / "overlay"),), kustomize=True))
    (finding,) = report.findings
    assert finding.policy_id == "parse-error"
    assert "kustomize build failed" in finding.message
    assert finding.message.endswith("(policylint blocks kustomize's network access: vendor remote bases)")


DEPLOYMENT_WITHOUT_SELECTOR = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: grafana}\nspec:\n  template:\n    spec:\n"
    "      containers: [{name: grafana, image: grafana/grafana:11.2.0}]\n"
)


@pytest.mark.parametrize(("kustomization", "expected"), [
    ("commonLabels: {app.kubernetes.io/name: grafana}\n", []),
    ("labels:\n- pairs: {app: grafana}\n  includeSelectors: true\n", []),
    ("labels:\n- pairs: {app: grafana}\n", [("k8s-schema-invalid", 4)]),  # labels without includeSelectors
    ("namespace: monitoring\n", [("k8s-schema-invalid", 4)]),
])
def test_a_selector_that_common_labels_creates_is_not_missing(tmp_path, monkeypatch, kustomization, expected):
    """kustomize's commonLabels creates spec.selector; the base file is judged with that in mind,
    also when a pre-commit run names the changed file alone (its folder's kustomization is read)."""
    (tmp_path / "grafana").mkdir()
    (tmp_path / "grafana" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + kustomization + "resources:\n- deployment.yaml\n"
    )
    (tmp_path / "grafana" / "deployment.yaml").write_text(DEPLOYMENT_WITHOUT_SELECTOR)
    monkeypatch.chdir(tmp_path)
    for paths in (["."], ["grafana/deployment.yaml"]):
        report = check(RunOptions(paths=paths, select=("k8s-schema-invalid",)))
        assert [(finding.policy_id, finding.line) for finding in report.findings] == expected, paths


def test_a_builds_fallback_lists_its_files_in_candidate_order(tmp_path):
    """What a build that cannot render falls back to: its files, as the candidates order them."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text("resources: [z.yaml, a.yaml, ../shared/s.yaml]\npatches: [p.yaml]\n")
    (tmp_path / "shared").mkdir()
    for name in ("app/a.yaml", "app/p.yaml", "app/z.yaml", "app/extra.yaml", "shared/s.yaml"):
        (tmp_path / name).write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    candidates = [Candidate(str(path), path, "yaml") for path in sorted(tmp_path.rglob("*.yaml"))]
    chosen = plan(candidates, render=True)
    assert [Path(c.display).name for c in chosen.candidates] == ["extra.yaml"]
    assert [[Path(c.display).name for c in files] for files in chosen.fallback.values()] == [["a.yaml", "z.yaml", "s.yaml"]]
    assert chosen.skipped == []  # the patch is part of the build: left out quietly when it renders
    assert [Path(item.path).name for item in plan(candidates, render=False).skipped] == ["p.yaml"]
