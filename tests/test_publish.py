"""Tests for centreon.publish on every backend: publish, compensate, read back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from centreon import layout
from centreon.errors import LakeConflictError, LakeError
from centreon.lake import LakeStore
from centreon.lake.store import LakeFile
from centreon.parquet import ShardWriter
from centreon.plan import Plan, PlannedUrl, Shard
from centreon.publish import (
    Manifest,
    RunRef,
    compensate_run,
    list_runs,
    publish_run,
    read_manifest,
    write_plan,
)
from tests import lake_samples as samples
from tests.lake_backends import (
    BACKENDS,
    empty_folders,
    mirror,
    open_test_lake,
    paths,
)

RUN = RunRef("run-2", datetime(2024, 11, 5, 9, 20, tzinfo=UTC))
EARLIER = RunRef("run-1", datetime(2024, 11, 5, 9, 15, tzinfo=UTC))
PLAN = Plan(
    (
        Shard(
            0,
            4,
            (
                PlannedUrl(
                    "h1", "host", 1, None, "host-1", "host-1", "/monitoring/hosts/1", 0
                ),
            ),
        ),
    )
)
T = TypeVar("T")
SUMMARY = {
    "source_totals": {"hosts": 3, "services": 6},
    "vanished": 1,
    "timings": {"fetch_ms": 5},
}


@pytest.fixture(params=BACKENDS)
async def store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LakeStore]:
    async with open_test_lake(request.param, request, tmp_path) as lake:
        yield lake


async def stage(store: LakeStore, run: RunRef, shards: int = 2, **limits: Any) -> None:
    """Write a small fleet split over ``shards`` writers."""
    records = samples.fleet(3, 2)
    for shard in range(shards):
        async with ShardWriter(store, run, shard, **limits) as writer:
            await writer.write(records[shard::shards])
            await writer.close()


async def read_hosts(store: LakeStore, tmp_path: Path) -> Any:
    root = await mirror(store, tmp_path / "reader")
    if not (root / "hosts").exists():
        return None
    return ds.dataset(root / "hosts", format="parquet", partitioning="hive").to_table()


async def test_publish_makes_the_run_readable_with_hive_partitions(
    store: LakeStore, tmp_path: Path
) -> None:
    """pyarrow.dataset sees the run's rows with snapshot_date and run_id partitions."""
    await stage(store, RUN)

    await publish_run(store, RUN, SUMMARY)

    table = await read_hosts(store, tmp_path)
    assert table.num_rows == 3
    assert set(table.column("run_id").to_pylist()) == {"run-2"}
    assert set(table.column("snapshot_date").to_pylist()) == {"2024-11-05"}
    assert sorted(table.column("name").to_pylist()) == ["host-1", "host-2", "host-3"]


async def test_publish_makes_the_run_readable_with_duckdb(
    store: LakeStore, tmp_path: Path
) -> None:
    """DuckDB reads the published services with hive_partitioning=1."""
    await stage(store, RUN)
    await publish_run(store, RUN, SUMMARY)
    root = await mirror(store, tmp_path / "reader")

    rows = duckdb.execute(
        "select run_id, count(*) from read_parquet(?, hive_partitioning=1) "
        "group by run_id",
        [f"{root}/services/*/*/*.parquet"],
    ).fetchall()

    assert rows == [("run-2", 6)]


async def test_publish_records_a_manifest_and_success_markers(store: LakeStore) -> None:
    """The manifest lists files, rows and bytes; each run folder gets _SUCCESS."""
    await stage(store, RUN)

    manifest = await publish_run(store, RUN, SUMMARY)

    assert manifest.status == "succeeded"
    assert manifest.rows == {"hosts": 3, "services": 6}
    assert manifest.source_totals == {"hosts": 3, "services": 6}
    assert manifest.vanished == 1
    assert manifest.timings["fetch_ms"] == 5
    files = set(await paths(store))
    for name, entry in manifest.datasets.items():
        assert layout.success_path(name, RUN) in files
        assert {f["path"] for f in entry["files"]} <= files
        assert entry["bytes"] == sum(f["bytes"] for f in entry["files"])
    assert await read_manifest(store, RUN.run_id) == manifest
    assert not any(p.startswith("_staging/") for p in files)


async def test_publish_twice_returns_the_first_manifest(store: LakeStore) -> None:
    """Publishing again (after a crash, say) changes nothing, returns the manifest."""
    await stage(store, RUN)
    first = await publish_run(store, RUN, SUMMARY)
    before = await paths(store)

    again = await publish_run(store, RUN, {"vanished": 99})

    assert again == first
    assert await paths(store) == before


async def test_concurrent_publishers_agree_on_one_winner(store: LakeStore) -> None:
    """Racing publishers never both win: one manifest, and rows land once."""
    await stage(store, RUN)

    outcomes = await asyncio.gather(
        publish_run(store, RUN, {"vanished": 1}),
        publish_run(store, RUN, {"vanished": 2}),
        return_exceptions=True,
    )

    stored = await read_manifest(store, RUN.run_id)
    manifests = [o for o in outcomes if isinstance(o, Manifest)]
    assert stored is not None
    assert manifests
    assert all(m == stored for m in manifests)
    assert all(isinstance(o, LakeError) for o in outcomes if o not in manifests)
    published = [p for p in await paths(store) if p.endswith(".parquet")]
    assert len(published) == len(set(published))
    assert sum(stored.rows.values()) == 9


async def test_compensate_removes_everything_of_the_run(store: LakeStore) -> None:
    """A compensated run leaves only its failed manifest, with the reason."""
    await stage(store, EARLIER)
    await publish_run(store, EARLIER, SUMMARY)
    kept = set(await paths(store))
    await stage(store, RUN)

    manifest = await compensate_run(store, RUN, "shard 1 failed: HTTP 503", SUMMARY)

    assert manifest.status == "failed"
    assert manifest.reason == "shard 1 failed: HTTP 503"
    assert set(await paths(store)) == kept | {layout.manifest_path(RUN.run_id)}
    assert empty_folders(store) == []


async def test_compensate_after_a_partial_publish_removes_published_folders(
    store: LakeStore,
) -> None:
    """Files already moved into place by a publish that died are deleted too."""
    await stage(store, RUN)
    staged = layout.staging_folder("hosts", RUN.run_id)
    await store.move_tree(staged, layout.run_folder("hosts", RUN))
    await store.put_bytes(layout.success_path("hosts", RUN), b"")

    await compensate_run(store, RUN, "publish failed")

    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []


async def test_writer_refuses_to_stage_into_a_finished_run(store: LakeStore) -> None:
    """Once a run is compensated, a late shard cannot stage anything for it."""
    await compensate_run(store, RUN, "shard failed")

    with pytest.raises(LakeConflictError):
        await stage(store, RUN, shards=1)
    assert await paths(store) == [layout.manifest_path(RUN.run_id)]


async def test_compensate_twice_returns_the_first_manifest(store: LakeStore) -> None:
    """A second compensation returns the recorded failure and leaves nothing behind."""
    await stage(store, RUN)
    first = await compensate_run(store, RUN, "deadline passed")

    again = await compensate_run(store, RUN, "another reason")

    assert again == first
    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []


async def test_compensate_leaves_a_published_run_alone(store: LakeStore) -> None:
    """Compensating a run that is already published returns its succeeded manifest."""
    await stage(store, RUN)
    published = await publish_run(store, RUN, SUMMARY)
    before = await paths(store)

    result = await compensate_run(store, RUN, "late failure")

    assert result == published
    assert await paths(store) == before


async def test_publish_after_compensation_does_not_resurrect_the_run(
    store: LakeStore, tmp_path: Path
) -> None:
    """A late publish of a failed run returns its failed manifest, publishes nothing."""
    await stage(store, RUN)
    await compensate_run(store, RUN, "shard failed")

    result = await publish_run(store, RUN, SUMMARY)

    assert result.status == "failed"
    assert await read_hosts(store, tmp_path) is None


async def test_reader_mid_run_sees_only_published_runs(
    store: LakeStore, tmp_path: Path
) -> None:
    """While a run is staged, readers and the run list see only the earlier run."""
    await stage(store, EARLIER)
    await publish_run(store, EARLIER, SUMMARY)
    await stage(store, RUN)

    table = await read_hosts(store, tmp_path)

    assert set(table.column("run_id").to_pylist()) == {"run-1"}
    assert [m.run_id for m in await list_runs(store)] == ["run-1"]


class Snapshots:
    """A store that records every path in the lake after each change made through it."""

    def __init__(self, inner: LakeStore) -> None:
        self.inner = inner
        self.seen: list[set[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def _after(self, change: Awaitable[T]) -> T:
        result = await change
        self.seen.append(set(await paths(self.inner)))
        return result

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        await self._after(self.inner.put_bytes(path, data, overwrite=overwrite))

    async def put_file(self, path: str, source: str) -> int:
        return await self._after(self.inner.put_file(path, source))

    async def delete_file(self, path: str) -> None:
        await self._after(self.inner.delete_file(path))

    async def delete_tree(self, folder: str) -> None:
        await self._after(self.inner.delete_tree(folder))

    async def move_tree(self, source: str, destination: str) -> None:
        await self._after(self.inner.move_tree(source, destination))


async def test_readers_trusting_success_or_the_manifest_never_see_half_a_run(
    store: LakeStore,
) -> None:
    """At every step of a publish, _SUCCESS or the manifest means the run is whole."""
    await stage(store, EARLIER)
    earlier = {f["path"] for f in _files(await publish_run(store, EARLIER, SUMMARY))}
    await stage(store, RUN, part_rows=1)
    watched = Snapshots(store)

    manifest = await publish_run(watched, RUN, SUMMARY)

    final = {f["path"] for f in _files(manifest)}
    assert len(final) > 2
    assert len(watched.seen) > len(manifest.datasets)
    for seen in watched.seen:
        assert earlier <= seen
        for dataset in manifest.datasets:
            if layout.success_path(dataset, RUN) in seen:
                folder = layout.run_folder(dataset, RUN)
                parts = {p for p in seen if p.startswith(f"{folder}/part-")}
                assert parts == {p for p in final if p.startswith(f"{folder}/")}
        if layout.manifest_path(RUN.run_id) in seen:
            assert final <= seen


def _files(manifest: Manifest) -> list[dict[str, Any]]:
    return [f for entry in manifest.datasets.values() for f in entry["files"]]


async def test_retried_shard_replaces_its_own_parts_only(store: LakeStore) -> None:
    """A shard written twice publishes its second attempt's rows, once."""
    records = samples.fleet(4, 0)
    limits = {"part_rows": 1, "row_group_rows": 1}
    async with ShardWriter(store, RUN, 0, **limits) as writer:
        for record in records:
            await writer.write([record])
        await writer.close()
    async with ShardWriter(store, RUN, 1, **limits) as writer:
        await writer.write([samples.Record("hosts", samples.host(9))])
        await writer.close()
    async with ShardWriter(store, RUN, 0, **limits) as writer:
        for record in records[:2]:
            await writer.write([record])
        await writer.close()

    manifest = await publish_run(store, RUN, {})

    assert manifest.rows == {"hosts": 3}
    names = sorted(
        f["path"].rsplit("/", 1)[1] for f in manifest.datasets["hosts"]["files"]
    )
    assert names == [
        "part-00000-00000.parquet",
        "part-00000-00001.parquet",
        "part-00001-00000.parquet",
    ]


class GatedStore:
    """A store that holds Parquet writes before their bytes land, or fails uploads.

    A held write stands for one that is already committing: cancelling it
    waits for the release, and its bytes still land.
    """

    def __init__(self, inner: LakeStore, *, fail_after: int | None = None) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.uploads = 0
        self.hold = fail_after is None
        self.holding = asyncio.Event()
        self.cancelled = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def _land(self, write: Awaitable[T]) -> T:
        self.holding.set()
        landing = asyncio.ensure_future(self._after_release(write))
        try:
            return await asyncio.shield(landing)
        except asyncio.CancelledError:
            self.cancelled.set()
            await landing
            raise

    async def _after_release(self, write: Awaitable[T]) -> T:
        await self.release.wait()
        return await write

    async def put_file(self, path: str, source: str) -> int:
        self.uploads += 1
        if self.fail_after is not None and self.uploads > self.fail_after:
            raise LakeError("upload refused", path=path)
        if self.hold:
            return await self._land(self.inner.put_file(path, source))
        return await self.inner.put_file(path, source)

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        write = self.inner.put_bytes(path, data, overwrite=overwrite)
        if self.hold and path.endswith(".parquet"):
            return await self._land(write)
        return await write

    async def list_files(self, folder: str) -> list[LakeFile]:
        return await self.inner.list_files(folder)


async def test_upload_landing_after_compensation_is_removed(store: LakeStore) -> None:
    """A part that lands after compensation is deleted, and the next write refused."""
    gated = GatedStore(store)
    writer = ShardWriter(gated, RUN, 0, part_rows=1, row_group_rows=1)
    records = samples.fleet(2, 0)
    await writer.write(records[:1])
    await gated.holding.wait()

    await compensate_run(store, RUN, "deadline passed")
    gated.release.set()

    with pytest.raises(LakeConflictError):
        await writer.write(records[1:])
    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    await writer.abort()
    assert empty_folders(store) == []


async def test_abort_removes_a_cancelled_upload_that_lands_after_compensation(
    store: LakeStore,
) -> None:
    """An upload abort cancels but cannot stop is deleted once it has landed."""
    gated = GatedStore(store)
    writer = ShardWriter(gated, RUN, 0, part_rows=1, row_group_rows=1)
    await writer.write(samples.fleet(1, 0))
    await gated.holding.wait()
    await compensate_run(store, RUN, "deadline passed")

    aborting = asyncio.create_task(writer.abort())
    await gated.cancelled.wait()
    gated.release.set()
    await aborting

    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []


async def test_plan_rows_carry_the_run_columns(store: LakeStore) -> None:
    """Plan rows hold the run id, the snapshot, when planned, and no rescued data."""
    planned = datetime(2024, 11, 5, 9, 20, 3, tzinfo=UTC)

    part = await write_plan(store, RUN, PLAN, clock=lambda: planned)

    table = pq.read_table(pa.BufferReader(await store.get_bytes(part.path)))
    assert table["run_id"].to_pylist() == [RUN.run_id]
    assert table["snapshot_ts"].to_pylist() == [RUN.snapshot_ts]
    assert table["fetched_at"].to_pylist() == [planned]
    assert table["_rescued_data"].to_pylist() == [None]


async def test_plan_landing_after_compensation_is_removed(store: LakeStore) -> None:
    """A plan that lands after compensation is deleted with its record, and refused."""
    gated = GatedStore(store)
    writing = asyncio.create_task(write_plan(gated, RUN, PLAN))
    await gated.holding.wait()

    await compensate_run(store, RUN, "deadline passed")
    gated.release.set()

    with pytest.raises(LakeConflictError):
        await writing
    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []


async def test_upload_failure_mid_run_compensates_cleanly(store: LakeStore) -> None:
    """A shard whose second upload fails leaves nothing once the run is compensated."""
    gated = GatedStore(store, fail_after=1)
    writer = ShardWriter(gated, RUN, 0, part_rows=2, row_group_rows=2)

    async def write_all() -> None:
        async with writer:
            for record in samples.fleet(6, 0):
                await writer.write([record])
            await writer.close()

    with pytest.raises(LakeError, match="upload refused"):
        await write_all()
    assert any(p.startswith("_staging/") for p in await paths(store))

    await compensate_run(store, RUN, "shard 0 failed")

    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []


async def test_non_ascii_text_round_trips_through_the_lake(
    store: LakeStore, tmp_path: Path
) -> None:
    """Names and outputs in any script read back unchanged after publishing."""
    text = "Überwachung — 東京 — 🚦"
    async with ShardWriter(store, RUN, 0) as writer:
        await writer.write([samples.Record("hosts", samples.host(1, information=text))])
        await writer.close()
    await publish_run(store, RUN, {})

    table = await read_hosts(store, tmp_path)

    assert table.column("information").to_pylist() == [text]


async def test_schema_drift_lands_in_rescued_data_in_the_lake(
    store: LakeStore, tmp_path: Path
) -> None:
    """A renamed field reaches readers as JSON in _rescued_data."""
    drifted = samples.host(1, is_in_flapping=False, duration=False)
    async with ShardWriter(store, RUN, 0) as writer:
        await writer.write([samples.Record("hosts", drifted)])
        await writer.close()
    await publish_run(store, RUN, {})

    table = await read_hosts(store, tmp_path)

    (text,) = table.column("_rescued_data").to_pylist()
    assert json.loads(text) == {"is_in_flapping": False, "duration": False}


class RacingCompensator:
    """A store where a compensation records its verdict just before the publisher.

    ``writes`` lists every path the publisher wrote through it.
    """

    def __init__(self, inner: LakeStore) -> None:
        self.inner = inner
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        self.writes.append(path)
        if path == layout.manifest_path(RUN.run_id) and not overwrite:
            await compensate_run(self.inner, RUN, "deadline passed")
        await self.inner.put_bytes(path, data, overwrite=overwrite)


class CrashAfterClaim:
    """A store that fails the first write or delete after the run's manifest."""

    def __init__(self, inner: LakeStore) -> None:
        self.inner = inner
        self.claimed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _crash_if_claimed(self, path: str) -> None:
        if self.claimed:
            raise LakeError("the publisher crashed", path=path)

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        self._crash_if_claimed(path)
        await self.inner.put_bytes(path, data, overwrite=overwrite)
        self.claimed = path == layout.manifest_path(RUN.run_id)

    async def delete_tree(self, folder: str) -> None:
        self._crash_if_claimed(folder)
        await self.inner.delete_tree(folder)


async def test_publish_retried_after_a_crash_past_the_claim_completes_the_run(
    store: LakeStore,
) -> None:
    """A retry writes every _SUCCESS and deletes the staging left by the crash."""
    await stage(store, RUN)
    with pytest.raises(LakeError, match="crashed"):
        await publish_run(CrashAfterClaim(store), RUN, SUMMARY)

    manifest = await publish_run(store, RUN, SUMMARY)

    files = set(await paths(store))
    assert manifest.status == "succeeded"
    assert {layout.success_path(name, RUN) for name in manifest.datasets} <= files
    assert not any(p.startswith("_staging/") for p in files)


async def test_publisher_losing_to_compensation_never_writes_success(
    store: LakeStore,
) -> None:
    """A publisher that loses the manifest race writes no _SUCCESS, even briefly."""
    await stage(store, RUN)
    racing = RacingCompensator(store)

    await publish_run(racing, RUN, SUMMARY)

    assert racing.writes
    assert not any(p.endswith("/_SUCCESS") for p in racing.writes)


async def test_publisher_losing_to_compensation_removes_what_it_moved(
    store: LakeStore,
) -> None:
    """If compensation records the run first, the publisher undoes its moves."""
    await stage(store, RUN)

    result = await publish_run(RacingCompensator(store), RUN, SUMMARY)

    assert result.status == "failed"
    assert result.reason == "deadline passed"
    assert await paths(store) == [layout.manifest_path(RUN.run_id)]
    assert empty_folders(store) == []
