"""ADLS Gen2 specifics, through the real SDK against the dfs test server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from centreon.errors import LakeError
from centreon.lake import open_lake
from centreon.parquet import ShardWriter
from centreon.publish import RunRef, publish_run
from centreon.settings import LakeSettings
from tests import lake_samples as samples
from tests.dfs_server import KEY, DfsEndpoint

RUN = RunRef("run-1", datetime(2024, 11, 5, 9, 15, tzinfo=UTC))


def settings(dfs: DfsEndpoint, key: str = KEY) -> LakeSettings:
    return LakeSettings(
        url=f"abfss://lake@{dfs.account}.dfs.core.windows.net/centreon",
        connection_string=(
            f"AccountName={dfs.account};AccountKey={key};DfsEndpoint={dfs.url}"
        ),
    )


async def test_publish_moves_each_dataset_with_one_conditional_rename(
    dfs_endpoint: DfsEndpoint,
) -> None:
    """Each dataset folder is published by one rename sent with If-None-Match: *."""
    async with open_lake(settings(dfs_endpoint)) as store:
        async with ShardWriter(store, RUN, 0) as writer:
            await writer.write(samples.fleet(2, 1))
            await writer.close()
        await publish_run(store, RUN, {})

    renames = [
        (path, details)
        for op, path, details in dfs_endpoint.server.operations
        if op == "rename" and details["source"].startswith("centreon/_staging/")
    ]
    assert [path for path, _ in renames] == [
        "centreon/hosts/snapshot_date=2024-11-05/run_id=run-1",
        "centreon/services/snapshot_date=2024-11-05/run_id=run-1",
    ]
    assert all(details.get("If-None-Match") == "*" for _, details in renames)


async def test_racing_publishers_rename_each_folder_once(
    dfs_endpoint: DfsEndpoint,
) -> None:
    """Of two publishers, one renames each folder; the other meets a conflict."""
    async with open_lake(settings(dfs_endpoint)) as store:
        async with ShardWriter(store, RUN, 0) as writer:
            await writer.write(samples.fleet(2, 1))
            await writer.close()
        first, second = await asyncio.gather(
            publish_run(store, RUN, {}), publish_run(store, RUN, {})
        )

    published = dfs_endpoint.server.files("lake")
    assert first == second
    assert sum(p.endswith(".parquet") for p in published) == 2
    assert not any(p.startswith("centreon/_staging/") for p in published)


async def test_move_retried_after_a_lost_answer_is_done(
    dfs_endpoint: DfsEndpoint,
) -> None:
    """A rename the SDK sends again after losing its answer counts as done."""
    async with open_lake(settings(dfs_endpoint)) as store:
        await store.put_bytes("_staging/run-1/hosts/part.parquet", b"rows")
        dfs_endpoint.server.failing_renames = 1

        await store.move_tree("_staging/run-1/hosts", "hosts/run_id=run-1")

        assert await store.get_bytes("hosts/run_id=run-1/part.parquet") == b"rows"
        assert not await store.exists("_staging/run-1/hosts")
    renames = [
        path
        for op, path, _ in dfs_endpoint.server.operations
        if op == "rename" and path == "centreon/hosts/run_id=run-1"
    ]
    assert len(renames) == 2


async def test_storage_errors_are_lake_errors_without_the_account_key(
    dfs_endpoint: DfsEndpoint,
) -> None:
    """An SDK failure surfaces as a LakeError naming the path, never the key."""
    async with open_lake(settings(dfs_endpoint)) as store:
        dfs_endpoint.server.filesystems.clear()
        try:
            await store.put_bytes("_runs/x.json", b"{}")
        except LakeError as error:
            message = str(error)
        else:
            message = ""

    assert "_runs/x.json" in message
    assert "FilesystemNotFound" in message
    assert KEY not in message
