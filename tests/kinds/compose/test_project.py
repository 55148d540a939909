"""Compose projects: which scanned files `docker compose` reads together, how their services merge,
and where compose-no-resource-limits / compose-healthcheck-missing report on the merge."""

from __future__ import annotations

import textwrap

import pytest

from policylint.catalog import load_policies
from policylint.core.documents import DocumentSet, LoadResult
from policylint.core.engine import run
from policylint.core.loading import load_bytes
from policylint.kinds.compose.project import merged_services, project_key

POLICIES = load_policies()


def load(files: dict[str, str]) -> LoadResult:
    result = LoadResult()
    for path, text in files.items():
        result.extend(load_bytes(path, textwrap.dedent(text).encode(), "compose"))
    return result


def findings(files: dict[str, str], *policy_ids: str) -> list[tuple[str, int, str]]:
    policies = [POLICIES.get(policy_id) for policy_id in policy_ids]
    return sorted((f.path, f.line, f.policy_id) for f in run(load(files), policies))


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("compose.yaml", (".", "compose", 0)),
        ("app/docker-compose.yml", ("app", "docker-compose", 0)),
        ("app/compose.override.yml", ("app", "compose", 1)),
        ("app/docker-compose.prod.yaml", ("app", "docker-compose", 2)),
        ("app/Docker-Compose.CI.yml", ("app", "docker-compose", 2)),
        ("app/docker-compose-prod.yml", None),  # a separate file, not an overlay name
        ("app/compose.json", None),
    ],
)
def test_project_key(path, key):
    assert project_key(path) == key


def test_overlays_join_the_base_beside_them_in_compose_order():
    files = {
        "a/compose.yaml": "services:\n  api: {image: 'x:1'}\n",
        "a/compose.prod.yaml": "services:\n  api: {mem_limit: 2g}\n",
        "a/compose.override.yaml": "services:\n  api: {mem_limit: 1g}\n",
        "a/docker-compose.ci.yml": "services:\n  api: {healthcheck: {test: [CMD, 'true']}}\n",  # joins compose.yaml
        "b/compose.dev.yaml": "services:\n  api: {image: 'y:1'}\n",  # no base in b: alone
    }
    documents = DocumentSet(load(files).documents)
    by_path = {doc.path: doc for doc in documents}
    api = merged_services(by_path["a/compose.prod.yaml"], documents)["api"]
    assert api.home is by_path["a/compose.yaml"]
    assert [doc.path for doc in api.definitions] == [
        "a/compose.yaml", "a/compose.override.yaml", "a/compose.prod.yaml", "a/docker-compose.ci.yml",
    ]  # fmt: skip
    assert api.memory_limit[0] == "2g" and api.memory_limit[1] is by_path["a/compose.prod.yaml"]
    assert api.healthcheck_at[0] is by_path["a/docker-compose.ci.yml"]
    alone = merged_services(by_path["b/compose.dev.yaml"], documents)["api"]
    assert alone.home is by_path["b/compose.dev.yaml"]


def test_a_limit_in_an_overlay_counts_and_a_missing_one_is_reported_once_at_the_base():
    files = {
        "compose.yaml": """
            services:
              api:
                image: shop/api:1.4
              db:
                image: postgres:16
              web:
                image: shop/web:1.4
            """,
        "compose.prod.yaml": """
            services:
              api:
                deploy: {resources: {limits: {memory: 512M}}}
              db:
                ports: ["5432"]
              extra:
                image: shop/extra:1.0
            """,
    }
    assert findings(files, "compose-no-resource-limits") == [
        ("compose.prod.yaml", 7, "compose-no-resource-limits"),  # defined only there: its home
        ("compose.yaml", 5, "compose-no-resource-limits"),  # db, once, in the base file
        ("compose.yaml", 7, "compose-no-resource-limits"),
    ]
    # the same files scanned apart keep their own judgement
    assert findings({"compose.prod.yaml": files["compose.prod.yaml"]}, "compose-no-resource-limits") == [
        ("compose.prod.yaml", 5, "compose-no-resource-limits"),
        ("compose.prod.yaml", 7, "compose-no-resource-limits"),
    ]


def test_dependents_and_conditions_merge_across_the_project():
    files = {
        "docker-compose.yml": """
            services:
              app:
                image: shop/app:1.4
                depends_on:
                  db:
                    condition: service_healthy
                  cache:
                    condition: service_started
              db:
                image: postgres:16
              cache:
                image: redis:7.2
                healthcheck: {test: [CMD, redis-cli, ping]}
            """,
        "docker-compose.override.yml": """
            services:
              app:
                depends_on: [cache]
              worker:
                image: shop/worker:1.4
                depends_on: [db]
              db:
                healthcheck: {test: [CMD-SHELL, pg_isready]}
            """,
    }
    assert findings(files, "compose-healthcheck-missing") == [
        ("docker-compose.override.yml", 7, "compose-healthcheck-missing"),  # worker -> db without a condition
        ("docker-compose.yml", 9, "compose-healthcheck-missing"),  # at the condition: service_started written
    ]


def test_a_disabled_healthcheck_in_an_overlay_is_reported_where_it_is_written():
    files = {
        "compose.yaml": (
            "services:\n  app: {image: 'a:1', depends_on: [db]}\n"
            "  db:\n    image: postgres:16\n    healthcheck: {test: [CMD, 'true']}\n"
        ),
        "compose.override.yaml": "services:\n  db:\n    healthcheck:\n      disable: true\n",
    }
    assert findings(files, "compose-healthcheck-missing") == [("compose.override.yaml", 3, "compose-healthcheck-missing")]
