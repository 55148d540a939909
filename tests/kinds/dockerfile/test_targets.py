"""Dockerfile targets: stage facts resolved across FROM <stage>, instruction views with their
stage role, and anchors that land on the right line."""

from __future__ import annotations

import textwrap

from policylint.core.kinds import get_target
from policylint.kinds.dockerfile.loader import parse_dockerfile


def views(text, name):
    doc = parse_dockerfile("Dockerfile", textwrap.dedent(text).lstrip("\n"))
    return list(get_target("dockerfile", name)(doc, {}))


def test_final_stage_inherits_user_and_healthcheck_from_its_base_stage():
    (final,) = views(
        """
        FROM alpine:3.20 AS base
        USER 10001
        HEALTHCHECK CMD ["true"]
        FROM base
        CMD ["app"]
        """,
        "final-stage",
    )
    assert final.instance["user"] == {"value": "10001", "user": "10001", "group": "", "resolved": True, "root": False}
    assert final.instance["base_image"] == "alpine:3.20"
    assert final.locate(("user",))[1].line == 2  # reported where the USER is written
    assert final.locate(("healthcheck",))[1].line == 3
    assert final.locate(())[1].line == 4


def test_user_resolved_from_arg_and_env_defaults():
    stages = views(
        """
        ARG UID=0
        FROM alpine:3.20 AS a
        ARG UID
        USER $UID
        FROM alpine:3.20 AS b
        ENV APP_USER=app
        USER ${APP_USER}:${APP_GROUP}
        FROM alpine:3.20
        USER ${RUNTIME_UID}
        """,
        "stage",
    )
    assert [view.instance["user"]["root"] for view in stages] == [True, False, False]
    assert stages[1].instance["user"]["user"] == "app"
    assert stages[2].instance["user"]["resolved"] is False  # decided by --build-arg: not judged


def test_extra_cmds_anchor_to_each_instruction():
    (final,) = views(
        """
        FROM python:3.12
        CMD ["a"]
        CMD ["b"]
        ENTRYPOINT ["x"]
        CMD ["c"]
        """,
        "final-stage",
    )
    assert len(final.instance["extra_cmds"]) == 2
    assert [final.locate(("extra_cmds", n))[1].line for n in range(2)] == [3, 5]
    assert final.instance["extra_entrypoints"] == []


def test_instruction_views_carry_the_stage_role():
    found = views(
        """
        ARG V=1
        FROM alpine:3.20 AS build
        RUN true
        FROM alpine:3.20
        RUN true
        """,
        "instruction",
    )
    roles = [(view.instance["instruction"], view.instance["stage"]["role"], view.locate(())[1].line) for view in found]
    assert roles == [("ARG", "global", 1), ("FROM", "build", 2), ("RUN", "build", 3), ("FROM", "final", 4), ("RUN", "final", 5)]
    assert found[2].locate(("stage",))[1].line == 2


def test_file_view_and_no_stages():
    (file_view,) = views("RUN nothing\n", "file")
    assert [error["reason"] for error in file_view.instance["errors"]] == ["RUN before the first FROM"]
    assert views("RUN nothing\n", "final-stage") == []


def test_stages_the_final_one_is_built_from_are_its_base_role():
    found = views(
        """
        FROM golang:1.22 AS build
        RUN go build
        FROM debian:bookworm-slim AS os
        RUN true
        FROM os AS runtime
        RUN true
        FROM build AS tools
        FROM runtime
        RUN true
        """,
        "instruction",
    )
    roles = [(view.instance["stage"]["name"], view.instance["stage"]["role"]) for view in found if view.instance["instruction"] == "FROM"]
    assert roles == [("build", "build"), ("os", "base"), ("runtime", "base"), ("tools", "build"), (None, "final")]
    stage_roles = [view.instance["role"] for view in views("FROM a:1 AS x\nFROM b:1 AS y\nFROM x\n", "stage")]
    assert stage_roles == ["base", "build", "final"]


def test_cmd_and_entrypoint_replaced_later_in_the_final_image_are_superseded():
    found = views(
        """
        FROM python:3.12 AS base
        CMD python -m base
        ENTRYPOINT /base-entry
        FROM base AS other
        CMD other
        FROM base
        ENTRYPOINT ["tini", "--"]
        CMD first
        CMD ["last"]
        """,
        "instruction",
    )
    flags = [(view.locate(())[1].line, view.instance["superseded"]) for view in found if "superseded" in view.instance]
    # line 2: CMD reset by the final stage's ENTRYPOINT; line 3: replaced by ENTRYPOINT on line 7;
    # line 5 is in a build stage (never part of the final image); repeats within one stage (8, 9)
    # are docker-multiple-cmd's concern
    assert flags == [(2, True), (3, True), (5, False), (7, False), (8, False), (9, False)]


def test_onbuild_yields_the_wrapped_instruction_at_the_onbuild_line():
    found = views(
        """
        FROM node:20-alpine
        ONBUILD COPY . /app
        ONBUILD RUN npm ci \\
            && curl -fsSL https://example.com/x.sh | sh
        """,
        "instruction",
    )
    wrapped = [view for view in found if view.instance.get("onbuild")]
    assert [(view.instance["instruction"], view.locate(())[1].line) for view in wrapped] == [("COPY", 2), ("RUN", 3)]
    run = wrapped[1]
    assert [command["program"] for command in run.instance["commands"]] == ["npm", "curl", "sh"]
    assert run.locate(("commands", 2))[1].line == 4
    assert run.instance["stage"]["role"] == "final"
    assert len({view.label for view in found}) == len(found)  # fingerprints stay distinct


# --- a GitHub docker action's Dockerfile: GitHub runs it as root ---------------------------------


def _user_root(root, monkeypatch, files):
    from policylint.options import RunOptions
    from policylint.runner import check

    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    monkeypatch.chdir(root)
    report = check(RunOptions(paths=["."], select=["docker-user-root"], jobs=1))
    return sorted(f.path for f in report.active)


def test_docker_action_dockerfile_is_not_judged_for_root(tmp_path, monkeypatch):
    dockerfile = "FROM alpine:3.20\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n"
    files = {
        "action/action.yml": "name: lint\nruns:\n  using: docker\n  image: Dockerfile\n",
        "action/Dockerfile": dockerfile,
        "composite/action.yaml": "name: c\nruns:\n  using: composite\n  steps: [{run: x, shell: bash}]\n",
        "composite/Dockerfile": dockerfile,
        "prebuilt/action.yml": "name: p\nruns:\n  using: docker\n  image: docker://alpine:3.20\n",
        "prebuilt/Dockerfile": dockerfile,
        "other/action.yml": "name: o\nruns:\n  using: docker\n  image: build/Dockerfile.action\n",
        "other/Dockerfile": dockerfile,
        "other/build/Dockerfile.action": dockerfile,
    }
    assert _user_root(tmp_path, monkeypatch, files) == ["composite/Dockerfile", "other/Dockerfile", "prebuilt/Dockerfile"]


def test_copy_from_kinds_tell_a_misspelt_stage_from_a_named_context():
    found = [
        view.instance["from_kind"]
        for view in views(
            """
            FROM golang:1.22 AS builder
            COPY --from=builder /a /b
            FROM alpine:3.20
            COPY --from=builder /a /b
            COPY --from=buidler /a /b
            COPY --from=binary_dir /a /b
            COPY --from=later /a /b
            COPY --from=1 /a /b
            COPY --from=0 /a /b
            COPY --from=ghcr.io/x/y:1 /a /b
            COPY --from=${CTX} /a /b
            FROM alpine:3.20 AS later
            """,
            "instruction",
        )
        if "from_kind" in view.instance
    ]
    assert found == ["current", "stage", "unknown", "context", "unknown", "current", "stage", "image", "variable"]


def test_run_facts_follow_shell_environment_and_pipes():
    run = [
        view
        for view in views(
            """
            FROM debian:bookworm-slim AS base
            ENV PIP_NO_CACHE_DIR=1
            SHELL ["/bin/bash", "-o", "pipefail", "-c"]
            FROM base
            RUN apt-get install -y curl=7.88 git && curl -fsSL x | tar -xz
            FROM debian:bookworm-slim
            RUN set -e; a | b; set -o pipefail; c | d
            """,
            "instruction",
        )
        if view.instance["instruction"] == "RUN"
    ]
    first, second = run
    assert first.instance["shell"] == ["/bin/bash", "-o", "pipefail", "-c"]
    assert first.instance["environment"] == {"PIP_NO_CACHE_DIR": "1"}
    assert first.instance["pipelines"] == [{"programs": ["curl", "tar"], "pipefail": True}]
    assert [(p["package"], p["pinned"]) for p in first.instance["packages"]] == [("curl=7.88", True), ("git", False)]
    assert [p["pipefail"] for p in second.instance["pipelines"]] == [False, True]
    assert second.locate(("pipelines", 0))[1].line == 7
