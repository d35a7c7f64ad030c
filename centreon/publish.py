"""A run's life in the lake: its staged plan, then publish or compensate, exactly once.

Writers (:class:`~centreon.parquet.ShardWriter`, :func:`write_plan`) stage
parts under ``_staging/<run_id>/`` and record what they wrote. Then one of:

:func:`publish_run`
    1. drops staged parts no writer recorded (leftovers of a crashed attempt);
    2. moves each dataset's staged folder to
       ``<dataset>/snapshot_date=<date>/run_id=<id>`` -- one conditional
       rename where the backend has one, a copy otherwise;
    3. creates ``_runs/<run_id>.json`` (status ``succeeded``) only if no
       manifest exists: the manifest is the run's single point of decision;
    4. writes ``_SUCCESS`` in each run folder, so a marker only ever stands
       beside a run that is decided published;
    5. deletes the staging area.

:func:`compensate_run`
    1. creates the manifest with status ``failed`` and the reason, only if
       none exists (a run that is already published stays published);
    2. deletes the staging area and every published folder of the run, then
       lists and deletes again.

Both are idempotent: once a manifest exists, calling either again returns it
and repeats the steps after the decision (publishing writes any missing
``_SUCCESS`` and deletes the staging area, compensation repeats its deletes),
so a crash between steps is repaired by calling it again.

Writing the failed manifest first fences late writers: a
:class:`~centreon.parquet.ShardWriter` checks the manifest after every upload
(and :func:`write_plan` after writing the plan) and deletes the staging
area again, so a write still in flight while compensation runs cannot leave
anything behind, and a run compensated once can never look published again.
If a publisher loses the manifest race to a compensation, it removes what it
moved before returning the failed manifest, and has written no ``_SUCCESS``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from centreon import layout
from centreon.errors import LakeConflictError, LakeError, LakeNotFoundError
from centreon.lake.store import LakeStore
from centreon.layout import RunRef
from centreon.parquet import PartInfo, parquet_bytes, record_parts
from centreon.plan import Plan, PlannedUrl, Shard
from centreon.schemas import DATASETS, SCHEMA_VERSION, URLS_SCHEMA

__all__ = [
    "Manifest",
    "RunRef",
    "compensate_run",
    "list_runs",
    "publish_run",
    "read_manifest",
    "read_shard",
    "write_plan",
]

logger = logging.getLogger(__name__)

Status = Literal["succeeded", "failed"]
_PLAN_SHARDS_KEY = b"centreon.shards"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What ``_runs/<run_id>.json`` says about a finished run.

    ``datasets`` maps each dataset to ``{"rows", "bytes", "files": [{"path",
    "rows", "bytes"}]}`` (published paths; empty for a failed run).
    ``source_totals``, ``vanished`` and ``timings`` come from the run's
    summary; ``summary`` keeps the rest of it.
    """

    run_id: str
    status: Status
    snapshot_ts: str
    snapshot_date: str
    schema_version: int
    recorded_at: str
    datasets: dict[str, Any] = field(default_factory=dict)
    source_totals: dict[str, Any] = field(default_factory=dict)
    vanished: int = 0
    timings: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> dict[str, int]:
        """Rows per dataset."""
        return {name: int(entry["rows"]) for name, entry in self.datasets.items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (the manifest file's content)."""
        return {
            "run_id": self.run_id,
            "status": self.status,
            "snapshot_ts": self.snapshot_ts,
            "snapshot_date": self.snapshot_date,
            "schema_version": self.schema_version,
            "recorded_at": self.recorded_at,
            "datasets": self.datasets,
            "source_totals": self.source_totals,
            "vanished": self.vanished,
            "timings": self.timings,
            "reason": self.reason,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Inverse of :meth:`to_dict`."""
        status = data["status"]
        if status not in ("succeeded", "failed"):
            raise ValueError(f"unknown run status {status!r}")

        return cls(
            run_id=str(data["run_id"]),
            status="succeeded" if status == "succeeded" else "failed",
            snapshot_ts=str(data["snapshot_ts"]),
            snapshot_date=str(data["snapshot_date"]),
            schema_version=int(data["schema_version"]),
            recorded_at=str(data["recorded_at"]),
            datasets=dict(data.get("datasets") or {}),
            source_totals=dict(data.get("source_totals") or {}),
            vanished=int(data.get("vanished") or 0),
            timings=dict(data.get("timings") or {}),
            reason=data.get("reason"),
            summary=dict(data.get("summary") or {}),
        )


def _json_safe(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def _new_manifest(
    run: RunRef,
    status: Status,
    summary: Mapping[str, Any],
    *,
    datasets: dict[str, Any],
    timings: dict[str, Any],
    reason: str | None,
    clock: Callable[[], datetime],
) -> Manifest:
    summary = dict(_json_safe(summary))
    given_timings = summary.pop("timings", None)

    return Manifest(
        run_id=run.run_id,
        status=status,
        snapshot_ts=run.snapshot_ts.isoformat(),
        snapshot_date=run.snapshot_date,
        schema_version=SCHEMA_VERSION,
        recorded_at=clock().astimezone(UTC).isoformat(),
        datasets=datasets,
        source_totals=dict(summary.pop("source_totals", None) or {}),
        vanished=int(summary.pop("vanished", 0) or 0),
        timings={**dict(given_timings or {}), **timings},
        reason=reason,
        summary=summary,
    )


def _now() -> datetime:
    return datetime.now(UTC)


async def read_manifest(store: LakeStore, run_id: str) -> Manifest | None:
    """The run's manifest, or None while the run is not finished."""
    try:
        data = await store.get_bytes(layout.manifest_path(run_id))
    except LakeNotFoundError:
        return None

    return Manifest.from_dict(orjson.loads(data))


async def list_runs(store: LakeStore) -> list[Manifest]:
    """Every finished run's manifest, oldest snapshot first."""
    manifests = []
    for file in await store.list_files(layout.MANIFESTS):
        if file.path.endswith(".json"):
            data = await store.get_bytes(file.path)
            manifests.append(Manifest.from_dict(orjson.loads(data)))

    return sorted(manifests, key=lambda m: (m.snapshot_ts, m.run_id))


async def write_plan(
    store: LakeStore,
    run: RunRef,
    plan: Plan,
    *,
    clock: Callable[[], datetime] = _now,
) -> PartInfo:
    """Stage the plan as the run's ``urls`` dataset: one row group per shard.

    Called as soon as the plan is made, so ``clock()`` at the call is the
    rows' ``fetched_at``.

    Each shard's concurrency is kept in the file's metadata so
    :func:`read_shard` can rebuild the shard from the run id and its index.
    Raises LakeConflictError, leaving nothing staged, when the run is already
    finished before or after the plan lands.
    """
    if await store.exists(layout.manifest_path(run.run_id)):
        raise LakeConflictError(
            "the run is already published or compensated",
            path=layout.manifest_path(run.run_id),
        )
    planned_at = clock()
    tables = [_plan_table(run, shard, planned_at) for shard in plan.shards]
    shards = [
        {"index": s.index, "concurrency": s.concurrency, "urls": len(s.urls)}
        for s in plan.shards
    ]
    schema = URLS_SCHEMA.with_metadata(
        {**(URLS_SCHEMA.metadata or {}), _PLAN_SHARDS_KEY: orjson.dumps(shards)}
    )
    data = await asyncio.to_thread(parquet_bytes, tables, schema)
    path = f"{layout.staging_folder('urls', run.run_id)}/{layout.part_name('plan', 0)}"
    await store.put_bytes(path, data)
    part = PartInfo(path, "urls", sum(t.num_rows for t in tables), len(data))
    await record_parts(store, run.run_id, layout.PLAN_LABEL, [part])
    if await store.exists(layout.manifest_path(run.run_id)):
        # The run was finished while the plan was landing: take it back.
        await store.delete_tree(layout.staging_root(run.run_id))
        raise LakeConflictError(
            "the run was published or compensated while its plan was written",
            path=layout.manifest_path(run.run_id),
        )
    logger.info(
        "plan written",
        extra={"run_id": run.run_id, "rows": part.rows, "bytes": part.bytes},
    )

    return part


def _plan_table(run: RunRef, shard: Shard, planned_at: datetime) -> pa.Table:
    urls = shard.urls
    count = len(urls)
    columns = {
        "uuid": [u.uuid for u in urls],
        "type": [u.type for u in urls],
        "host_id": [u.host_id for u in urls],
        "service_id": [u.service_id for u in urls],
        "name": [u.name for u in urls],
        "host_name": [u.host_name for u in urls],
        "path": [u.path for u in urls],
        "shard": [shard.index] * count,
        "run_id": [run.run_id] * count,
        "snapshot_ts": [run.snapshot_ts] * count,
        "fetched_at": [planned_at] * count,
        "_rescued_data": [None] * count,
    }

    return pa.Table.from_pydict(columns, schema=URLS_SCHEMA)


async def read_shard(store: LakeStore, run: RunRef, shard_index: int) -> Shard:
    """Rebuild shard ``shard_index`` of the run's plan.

    Reads the staged plan, or the published one once the run is published.
    Raises LakeNotFoundError when the run has no plan or no such shard.
    """
    name = layout.part_name(layout.PLAN_LABEL, 0)
    candidates = [
        f"{layout.staging_folder('urls', run.run_id)}/{name}",
        f"{layout.run_folder('urls', run)}/{name}",
    ]
    data = None
    for path in candidates:
        try:
            data = await store.get_bytes(path)
            break
        except LakeNotFoundError:
            continue
    if data is None:
        raise LakeNotFoundError("the run has no plan", path=candidates[0])
    concurrency, table = await asyncio.to_thread(_read_plan, data, shard_index)
    if concurrency is None:
        raise LakeNotFoundError(
            f"the plan has no shard {shard_index}", path=candidates[0]
        )
    urls = tuple(PlannedUrl.from_dict(row) for row in table.to_pylist())

    return Shard(index=shard_index, concurrency=concurrency, urls=urls)


def _read_plan(data: bytes, shard_index: int) -> tuple[int | None, pa.Table]:
    parquet = pq.ParquetFile(pa.BufferReader(data))
    shards = orjson.loads((parquet.schema_arrow.metadata or {})[_PLAN_SHARDS_KEY])
    concurrency = next(
        (int(s["concurrency"]) for s in shards if int(s["index"]) == shard_index), None
    )
    table = parquet.read().filter(
        pa.compute.equal(pa.compute.field("shard"), shard_index)
    )
    columns = [
        "uuid",
        "type",
        "host_id",
        "service_id",
        "name",
        "host_name",
        "path",
        "shard",
    ]

    return concurrency, table.select(columns)


async def _recorded_parts(store: LakeStore, run: RunRef) -> list[PartInfo]:
    parts: list[PartInfo] = []
    for file in await store.list_files(layout.parts_records_folder(run.run_id)):
        record = orjson.loads(await store.get_bytes(file.path))
        parts.extend(PartInfo.from_dict(p) for p in record["parts"])

    return parts


def _published_path(part: PartInfo, run: RunRef) -> str:
    name = part.path.rsplit("/", 1)[-1]
    return f"{layout.run_folder(part.dataset, run)}/{name}"


async def _claim(store: LakeStore, manifest: Manifest) -> Manifest:
    """Write ``manifest`` unless the run already has one; return the one that stands.

    The manifest is the run's single point of decision: whichever of a
    publisher and a compensation writes it first decides the run.
    """
    try:
        await store.put_bytes(
            layout.manifest_path(manifest.run_id),
            orjson.dumps(manifest.to_dict()),
            overwrite=False,
        )
    except LakeConflictError:
        winner = await read_manifest(store, manifest.run_id)
        if winner is None:
            raise
        return winner

    return manifest


async def publish_run(
    store: LakeStore,
    run: RunRef,
    summary: Mapping[str, Any],
    *,
    clock: Callable[[], datetime] = _now,
    timer: Callable[[], float] = time.monotonic,
) -> Manifest:
    """Publish the staged run exactly once; return its manifest (idempotent).

    ``summary`` may carry ``source_totals`` (discovery's counts), ``vanished``
    and ``timings``; everything else is kept under ``summary``. Returns the
    existing manifest, whatever its status, when the run is already finished;
    a published run is first completed (its missing ``_SUCCESS`` markers
    written, its leftover staging deleted), as after a crash past the claim.
    """
    existing = await read_manifest(store, run.run_id)
    if existing is not None:
        if existing.status == "succeeded":
            await _finish_publish(store, run, existing)
        return existing
    started = timer()

    try:
        parts = await _recorded_parts(store, run)
        datasets = await _move_datasets(store, run, parts)
    except LakeError:
        # A concurrent publisher or compensation moved or removed what this one
        # was reading; if it has finished, its manifest is the answer.
        winner = await read_manifest(store, run.run_id)
        if winner is None:
            raise
        return winner
    timings = {"publish_ms": round((timer() - started) * 1000)}
    manifest = _new_manifest(
        run,
        "succeeded",
        summary,
        datasets=datasets,
        timings=timings,
        reason=None,
        clock=clock,
    )
    standing = await _claim(store, manifest)
    if standing.status == "failed":
        await _delete_run(store, run)
        return standing
    await _finish_publish(store, run, standing)
    if standing is not manifest:
        return standing
    logger.info(
        "run published",
        extra={
            "run_id": run.run_id,
            "rows": sum(manifest.rows.values()),
            "bytes": sum(int(d["bytes"]) for d in datasets.values()),
            "duration_ms": timings["publish_ms"],
        },
    )

    return manifest


async def _finish_publish(store: LakeStore, run: RunRef, manifest: Manifest) -> None:
    """Write each run folder's missing ``_SUCCESS``, then delete the staging area."""
    for dataset in manifest.datasets:
        marker = layout.success_path(dataset, run)
        if not await store.exists(marker):
            await store.put_bytes(marker, b"")
    await store.delete_tree(layout.staging_root(run.run_id))


async def _move_datasets(
    store: LakeStore, run: RunRef, parts: list[PartInfo]
) -> dict[str, Any]:
    recorded = {p.path for p in parts}
    datasets: dict[str, Any] = {}
    for dataset in DATASETS:
        mine = sorted((p for p in parts if p.dataset == dataset), key=lambda p: p.path)
        staged = layout.staging_folder(dataset, run.run_id)
        for file in await store.list_files(staged):
            if file.path not in recorded:
                await store.delete_file(file.path)
        if not mine:
            continue
        try:
            await store.move_tree(staged, layout.run_folder(dataset, run))
        except (LakeNotFoundError, LakeConflictError):
            published = {
                f.path for f in await store.list_files(layout.run_folder(dataset, run))
            }
            if not all(_published_path(p, run) in published for p in mine):
                raise LakeError(
                    "staged parts are missing and not published",
                    path=staged,
                ) from None
        datasets[dataset] = {
            "rows": sum(p.rows for p in mine),
            "bytes": sum(p.bytes for p in mine),
            "files": [
                {"path": _published_path(p, run), "rows": p.rows, "bytes": p.bytes}
                for p in mine
            ],
        }

    return datasets


async def _delete_run(store: LakeStore, run: RunRef) -> None:
    await store.delete_tree(layout.staging_root(run.run_id))
    for dataset in DATASETS:
        await store.delete_tree(layout.run_folder(dataset, run))


async def compensate_run(
    store: LakeStore,
    run: RunRef,
    reason: str,
    summary: Mapping[str, Any] | None = None,
    *,
    clock: Callable[[], datetime] = _now,
) -> Manifest:
    """Delete everything of the run and record it as failed (idempotent).

    A run that is already published is left alone and its manifest returned.
    A run already compensated is cleaned again and its manifest returned.
    """
    existing = await read_manifest(store, run.run_id)
    if existing is not None and existing.status == "succeeded":
        return existing
    manifest = existing
    if manifest is None:
        failed = _new_manifest(
            run,
            "failed",
            summary or {},
            datasets={},
            timings={},
            reason=reason,
            clock=clock,
        )
        manifest = await _claim(store, failed)
        if manifest.status == "succeeded":
            return manifest
    for _ in range(2):
        await _delete_run(store, run)
    logger.info(
        "run compensated",
        extra={"run_id": run.run_id, "status": manifest.status},
    )

    return manifest
