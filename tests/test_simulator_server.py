"""The Simulator context manager: addresses, ports and shutdown."""

from __future__ import annotations

import re

import aiohttp
import pytest

from centreon.simulator import Simulator, SimulatorConfig
from tests.simulator_fixtures import SimulatorFactory, exchange


async def test_server_exposes_api_and_admin_urls(simulator: SimulatorFactory) -> None:
    """The API base and admin base point at the bound loopback port."""
    async with simulator() as sim:
        api_url, admin_url, port = sim.api_url, sim.admin_url, sim.port

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/centreon/api/latest", api_url)
    assert admin_url == f"http://127.0.0.1:{port}/_simulator"


async def test_server_instances_bind_distinct_free_ports(
    simulator: SimulatorFactory,
) -> None:
    """Two simulators run side by side on different ports."""
    async with simulator() as first, simulator() as second:
        ports = {first.port, second.port}

    assert len(ports) == 2


async def test_server_stops_serving_after_exit(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """After the block the port is closed and the port property refuses."""
    async with simulator() as sim:
        url = f"{sim.admin_url}/counters"
        answer = await exchange(simulator_http, "GET", url)

    assert answer.status == 200
    with pytest.raises(aiohttp.ClientConnectionError):
        await exchange(simulator_http, "GET", url)
    with pytest.raises(RuntimeError):
        _ = sim.port


def test_server_builds_its_fleet_before_starting() -> None:
    """The fleet is available (and deterministic) as soon as the object exists."""
    config = SimulatorConfig(hosts=5, services_per_host=3, epoch=1_700_000_000.0)

    first, second = Simulator(config), Simulator(config)

    assert [r.uuid for r in first.fleet.resources] == [
        r.uuid for r in second.fleet.resources
    ]
    assert len(first.fleet.resources) == 20
