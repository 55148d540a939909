"""Images a build tool of the repository tags at deploy time are not `latest` (k8s-image-tag-latest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policylint.kinds.kubernetes.builtimages import image_name, kustomize_images, skaffold_images, tilt_images
from policylint.options import RunOptions
from policylint.runner import check

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop}
spec:
  template:
    spec:
      containers:
        - name: frontend
          image: frontend
        - name: cart
          image: gcr.io/acme/cart:latest
        - name: redis
          image: redis
"""


def latest(root: Path, monkeypatch) -> list[tuple[str, int]]:
    monkeypatch.chdir(root)
    report = check(RunOptions(paths=["."], select=["k8s-image-tag-latest"], jobs=1))
    return [(f.path, f.line) for f in report.active]


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def test_without_a_build_configuration_every_untagged_image_is_reported(tmp_path, monkeypatch):
    write(tmp_path, {"k8s/deploy.yaml": DEPLOYMENT})
    assert latest(tmp_path, monkeypatch) == [("k8s/deploy.yaml", 9), ("k8s/deploy.yaml", 11), ("k8s/deploy.yaml", 13)]


def test_skaffold_artifacts_cover_manifests_below_it(tmp_path, monkeypatch):
    write(tmp_path, {
        "skaffold.yaml": "apiVersion: skaffold/v4beta6\nkind: Config\nbuild:\n  artifacts:\n    - image: frontend\n"
                         "      context: src/frontend\n---\napiVersion: skaffold/v4beta6\nkind: Config\n"
                         "profiles:\n  - name: gcb\n    build:\n      artifacts: [{image: gcr.io/acme/cart}]\n",
        "k8s/deploy.yaml": DEPLOYMENT,
    })
    assert latest(tmp_path, monkeypatch) == [("k8s/deploy.yaml", 13)]  # redis: nothing here builds it


def test_skaffold_in_a_sibling_folder_covers_nothing_here(tmp_path, monkeypatch):
    write(tmp_path, {"other/skaffold.yaml": "build:\n  artifacts: [{image: frontend}]\n", "k8s/deploy.yaml": DEPLOYMENT})
    assert ("k8s/deploy.yaml", 9) in latest(tmp_path, monkeypatch)


def test_tiltfile_docker_build(tmp_path, monkeypatch):
    write(tmp_path, {
        "Tiltfile": "# docker_build('redis', '.')  is commented out\ndocker_build('frontend', 'src/frontend')\n"
                    "custom_build(ref='gcr.io/acme/cart', command='make', deps=['src'])\nk8s_yaml('k8s/deploy.yaml')\n",
        "k8s/deploy.yaml": DEPLOYMENT,
    })
    assert latest(tmp_path, monkeypatch) == [("k8s/deploy.yaml", 13)]


def test_tiltfile_covers_only_what_it_deploys(tmp_path, monkeypatch):
    write(tmp_path, {
        "Tiltfile": "docker_build('frontend', '.')\nk8s_yaml(kustomize('deploy/dev'))\n",
        "deploy/dev/deploy.yaml": DEPLOYMENT,
        "release/install.yaml": DEPLOYMENT,  # a release manifest Tilt never deploys keeps its finding
    })
    found = latest(tmp_path, monkeypatch)
    assert ("deploy/dev/deploy.yaml", 9) not in found and ("release/install.yaml", 9) in found


def test_kustomization_images_with_new_tag_cover_the_resources_it_lists(tmp_path, monkeypatch):
    write(tmp_path, {
        "base/kustomization.yaml": "resources: [deploy.yaml]\nimages:\n  - {name: frontend, newTag: v1.2.0}\n"
                                   f"  - {{name: gcr.io/acme/cart, digest: 'sha256:{'4c5f' * 16}'}}\n"
                                   "  - {name: redis, newName: mirror/redis}\n",
        "base/deploy.yaml": DEPLOYMENT,
        "other/deploy.yaml": DEPLOYMENT,
    })
    found = latest(tmp_path, monkeypatch)
    assert ("base/deploy.yaml", 9) not in found and ("base/deploy.yaml", 11) not in found
    assert ("base/deploy.yaml", 13) in found  # newName alone sets no tag
    assert [line for path, line in found if path == "other/deploy.yaml"] == [9, 11, 13]  # not listed by it


@pytest.mark.parametrize(("reference", "name"), [
    ("frontend", "frontend"), ("frontend:latest", "frontend"), ("gcr.io/acme/cart:v1@sha256:abc", "gcr.io/acme/cart"),
    ("registry:5000/api", "registry:5000/api"),
])
def test_image_name_drops_tag_and_digest(reference, name):
    assert image_name(reference) == name


def test_readers():
    assert skaffold_images("build: {artifacts: [{image: a}, {image: ''}, {context: x}]}\n") == {"a"}
    assert skaffold_images("build: [unclosed\n") == set()
    assert tilt_images('docker_build("b:dev", ".")\ndocker_build_with_restart(\'c\', ".", entrypoint="x")\n') == {"b", "c"}
    assert kustomize_images({"images": [{"name": "a", "newTag": "1"}, {"name": "b"}, "c", {"name": "d", "newTag": "latest"},
                                        {"name": "e", "newTag": "latest", "digest": "sha256:" + "0" * 64}]}) == {"a", "e"}


NETPOL = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: other, namespace: shop}\n"
          "spec: {podSelector: {matchLabels: {app: other}}}\n")
WORKLOAD = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  selector: {matchLabels: {app: api}}\n"
            "  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: a, image: a:1}]}\n")


def test_kustomization_namespace_is_the_namespace_of_the_objects_it_lists(tmp_path, monkeypatch):
    write(tmp_path, {"app/kustomization.yaml": "namespace: shop\nresources: [deploy.yaml, netpol.yaml]\n",
                     "app/deploy.yaml": WORKLOAD, "app/netpol.yaml": NETPOL})
    monkeypatch.chdir(tmp_path)
    report = check(RunOptions(paths=["."], select=["k8s-networkpolicy-missing"], jobs=1))
    assert [f.message for f in report.active] == ["Deployment api: no NetworkPolicy in namespace shop selects its pods"]


def test_two_overlays_that_disagree_leave_the_default(tmp_path, monkeypatch):
    write(tmp_path, {"base/kustomization.yaml": "resources: [deploy.yaml]\n", "base/deploy.yaml": WORKLOAD,
                     "dev/kustomization.yaml": "namespace: dev\nresources: [../base]\n",
                     "prod/kustomization.yaml": "namespace: prod\nresources: [../base]\n"})
    monkeypatch.chdir(tmp_path)
    report = check(RunOptions(paths=["."], jobs=1))
    assert {doc.namespace for doc in report.documents if doc.kind == "Deployment"} == {"default"}


def test_an_unnamed_object_reads_unnamed():
    from policylint.core.documents import Document
    from policylint.kinds.kubernetes.targets import container

    doc = Document("p.yaml", "kubernetes", 0, {"apiVersion": "v1", "kind": "Pod", "metadata": {},
                                               "spec": {"containers": [{"name": "a", "image": "a"}]}}, {})
    (view,) = list(container(doc, {}))
    assert view.fields["name"] == "(unnamed)"
