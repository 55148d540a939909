"""Image references: a registry port is not a tag; a digest pins; latest or no tag is mutable."""

from __future__ import annotations

import pytest

from policylint.core.images import parse_image

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("reference", "registry", "repository", "tag", "digest"),
    [
        ("nginx", "", "nginx", "", ""),
        ("nginx:1.27", "", "nginx", "1.27", ""),
        ("registry:5000/app", "registry:5000", "app", "", ""),
        ("registry:5000/team/app:2.1", "registry:5000", "team/app", "2.1", ""),
        ("localhost/app:dev", "localhost", "app", "dev", ""),
        ("ghcr.io/acme/api:latest", "ghcr.io", "acme/api", "latest", ""),
        ("your-registry/rust-webapi:latest", "", "your-registry/rust-webapi", "latest", ""),
        (f"app@{DIGEST}", "", "app", "", DIGEST),
        (f"registry:5000/app:1.0@{DIGEST}", "registry:5000", "app", "1.0", DIGEST),
    ],
)
def test_parse_parts(reference, registry, repository, tag, digest):
    image = parse_image(reference)
    assert (image.registry, image.repository, image.tag, image.digest) == (registry, repository, tag, digest)


@pytest.mark.parametrize(
    ("reference", "mutable"),
    [
        ("nginx", True),
        ("nginx:latest", True),
        ("registry:5000/app", True),
        ("localhost:5000/tools/busybox:latest", True),
        ("app:", True),
        ("nginx:1.27", False),
        ("registry:5000/app:1.4.2", False),
        (f"app@{DIGEST}", False),
        (f"app:latest@{DIGEST}", False),
        ("app@sha256:abc", True),  # a malformed digest pins nothing
    ],
)
def test_mutable(reference, mutable):
    assert parse_image(reference).mutable is mutable


@pytest.mark.parametrize(
    ("reference", "pinned"),
    [
        (f"app@{DIGEST}", True),
        (f"ghcr.io/acme/api:1.0@{DIGEST}", True),
        ("app:1.0", False),
        ("app@sha256:abc", False),
        ("app@latest", False),
        ("registry:5000/app", False),
    ],
)
def test_pinned_by_digest(reference, pinned):
    assert parse_image(reference).pinned_by_digest is pinned
