"""Listing mode: a status snapshot from ``/monitoring/resources`` pages alone.

For users who need each resource's state rather than every detail field,
listing mode (``INGEST_MODE=listing``) skips the per-resource detail calls.
:func:`plan_listing` asks Centreon how many hosts and services there are
(``limit=0``, one cheap request each), deals the pages of the stable crawl
order (hosts by ``id``, services by ``parent_id`` then ``id``) into shards,
and gives each shard its share of the concurrency budget.
:func:`fetch_listing_shard` fetches one shard's pages concurrently within its
share, streams the items to the sink as ``hosts`` and ``services`` records,
and returns the same :class:`~centreon.fetch.ShardOutcome` as detail mode, so
the orchestration and the publish protocol do not change.

The plan and its shards are small JSON-safe values (page ranges, never
items), made to travel as activity inputs. Offset pages are only as stable
as the fleet: a resource created while the crawl runs pushes the later items
one place on, so an item at a page boundary is served twice (the shard keeps
the first copy it gets), and one deleted pulls them back, so an item at a
boundary is missed for that run. The shard holding the last page of a kind
also fetches the pages that appear when ``meta.total`` grew since planning.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random as _random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from centreon.client import CentreonClient
from centreon.discovery import (
    ListingPage,
    ResourceType,
    fetch_listing_page,
    plan_listing_pages,
)
from centreon.errors import CentreonError
from centreon.fetch import (
    DEFAULT_BATCH_SIZE,
    Dataset,
    FetchedRecord,
    RecordSink,
    ShardOutcome,
)
from centreon.retry import RetryBudget, RetryPolicy
from centreon.settings import CentreonSettings

__all__ = [
    "ListingPlan",
    "ListingShard",
    "PageRange",
    "fetch_listing_shard",
    "plan_listing",
    "split_pages",
]

logger = logging.getLogger(__name__)

KINDS: tuple[ResourceType, ...] = ("host", "service")

MIN_PAGES_PER_SHARD = 250
"""Fewer, larger shards: each shard costs a sign-in, files of its own and, in the
local runner's one process, its writer's row-group buffers (up to about 48 MB
per dataset) and its decoded pages. Listing pages are few and cheap for the
server, so a shard gains little from splitting: at 200,000 resources, two shards
peaked at about 380 MB of resident memory and one at about 300 MB."""

DEFAULT_ITEMS_IN_MEMORY = 4000
"""Listing items a shard may have in flight (about 13 KB each once decoded as
Python objects): a shard runs this divided by the page size fetchers, plus one
page queued for its writer, so memory does not grow with the budget. Doubling it
raised the peak at 200,000 resources by about 50 MB."""
_DATASETS: dict[ResourceType, Dataset] = {"host": "hosts", "service": "services"}


EDGE_ITEMS = 64
"""Items at each end of a page checked against the neighbouring page: more
resources than this created during one crawl can still duplicate an item."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _edge(uuids: Sequence[str]) -> str:
    return "\n" + "\n".join(uuids) + "\n"


@dataclass(frozen=True, slots=True)
class PageRange:
    """Pages ``first`` to ``last`` (inclusive) of one kind's stable listing.

    ``tail`` marks the range that ends the kind's listing: its shard also
    fetches the pages that appear when ``meta.total`` grew since planning.
    """

    kind: ResourceType
    first: int
    last: int
    tail: bool = False

    def pages(self) -> range:
        """The page numbers of this range."""
        return range(self.first, self.last + 1)


@dataclass(frozen=True, slots=True)
class ListingShard:
    """Some pages of the listing, fetched by one activity within ``concurrency``."""

    index: int
    concurrency: int
    page_size: int
    ranges: tuple[PageRange, ...]
    planned: int

    @property
    def page_count(self) -> int:
        """Planned pages in this shard."""
        return sum(len(r.pages()) for r in self.ranges)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, for an activity's input."""
        return {
            "index": self.index,
            "concurrency": self.concurrency,
            "page_size": self.page_size,
            "planned": self.planned,
            "ranges": [[r.kind, r.first, r.last, r.tail] for r in self.ranges],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ListingShard:
        """The shard :meth:`to_dict` described."""
        ranges = []
        for kind, first, last, tail in data["ranges"]:
            if kind not in KINDS:
                raise ValueError(f"unknown resource type in listing shard: {kind!r}")
            ranges.append(PageRange(kind, int(first), int(last), bool(tail)))

        return cls(
            index=int(data["index"]),
            concurrency=int(data["concurrency"]),
            page_size=int(data["page_size"]),
            ranges=tuple(ranges),
            planned=int(data["planned"]),
        )


@dataclass(frozen=True, slots=True)
class ListingPlan:
    """A listing-mode run: the announced totals and the shards of pages."""

    host_total: int
    service_total: int
    page_size: int
    shards: tuple[ListingShard, ...]

    @property
    def size(self) -> int:
        """Resources announced by Centreon when the run was planned."""
        return self.host_total + self.service_total

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: totals and every shard."""
        return {
            "host_total": self.host_total,
            "service_total": self.service_total,
            "page_size": self.page_size,
            "shards": [s.to_dict() for s in self.shards],
        }

    def activity_shards(self) -> list[dict[str, Any]]:
        """The ``shards`` of a ``plan_run`` result: index, share, and the pages.

        The orchestrator forwards each entry's ``listing`` to its
        ``fetch_shard`` input, where :meth:`ListingShard.from_dict` rebuilds it.
        """
        return [
            {
                "index": s.index,
                "concurrency": s.concurrency,
                "resources": s.planned,
                "listing": s.to_dict(),
            }
            for s in self.shards
        ]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ListingPlan:
        """The plan :meth:`to_dict` described."""
        return cls(
            host_total=int(data["host_total"]),
            service_total=int(data["service_total"]),
            page_size=int(data["page_size"]),
            shards=tuple(ListingShard.from_dict(s) for s in data["shards"]),
        )


def _runs(pages: Sequence[tuple[ResourceType, int, bool]]) -> tuple[PageRange, ...]:
    ranges: list[PageRange] = []
    for kind, page, tail in pages:
        last = ranges[-1] if ranges else None
        if last is not None and last.kind == kind and last.last == page - 1:
            ranges[-1] = PageRange(kind, last.first, page, tail)
        else:
            ranges.append(PageRange(kind, page, page, tail))

    return tuple(ranges)


def _items_on(kind_total: int, page: int, page_size: int) -> int:
    return max(0, min(page_size, kind_total - (page - 1) * page_size))


def split_pages(
    totals: Mapping[ResourceType, int],
    *,
    page_size: int,
    max_concurrency: int,
    max_shards: int,
    min_pages_per_shard: int = MIN_PAGES_PER_SHARD,
) -> tuple[ListingShard, ...]:
    """Deal the pages holding ``totals`` into contiguous, balanced shards.

    Deterministic: the same totals and limits give the same shards. There are
    at most ``max_shards`` shards and never more than the budget allows one
    request each; their concurrency shares add up to at most
    ``max_concurrency``. A shard gets at least ``min_pages_per_shard`` pages
    unless there are fewer. A kind with no resources still gets its
    first page, so a fleet that grew since planning is not missed.
    """
    if page_size < 1 or max_concurrency < 1 or max_shards < 1:
        raise ValueError("page_size, max_concurrency and max_shards must be >= 1")
    pages: list[tuple[ResourceType, int, bool]] = []
    for kind in KINDS:
        numbers = plan_listing_pages(totals.get(kind, 0), page_size)
        pages += [(kind, n, n == numbers[-1]) for n in numbers]
    wanted = math.ceil(len(pages) / max(1, min_pages_per_shard))
    count = max(1, min(max_shards, max_concurrency, wanted))
    base, extra = divmod(len(pages), count)
    share, spare = divmod(max_concurrency, count)

    shards = []
    start = 0
    for index in range(count):
        size = base + (1 if index < extra else 0)
        chunk = pages[start : start + size]
        start += size
        planned = sum(_items_on(totals.get(k, 0), n, page_size) for k, n, _ in chunk)
        shards.append(
            ListingShard(
                index=index,
                concurrency=share + (1 if index < spare else 0),
                page_size=page_size,
                ranges=_runs(chunk),
                planned=planned,
            )
        )

    return tuple(shards)


async def plan_listing(
    client: CentreonClient,
    *,
    page_size: int,
    max_concurrency: int,
    max_shards: int,
    min_pages_per_shard: int = MIN_PAGES_PER_SHARD,
) -> ListingPlan:
    """Ask Centreon for its totals (``limit=0``) and split the listing into shards."""
    host_page, service_page = await asyncio.gather(
        fetch_listing_page(client, "host", 1, 0),
        fetch_listing_page(client, "service", 1, 0),
    )
    totals: dict[ResourceType, int] = {
        "host": host_page.total,
        "service": service_page.total,
    }
    shards = split_pages(
        totals,
        page_size=page_size,
        max_concurrency=max_concurrency,
        max_shards=max_shards,
        min_pages_per_shard=min_pages_per_shard,
    )
    logger.info(
        "listing planned",
        extra={"rows": host_page.total + service_page.total, "shards": len(shards)},
    )

    return ListingPlan(host_page.total, service_page.total, page_size, tuple(shards))


class _ShardListing:
    """The mutable state of one listing shard, shared by its workers."""

    def __init__(
        self,
        client: CentreonClient,
        shard: ListingShard,
        sink: RecordSink,
        batch_size: int,
        now: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.shard = shard
        self.sink = sink
        self.batch_size = batch_size
        self.now = now
        self.pending: Iterator[tuple[ResourceType, int]] = self._planned_pages()
        self.extra: list[tuple[ResourceType, int]] = []
        backlog = max(1, math.ceil(shard.page_size / batch_size))
        self.queue: asyncio.Queue[list[FetchedRecord] | None] = asyncio.Queue(backlog)
        self.fetching = 0
        self.edges: dict[tuple[ResourceType, int], tuple[str, str]] = {}
        self.ok = 0
        self.duplicates = 0
        self.pages = 0

    def _planned_pages(self) -> Iterator[tuple[ResourceType, int]]:
        for page_range in self.shard.ranges:
            for page in page_range.pages():
                yield page_range.kind, page

    def _next_page(self) -> tuple[ResourceType, int] | None:
        page = next(self.pending, None)
        if page is None and self.extra:
            page = self.extra.pop(0)

        return page

    def _follow_growth(self, kind: ResourceType, listing: ListingPage) -> None:
        tail = next((r for r in self.shard.ranges if r.kind == kind and r.tail), None)
        if tail is None or listing.page != tail.last:
            return
        grown = plan_listing_pages(listing.total, self.shard.page_size)
        beyond = [(kind, n) for n in grown if n > tail.last]
        if beyond:
            logger.warning(
                "listing grew since planning",
                extra={"shard": self.shard.index, "rows": listing.total},
            )
            self.extra += beyond

    async def work(self) -> None:
        """Fetch pages until none is left; the last fetcher to stop ends the queue."""
        while (page := self._next_page()) is not None:
            kind, number = page
            listing = await fetch_listing_page(
                self.client, kind, number, self.shard.page_size
            )
            self.pages += 1
            self._follow_growth(kind, listing)
            records = self._take(kind, number, listing.items)
            for start in range(0, len(records), self.batch_size):
                await self.queue.put(records[start : start + self.batch_size])
        self.fetching -= 1
        if self.fetching == 0:
            await self.queue.put(None)

    async def drain(self) -> None:
        """Write queued batches to the sink, one at a time, until the queue ends."""
        while (batch := await self.queue.get()) is not None:
            await self.sink.write(batch)
            self.ok += len(batch)

    def _take(
        self, kind: ResourceType, number: int, items: Sequence[Mapping[str, Any]]
    ) -> list[FetchedRecord]:
        """A page's items as records, minus those a neighbouring page already gave.

        Offsets shift when resources come or go during the crawl, so an item
        can appear at the end of one page and the start of the next. Only the
        first and last :data:`EDGE_ITEMS` uuids of each page are kept, joined
        in one string each (about 5 KB a page, 1 MB at 200,000 resources). An
        item without a uuid cannot be matched, so it is always kept.
        """
        uuids = [item.get("uuid") for item in items]
        before = self.edges.get((kind, number - 1), ("", ""))[1]
        after = self.edges.get((kind, number + 1), ("", ""))[0]
        last_edge = len(items) - EDGE_ITEMS
        fetched_at = self.now()
        dataset = _DATASETS[kind]
        records = []
        for index, (uuid, item) in enumerate(zip(uuids, items, strict=True)):
            key = f"\n{uuid}\n"
            if isinstance(uuid, str) and (
                (index < EDGE_ITEMS and key in before)
                or (index >= last_edge and key in after)
            ):
                self.duplicates += 1
                continue
            payload = item if isinstance(item, dict) else dict(item)
            records.append(FetchedRecord(dataset, payload, fetched_at))
        named = [u for u in uuids if isinstance(u, str)]
        self.edges[(kind, number)] = (
            _edge(named[:EDGE_ITEMS]),
            _edge(named[-EDGE_ITEMS:]),
        )

        return records

    async def run(self, workers: int) -> CentreonError | None:
        """Run the fetchers and the writer; return the failure that stopped them.

        Fetchers hand batches to one writer through a queue holding about one
        page, so fetching goes on while the sink converts and writes, and
        decoded items stay bounded by the fetchers plus that page.
        """
        self.fetching = workers
        tasks = [asyncio.create_task(self.work()) for _ in range(workers)]
        tasks.append(asyncio.create_task(self.drain()))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        errors = [t.exception() for t in tasks if not t.cancelled() and t.exception()]
        for exc in errors:
            if not isinstance(exc, CentreonError) and exc is not None:
                raise exc

        return next((e for e in errors if isinstance(e, CentreonError)), None)


async def fetch_listing_shard(
    settings: CentreonSettings,
    shard: ListingShard,
    sink: RecordSink,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = _utc_now,
    random: Callable[[], float] = _random.random,
    policy: RetryPolicy | None = None,
    budget: RetryBudget | None = None,
    max_items_in_memory: int = DEFAULT_ITEMS_IN_MEMORY,
) -> ShardOutcome:
    """Fetch every page of ``shard`` into ``sink``; return how it went.

    At most ``shard.concurrency`` pages are in flight, and fewer when their
    items would pass ``max_items_in_memory``. Items become ``hosts`` or
    ``services`` records, each item untouched and stamped with its page's
    arrival time; an item a neighbouring page of the shard already gave is
    skipped. ``ok`` counts records written and ``planned`` the items the plan
    expected.
    Classified Centreon failures are returned as a ``failed`` outcome, not
    raised; only bugs and sink failures raise.
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
    state = _ShardListing(client, shard, sink, batch_size, now)
    error: CentreonError | None = None
    try:
        async with client:
            by_memory = max(1, max_items_in_memory // shard.page_size)
            workers = max(1, min(shard.concurrency, shard.page_count, by_memory))
            error = await state.run(workers)
    except CentreonError as exc:
        error = exc

    return _outcome(shard, state, client, error, clock() - started)


def _outcome(
    shard: ListingShard,
    state: _ShardListing,
    client: CentreonClient,
    error: CentreonError | None,
    duration_s: float,
) -> ShardOutcome:
    outcome = ShardOutcome.of(
        client,
        shard=shard.index,
        concurrency=shard.concurrency,
        planned=shard.planned,
        ok=state.ok,
        failed=1 if error else 0,
        skipped=max(0, shard.planned - state.ok),
        error=error,
        duration_s=duration_s,
    )
    extra = {
        "shard": shard.index,
        "rows": outcome.ok,
        "pages": state.pages,
        "duplicates": state.duplicates,
        "requests": outcome.requests,
        "retries": outcome.retries,
        "duration_ms": round(duration_s * 1000.0),
    }
    if error:
        logger.error("listing shard failed", extra={**extra, "error": outcome.error})
    else:
        logger.info("listing shard fetched", extra=extra)

    return outcome
