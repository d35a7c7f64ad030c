"""Resource detail endpoints: shapes, key orders, 404s and versions."""

from __future__ import annotations

import re

import aiohttp
import pytest

from centreon.simulator import Host, Service
from tests.simulator_fixtures import SimulatorFactory, exchange, token_for

HOST_KEYS = [
    "uuid", "id", "name", "monitoring_server_name", "type", "short_type", "fqdn",
    "alias", "status", "in_downtime", "acknowledged", "flapping", "performance_data",
    "information", "command_line", "notification_number", "latency",
    "percent_state_change", "passive_checks", "execution_time", "active_checks",
    "parent", "icon", "groups", "categories", "severity", "acknowledgement",
    "downtimes", "timezone", "duration", "next_check", "last_check",
    "last_time_with_no_issue", "last_status_change", "last_notification", "tries",
    "links",
]  # fmt: skip
SERVICE_KEYS = [
    "uuid", "id", "name", "type", "short_type", "status", "in_downtime",
    "acknowledged", "flapping", "performance_data", "information", "command_line",
    "notification_number", "latency", "percent_state_change", "passive_checks",
    "execution_time", "active_checks", "icon", "groups", "parent",
    "monitoring_server_name", "categories", "severity", "acknowledgement",
    "downtimes", "duration", "next_check", "last_check", "last_time_with_no_issue",
    "last_status_change", "last_notification", "tries", "links",
]  # fmt: skip
ACK_KEYS = [
    "id", "poller_id", "host_id", "service_id", "author_id", "author_name",
    "comment", "deletion_time", "entry_time", "is_notify_contacts",
    "is_persistent_comment", "is_sticky", "state", "type", "with_services",
]  # fmt: skip
DOWNTIME_KEYS = [
    "start_time", "end_time", "actual_start_time", "actual_end_time", "id",
    "entry_time", "author_id", "author_name", "host_id", "service_id",
    "is_cancelled", "comment", "deletion_time", "duration", "internal_id",
    "is_fixed", "poller_id", "is_started",
]  # fmt: skip
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


async def test_host_detail_has_37_keys_in_presenter_order(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Every host detail has exactly the 37 keys, in FindHostPresenter's order."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        bodies = [
            (
                await exchange(
                    simulator_http, "GET", sim.api_url + h.detail_path, token=token
                )
            ).json()
            for h in sim.fleet.hosts
        ]

    assert all(list(body) == HOST_KEYS for body in bodies)
    assert len(HOST_KEYS) == 37


async def test_service_detail_has_34_keys_in_presenter_order(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Every service detail has exactly the 34 keys, in FindServicePresenter's order."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        bodies = [
            (
                await exchange(
                    simulator_http, "GET", sim.api_url + s.detail_path, token=token
                )
            ).json()
            for s in sim.fleet.services
        ]

    assert all(list(body) == SERVICE_KEYS for body in bodies)
    assert len(SERVICE_KEYS) == 34


async def test_detail_nested_objects_have_documented_keys(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Acknowledgements have 15 keys and downtimes 18, in the documented order."""
    async with simulator(hosts=60) as sim:
        token = await token_for(simulator_http, sim)
        acked = next(r for r in sim.fleet.resources if r.acknowledged)
        downtimed = next(r for r in sim.fleet.resources if r.in_downtime)
        ack = await exchange(
            simulator_http, "GET", sim.api_url + acked.detail_path, token=token
        )
        down = await exchange(
            simulator_http, "GET", sim.api_url + downtimed.detail_path, token=token
        )

    assert list(ack.json()["acknowledgement"]) == ACK_KEYS
    assert [list(d) for d in down.json()["downtimes"]] == [DOWNTIME_KEYS]


async def test_detail_values_follow_detail_conventions(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Tries lack the space, dates carry an offset, no icon is [], groups are lists."""
    async with simulator(hosts=30) as sim:
        token = await token_for(simulator_http, sim)
        bodies = [
            (
                await exchange(
                    simulator_http, "GET", sim.api_url + r.detail_path, token=token
                )
            ).json()
            for r in sim.fleet.resources
        ]

    assert all(re.fullmatch(r"\d+/\d+\((H|S)\)", b["tries"]) for b in bodies)
    dates = [b[k] for b in bodies for k in ("next_check", "last_check") if b[k]]
    assert dates
    assert all(ISO_WITH_OFFSET.match(d) for d in dates)
    assert any(b["icon"] == [] for b in bodies)
    assert any(isinstance(b["icon"], dict) for b in bodies)
    assert all(isinstance(b["groups"], list) for b in bodies)
    assert any(
        b["severity"] and b["severity"]["type"] in ("host", "service") for b in bodies
    )


async def test_service_detail_parent_is_small_host_object(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A service's parent carries type, id, name, status and monitoring server only."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        service = sim.fleet.services[0]
        answer = await exchange(
            simulator_http, "GET", sim.api_url + service.detail_path, token=token
        )

    parent = answer.json()["parent"]
    assert list(parent) == ["type", "id", "name", "status", "monitoring_server_name"]
    assert parent["id"] == service.host.id


async def test_detail_matches_fleet_values(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """The detail reports the fleet's own status, output and ids."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        service = sim.fleet.services[7]
        answer = await exchange(
            simulator_http, "GET", sim.api_url + service.detail_path, token=token
        )

    body = answer.json()
    assert body["uuid"] == f"h{service.host.id}-s{service.id}"
    assert body["status"]["name"] == service.status.name
    assert body["information"] == service.output
    assert body["name"] == service.name


@pytest.mark.parametrize(
    ("path", "message"),
    [
        pytest.param("/monitoring/resources/hosts/1", "Host not found", id="host"),
        pytest.param(
            "/monitoring/resources/hosts/1/services/19",
            "Host not found",
            id="service-host",
        ),
    ],
)
async def test_detail_unknown_host_answers_404_envelope(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    path: str,
    message: str,
) -> None:
    """An unknown host id gets 404 with "Host not found"."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(simulator_http, "GET", sim.api_url + path, token=token)

    assert answer.status == 404
    assert answer.json() == {"code": 404, "message": message}


async def test_detail_unknown_service_answers_404_service_not_found(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A known host with an unknown service id gets "Service not found"."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        host = sim.fleet.hosts[0]
        path = f"/monitoring/resources/hosts/{host.id}/services/999999"
        answer = await exchange(simulator_http, "GET", sim.api_url + path, token=token)

    assert answer.status == 404
    assert answer.json() == {"code": 404, "message": "Service not found"}


async def test_detail_served_under_numbered_version(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``v24.10`` serves the same detail, with links under that version."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        host = sim.fleet.hosts[0]
        url = f"{sim.base_url}/centreon/api/v24.10{host.detail_path}"
        answer = await exchange(simulator_http, "GET", url, token=token)

    assert answer.status == 200
    assert answer.json()["links"]["endpoints"]["details"] == (
        f"/centreon/api/v24.10/monitoring/resources/hosts/{host.id}"
    )


async def test_detail_under_too_old_version_answers_404(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A version below the route's minimum (22.04) finds no route."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        url = f"{sim.base_url}/centreon/api/v21.10{sim.fleet.hosts[0].detail_path}"
        answer = await exchange(simulator_http, "GET", url, token=token)

    assert answer.status == 404
    assert answer.json()["message"].startswith("No route found for")


async def test_detail_body_escapes_slashes_and_unicode(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Detail bodies are written as Symfony's JsonResponse writes them."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        host = sim.fleet.hosts[0]
        answer = await exchange(
            simulator_http, "GET", sim.api_url + host.detail_path, token=token
        )

    assert b"\\/centreon\\/api\\/latest" in answer.body
    assert answer.body.isascii()
    assert b"&" not in answer.body


async def test_detail_of_every_resource_is_reachable(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Every host and service of the fleet has a working detail URL."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        statuses = {
            (await exchange(simulator_http, "GET", sim.api_url + p, token=token)).status
            for p in sim.fleet.detail_paths
        }

    assert statuses == {200}
    assert all(isinstance(r, Host | Service) for r in sim.fleet.resources)
