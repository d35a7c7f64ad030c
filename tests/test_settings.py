from __future__ import annotations

from pathlib import Path

import pytest

from centreon.errors import ConfigError
from centreon.settings import (
    DEFAULT_MAX_CONCURRENCY,
    CentreonSettings,
    IngestSettings,
    LakeSettings,
    Settings,
)

BASE = {
    "CENTREON_URL": "https://centreon.example.com/centreon/api/latest/",
    "CENTREON_USERNAME": "svc-lake",
    "CENTREON_PASSWORD": "s3cr3t-pw",
    "LAKE_URL": "./lake",
}


def env(**changes: str) -> dict[str, str]:
    merged = {**BASE, **changes}
    return {key: value for key, value in merged.items() if value != "<unset>"}


def test_settings_defaults_when_only_required_values_are_set() -> None:
    """Only the URL, the credentials and the lake are required."""
    settings = Settings.from_env(env())

    assert settings.centreon.url == "https://centreon.example.com/centreon/api/latest"
    assert settings.centreon.max_concurrency == DEFAULT_MAX_CONCURRENCY
    assert settings.centreon.timeout_s == 30.0
    assert settings.centreon.verify_tls is True
    assert settings.centreon.page_size == 1000
    assert settings.ingest == IngestSettings()
    assert settings.lake == LakeSettings(url="./lake")


def test_settings_repr_hides_every_secret() -> None:
    """Passwords, tokens and connection strings never appear in repr or str."""
    settings = Settings.from_env(
        env(LAKE_CONNECTION_STRING="AccountKey=topsecretkey==")
    )
    token_settings = CentreonSettings.from_env(
        env(
            CENTREON_USERNAME="<unset>",
            CENTREON_PASSWORD="<unset>",
            CENTREON_API_TOKEN="tok-abcdef",
        )
    )

    text = repr(settings) + str(settings) + repr(token_settings)

    assert "s3cr3t-pw" not in text
    assert "topsecretkey" not in text
    assert "tok-abcdef" not in text
    assert token_settings.api_token == "tok-abcdef"


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        pytest.param({"CENTREON_URL": "<unset>"}, "CENTREON_URL", id="url-missing"),
        pytest.param(
            {"CENTREON_URL": "ftp://x/api/latest"}, "CENTREON_URL", id="scheme"
        ),
        pytest.param(
            {"CENTREON_URL": "https://centreon.example.com/centreon"},
            "CENTREON_URL",
            id="no-api-version",
        ),
        pytest.param(
            {"CENTREON_URL": "https://admin:pw@c.example.com/centreon/api/latest"},
            "CENTREON_URL",
            id="credentials-in-url",
        ),
        pytest.param({"CENTREON_USERNAME": "<unset>"}, "CENTREON_USERNAME", id="user"),
        pytest.param({"CENTREON_PASSWORD": ""}, "CENTREON_PASSWORD", id="password"),
        pytest.param(
            {"CENTREON_API_TOKEN": "tok"}, "CENTREON_API_TOKEN", id="token-and-password"
        ),
        pytest.param(
            {"CENTREON_MAX_CONCURRENCY": "many"},
            "CENTREON_MAX_CONCURRENCY",
            id="concurrency-not-int",
        ),
        pytest.param(
            {"CENTREON_MAX_CONCURRENCY": "0"},
            "CENTREON_MAX_CONCURRENCY",
            id="concurrency-zero",
        ),
        pytest.param({"CENTREON_TIMEOUT_S": "-1"}, "CENTREON_TIMEOUT_S", id="timeout"),
        pytest.param({"CENTREON_VERIFY_TLS": "maybe"}, "CENTREON_VERIFY_TLS", id="tls"),
        pytest.param(
            {"CENTREON_CA_BUNDLE": "/nonexistent/ca.pem"},
            "CENTREON_CA_BUNDLE",
            id="ca-bundle",
        ),
        pytest.param({"CENTREON_PAGE_SIZE": "1e3"}, "CENTREON_PAGE_SIZE", id="page"),
        pytest.param({"LAKE_URL": "  "}, "LAKE_URL", id="lake-blank"),
        pytest.param({"INGEST_MODE": "stream"}, "INGEST_MODE", id="mode"),
        pytest.param({"INGEST_SCHEDULE": "*/5 * * * *"}, "INGEST_SCHEDULE", id="cron5"),
        pytest.param({"INGEST_DEADLINE_S": "soon"}, "INGEST_DEADLINE_S", id="deadline"),
        pytest.param({"INGEST_MAX_SHARDS": "65"}, "INGEST_MAX_SHARDS", id="shards"),
    ],
)
def test_settings_error_names_the_variable(
    changes: dict[str, str], variable: str
) -> None:
    """Each bad or missing value is one error line that names its variable."""
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env(**changes))

    assert caught.value.setting == variable
    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)
    assert "s3cr3t-pw" not in str(caught.value)


def test_settings_accept_versioned_base_and_tls_options(tmp_path: Path) -> None:
    """A vNN.NN base path, TLS off and a CA bundle file are all accepted."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")

    settings = CentreonSettings.from_env(
        env(
            CENTREON_URL="http://10.0.0.5:8080/centreon/api/v24.10",
            CENTREON_VERIFY_TLS="false",
            CENTREON_CA_BUNDLE=str(bundle),
            CENTREON_MAX_CONCURRENCY="32",
            CENTREON_TIMEOUT_S="12.5",
        )
    )

    assert settings.url == "http://10.0.0.5:8080/centreon/api/v24.10"
    assert settings.verify_tls is False
    assert settings.ca_bundle == str(bundle)
    assert settings.max_concurrency == 32
    assert settings.timeout_s == 12.5


def test_ingest_settings_read_every_variable() -> None:
    """INGEST_* values override the defaults and the mode is case-insensitive."""
    settings = IngestSettings.from_env(
        {
            "INGEST_SCHEDULE": "0 */10 * * * *",
            "INGEST_DEADLINE_S": "120",
            "INGEST_MODE": "Listing",
            "INGEST_MAX_SHARDS": "8",
            "INGEST_BATCH_SIZE": "250",
        }
    )

    assert settings == IngestSettings(
        schedule="0 */10 * * * *",
        deadline_s=120.0,
        mode="listing",
        max_shards=8,
        batch_size=250,
    )
