"""Tests for centreon.lake: LAKE_URL and LAKE_CONNECTION_STRING parsing."""

from __future__ import annotations

import pytest

from centreon.errors import ConfigError
from centreon.lake import (
    LakeLocation,
    open_lake,
    parse_connection_string,
    parse_lake_url,
)
from centreon.settings import LakeSettings

SECRET = "c2VjcmV0LWtleS1kby1ub3QtbG9n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("./lake", LakeLocation("local", path="./lake"), id="relative"),
        pytest.param(
            "file:///data/lake", LakeLocation("local", path="/data/lake"), id="file-url"
        ),
        pytest.param(
            "abfss://bronze@acme.dfs.core.windows.net/centreon/prod",
            LakeLocation(
                "adls",
                account_url="https://acme.dfs.core.windows.net",
                account="acme",
                container="bronze",
                prefix="centreon/prod",
            ),
            id="abfss",
        ),
        pytest.param(
            "https://acme.dfs.core.windows.net/bronze/centreon",
            LakeLocation(
                "adls",
                account_url="https://acme.dfs.core.windows.net",
                account="acme",
                container="bronze",
                prefix="centreon",
            ),
            id="dfs-https",
        ),
        pytest.param(
            "https://acme.blob.core.windows.net/bronze",
            LakeLocation(
                "blob",
                account_url="https://acme.blob.core.windows.net",
                account="acme",
                container="bronze",
            ),
            id="blob-https",
        ),
        pytest.param(
            "http://127.0.0.1:10000/devstoreaccount1/lake/runs",
            LakeLocation(
                "blob",
                account_url="http://127.0.0.1:10000/devstoreaccount1",
                account="devstoreaccount1",
                container="lake",
                prefix="runs",
            ),
            id="azurite",
        ),
    ],
)
def test_parse_lake_url_picks_backend_and_root(
    url: str, expected: LakeLocation
) -> None:
    """Each documented LAKE_URL form selects its backend, container and prefix."""
    assert parse_lake_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("s3://bucket/x", id="unknown-scheme"),
        pytest.param("abfss://acme.dfs.core.windows.net/x", id="abfss-no-filesystem"),
        pytest.param("https://acme.blob.core.windows.net/Bad_Name", id="bad-container"),
        pytest.param(f"https://acme.blob.core.windows.net/c1x?sig={SECRET}", id="sas"),
        pytest.param("https://acme.blob.core.windows.net/lake/../up", id="dot-dot"),
    ],
)
def test_parse_lake_url_refuses_bad_urls_naming_the_setting(url: str) -> None:
    """A malformed URL raises ConfigError that names LAKE_URL and echoes no secret."""
    with pytest.raises(ConfigError) as caught:
        parse_lake_url(url)

    assert caught.value.setting == "LAKE_URL"
    assert SECRET not in str(caught.value)


def test_parse_connection_string_reads_key_and_endpoints() -> None:
    """AccountName, AccountKey and endpoint overrides are read; repr hides the key."""
    credential = parse_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={SECRET};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"
    )

    assert credential.account_name == "devstoreaccount1"
    assert credential.account_key == SECRET
    assert credential.blob_endpoint == "http://127.0.0.1:10000/devstoreaccount1"
    assert SECRET not in repr(credential)


def test_parse_connection_string_refuses_one_without_secret_and_does_not_echo_it() -> (
    None
):
    """A string with no key or SAS fails naming LAKE_CONNECTION_STRING, not its text."""
    with pytest.raises(ConfigError) as caught:
        parse_connection_string(f"AccountName={SECRET}")

    assert caught.value.setting == "LAKE_CONNECTION_STRING"
    assert SECRET not in str(caught.value)


async def test_open_lake_opens_a_local_folder(tmp_path: object) -> None:
    """A folder URL opens the local backend rooted there."""
    async with open_lake(LakeSettings(url=f"file://{tmp_path}/lake")) as store:
        await store.put_bytes("a/b.txt", b"x")

        assert await store.get_bytes("a/b.txt") == b"x"
