"""Blob-storage specifics against real Azurite."""

from __future__ import annotations

import uuid

import pytest

from centreon.errors import LakeError
from centreon.lake import open_lake
from centreon.settings import LakeSettings
from tests.azurite import ACCOUNT, Azurite

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
