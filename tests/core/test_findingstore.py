"""The finding store keeps a large run's findings on disk and reads them back in order (issue 24)."""

from __future__ import annotations

import random

import pytest

from policylint.core import findingstore
from policylint.core.findings import Finding, Location, Suppression
from policylint.core.findingstore import FindingStore, Selection


def _finding(index: int, rng: random.Random) -> Finding:
    path = f"app-{rng.randint(0, 30):02d}/deploy.yaml"
    return Finding(rng.choice(["k8s-run-as-root", "k8s-host-port", "docker-sudo"]), "high", path,
                   rng.randint(1, 40), rng.randint(1, 5), f"message {index}", logical=f"obj#{index}",
                   related=(Location(path, 3, 1, "see"),) if index % 7 == 0 else (),
                   suppression=Suppression("inline", "why") if index % 11 == 0 else None,
                   fingerprint=f"{rng.randint(0, 9)}")


def _findings(count: int, seed: int = 7) -> list[Finding]:
    rng = random.Random(seed)
    return [_finding(index, rng) for index in range(count)]


@pytest.mark.parametrize("spill_at", [1, 3, 64, 10_000])
def test_reads_back_a_stable_sort_of_what_was_added_whatever_spills(spill_at):
    added = _findings(1_000)
    store = FindingStore(spill_at=spill_at)
    for start in range(0, len(added), 97):  # added in several parts, as units are
        store.extend(added[start:start + 97])
    expected = sorted(added, key=lambda finding: finding.sort_key)  # stable: ties keep their order
    assert store.spilled == (spill_at <= len(added))
    assert list(store) == expected
    assert list(store) == expected  # read twice: the runs stay readable
    assert len(store) == 1_000 and store == expected and store[5] == expected[5] and store[-2:] == expected[-2:]


def test_equal_keys_keep_the_order_they_were_added_in_across_runs():
    first = Finding("p", "low", "a.yaml", 1, 1, "first", fingerprint="same")
    second = Finding("p", "low", "a.yaml", 1, 1, "second", fingerprint="same")
    store = FindingStore([first], spill_at=1)
    store.extend([second])
    assert [finding.message for finding in store] == ["first", "second"]


def test_other_keys_regroup_a_store_and_selection_is_lazy():
    added = _findings(300)
    store = FindingStore(added, spill_at=50)
    by_policy = FindingStore(store, key=lambda finding: (finding.policy_id, finding.path), spill_at=50)
    assert list(by_policy) == sorted(sorted(added, key=lambda f: f.sort_key), key=lambda f: (f.policy_id, f.path))
    active = Selection(store, lambda finding: finding.suppression is None)
    assert len(active) == sum(1 for finding in added if finding.suppression is None)
    assert list(active) == [finding for finding in store if finding.suppression is None]


def test_mapped_rewrites_every_finding_in_order_and_an_empty_store_is_false():
    store = FindingStore(_findings(120), spill_at=16)
    shouted = store.mapped(lambda finding: Finding(**{**_fields(finding), "message": finding.message.upper()}))
    assert [finding.message for finding in shouted] == [finding.message.upper() for finding in store]
    assert not FindingStore() and len(FindingStore()) == 0 and list(FindingStore()) == []


def test_close_removes_the_file():
    store = FindingStore(_findings(10), spill_at=2)
    handle = store._file
    assert handle is not None and not handle.closed
    store.close()
    assert handle.closed


def test_default_threshold_is_read_when_a_store_is_made(monkeypatch):
    monkeypatch.setattr(findingstore, "SPILL_AT", 2)
    assert FindingStore(_findings(5)).spilled


def _fields(finding: Finding) -> dict:
    return {name: getattr(finding, name) for name in Finding.__record_fields__}
