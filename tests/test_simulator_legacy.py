"""Legacy JMS listings: /monitoring/hosts, /monitoring/services, host services."""

from __future__ import annotations

import aiohttp

from centreon.simulator import FaultConfig
from tests.simulator_fixtures import SimulatorFactory, exchange, token_for

VANISHED_HOST = {"faults": FaultConfig(vanished=frozenset({"h14"}))}
HOST_KEYS = [
    "id", "alias", "display_name", "name", "state", "poller_id", "acknowledged",
    "address_ip", "check_attempt", "checked", "execution_time", "icon_image",
    "icon_image_alt", "last_check", "last_hard_state_change", "last_state_change",
    "last_time_down", "last_time_unreachable", "last_time_up", "last_update",
    "max_check_attempts", "output", "passive_checks", "state_type", "timezone",
    "scheduled_downtime_depth", "criticality",
]  # fmt: skip
SERVICE_KEYS = [
    "id", "description", "display_name", "state", "check_attempt", "icon_image",
    "icon_image_alt", "last_check", "last_state_change", "max_check_attempts",
    "output", "state_type", "criticality", "status", "duration",
]  # fmt: skip


async def test_legacy_hosts_items_have_27_keys(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Each legacy host item has the 27 documented keys; nulls are kept."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/hosts",
            token=token, params={"limit": "100"},
        )  # fmt: skip

    items = answer.json()["result"]
    assert len(items) == len(sim.fleet.hosts)
    assert all(list(i) == HOST_KEYS for i in items)
    assert b":null" in answer.body


async def test_legacy_hosts_show_service_adds_services(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``show_service=true`` appends each host's services."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/hosts",
            token=token, params={"limit": "100", "show_service": "true"},
        )  # fmt: skip

    for item in answer.json()["result"]:
        host = sim.fleet.host(item["id"])
        assert host is not None
        assert [s["id"] for s in item["services"]] == [s.id for s in host.services]


async def test_legacy_services_carry_their_host(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Legacy service items carry the owning host under ``hosts``."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/services",
            token=token, params={"limit": "1000"},
        )  # fmt: skip

    items = answer.json()["result"]
    assert len(items) == len(sim.fleet.services)
    assert all(list(i) == [*SERVICE_KEYS, "hosts"] for i in items)


async def test_legacy_host_services_lists_one_host(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``/monitoring/hosts/{id}/services`` lists that host's services only."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        host = sim.fleet.hosts[2]
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/hosts/{host.id}/services",
            token=token,
        )  # fmt: skip

    items = answer.json()["result"]
    assert sorted(i["id"] for i in items) == sorted(s.id for s in host.services)
    assert all(list(i) == SERVICE_KEYS for i in items)


async def test_legacy_host_services_unknown_host_is_empty_404(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """An unknown host gets 404 with an empty body, not an envelope."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/hosts/1/services",
            token=token,
        )  # fmt: skip

    assert answer.status == 404
    assert answer.body == b""


async def test_legacy_host_services_vanished_host_is_empty_404(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A host that vanished answers as an unknown one, as its detail does."""
    async with simulator(**VANISHED_HOST) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/hosts/14/services",
            token=token,
        )  # fmt: skip

    assert sim.fleet.host(14) is not None
    assert answer.status == 404
    assert answer.body == b""


async def test_legacy_bodies_use_unescaped_slashes_and_utf8(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """JMS output keeps '/' and raw UTF-8, unlike the new-style endpoints."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/services",
            token=token, params={"limit": "1000"},
        )  # fmt: skip

    assert b"\\/" not in answer.body
    assert not answer.body.isascii()


async def test_legacy_search_and_sort_apply(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Legacy search keys filter and sort keys order the hosts."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        params = {
            "search": '{"host.name":{"$lk":"srv%"}}',
            "sort_by": '{"host.id":"DESC"}',
        }
        answer = await exchange(
            simulator_http,
            "GET",
            f"{sim.api_url}/monitoring/hosts",
            token=token,
            params=params,
        )

    items = answer.json()["result"]
    expected = sorted(
        (h.id for h in sim.fleet.hosts if h.name.startswith("srv")), reverse=True
    )
    assert [i["id"] for i in items] == expected[:10]
    assert answer.json()["meta"]["search"] == {"$and": {"host.name": {"$lk": "srv%"}}}
