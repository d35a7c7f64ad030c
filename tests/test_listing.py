"""Listing mode: page planning, shard payloads, and fetching pages."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import given
from hypothesis import strategies as st

from centreon.client import CentreonClient
from centreon.discovery import ResourceType
from centreon.errors import LakeError
from centreon.fetch import FetchedRecord, ShardOutcome
from centreon.listing import (
    ListingPlan,
    ListingShard,
    PageRange,
    fetch_listing_shard,
    plan_listing,
    split_pages,
)
from centreon.retry import RetryBudget
from centreon.settings import CentreonSettings
from centreon.simulator import FaultConfig, Simulator
from tests.simulator_fixtures import SimulatorFactory

totals = st.fixed_dictionaries(
    {"host": st.integers(0, 50_000), "service": st.integers(0, 250_000)}
)
page_sizes = st.integers(50, 5000)
budgets = st.integers(1, 64)
shard_limits = st.integers(1, 64)


def _pages(shards: tuple[ListingShard, ...]) -> list[tuple[str, int]]:
    return [(r.kind, n) for s in shards for r in s.ranges for n in r.pages()]


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_covers_every_page_once(
    total: dict[ResourceType, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Every page of both kinds is in exactly one shard, in crawl order."""
    shards = split_pages(
        total,
        page_size=page_size,
        max_concurrency=budget,
        max_shards=max_shards,
        min_pages_per_shard=1,
    )

    expected = [
        (kind, n)
        for kind in ("host", "service")
        for n in range(1, max(1, math.ceil(total[kind] / page_size)) + 1)
    ]
    assert _pages(shards) == expected


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_keeps_shares_within_budget(
    total: dict[ResourceType, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Shares are at least one each and add up to at most the budget."""
    shards = split_pages(
        total,
        page_size=page_size,
        max_concurrency=budget,
        max_shards=max_shards,
        min_pages_per_shard=1,
    )

    assert len(shards) <= max_shards
    assert all(s.concurrency >= 1 for s in shards)
    assert sum(s.concurrency for s in shards) <= budget


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_plans_every_announced_item(
    total: dict[ResourceType, int], page_size: int, budget: int, max_shards: int
) -> None:
    """The planned item counts add up to the announced totals."""
    shards = split_pages(
        total,
        page_size=page_size,
        max_concurrency=budget,
        max_shards=max_shards,
        min_pages_per_shard=1,
    )

    assert sum(s.planned for s in shards) == total["host"] + total["service"]


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_balances_pages(
    total: dict[ResourceType, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Shards differ by at most one page."""
    shards = split_pages(
        total,
        page_size=page_size,
        max_concurrency=budget,
        max_shards=max_shards,
        min_pages_per_shard=1,
    )

    counts = [s.page_count for s in shards]
    assert max(counts) - min(counts) <= 1


def test_split_pages_gives_each_shard_its_minimum_of_pages() -> None:
    """Two hundred pages at a minimum of a hundred make two shards, not sixteen."""
    shards = split_pages(
        {"host": 20_000, "service": 180_000},
        page_size=1000,
        max_concurrency=30,
        max_shards=16,
        min_pages_per_shard=100,
    )

    assert [s.page_count for s in shards] == [100, 100]


def test_split_pages_marks_the_last_page_of_each_kind_as_tail() -> None:
    """Only the ranges ending a kind's listing follow a grown total."""
    shards = split_pages(
        {"host": 2500, "service": 9000},
        page_size=1000,
        max_concurrency=8,
        max_shards=4,
        min_pages_per_shard=1,
    )

    tails = [(r.kind, r.last) for s in shards for r in s.ranges if r.tail]
    assert tails == [("host", 3), ("service", 9)]


def test_listing_plan_round_trips_through_its_dict() -> None:
    """A plan rebuilt from its JSON-safe form equals the original."""
    shards = split_pages(
        {"host": 1200, "service": 10_800},
        page_size=500,
        max_concurrency=12,
        max_shards=5,
        min_pages_per_shard=1,
    )
    plan = ListingPlan(1200, 10_800, 500, shards)

    assert ListingPlan.from_dict(plan.to_dict()) == plan


def test_listing_plan_activity_shards_carry_each_shard_whole() -> None:
    """Each plan_run shard entry rebuilds, from its listing key, the shard itself."""
    shards = split_pages(
        {"host": 300, "service": 2700},
        page_size=100,
        max_concurrency=6,
        max_shards=3,
        min_pages_per_shard=1,
    )
    plan = ListingPlan(300, 2700, 100, shards)

    entries = plan.activity_shards()

    assert [ListingShard.from_dict(e["listing"]) for e in entries] == list(shards)
    assert [(e["index"], e["concurrency"]) for e in entries] == [
        (s.index, s.concurrency) for s in shards
    ]


def test_page_range_lists_its_pages_inclusively() -> None:
    """A range from 3 to 5 holds pages 3, 4 and 5."""
    assert list(PageRange("service", 3, 5).pages()) == [3, 4, 5]


class RecordingSink:
    """Keeps every record written, and checks writes never overlap."""

    def __init__(self) -> None:
        self.records: list[FetchedRecord] = []
        self.writing = False

    async def write(self, records: Sequence[FetchedRecord]) -> None:
        assert not self.writing
        self.writing = True
        await asyncio.sleep(0)
        self.records.extend(records)
        self.writing = False


class Recorder:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def _settings(sim: Simulator, **overrides: Any) -> CentreonSettings:
    options: dict[str, Any] = {"username": "admin", "password": "centreon"}
    return CentreonSettings(url=sim.api_url, **(options | overrides))


async def _ingest(
    sim: Simulator, *, page_size: int, share: int, max_shards: int, **options: Any
) -> tuple[ListingPlan, list[ShardOutcome], RecordingSink]:
    settings = _settings(sim, max_concurrency=share, page_size=page_size)
    async with CentreonClient(settings) as client:
        plan = await plan_listing(
            client,
            page_size=page_size,
            max_concurrency=share,
            max_shards=max_shards,
            min_pages_per_shard=2,
        )
    sink = RecordingSink()
    outcomes = [
        await fetch_listing_shard(
            settings, shard, sink, batch_size=7, sleep=Recorder(), **options
        )
        for shard in plan.shards
    ]
    return plan, outcomes, sink


async def test_plan_listing_takes_totals_from_the_server(
    simulator: SimulatorFactory,
) -> None:
    """The plan announces as many hosts and services as the fleet has."""
    async with (
        simulator(hosts=12, services_per_host=5) as sim,
        CentreonClient(_settings(sim)) as client,
    ):
        plan = await plan_listing(client, page_size=10, max_concurrency=4, max_shards=4)

    assert (plan.host_total, plan.service_total) == (12, 60)
    assert sum(s.planned for s in plan.shards) == 72


async def test_fetch_listing_shard_writes_every_resource_once(
    simulator: SimulatorFactory,
) -> None:
    """Across all shards, each host and service arrives exactly once, untouched."""
    async with simulator(hosts=12, services_per_host=5) as sim:
        _, outcomes, sink = await _ingest(sim, page_size=5, share=3, max_shards=3)
        uuids = {r.uuid for r in sim.fleet.resources}

    written = [r.payload["uuid"] for r in sink.records]
    assert sorted(written) == sorted(uuids)
    assert all(o.status == "succeeded" for o in outcomes)
    assert sum(o.ok for o in outcomes) == len(uuids)


async def test_fetch_listing_shard_names_datasets_by_resource_type(
    simulator: SimulatorFactory,
) -> None:
    """Host items become hosts records and service items services records."""
    async with simulator(hosts=4, services_per_host=3) as sim:
        _, _, sink = await _ingest(sim, page_size=5, share=2, max_shards=2)

    kinds = {(r.dataset, r.payload["type"]) for r in sink.records}
    assert kinds == {("hosts", "host"), ("services", "service")}


async def test_fetch_listing_shard_is_exact_while_statuses_churn(
    simulator: SimulatorFactory,
) -> None:
    """The stable sort keeps every resource once while statuses change per page."""
    faults = FaultConfig(churn_rate=0.5)
    async with simulator(hosts=12, services_per_host=5, faults=faults) as sim:
        _, _, sink = await _ingest(sim, page_size=4, share=4, max_shards=4)
        uuids = {r.uuid for r in sim.fleet.resources}

    written = [r.payload["uuid"] for r in sink.records]
    assert len(written) == len(set(written)) == len(uuids)


async def test_fetch_listing_shard_retries_transient_faults(
    simulator: SimulatorFactory,
) -> None:
    """500s, 502 pages and resets are retried, and nothing is lost."""
    faults = FaultConfig(error_rate=0.1, html_502_rate=0.1, reset_rate=0.1)
    generous = RetryBudget(ratio=1.0)
    async with simulator(hosts=12, services_per_host=5, faults=faults) as sim:
        _, outcomes, sink = await _ingest(
            sim, page_size=3, share=2, max_shards=1, budget=generous
        )

    assert len(sink.records) == 72
    assert sum(o.retries for o in outcomes) > 0


async def test_fetch_listing_shard_returns_failure_when_login_is_refused(
    simulator: SimulatorFactory,
) -> None:
    """A refused sign-in is a failed outcome with its reason, not an exception."""
    shard = split_pages(
        {"host": 3, "service": 9}, page_size=5, max_concurrency=2, max_shards=1
    )[0]
    async with simulator(hosts=3, services_per_host=3) as sim:
        settings = _settings(sim, password="wrong")
        outcome = await fetch_listing_shard(settings, shard, RecordingSink())

    assert outcome.status == "failed"
    assert outcome.error is not None
    assert "LoginError" in outcome.error
    assert "wrong" not in outcome.error


async def test_fetch_listing_shard_keeps_in_flight_within_its_share(
    simulator: SimulatorFactory,
) -> None:
    """The server never holds more of the shard's pages than its share."""
    shard = split_pages(
        {"host": 12, "service": 60}, page_size=2, max_concurrency=3, max_shards=1
    )[0]
    async with simulator(hosts=12, services_per_host=5, latency_ms=5.0) as sim:
        outcome = await fetch_listing_shard(_settings(sim), shard, RecordingSink())
        peak = sim.counters.max_in_flight

    assert outcome.status == "succeeded"
    assert peak <= 3


def _shifting_centreon(
    hosts: list[int], inserted: int, *, nameless: frozenset[int] = frozenset()
) -> web.Application:
    """A Centreon whose host listing gains ``inserted`` after its first page.

    Hosts in ``nameless`` are listed without a ``uuid``.
    """
    served: list[int] = []

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"contact": {"id": 1}, "security": {"token": "t"}})

    async def logout(request: web.Request) -> web.Response:
        return web.json_response({"message": "Successful logout"})

    async def resources(request: web.Request) -> web.Response:
        page, limit = int(request.query["page"]), int(request.query["limit"])
        fleet = sorted([*hosts, inserted]) if served else hosts
        if request.query["types"] != '["host"]':
            fleet = []
        served.append(page)
        chunk = fleet[(page - 1) * limit : page * limit]
        items: list[dict[str, Any]] = [
            {"uuid": f"h{i}", "id": i, "type": "host"} for i in chunk
        ]
        for item in items:
            if item["id"] in nameless:
                del item["uuid"]
        meta = {"page": page, "limit": limit, "search": {}, "sort_by": {}}
        total = {"total": len(fleet)}
        return web.json_response({"result": items, "meta": meta | total})

    app = web.Application()
    app.router.add_post("/centreon/api/latest/login", login)
    app.router.add_get("/centreon/api/latest/logout", logout)
    app.router.add_get("/centreon/api/latest/monitoring/resources", resources)
    return app


async def _fetch_ten_hosts(server: TestServer, sink: RecordingSink) -> ShardOutcome:
    """Fetch ten hosts from ``server`` in one shard of two pages of five."""
    settings = CentreonSettings(
        url=str(server.make_url("/centreon/api/latest")),
        username="admin",
        password="centreon",
    )
    shard = split_pages({"host": 10}, page_size=5, max_concurrency=1, max_shards=1)[0]

    return await fetch_listing_shard(settings, shard, sink)


async def test_fetch_listing_shard_drops_an_item_shifted_onto_the_next_page(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    """A host created mid-crawl pushes host 5 onto page 2; it is written once."""
    server = await aiohttp_server(_shifting_centreon(list(range(1, 11)), inserted=0))
    sink = RecordingSink()

    outcome = await _fetch_ten_hosts(server, sink)

    written = [r.payload["uuid"] for r in sink.records]
    assert sorted(written) == sorted(f"h{i}" for i in range(1, 11))
    assert outcome.status == "succeeded"


async def test_fetch_listing_shard_keeps_items_without_a_uuid(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    """An item listed without a uuid cannot be deduplicated, so it is written."""
    app = _shifting_centreon(list(range(1, 11)), inserted=0, nameless=frozenset({3}))
    server = await aiohttp_server(app)
    sink = RecordingSink()

    outcome = await _fetch_ten_hosts(server, sink)

    ids = sorted(r.payload["id"] for r in sink.records)
    assert ids == list(range(1, 11))
    assert [r.payload for r in sink.records if "uuid" not in r.payload] == [
        {"id": 3, "type": "host"}
    ]
    assert outcome.ok == 10


class FailingSink:
    """A sink whose lake refuses every write."""

    async def write(self, records: Sequence[FetchedRecord]) -> None:
        raise LakeError("the lake refused the write", path="_staging/r1/hosts")


async def test_fetch_listing_shard_raises_when_the_sink_fails(
    simulator: SimulatorFactory,
) -> None:
    """A failing sink is not a Centreon failure: its error propagates."""
    shard = split_pages(
        {"host": 4, "service": 12}, page_size=5, max_concurrency=2, max_shards=1
    )[0]
    async with simulator(hosts=4, services_per_host=3) as sim:
        with pytest.raises(LakeError):
            await fetch_listing_shard(_settings(sim), shard, FailingSink())
