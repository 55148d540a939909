"""Dockerfile targets: stage facts resolved across FROM <stage>, instruction views with their
stage role, and anchors that land on the right line."""

from __future__ import annotations

import textwrap

from policylint.loaders.dockerfile import parse_dockerfile
from policylint.targets import get_target


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
