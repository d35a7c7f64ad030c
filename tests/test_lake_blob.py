"""Blob-storage specifics against real Azurite."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote

import pytest
from azure.storage.blob import (
    AccountSasPermissions,
    ResourceTypes,
    generate_account_sas,
)

from centreon.errors import LakeError, LakeNotFoundError
from centreon.lake import open_lake
from centreon.settings import LakeSettings
from tests.azurite import ACCOUNT, KEY, Azurite

WRONG_KEY = "d3Jvbmcta2V5LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ="


async def test_wrong_key_fails_as_lake_error_without_the_key(azurite: Azurite) -> None:
    """A refused signature is a LakeError whose text holds neither key nor string."""
    connection_string = (
        f"AccountName={ACCOUNT};AccountKey={WRONG_KEY};"
        f"BlobEndpoint={azurite.blob_endpoint};"
    )
    settings = LakeSettings(
        url=f"{azurite.blob_endpoint}/t{uuid.uuid4().hex[:12]}",
        connection_string=connection_string,
    )

    with pytest.raises(LakeError) as caught:
        async with open_lake(settings):
            pass

    assert WRONG_KEY not in str(caught.value)
    assert "403" in str(caught.value)


async def test_blob_store_publishes_by_copy_not_rename(azurite: Azurite) -> None:
    """The blob backend says its move is not atomic, and moving copies every blob."""
    settings = LakeSettings(
        url=f"{azurite.blob_endpoint}/t{uuid.uuid4().hex[:12]}/root",
        connection_string=azurite.connection_string,
    )
    async with open_lake(settings) as store:
        await store.put_bytes("_staging/r/hosts/a.parquet", b"a" * 1000)

        await store.move_tree("_staging/r/hosts", "hosts/x/run_id=r")

        assert not store.atomic_move
        assert await store.get_bytes("hosts/x/run_id=r/a.parquet") == b"a" * 1000
        assert await store.list_files("_staging") == []


def account_sas(expiry: datetime, **permissions: bool) -> str:
    """An account SAS for Azurite's development account."""
    return generate_account_sas(
        ACCOUNT,
        KEY,
        resource_types=ResourceTypes(service=True, container=True, object=True),
        permission=AccountSasPermissions(**permissions),
        expiry=expiry,
    )


def sas_settings(azurite: Azurite, container: str, sas: str) -> LakeSettings:
    return LakeSettings(
        url=f"{azurite.blob_endpoint}/{container}/root",
        connection_string=(
            f"SharedAccessSignature={sas};BlobEndpoint={azurite.blob_endpoint};"
        ),
    )


def chain_text(error: BaseException) -> str:
    """The text of an exception and of every cause or context behind it."""
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts.append(f"{type(current).__name__}: {current!s} {current!r}")
        current = current.__cause__ or current.__context__
    return "\n".join(texts)


async def sas_failures(azurite: Azurite) -> tuple[list[str], list[BaseException]]:
    """Provoke a 404, a refused copy and a 403 through SAS-signed lakes.

    Returns each signature, raw and URL-encoded, and the errors raised. The
    copy is refused because its destination exists and the SAS may only
    create; its source URL carries the SAS.
    """
    later = datetime.now(UTC) + timedelta(hours=1)
    full = account_sas(
        later, read=True, write=True, delete=True, list=True, create=True, add=True
    )
    narrow = account_sas(later, read=True, list=True, create=True)
    expired = account_sas(datetime.now(UTC) - timedelta(hours=1), read=True)
    container = f"t{uuid.uuid4().hex[:12]}"
    failures: list[BaseException] = []
    async with open_lake(sas_settings(azurite, container, full)) as store:
        await store.put_bytes("_staging/r/hosts/a.parquet", b"a")
        await store.put_bytes("hosts/run_id=r/a.parquet", b"taken")
        with pytest.raises(LakeNotFoundError) as missing:
            await store.get_bytes("_runs/missing.json")
        failures.append(missing.value)
    async with open_lake(sas_settings(azurite, container, narrow)) as store:
        with pytest.raises(LakeError) as refused_copy:
            await store.move_tree("_staging/r/hosts", "hosts/run_id=r")
        failures.append(refused_copy.value)
    with pytest.raises(LakeError) as refused:
        async with open_lake(sas_settings(azurite, container, expired)):
            pass
    failures.append(refused.value)
    raw = [parse_qs(sas)["sig"][0] for sas in (full, narrow, expired)]
    signatures = [*raw, *(quote(sig, safe="") for sig in raw)]

    return signatures, failures


async def test_sas_signature_reaches_no_error_and_no_log(
    azurite: Azurite, caplog: pytest.LogCaptureFixture
) -> None:
    """A SAS-signed lake's failures, their causes and the logs never hold the sig."""
    caplog.set_level(logging.DEBUG)

    signatures, failures = await sas_failures(azurite)

    texts = [chain_text(failure) for failure in failures]
    assert "404" in texts[0]
    assert "copy" in texts[1]
    assert "403" in texts[1]
    assert "403" in texts[2]
    logged = "\n".join(
        f"{record.getMessage()} {record.__dict__}" for record in caplog.records
    )
    for signature in signatures:
        assert all(signature not in text for text in texts)
        assert signature not in logged
