"""The Dockerfile loader: directives, continuations, heredocs, forms, ARG substitution, stages,
syntax errors as data, and the line of every instruction, command and ENV/ARG entry."""

from __future__ import annotations

import textwrap

import pytest
from support import FIXTURES

from policylint.core.kinds import detect_by_name
from policylint.core.loading import load_bytes
from policylint.kinds.dockerfile.loader import parse_dockerfile, substitute


def parse(text: str):
    return parse_dockerfile("Dockerfile", textwrap.dedent(text).lstrip("\n"))


def line(doc, *pointer):
    return doc.positions[pointer].line


def instructions(doc, stage=0):
    return [item["instruction"] for item in doc.data["stages"][stage]["instructions"]]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("api.Dockerfile", "dockerfile"),
        ("Containerfile", "dockerfile"),
        ("Dockerfiles.yaml", "yaml"),
    ],
)
def test_file_names(name, kind):
    assert detect_by_name(name) == kind


def test_guide_dockerfile_stages_and_lines():
    doc = parse_dockerfile("Dockerfile", (FIXTURES / "guide" / "Dockerfile").read_text(encoding="utf-8"))
    builder, final = doc.data["stages"]
    assert (builder["name"], builder["image"], builder["base_kind"]) == ("builder", "rust:1.77", "image")
    assert (final["name"], final["image"]) == (None, "debian:bookworm-slim")
    assert instructions(doc, 1) == ["FROM", "RUN", "COPY", "CMD"]
    assert [line(doc, "stages", 1, "instructions", n) for n in range(4)] == [9, 10, 13, 14]
    run = final["instructions"][1]
    assert [command["program"] for command in run["commands"]] == ["apt-get", "apt-get", "rm"]
    assert run["commands"][1]["args"] == ["install", "-y", "ca-certificates"]
    # each command keeps the line it starts on inside the continuation
    assert [line(doc, "stages", 1, "instructions", 1, "commands", n) for n in range(3)] == [10, 10, 12]
    copy = final["instructions"][2]
    assert copy["from"] == "builder" and copy["sources"] == ["/app/target/release/rust_webapi"]
    assert final["instructions"][3]["form"] == "exec" and final["instructions"][3]["exec"] == ["rust_webapi"]
    assert doc.data["errors"] == []


def test_continuation_with_comment_and_empty_lines():
    doc = parse(
        """
        FROM alpine:3.20
        RUN apk add --no-cache \\
            # the comment line is dropped, not the end of the instruction
            curl \\

            jq
        USER 10001
        """
    )
    run = doc.data["stages"][0]["instructions"][1]
    assert run["commands"][0]["args"] == ["add", "--no-cache", "curl", "jq"]
    assert run["end_line"] == 6
    assert instructions(doc) == ["FROM", "RUN", "USER"]
    assert line(doc, "stages", 0, "instructions", 2) == 7
    assert doc.data["errors"] == []


def test_escape_directive_changes_the_continuation_character():
    doc = parse(
        """
        # syntax=docker/dockerfile:1
        # escape=`
        FROM mcr.microsoft.com/windows/servercore:ltsc2022
        RUN powershell -Command `
            Write-Host C:\\path\\here
        WORKDIR C:\\app
        """
    )
    assert doc.data["directives"] == {"syntax": "docker/dockerfile:1", "escape": "`"}
    assert instructions(doc) == ["FROM", "RUN", "WORKDIR"]
    assert doc.data["stages"][0]["instructions"][2]["path"] == "C:\\app"  # backslash is not the escape here
    assert line(doc, "stages", 0, "instructions", 2) == 6


def test_directives_only_at_the_top():
    doc = parse(
        """
        FROM alpine:3.20
        # escape=`
        RUN echo a \\
            b
        """
    )
    assert doc.data["directives"] == {}
    assert doc.data["stages"][0]["instructions"][1]["commands"][0]["args"] == ["a", "b"]


def test_invalid_escape_directive_is_a_syntax_error():
    doc = parse(
        """
        # escape=x
        FROM alpine:3.20
        """
    )
    assert [error["reason"] for error in doc.data["errors"]] == ["invalid escape token 'x' (only \\ and ` are allowed)"]


def test_heredocs_run_and_copy():
    doc = parse(
        """
        FROM debian:bookworm
        RUN <<EOF
        set -e
        apt-get update
        curl -fsSL https://example.com/x | sh
        EOF
        COPY <<-"CONF" /etc/app.conf
        \tkey=value
        \tCONF
        RUN python3 <<PY
        import os; os.system("sudo rm -rf /")
        PY
        USER 10001
        """
    )
    stage = doc.data["stages"][0]
    assert instructions(doc) == ["FROM", "RUN", "COPY", "RUN", "USER"]
    run = stage["instructions"][1]
    assert run["heredocs"] == [{"name": "EOF", "content": "set -e\napt-get update\ncurl -fsSL https://example.com/x | sh\n"}]
    assert [command["program"] for command in run["commands"]] == ["set", "apt-get", "curl", "sh"]
    assert run["commands"][3]["piped_from"] == ["curl"]
    assert [line(doc, "stages", 0, "instructions", 1, "commands", n) for n in range(4)] == [3, 4, 5, 5]
    copy = stage["instructions"][2]
    assert copy["heredocs"][0] == {"name": "CONF", "content": "key=value\n"}
    assert copy["destination"] == "/etc/app.conf" and copy["sources"] == []
    python = stage["instructions"][3]
    assert [command["program"] for command in python["commands"]] == ["python3"]  # stdin of python, not shell
    assert line(doc, "stages", 0, "instructions", 4) == 13
    assert doc.data["errors"] == []


def test_unterminated_heredoc_is_a_syntax_error_not_a_crash():
    doc = parse(
        """
        FROM debian:bookworm
        RUN <<EOF
        echo never closed
        """
    )
    assert [(error["reason"], error["instruction"]) for error in doc.data["errors"]] == [("unterminated heredoc <<EOF", "heredoc")]
    assert line(doc, "errors", 0) == 2


def test_exec_and_shell_forms():
    doc = parse(
        """
        FROM node:20
        CMD ["node", "server.js"]
        ENTRYPOINT node server.js
        RUN ["/bin/sh", "-c", "cd /app && npm ci"]
        RUN ["npm", "ci"]
        CMD [not json]
        """
    )
    cmd, entrypoint, run_shell, run_exec, broken = doc.data["stages"][0]["instructions"][1:]
    assert (cmd["form"], cmd["exec"]) == ("exec", ["node", "server.js"])
    assert entrypoint["form"] == "shell" and "exec" not in entrypoint
    assert [command["program"] for command in run_shell["commands"]] == ["cd", "npm"]
    assert run_exec["commands"][0]["words"] == ["npm", "ci"]
    assert broken["form"] == "shell"  # BuildKit runs an invalid JSON array through the shell


def test_arg_substitution_in_from_and_stage_references():
    doc = parse(
        """
        ARG REGISTRY=docker.io
        ARG BASE=library/python
        ARG PY_VERSION=3.12
        ARG UNSET
        FROM ${REGISTRY}/${BASE}:${PY_VERSION}-slim AS Build
        FROM $BASE:${TAG:-latest} AS tagged
        FROM python:${UNSET} AS unknown
        FROM build AS test
        COPY --from=build /a /b
        FROM scratch
        """
    )
    build, tagged, unknown, test, scratch = doc.data["stages"]
    assert build["image"] == "docker.io/library/python:3.12-slim"
    assert build["name"] == "build"  # stage names are case-insensitive
    assert tagged["image"] == "library/python:latest"
    assert (unknown["base_kind"], unknown["image"], unknown["unresolved"]) == ("unresolved", None, ["UNSET"])
    assert (test["base_kind"], test["from_stage"], test["image"]) == ("stage", "build", None)
    assert test["instructions"][1]["from"] == "build"
    assert scratch["base_kind"] == "scratch"
    assert [entry["name"] for arg in doc.data["args"] for entry in arg["env"]] == ["REGISTRY", "BASE", "PY_VERSION", "UNSET"]
    assert doc.data["args"][3]["env"][0]["value"] is None
    assert line(doc, "stages", 4) == 10


def test_substitute_forms():
    values = {"A": "x", "EMPTY": ""}
    assert substitute("$A-${A}", values) == ("x-x", [])
    assert substitute("${EMPTY:-d}${MISSING:-e}${A:+alt}", values) == ("dealt", [])
    assert substitute("${MISSING}", values) == ("", ["MISSING"])


def test_env_and_arg_entries_keep_their_lines():
    doc = parse(
        """
        FROM alpine:3.20
        ENV A=1 \\
            B="two words" \\
            C=3
        ENV LEGACY value with spaces
        ARG TOKEN
        ARG X=1 Y=2
        """
    )
    env, legacy, token, pair = doc.data["stages"][0]["instructions"][1:]
    assert env["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "two words"}, {"name": "C", "value": "3"}]
    assert [line(doc, "stages", 0, "instructions", 1, "env", n) for n in range(3)] == [2, 3, 4]
    assert legacy["env"] == [{"name": "LEGACY", "value": "value with spaces"}]
    assert token["env"] == [{"name": "TOKEN", "value": None}]
    assert pair["env"] == [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]


def test_unknown_instruction_and_missing_arguments_are_captured():
    doc = parse(
        """
        RUN echo before from
        FROM alpine:3.20
        RUNN echo typo
        USER
        EXPOSE 22 80/udp 8000-8002
        """
    )
    errors = [(error["reason"], line(doc, "errors", n)) for n, error in enumerate(doc.data["errors"])]
    assert errors == [
        ("RUN before the first FROM", 1),
        ("unknown instruction RUNN", 3),
        ("USER requires at least one argument", 4),
    ]
    expose = doc.data["stages"][0]["instructions"][1]
    ports = [(port["from"], port["to"], port["protocol"]) for port in expose["ports"]]
    assert ports == [(22, 22, "tcp"), (80, 80, "udp"), (8000, 8002, "tcp")]


def test_no_from_and_empty_file():
    assert [error["reason"] for error in parse("# only a comment\n").data["errors"]] == ["no FROM instruction"]
    assert parse("").data["stages"] == []


def test_flags_and_instruction_columns():
    doc = parse(
        """
        FROM --platform=$BUILDPLATFORM golang:1.22 AS build
          RUN --mount=type=cache,target=/root/.cache --network=none go build
        """
    )
    stage = doc.data["stages"][0]
    assert stage["platform"] == "$BUILDPLATFORM"
    run = stage["instructions"][1]
    assert run["flags"] == {"mount": ["type=cache,target=/root/.cache"], "network": ["none"]}
    assert run["commands"][0]["words"] == ["go", "build"]
    assert doc.positions[("stages", 0, "instructions", 1)].column == 3


def test_loaded_through_the_registry_with_crlf_and_bom():
    raw = "\ufeffFROM alpine:3.20\r\nRUN echo hi\r\n".encode()
    result = load_bytes("Dockerfile", raw, "dockerfile")
    assert result.failures == []
    (doc,) = result.documents
    assert doc.file_kind == "dockerfile"
    assert instructions(doc) == ["FROM", "RUN"]


def test_hostile_input_stays_fast_and_bounded():
    long_line = "FROM alpine:3.20\nRUN " + "echo x && " * 20000 + "true\n"
    doc = parse_dockerfile("Dockerfile", long_line)
    assert len(doc.data["stages"][0]["instructions"][1]["commands"]) == 20001
    nested = "FROM a:1\nRUN " + "$(" * 5000 + "x" + ")" * 5000 + "\n"
    assert parse_dockerfile("Dockerfile", nested).data["errors"] == []


def test_matches_buildkit_parser_where_available():
    """Differential check against BuildKit's own parser (the `dockerfile` package), when installed."""
    dockerfile = pytest.importorskip("dockerfile")
    texts = [(FIXTURES / "guide" / "Dockerfile").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in sorted((FIXTURES / "scenarios" / "dockerfiles").glob("*Dockerfile*"))]
    for text in texts:
        ours = parse_dockerfile("Dockerfile", text)
        mine = [(item["instruction"], ours.positions[("args", n)].line) for n, item in enumerate(ours.data["args"])]
        for s, stage in enumerate(ours.data["stages"]):
            mine += [
                (item["instruction"], ours.positions[("stages", s, "instructions", n)].line)
                for n, item in enumerate(stage["instructions"])
            ]
        theirs = [(command.cmd.upper(), command.start_line) for command in dockerfile.parse_string(text)]
        instructions = {"FROM", "RUN", "CMD", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR", "EXPOSE", "ENTRYPOINT",
                        "HEALTHCHECK", "LABEL", "SHELL", "VOLUME", "MAINTAINER", "ONBUILD", "STOPSIGNAL"}
        known = [entry for entry in theirs if entry[0] in instructions]
        assert sorted((entry for entry in mine if entry[0] in instructions), key=lambda item: item[1]) == known


def test_any_text_loads_without_crashing():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet="FROM RUN<>EOF\\`#= \n\t\"'[]$:{}-ARGUSEas", max_size=200))
    def check(text):
        doc = parse_dockerfile("Dockerfile", text)
        assert set(doc.data) == {"directives", "args", "stages", "errors"}
        for pointer in doc.positions:
            assert doc.positions[pointer].line >= 1

    check()


def test_onbuild_wraps_a_parsed_instruction_and_refuses_what_buildkit_refuses():
    doc = parse_dockerfile(
        "Dockerfile",
        "FROM alpine:3.20\nONBUILD ENV TOKEN=abc\nONBUILD ONBUILD RUN x\nONBUILD FROM alpine\nONBUILD RUNN x\nONBUILD RUN\n",
    )
    onbuild = doc.data["stages"][0]["instructions"][1]
    assert onbuild["wrapped"]["instruction"] == "ENV"
    assert onbuild["wrapped"]["env"] == [{"name": "TOKEN", "value": "abc"}]
    assert doc.position(("stages", 0, "instructions", 1, "wrapped", "env", 0))[0].line == 2
    reasons = [(error["reason"], doc.position(("errors", n))[0].line) for n, error in enumerate(doc.data["errors"])]
    assert reasons == [
        ("ONBUILD ONBUILD is not allowed", 3),
        ("ONBUILD FROM is not allowed", 4),
        ("unknown instruction RUNN in ONBUILD", 5),
        ("ONBUILD RUN requires at least one argument", 6),
    ]


def test_shell_form_cmd_and_entrypoint_carry_their_commands():
    doc = parse_dockerfile("Dockerfile", 'FROM alpine:3.20\nCMD exec app --port "$PORT"\nENTRYPOINT ["tini"]\n')
    cmd, entrypoint = doc.data["stages"][0]["instructions"][1:]
    assert [(c["words"], c["program"], c["op"]) for c in cmd["commands"]] == [(["exec", "app", "--port", "$PORT"], "app", None)]
    assert "commands" not in entrypoint
