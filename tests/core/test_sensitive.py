"""The catalog's secret-like name, credential URL and placeholder definitions, and the condition
formats/keyword the secret policies build on them."""

from __future__ import annotations

import pytest

from policylint.core.conditions import Condition
from policylint.core.sensitive import credential_url_password, is_credential_url, is_placeholder, is_secret_like_name


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
        "my-secret-token",
        "some-password",
        "GOOGLE_API_KEY_VAL",
        "DB_PASSWORD",
        "...base64 encoded data...",
        "MIIEpAIBAAKCAQEA...",
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


@pytest.mark.parametrize("value", ["password", "admin", "postgres", "root", "secret", "123456", "hunter2", "<", "a<b>", "the-changeme",
                                   "AKIAIOSFODNN7QWERTYU", "PASSWORD_", "Abc_DEF", "myPassword1"])
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


# --- the vocabulary (policylint/secret_vocabulary.yaml), as real-shaped names in both directions ---

SECRET_NAMES = [
    "VAULT_SECRET_ID",  # an AppRole secret_id is the credential: `id` alone is no safe suffix
    "AWS_SECRET_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_BATCH_KEY",
    "OCI_CLI_KEY_CONTENT",
    "JWT_SIGNING_KEY",
    "DB_ENCRYPTION_KEY",
    "MEILI_MASTER_KEY",
    "RAILS_MASTER_KEY",
    "SECRET_KEY_BASE",
    "POSTGRES_PASSWORD",
    "MYSQL_ROOT_PASSWORD",
    "GF_SECURITY_ADMIN_PASSWORD",
    "SLACK_BOT_TOKEN",
    "NPM_TOKEN",
    "SENTRY_AUTH_TOKEN",
    "oauth2ClientSecret",
    "REDIS_PASSWORD_URL_SAFE",  # ends in a word that is no pointer
    "FILE_TOKEN",
    "SECRET_JWT_SECRET",
    "BASIC_AUTH_PASSWORD",
    "token.txt",
]

NOT_SECRET_NAMES = [
    "MYSQL_ALLOW_EMPTY_PASSWORD",
    "MYSQL_RANDOM_ROOT_PASSWORD",
    "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD",
    "ALLOW_EMPTY_PASSWORD",
    "POSTGRES_PASSWORD_FILE",
    "MYSQL_ROOT_PASSWORD_FILE",
    "OAUTH_SECRET_NAME",
    "secretName",
    "IMAGE_PULL_SECRET_NAMES",
    "TOKEN_PATH",
    "VAULT_TOKEN_DIR",
    "AUTH_PORT",
    "PASSWORD_RESET_TITLE",
    "TOKEN_TTL",
    "AUTH_ENABLED",
    "AUTH_URL",
    "OIDC_AUTH_URI",
    "AWS_ACCESS_KEY_ID",
    "CACHE_KEY",
    "LARAVEL_ECHO_SERVER_AUTH_HOST",
    "SECRET_LOCAL_HOSTNAME",
    "AUTH_SERVER",
    "AUTH_REALM",
    "BASIC_AUTH_USERNAME",
    "GF_AUTH_ANONYMOUS_ORG_ROLE",
    "MINIO_PROMETHEUS_AUTH_TYPE",
    "SECRET_FILE_SIZE",
    "SECRET_FORCED_LANGUAGE",
    "SECRET_VERSION",
    "KAFKA_SSL_CLIENT_AUTH",
    "passwordPattern",
    "PASSWORD_REGEX",
    "passwordPolicy",
    "MIN_PASSWORD_LENGTH",
    "dex.auth.connectorId",
    "OAUTH_CLIENT_ID",
    "AUTH_TENANT_ID",
    "prepare-token.sh",
    "tls.key",  # "key" alone is no secret word; a PEM body under it is found by its value
    "SORT_KEY",
    "KEYBOARD_LAYOUT",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_vocabulary_secret_names(name):
    assert is_secret_like_name(name)


@pytest.mark.parametrize("name", NOT_SECRET_NAMES)
def test_vocabulary_not_secret_names(name):
    assert not is_secret_like_name(name)


def test_vocabulary_is_data():
    """The vocabulary file is the source: every word it lists is honoured by the name check."""
    from policylint.core.sensitive import vocabulary, words

    found = vocabulary()
    for entry in ("storage_key", "key_content", "batch_key"):
        assert found.secret_words.search(entry)
    assert words("MYSQL_RANDOM_ROOT_PASSWORD") in found.not_secret_names


#: Random base64, the shape of a key body (no real key).
_BODY = (
    "pU3KGCUwux1tEyze1iN7LtkeP3IfyxlxF0SU1kk8nVw0YL4xIB5p/tqg7ui5mX9c\n"
    "fCmZ/a/lkyU81lSvTfrXFCegrrP+6SMvivIhH57kkcWxC+y1Vjv8Hm+TQn7LyP4p\n"
)


@pytest.mark.parametrize(
    ("value", "opening"),
    [
        (f"-----BEGIN PRIVATE KEY-----\n{_BODY}-----END PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----"),
        (f"-----BEGIN RSA PRIVATE KEY-----\n{_BODY}-----END RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----"),
        (f"-----BEGIN EC PRIVATE KEY-----\\n{_BODY.replace(chr(10), '')}\\n-----END EC PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----"),
        (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{_BODY}", "-----BEGIN OPENSSH PRIVATE KEY-----"),  # truncated, still a key
        # counted from BEGIN, whatever the END line says or what follows it
        (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{_BODY}---END  OPENSSH KEY---\n# see <docs> ...",
         "-----BEGIN OPENSSH PRIVATE KEY-----"),
        (f"-----BEGIN RSA PRIVATE KEY-----\n{_BODY}-----END RSA PRIVATE KEY-----\nnote: ... <later>",
         "-----BEGIN RSA PRIVATE KEY-----"),
        (f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{_BODY}-----END ENCRYPTED PRIVATE KEY-----", "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        (f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{_BODY}-----END PGP PRIVATE KEY BLOCK-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----"),
        (
            f"cert: |\n  -----BEGIN CERTIFICATE-----\n  {_BODY}\nkey: |\n  -----BEGIN PRIVATE KEY-----\n  {_BODY}",
            "-----BEGIN PRIVATE KEY-----",
        ),
    ],
)
def test_private_key_blocks(value, opening):
    from policylint.core.sensitive import has_private_key, private_key_block

    assert private_key_block(value) == opening
    assert has_private_key(value)


@pytest.mark.parametrize(
    "value",
    [
        f"-----BEGIN CERTIFICATE-----\n{_BODY}-----END CERTIFICATE-----",
        f"-----BEGIN PUBLIC KEY-----\n{_BODY}-----END PUBLIC KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",  # too short for any real key
        "-----BEGIN PRIVATE KEY-----",
        "grep -- '-----BEGIN PRIVATE KEY-----' key.pem",
        "PRIVATE KEY",
    ],
)
def test_not_private_keys(value):
    from policylint.core.sensitive import has_private_key

    assert not has_private_key(value)


@pytest.mark.parametrize(
    "value",
    [
        "...",
        "....",
        "…",
        "'<PRIVKEY>'",
        '"<your-token>"',
        "'...'",
        "'${TOKEN}'",
        "INSERT_ETCD_DISCOVERY_TOKEN",
        "replace-me-with-a-key",
        '""',
    ],
)
def test_more_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "yes", "YES", "true", "False", "no", "on", "off", True, False,
        "/run/secrets/db_password", "/etc/app/token", "./secrets/key.pem", "../ci/token.txt", "~/.ssh/id_rsa",
        "'/run/secrets/db'", "...", "<password>",
    ],
)
def test_values_that_are_not_secrets(value):
    from policylint.core.sensitive import is_not_a_secret

    assert is_not_a_secret(value)


@pytest.mark.parametrize(
    "value",
    # "1" is no switch word: MYSQL_ALLOW_EMPTY_PASSWORD=1 passes by its name (see the name table).
    ["1", "hunter2", "admin", "password", 12345, "/K7MDENG/bPxRfiCYEXAMPLEKEY", "/wJalrXUtnFEMI/K7MDENG", "sk_live_abc123", "s3cr3t value"],
)
def test_values_that_may_be_secrets(value):
    from policylint.core.sensitive import is_not_a_secret

    assert not is_not_a_secret(value)
