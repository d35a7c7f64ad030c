"""Discovery over real sockets: an exact crawl of the simulated fleet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from centreon.client import CentreonClient
from centreon.discovery import (
    RESOURCES_PATH,
    discover,
    discovery_page_size,
    fetch_listing_page,
    listing_params,
    plan_listing_pages,
)
from centreon.errors import MalformedResponseError
from centreon.settings import CentreonSettings
from centreon.simulator import FaultConfig, Host, Simulator
from tests.simulator_fixtures import SimulatorFactory

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


FLEET: dict[str, Any] = {"hosts": 60, "services_per_host": 5, "latency_ms": 1.0}
"""60 hosts with 5 services each."""


def settings_for(sim: Simulator, **overrides: Any) -> CentreonSettings:
    options: dict[str, Any] = {"username": "admin", "password": "centreon"} | overrides
    return CentreonSettings(url=sim.api_url, **options)


def expected(sim: Simulator) -> tuple[set[str], set[str]]:
    hosts = {r.uuid for r in sim.fleet.resources if isinstance(r, Host)}
    services = {r.uuid for r in sim.fleet.resources if not isinstance(r, Host)}
    return hosts, services


async def test_discover_finds_every_host_and_service_once(
    simulator: SimulatorFactory,
) -> None:
    """The crawl returns the whole fleet, each resource once, with its totals."""
    async with simulator(**FLEET) as sim:
        async with CentreonClient(settings_for(sim, page_size=37)) as client:
            inventory = await discover(client)

        hosts, services = expected(sim)
        assert {r.uuid for r in inventory.hosts} == hosts
        assert {r.uuid for r in inventory.services} == services
        assert (inventory.host_total, inventory.service_total) == (60, 300)
        assert (len(inventory.hosts), len(inventory.services)) == (60, 300)
        assert inventory.duplicates == 0


async def test_discover_is_exact_while_statuses_churn(
    simulator: SimulatorFactory,
) -> None:
    """Statuses changing before every page move nothing in the stable order."""
    async with simulator(**FLEET, faults=FaultConfig(churn_rate=0.3)) as sim:
        async with CentreonClient(settings_for(sim, page_size=20)) as client:
            inventory = await discover(client)

        hosts, services = expected(sim)
        assert {r.uuid for r in inventory.hosts} == hosts
        assert {r.uuid for r in inventory.services} == services
        assert inventory.duplicates == 0


async def test_default_order_crawl_is_inexact_while_statuses_churn(
    simulator: SimulatorFactory,
) -> None:
    """The hazard is real: without a stable sort, churn duplicates or skips items."""
    async with simulator(**FLEET, faults=FaultConfig(churn_rate=0.3)) as sim:
        seen: list[str] = []
        async with CentreonClient(settings_for(sim)) as client:
            for page in range(1, 16):
                body = await client.get_json(
                    RESOURCES_PATH,
                    {"types": '["service"]', "page": str(page), "limit": "20"},
                )
                seen.extend(item["uuid"] for item in body["result"])

        _, services = expected(sim)
        assert len(seen) != len(set(seen)) or set(seen) != services


async def test_discover_keeps_pages_within_the_client_concurrency(
    simulator: SimulatorFactory,
) -> None:
    """Pages after the first are fetched concurrently, never above the budget."""
    async with simulator(**(FLEET | {"latency_ms": 20.0, "workers": 50})) as sim:
        settings = settings_for(sim, page_size=10, max_concurrency=5)
        async with CentreonClient(settings) as client:
            await discover(client)

        assert sim.counters.max_in_building == 5


async def test_discover_fetches_every_page_of_both_types_in_one_round(
    simulator: SimulatorFactory,
) -> None:
    """Two empty pages for the totals, then all host and service pages at once."""
    async with simulator(**(FLEET | {"latency_ms": 50.0, "workers": 50})) as sim:
        settings = settings_for(sim, page_size=1000, max_concurrency=8)
        async with CentreonClient(settings) as client:
            inventory = await discover(client, min_page_size=1)

        assert inventory.size == 360
        # 60 hosts and 300 services fit in 2 + 6 pages of 50: eight pages in
        # flight at once means hosts and services were fetched side by side.
        assert sim.counters.status_count("resources", 200) == 2 + 8
        assert sim.counters.max_in_building == 8


async def test_discover_keeps_pages_of_both_types_within_the_budget(
    simulator: SimulatorFactory,
) -> None:
    """More pages than the budget never put more than the budget in flight."""
    async with simulator(**(FLEET | {"latency_ms": 20.0, "workers": 50})) as sim:
        settings = settings_for(sim, page_size=10, max_concurrency=7)
        async with CentreonClient(settings) as client:
            inventory = await discover(client)

        assert inventory.size == 360
        assert sim.counters.status_count("resources", 200) == 2 + 6 + 30
        assert sim.counters.max_in_building == 7


@pytest.mark.parametrize(
    ("totals", "budget", "maximum", "minimum", "limit"),
    [
        pytest.param((200, 1800), 30, 1000, 1, 67, id="one-round"),
        pytest.param((2000, 18000), 30, 1000, 100, 667, id="one-round-at-20k"),
        pytest.param((200, 1800), 30, 1000, 100, 100, id="minimum"),
        pytest.param((20_000, 180_000), 30, 1000, 100, 1000, id="maximum"),
        pytest.param((0, 0), 30, 1000, 100, 100, id="empty"),
        pytest.param((7, 7), 2, 1000, 1, 7, id="one-page-each"),
    ],
)
def test_discovery_page_size_fits_the_pages_in_the_budget(
    totals: tuple[int, int], budget: int, maximum: int, minimum: int, limit: int
) -> None:
    """The smallest limit whose pages fit the budget, within minimum and maximum."""
    assert (
        discovery_page_size(totals, budget, maximum=maximum, minimum=minimum) == limit
    )


async def test_discover_names_services_after_their_host(
    simulator: SimulatorFactory,
) -> None:
    """A service carries its host's id and name and its own service id."""
    async with simulator(**(FLEET | {"hosts": 3, "services_per_host": 2})) as sim:
        async with CentreonClient(settings_for(sim)) as client:
            inventory = await discover(client)

        for resource in inventory.services:
            service = sim.fleet.by_uuid(resource.uuid)
            assert service is not None
            assert (resource.host_id, resource.service_id) == (
                service.host.id,
                service.id,
            )
            assert resource.host_name == service.host.name


@pytest.mark.parametrize(
    ("total", "limit", "pages"),
    [
        pytest.param(0, 1000, [1], id="empty"),
        pytest.param(1000, 1000, [1], id="exact"),
        pytest.param(2500, 1000, [1, 2, 3], id="partial-last-page"),
    ],
)
def test_plan_listing_pages_covers_the_total(
    total: int, limit: int, pages: list[int]
) -> None:
    """Pages run from 1 to the last one holding an item (page 1 always exists)."""
    assert list(plan_listing_pages(total, limit)) == pages


def test_listing_params_ask_for_the_stable_order() -> None:
    """Hosts sort by id; services by parent_id then id."""
    assert listing_params("service", 2, 500) == {
        "types": '["service"]',
        "sort_by": '{"parent_id":"ASC","id":"ASC"}',
        "page": "2",
        "limit": "500",
    }


async def test_fetch_listing_page_rejects_an_envelope_without_meta_total(
    aiohttp_server: ServerFactory,
) -> None:
    """A 200 listing without result and meta.total is a MalformedResponseError."""

    async def listing(request: web.Request) -> web.Response:
        return web.json_response({"result": [], "meta": {"page": 1}})

    app = web.Application()
    app.router.add_get("/centreon/api/latest/monitoring/resources", listing)
    server = await aiohttp_server(app)
    settings = CentreonSettings(
        url=str(server.make_url("/centreon/api/latest")), api_token="token"
    )

    async with CentreonClient(settings) as client:
        with pytest.raises(MalformedResponseError) as caught:
            await fetch_listing_page(client, "host", 1, 100)

    assert caught.value.url is not None
    assert "page=1" in caught.value.url


async def test_discover_follows_on_when_resources_appear_during_the_crawl(
    aiohttp_server: ServerFactory,
) -> None:
    """A full last page means the fleet grew: pages continue until one is short."""
    hosts = [
        {"uuid": f"h{i}", "id": i, "name": f"host-{i}", "parent": None}
        for i in range(1, 6)
    ]

    async def listing(request: web.Request) -> web.Response:
        page, limit = int(request.query["page"]), int(request.query["limit"])
        if request.query["types"] == '["service"]':
            return web.json_response({"result": [], "meta": {"total": 0}})
        items = hosts[(page - 1) * limit : page * limit]
        # The totals were read before the fifth host existed.
        total = 4 if limit == 0 else len(hosts)
        return web.json_response({"result": items, "meta": {"total": total}})

    app = web.Application()
    app.router.add_get("/centreon/api/latest/monitoring/resources", listing)
    server = await aiohttp_server(app)
    settings = CentreonSettings(
        url=str(server.make_url("/centreon/api/latest")), api_token="token", page_size=2
    )

    async with CentreonClient(settings) as client:
        inventory = await discover(client)

    assert [r.uuid for r in inventory.hosts] == ["h1", "h2", "h3", "h4", "h5"]
    assert inventory.host_total == 4
