"""The compose loader and the service view: both environment syntaxes, short and long ports,
depends_on forms, memory limits, extension fields, anchors and merge keys, with their lines."""

from __future__ import annotations

import textwrap

import pytest

from policylint.core.documents import DocumentSet
from policylint.core.kinds import detect_by_content, detect_by_name, get_relation, get_target
from policylint.core.loading import load_bytes
from policylint.kinds.compose.targets import parse_port


def load(text: str, path: str = "docker-compose.yml"):
    result = load_bytes(path, textwrap.dedent(text).lstrip("\n").encode(), "compose")
    assert result.failures == []
    return result.documents[0]


def services(doc):
    return {view.instance["name"]: view for view in get_target("compose", "service")(doc, {})}


def line_of(view, *path):
    return view.locate(path)[1].line


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("docker-compose.yml", "compose"),
        ("docker-compose.prod.yaml", "compose"),
        ("compose.yaml", "compose"),
        ("compose.override.yml", "compose"),
        ("deploy/stack.yml", "yaml"),
    ],
)
def test_file_names(name, kind):
    assert detect_by_name(name) == kind


def test_content_detection_needs_services_with_image_or_build():
    assert detect_by_content("services:\n  web:\n    image: nginx:1.27\n") == "compose"
    assert detect_by_content("services:\n  web:\n    build: .\n") == "compose"
    assert detect_by_content("apiVersion: v1\nkind: Service\nmetadata: {name: services}\n") == "kubernetes"


def test_both_environment_syntaxes_with_lines():
    doc = load(
        """
        services:
          listed:
            image: app:1
            environment:
              - A=1
              - B=with=equals
              - FROM_HOST
          mapped:
            image: app:1
            environment:
              C: 3
              D: true
              E:
        """
    )
    views = services(doc)
    listed, mapped = views["listed"], views["mapped"]
    assert listed.instance["environment"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "with=equals"},
        {"name": "FROM_HOST", "value": None},
    ]
    assert [line_of(listed, "environment", n) for n in range(3)] == [5, 6, 7]
    assert mapped.instance["env"] == {"C": "3", "D": "true", "E": None}
    assert [line_of(mapped, "env", key) for key in ("C", "D", "E")] == [11, 12, 13]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("5432:5432", (None, "5432", "5432", "tcp", True)),
        ("127.0.0.1:5432:5432", ("127.0.0.1", "5432", "5432", "tcp", False)),
        ("0.0.0.0:5432:5432/tcp", ("0.0.0.0", "5432", "5432", "tcp", True)),
        ("5432", (None, None, "5432", "tcp", True)),
        (5432, (None, None, "5432", "tcp", True)),
        ("127.0.0.1::5432", ("127.0.0.1", None, "5432", "tcp", False)),
        ("9090-9091:8080-8081", (None, "9090-9091", "8080-8081", "tcp", True)),
        ("[::1]:6001:6001/udp", ("[::1]", "6001", "6001", "udp", False)),
        ("[::]:6001:6001", ("[::]", "6001", "6001", "tcp", True)),
        ("::1:6002:6002", ("::1", "6002", "6002", "tcp", False)),
        ("${PORT:-5432}:5432", (None, "5432", "5432", "tcp", True)),
        ("${BIND_IP}:5432:5432", ("$BIND_IP", "5432", "5432", "tcp", False)),
        ({"target": 5432, "published": "5432", "protocol": "tcp"}, (None, "5432", "5432", "tcp", True)),
        ({"target": 5432, "published": 5433, "host_ip": "127.0.0.1"}, ("127.0.0.1", "5433", "5432", "tcp", False)),
        ({"target": 5432}, (None, None, "5432", "tcp", True)),
    ],
)
def test_port_syntaxes(entry, expected):
    port = parse_port(entry)
    assert (port["host_ip"], port["published"], port["target"], port["protocol"], port["all_interfaces"]) == expected


def test_unquoted_port_is_not_read_as_base_60():
    doc = load(
        """
        services:
          ssh:
            image: app:1
            ports:
              - 22:22
              - 2222:22
        """
    )
    assert doc.data["services"]["ssh"]["ports"] == ["22:22", "2222:22"]
    assert [port["target"] for port in services(doc)["ssh"].instance["ports"]] == ["22", "22"]


def test_long_port_syntax_lines():
    doc = load(
        """
        services:
          db:
            image: postgres:16
            ports:
              - target: 5432
                published: 5432
                host_ip: 127.0.0.1
              - "5433:5432"
        """
    )
    view = services(doc)["db"]
    assert [line_of(view, "ports", n) for n in range(2)] == [5, 8]
    assert [port["all_interfaces"] for port in view.instance["ports"]] == [False, True]


def test_depends_on_list_and_map_and_dependents_relation():
    doc = load(
        """
        services:
          app:
            image: app:1
            depends_on: [db, cache]
          worker:
            image: app:1
            depends_on:
              db:
                condition: service_healthy
          db:
            image: postgres:16
          cache:
            image: redis:7
        """
    )
    views = services(doc)
    assert views["app"].instance["depends_on"] == [{"service": "db", "condition": None}, {"service": "cache", "condition": None}]
    assert views["worker"].instance["depends_on"] == [{"service": "db", "condition": "service_healthy"}]
    dependents = get_relation("compose", "dependents")
    (db,) = dependents(views["db"], DocumentSet([doc]), {})
    assert db.instance["dependents"] == [{"service": "app", "condition": None}, {"service": "worker", "condition": "service_healthy"}]
    assert [line_of(db, "dependents", n) for n in range(2)] == [4, 8]


def test_memory_limit_from_deploy_or_mem_limit_and_merge_keys():
    doc = load(
        """
        x-limits: &limits
          deploy:
            resources:
              limits:
                memory: 512M
        x-env: &env
          LOG_LEVEL: info
          DB_PASSWORD: from-anchor
        services:
          merged:
            <<: *limits
            image: app:1
            environment:
              <<: *env
              LOG_LEVEL: debug
          legacy:
            image: app:1
            mem_limit: 256m
          none:
            image: app:1
        """
    )
    views = services(doc)
    assert views["merged"].instance["memory_limit"] == "512M"
    assert line_of(views["merged"], "memory_limit") == 5  # where the anchor defines it
    assert views["merged"].instance["env"] == {"LOG_LEVEL": "debug", "DB_PASSWORD": "from-anchor"}
    assert line_of(views["merged"], "env", "LOG_LEVEL") == 15  # the explicit key wins
    assert line_of(views["merged"], "env", "DB_PASSWORD") == 8
    assert views["legacy"].instance["memory_limit"] == "256m"
    assert "memory_limit" not in views["none"].instance
    assert set(doc.data) == {"x-limits", "x-env", "services"}


def test_credentials_pair_user_and_password():
    doc = load(
        """
        services:
          kc:
            image: quay.io/keycloak/keycloak:23.0
            environment:
              KEYCLOAK_ADMIN: admin
              KEYCLOAK_ADMIN_PASSWORD: admin
              DB_URL: postgres://app:pw@db/app
              MYSQL_PASSWORD_FILE: /run/secrets/x
        """
    )
    view = services(doc)["kc"]
    assert view.instance["credentials"] == [
        {"password_var": "KEYCLOAK_ADMIN_PASSWORD", "user_var": "KEYCLOAK_ADMIN", "user": "admin", "password": "admin"},
        {"password_var": "DB_URL", "user_var": "DB_URL", "user": "app", "password": "pw"},
    ]
    assert view.instance["image_ref"]["name"] == "keycloak"


def test_volumes_caps_command_normalised():
    doc = load(
        """
        services:
          app:
            image: app:1
            command: uvicorn main:app --reload
            cap_add: [cap_net_admin, SYS_TIME]
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock:ro
              - data:/data
              - type: bind
                source: ./src
                target: /src
        """
    )
    view = services(doc)["app"]
    assert view.instance["command"] == ["uvicorn", "main:app", "--reload"]
    assert view.instance["capabilities_added"] == ["NET_ADMIN", "SYS_TIME"]
    assert [(v["type"], v["source"], v["target"]) for v in view.instance["volumes"]] == [
        ("bind", "/var/run/docker.sock", "/var/run/docker.sock"),
        ("volume", "data", "/data"),
        ("bind", "./src", "/src"),
    ]


def test_non_mapping_and_broken_yaml_are_parse_errors():
    result = load_bytes("docker-compose.yml", b"- just\n- a list\n", "compose")
    assert [(f.line, f.reason) for f in result.failures] == [(1, "a compose file must be a mapping at the top level")]
    broken = load_bytes("docker-compose.yml", b"services:\n  app: [\n", "compose")
    assert broken.documents == [] and len(broken.failures) == 1


def test_schema_errors_point_at_the_offending_key():
    doc = load(
        """
        services:
          app:
            image: app:1
            enviroment:
              - A=1
            healthcheck:
              test: ["CMD", "true"]
              intervall: 5s
            ports:
              - target: 80
                publishd: 8080
        x-fine: {}
        """
    )
    (view,) = get_target("compose", "file")(doc, {})
    (joined,) = get_relation("compose", "compose-schema")(view, DocumentSet([doc]), {})
    found = [(error["message"], line_of(joined, "schema_errors", n)) for n, error in enumerate(joined.instance["schema_errors"])]
    assert found == [("unexpected key 'enviroment'", 4), ("unexpected key 'intervall'", 8), ("unexpected key 'publishd'", 11)]


def test_ipv6_address_ending_in_colons_in_flow_style_is_read_as_docker_compose_reads_it():
    # libyaml alone refuses `2001:db8::}` (a colon before a flow indicator); the go-yaml reading keeps it
    doc = load(
        """
        services:
          app:
            image: app:1
            networks: {front: {ipv6_address: 2001:db8::}}
            dns: [1.1.1.1, fe80::]
            environment: [A=1]
        """
    )
    service = doc.data["services"]["app"]
    assert service["networks"] == {"front": {"ipv6_address": "2001:db8::"}}
    assert service["dns"] == ["1.1.1.1", "fe80::"]
    assert doc.position(("services", "app", "dns", 1))[0].line == 5
    assert doc.position(("services", "app", "dns", 1))[0].column == 20
    assert line_of(services(doc)["app"], "environment", 0) == 6
