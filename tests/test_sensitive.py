"""The catalog's secret-like name, credential URL and placeholder definitions, and the condition
formats/keyword the secret policies build on them."""

from __future__ import annotations

import pytest

from policylint.conditions import Condition
from policylint.sensitive import credential_url_password, is_credential_url, is_placeholder, is_secret_like_name


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "KEYCLOAK_CLIENT_SECRET",
        "DATADOG_API_KEY",
        "apiKey",
        "api-key",
        "APIKey",
        "DBPassword",
        "clientSecret",
        "GITHUB_TOKEN",
        "private.key",
        "PRIVATE_KEY",
        "aws-credentials",
        "AUTH",
        "basic_auth",
        "passwd",
        "PWD",
    ],
)
def test_secret_like_names(name):
    assert is_secret_like_name(name)


@pytest.mark.parametrize(
    "name", ["KEYCLOAK_REALM", "AUTHOR", "AUTHORS_FILE", "DATABASE_URL", "TOKENIZER", "SECRETARY", "PASSWORDLESS_MODE", "LOG_LEVEL", ""]
)
def test_not_secret_like_names(name):
    assert not is_secret_like_name(name)


@pytest.mark.parametrize(
    ("value", "password"),
    [
        ("postgres://app:hunter2@db:5432/app", "hunter2"),
        ("redis://:pw@cache:6379", "pw"),
        ("amqp://guest:guest@rabbit:5672/", "guest"),
        ("config:\n  url: mongodb://root:s3cret@mongo/admin\n", "s3cret"),
        ("a: postgres://u:${PW}@db/app\nb: redis://:literal@cache:6379\n", "literal"),  # not only the first URL
    ],
)
def test_credential_urls(value, password):
    assert credential_url_password(value) == password
    assert is_credential_url(value)


@pytest.mark.parametrize(
    "value",
    [
        "postgres://app@db:5432/app",  # no password
        "postgres://app:@db/app",  # empty password
        "postgres://app:${DB_PASSWORD}@db/app",  # placeholder password
        "postgres://app:$(DB_PASSWORD)@db/app",
        "https://example.com/path?x=a:b@c",
        "http://db:5432/app",
        "not a url",
    ],
)
def test_not_credential_urls(value):
    assert not is_credential_url(value)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "${VAR}",
        "$(VAR)",
        "${{ secrets.TOKEN }}",
        "{{ .Values.password }}",
        "your-api-key",
        "changeme",
        "change-me",
        "CHANGEME123",
        "<password>",
        "<set in vault> later",
        "xxxxxxxx",
        "example",
        "dummy-token",
        "placeholder",
        "REDACTED",
        "***",
    ],
)
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["password", "admin", "postgres", "root", "secret", "123456", "hunter2", "<", "a<b>", "my-changeme"])
def test_weak_and_real_values_are_not_placeholders(value):
    assert not is_placeholder(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("Y2hhbmdlbWU=", True),  # base64 of "changeme"
        ("", True),
        (None, True),
        ("${SECRET}", True),
        ("aHVudGVyMg==", False),  # base64 of "hunter2"
        ("not base64 at all", False),
        ("//79", False),  # valid base64, not UTF-8
        (42, False),
    ],
)
def test_base64_placeholder_format(value, ok):
    condition = Condition({"properties": {"v": {"format": "base64-placeholder"}}})
    assert condition.is_valid({"v": value}) is ok


def test_named_properties_ties_key_names_to_values_and_points_at_the_key():
    condition = Condition(
        {"namedProperties": {"name": {"format": "secret-like-name"}, "value": {"format": "placeholder"}}}
    )
    data = {"LOG_LEVEL": "debug", "DB_PASSWORD": "hunter2", "API_KEY": "${API_KEY}", "clientSecret": "s3cr3t"}
    assert [violation.path for violation in condition.violations(data)] == [("DB_PASSWORD",), ("clientSecret",)]
    assert condition.is_valid({"LOG_LEVEL": "debug", "AUTHOR": "jane"})
    assert condition.is_valid(["not", "a", "mapping"])
