"""Fetching one shard of the plan: every detail URL, streamed to a sink.

:func:`fetch_shard` opens one :class:`~centreon.client.CentreonClient` for the
shard and runs a few more workers than the shard's concurrency share
(:func:`worker_count`); each worker takes the next URL, so the number of
pending requests never depends on the shard's size, and the client's AIMD
limiter keeps the requests in flight at or below the share. The spare workers
are there for retries: a worker waiting out a retry's backoff holds no request
slot, and a spare takes the slot up, so one failing URL does not leave the
share's capacity idle. Records go to the sink in batches of ``batch_size``, one
write at a time; while a write is under way the workers stop once the next
batch is full, so memory holds about two batches, not the shard.

A 404 on a planned resource means it vanished after discovery: it is counted
and reported, not an error. Any other classified failure (a refused login, a
refused token, a malformed body, a terminal status, an exhausted retry
budget) stops the shard at once: in-flight requests are cancelled, buffered
records are dropped (records already written stay in the sink; the run is
compensated as a whole), and the outcome says ``failed`` with a token-free
reason. Only bugs and sink failures raise.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random as _random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from centreon.client import CentreonClient
from centreon.errors import CentreonError, HTTPStatusError, MalformedResponseError
from centreon.plan import PlannedUrl, Shard
from centreon.retry import RetryBudget, RetryPolicy
from centreon.settings import CentreonSettings

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Dataset",
    "FetchedRecord",
    "RecordSink",
    "ShardOutcome",
    "fetch_shard",
    "worker_count",
]

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
VANISHED_SAMPLE = 20

Dataset = Literal["hosts", "services"]


@dataclass(frozen=True, slots=True)
class FetchedRecord:
    """One detail response, untouched, and when it arrived."""

    dataset: Dataset
    payload: dict[str, Any]
    fetched_at: datetime


class RecordSink(Protocol):
    """Where fetched records go (the lake's shard writer)."""

    async def write(self, records: Sequence[FetchedRecord]) -> None:
        """Take one batch; called once at a time, never concurrently."""


@dataclass(frozen=True, slots=True)
class ShardOutcome:
    """What fetching one shard did, small and JSON-safe via :meth:`to_dict`.

    ``ok + vanished + failed + skipped == planned``: ``skipped`` URLs were not
    fetched because the shard stopped. ``requests`` counts HTTP exchanges
    (logins and retries included), ``refused`` the 429 and 503 answers, and
    ``max_in_flight`` the most requests this shard ever had in flight and
    ``limit_decreases`` how often the AIMD limiter lowered its limit.
    """

    shard: int
    status: Literal["succeeded", "failed"]
    planned: int
    ok: int
    vanished: int
    failed: int
    skipped: int
    requests: int
    retries: int
    logins: int
    refused: int
    timeouts: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    duration_s: float
    concurrency: int
    max_in_flight: int
    limit_decreases: int
    vanished_uuids: tuple[str, ...] = ()
    error: str | None = None

    @classmethod
    def of(
        cls,
        client: CentreonClient,
        *,
        shard: int,
        concurrency: int,
        planned: int,
        ok: int,
        failed: int,
        skipped: int,
        error: CentreonError | None,
        duration_s: float,
        vanished: int = 0,
        vanished_uuids: Sequence[str] = (),
    ) -> ShardOutcome:
        """The outcome of a shard fetched through ``client``.

        The counts are the caller's; the request figures come from the
        client's statistics and limiter.
        """
        stats = client.stats

        return cls(
            shard=shard,
            status="failed" if error else "succeeded",
            planned=planned,
            ok=ok,
            vanished=vanished,
            failed=failed,
            skipped=skipped,
            requests=stats.requests,
            retries=stats.retries,
            logins=client.logins,
            refused=stats.refused,
            timeouts=stats.timeouts,
            latency_p50_ms=stats.latency.percentile_ms(0.50),
            latency_p95_ms=stats.latency.percentile_ms(0.95),
            duration_s=round(duration_s, 3),
            concurrency=concurrency,
            max_in_flight=client.limiter.max_in_flight,
            limit_decreases=client.limiter.decreases,
            vanished_uuids=tuple(vanished_uuids),
            error=f"{type(error).__name__}: {error}" if error else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-safe."""
        data = asdict(self)
        data["vanished_uuids"] = list(self.vanished_uuids)

        return data


def worker_count(share: int, urls: int) -> int:
    """Workers for a shard: its share plus a quarter more (one at least).

    Never more workers than URLs; the limiter, not the worker count, caps the
    requests in flight at the share.
    """
    return max(1, min(urls, share + max(1, math.ceil(share / 4))))


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _is_vanished(exc: HTTPStatusError) -> bool:
    # A 404 for a route (a wrong API base) must not pass for a vanished resource.
    return exc.status == 404 and not (exc.detail or "").startswith("No route found")


class _ShardFetch:
    """The mutable state of one shard fetch, shared by its workers."""

    def __init__(
        self,
        client: CentreonClient,
        shard: Shard,
        sink: RecordSink,
        batch_size: int,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.sink = sink
        self.batch_size = batch_size
        self.now = now
        self.pending = iter(shard.urls)
        self.buffer: list[FetchedRecord] = []
        self.write_lock = asyncio.Lock()
        self.ok = 0
        self.vanished = 0
        self.vanished_uuids: list[str] = []

    async def work(self) -> None:
        get_json = self.client.get_json
        for url in self.pending:
            try:
                payload = await get_json(url.path)
            except HTTPStatusError as exc:
                if not _is_vanished(exc):
                    raise
                self._vanish(url)
                continue
            if not isinstance(payload, dict) or payload.get("uuid") != url.uuid:
                raise MalformedResponseError(
                    f"HTTP 200 detail that is not the {url.type} {url.uuid}",
                    url=self.client.redact(url.path),
                )
            self.ok += 1
            dataset: Dataset = "hosts" if url.type == "host" else "services"
            self.buffer.append(FetchedRecord(dataset, payload, self.now()))
            if len(self.buffer) >= self.batch_size:
                await self.write_full_batches()

    def _vanish(self, url: PlannedUrl) -> None:
        self.vanished += 1
        if len(self.vanished_uuids) < VANISHED_SAMPLE:
            self.vanished_uuids.append(url.uuid)
        logger.debug(
            "resource vanished",
            extra={"url": self.client.redact(url.path), "status": 404},
        )

    async def write_full_batches(self) -> None:
        # Workers that fill the buffer while a write is under way wait here
        # instead of fetching on, so the buffer holds at most one batch plus
        # one record per worker beside the batch being written.
        async with self.write_lock:
            size = self.batch_size
            while len(self.buffer) >= size:
                batch = self.buffer[:size]
                del self.buffer[:size]
                await self.sink.write(batch)

    async def flush(self) -> None:
        async with self.write_lock:
            if self.buffer:
                batch, self.buffer = self.buffer, []
                await self.sink.write(batch)

    async def run(self, workers: int) -> list[CentreonError]:
        """Run the workers; return the classified failures that stopped them."""
        tasks = [asyncio.create_task(self.work()) for _ in range(workers)]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        errors = [
            task.exception()
            for task in tasks
            if not task.cancelled() and task.exception()
        ]
        failures = [exc for exc in errors if isinstance(exc, CentreonError)]
        for exc in errors:
            if not isinstance(exc, CentreonError) and exc is not None:
                raise exc
        if not failures:
            await self.flush()

        return failures


async def fetch_shard(
    settings: CentreonSettings,
    shard: Shard,
    sink: RecordSink,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utc_now,
    random: Callable[[], float] = _random.random,
    policy: RetryPolicy | None = None,
    budget: RetryBudget | None = None,
) -> ShardOutcome:
    """Fetch every URL of ``shard`` into ``sink``; return how it went.

    Classified Centreon failures are returned as a ``failed`` outcome, not
    raised. ``sleep``, ``clock``, ``now`` (``fetched_at`` stamps) and
    ``random`` (retry jitter) are injectable; ``policy`` and ``budget``
    override the retry defaults.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    started = clock()
    client = CentreonClient(
        settings,
        concurrency=shard.concurrency,
        policy=policy,
        budget=budget,
        sleep=sleep,
        clock=clock,
        random=random,
    )
    state = _ShardFetch(client, shard, sink, batch_size, now)
    failures: list[CentreonError] = []
    error: CentreonError | None = None
    try:
        async with client:
            failures = await state.run(worker_count(shard.concurrency, len(shard.urls)))
    except CentreonError as exc:
        error = exc
    if failures:
        error = failures[0]

    return _outcome(shard, state, client, error, len(failures), clock() - started)


def _outcome(
    shard: Shard,
    state: _ShardFetch,
    client: CentreonClient,
    error: CentreonError | None,
    failed: int,
    duration_s: float,
) -> ShardOutcome:
    planned = len(shard.urls)
    outcome = ShardOutcome.of(
        client,
        shard=shard.index,
        concurrency=shard.concurrency,
        planned=planned,
        ok=state.ok,
        vanished=state.vanished,
        failed=failed,
        skipped=planned - state.ok - state.vanished - failed,
        error=error,
        duration_s=duration_s,
        vanished_uuids=state.vanished_uuids,
    )
    extra = {
        "shard": shard.index,
        "rows": outcome.ok,
        "vanished": outcome.vanished,
        "requests": outcome.requests,
        "retries": outcome.retries,
        "refused": outcome.refused,
        "max_in_flight": outcome.max_in_flight,
        "limit_decreases": outcome.limit_decreases,
        "latency_p50_ms": outcome.latency_p50_ms,
        "duration_ms": round(duration_s * 1000.0),
    }
    if error:
        logger.error("shard failed", extra={**extra, "error": outcome.error})
    else:
        logger.info("shard fetched", extra=extra)

    return outcome
