"""A repository cannot make policylint read outside it (SECURITY.md, issue "Security: boundary").

One temporary git repository holds every vector at once, each pointing at files outside it that
carry a secret token; the real CLI runs on it in a child process (a FIFO or device opened by
mistake would block: the timeout turns that into a failure) and writes every output format. No
byte of the token may appear in any of them, each vector leaves its notice or finding, and the
symlinks that stay inside the repository keep working.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from support import ROOT

SECRET = "s3cr3t-leak-7f3a"
TIMEOUT = 120
#: Formats of `check` (all written by one run) and of `report`.
CHECK_FORMATS = ("text", "json", "sarif", "junit", "github", "gitlab")
REPORT_FORMATS = ("html", "markdown", "json")
OUTSIDE_NOTICE = "symbolic link leads outside the repository: not read"

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: app
      image: {image}
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _link(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)


def _git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True, timeout=60)


def _outside(base: Path) -> Path:
    """Files outside the repository, each holding the token where a finding would show it."""
    outside = base / "outside"
    _write(outside / "secret.yaml", POD.format(name=SECRET, image=f"{SECRET}:latest"))
    _write(outside / "hostname", SECRET)
    _write(outside / "inc.yml", f"leak:\n  image: {SECRET}:latest\n  script: echo {SECRET}\n")
    _write(outside / "secret.env", f"TOKEN={SECRET}\n")
    _write(outside / "leak.tpl", '{{- define "leak" -}}' + SECRET + "{{- end -}}\n")
    _write(outside / "app" / "kustomization.yaml", "resources: [pod.yaml]\n")
    _write(outside / "app" / "pod.yaml", POD.format(name=SECRET, image=f"{SECRET}:latest"))
    _write(outside / "compose.yml", f"services:\n  leak:\n    image: {SECRET}:latest\n")
    _write(outside / "Dockerfile", f"FROM {SECRET}:latest\n")
    _write(outside / "values.yaml", f"image: {SECRET}:latest\n")
    _write(outside / "policies" / "p.yaml", f"id: {SECRET}\n")
    os.mkfifo(outside / "fifo")
    return outside


def _repository(base: Path, outside: Path) -> Path:
    repo = base / "repo"
    _git_init(repo)
    # 1. A manifest that is a link out, a folder that is a link out, a device; links that stay inside.
    _link(repo / "k8s" / "linked.yaml", outside / "secret.yaml")
    _link(repo / "k8s" / "external", outside)
    _link(repo / "k8s" / "zero.yaml", "/dev/zero")
    _write(repo / "real" / "app.yaml", POD.format(name="inside", image="inside-image:latest"))
    _link(repo / "k8s" / "inside-link.yaml", "../real/app.yaml")
    _link(repo / "k8s" / "inside-folder", "../real")
    # A FIFO inside the repository (a runner's leftover), reached through a link, and loops.
    os.mkfifo(repo / "pipe")
    _link(repo / "k8s" / "pipe.yaml", "../pipe")
    _link(repo / "loop" / "a.yaml", "b.yaml")
    _link(repo / "loop" / "b.yaml", "a.yaml")
    _link(repo / "loop" / "self", ".")
    # 2. GitLab local includes out of the repository: by `..`, by a leading `/..`, through a link.
    _write(repo / ".gitlab-ci.yml", (
        "include:\n"
        "  - local: ../outside/inc.yml\n"
        "  - local: /../outside/inc.yml\n"
        "  - local: /ci/linked.yml\n"
        "  - local: /ci/inside.yml\n"
        "test:\n  image: alpine:3.20\n  script: make test\n"
    ))
    _link(repo / "ci" / "linked.yml", outside / "inc.yml")
    _write(repo / "ci" / "real.yml", "lint:\n  image: inside-lint:latest\n  script: make lint\n")
    _link(repo / "ci" / "inside.yml", "real.yml")
    # 3. A Helm chart whose links lead out: .Files.Get, .Files.Glob, tpl, include, a values file,
    #    a packed subchart holding a link, a file:// dependency; and a link that stays in the chart.
    chart = repo / "chart"
    _write(chart / "Chart.yaml", (
        "apiVersion: v2\nname: web\nversion: 1.0.0\n"
        "dependencies:\n  - name: outer\n    version: 1.0.0\n    repository: file://../../outside/app\n"
    ))
    _write(chart / "values.yaml", "replicas: 1\n")
    _link(chart / "leaked.txt", outside / "hostname")
    _link(chart / "files" / "secret.env", outside / "secret.env")
    _write(chart / "files" / "real.txt", "inside-chart-image:latest")
    _link(chart / "inside.txt", "files/real.txt")
    _link(chart / "templates" / "_leak.tpl", outside / "leak.tpl")
    _link(chart / "ci" / "leak-values.yaml", outside / "values.yaml")
    _write(chart / "templates" / "pod.yaml", (
        "apiVersion: v1\nkind: Pod\nmetadata:\n"
        '  name: "files-{{ .Files.Get "leaked.txt" | trim }}"\n'
        "  annotations:\n"
        '    glob: "{{ range $path, $_ := .Files.Glob "files/*" }}{{ $.Files.Get $path | trim }}{{ end }}"\n'
        '    tpl: "{{ tpl (.Files.Get "leaked.txt") . }}"\n'
        '    include: "{{ if (.Files.Get "templates/_leak.tpl") }}{{ include "leak" . }}{{ end }}"\n'
        '    values: "{{ .Values.image | default "none" }}"\n'
        "spec:\n  containers:\n    - name: app\n"
        '      image: "{{ .Files.Get "inside.txt" | trim }}"\n'
    ))
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        member = tarfile.TarInfo("sub/leak.txt")
        member.type, member.linkname = tarfile.SYMTYPE, str(outside / "hostname")
        archive.addfile(member)
    (chart / "charts").mkdir()
    (chart / "charts" / "sub-1.0.0.tgz").write_bytes(packed.getvalue())
    # 4. Kustomize: a resource folder out of the repository, and a generator file linked out.
    _write(repo / "kz" / "out" / "kustomization.yaml", "resources:\n  - ../../../outside/app\n")
    _write(repo / "kz" / "env" / "kustomization.yaml", (
        "resources: [pod.yaml]\nconfigMapGenerator:\n  - name: cfg\n    envs: [secret.env]\n"
    ))
    _write(repo / "kz" / "env" / "pod.yaml", POD.format(name="kz-pod", image="kz-image:1.0"))
    _link(repo / "kz" / "env" / "secret.env", outside / "secret.env")
    # 5. Compose: every field that names another file, each leading out.
    _write(repo / "compose.yaml", (
        "include:\n  - ../outside/compose.yml\n"
        "services:\n  web:\n    image: web:1.0\n"
        "    env_file: [../outside/secret.env]\n"
        "    extends:\n      file: ../outside/compose.yml\n      service: leak\n"
        "    build:\n      context: ../outside\n      dockerfile: ../outside/Dockerfile\n"
    ))
    # 6. A Dockerfile whose COPY/ADD sources lead out (one a FIFO): sources are never opened.
    _write(repo / "Dockerfile", (
        "FROM alpine:3.20\nCOPY ../outside/fifo /fifo\nADD ../outside/hostname /etc/hostname\n"
        "COPY --from=builder /outside/secret.env /x\nUSER 1000\n"
    ))
    return repo


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POLICYLINT_NO_CACHE": "1", "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    completed = subprocess.run(
        [sys.executable, "-m", "policylint", *args], cwd=repo, env=env, capture_output=True, text=True,
        timeout=TIMEOUT, check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The repository, and every output of `check` and `report` on it."""
    base = tmp_path_factory.mktemp("boundary")
    repo = _repository(base, _outside(base))
    outputs: dict[str, str] = {}
    args = ["check", ".", "--no-progress", "--jobs", "1", "--kustomize"]
    for name in CHECK_FORMATS:
        args += ["--format", name, "-o", str(base / f"check.{name}")]
    completed = _run(repo, *args)
    outputs["check stdout"], outputs["check stderr"] = completed.stdout, completed.stderr
    for name in CHECK_FORMATS:
        outputs[f"check {name}"] = (base / f"check.{name}").read_text(encoding="utf-8")
    for name in REPORT_FORMATS:
        report = _run(repo, "report", ".", "--framework", "cis-k8s", "--framework", "owasp-cicd", "--format", name)
        outputs[f"report {name}"], outputs[f"report {name} stderr"] = report.stdout, report.stderr
    findings = json.loads(outputs["check json"])["findings"]
    return {"repo": repo, "outputs": outputs, "findings": findings, "code": completed.returncode}


@pytest.mark.parametrize("output", [
    *(f"check {name}" for name in CHECK_FORMATS), "check stdout", "check stderr",
    *(f"report {name}" for name in REPORT_FORMATS), *(f"report {name} stderr" for name in REPORT_FORMATS),
])
def test_no_byte_of_an_outside_file_appears_in_any_output(hostile: dict[str, Any], output: str) -> None:
    text = hostile["outputs"][output]
    assert SECRET not in text.lower(), f"{output} shows content read outside the repository"


def test_every_output_still_parses(hostile: dict[str, Any]) -> None:
    outputs = hostile["outputs"]
    for name in ("check json", "check sarif", "check gitlab", "report json"):
        json.loads(outputs[name])
    ET.fromstring(outputs["check junit"])
    assert outputs["report html"].lstrip().lower().startswith("<!doctype html")


def _notices(hostile: dict[str, Any]) -> list[str]:
    return [line for line in hostile["outputs"]["check stderr"].splitlines() if line.startswith("policylint: notice:")]


def test_links_out_of_the_repository_are_skipped_with_a_notice_naming_the_link(hostile: dict[str, Any]) -> None:
    notices = _notices(hostile)
    for link in ("k8s/linked.yaml", "k8s/external", "k8s/zero.yaml"):
        assert f"policylint: notice: {link}: {OUTSIDE_NOTICE}" in notices
    assert "policylint: notice: k8s/pipe.yaml: not a regular file (a FIFO, socket or device): not read" in notices
    paths = {finding["path"] for finding in hostile["findings"]}
    assert not any(path.startswith(("k8s/linked", "k8s/external", "k8s/zero", "k8s/pipe")) for path in paths)


def test_links_inside_the_repository_keep_working(hostile: dict[str, Any]) -> None:
    found = {(finding["path"], finding["rule_id"]) for finding in hostile["findings"]}
    assert ("k8s/inside-link.yaml", "k8s-image-tag-latest") in found
    # The folder `real/` is walked once, by the first path that reaches it (a link inside counts).
    assert ("k8s/inside-folder/app.yaml", "k8s-image-tag-latest") in found
    # A GitLab include through a link inside the repository is merged: its job is judged.
    assert any(f["path"] == "ci/inside.yml" and f["rule_id"] == "gitlab-image-tag-latest" for f in hostile["findings"])
    # The chart renders, and its link inside the chart is read (`.Files.Get "inside.txt"`).
    chart = [f for f in hostile["findings"] if f["path"] == "chart/templates/pod.yaml"]
    assert any(f["rule_id"] == "k8s-image-tag-latest" and "inside-chart-image" in f["message"] for f in chart), chart


def test_gitlab_local_includes_outside_are_findings_at_the_include(hostile: dict[str, Any]) -> None:
    refused = sorted((f["line"], f["message"]) for f in hostile["findings"]
                     if f["rule_id"] == "gitlab-include-outside-repository")
    assert refused == [
        (2, "local include ../outside/inc.yml leads outside the repository: refused, not read"),
        (3, "local include /../outside/inc.yml leads outside the repository: refused, not read"),
        (4, "local include /ci/linked.yml leads outside the repository: refused, not read"),
    ]
    assert not any(f["path"].startswith("../") or "outside" in f["path"] for f in hostile["findings"])


def test_chart_links_out_are_left_out_of_the_rendering(hostile: dict[str, Any]) -> None:
    notices = _notices(hostile)
    for link in ("chart/leaked.txt", "chart/files/secret.env", "chart/templates/_leak.tpl", "chart/ci/leak-values.yaml"):
        assert any(line.startswith(f"policylint: notice: {link}: symbolic link leads outside the chart") for line in notices), link
    assert any(line.startswith("policylint: notice: chart/charts/sub-1.0.0.tgz: packed subchart holds a") for line in notices)


def test_kustomize_never_reads_outside(hostile: dict[str, Any]) -> None:
    errors = {f["path"]: f["message"] for f in hostile["findings"] if f["rule_id"] == "parse-error"}
    assert "'../../../outside/app' leads outside the repository" in errors["kz/out/kustomization.yaml"]
    # The generator file linked out: kustomize's own root-only load restriction refuses it.
    assert "kustomize build failed" in errors["kz/env/kustomization.yaml"]


def test_load_restriction_is_explicit() -> None:
    from policylint.kinds.kubernetes.kustomize import LOAD_RESTRICTION

    assert LOAD_RESTRICTION == ("--load-restrictor", "LoadRestrictionsRootOnly")


def test_compose_and_dockerfile_references_are_never_opened(hostile: dict[str, Any]) -> None:
    # The FIFO named by COPY would block the run if opened; reaching here in time proves it was not.
    files = {f["path"] for f in hostile["findings"]}
    assert {"compose.yaml", "Dockerfile"} <= files
    assert all("outside" not in path for path in files)


def test_named_links_are_refused_like_walked_ones(tmp_path: Path) -> None:
    """pre-commit names the changed files: a committed link out of the repository is one of them."""
    repo = _repository(tmp_path, _outside(tmp_path))
    completed = _run(repo, "check", "k8s/linked.yaml", "k8s/zero.yaml", "k8s/pipe.yaml", "loop/a.yaml",
                     "--format", "json", "--no-progress")
    assert completed.returncode == 1  # loop/a.yaml cannot be read: a parse-error, not a hang
    assert SECRET not in completed.stdout + completed.stderr
    assert f"policylint: notice: k8s/linked.yaml: {OUTSIDE_NOTICE}" in completed.stderr
    assert f"policylint: notice: k8s/zero.yaml: {OUTSIDE_NOTICE}" in completed.stderr
    assert "policylint: notice: k8s/pipe.yaml: not a regular file" in completed.stderr
    findings = json.loads(completed.stdout)["findings"]
    assert [(f["path"], f["rule_id"]) for f in findings] == [("loop/a.yaml", "parse-error")]


@pytest.mark.parametrize(("key", "text"), [
    ("1: policy-dirs[0]", "policy-dirs: [../outside/policies]\n"),
    ("1: baseline", "baseline: ../outside/secret.env\n"),
    ("1: context[0]", "context: [../outside]\n"),
    ("2: helm.values[0]", "helm:\n  values: [/etc/hostname]\n"),
])
def test_a_configuration_in_the_repository_names_no_path_outside_it(tmp_path: Path, key: str, text: str) -> None:
    repo = _repository(tmp_path, _outside(tmp_path))
    _write(repo / ".policylint.yaml", text)
    completed = _run(repo, "check", "real", "--no-progress")
    assert completed.returncode == 2
    assert f".policylint.yaml:{key}: " in completed.stderr
    assert "leads outside the repository" in completed.stderr
    assert SECRET not in completed.stdout + completed.stderr


def test_paths_given_on_the_command_line_are_trusted(tmp_path: Path) -> None:
    """--config, --context and --policies name what the user chose; the boundary does not apply to them."""
    outside = _outside(tmp_path)
    repo = tmp_path / "repo"
    _git_init(repo)
    _write(repo / "real" / "app.yaml", POD.format(name="inside", image="inside-image:1.0"))
    _write(outside / "config.yaml", "context: [../outside/app]\n")
    completed = _run(repo, "check", "real", "--config", str(outside / "config.yaml"), "--format", "json", "--no-progress")
    assert completed.returncode in (0, 1), completed.stderr
    completed = _run(repo, "check", "real", "--context", str(outside / "app"), "--format", "json", "--no-progress")
    assert completed.returncode in (0, 1), completed.stderr
    assert "leads outside" not in completed.stderr
