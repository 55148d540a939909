"""What install commands install, and which packages name their version."""

from __future__ import annotations

import pytest

from policylint.core.shell import split_commands
from policylint.kinds.dockerfile.packages import installed_packages


def installs(script):
    return [(p["manager"], p["package"], p["pinned"]) for c in split_commands(script) for p in installed_packages(c)]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "apt-get install -y -o Dpkg::Use-Pty=0 -t bookworm-backports curl=7.88 git",
            [("apt-get", "curl=7.88", True), ("apt-get", "git", False)],
        ),
        ("apt-get -y install ./x.deb $EXTRA curl > /dev/null 2>&1", [("apt-get", "curl", False)]),
        ("apk add --no-cache --virtual .deps gcc musl-dev=1.2-r0", [("apk", "gcc", False), ("apk", "musl-dev=1.2-r0", True)]),
        (
            "pip install -r req.txt -c c.txt 'wheel<0.46' flask==3.0 . -e ./lib django",
            [("pip", "wheel<0.46", True), ("pip", "flask==3.0", True), ("pip", "django", False)],
        ),
        ("python3 -m pip install --upgrade pip", [("pip", "pip", False)]),
        ("npm install express && npm i -g pnpm @angular/cli@18.0.1", [("npm", "pnpm", False), ("npm", "@angular/cli@18.0.1", True)]),
        ("gem install bundler:2.5 rake && gem install rails -v 7.1", [("gem", "bundler:2.5", True), ("gem", "rake", False)]),
        ("dnf install -y --setopt=x=1 httpd-2.4 @dev /tmp/a.rpm vim", [("yum", "httpd-2.4", True), ("yum", "vim", False)]),
        ("zypper -n install curl=8.6 vim", [("zypper", "curl=8.6", True), ("zypper", "vim", False)]),
        (
            "go install --tags extended github.com/x/hugo && go install github.com/y/dlv@latest golang.org/x/z@v0.1.0",
            [("go", "github.com/x/hugo", False), ("go", "github.com/y/dlv@latest", False), ("go", "golang.org/x/z@v0.1.0", True)],
        ),
        ("go build ./... && go mod download", []),
        ("apt-get install -y $(cat /pkgs)", []),
        ("apt-get update && apt-get upgrade -y", []),
    ],
)
def test_installed_packages(script, expected):
    assert installs(script) == expected
