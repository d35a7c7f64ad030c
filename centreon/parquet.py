"""Record batches to Parquet parts in a run's staging area: the fetch engine's sink.

A :class:`ShardWriter` takes the batches of records one shard fetches and
writes ``hosts`` and ``services`` parts (zstd, row groups of tens of thousands
of rows, files rolled by rows or bytes) under ``_staging/<run_id>/``. Memory
stays bounded: at most one row group per dataset is buffered, the part being
written lives in a local temporary file, and at most one finished part is
uploading while the next fills. Converting and encoding run in a worker thread
so the event loop keeps fetching.

File names are ``part-<shard>-<part>.parquet``: a retried shard rewrites its
own names and, when it closes, deletes any higher-numbered part an earlier
attempt left, so it never leaves another attempt's rows behind. On close the
writer also records the parts it wrote (read by the publisher).

A writer checks the run's manifest after each upload, and after cancelling
one when it aborts: once the run has been published or compensated, it
deletes the run's staging area again, late upload and folders included (a
closing writer raises :class:`~centreon.errors.LakeConflictError`), so nothing
resurrects a finished run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from centreon import layout
from centreon.conversion import Converter
from centreon.errors import LakeConflictError
from centreon.lake.store import LakeStore
from centreon.layout import RunRef
from centreon.schemas import SCHEMA_VERSION, Mode, record_schema

__all__ = [
    "DEFAULT_PART_BYTES",
    "DEFAULT_PART_ROWS",
    "DEFAULT_ROW_GROUP_BYTES",
    "DEFAULT_ROW_GROUP_ROWS",
    "DICTIONARY_COLUMNS",
    "PartInfo",
    "Record",
    "ShardWriter",
    "parquet_bytes",
    "record_parts",
]

logger = logging.getLogger(__name__)

DEFAULT_PART_ROWS = 2_000_000
DEFAULT_PART_BYTES = 256 * 2**20
DEFAULT_ROW_GROUP_ROWS = 50_000
DEFAULT_ROW_GROUP_BYTES = 32 * 2**20
COMPRESSION = "zstd"
RECORD_DATASETS = ("hosts", "services")

DICTIONARY_COLUMNS = frozenset(
    {
        "type",
        "short_type",
        "monitoring_server_name",
        "timezone",
        "duration",
        "last_check",
        "tries",
        "status.name",
        "icon.name",
        "icon.url",
        "parent.type",
        "parent.short_type",
        "parent.name",
        "parent.status.name",
        "parent.monitoring_server_name",
        "severity.name",
        "severity.type",
        "severity.icon.name",
        "severity.icon.url",
        "groups.list.element.name",
        "groups.list.element.configuration_uri",
        "categories.list.element.name",
        "categories.list.element.configuration_uri",
        "acknowledgement.author_name",
        "downtimes.list.element.author_name",
    }
)
"""Parquet paths of the string columns with few distinct values, the only ones
dictionary-encoded. Elsewhere (ids, outputs, dates, links) dictionary pages cost
more CPU than they save: on simulated details, encoding only these takes about a
quarter less CPU than encoding every column and the files are 10-15 % smaller."""


class Record(Protocol):
    """What the writer reads from a fetched record (centreon.fetch.FetchedRecord)."""

    @property
    def dataset(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...

    @property
    def fetched_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class PartInfo:
    """One Parquet file in the lake: its path under the root, dataset, rows, size."""

    path: str
    dataset: str
    rows: int
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "path": self.path,
            "dataset": self.dataset,
            "rows": self.rows,
            "bytes": self.bytes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PartInfo:
        """Inverse of :meth:`to_dict`."""
        return cls(
            str(data["path"]),
            str(data["dataset"]),
            int(data["rows"]),
            int(data["bytes"]),
        )


def _file_metadata(run: RunRef, dataset: str) -> dict[str, str]:
    return {
        "centreon.schema_version": str(SCHEMA_VERSION),
        "centreon.run_id": run.run_id,
        "centreon.dataset": dataset,
    }


def _leaf_paths(kind: pa.DataType, prefix: str) -> list[tuple[str, pa.DataType]]:
    """Parquet column paths (``a.b``, ``a.list.element.b``) under one Arrow type."""
    if pa.types.is_struct(kind):
        return [
            leaf for f in kind for leaf in _leaf_paths(f.type, f"{prefix}.{f.name}")
        ]
    if pa.types.is_list(kind):
        return _leaf_paths(kind.value_type, f"{prefix}.list.element")

    return [(prefix, kind)]


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The string columns of ``schema`` listed in :data:`DICTIONARY_COLUMNS`."""
    return [
        path
        for f in schema
        for path, kind in _leaf_paths(f.type, f.name)
        if path in DICTIONARY_COLUMNS and pa.types.is_string(kind)
    ]


def _open_writer(path: str, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        compression=COMPRESSION,
        use_dictionary=_dictionary_columns(schema),
        write_statistics=True,
        coerce_timestamps="us",
    )


@functools.cache
def _converter(dataset: str, mode: Mode) -> Converter:
    """The process's one converter per record schema (compiling one takes ~1 ms)."""
    return Converter(record_schema(dataset, mode))


def parquet_bytes(tables: Sequence[pa.Table], schema: pa.Schema) -> bytes:
    """Encode small tables as one Parquet file in memory (the plan).

    Each non-empty table becomes one row group, cast to ``schema``.
    """
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, compression=COMPRESSION) as writer:
        for table in tables:
            if table.num_rows:
                writer.write_table(table.cast(schema), row_group_size=table.num_rows)

    return bytes(sink.getvalue().to_pybytes())


async def record_parts(
    store: LakeStore, run_id: str, label: int | str, parts: Iterable[PartInfo]
) -> None:
    """Record the parts a writer (shard ``label``, or the plan) staged for the run."""
    record = {"shard": label, "parts": [p.to_dict() for p in parts]}
    await store.put_bytes(layout.parts_record_path(run_id, label), orjson.dumps(record))


@dataclass(slots=True)
class _LocalPart:
    """A finished part in the local temporary folder, waiting for upload."""

    local: str
    path: str
    dataset: str
    rows: int


class _DatasetStream:
    """Row groups and parts of one dataset from one shard; runs in a worker thread."""

    def __init__(
        self,
        *,
        run: RunRef,
        dataset: str,
        shard: int,
        mode: Mode,
        folder: str,
        part_rows: int,
        part_bytes: int,
        row_group_rows: int,
        row_group_bytes: int,
    ) -> None:
        self.run = run
        self.dataset = dataset
        self.shard = shard
        schema = record_schema(dataset, mode)
        self.schema = schema.with_metadata(
            {**(schema.metadata or {}), **_file_metadata(run, dataset)}
        )
        self.converter = _converter(dataset, mode)
        self.folder = folder
        self.part_rows = part_rows
        self.part_bytes = part_bytes
        self.row_group_rows = row_group_rows
        self.row_group_bytes = row_group_bytes
        self.pending: list[pa.RecordBatch] = []
        self.pending_rows = 0
        self.pending_bytes = 0
        self.part = 0
        self.writer: pq.ParquetWriter | None = None
        self.local: str | None = None
        self.rows_in_part = 0
        self.rows = 0

    def add(
        self, payloads: list[Mapping[str, Any]], stamps: list[datetime]
    ) -> list[_LocalPart]:
        batch = self.converter.convert(
            payloads, stamps, run_id=self.run.run_id, snapshot_ts=self.run.snapshot_ts
        )
        self.pending.append(batch)
        self.pending_rows += batch.num_rows
        self.pending_bytes += batch.nbytes
        if (
            self.pending_rows < self.row_group_rows
            and self.pending_bytes < self.row_group_bytes
        ):
            return []

        return self._flush_row_group()

    def finish(self) -> list[_LocalPart]:
        finished = self._flush_row_group()
        if self.writer is not None and self.rows_in_part:
            finished.append(self._close_part())

        return finished

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _flush_row_group(self) -> list[_LocalPart]:
        if not self.pending:
            return []
        table = pa.Table.from_batches(self.pending, schema=self.converter.schema)
        self.pending, self.pending_rows, self.pending_bytes = [], 0, 0
        if self.writer is None or self.local is None:
            self.local = os.path.join(
                self.folder, f"{self.dataset}-{self.part:05d}.parquet"
            )
            self.writer = _open_writer(self.local, self.schema)
            self.rows_in_part = 0
        table = table.replace_schema_metadata(self.schema.metadata)
        self.writer.write_table(table, row_group_size=table.num_rows)
        self.rows_in_part += table.num_rows
        self.rows += table.num_rows
        full = self.rows_in_part >= self.part_rows
        if full or os.path.getsize(self.local) >= self.part_bytes:
            return [self._close_part()]

        return []

    def _close_part(self) -> _LocalPart:
        writer, local = self.writer, self.local
        if writer is None or local is None:
            raise RuntimeError("no part is open")
        writer.close()
        name = layout.part_name(self.shard, self.part)
        path = f"{layout.staging_folder(self.dataset, self.run.run_id)}/{name}"
        finished = _LocalPart(local, path, self.dataset, self.rows_in_part)
        self.writer, self.local = None, None
        self.part += 1

        return finished


class ShardWriter:
    """Writes one shard's records as staged Parquet parts; a ``RecordSink``.

    Use ``await write(records)`` for each batch, then ``await close()`` for the
    parts written. ``async with`` discards local work if the block raises
    before ``close()``. Parameters ``part_rows``/``part_bytes`` roll files
    (a part may pass ``part_bytes`` by up to one row group) and
    ``row_group_rows``/``row_group_bytes`` bound what is buffered in memory.
    """

    def __init__(
        self,
        store: LakeStore,
        run: RunRef,
        shard: int,
        *,
        mode: Mode = "detail",
        part_rows: int = DEFAULT_PART_ROWS,
        part_bytes: int = DEFAULT_PART_BYTES,
        row_group_rows: int = DEFAULT_ROW_GROUP_ROWS,
        row_group_bytes: int = DEFAULT_ROW_GROUP_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        layout.part_name(shard, 0)
        self.store = store
        self.run = run
        self.shard = shard
        self.mode = mode
        self._limits = {
            "part_rows": max(1, part_rows),
            "part_bytes": max(1, part_bytes),
            "row_group_rows": max(1, row_group_rows),
            "row_group_bytes": max(1, row_group_bytes),
        }
        self._clock = clock
        self._started = clock()
        self._folder: str | None = None
        self._streams: dict[str, _DatasetStream] = {}
        self._parts: list[PartInfo] = []
        self._upload: asyncio.Task[PartInfo] | None = None
        self._uploaded = False
        self._lock = asyncio.Lock()
        self._checked = False
        self._closed = False

    async def __aenter__(self) -> ShardWriter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._closed:
            await self.abort()

    async def write(self, records: Sequence[Record]) -> None:
        """Convert and buffer ``records``; upload any part that fills up."""
        if not records:
            return
        async with self._lock:
            self._ensure_open()
            if not self._checked:
                await self._check_run_open()
                self._checked = True
            groups: dict[str, tuple[list[Mapping[str, Any]], list[datetime]]] = {}
            for record in records:
                payloads, stamps = groups.setdefault(record.dataset, ([], []))
                payloads.append(record.payload)
                stamps.append(record.fetched_at)
            for dataset, (payloads, stamps) in groups.items():
                stream = self._stream(dataset)
                finished = await asyncio.to_thread(stream.add, payloads, stamps)
                for part in finished:
                    await self._start_upload(part)

    async def close(self) -> list[PartInfo]:
        """Flush and upload everything; return the parts this shard wrote."""
        async with self._lock:
            self._ensure_open()
            try:
                for stream in self._streams.values():
                    for part in await asyncio.to_thread(stream.finish):
                        await self._start_upload(part)
                await self._finish_upload()
                await self._delete_stale_parts()
                await record_parts(self.store, self.run.run_id, self.shard, self._parts)
                await self._check_run_open(cleanup=True)
            finally:
                self._closed = True
                self._remove_folder()
        rows = sum(p.rows for p in self._parts)
        size = sum(p.bytes for p in self._parts)
        logger.info(
            "shard written",
            extra={
                "run_id": self.run.run_id,
                "shard": self.shard,
                "rows": rows,
                "bytes": size,
                "duration_ms": round((self._clock() - self._started) * 1000),
            },
        )

        return list(self._parts)

    async def abort(self) -> None:
        """Drop local work and stop uploading; staged files are compensation's job.

        A cancelled upload may still commit, so once the upload has ended, if
        the run is already finished, abort deletes the run's staging area.
        """
        self._closed = True
        upload, self._upload = self._upload, None
        if upload is not None:
            upload.cancel()
            await asyncio.gather(upload, return_exceptions=True)
        for stream in self._streams.values():
            stream.discard()
        self._remove_folder()
        if self._uploaded and await self.store.exists(
            layout.manifest_path(self.run.run_id)
        ):
            await self.store.delete_tree(layout.staging_root(self.run.run_id))

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("ShardWriter is closed")

    def _stream(self, dataset: str) -> _DatasetStream:
        stream = self._streams.get(dataset)
        if stream is None:
            if dataset not in RECORD_DATASETS:
                raise ValueError(f"records of unknown dataset {dataset!r}")
            if self._folder is None:
                self._folder = tempfile.mkdtemp(prefix="centreon-lake-")
            stream = _DatasetStream(
                run=self.run,
                dataset=dataset,
                shard=self.shard,
                mode=self.mode,
                folder=self._folder,
                **self._limits,
            )
            self._streams[dataset] = stream

        return stream

    async def _start_upload(self, part: _LocalPart) -> None:
        await self._finish_upload()
        self._uploaded = True
        self._upload = asyncio.create_task(self._upload_part(part))

    async def _finish_upload(self) -> None:
        if self._upload is not None:
            upload, self._upload = self._upload, None
            self._parts.append(await upload)

    async def _upload_part(self, part: _LocalPart) -> PartInfo:
        try:
            size = await self.store.put_file(part.path, part.local)
        finally:
            await asyncio.to_thread(_remove, part.local)
        info = PartInfo(part.path, part.dataset, part.rows, size)
        await self._check_run_open(cleanup=False, late=info)

        return info

    async def _check_run_open(
        self, *, cleanup: bool = False, late: PartInfo | None = None
    ) -> None:
        """Raise LakeConflictError once the run is finished.

        With ``cleanup`` or a ``late`` part, first delete the run's staging
        area: once the run is decided, nothing in it is needed any more.
        """
        if not await self.store.exists(layout.manifest_path(self.run.run_id)):
            return
        if cleanup or late is not None:
            await self.store.delete_tree(layout.staging_root(self.run.run_id))

        raise LakeConflictError(
            "the run is already published or compensated",
            path=layout.manifest_path(self.run.run_id),
        )

    async def _delete_stale_parts(self) -> None:
        written = {dataset: stream.part for dataset, stream in self._streams.items()}
        for dataset in RECORD_DATASETS:
            folder = layout.staging_folder(dataset, self.run.run_id)
            for file in await self.store.list_files(folder):
                number = layout.part_number(file.path, self.shard)
                if number is not None and number >= written.get(dataset, 0):
                    await self.store.delete_file(file.path)

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
