"""Label selector and port semantics: the rules every relational policy depends on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policylint.core.documents import Document
from policylint.kinds.kubernetes.ports import (
    ContainerPort,
    PortRef,
    as_port_number,
    declared_ports,
    parse_port_ref,
    port_matches,
    protocol_of,
    workload_ports,
)
from policylint.kinds.kubernetes.selectors import (
    LabelIndex,
    normalise_labels,
    parse_label_selector,
    parse_map_selector,
)

API = {"app": "api", "tier": "backend", "env": "prod"}


def sel(value, **kwargs):
    return parse_label_selector(value, **kwargs)


# --- matchLabels and matchExpressions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({"matchLabels": {"app": "api"}}, API, True),
        ({"matchLabels": {"app": "web"}}, API, False),
        ({"matchLabels": {"app": "api", "tier": "frontend"}}, API, False),  # every pair must match
        ({"matchLabels": {"missing": "x"}}, API, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "worker"]}]}, API, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]}]}, API, False),
        ({"matchExpressions": [{"key": "absent", "operator": "In", "values": ["x"]}]}, API, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}, API, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, API, False),
        # NotIn matches objects that lack the key entirely (Kubernetes semantics).
        ({"matchExpressions": [{"key": "absent", "operator": "NotIn", "values": ["x"]}]}, API, True),
        ({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, API, True),
        ({"matchExpressions": [{"key": "absent", "operator": "Exists"}]}, API, False),
        ({"matchExpressions": [{"key": "absent", "operator": "DoesNotExist"}]}, API, True),
        ({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, API, False),
        # matchLabels AND matchExpressions
        (
            {"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
            API,
            False,
        ),
        (
            {"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
            API,
            True,
        ),
        # Empty selector: everything (even an object without labels).
        ({}, {}, True),
        ({"matchLabels": {}, "matchExpressions": []}, API, True),
    ],
)
def test_label_selector_semantics(selector, labels, expected):
    assert sel(selector).matches(normalise_labels(labels)) is expected


def test_null_selector_depends_on_the_api():
    assert sel(None).selects_none and not sel(None).matches(API)
    assert sel(None, null_selects_all=True).matches({})  # NetworkPolicy podSelector


def test_empty_selector_can_mean_nothing():
    # policy/v1beta1 PodDisruptionBudget: an empty selector matches zero pods.
    assert not sel({}, empty_selects_all=False).matches(API)
    assert sel({}).matches(API)


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
        {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "a", "operator": "NotIn"}]},
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        {"matchExpressions": [{"operator": "Exists"}]},
        {"matchExpressions": {"key": "a"}},
        {"matchExpressions": ["a"]},
        {"matchLabels": ["app", "api"]},
        {"matchLabels": {"app": {"nested": 1}}},
        "app=api",
    ],
)
def test_invalid_selectors_select_nothing(selector):
    parsed = sel(selector)
    assert not parsed.valid
    assert parsed.reason
    assert not parsed.matches(API)
    assert not parsed.matches({})


def test_yaml_scalars_compare_as_their_string_form():
    # `version: 2` and `canary: true` in YAML are numbers/booleans; the user meant the strings.
    labels = normalise_labels({"version": 2, "canary": True, "empty": None})
    assert labels == {"version": "2", "canary": "true", "empty": ""}
    assert sel({"matchLabels": {"version": "2"}}).matches(labels)
    assert sel({"matchLabels": {"version": 2}}).matches(labels)
    assert sel({"matchExpressions": [{"key": "canary", "operator": "In", "values": [True]}]}).matches(labels)
    assert not sel({"matchLabels": {"version": "2.0"}}).matches(labels)


def test_non_mapping_labels_have_no_labels():
    assert normalise_labels(["app", "api"]) == {}
    assert normalise_labels(None) == {}
    assert normalise_labels({1: "x", "ok": "y", "bad": [1]}) == {"ok": "y"}


# --- Service plain-map selectors ---------------------------------------------------------------


def test_map_selector():
    assert parse_map_selector({"app": "api"}).matches(API)
    assert parse_map_selector({"app": "api", "tier": "backend"}).matches(API)
    assert not parse_map_selector({"app": "api", "tier": "frontend"}).matches(API)
    # No selector or an empty one: endpoints managed by hand, the Service selects no pods.
    assert not parse_map_selector(None).matches(API)
    assert not parse_map_selector({}).matches(API)
    assert not parse_map_selector({"app": ["api"]}).valid


# --- LabelIndex --------------------------------------------------------------------------------------


def build_index():
    index: LabelIndex[str] = LabelIndex()
    index.add("api", {"app": "api", "tier": "backend"})
    index.add("web", {"app": "web", "tier": "frontend"})
    index.add("worker", {"app": "worker", "tier": "backend", "queue": "high"})
    index.add("bare", {})
    index.add("odd", ["not", "labels"])
    return index


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({"matchLabels": {"tier": "backend"}}, ["api", "worker"]),
        ({"matchLabels": {"tier": "backend", "app": "worker"}}, ["worker"]),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, ["api", "web"]),
        ({"matchExpressions": [{"key": "queue", "operator": "Exists"}]}, ["worker"]),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, ["web", "bare", "odd"]),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, ["bare", "odd"]),
        ({}, ["api", "web", "worker", "bare", "odd"]),
        ({"matchLabels": {"tier": "nothing"}}, []),
        ({"matchExpressions": [{"key": "tier", "operator": "Bogus", "values": ["x"]}]}, []),
    ],
)
def test_label_index_selects_like_a_full_scan(selector, expected):
    index = build_index()
    assert index.select(sel(selector)) == expected
    assert index.select(sel(None)) == []


labels_strategy = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y", "z"]), max_size=3)
expression_strategy = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["a", "b", "c"]),
        "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
    }
).flatmap(
    lambda base: st.just(base)
    if base["operator"] in ("Exists", "DoesNotExist")
    else st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=2).map(lambda values: {**base, "values": values})
)
selector_strategy = st.fixed_dictionaries(
    {},
    optional={"matchLabels": labels_strategy, "matchExpressions": st.lists(expression_strategy, max_size=3)},
)


@given(st.lists(labels_strategy, max_size=12), selector_strategy)
def test_label_index_agrees_with_matches(all_labels, selector):
    index: LabelIndex[int] = LabelIndex()
    for number, labels in enumerate(all_labels):
        index.add(number, labels)
    parsed = sel(selector)
    assert index.select(parsed) == [number for number, labels in enumerate(all_labels) if parsed.matches(labels)]


# --- ports -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(8080, 8080), ("8080", 8080), (" 53 ", 53), (0, None), (65536, None), ("http", None), (True, None), (None, None)],
)
def test_as_port_number(value, expected):
    assert as_port_number(value) == expected


def test_parse_port_ref():
    assert parse_port_ref(8080) == PortRef(number=8080)
    assert parse_port_ref("8080") == PortRef(number=8080)
    assert parse_port_ref("http") == PortRef(name="http")
    assert parse_port_ref(9000, 9100) == PortRef(number=9000, end=9100)
    assert parse_port_ref(9000, 8000) == PortRef(number=9000)  # an endPort below port is ignored
    assert parse_port_ref(None) is None
    assert parse_port_ref("") is None
    assert parse_port_ref({"number": 80}) is None
    assert parse_port_ref(9000, 9100).label == "9000-9100"


def test_protocol_defaults_to_tcp():
    assert protocol_of(None) == "TCP"
    assert protocol_of("udp") == "UDP"
    assert protocol_of("SCTP") == "SCTP"


PORTS = [ContainerPort(8080, "TCP", "http"), ContainerPort(5353, "UDP", "dns"), ContainerPort(9090, "TCP", "")]


@pytest.mark.parametrize(
    ("ref", "protocol", "expected"),
    [
        (PortRef(number=8080), "TCP", True),
        (PortRef(number=8080), "UDP", False),
        (PortRef(number=8080), None, True),
        (PortRef(name="http"), "TCP", True),
        (PortRef(name="http"), "UDP", False),
        (PortRef(name="dns"), "UDP", True),
        (PortRef(name="metrics"), "TCP", False),  # 9090 has no name: a name never matches a number
        (PortRef(number=9090), "TCP", True),
        (PortRef(number=80), "TCP", False),
        (PortRef(number=9000, end=9100), "TCP", True),
        (PortRef(number=9091, end=9100), "TCP", False),
    ],
)
def test_port_matches(ref, protocol, expected):
    assert port_matches(ref, protocol, PORTS) is expected


def test_declared_ports_ignores_malformed_entries():
    ports = declared_ports(
        [
            {"containerPort": 8080, "name": "http"},
            {"containerPort": "9090", "protocol": "udp"},
            {"name": "no-number"},
            {"containerPort": 0},
            "8080",
        ]
    )
    assert ports == [ContainerPort(8080, "TCP", "http"), ContainerPort(9090, "UDP", "")]
    assert declared_ports(None) == []


def test_workload_ports_cover_main_and_init_containers_not_ephemeral():
    data = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "app", "ports": [{"containerPort": 8080, "name": "http"}]}],
                    "initContainers": [{"name": "sidecar", "restartPolicy": "Always", "ports": [{"containerPort": 15000}]}],
                    "ephemeralContainers": [{"name": "debug", "ports": [{"containerPort": 2345}]}],
                }
            }
        },
    }
    doc = Document("d.yaml", "kubernetes", 0, data, {})
    assert [port.number for port in workload_ports(doc)] == [8080, 15000]
