"""Helm charts: rendered in-process, findings on template lines, values variants, broken charts."""

from __future__ import annotations

import shutil

import pytest
from support import ROOT

from policylint.kinds.kubernetes.helm import TemplateLines, library_available, plan
from policylint.options import RunOptions
from policylint.runner import check, load_paths

CHARTS = ROOT / "fixtures" / "helm"

pytestmark = pytest.mark.skipif(not library_available(), reason='the Helm library is missing: pip install "policylint[helm]"')


def _findings(paths, **options):
    report = check(RunOptions(paths=[str(path) for path in paths], jobs=1, **options))
    return report, sorted((f.path, f.line, f.policy_id, f.message) for f in report.active)


@pytest.fixture
def web(tmp_path, monkeypatch):
    """A copy of the fixture chart, under the current directory so paths are short."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CHARTS / "web", tmp_path / "web")
    return tmp_path / "web"


def test_chart_findings_land_on_template_lines_with_their_variant(web):
    _, found = _findings([web], select=["k8s-privileged-container", "k8s-run-as-root", "k8s-readiness-probe-missing"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [
        ("web/templates/deployment.yaml", 20, "k8s-readiness-probe-missing"),  # `- name: web`, the container itself
        ("web/templates/deployment.yaml", 25, "k8s-run-as-root"),  # the container's literal securityContext
        ("web/templates/deployment.yaml", 31, "k8s-privileged-container"),  # `privileged: true` under the toggle
    ]
    messages = {rule: message for _, _, rule, message in found}
    # Identical findings of the three renderings are reported once, for the chart's own values.
    assert messages["k8s-readiness-probe-missing"].endswith("(helm chart web)")
    assert messages["k8s-run-as-root"].endswith("(helm chart web (values ci/root-values.yaml))")
    assert messages["k8s-privileged-container"].endswith("(helm chart web (values ci/debug-values.yaml))")


def test_values_toggle_from_helm_values_file(web):
    (web / "ci").rename(web.parent / "unused-ci")
    _, plain = _findings([web], select=["k8s-privileged-container"])
    assert plain == []
    toggle = web.parent / "debug.yaml"
    toggle.write_text("debug:\n  privileged: true\n")
    _, found = _findings([web], select=["k8s-privileged-container"], helm_values=[str(toggle)])
    assert [(path, line, rule) for path, line, rule, _ in found] == [("web/templates/deployment.yaml", 31, "k8s-privileged-container")]
    assert found[0][3].endswith("(helm chart web (values debug.yaml))")


def test_helpers_render_labels_that_relations_see(web):
    # The Service selects the pods through labels written by _helpers.tpl: no "selects nothing" finding,
    # and the labels' findings map to the template line that includes them.
    report, found = _findings([web], select=["k8s"])
    assert not [item for item in found if item[2] == "k8s-service-selects-nothing"]
    # the report keeps what reporters read of each document; the loaded documents hold the positions
    assert {doc.origin for doc in report.documents if doc.kind == "Service"} == {
        "helm chart web", "helm chart web (values ci/debug-values.yaml)", "helm chart web (values ci/root-values.yaml)"}
    loaded, _ = load_paths([str(web)], RunOptions(paths=[str(web)], jobs=1))
    service = [doc for doc in loaded.documents if doc.kind == "Service"]
    labels = service[0].positions[("metadata", "labels", "app.kubernetes.io/name")]
    assert (service[0].path, labels.line) == ("web/templates/service.yaml", 5)  # `labels:` holding the include
    assert all(doc.path != "web/templates/NOTES.txt" for doc in report.documents)


def test_missing_dependency_is_a_finding_at_its_entry_and_other_charts_are_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CHARTS, tmp_path / "charts")
    report, found = _findings(["charts"], select=["k8s-privileged-container", "helm-dependency-missing"])
    missing = [(path, line, rule) for path, line, rule, _ in found if rule != "k8s-privileged-container"]
    assert missing == [("charts/needs-redis/Chart.yaml", 5, "helm-dependency-missing"),
                       ("charts/needs-redis/Chart.yaml", 8, "helm-dependency-missing")]
    assert all(f.severity == "medium" for f in report.active if f.policy_id == "helm-dependency-missing")
    message = next(m for p, line, r, m in found if line == 8)
    assert "'redis' 19.0.0 is missing from charts/" in message and "helm dependency build" in message
    assert ("charts/web/templates/deployment.yaml", 31, "k8s-privileged-container") in [item[:3] for item in found]
    assert report.exit_code() == 1
    # not a parse-error: a gate can let it pass (--fail-on high, or --ignore helm-dependency-missing)
    report, found = _findings(["charts"], select=["helm-dependency-missing"], fail_on="high")
    assert found and report.exit_code() == 0


def test_values_schema_errors_become_helm_values_invalid(web):
    bad = web.parent / "bad.yaml"
    bad.write_text("image:\n  tag: v2\nreplicaCount: 0\n")
    _, found = _findings([web], select=["helm-values-invalid"], helm_values=[str(bad)])
    assert [(path, line, rule) for path, line, rule, _ in found] == [("bad.yaml", 3, "helm-values-invalid")]
    assert "/replicaCount: minimum: got 0, want 1" in found[0][3]


def test_render_error_points_at_the_template_line(web):
    (web / "templates" / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.deeper }}\n")
    _, found = _findings([web], select=["k8s-privileged-container"])
    errors = {(path, line) for path, line, rule, _ in found if rule == "parse-error"}
    assert errors == {("web/templates/broken.yaml", 4)}
    assert any(rule == "k8s-privileged-container" for _, _, rule, _ in found) is False  # the chart failed as a whole


def test_no_helm_skips_templates_with_the_render_notice(web):
    report, found = _findings([web], helm=False)
    assert found == []
    assert {item.reason.split(":")[0] for item in report.skipped} == {"Helm template ({{ ... }})"}


def test_without_the_library_one_finding_says_how_to_install_it(web, monkeypatch):
    """Not a notice: a chart left unchecked must not pass (issue 26, item 3)."""
    monkeypatch.setattr("policylint.kinds.kubernetes.helm.library_available", lambda: False)
    report = check(RunOptions(paths=[str(web)], jobs=1))
    assert [item for item in report.skipped if "policylint[helm]" in item.reason] == []
    found = [(f.policy_id, f.severity, f.line) for f in report.active if f.policy_id == "helm-not-rendered"]
    assert found == [("helm-not-rendered", "medium", 1)]
    assert report.exit_code() == 1


def test_rendered_stream_on_stdin_still_works(web):
    import helm_python

    with helm_python.Chart.load(str(web)) as chart:
        rendered = chart.render({"debug": {"privileged": True}}, name="demo")
    text = "".join(f"---\n# Source: {name}\n{body}" for name, body in sorted(rendered.items()) if name.endswith(".yaml"))
    report = check(RunOptions(paths=["-"], stdin_text=text, select=["k8s-privileged-container"], jobs=1))
    assert [(f.policy_id, f.path) for f in report.active] == [("k8s-privileged-container", "<stdin>")]
    assert report.exit_code() == 1


def test_plan_renders_the_outermost_chart_only(web):
    (web / "charts" / "sub" / "templates").mkdir(parents=True)
    (web / "charts" / "sub" / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    from policylint.discovery import discover

    charts = plan(discover(["."]), render=True)
    assert [chart.root.name for chart in charts.charts] == ["web"]
    assert charts.candidates == []


def test_template_lines_prefer_the_key_path_then_a_parent_then_the_name():
    lines = TemplateLines(
        "spec:\n  template:\n    spec:\n      securityContext:\n        {{- toYaml .Values.pod | nindent 8 }}\n"
        "      containers:\n        - name: app\n          securityContext:\n            runAsUser: 0\n"
    )
    assert lines.locate(("spec", "template", "spec", "containers", 0, "securityContext", "runAsUser")).line == 9
    assert lines.locate(("spec", "template", "spec", "securityContext", "runAsNonRoot")).line == 4
    assert lines.locate(("spec", "template", "spec", "containers", 0, "securityContext")).line == 8


def test_a_rendering_that_runs_too_long_is_given_up_and_other_charts_are_checked(tmp_path, monkeypatch):
    # About 6M loop steps: seconds of work, far over the half second allowed, and over soon after.
    monkeypatch.chdir(tmp_path)
    slow = tmp_path / "slow"
    (slow / "templates").mkdir(parents=True)
    (slow / "Chart.yaml").write_text("apiVersion: v2\nname: slow\nversion: 0.1.0\n")
    (slow / "templates" / "loop.yaml").write_text(
        "{{- range $i := until 2500 }}{{- range $j := until 2500 }}{{ $i }}{{ end }}{{ end }}\n")
    shutil.copytree(CHARTS / "web", tmp_path / "web")
    monkeypatch.setattr("policylint.kinds.kubernetes.helm.RENDER_TIMEOUT_SECONDS", 0.5)
    _, found = _findings(["slow", "web"], select=["k8s-privileged-container"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [
        ("slow/Chart.yaml", 1, "parse-error"),
        ("web/templates/deployment.yaml", 31, "k8s-privileged-container"),
    ]
    assert "rendering stopped after 0.5 s" in found[0][3]


def test_configuration_sets_values_release_and_can_turn_charts_off(web, run_json):
    (web / "ci").rename(web.parent / "unused-ci")
    (web.parent / "debug.yaml").write_text("debug:\n  privileged: true\n")
    (web.parent / ".policylint.yaml").write_text(
        "helm:\n  values: [debug.yaml]\n  release-name: shop\n  namespace: prod\n")
    code, report = run_json("--select", "k8s-privileged-container", "web", cwd=web.parent)
    assert [(f["path"], f["line"], f["resource"]["name"], f["resource"]["namespace"]) for f in report["findings"]] == [
        ("web/templates/deployment.yaml", 31, "shop-web", "prod"),
    ]
    assert report["findings"][0]["message"].endswith("(helm chart web (values debug.yaml))")
    (web.parent / ".policylint.yaml").write_text("helm: false\n")
    code, report = run_json("--select", "k8s-privileged-container", "web", cwd=web.parent)
    assert (code, report["findings"]) == (0, [])
    code, report = run_json("--select", "k8s-privileged-container", "--helm", "--helm-values", "debug.yaml", "web", cwd=web.parent)
    assert [f["line"] for f in report["findings"]] == [31]


def test_a_key_not_written_literally_maps_to_the_line_naming_it():
    lines = TemplateLines(
        "spec:\n  containers:\n    - name: app\n      {{- with .Values.resources }}\n      resources:\n"
        "        {{- toYaml . | nindent 8 }}\n      {{- end }}\n      {{- toYaml .Values.probes | nindent 6 }}\n"
    )
    # `resources:` is literal: its own line. `livenessProbe` is written by toYaml: the parent's line.
    assert lines.locate(("spec", "containers", 0, "resources", "limits")).line == 5
    assert lines.locate(("spec", "containers", 0, "livenessProbe")).line == 2
    # A key named only inside an action (`.Values.probes`) maps to that line, not to line 1.
    assert lines.locate(("spec", "containers", 0, "probes")).line == 8


def test_a_schema_with_remote_references_is_not_downloaded(web):
    # Helm's validator would download the $ref; policylint renders without that schema and says so.
    (web / "values.schema.json").write_text(
        '{"type": "object", "properties": {"resources": {"$ref": "https://schemas.example.invalid/resources.json"}}}')
    report, found = _findings([web], select=["k8s-privileged-container", "helm-values-invalid"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [("web/templates/deployment.yaml", 31, "k8s-privileged-container")]
    notices = [(item.path, item.reason) for item in report.skipped]
    assert notices == [("web/values.schema.json", "refers to a remote schema (https://schemas.example.invalid/resources.json), "
                        "which policylint does not download: the chart is rendered without validating values against it")]
    assert (web / "values.schema.json").is_file()  # the user's chart is never changed


def test_unstable_template_functions_render_the_same_every_time(web):
    # Charts name test pods and force rollouts with random strings, UUIDs and the clock; the same
    # input must still give the same findings, named the same, at the same template lines.
    (web / "templates" / "test-pod.yaml").write_text(
        "apiVersion: v1\n"
        "kind: Pod\n"
        "metadata:\n"
        '  name: {{ .Release.Name }}-test-{{ randAlphaNum 5 | lower }}\n'
        "  annotations:\n"
        '    rollme: {{ uuidv4 | quote }}\n'
        '    built: {{ now | date "2006" | quote }}\n'
        '    note: {{ printf "%s" "randAlphaNum stays in strings" | quote }}\n'
        "spec:\n"
        "  containers:\n"
        "    - name: probe\n"
        "      image: busybox:1.36\n"
        "      securityContext:\n"
        "        privileged: true\n"
    )
    runs = []
    for _ in range(2):
        report = check(RunOptions(paths=[str(web)], jobs=1, select=["k8s-privileged-container"]))
        runs.append(sorted((f.path, f.line, f.policy_id, f.resource_name, f.fingerprint) for f in report.active))
    assert runs[0] == runs[1]
    pods = [finding for finding in runs[0] if finding[0] == "web/templates/test-pod.yaml"]
    assert [finding[:4] for finding in pods] == [("web/templates/test-pod.yaml", 14, "k8s-privileged-container", "release-name-test-5")]
    assert (web / "templates" / "test-pod.yaml").read_text().count("randAlphaNum 5") == 1  # the chart itself is untouched


def test_stable_template_leaves_strings_fields_and_line_count_alone():
    from policylint.kinds.kubernetes.helm import stable_template

    text = '{{ .Values.now }} {{ printf "now uuidv4" }}\n{{- $ca := genCA "ca" 365 }}\n{{ randInt 1 9 }}\n'
    stable = stable_template(text)
    assert stable.count("\n") == text.count("\n")
    assert stable == '{{ .Values.now }} {{ printf "now uuidv4" }}\n{{- $ca := dict "Cert" "" "Key" "" "ca" 365 }}\n{{ min 1 9 }}\n'


def test_a_template_that_needs_the_missing_dependency_gives_one_finding_per_entry(tmp_path, monkeypatch):
    # The shape of most public charts: every template includes the `common` library chart, which
    # `helm dependency build` would fetch. The missing entry is the one thing to fix, said once;
    # the templates that render without it are still checked.
    monkeypatch.chdir(tmp_path)
    chart = tmp_path / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
        "  - name: common\n    version: 2.x.x\n    repository: oci://registry.example.com/charts\n"
    )
    (chart / "values.yaml").write_text("replicaCount: 2\n")
    (chart / "templates" / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        '  name: {{ include "common.names.fullname" . }}\n'
        "spec:\n  replicas: {{ .Values.replicaCount }}\n"
    )
    (chart / "templates" / "worker.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-worker\n"
        "spec:\n  containers:\n    - name: worker\n      image: worker:1.0\n"
        "      securityContext: {privileged: true}\n"
    )
    report, found = _findings(["app"], select=["k8s-privileged-container", "helm"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [
        ("app/Chart.yaml", 5, "helm-dependency-missing"),
        ("app/templates/worker.yaml", 9, "k8s-privileged-container"),  # rendered without deployment.yaml
    ]
    assert "'common' 2.x.x is missing from charts/" in found[0][3]
    assert not [f for f in report.findings if f.policy_id == "parse-error"]
    # The rendering lacks deployment.yaml: relational policies do not judge what is left (a PDB or HPA
    # may be among the templates left out), single-object ones do.
    (chart / "templates" / "api.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 1\n"
        "  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n"
        "    spec: {containers: [{name: api, image: api:1.0, securityContext: {privileged: true}}]}\n"
    )
    _, relational = _findings(["app"], select=["k8s-single-replica", "k8s-privileged-container"])
    assert sorted({rule for _, _, rule, _ in relational}) == ["k8s-privileged-container"]


def test_an_object_written_by_a_named_template_points_at_the_include(tmp_path, monkeypatch):
    # A template that is nothing but a guarded `include` of a helper (the shape of large charts):
    # the finding lands on the include line, not on line 1's `if`.
    monkeypatch.chdir(tmp_path)
    chart = tmp_path / "cache"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: cache\nversion: 1.0.0\n")
    (chart / "values.yaml").write_text("enabled: true\n")
    (chart / "templates" / "_statefulset.tpl").write_text(
        '{{- define "cache.statefulset" -}}\n'
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ .Release.Name }}-cache\n"
        "spec:\n  serviceName: cache\n  template:\n    spec:\n      containers:\n"
        "        - name: memcached\n          image: memcached:1.6\n          securityContext: {privileged: true}\n"
        "{{- end }}\n"
    )
    (chart / "templates" / "statefulset.yaml").write_text(
        "{{- if .Values.enabled }}\n\n{{- include \"cache.statefulset\" . }}\n{{- end }}\n"
    )
    _, found = _findings(["cache"], select=["k8s-privileged-container"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [("cache/templates/statefulset.yaml", 3, "k8s-privileged-container")]


def test_naming_a_helper_template_renders_its_chart(web):
    # What the pre-commit hook passes when only `_helpers.tpl` changed: the chart is rendered and
    # its objects are checked, since the helper may have changed any of them.
    _, found = _findings([web / "templates" / "_helpers.tpl"], select=["k8s-privileged-container"])
    assert [(path, line, rule) for path, line, rule, _ in found] == [("web/templates/deployment.yaml", 31, "k8s-privileged-container")]
