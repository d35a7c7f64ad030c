"""Faults: each one fires as configured, measured from answers and counters."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from centreon.simulator import FaultConfig, Simulator
from tests.simulator_fixtures import (
    ManualClock,
    SimulatorFactory,
    exchange,
    login,
    token_for,
)

HOST_KEY_COUNT = 37


async def _details(
    session: aiohttp.ClientSession, sim: Simulator, token: str, count: int
) -> list[int | str]:
    statuses: list[int | str] = []
    for path in (sim.fleet.detail_paths * 10)[:count]:
        try:
            answer = await exchange(session, "GET", sim.api_url + path, token=token)
            statuses.append(answer.status)
        except aiohttp.ServerDisconnectedError:
            statuses.append("reset")
    return statuses


@pytest.mark.parametrize(
    ("faults", "outcome"),
    [
        pytest.param(FaultConfig(error_rate=0.25), 500, id="json-500"),
        pytest.param(FaultConfig(html_502_rate=0.25), 502, id="html-502"),
        pytest.param(FaultConfig(rate_limit_rate=0.25), 429, id="rate-limit"),
        pytest.param(FaultConfig(reset_rate=0.25), "reset", id="reset"),
    ],
)
async def test_fault_rate_matches_configuration(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    faults: FaultConfig,
    outcome: int | str,
) -> None:
    """A 25 % fault hits about a quarter of the requests the server saw."""
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        statuses = await _details(simulator_http, sim, token, 400)

    routes = ("host_detail", "service_detail")
    seen = sum(sum(sim.counters.requests[route].values()) for route in routes)
    hits = sum(sim.counters.status_count(route, outcome) for route in routes)
    assert set(statuses) == {200, outcome}
    assert 0.15 <= hits / seen <= 0.35
    if outcome != "reset":
        # aiohttp retries a reset GET once by itself, so only other outcomes
        # reach the client one for one.
        assert statuses.count(outcome) == hits


async def test_fault_plan_is_reproducible_from_seed(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """The same seed and request order fail the same requests."""
    runs = []
    for _ in range(2):
        async with simulator(seed=3, faults=FaultConfig(error_rate=0.3)) as sim:
            token = await token_for(simulator_http, sim)
            runs.append(await _details(simulator_http, sim, token, 60))

    assert runs[0] == runs[1]


async def test_fault_json_500_has_error_envelope(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """The JSON 500 fault answers Centreon's error envelope."""
    async with simulator(faults=FaultConfig(error_rate=1.0)) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/resources", token=token
        )

    assert answer.status == 500
    assert answer.json() == {"code": 500, "message": "Internal Server Error"}


async def test_fault_rate_limit_sends_retry_after(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A 429 carries the configured Retry-After and is counted as rate limited."""
    faults = FaultConfig(rate_limit_rate=1.0, retry_after_s=4)
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/resources", token=token
        )

    assert answer.status == 429
    assert answer.headers["Retry-After"] == "4"
    assert sim.counters.rate_limited == 1


async def test_fault_skips_login_and_logout_unless_asked(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Per-request faults leave /login and /logout alone by default."""
    async with simulator(faults=FaultConfig(error_rate=1.0, reset_rate=1.0)) as sim:
        answers = [await login(simulator_http, sim) for _ in range(5)]

    assert {a.status for a in answers} == {200}


async def test_fault_hits_login_when_on_auth(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """With ``on_auth`` the faults reach /login too."""
    async with simulator(faults=FaultConfig(error_rate=1.0, on_auth=True)) as sim:
        answer = await login(simulator_http, sim)

    assert answer.status == 500


async def test_fault_slow_response_exceeds_client_timeout(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A slow response outlasts a client timeout shorter than the extra delay."""
    faults = FaultConfig(slow_rate=1.0, slow_ms=3_000.0)
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        with pytest.raises(asyncio.TimeoutError):
            await exchange_with_timeout(simulator_http, sim, token, timeout_s=0.2)


async def exchange_with_timeout(
    session: aiohttp.ClientSession, sim: Simulator, token: str, timeout_s: float
) -> None:
    """One detail request with a total client timeout."""
    url = sim.api_url + sim.fleet.hosts[0].detail_path
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with session.get(url, headers={"X-AUTH-TOKEN": token}, timeout=timeout) as r:
        await r.read()


async def test_fault_restart_at_time_drops_sessions(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """At the scheduled time every token dies once; a new login works again."""
    faults = FaultConfig(restart_after_s=(100.0,))
    async with simulator(clock=sim_clock, faults=faults) as sim:
        url = f"{sim.api_url}/monitoring/resources"
        token = await token_for(simulator_http, sim)
        before = await exchange(simulator_http, "GET", url, token=token)
        sim_clock.advance(100)
        after = await exchange(simulator_http, "GET", url, token=token)
        fresh = await token_for(simulator_http, sim)
        again = await exchange(simulator_http, "GET", url, token=fresh)

    assert (before.status, after.status, again.status) == (200, 401, 200)
    assert sim.counters.restarts == 1
    assert sim.counters.sessions_dropped == 1


async def test_fault_churn_reorders_default_listing(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Statuses change between page fetches, so the default order moves."""
    async with simulator(faults=FaultConfig(churn_rate=0.1)) as sim:
        token = await token_for(simulator_http, sim)
        url = f"{sim.api_url}/monitoring/resources"
        params = {"limit": "1000"}
        first = await exchange(simulator_http, "GET", url, token=token, params=params)
        second = await exchange(simulator_http, "GET", url, token=token, params=params)

    order = [[i["uuid"] for i in a.json()["result"]] for a in (first, second)]
    assert order[0] != order[1]
    assert sorted(order[0]) == sorted(order[1])


async def test_fault_churn_keeps_stable_sort_exact(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Under churn, paging services by parent_id,id still visits each once."""
    async with simulator(faults=FaultConfig(churn_rate=0.2)) as sim:
        token = await token_for(simulator_http, sim)
        seen: list[str] = []
        for page in range(1, 8):
            params = {
                "types": '["service"]',
                "sort_by": '{"parent_id":"ASC","id":"ASC"}',
                "limit": "10",
                "page": str(page),
            }
            answer = await exchange(
                simulator_http,
                "GET",
                f"{sim.api_url}/monitoring/resources",
                token=token,
                params=params,
            )
            seen.extend(i["uuid"] for i in answer.json()["result"])

    assert sorted(seen) == sorted(s.uuid for s in sim.fleet.services)


async def test_fault_vanished_resources_are_listed_but_404(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Vanished resources appear in the listing and answer 404 on detail."""
    async with simulator(faults=FaultConfig(vanish_rate=0.2)) as sim:
        token = await token_for(simulator_http, sim)
        listing = await exchange(
            simulator_http,
            "GET",
            f"{sim.api_url}/monitoring/resources",
            token=token,
            params={"limit": "1000"},
        )
        vanished = sim.vanished
        details = {
            r.uuid: await exchange(
                simulator_http, "GET", sim.api_url + r.detail_path, token=token
            )
            for r in sim.fleet.resources
        }

    listed = {i["uuid"] for i in listing.json()["result"]}
    assert vanished
    assert vanished <= listed
    missing = {uuid for uuid, answer in details.items() if answer.status == 404}
    gone_hosts = {u for u in vanished if "-" not in u}
    orphans = {r.uuid for r in sim.fleet.services if r.host.uuid in gone_hosts}
    assert missing == vanished | orphans


async def test_fault_named_vanished_resource_answers_service_not_found(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A service named in ``vanished`` answers "Service not found"."""
    async with simulator() as probe:
        service = probe.fleet.services[3]
    faults = FaultConfig(vanished=frozenset({service.uuid}))
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", sim.api_url + service.detail_path, token=token
        )

    assert answer.status == 404
    assert answer.json() == {"code": 404, "message": "Service not found"}


async def test_fault_failing_resource_fails_every_time(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A resource listed in ``failing`` answers 500 on every attempt; others do not."""
    async with simulator() as probe:
        failing, healthy = probe.fleet.hosts[1], probe.fleet.hosts[2]
    faults = FaultConfig(failing=frozenset({failing.uuid}))
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        bad = [
            (
                await exchange(
                    simulator_http,
                    "GET",
                    sim.api_url + failing.detail_path,
                    token=token,
                )
            ).status
            for _ in range(5)
        ]
        good = await exchange(
            simulator_http, "GET", sim.api_url + healthy.detail_path, token=token
        )

    assert bad == [500] * 5
    assert good.status == 200


async def test_fault_drift_appends_unknown_fields(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Drift adds unknown fields after the documented ones, which keep their order."""
    async with simulator(faults=FaultConfig(drift_rate=1.0)) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http,
            "GET",
            sim.api_url + sim.fleet.hosts[0].detail_path,
            token=token,
        )

    keys = list(answer.json())
    assert len(keys) > HOST_KEY_COUNT
    assert keys[0] == "uuid"
    assert keys[HOST_KEY_COUNT - 1] == "links"
    assert "x_simulator_drift" in keys[HOST_KEY_COUNT:]


async def test_fault_false_duration_in_listing(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """The false-duration fault writes ``false`` where a duration string belongs.

    A resource that never changed state has no duration (null), fault or not.
    """
    async with simulator(faults=FaultConfig(false_duration_rate=1.0)) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http,
            "GET",
            f"{sim.api_url}/monitoring/resources",
            token=token,
            params={"limit": "100"},
        )

    items = answer.json()["result"]
    changed = [i["duration"] for i in items if i["last_status_change"] is not None]
    unchanged = [i["duration"] for i in items if i["last_status_change"] is None]
    assert set(changed) == {False}
    assert set(unchanged) == {None}


async def test_fault_config_rejects_rates_outside_unit_interval() -> None:
    """A rate above 1 is a configuration error naming the field."""
    from centreon.errors import ConfigError

    with pytest.raises(ConfigError, match=r"faults\.error_rate"):
        FaultConfig(error_rate=1.5)


def test_fault_counters_json_is_serialisable() -> None:
    """The counters snapshot is plain JSON."""
    from centreon.simulator import Counters

    counters = Counters()
    counters.count("host_detail", 200)

    assert json.loads(json.dumps(counters.to_dict()))["requests"] == {
        "host_detail": {"200": 1}
    }
