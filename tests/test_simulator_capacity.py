"""The worker pool: admission, backlog, refusals and service time."""

from __future__ import annotations

import asyncio
import statistics
from typing import Any

import aiohttp
import pytest

from centreon.simulator import FaultConfig
from centreon.simulator.capacity import Latency
from tests.doubles import Gate, Recorder
from tests.simulator_fixtures import SimulatorFactory, exchange

TOKEN = "manual-token-1"
GATED: dict[str, Any] = {"latency_ms": 100.0, "api_token": TOKEN}
"""A service time for the gate to hold; the API token saves a login."""


async def test_capacity_refuses_beyond_workers_plus_backlog(
    simulator: SimulatorFactory,
) -> None:
    """Of 200 requests at once (W=4, B=6) 4 execute, 6 wait and 190 get 503."""
    gate = Gate()
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(sleep=gate, workers=4, backlog=6, **GATED) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        path = sim.api_url + sim.fleet.hosts[0].detail_path
        calls = [exchange(session, "GET", path, token=TOKEN) for _ in range(200)]
        tasks = [asyncio.create_task(call) for call in calls]
        await sim.counters.wait_until(lambda c: c.in_building + c.refused == 200)
        await gate.wait_held(4)
        held = (sim.counters.in_flight, sim.counters.in_building)
        gate.open()
        answers = await asyncio.gather(*tasks)

    statuses = [a.status for a in answers]
    counters = sim.counters
    assert held == (4, 10)
    assert (statuses.count(200), statuses.count(503)) == (10, 190)
    assert (counters.max_in_flight, counters.max_in_building) == (4, 10)
    assert counters.status_count("host_detail", 503) == 190


async def test_capacity_refusal_is_html_503_with_retry_after(
    simulator: SimulatorFactory,
) -> None:
    """A refused request gets Apache's 503 page with the configured Retry-After."""
    gate = Gate()
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(
            sleep=gate, workers=1, backlog=0, refuse_retry_after_s=7, **GATED
        ) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        path = sim.api_url + sim.fleet.hosts[0].detail_path
        tasks = [
            asyncio.create_task(exchange(session, "GET", path, token=TOKEN))
            for _ in range(5)
        ]
        await sim.counters.wait_until(lambda c: c.in_building + c.refused == 5)
        gate.open()
        answers = await asyncio.gather(*tasks)

    refused = [a for a in answers if a.status == 503]
    assert len(refused) == 4
    assert all(a.headers["Retry-After"] == "7" for a in refused)
    assert all(a.content_type == "text/html" for a in refused)


async def test_capacity_backlog_queues_without_refusing(
    simulator: SimulatorFactory,
) -> None:
    """Requests within workers plus backlog all succeed, never more than W at once."""
    gate = Gate()
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(
            sleep=gate, workers=3, backlog=20, latency_ms=100.0, api_token=TOKEN
        ) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        tasks = [
            asyncio.create_task(exchange(session, "GET", sim.api_url + p, token=TOKEN))
            for p in sim.fleet.detail_paths[:20]
        ]
        await sim.counters.wait_until(lambda c: c.in_building + c.refused == 20)
        await gate.wait_held(3)
        held = sim.counters.in_flight
        gate.open()
        answers = await asyncio.gather(*tasks)

    assert held == 3
    assert {a.status for a in answers} == {200}
    assert (sim.counters.refused, sim.counters.max_in_flight) == (0, 3)
    assert (sim.counters.in_flight, sim.counters.in_building) == (0, 0)
    assert len(gate.sleeps) == 20


async def test_capacity_spends_service_time_through_the_real_sleep_by_default(
    simulator: SimulatorFactory,
) -> None:
    """Without an injected sleep, requests wait out their latency and all succeed."""
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(workers=2, backlog=4, latency_ms=5.0, api_token=TOKEN) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        answers = await asyncio.gather(
            *(
                exchange(session, "GET", sim.api_url + p, token=TOKEN)
                for p in sim.fleet.detail_paths[:6]
            )
        )

    assert {a.status for a in answers} == {200}
    assert sim.counters.refused == 0
    assert 1 <= sim.counters.max_in_flight <= 2


async def test_capacity_spends_latency_and_slow_faults_through_the_injected_sleep(
    simulator: SimulatorFactory,
) -> None:
    """The injected sleep is asked for the latency plus a slow fault's delay."""
    sleep = Recorder()
    faults = FaultConfig(slow_rate=1.0, slow_ms=1500.0)
    connector = aiohttp.TCPConnector(limit=0)
    async with (
        simulator(sleep=sleep, latency_ms=20.0, faults=faults, api_token=TOKEN) as sim,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        path = sim.api_url + sim.fleet.hosts[0].detail_path
        answer = await exchange(session, "GET", path, token=TOKEN)

    assert answer.status == 200
    assert sleep.sleeps == [pytest.approx(1.52)]


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
