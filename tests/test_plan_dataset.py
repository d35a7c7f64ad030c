"""Tests for the run plan in the lake: write_plan and read_shard (the urls dataset)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from centreon.errors import LakeNotFoundError
from centreon.lake import LakeStore
from centreon.plan import Plan, PlannedUrl, Shard
from centreon.publish import RunRef, publish_run, read_shard, write_plan
from centreon.schemas import URLS_SCHEMA
from tests.lake_backends import BACKENDS, mirror, open_test_lake

RUN = RunRef("run-1", datetime(2024, 11, 5, 9, 15, tzinfo=UTC))


def host_url(host_id: int, shard: int) -> PlannedUrl:
    path = f"/monitoring/resources/hosts/{host_id}"
    return PlannedUrl(
        f"h{host_id}",
        "host",
        host_id,
        None,
        f"hôte-{host_id}",
        f"hôte-{host_id}",
        path,
        shard,
    )


def service_url(host_id: int, service_id: int, shard: int) -> PlannedUrl:
    path = f"/monitoring/resources/hosts/{host_id}/services/{service_id}"
    return PlannedUrl(
        f"h{host_id}-s{service_id}",
        "service",
        host_id,
        service_id,
        "Ping",
        f"hôte-{host_id}",
        path,
        shard,
    )


PLAN = Plan(
    (
        Shard(0, 6, (host_url(1, 0), service_url(1, 10, 0))),
        Shard(1, 6, (host_url(2, 1), service_url(2, 20, 1), service_url(2, 21, 1))),
        Shard(2, 6, ()),
    )
)


@pytest.fixture(params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LakeStore]:
    async with open_test_lake(request.param, request, tmp_path) as lake:
        yield lake


async def test_write_plan_publishes_the_urls_dataset(
    store: LakeStore, tmp_path: Path
) -> None:
    """The plan becomes the run's urls dataset, one row per URL, with its shard."""
    part = await write_plan(store, RUN, PLAN)
    manifest = await publish_run(store, RUN, {})

    root = await mirror(store, tmp_path / "reader")
    table = ds.dataset(root / "urls", format="parquet", partitioning="hive").to_table()
    assert part.rows == 5
    assert manifest.rows == {"urls": 5}
    assert table.schema.field("path").type == URLS_SCHEMA.field("path").type
    assert sorted(
        zip(table["uuid"].to_pylist(), table["shard"].to_pylist(), strict=True)
    ) == [
        ("h1", 0),
        ("h1-s10", 0),
        ("h2", 1),
        ("h2-s20", 1),
        ("h2-s21", 1),
    ]
    assert set(table["host_name"].to_pylist()) == {"hôte-1", "hôte-2"}


async def test_read_shard_rebuilds_one_shard_from_the_staged_plan(
    store: LakeStore,
) -> None:
    """A fetch activity gets its shard back from the run id and the shard index."""
    await write_plan(store, RUN, PLAN)

    shard = await read_shard(store, RUN, 1)

    assert isinstance(shard, Shard)
    assert shard.index == 1
    assert shard.concurrency == 6
    assert [u.uuid for u in shard.urls] == ["h2", "h2-s20", "h2-s21"]
    assert shard.urls[1].service_id == 20
    assert shard.urls[0].service_id is None


async def test_read_shard_keeps_an_empty_shard(store: LakeStore) -> None:
    """A shard without URLs comes back empty, with its concurrency."""
    await write_plan(store, RUN, PLAN)

    shard = await read_shard(store, RUN, 2)

    assert shard.urls == ()
    assert shard.concurrency == 6


async def test_read_shard_of_an_unknown_shard_is_not_found(store: LakeStore) -> None:
    """Asking for a shard the plan does not have raises LakeNotFoundError."""
    await write_plan(store, RUN, PLAN)

    with pytest.raises(LakeNotFoundError, match="no shard 9"):
        await read_shard(store, RUN, 9)


async def test_read_shard_without_a_plan_is_not_found(store: LakeStore) -> None:
    """A run that never wrote its plan has no shards to read."""
    with pytest.raises(LakeNotFoundError, match="no plan"):
        await read_shard(store, RUN, 0)
