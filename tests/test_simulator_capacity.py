"""The worker pool: admission, backlog, refusals and service time."""

from __future__ import annotations

import asyncio
import statistics

import aiohttp

from centreon.simulator.capacity import Latency
from tests.simulator_fixtures import SimulatorFactory, exchange, token_for


async def test_capacity_refuses_beyond_workers_plus_backlog(
    simulator: SimulatorFactory,
) -> None:
    """Of 200 requests at once (W=4, B=6) at most 4 execute; others wait or get 503."""
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(workers=4, backlog=6, latency_ms=300.0) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        token = await token_for(session, sim)
        path = sim.api_url + sim.fleet.hosts[0].detail_path
        answers = await asyncio.gather(
            *(exchange(session, "GET", path, token=token) for _ in range(200))
        )

    statuses = [a.status for a in answers]
    counters = sim.counters
    assert set(statuses) == {200, 503}
    assert counters.max_in_flight == 4
    assert counters.max_in_building == 10
    assert counters.refused == statuses.count(503)
    assert counters.status_count("host_detail", 503) == counters.refused
    assert statuses.count(200) >= 10


async def test_capacity_refusal_is_html_503_with_retry_after(
    simulator: SimulatorFactory,
) -> None:
    """A refused request gets Apache's 503 page with the configured Retry-After."""
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(
            workers=1, backlog=0, latency_ms=300.0, refuse_retry_after_s=7
        ) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        token = await token_for(session, sim)
        path = sim.api_url + sim.fleet.hosts[0].detail_path
        answers = await asyncio.gather(
            *(exchange(session, "GET", path, token=token) for _ in range(5))
        )

    refused = [a for a in answers if a.status == 503]
    assert refused
    assert all(a.headers["Retry-After"] == "7" for a in refused)
    assert all(a.content_type == "text/html" for a in refused)


async def test_capacity_backlog_queues_without_refusing(
    simulator: SimulatorFactory,
) -> None:
    """Requests within workers plus backlog all succeed, never more than W at once."""
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(workers=3, backlog=20, latency_ms=100.0) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        token = await token_for(session, sim)
        answers = await asyncio.gather(
            *(
                exchange(session, "GET", sim.api_url + p, token=token)
                for p in sim.fleet.detail_paths[:20]
            )
        )

    assert {a.status for a in answers} == {200}
    assert sim.counters.refused == 0
    assert sim.counters.max_in_flight == 3
    assert sim.counters.in_flight == 0
    assert sim.counters.in_building == 0


def test_latency_without_spread_is_the_median() -> None:
    """A zero spread gives exactly the median every time."""
    latency = Latency(150.0, 0.0, 0.0, seed=1)

    assert {latency.draw() for _ in range(10)} == {0.15}


def test_latency_lognormal_median_matches_configuration() -> None:
    """The seeded lognormal draws have the configured median."""
    latency = Latency(150.0, 0.3, 0.0, seed=1)

    draws = [latency.draw() for _ in range(4001)]

    assert abs(statistics.median(draws) - 0.15) < 0.01
    assert max(draws) > 0.2 > 0.1 > min(draws)


def test_latency_is_reproducible_from_seed() -> None:
    """The same seed gives the same sequence of service times."""
    first = Latency(100.0, 0.5, 0.0, seed=9)
    second = Latency(100.0, 0.5, 0.0, seed=9)

    assert [first.draw() for _ in range(20)] == [second.draw() for _ in range(20)]


def test_latency_page_cost_grows_with_limit() -> None:
    """Listing pages cost the per-item time for each requested row."""
    latency = Latency(100.0, 0.0, 2.0, seed=1)

    assert latency.draw(rows=0) == 0.1
    assert abs(latency.draw(rows=1000) - 2.1) < 1e-9
