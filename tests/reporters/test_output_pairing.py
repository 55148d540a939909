"""Several formats in one run: each --output belongs to the --format just before it."""

from __future__ import annotations

import json

SELECT = ("--select", "k8s-privilege-escalation,k8s-privileged-container,k8s-run-as-root")


def test_sarif_to_file_and_text_to_stdout(tree, run_cli):
    code, out, _ = run_cli("check", ".", *SELECT, "--format", "sarif", "--output", "results.sarif",
                           "--format", "text", "--no-color", cwd=tree)
    assert code == 1
    assert out.startswith("bad.yaml\n")
    sarif = json.loads((tree / "results.sarif").read_text())
    assert len(sarif["runs"][0]["results"]) == 4


def test_unpaired_format_first(tree, run_cli):
    _, out, _ = run_cli("check", ".", *SELECT, "--format", "text", "--no-color", "--format", "junit",
                        "-o", "junit.xml", "--format=gitlab", "--output=cq.json", cwd=tree)
    assert out.startswith("bad.yaml\n")
    assert (tree / "junit.xml").read_text().startswith("<?xml")
    assert json.loads((tree / "cq.json").read_text())[0]["check_name"] == "k8s-privilege-escalation"


def test_output_before_its_format_pairs_with_the_next_format(tree, run_cli):
    code, out, err = run_cli("check", ".", *SELECT, "-o", "x.json", "--format", "json", cwd=tree)
    assert code == 1
    assert json.loads((tree / "x.json").read_text())["summary"]["findings"] == 3
    assert out == "" and err.startswith("3 findings")  # every format went to a file: the terminal gets the summary


def test_output_left_over_is_a_usage_error(tree, run_cli):
    code, _, err = run_cli("check", ".", "--format", "json", "-o", "a.json", "-o", "b.json", cwd=tree)
    assert code == 2
    assert "--output b.json has no --format to write" in err
