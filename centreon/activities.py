"""The four activities of the ``ingest`` orchestration, as plain async functions.

Each takes the small JSON-safe dict the orchestrator sends and returns one, with
``status`` ``succeeded`` or ``failed``. A classified failure (Centreon refused
the login, the lake refused a write) is returned as ``failed`` with a one-line,
secret-free ``error``: retrying it would not help. Anything else raises, and the
orchestration's retry policy runs the activity again.

Each activity reads its settings from the environment unless the caller passes
them (the local runner does, after applying command-line flags); no setting and
no secret ever travels in the orchestration's inputs or outputs.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from centreon.client import CentreonClient
from centreon.discovery import discover
from centreon.errors import CentreonLakeError
from centreon.fetch import ShardOutcome
from centreon.fetch import fetch_shard as fetch_shard_urls
from centreon.lake import LakeStore, open_lake
from centreon.layout import RunRef, manifest_path
from centreon.listing import ListingShard, fetch_listing_shard, plan_listing
from centreon.orchestration import (
    COMPENSATE_RUN,
    FETCH_SHARD,
    PLAN_RUN,
    PUBLISH_RUN,
    RUN_DATASETS,
    SHARD_DATASETS,
    Activity,
)
from centreon.parquet import PartInfo, ShardWriter
from centreon.plan import Plan, plan_shards
from centreon.publish import compensate_run as compensate_staged_run
from centreon.publish import publish_run as publish_staged_run
from centreon.publish import read_shard, write_plan
from centreon.settings import Settings
from centreon.telemetry import ShardStatus, bind_log_fields, record_run, record_shard

__all__ = [
    "activities_for",
    "compensate_run",
    "fetch_shard",
    "plan_run",
    "publish_run",
]

logger = logging.getLogger(__name__)

_Activity = TypeVar("_Activity", bound=Callable[..., Awaitable[dict[str, Any]]])


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _failed(exc: CentreonLakeError) -> dict[str, Any]:
    return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}


def _client_counts(client: CentreonClient) -> dict[str, int]:
    """What the client's session cost Centreon, its sign-out included."""
    return {
        "requests": client.stats.requests,
        "retries": client.stats.retries,
        "logins": client.logins,
        "refused": client.stats.refused,
    }


def _per_dataset(parts: Iterable[PartInfo]) -> tuple[dict[str, int], dict[str, int]]:
    rows = dict.fromkeys(SHARD_DATASETS, 0)
    files = dict.fromkeys(SHARD_DATASETS, 0)
    for part in parts:
        rows[part.dataset] = rows.get(part.dataset, 0) + part.rows
        files[part.dataset] = files.get(part.dataset, 0) + 1

    return rows, files


def _run_fields(activity: _Activity) -> _Activity:
    """Bind the payload's ``run_id`` (and ``shard``) to everything ``activity`` logs."""

    @functools.wraps(activity)
    async def bound(payload: Mapping[str, Any], **options: Any) -> dict[str, Any]:
        fields = (
            {key: payload[key] for key in ("run_id", "shard") if key in payload}
            if isinstance(payload, Mapping)
            else {}
        )
        with bind_log_fields(**fields):
            return await activity(payload, **options)

    return cast(_Activity, bound)


@_run_fields
async def plan_run(
    payload: Mapping[str, Any], *, settings: Settings | None = None
) -> dict[str, Any]:
    """Plan the run: its shards, their concurrency shares, and the totals.

    The result also counts what planning cost Centreon (``requests``,
    ``retries``, ``logins``, ``refused``), so the run's totals include it.

    Discovers every host and service, shards their detail URLs and stages the
    plan as the ``urls`` dataset (not on a dry run). In listing mode, shards
    the pages of the resource listing instead (:mod:`centreon.listing`); each
    shard's pages travel in its ``listing`` entry and nothing is staged.
    """
    settings = settings or Settings.from_env()
    run = RunRef.from_dict(dict(payload))
    started = time.monotonic()
    try:
        if settings.ingest.mode == "listing":
            planned = await _plan_listing(settings)
        else:
            planned = await _plan_details(settings, run, bool(payload.get("dry_run")))
    except CentreonLakeError as exc:
        return _failed(exc)

    return {
        "status": "succeeded",
        **planned,
        "duration_s": round(time.monotonic() - started, 3),
    }


async def _plan_details(
    settings: Settings, run: RunRef, dry_run: bool
) -> dict[str, Any]:
    staging: asyncio.Task[PartInfo | None] | None = None
    try:
        async with CentreonClient(settings.centreon) as client:
            inventory = await discover(client)
            plan = plan_shards(
                inventory,
                max_concurrency=settings.centreon.max_concurrency,
                max_shards=settings.ingest.max_shards,
            )
            # Signing out is a round trip to Centreon: the plan is staged
            # meanwhile instead of after it.
            staging = asyncio.create_task(_stage_plan(settings, run, plan, dry_run))
        staged = await staging
    finally:
        if staging is not None and not staging.done():
            staging.cancel()
            await asyncio.gather(staging, return_exceptions=True)

    return {
        "shards": [
            {"index": s.index, "concurrency": s.concurrency, "urls": len(s.urls)}
            for s in plan.shards
        ],
        "totals": {
            "hosts": len(inventory.hosts),
            "services": len(inventory.services),
            "urls": plan.size,
            "host_total": inventory.host_total,
            "service_total": inventory.service_total,
        },
        "plan": {"rows": staged.rows if staged else 0, "files": 1 if staged else 0},
        **_client_counts(client),
    }


async def _stage_plan(
    settings: Settings, run: RunRef, plan: Plan, dry_run: bool
) -> PartInfo | None:
    """Write the plan as the ``urls`` dataset; nothing on a dry run."""
    if dry_run:
        return None
    async with open_lake(settings.lake) as store:
        return await write_plan(store, run, plan)


async def _plan_listing(settings: Settings) -> dict[str, Any]:
    """Listing mode: the totals and the shards of pages; no urls dataset."""
    async with CentreonClient(settings.centreon) as client:
        plan = await plan_listing(
            client,
            page_size=settings.centreon.page_size,
            max_concurrency=settings.centreon.max_concurrency,
            max_shards=settings.ingest.max_shards,
        )

    return {
        "shards": plan.activity_shards(),
        "totals": {
            "hosts": plan.host_total,
            "services": plan.service_total,
            "urls": 0,
            "host_total": plan.host_total,
            "service_total": plan.service_total,
        },
        "plan": {"rows": 0, "files": 0},
        **_client_counts(client),
    }


@_run_fields
async def fetch_shard(
    payload: Mapping[str, Any],
    *,
    settings: Settings | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> dict[str, Any]:
    """Fetch one planned shard into staged Parquet parts; return its outcome.

    The shard is read back from the staged plan (listing mode: rebuilt from
    ``payload["listing"]``). It stops by itself at
    ``payload["deadline_ts"]``, so a shard the orchestrator abandoned does not
    keep writing. A failed shard leaves what it staged for compensation.
    Every shard emits its metrics, tagged with how it ended (``succeeded``,
    ``failed`` or ``deadline``).
    """
    settings = settings or Settings.from_env()
    run = RunRef.from_dict(dict(payload))
    index = int(payload["shard"])
    deadline = datetime.fromisoformat(str(payload["deadline_ts"]))
    started = now()
    remaining = max(0.0, (deadline - started).total_seconds())
    status: ShardStatus
    try:
        async with open_lake(settings.lake) as store, asyncio.timeout(remaining):
            outcome, parts = await _fetch_into(store, run, index, payload, settings)
    except TimeoutError:
        logger.warning(
            "shard stopped at the deadline",
            extra={"run_id": run.run_id, "shard": index},
        )
        result = {"shard": index, "status": "failed", "error": "deadline passed"}
        status = "deadline"
    except CentreonLakeError as exc:
        result = {"shard": index, **_failed(exc)}
        status = "failed"
    else:
        rows, files = _per_dataset(parts)
        result = {**outcome.to_dict(), "rows": rows, "files": files}
        status = outcome.status
    elapsed = (now() - started).total_seconds()
    record_shard(result, status=status, duration_s=elapsed)

    return result


async def _fetch_into(
    store: LakeStore,
    run: RunRef,
    index: int,
    payload: Mapping[str, Any],
    settings: Settings,
) -> tuple[ShardOutcome, list[PartInfo]]:
    """Fetch the shard through a writer; keep its parts only if it succeeded."""
    mode = settings.ingest.mode
    async with ShardWriter(store, run, index, mode=mode) as writer:
        if mode == "listing":
            outcome = await fetch_listing_shard(
                settings.centreon,
                ListingShard.from_dict(payload["listing"]),
                writer,
                batch_size=settings.ingest.batch_size,
            )
        else:
            shard = await read_shard(store, run, index)
            outcome = await fetch_shard_urls(
                settings.centreon, shard, writer, batch_size=settings.ingest.batch_size
            )
        if outcome.status != "succeeded":
            await writer.abort()
            return outcome, []

        return outcome, await writer.close()


def _manifest_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Reshape the orchestrator's counts into what the run manifest records."""
    rest = {k: v for k, v in summary.items() if k not in ("totals", "durations_s")}

    return {
        **rest,
        "source_totals": dict(summary.get("totals", {})),
        "timings": dict(summary.get("durations_s", {})),
    }


@_run_fields
async def publish_run(
    payload: Mapping[str, Any], *, settings: Settings | None = None
) -> dict[str, Any]:
    """Publish the staged run (idempotent); return the manifest's datasets.

    A published run's metrics are recorded here; a run found already failed
    is left to the compensation that follows, so each run records once.
    """
    settings = settings or Settings.from_env()
    run = RunRef.from_dict(dict(payload))
    summary = dict(payload.get("summary", {}))
    try:
        async with open_lake(settings.lake) as store:
            manifest = await publish_staged_run(store, run, _manifest_summary(summary))
    except CentreonLakeError as exc:
        return _failed(exc)
    datasets = {
        name: {
            "rows": int(manifest.datasets.get(name, {}).get("rows", 0)),
            "files": len(manifest.datasets.get(name, {}).get("files", [])),
        }
        for name in RUN_DATASETS
    }
    if manifest.status != "succeeded":
        # Compensation follows and records the failed run.
        return {"status": "failed", "error": f"the run was already {manifest.status}"}
    record_run({**summary, "datasets": datasets}, "succeeded")

    return {
        "status": "succeeded",
        "manifest": manifest_path(run.run_id),
        "datasets": datasets,
    }


@_run_fields
async def compensate_run(
    payload: Mapping[str, Any], *, settings: Settings | None = None
) -> dict[str, Any]:
    """Delete everything the run wrote and record it as failed (idempotent)."""
    settings = settings or Settings.from_env()
    run = RunRef.from_dict(dict(payload))
    summary = dict(payload.get("summary", {}))
    reason = str(payload.get("reason") or "failed")
    try:
        async with open_lake(settings.lake) as store:
            await compensate_staged_run(store, run, reason, _manifest_summary(summary))
    except CentreonLakeError as exc:
        return _failed(exc)
    record_run(summary, "failed")

    return {"status": "succeeded", "manifest": manifest_path(run.run_id)}


def activities_for(settings: Settings) -> dict[str, Activity]:
    """The activities by Durable name, bound to ``settings`` (for the local runner)."""
    return {
        PLAN_RUN: functools.partial(plan_run, settings=settings),
        FETCH_SHARD: functools.partial(fetch_shard, settings=settings),
        PUBLISH_RUN: functools.partial(publish_run, settings=settings),
        COMPENSATE_RUN: functools.partial(compensate_run, settings=settings),
    }
