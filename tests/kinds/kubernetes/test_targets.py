"""Kubernetes targets: the container view's effective securityContext and the namespaced target."""

from __future__ import annotations

from policylint.core.loading import load_bytes
from policylint.kinds.kubernetes.targets import container, namespaced


def _docs(text: str):
    return load_bytes("example.yaml", text.encode(), "yaml").documents


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: win}
spec:
  securityContext:
    runAsUser: 1000
    windowsOptions:
      runAsUserName: ContainerUser
      hostProcess: false
  containers:
    - name: app
      image: app:1.0
      securityContext:
        runAsUser: 0
        windowsOptions:
          hostProcess: true
    - name: plain
      image: app:1.0
"""


def test_effective_security_context_container_overrides_pod_with_anchors():
    (doc,) = _docs(POD)
    app, plain = list(container(doc, {"containers": "all"}))
    assert app.instance["effective"]["runAsUser"] == 0
    assert app.locate(("effective", "runAsUser"))[1].line == 14
    assert plain.instance["effective"]["runAsUser"] == 1000
    assert plain.locate(("effective", "runAsUser"))[1].line == 6


def test_windows_options_merge_field_by_field():
    """The kubelet lets a container's hostProcess override the pod's while the pod's runAsUserName stays."""
    (doc,) = _docs(POD)
    app, plain = list(container(doc, {"containers": "all"}))
    assert app.instance["effective"]["windowsOptions"] == {"runAsUserName": "ContainerUser", "hostProcess": True}
    assert app.locate(("effective", "windowsOptions", "hostProcess"))[1].line == 16
    assert app.locate(("effective", "windowsOptions", "runAsUserName"))[1].line == 8
    assert plain.instance["effective"]["windowsOptions"] == {"runAsUserName": "ContainerUser", "hostProcess": False}


def test_namespaced_target_skips_cluster_scoped_kinds():
    docs = _docs(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n"
    )
    assert [doc.kind for doc in docs for _ in namespaced(doc, {})] == ["ConfigMap"]


def test_views_are_built_once_per_document_but_handed_out_as_independent_copies():
    (doc,) = _docs(POD)
    first = next(iter(container(doc, {"containers": "main"})))
    first.sub("extra", {"x": 1}, doc, ())
    first.fields["container"] = "changed"
    again = next(iter(container(doc, {"containers": "main"})))
    assert "extra" not in again.instance
    assert ("extra",) not in again.anchors
    assert again.fields["container"] == "app"
    assert again.instance["container"] is doc.data["spec"]["containers"][0]  # real subtrees, not copies


def test_main_only_keeps_containers_not_init_or_ephemeral():
    (doc,) = _docs(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n"
        "        spec:\n          initContainers: [{name: i, image: x}]\n          containers: [{name: m, image: x}]\n"
        "          ephemeralContainers: [{name: e, image: x}]\n"
    )
    assert [view.fields["container"] for view in container(doc, {"containers": "main"})] == ["m"]
    assert [view.fields["container"] for view in container(doc, {})] == ["m", "i", "e"]
