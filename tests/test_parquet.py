"""Tests for centreon.parquet: the shard writer's files."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow.parquet as pq
import pytest

from centreon import layout
from centreon.lake.local import LocalStore
from centreon.parquet import DICTIONARY_COLUMNS, PartInfo, ShardWriter
from centreon.schemas import HOST_DETAIL_SCHEMA, RESOURCE_SCHEMA
from tests import lake_samples as samples

RUN = layout.RunRef("run-1", datetime(2024, 11, 5, 9, 15, tzinfo=UTC))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[LocalStore]:
    async with LocalStore(tmp_path / "lake") as lake:
        yield lake


async def write_one_by_one(writer: ShardWriter, records: list[samples.Record]) -> None:
    for record in records:
        await writer.write([record])


async def test_shard_writer_rolls_parts_by_rows(store: LocalStore) -> None:
    """Parts close once they hold part_rows rows; names follow shard and part."""
    async with ShardWriter(store, RUN, 7, part_rows=2, row_group_rows=1) as writer:
        await write_one_by_one(writer, samples.fleet(5, 0))
        parts = await writer.close()

    folder = layout.staging_folder("hosts", RUN.run_id)
    assert parts == [
        PartInfo(f"{folder}/part-00007-00000.parquet", "hosts", 2, parts[0].bytes),
        PartInfo(f"{folder}/part-00007-00001.parquet", "hosts", 2, parts[1].bytes),
        PartInfo(f"{folder}/part-00007-00002.parquet", "hosts", 1, parts[2].bytes),
    ]
    sizes = {f.path: f.size for f in await store.list_files(folder)}
    assert sizes == {p.path: p.bytes for p in parts}


async def test_shard_writer_rolls_parts_by_bytes(store: LocalStore) -> None:
    """A part closes once its file passes part_bytes, whatever its row count."""
    async with ShardWriter(store, RUN, 0, part_bytes=1, row_group_rows=1) as writer:
        await write_one_by_one(writer, samples.fleet(3, 0))
        parts = await writer.close()

    assert [p.rows for p in parts] == [1, 1, 1]


async def test_shard_writer_writes_zstd_row_groups_with_the_explicit_schema(
    store: LocalStore,
) -> None:
    """Files are zstd-compressed, grouped by row_group_rows, in the declared schema."""
    async with ShardWriter(store, RUN, 0, row_group_rows=2) as writer:
        await write_one_by_one(writer, samples.fleet(5, 0))
        (part,) = await writer.close()

    parquet = pq.ParquetFile(store.root / part.path)
    assert (
        parquet.schema_arrow.remove_metadata() == HOST_DETAIL_SCHEMA.remove_metadata()
    )
    assert [parquet.metadata.row_group(i).num_rows for i in range(3)] == [2, 2, 1]
    assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"
    assert parquet.schema_arrow.metadata[b"centreon.run_id"] == b"run-1"


async def test_shard_writer_splits_records_by_dataset(store: LocalStore) -> None:
    """Hosts and services from one batch land in their own datasets."""
    async with ShardWriter(store, RUN, 0) as writer:
        await writer.write(samples.fleet(2, 3))
        parts = await writer.close()

    assert {(p.dataset, p.rows) for p in parts} == {("hosts", 2), ("services", 6)}


async def test_shard_writer_records_its_parts_for_the_publisher(
    store: LocalStore,
) -> None:
    """close() leaves a record of the parts it wrote under the run's staging area."""
    async with ShardWriter(store, RUN, 3) as writer:
        await writer.write(samples.fleet(1, 1))
        parts = await writer.close()

    record = orjson.loads(
        await store.get_bytes(layout.parts_record_path(RUN.run_id, 3))
    )
    assert [PartInfo.from_dict(p) for p in record["parts"]] == parts


async def test_shard_writer_uses_the_listing_schema_in_listing_mode(
    store: LocalStore,
) -> None:
    """In listing mode, resource listing items are written with RESOURCE_SCHEMA."""
    items = [
        samples.Record("hosts", samples.LISTING_HOST),
        samples.Record("services", samples.LISTING_SERVICE),
    ]
    async with ShardWriter(store, RUN, 0, mode="listing") as writer:
        await writer.write(items)
        parts = await writer.close()

    for part in parts:
        schema = pq.read_schema(store.root / part.path).remove_metadata()
        assert schema == RESOURCE_SCHEMA.remove_metadata()


async def test_shard_writer_discards_local_files_when_aborted(
    store: LocalStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving the block on an error removes the writer's temporary folder."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    async def fetch_and_die() -> None:
        async with ShardWriter(store, RUN, 0) as writer:
            await writer.write(samples.fleet(2, 0))
            raise RuntimeError("fetch died")

    with pytest.raises(RuntimeError, match="fetch died"):
        await fetch_and_die()

    assert list(scratch.iterdir()) == []
    assert await store.list_files("_staging") == []


async def test_shard_writer_refuses_records_of_unknown_datasets(
    store: LocalStore,
) -> None:
    """A record for a dataset the lake does not know is a programming error."""
    async with ShardWriter(store, RUN, 0) as writer:
        with pytest.raises(ValueError, match="unknown dataset"):
            await writer.write([samples.Record("pollers", {})])


def dictionary_columns(path: Path) -> set[str]:
    metadata = pq.ParquetFile(path).metadata.row_group(0)
    columns = (metadata.column(i) for i in range(metadata.num_columns))
    return {
        c.path_in_schema
        for c in columns
        if any("DICTIONARY" in encoding for encoding in c.encodings)
    }


async def test_shard_writer_dictionary_encodes_only_the_low_cardinality_columns(
    store: LocalStore,
) -> None:
    """Across both modes, exactly the DICTIONARY_COLUMNS are dictionary-encoded."""
    listing = [
        samples.Record("hosts", samples.LISTING_HOST),
        samples.Record("services", samples.LISTING_SERVICE),
    ]
    encoded: set[str] = set()
    for mode, records in (("detail", samples.fleet(2, 3)), ("listing", listing)):
        run = layout.RunRef(f"run-{mode}", RUN.snapshot_ts)
        async with ShardWriter(store, run, 0, mode=mode) as writer:
            await writer.write(records)
            parts = await writer.close()
        for part in parts:
            encoded |= dictionary_columns(store.root / part.path)

    assert encoded == DICTIONARY_COLUMNS
