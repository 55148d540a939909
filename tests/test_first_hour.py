"""The first hour of a new user (issue 26): the CLI run end to end on real temporary git repositories.

Each test builds a small repository with `git init`, runs `policylint check` the way the README
says, and asserts what the user sees: exit codes, the lines on stdout and stderr, files written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:1.27
"""

ROOT_SELECT = ("--select", "k8s-run-as-root")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding one Pod that runs as root, under deploy/."""
    root = tmp_path / "repo"
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / "pod.yaml").write_text(POD)
    (root / "README.md").write_text("# demo\n")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    return root


# -- item 8: output options ----------------------------------------------------------------------


def test_output_file_alone_writes_the_default_format_and_prints_the_summary(repo, run_cli):
    code, out, err = run_cli("check", ".", *ROOT_SELECT, "-o", "report.txt", cwd=repo)
    assert code == 1
    assert "deploy/pod.yaml:7:7 high k8s-run-as-root" in (repo / "report.txt").read_text()
    assert (out, err) == ("", "1 finding (1 high) in 1 file. Wrote text to report.txt.\n")


def test_two_formats_for_the_terminal_is_an_error_naming_the_one_to_redirect(repo, run_cli):
    code, out, err = run_cli("check", ".", "--format", "json", "--format", "sarif", cwd=repo)
    assert code == 2
    assert out == ""
    assert "--format json and --format sarif would all print to the terminal" in err
    assert "(--format json --output FILE)" in err


def test_sarif_to_a_file_still_tells_the_terminal_the_summary(repo, run_cli):
    code, out, err = run_cli("check", ".", *ROOT_SELECT, "--format", "sarif", "-o", "out.sarif", cwd=repo)
    assert code == 1
    assert (out, err) == ("", "1 finding (1 high) in 1 file. Wrote sarif to out.sarif.\n")
    assert len(json.loads((repo / "out.sarif").read_text())["runs"][0]["results"]) == 1


def test_quiet_summary_is_not_printed_when_every_format_goes_to_files(repo, run_cli):
    code, out, err = run_cli("check", ".", *ROOT_SELECT, "-q", "--format", "json", "-o", "out.json", cwd=repo)
    assert (code, out, err) == (1, "", "")


# -- item 9: naming a file of no known kind ------------------------------------------------------


def test_git_diff_name_only_into_check(repo, run_cli):
    (repo / "tool.py").write_text("print('hi')\n")
    (repo / "notes.txt").write_text("a: [\n")
    names = ["README.md", "tool.py", "notes.txt", "deploy/pod.yaml"]
    code, out, err = run_cli("check", *names, *ROOT_SELECT, "--no-color", cwd=repo)
    assert code == 1
    assert "parse-error" not in out
    assert "1 finding (1 high) in 1 file." in out
    assert ("policylint: notice: 3 files: not a file kind policylint checks (by its name): skipped "
            "(first: README.md; --verbose lists them)") in err
    _, _, verbose = run_cli("check", *names, *ROOT_SELECT, "--verbose", cwd=repo)
    assert "policylint: notice: tool.py: not a file kind policylint checks (by its name): skipped" in verbose


def test_named_file_of_a_known_kind_that_does_not_parse_stays_a_parse_error(repo, run_cli):
    (repo / "deploy" / "broken.yaml").write_text("kind: [\n")
    code, out, _ = run_cli("check", "deploy/broken.yaml", "--no-color", cwd=repo)
    assert code == 1
    assert "deploy/broken.yaml:" in out and "parse-error" in out


# -- item 4: quiet -------------------------------------------------------------------------------


def test_quiet_prints_findings_only(repo, run_cli):
    (repo / "deploy" / "kustomization.yaml").write_text("resources: [pod.yaml]\npatches: [{path: patch.yaml}]\n")
    (repo / "deploy" / "patch.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    code, out, err = run_cli("check", ".", *ROOT_SELECT, "README.md", "-q", "--no-color", "--no-kustomize", cwd=repo)
    assert code == 1
    assert err == ""
    assert out == ("deploy/pod.yaml\n  deploy/pod.yaml:7:7 high k8s-run-as-root container web may run as root "
                   "(effective runAsNonRoot is not true or runAsUser is 0)\n")
    code, out, err = run_cli("check", "deploy/patch.yaml", "-q", "--no-kustomize", cwd=repo)
    assert (code, out, err) == (0, "", "")


def test_native_writes_to_fd2_are_captured_not_mixed_into_the_terminal(capfd):
    """The Helm SDK logs from Go straight to file descriptor 2; those lines become --verbose notes."""
    import os

    from policylint.notices import captured_fd2

    lines: list[str] = []
    with captured_fd2(lines):
        os.write(2, b"walk.go:74: found symbolic link in path\n\n")
    os.write(2, b"after\n")
    assert lines == ["walk.go:74: found symbolic link in path"]
    assert capfd.readouterr().err == "after\n"


# -- item 2: baselines that survive `cd` ---------------------------------------------------------


def test_baseline_written_at_the_root_matches_from_a_subfolder_and_from_the_parent(repo, run_cli):
    code, _, err = run_cli("check", ".", *ROOT_SELECT, "--write-baseline", "baseline.json", cwd=repo)
    assert code == 0 and "wrote 1 finding(s) to baseline baseline.json" in err
    recorded = json.loads((repo / "baseline.json").read_text())
    assert recorded["version"] == 2
    assert [entry["path"] for entry in recorded["findings"]] == ["deploy/pod.yaml"]
    code, out, _ = run_cli("check", ".", *ROOT_SELECT, "--baseline", "../baseline.json", cwd=repo / "deploy")
    assert (code, out) == (0, "No findings in 1 file; 1 suppressed.\n")
    code, out, _ = run_cli("check", "repo", *ROOT_SELECT, "--baseline", "repo/baseline.json", cwd=repo.parent)
    assert (code, out) == (0, "No findings in 2 files; 1 suppressed.\n")  # the baseline is JSON: read too
    # a new finding is still reported
    (repo / "deploy" / "other.yaml").write_text(POD.replace("name: web\n", "name: api\n", 1))
    code, out, _ = run_cli("check", ".", *ROOT_SELECT, "--baseline", "../baseline.json", "--no-color", cwd=repo / "deploy")
    assert code == 1 and "other.yaml:7:7 high k8s-run-as-root" in out and "1 suppressed" in out


def test_baseline_of_the_previous_format_is_still_read(repo, run_cli, monkeypatch):
    from policylint.options import RunOptions
    from policylint.runner import check

    monkeypatch.chdir(repo / "deploy")
    finding = check(RunOptions(paths=["."], select=["k8s-run-as-root"])).findings[0]
    legacy = finding.with_fingerprint(0).fingerprint  # version 1: the path as shown from the working folder
    assert legacy != finding.fingerprint
    (repo / "deploy" / "old.json").write_text(json.dumps({"version": 1, "tool": "policylint", "findings": [
        {"fingerprint": legacy, "rule_id": "k8s-run-as-root", "path": "pod.yaml"}]}))
    code, out, _ = run_cli("check", "pod.yaml", *ROOT_SELECT, "--baseline", "old.json", cwd=repo / "deploy")
    assert (code, out) == (0, "No findings in 1 file; 1 suppressed.\n")


def test_write_baseline_when_the_configured_baseline_does_not_exist_yet(repo, run_cli):
    (repo / ".policylint.yaml").write_text("baseline: .policylint-baseline.json\n")
    code, _, err = run_cli("check", ".", *ROOT_SELECT, "--write-baseline", "../.policylint-baseline.json",
                           cwd=repo / "deploy")
    assert code == 0, err
    code, out, _ = run_cli("check", ".", *ROOT_SELECT, cwd=repo / "deploy")
    assert (code, out) == (0, "No findings in 1 file; 1 suppressed.\n")


# -- item 6: suppressions on nodes, and forms policylint does not read -----------------------------

WORKFLOW = """\
name: ci
on: [pull_request_target]
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      # policylint: ignore[gha-script-injection] -- the title is printed, never evaluated
      - name: greet
        env:
          X: "1"
        run: echo "${{ github.event.pull_request.title }}"
      - name: again
        run: echo "${{ github.event.pull_request.title }}"
"""


def test_comment_above_a_step_covers_findings_inside_the_step_only(repo, run_cli):
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    code, out, _ = run_cli("check", ".github/workflows/ci.yml", "--select", "gha-script-injection", "--no-color",
                           cwd=repo)
    assert code == 1
    assert ":13:" not in out  # inside the commented step
    assert ".github/workflows/ci.yml:15:20 critical gha-script-injection" in out  # the next step is not covered
    assert "1 finding (1 critical) in 1 file; 1 suppressed." in out


def test_trailing_comment_on_a_container_covers_its_keys_and_a_leaf_comment_its_line(repo, run_cli):
    pod = POD.replace("image: nginx:1.27", "image: nginx:latest")
    (repo / "deploy" / "pod.yaml").write_text(pod.replace(
        "- name: web\n", "- name: web  # policylint: ignore[k8s-image-tag-latest,k8s-run-as-root] -- demo image\n"))
    code, out, _ = run_cli("check", "deploy/pod.yaml", "--select", "k8s-image-tag-latest,k8s-run-as-root",
                           "--no-color", cwd=repo)
    assert (code, out) == (0, "No findings in 1 file; 2 suppressed.\n")
    # on the leaf key `name:` of the metadata, the comment covers that line only
    (repo / "deploy" / "pod.yaml").write_text(pod.replace(
        "  name: web\nspec", "  name: web  # policylint: ignore[k8s-image-tag-latest] -- not here\nspec"))
    code, out, _ = run_cli("check", "deploy/pod.yaml", "--select", "k8s-image-tag-latest", "--no-color",
                           "--warn-unused-suppressions", cwd=repo)
    assert code == 1
    assert "deploy/pod.yaml:8:7 high k8s-image-tag-latest" in out
    assert "deploy/pod.yaml:4:14 low suppression-unused ignore[k8s-image-tag-latest] matches no finding" in out


def test_a_policylint_comment_of_no_known_form_is_suppression_invalid(repo, run_cli):
    (repo / "deploy" / "pod.yaml").write_text(POD.replace(
        "- name: web\n", "- name: web  # policylint: disable=k8s-run-as-root\n"))
    code, out, _ = run_cli("check", "deploy/pod.yaml", *ROOT_SELECT, "--no-color", cwd=repo)
    assert code == 1
    assert ("deploy/pod.yaml:7:18 low suppression-invalid suppression refused: 'policylint: disable=k8s-run-as-root' "
            "is not a suppression policylint reads") in out
    assert "# policylint: ignore[<policy-id>,...] [until=YYYY-MM-DD] -- <reason>" in out
    assert "k8s-run-as-root container web" in out  # and the finding is not hidden


# -- item 7: one vocabulary ----------------------------------------------------------------------


def test_config_select_ignore_and_per_path_ignores(repo, run_cli):
    (repo / "deploy" / "legacy.yaml").write_text(POD.replace("name: web\n", "name: old\n", 1))
    (repo / ".policylint.yaml").write_text(
        "select: [k8s]\n"
        "ignore: [k8s-image-tag-latest, k8s-service-account-token-mounted]\n"
        "per-path-ignores:\n"
        "  - paths: [deploy/legacy.yaml]\n"
        "    policies: [k8s-run-as-root]\n"
        "    reason: rebuilt next quarter\n")
    _, out, err = run_cli("check", ".", "--format", "json", cwd=repo / "deploy")
    assert err == ""
    found = json.loads(out)["findings"]
    ids = {finding["rule_id"] for finding in found}
    assert "k8s-run-as-root" in ids and not ids & {"k8s-image-tag-latest", "k8s-service-account-token-mounted"}
    assert all(finding["rule_id"].startswith("k8s-") for finding in found)
    legacy = [f for f in found if f["rule_id"] == "k8s-run-as-root" and f["path"] == "legacy.yaml"]
    assert legacy[0]["suppression"]["justification"] == "rebuilt next quarter"
    # the command line's --select replaces the file's
    _, out, _ = run_cli("check", ".", "--select", "k8s-run-as-root", "--format", "json", cwd=repo / "deploy")
    assert {finding["rule_id"] for finding in json.loads(out)["findings"]} == {"k8s-run-as-root"}


def test_old_config_keys_keep_working_with_a_deprecation_warning(repo, run_cli):
    (repo / ".policylint.yaml").write_text(
        "disable: [k8s-image-tag-latest]\n"
        "ignore:\n"
        "  - paths: [deploy/**]\n"
        "    policies: [k8s-run-as-root]\n"
        "    reason: vendor image\n")
    code, out, err = run_cli("check", ".", "--select", "k8s-run-as-root,k8s-image-tag-latest", "--format", "json",
                             cwd=repo)
    assert code == 0
    assert ("policylint: warning: .policylint.yaml:1: disable: is deprecated; write ignore: [k8s-image-tag-latest] "
            "(the same word as --ignore)") in err
    assert ("policylint: warning: .policylint.yaml:3: ignore[0]: a path suppression under ignore: is deprecated; "
            "move it under per-path-ignores: (same fields)") in err
    assert [f["suppression"]["kind"] for f in json.loads(out)["findings"]] == ["config"]


def test_every_config_error_at_once_with_file_line_and_key(repo, run_cli):
    (repo / ".policylint.yaml").write_text(
        "fail_on: high\n"
        "ignore: [k8s-run-as-root, {policies: [k8s-run-as-root], reasn: x}]\n"
        "profile: strict\n"
        "per-path-ignores:\n"
        "  - policies: [k8s-run-as-root]\n"
        "    reason: x\n"
        "    expires: 2026-13-45\n")
    code, out, err = run_cli("check", ".", cwd=repo)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "policylint: error: .policylint.yaml:1: fail_on: unknown key 'fail_on' (did you mean 'fail-on'?)",
        "policylint: error: .policylint.yaml:2: ignore[1].reasn: unknown key 'reasn' (did you mean 'reason'?)",
        "policylint: error: .policylint.yaml:2: ignore[1]: 'reason' is a required property",
        "policylint: error: .policylint.yaml:7: per-path-ignores[0].expires: '2026-13-45' is not a date (YYYY-MM-DD)",
        "policylint: error: .policylint.yaml:3: profile: 'strict' is not one of default, restricted "
        "(did you mean 'restricted'?)",
    ]


# -- item 4: what is (not) a Helm template, and the kustomize patch notice -------------------------


def test_templated_yaml_of_other_tools_is_not_called_a_helm_template(repo, run_cli):
    (repo / "renovate.json").write_text('{"commitMessageTopic": "{{{depName}}}", "labels": ["{{ .Values.x }}"]}\n')
    (repo / "tests").mkdir()
    (repo / "tests" / "deployment_test.yaml").write_text(
        "suite: deployment\ntemplates: [deployment.yaml]\ntests:\n  - it: sets replicas\n"
        "    set: {replicaCount: 2}\n    asserts:\n      - equal: {path: spec.replicas, value: '{{ .Values.replicaCount }}'}\n")
    (repo / "plugins").mkdir()
    (repo / "plugins" / "krew.yaml").write_text(
        "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nspec:\n"
        "  version: {{ .TagName }}\n  platforms:\n  - {{addURIAndSha \"https://x/{{ .TagName }}.tgz\" .TagName }}\n")
    manifest = repo / "deploy" / "templated.yaml"
    manifest.write_text("{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n{{- end }}\n")
    code, out, err = run_cli("check", ".", *ROOT_SELECT, "--verbose", "--include-test-data", cwd=repo)
    notices = [line for line in err.splitlines() if "Helm template" in line]
    assert notices == ["policylint: notice: deploy/templated.yaml: Helm template ({{ ... }}): render it first "
                       "(helm template ... | policylint check -)"]
    assert ("policylint: notice: plugins/krew.yaml: Go template of another tool ({{ ... }} that is not Helm's): "
            "not checked") in err
    assert "renovate.json" not in err + out and "deployment_test.yaml" not in err + out
    assert "parse-error" not in out and code == 1


def test_kustomize_patch_notice_says_it_was_skipped(repo, run_cli):
    (repo / "deploy" / "kustomization.yaml").write_text("resources: [pod.yaml]\npatches: [{path: patch.yaml}]\n")
    (repo / "deploy" / "patch.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n")
    _, _, err = run_cli("check", "deploy", *ROOT_SELECT, "--no-kustomize", cwd=repo)
    assert err == "policylint: notice: deploy/patch.yaml: kustomize patch: skipped (part of an overlay; use --kustomize)\n"


# -- item 3: no false green for charts -----------------------------------------------------------

CHART_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-web
data:
  replicas: {{ .Values.replicas | quote }}
"""


def test_a_chart_without_the_helm_library_is_a_finding_at_its_chart_yaml(repo, run_cli, monkeypatch):
    from policylint.kinds.kubernetes import helm

    monkeypatch.setattr(helm, "library_available", lambda: False)
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 2\n")
    (chart / "templates" / "configmap.yaml").write_text(CHART_TEMPLATE)
    code, out, err = run_cli("check", "charts/web/templates/configmap.yaml", "--no-color", cwd=repo)
    assert code == 1
    assert err == ""  # the finding says it for the chart: no "render it first" notice per template
    assert ("charts/web/Chart.yaml:1:1 medium helm-not-rendered chart charts/web was not rendered, so none of its "
            'templates were checked: install the Helm library (pip install "policylint[helm]")') in out
    code, out, err = run_cli("check", "charts", "--no-helm", "--no-color", cwd=repo)
    assert code == 0 and "helm-not-rendered" not in out  # skipping charts on purpose
    assert "Helm template" in err
    code, out, _ = run_cli("check", "charts", "--ignore", "helm-not-rendered", cwd=repo)
    assert code == 0 and "helm-not-rendered" not in out
    _, explained, _ = run_cli("explain", "helm-not-rendered")
    assert explained.startswith("helm-not-rendered (medium; made by policylint itself")


def test_explain_knows_the_findings_policylint_makes_itself(run_cli):
    for finding_id in ("parse-error", "policy-error", "suppression-invalid", "suppression-expired",
                       "suppression-unused"):
        code, out, _ = run_cli("explain", finding_id)
        assert code == 0 and out.startswith(f"{finding_id} (") and "How to fix it:" in out


def test_hooks_and_action_install_the_helm_and_kustomize_extras():
    import tomllib
    import yaml
    from support import ROOT

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    wanted = sorted([*extras["helm"], *extras["kustomize"]])
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()):
        assert sorted(hook["additional_dependencies"]) == wanted
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["inputs"]["extras"]["default"] == "helm,kustomize"
    install = action["runs"]["steps"][0]
    assert install["env"]["POLICYLINT_EXTRAS"] == "${{ inputs.extras }}"
    assert '"${ACTION_PATH}${extras}"' in install["run"] and '"policylint${extras}==$POLICYLINT_VERSION"' in install["run"]


# -- item 10: --exclude with gitignore's meaning -------------------------------------------------


def test_exclude_matches_at_any_depth_and_is_relative_to_the_repository_root(repo, run_cli):
    for folder in ("deploy/testdata", "deploy/app/testdata/deep", "build"):
        (repo / folder).mkdir(parents=True)
        (repo / folder / "bad.yaml").write_text(POD)
    (repo / "deploy" / "build").mkdir()
    (repo / "deploy" / "build" / "pod.yaml").write_text(POD)

    def paths(*args: str, cwd: Path = repo) -> list[str]:
        _, out, _ = run_cli("check", ".", *ROOT_SELECT, "--format", "json", "--include-test-data", *args, cwd=cwd)
        return sorted({finding["path"] for finding in json.loads(out)["findings"]})

    assert paths("--exclude", "testdata", "--exclude", "/build") == ["deploy/build/pod.yaml", "deploy/pod.yaml"]
    # from a subfolder, /build still means the root's build folder, and testdata any depth
    assert paths("--exclude", "testdata", "--exclude", "/build", cwd=repo / "deploy") == ["build/pod.yaml", "pod.yaml"]
    assert paths("--exclude", "deploy/build/") == ["build/bad.yaml", "deploy/app/testdata/deep/bad.yaml",
                                                   "deploy/pod.yaml", "deploy/testdata/bad.yaml"]
    assert paths("--exclude", "*.yaml", "--exclude", "!deploy/pod.yaml") == ["deploy/pod.yaml"]


def test_config_exclude_is_relative_to_the_config_file(repo, run_cli):
    (repo / "deploy" / "testdata").mkdir()
    (repo / "deploy" / "testdata" / "bad.yaml").write_text(POD)
    (repo / "deploy" / "legacy.yaml").write_text(POD)
    (repo / "deploy" / ".policylint.yaml").write_text("exclude: [testdata, /legacy.yaml]\n")
    _, out, _ = run_cli("check", "deploy", *ROOT_SELECT, "--format", "json", cwd=repo)
    assert sorted({finding["path"] for finding in json.loads(out)["findings"]}) == ["deploy/pod.yaml"]


# -- item 5: one finding per place across overlays -----------------------------------------------


def test_a_base_finding_rendered_by_two_overlays_is_reported_once(repo, run_cli):
    base = repo / "app" / "base"
    base.mkdir(parents=True)
    (base / "pod.yaml").write_text(POD)
    (base / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    for overlay in ("dev", "prod"):
        folder = repo / "app" / "overlays" / overlay
        folder.mkdir(parents=True)
        (folder / "kustomization.yaml").write_text(f"resources: [../../base]\nnamespace: {overlay}\n")
    # prod changes the image: its image finding differs word for word and stays its own
    (repo / "app" / "overlays" / "prod" / "kustomization.yaml").write_text(
        "resources: [../../base]\nnamespace: prod\nimages: [{name: nginx, newTag: latest}]\n")
    _, out, _ = run_cli("check", "app", "--kustomize", "--select", "k8s-run-as-root,k8s-image-tag-latest",
                           "--format", "json", cwd=repo)
    found = sorted((f["rule_id"], f["path"], f["line"], f["message"]) for f in json.loads(out)["findings"])
    assert found == [
        ("k8s-image-tag-latest", "app/base/pod.yaml", 8,
         "container web uses image nginx:latest with no tag or the latest tag and no digest "
         "(kustomize overlay app/overlays/prod)"),
        ("k8s-run-as-root", "app/base/pod.yaml", 7,
         "container web may run as root (effective runAsNonRoot is not true or runAsUser is 0) "
         "(kustomize overlays app/overlays/dev, app/overlays/prod)"),
    ]


def test_the_readme_configuration_example_runs_as_written(repo, run_cli):
    """The README's configuration block, pasted as is (issue 26: sections re-checked by following them)."""
    from support import ROOT

    text = (ROOT / "README.md").read_text()
    start = text.index("profile: default            # or restricted")
    block = text[start:text.index("```", start)]
    (repo / ".policylint.yaml").write_text(block)
    (repo / "org-policies").mkdir()
    code, out, err = run_cli("check", ".", "--no-color", cwd=repo)
    assert code == 1, err
    assert err == ("policylint: warning: baseline .policylint-baseline.json (from the configuration) does not exist "
                   "yet: write it with --write-baseline .policylint-baseline.json\n")
    assert "deploy/pod.yaml:7:7 high k8s-run-as-root" in out
    code, _, _ = run_cli("check", ".", "--write-baseline", ".policylint-baseline.json", cwd=repo)
    assert code == 0
    code, out, err = run_cli("check", ".", "--no-color", cwd=repo / "deploy")
    assert (code, err) == (0, "")
    assert out.endswith("suppressed.\n") and "k8s-run-as-root" not in out


# -- item 11: own policies and explain -----------------------------------------------------------


def test_explain_and_rules_json_show_parameters_and_their_defaults(run_cli):
    _, out, _ = run_cli("explain", "k8s-hpa-min-replicas-low")
    assert "Parameters (defaults; set them under `params:` in .policylint.yaml):\n  min: 2\n" in out
    _, out, _ = run_cli("rules", "--format", "json")
    rules = {rule["id"]: rule for rule in json.loads(out)}
    assert rules["k8s-hpa-min-replicas-low"]["params"] == {"min": 2}
    assert rules["k8s-run-as-root"]["params"] == {}


def test_test_policies_lists_every_problem_of_a_policy_file_at_once(tmp_path, run_cli):
    (tmp_path / "k8s-no-foo.yaml").write_text(
        "id: k8s-no-foo\ntitle: No foo\nseverity: hgih\nrationale: short\n"
        "match: {kinds: [Deployment], target: container}\n"
        "condition: {properties: {name: {not: {const: foo}}}}\nmessage: container is foo\n")
    code, _, err = run_cli("test-policies", str(tmp_path), cwd=tmp_path)
    assert code == 2
    path = tmp_path / "k8s-no-foo.yaml"
    assert err.splitlines() == [
        f"policylint: error: {path}:1: (top level): 'remediation' is a required property",
        f"policylint: error: {path}:1: (top level): 'examples' is a required property",
        f"policylint: error: {path}:4: rationale: 'short' is too short: write at least 10 characters",
        f"policylint: error: {path}:3: severity: 'hgih' is not one of ['critical', 'high', 'medium', 'low']",
    ]


ASSERT_POLICY = """\
id: k8s-org-memory-limit
title: Memory limit at most 2Gi
severity: medium
rationale: Our nodes have 8Gi; one container may not take more than a quarter of one.
remediation: Set resources.limits.memory to 2Gi or less.
match: {kinds: [workload], target: container}
assert:
  - expression: >-
      !has(object.resources) || !has(object.resources.limits) || !has(object.resources.limits.memory)
      || quantity(object.resources.limits.memory).compareTo(quantity('2Gi')) <= 0
    messageExpression: "'memory limit ' + object.resources.limits.memory + ' is above 2Gi'"
  - "object.image.contains(':')"
message: "container {name}: {reason} (value: {value})"
examples:
  fail:
    - |
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers:
          - name: app
            image: app:1
            resources: {limits: {memory: 4Gi}}  # expect: k8s-org-memory-limit
  pass:
    - |
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers:
          - name: app
            image: app:1
            resources: {limits: {memory: 1Gi}}
"""


def test_assert_value_is_the_failing_field_and_message_expression_works(repo, run_cli):
    (repo / "org").mkdir()
    (repo / "org" / "k8s-org-memory-limit.yaml").write_text(ASSERT_POLICY)
    (repo / "deploy" / "pod.yaml").write_text(POD.replace(
        "image: nginx:1.27\n", "image: nginx\n      resources: {limits: {memory: 3Gi}}\n"))
    code, out, _ = run_cli("check", "deploy", "--policies", "org", "--select", "k8s-org-memory-limit", "--no-color",
                           cwd=repo)
    assert code == 1
    assert ("deploy/pod.yaml:9:28 medium k8s-org-memory-limit container web: memory limit 3Gi is above 2Gi "
            "(value: 3Gi)") in out
    (repo / "deploy" / "pod.yaml").write_text(POD.replace("image: nginx:1.27\n", "image: nginx\n"))
    _, out, _ = run_cli("check", "deploy", "--policies", "org", "--select", "k8s-org-memory-limit", "--no-color",
                        cwd=repo)
    assert ("deploy/pod.yaml:8:7 medium k8s-org-memory-limit container web: assert failed: "
            "object.image.contains(':') (value: nginx)") in out
    code, out, _ = run_cli("test-policies", "org", cwd=repo)
    assert code == 0 and out.splitlines()[-1] == "2 passed, 0 failed"


VAP = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-cap.example.com}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
    - expression: "object.spec.replicas <= 3"
      fieldPath: spec.replicas
      message: at most 3 replicas
    - expression: "has(object.metadata.labels)"
      message: labels are required
"""

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""


def test_admission_policy_findings_point_at_the_field_path_else_the_kind_line(repo, run_cli):
    (repo / "org").mkdir()
    (repo / "org" / "replica-cap.yaml").write_text(VAP)
    (repo / "deploy" / "web.yaml").write_text(DEPLOY)
    _, out, _ = run_cli("check", "deploy/web.yaml", "--policies", "org", "--select", "replica-cap.example.com",
                        "--format", "json", cwd=repo)
    found = [(f["line"], f["column"], f["message"]) for f in json.loads(out)["findings"]]
    assert found == [(2, 1, "labels are required"), (6, 3, "at most 3 replicas")]


def test_admission_policy_examples_from_a_sibling_file(repo, run_cli):
    (repo / "org").mkdir()
    (repo / "org" / "replica-cap.yaml").write_text(VAP)
    fail = DEPLOY.replace("  replicas: 5\n", "  replicas: 5  # expect: replica-cap.example.com\n").replace(
        "kind: Deployment\n", "kind: Deployment  # expect: replica-cap.example.com\n")
    passing = DEPLOY.replace("  replicas: 5\n", "  replicas: 2\n").replace("  name: web\n", "  name: web\n  labels: {a: b}\n")
    import yaml

    (repo / "org" / "replica-cap.examples.yaml").write_text(yaml.safe_dump({"fail": [fail], "pass": [passing]}))
    code, out, _ = run_cli("test-policies", "org", cwd=repo)
    assert out.splitlines() == ["PASS replica-cap.example.com fail[0]", "PASS replica-cap.example.com pass[0]",
                                "2 passed, 0 failed"]
    assert code == 0
    # a wrong expectation fails
    (repo / "org" / "replica-cap.examples.yaml").write_text(yaml.safe_dump({"fail": [DEPLOY], "pass": [passing]}))
    code, out, _ = run_cli("test-policies", "org", cwd=repo)
    assert code == 1 and out.splitlines()[-1] == "1 passed, 1 failed"


# -- item 12: suggestions that fit the repository ------------------------------------------------

CI = """\
name: ci
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - run: go test ./...
"""


def test_dependency_audit_counts_renovate_and_suggests_a_scanner_for_the_languages(repo, run_cli):
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ci.yml").write_text(CI)
    (repo / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (repo / "package.json").write_text('{"name": "ui"}\n')

    def audit() -> list[str]:
        _, out, _ = run_cli("check", ".github/workflows/ci.yml", "--select", "gha-dependency-audit-missing",
                            "--format", "json", cwd=repo)
        return [finding["message"] for finding in json.loads(out)["findings"]]

    assert audit() == ["no workflow scans dependencies for vulnerabilities and neither Dependabot nor Renovate is "
                       "configured: add govulncheck (Go), npm audit (JavaScript) to CI, or configure .github/dependabot.yml"]
    (repo / "renovate.json5").write_text("{extends: ['config:recommended'], // JSON5\n}\n")
    assert audit() == []  # Renovate at the root counts like Dependabot, and JSON5 is never parsed
    (repo / "renovate.json5").unlink()
    (repo / ".github" / "renovate.json").write_text('{"extends": ["config:recommended"]}\n')
    assert audit() == []
    (repo / ".github" / "renovate.json").unlink()
    (repo / "go.mod").unlink()
    (repo / "package.json").unlink()
    assert audit() == ["no workflow scans dependencies for vulnerabilities and neither Dependabot nor Renovate is "
                       "configured: add osv-scanner or trivy to CI, or configure .github/dependabot.yml"]


def test_helm_variants_that_differ_only_in_the_object_name_give_one_finding(repo, run_cli):
    chart = repo / "charts" / "web"
    (chart / "templates").mkdir(parents=True)
    (chart / "ci").mkdir()
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("name: web\nreplicas: 2\n")
    (chart / "ci" / "renamed-values.yaml").write_text("name: web-ci\n")
    (chart / "ci" / "scaled-values.yaml").write_text("replicas: 1\n")
    (chart / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n  labels: {replicas: \"{{ .Values.replicas }}\"}\n"
        "spec:\n  containers:\n    - name: app\n      image: nginx:1.27\n")
    _, out, _ = run_cli("check", "charts", "--select", "k8s-service-account-token-mounted", "--format", "json",
                        cwd=repo)
    found = [(f["path"], f["line"], f["message"]) for f in json.loads(out)["findings"]]
    # the message names the object (web, or web-ci in one variant): still one place, one finding
    assert found == [("charts/web/templates/pod.yaml", 6, "the pod of Pod web uses the default service account with "
                      "its API token mounted (helm chart charts/web)")]
