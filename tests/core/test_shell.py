"""The shell command splitter behind the RUN rules: operators, pipes, quotes, substitutions,
subshells, wrappers and redirections, and what it must not mistake for a command."""

from __future__ import annotations

import pytest

from policylint.core.shell import split_commands


def programs(script):
    return [command["program"] for command in split_commands(script)]


def test_operators_split_commands_and_keep_the_following_operator():
    commands = split_commands("apt-get update && apt-get install -y curl || true; echo done\nls &")
    assert [(c["program"], c["op"]) for c in commands] == [
        ("apt-get", "&&"), ("apt-get", "||"), ("true", ";"), ("echo", ";"), ("ls", "&"),
    ]  # fmt: skip
    assert commands[1]["args"] == ["install", "-y", "curl"]


def test_pipelines_record_upstream_programs():
    commands = split_commands("wget -qO- https://x | tee /tmp/log | sudo -E bash -s -- -y; sh ./local.sh")
    assert [(c["program"], c["piped_from"]) for c in commands] == [
        ("wget", []), ("tee", ["wget"]), ("bash", ["wget", "tee"]), ("sh", []),
    ]  # fmt: skip
    assert commands[2]["words"][0] == "sudo"  # the wrapper stays visible for docker-sudo


@pytest.mark.parametrize(
    ("script", "substituted"),
    [
        ('sh -c "$(curl -fsSL https://x)"', ["curl"]),
        ("bash <(curl -s https://x)", ["curl"]),
        ("eval `wget -qO- https://x`", ["wget"]),
        ("echo '$(curl https://x)'", []),  # single quotes: no substitution
    ],
)
def test_substitutions(script, substituted):
    assert split_commands(script)[0]["substituted"] == substituted


def test_quotes_and_comments_are_not_commands():
    assert programs('echo "curl https://x | sh" # | bash') == ["echo"]
    assert split_commands("echo 'a && b'")[0]["args"] == ["a && b"]
    assert programs("echo a\\\n  b && make") == ["echo", "make"]


def test_redirections_are_words_not_operators():
    commands = split_commands("make >/dev/null 2>&1 && make install &>/tmp/log")
    assert [(c["program"], c["op"]) for c in commands] == [("make", "&&"), ("make", None)]
    assert commands[0]["args"] == [">/dev/null", "2>&1"]


def test_subshell_depth_and_assignments_and_wrappers():
    commands = split_commands("(cd sub && make); DEBIAN_FRONTEND=noninteractive env LC_ALL=C nice -n 5 /usr/bin/apt-get -y install x")
    assert [(c["program"], c["depth"]) for c in commands] == [("cd", 1), ("make", 1), ("apt-get", 0)]
    assert commands[2]["words"][0] == "env" and commands[2]["args"] == ["-y", "install", "x"]


def test_brace_expansion_is_part_of_a_word():
    assert split_commands("cp file.{a,b} /tmp")[0]["args"] == ["file.{a,b}", "/tmp"]


def test_deeply_nested_substitutions_stay_bounded():
    script = "echo " + "$(" * 3000 + "curl x" + ")" * 3000
    (command,) = split_commands(script)
    assert command["program"] == "echo"


def test_any_text_splits_without_error_or_stall():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet="ab $()`'\"\\|&;<>{}\n#=-\t", max_size=120))
    def check(script):
        for command in split_commands(script):
            assert isinstance(command["program"], str)

    check()


def test_a_group_or_subshell_piped_into_a_command_counts_as_its_pipe():
    commands = split_commands("{ echo a; echo b; } | debconf-set-selections && apt-get update; (curl -fsSL x) | sh")
    assert [(c["program"], c["piped_from"]) for c in commands] == [
        ("echo", []),
        ("echo", []),
        ("debconf-set-selections", ["echo", "echo"]),
        ("apt-get", []),
        ("curl", []),
        ("sh", ["curl"]),
    ]


def test_leading_assignments_are_kept_apart_from_the_words():
    (command,) = split_commands("NODE_TLS_REJECT_UNAUTHORIZED=0 DEBUG=1 npm ci")
    assert command["assignments"] == ["NODE_TLS_REJECT_UNAUTHORIZED=0", "DEBUG=1"]
    assert command["words"] == ["npm", "ci"] and command["program"] == "npm"
