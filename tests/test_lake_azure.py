"""The Azure backends' client options, read back from the clients they build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure.identity.aio import ManagedIdentityCredential

from centreon.lake import LakeStore
from centreon.lake.adls import AdlsStore
from centreon.lake.azure import CREDENTIAL_OPTIONS, SDK_OPTIONS, azure_credential
from centreon.lake.blob import BlobStore
from tests.lake_backends import open_test_lake


def retry_policy(client: Any, kind: str) -> Any:
    """The client pipeline's retry policy, whose class is named ``kind``.

    Each storage SDK ships its own copy of ExponentialRetry, hence the name.
    """
    policies = client._pipeline._impl_policies
    (policy,) = [p for p in policies if kind in {c.__name__ for c in type(p).__mro__}]
    return policy


def connection(client: Any) -> Any:
    """The client transport's connection settings (timeouts)."""
    transport = client._pipeline._transport
    return getattr(transport, "_transport", transport).connection_config


def storage_clients(store: LakeStore) -> list[Any]:
    """Every SDK client a store sends requests through."""
    if isinstance(store, BlobStore):
        return [store._container]
    assert isinstance(store, AdlsStore)
    return [store._fs, store._fs._container_client]


@pytest.mark.parametrize("kind", ["blob", "adls"])
async def test_storage_clients_use_the_bounded_retries_and_timeouts(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Each client retries three times with short backoffs and short timeouts."""
    async with open_test_lake(kind, request, tmp_path) as store:
        for client in storage_clients(store):
            retry = retry_policy(client, "ExponentialRetry")
            settings = connection(client)

            assert retry.total_retries == SDK_OPTIONS["retry_total"]
            assert retry.initial_backoff == SDK_OPTIONS["initial_backoff"]
            assert retry.increment_base == SDK_OPTIONS["increment_base"]
            assert settings.timeout == SDK_OPTIONS["connection_timeout"]
            assert settings.read_timeout == SDK_OPTIONS["read_timeout"]


@pytest.mark.parametrize(
    "environment",
    [
        pytest.param({}, id="imds"),
        pytest.param(
            {"IDENTITY_ENDPOINT": "http://127.0.0.1:9/msi", "IDENTITY_HEADER": "h"},
            id="app-service",
        ),
    ],
)
async def test_default_credential_bounds_managed_identity_retries(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The managed identity's token client gets the short retries and timeouts."""
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    async with azure_credential(None) as credential:
        (managed,) = [
            c
            for c in credential.credentials
            if isinstance(c, ManagedIdentityCredential)
        ]
        client = managed._credential._client
        retry = retry_policy(client, "AsyncRetryPolicy")
        settings = connection(client)

    assert retry.total_retries == CREDENTIAL_OPTIONS["retry_total"]
    assert retry.backoff_factor == CREDENTIAL_OPTIONS["retry_backoff_factor"]
    assert retry.backoff_max == CREDENTIAL_OPTIONS["retry_backoff_max"]
    assert settings.timeout == CREDENTIAL_OPTIONS["connection_timeout"]
    assert settings.read_timeout == CREDENTIAL_OPTIONS["read_timeout"]
