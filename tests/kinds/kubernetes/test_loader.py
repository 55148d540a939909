"""The Kubernetes loader: documents, List flattening, skips, parse errors, encodings."""

from __future__ import annotations

import pytest

from policylint.core.loading import load_bytes
from policylint.core.yamlnodes import Position


def load(text: str | bytes, path: str = "m.yaml"):
    raw = text.encode() if isinstance(text, str) else text
    return load_bytes(path, raw, "yaml")


def test_multi_document_stream():
    result = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: b}\n")
    assert [(d.kind, d.name, d.start_line) for d in result.documents] == [("ConfigMap", "a", 1), ("Service", "b", 5)]


def test_list_is_flattened_with_positions():
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n"
    result = load(text)
    assert [(d.kind, d.name) for d in result.documents] == [("Pod", "p")]
    doc = result.documents[0]
    position, _ = doc.position(("metadata", "name"))
    assert position.line == 7


def test_non_kubernetes_yaml_is_skipped_quietly():
    result = load("resources:\n- deployment.yaml\nnamePrefix: dev-\n", "kustomization.yaml")
    assert not result.documents and not result.failures and not result.skipped


def test_helm_template_is_skipped_with_notice():
    result = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n")
    assert not result.documents and not result.failures
    assert len(result.skipped) == 1 and "render it first" in result.skipped[0].reason


@pytest.mark.parametrize("text", [
    # Quoted actions parse as strings, but `.Release`/`.Values`/`include` mean the values are Helm's to fill.
    'apiVersion: v1\nkind: Service\nmetadata:\n  name: "{{ .Release.Name }}-web"\n',
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  cfg: |\n    {{- include \"x\" . }}\n",
    # `replicas: {{ $n }}` parses as a mapping, `{{ $id }` not at all: not checked as written, even when
    # the same action also appears inside a string (`name: etcd-{{cell}}`).
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: {{ $replicas }}\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: etcd-{{cell}}\n  labels:\n    cell: {{cell}}\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ $name }}-{{ $id }\n",
], ids=["quoted-release", "include-in-block", "action-as-value", "same-action-in-string-and-value", "broken-yaml"])
def test_helm_templates_are_skipped_with_the_notice(text):
    result = load(text)
    assert not result.documents and not result.failures
    assert [item.reason.split(":")[0] for item in result.skipped] == ["Helm template ({{ ... }})"]


def test_alerting_and_workflow_templates_inside_strings_are_plain_manifests():
    """Prometheus rules (`{{ $labels.pod }}`), Alertmanager templates and Argo Workflows parameters
    keep Go-template text inside YAML strings: the file is a manifest, checked as written."""
    rule = (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: alerts\nspec:\n"
        "  groups:\n  - name: pods\n    rules:\n    - alert: PodDown\n      annotations:\n"
        "        description: Pod {{ $labels.namespace }}/{{ $labels.pod }} is down ({{ $value }}).\n"
        "        summary: '{{ if gt $value 1.0 }}many{{ else }}one{{ end }}'\n"
    )
    workflow = (
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n  name: hello\nspec:\n"
        "  templates:\n  - name: say\n    container:\n      image: busybox:1.36\n"
        '      args: ["{{inputs.parameters.message}}"]\n'
    )
    alertmanager = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alertmanager\nstringData:\n  slack.tmpl: |\n"
        '    {{ define "slack.title" }}[{{ .Status }}] {{ .CommonLabels.alertname }}{{ end }}\n'
        '    {{ template "slack.title" . }}\n'
    )
    for text, kind in ((rule, "PrometheusRule"), (workflow, "WorkflowTemplate"), (alertmanager, "Secret")):
        result = load(text)
        assert not result.skipped and not result.failures
        assert [doc.kind for doc in result.documents] == [kind]
    description, _ = load(rule).documents[0].position(("spec", "groups", 0, "rules", 0, "annotations", "description"))
    assert description.line == 11


def test_kyverno_jmespath_with_escaped_quotes_is_a_plain_manifest():
    """Kyverno quotes label keys inside JMESPath: in a double-quoted YAML string the file's `\\"`
    reads `"`, in a single-quoted one `''` reads `'`. The actions are text inside strings."""
    policy = r"""apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-app-label
spec:
  rules:
    - name: check
      validate:
        message: "label {{ request.object.metadata.labels.\"app.kubernetes.io/name\" }} is required"
        deny:
          conditions:
            any:
              - key: '{{ request.object.metadata.annotations."example.com/owner" || '''' }}'
                operator: Equals
                value: ''
"""
    result = load(policy)
    assert not result.skipped and not result.failures
    assert [doc.kind for doc in result.documents] == ["ClusterPolicy"]
    # an action outside any string still makes the file a template
    assert load("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .name }}\n").skipped


def test_github_expression_is_not_helm():
    result = load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: ${{ secrets.X }}\n")
    assert len(result.documents) == 1


def test_broken_document_between_good_ones():
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\napiVersion: v1\nkind: [\n"
        "---\napiVersion: v1\nkind: Pod\nmetadata: {name: c}\n"
    )
    result = load(text)
    assert [d.name for d in result.documents] == ["a", "c"]
    assert len(result.failures) == 1 and result.failures[0].line in (6, 7)


def test_json_manifest():
    result = load('{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "j"}}', "pod.json")
    assert [d.name for d in result.documents] == ["j"]


def test_bom_and_crlf():
    result = load(b"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: w\r\n")
    doc = result.documents[0]
    assert doc.name == "w"
    assert doc.position(("metadata", "name"))[0].line == 4


def test_binary_and_non_utf8_are_parse_failures():
    binary = load(b"\x00\x01\x02apiVersion")
    assert binary.failures[0].reason.startswith("binary content")
    latin = load("apiVersion: v1\nkind: Pod\nmetadata: {name: caf\xe9}\n".encode("latin-1"))
    assert latin.failures[0].line == 3 and "UTF-8" in latin.failures[0].reason


def test_namespace_defaulting_and_cluster_scope():
    result = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    namespace, pod = result.documents
    assert namespace.namespace == "" and namespace.identity == "Namespace/n"
    assert pod.namespace == "default" and pod.identity == "Pod/default/p"


# Flow lists with a scalar ending in `:` (IPv6 addresses such as `2001:db8::`): Kubernetes reads them
# (go-yaml keeps the colon in the scalar), libyaml alone refuses them.

SERVICE_AND_POD = """\
apiVersion: v1
kind: Service
metadata: {name: edge}
spec:
  selector: {app: edge}
  externalIPs: [1.2.3.4, 2001:db8::]
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: edge
  labels: {app: edge}
spec:
  hostAliases: [{ip: fe80::, hostnames: [gw]}, {ip: "10.0.0.1", hostnames: [db]}]
  containers:
    - name: app
      image: nginx:1.27
      ports: [{containerPort: 8080}]
      securityContext: {privileged: true}
"""


def test_ipv6_in_flow_lists_is_read_as_kubernetes_reads_it():
    result = load(SERVICE_AND_POD)
    assert result.failures == []
    service, pod = result.documents
    assert service.data["spec"]["externalIPs"] == ["1.2.3.4", "2001:db8::"]
    assert service.position(("spec", "externalIPs", 1))[0] == Position(6, 26)
    assert pod.data["spec"]["hostAliases"] == [{"ip": "fe80::", "hostnames": ["gw"]}, {"ip": "10.0.0.1", "hostnames": ["db"]}]
    assert pod.position(("spec", "hostAliases", 0, "ip"))[0] == Position(15, 18)
    assert pod.position(("spec", "hostAliases", 1, "ip"))[0] == Position(15, 49)
    assert pod.position(("spec", "containers", 0, "securityContext", "privileged"))[0] == Position(20, 25)


def test_ipv6_manifest_end_to_end_has_no_parse_error_and_exact_finding_lines(run_json, tmp_path):
    (tmp_path / "edge.yaml").write_text(SERVICE_AND_POD)
    code, report = run_json("edge.yaml", cwd=tmp_path)
    assert code == 1
    found = {(f["rule_id"], f["line"], f["column"]) for f in report["findings"]}
    assert not any(rule == "parse-error" for rule, _, _ in found)
    assert ("k8s-privileged-container", 20, 25) in found
    assert ("k8s-run-as-root", 20, 7) in found
    assert ("k8s-service-account-token-mounted", 14, 1) in found
    # the Service selects the Pod and its targetPort is the container's port: the relation saw both documents
    assert not {rule for rule, _, _ in found} & {"k8s-service-selector-mismatch", "k8s-service-target-port-mismatch"}


def test_flow_colon_that_kubernetes_refuses_too_stays_a_parse_error():
    result = load("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  externalIPs: [2001:db8::[1]]\n")
    assert result.documents == []
    assert [(f.line, f.reason) for f in result.failures] == [(5, "while scanning a plain scalar found unexpected ':'")]


def test_json_without_api_version_is_not_a_manifest():
    """devcontainer.json (JSON with comments), data files: other tools' JSON is skipped quietly, not a parse-error."""
    result = load('{\n  // comment\n  "name": "dev",\n}\n', "devcontainer.json")
    assert not result.failures and not result.documents and not result.skipped
    broken = load('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, }}', "cm.json")
    assert broken.failures  # a manifest that does not parse is still a parse-error


def test_jinja_template_that_is_not_yaml_is_skipped_with_a_notice():
    text = "{% raw %}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n{% endraw %}\n"
    result = load(text)
    assert not result.failures and [item.reason.split(" (")[0] for item in result.skipped] == ["Jinja template"]
    plain = load("# {% raw %} only in a comment\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert not plain.skipped and [doc.kind for doc in plain.documents] == ["ConfigMap"]
