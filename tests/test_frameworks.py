"""Framework data files and the catalog's `frameworks:` entries agree with the researched mapping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policylint.catalog import load_policies
from policylint.frameworks import (
    FrameworkError,
    control_index,
    load_frameworks,
    parse_framework,
    report_controls,
    unknown_references,
)

MAPPING = yaml.safe_load(Path(__file__).with_name("framework_mapping.yaml").read_text(encoding="utf-8"))["rules"]
FRAMEWORKS = load_frameworks()
POLICY_SET = load_policies()

#: Per framework: (controls, automated, partial, manual), as counted in section 3 of frameworks.md, plus the
#: controls that the gap-closing rules (end of tests/framework_mapping.yaml) now cover
#: (cis-k8s adds the ten manual groups of benchmark sections 1-4; the RBAC rules make eight 5.1.x controls and
#: two NSA controls partial).
EXPECTED_COUNTS = {
    "pss-baseline": (12, 11, 1, 0),
    "pss-restricted": (7, 6, 1, 0),
    "cis-k8s": (45, 2, 25, 18),
    "nsa-cisa": (26, 9, 8, 9),
    "cis-docker": (39, 6, 8, 25),
    "owasp-cicd": (10, 0, 8, 2),
    "guide": (10, 1, 2, 7),
}


def _refs(entries: dict[str, list[str]]) -> set[str]:
    return {f"{framework}:{control}" for framework, controls in entries.items() for control in controls}


def test_the_seven_frameworks_exist_with_their_counts():
    assert sorted(FRAMEWORKS) == sorted(EXPECTED_COUNTS)
    for framework_id, (total, automated, partial, manual) in EXPECTED_COUNTS.items():
        controls = FRAMEWORKS[framework_id].controls
        coverage = [control.coverage for control in controls]
        assert (len(controls), coverage.count("automated"), coverage.count("partial"), coverage.count("manual")) == (
            total, automated, partial, manual), framework_id


def test_framework_metadata_and_specific_controls():
    restricted = FRAMEWORKS["pss-restricted"]
    assert restricted.includes == ("pss-baseline",)
    assert restricted.control("runAsNonRoot").title == "Running as Non-root"
    assert restricted.control("capabilities_restricted").replaces == "capabilities_baseline"
    assert FRAMEWORKS["cis-k8s"].control("5.2.7").title == "Minimize the admission of root containers"
    assert FRAMEWORKS["cis-k8s"].control("5.1.1").assessment == "automated"
    assert FRAMEWORKS["cis-docker"].control("4.7").scope == "static — no rule yet"
    assert FRAMEWORKS["guide"].control("guide-10").title == "Secret management — シークレット管理"
    for framework in FRAMEWORKS.values():
        assert framework.name and framework.version and framework.source
        for control in framework.controls:
            # A control a rule covers only in part must say what is left to manual evidence.
            if control.coverage == "partial":
                assert control.note, control.ref
            # Nothing outside the files' reach can be covered by a rule.
            if control.scope != "static":
                assert control.coverage == "manual", control.ref


def test_restricted_report_lists_baseline_controls_first():
    controls = report_controls(FRAMEWORKS["pss-restricted"], FRAMEWORKS)
    assert len(controls) == 19
    assert [c.ref for c in controls[:2]] == ["pss-baseline:windowsHostProcess", "pss-baseline:hostNamespaces"]
    assert controls[-1].ref == "pss-restricted:procMount_restricted"


def test_every_policy_framework_entry_names_an_existing_control():
    assert unknown_references(POLICY_SET, FRAMEWORKS) == []


@pytest.mark.parametrize("rule_id", sorted(MAPPING))
def test_policy_controls_match_the_mapping(rule_id):
    """Section 2 of frameworks.md, kept in tests/framework_mapping.yaml, is reflected in each policy that exists."""
    policy = POLICY_SET.get(rule_id)
    if policy is None:
        if rule_id in ("parse-error", "policy-error"):
            return
        pytest.skip(f"{rule_id} is not written yet")
    assert _refs(policy.frameworks) == set(MAPPING[rule_id])


def test_mapping_agrees_with_framework_coverage():
    """A control some rule maps to is automated or partial; a control no rule maps to is manual."""
    mapped = {ref for refs in MAPPING.values() for ref in refs}
    for framework in FRAMEWORKS.values():
        for control in framework.controls:
            assert (control.ref in mapped) == (control.coverage != "manual"), control.ref
    assert mapped <= {control.ref for framework in FRAMEWORKS.values() for control in framework.controls}


def test_control_index_is_the_reverse_of_policy_entries():
    index = control_index(POLICY_SET)
    for ref, policy_ids in index.items():
        for policy_id in policy_ids:
            assert ref in _refs(POLICY_SET.get(policy_id).frameworks)


def test_unknown_reference_is_reported_by_policy():
    from types import SimpleNamespace

    fake = SimpleNamespace(id="k8s-fake", frameworks={"guide": ["security"], "nist": ["AC-1"], "pss-restricted": ["runAsNonRoot"]})
    assert unknown_references([fake], FRAMEWORKS) == [
        "k8s-fake: guide has no control 'security'",
        "k8s-fake: unknown framework 'nist'",
    ]


def test_bad_framework_files_are_refused(tmp_path):
    good = (
        "id: demo\nname: Demo\nversion: '1'\nsource: [https://example.org]\n"
        "controls:\n  - {id: a, title: A, scope: static, coverage: automated}\n"
    )
    assert parse_framework(tmp_path / "demo.yaml", good).control("a").coverage == "automated"
    with pytest.raises(FrameworkError, match="must equal the file name"):
        parse_framework(tmp_path / "other.yaml", good)
    with pytest.raises(FrameworkError, match="controls/0/coverage"):
        parse_framework(tmp_path / "demo.yaml", good.replace("coverage: automated", "coverage: full"))
    with pytest.raises(FrameworkError, match="duplicate control id 'a'"):
        parse_framework(tmp_path / "demo.yaml", good + "  - {id: a, title: B, scope: manual, coverage: manual}\n")
    (tmp_path / "demo.yaml").write_text(good.replace("controls:", "includes: [missing]\ncontrols:"), encoding="utf-8")
    with pytest.raises(FrameworkError, match="includes unknown framework 'missing'"):
        load_frameworks(tmp_path)


def test_check_never_loads_frameworks(tmp_path):
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n")
    code = (
        "import sys; from policylint.cli import main; main(['check', sys.argv[1], '--fail-on', 'never']); "
        "print('frameworks' if 'policylint.frameworks' in sys.modules else 'lazy')"
    )
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "lazy"
