"""The offline advisory snapshot: version ranges, floating tags, SHA pins, and the refresh script."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from support import ROOT

from policylint.kinds.github_actions.advisories import affected, parse_version, snapshot, vulnerabilities


@pytest.mark.parametrize(
    ("version", "introduced", "fixed", "expected"),
    [
        ((4, 1, 2), "4.0.0", "4.1.7", True),
        ((4, 1, 7), "4.0.0", "4.1.7", False),
        ((3, 9, 9), "4.0.0", "4.1.7", False),
        ((4,), "4.0.0", "4.1.7", False),  # floating v4: the newest 4.x is fixed
        ((40,), "0", "41", True),  # floating v40: every 40.x is affected
        ((41,), "0", "41", False),
        ((2, 0), "0", "3", True),
    ],
)
def test_ranges_and_floating_tags(version, introduced, fixed, expected):
    assert affected(version, introduced, fixed) is expected


def test_last_affected_bounds_the_range():
    assert affected((1, 2, 0), "0", "", last_affected="1.2.0")
    assert not affected((1, 2), "0", "", last_affected="1.2.0")  # floating v1.2 may be 1.2.1
    assert not affected((1, 3), "0", "", last_affected="1.2.0")


def test_versions_refs_and_branches():
    assert parse_version("v4.1.2") == (4, 1, 2)
    assert parse_version("7.0.7-rc.1") == (7, 0, 7)
    assert parse_version("main") is None


def test_sha_pins_resolve_through_the_tag_map_then_the_comment():
    found, how = vulnerabilities("actions/download-artifact", "eaceaf801fd36c7dee90939fad912460b18a1ffe")
    assert [item["id"] for item in found] == ["GHSA-cxww-7g56-2vh6"] and how == "sha"
    found, how = vulnerabilities("hashicorp/vault-action", "0" * 40, "v2.1.2")
    assert [item["id"] for item in found] == ["GHSA-4mgv-m5cm-f9h7"] and how == "comment"
    assert vulnerabilities("hashicorp/vault-action", "0" * 40, "")[0] == []
    assert vulnerabilities("actions/checkout", "v1")[0] == []


def test_snapshot_lists_a_source_per_advisory_and_explain_shows_its_date():
    data = json.loads((ROOT / "policylint/kinds/github_actions/data/advisories.json").read_text(encoding="utf-8"))
    for advisory in data["advisories"]:
        assert any(advisory["id"] in source for source in data["sources"]), advisory["id"]
    for action, tags in data["tags"].items():
        assert action == action.lower() and all(re.fullmatch(r"[0-9a-f]{40}", sha) for sha in tags.values())
    policy = (ROOT / "policies/github-actions/gha-known-vulnerable-action.yaml").read_text(encoding="utf-8")
    assert f"advisory snapshot of {data['snapshot']}" in " ".join(policy.split())
    assert snapshot()["date"] == data["snapshot"]


def test_refresh_script_reads_osv_records(tmp_path):
    records = tmp_path / "advisories"
    (records / "2024/01/GHSA-aaaa-bbbb-cccc").mkdir(parents=True)
    (records / "2024/01/GHSA-aaaa-bbbb-cccc/GHSA-aaaa-bbbb-cccc.json").write_text(json.dumps({
        "id": "GHSA-aaaa-bbbb-cccc", "summary": "injection", "published": "2024-01-02T00:00:00Z",
        "affected": [{"package": {"ecosystem": "GitHub Actions", "name": "Acme/Action"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.1"}]}]}],
        "database_specific": {"severity": "HIGH"}}))
    (records / "npm.json").write_text(json.dumps({
        "id": "GHSA-dddd-eeee-ffff", "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"},
                                                   "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}))
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"Acme/Action": {"v2.0.0": "a" * 40, "bad": "not-a-sha"}}))
    output = tmp_path / "advisories.json"
    script = ROOT / "scripts/refresh_gha_advisories.py"
    result = subprocess.run([sys.executable, str(script), str(records), "--tags", str(tags), "--date", "2027-01-01",
                             "--output", str(output)], capture_output=True, text=True, check=True)
    assert "1 advisories for 1 actions" in result.stdout
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["snapshot"] == "2027-01-01"
    assert [(a["id"], a["action"], a["ranges"]) for a in data["advisories"]] == [
        ("GHSA-aaaa-bbbb-cccc", "acme/action", [{"introduced": "0", "fixed": "2.0.1"}])]
    assert data["tags"] == {"acme/action": {"v2.0.0": "a" * 40}}
    assert any("GHSA-aaaa-bbbb-cccc.json" in source for source in data["sources"])
