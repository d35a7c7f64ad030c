"""Transport and routing: headers, compression, versions, routes, hostile input."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centreon.simulator import Simulator
from tests.simulator_fixtures import SimulatorFactory, exchange, token_for

PARAM_NAMES = st.sampled_from(
    ["page", "limit", "search", "sort_by", "types", "statuses", "states",
     "status_types", "hostgroup_names", "host_severity_levels",
     "only_with_performance_data", "show_service", "bogus"]
)  # fmt: skip
PARAM_VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ['{"$and":[', '{"id":{"$in":5}}', '{"name":{"$rg":"("}}', "[1,2", '["host"]',
         "-1", "99999999999999999999", "{", '{"a":"DESC"}', "[]", "{}", "null",
         '{"$or":{"id":{"$lk":{"x":1}}}}', '{"id":{"$gt":[1]}}']
    ),
)  # fmt: skip


async def test_app_every_centreon_answer_has_api_version(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Successes and errors from Centreon carry ``Api-Version: 24.10``."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answers = [
            await exchange(simulator_http, "GET", sim.api_url + path, token=token)
            for path in (
                "/monitoring/resources",
                "/monitoring/resources?limit=x",
                sim.fleet.hosts[0].detail_path,
                "/monitoring/resources/hosts/1",
                "/nowhere",
            )
        ]
        answers.append(await exchange(simulator_http, "GET", f"{sim.api_url}/logout"))

    assert {a.headers.get("Api-Version") for a in answers} == {"24.10"}


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        pytest.param("gzip, deflate", "gzip", id="gzip"),
        pytest.param("deflate", "deflate", id="deflate"),
        pytest.param("identity", None, id="identity"),
    ],
)
async def test_app_compresses_when_client_accepts(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    accept: str,
    encoding: str | None,
) -> None:
    """JSON bodies are gzip-compressed when asked, as Apache's mod_deflate does."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http,
            "GET",
            f"{sim.api_url}/monitoring/resources",
            token=token,
            headers={"Accept-Encoding": accept},
        )

    assert answer.headers.get("Content-Encoding") == encoding
    assert answer.json()["meta"]["total"] == len(sim.fleet.resources)


async def test_app_unknown_route_answers_no_route_found(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """An unknown path under the API base gets Symfony's 404 envelope."""
    async with simulator() as sim:
        answer = await exchange(simulator_http, "GET", f"{sim.api_url}/monitoring/nope")

    assert answer.status == 404
    assert answer.json()["code"] == 404
    assert answer.json()["message"].startswith('No route found for "GET http')


async def test_app_wrong_method_answers_405(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A known path with the wrong method gets 405 naming the allowed method."""
    async with simulator() as sim:
        answer = await exchange(simulator_http, "GET", f"{sim.api_url}/login")

    assert answer.status == 405
    assert answer.json()["message"].endswith("Method Not Allowed (Allow: POST)")


@pytest.mark.parametrize("version", ["latest", "beta", "v24.10", "v24", "v25.04"])
async def test_app_accepts_version_segments(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession, version: str
) -> None:
    """``latest``, ``beta``, ``vNN`` and ``vNN.NN`` at or above the route serve it."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        url = f"{sim.base_url}/centreon/api/{version}/monitoring/resources"
        answer = await exchange(simulator_http, "GET", url, token=token)

    assert answer.status == 200


@pytest.mark.parametrize("version", ["v20.10", "24.10", "vX"])
async def test_app_rejects_old_or_malformed_versions(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession, version: str
) -> None:
    """Versions below the route's minimum or of another form find no route."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        url = f"{sim.base_url}/centreon/api/{version}/monitoring/resources"
        answer = await exchange(simulator_http, "GET", url, token=token)

    assert answer.status == 404


async def test_app_admin_counters_match_in_process_counters(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """GET /_simulator/counters serves the same numbers as ``sim.counters``."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        await exchange(simulator_http, "GET", f"{sim.api_url}/monitoring/resources")
        answer = await exchange(simulator_http, "GET", f"{sim.admin_url}/counters")
        in_process = sim.counters.to_dict()

    body = answer.json()
    assert body == in_process
    assert body["requests"]["login"] == {"200": 1}
    assert body["requests"]["resources"] == {"403": 1}
    assert token


async def test_app_counts_repeated_detail_fetches(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A detail fetched again after a success counts; first fetches and 404s do not."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        host, service = sim.fleet.hosts[0], sim.fleet.services[0]
        for path in (
            host.detail_path,
            service.detail_path,
            host.detail_path,
            "/monitoring/resources/hosts/1",
            "/monitoring/resources/hosts/1",
        ):
            await exchange(simulator_http, "GET", sim.api_url + path, token=token)
        other = f"{sim.base_url}/centreon/api/v24.10{service.detail_path}"
        await exchange(simulator_http, "GET", other, token=token)

    assert sim.counters.repeated_detail_fetches == 2
    assert sim.counters.detail_ok == 4


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(params=st.dictionaries(PARAM_NAMES, PARAM_VALUES, max_size=4))
async def test_app_hostile_query_never_breaks_the_envelope(
    simulator_http: aiohttp.ClientSession,
    shared_simulator: Simulator,
    shared_token: str,
    params: dict[str, str],
) -> None:
    """Any query string gets a JSON answer: a listing or Centreon's error envelope."""
    for path in ("/monitoring/resources", "/monitoring/hosts", "/monitoring/services"):
        answer = await exchange(
            simulator_http,
            "GET",
            shared_simulator.api_url + path,
            token=shared_token,
            params=params,
        )
        body = json.loads(answer.body)
        if answer.status == 200:
            assert set(body) == {"result", "meta"}
        else:
            assert answer.status in (400, 500)
            assert set(body) == {"code", "message"}
            assert "Traceback" not in body["message"]


@pytest.fixture
async def shared_simulator(simulator: SimulatorFactory) -> AsyncIterator[Simulator]:
    """One simulator for every example of a property test."""
    async with simulator() as sim:
        yield sim


@pytest.fixture
async def shared_token(
    shared_simulator: Simulator, simulator_http: aiohttp.ClientSession
) -> str:
    """A token on the shared simulator."""
    return await token_for(simulator_http, shared_simulator)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({"page": "\uff11"}, 500, 0, id="fullwidth-digit"),
        pytest.param({"limit": "1" * 25}, 500, 0, id="overflowing-limit"),
        pytest.param(
            {"search": '{"$and":' * 40 + "{}" + "}" * 40}, 500, 500, id="deep-search"
        ),
        pytest.param(
            {"search": '{"name":{"$rg":"(a+)+$"}}'}, 500, 500, id="backtracking-regex"
        ),
        pytest.param(
            {"search": '{"name":{"$rg":".*.*.*.*x"}}'}, 500, 500, id="many-quantifiers"
        ),
        pytest.param({"search": '{"name":{"$rg":"("}}'}, 500, 500, id="invalid-regex"),
    ],
)
async def test_app_hostile_listing_parameters_get_centreon_errors(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    params: dict[str, str],
    status: int,
    code: int,
) -> None:
    """Inputs that would break a naive server get Centreon's error envelope."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http,
            "GET",
            f"{sim.api_url}/monitoring/resources",
            token=token,
            params=params,
        )

    assert answer.status == status
    assert answer.json()["code"] == code


async def test_app_overlong_id_finds_no_route(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """An id too long to be a PHP integer matches no route."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        path = "/monitoring/resources/hosts/" + "9" * 40
        answer = await exchange(simulator_http, "GET", sim.api_url + path, token=token)

    assert answer.status == 404
    assert answer.json()["message"].startswith("No route found")


async def test_app_admin_reset_zeroes_counters(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """POST /_simulator/counters/reset starts the counts again from zero."""
    async with simulator() as sim:
        await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "POST", f"{sim.admin_url}/counters/reset"
        )
        await exchange(simulator_http, "GET", f"{sim.api_url}/monitoring/resources")

    assert answer.json()["total_requests"] == 0
    assert answer.json()["logins"] == {"ok": 0, "failed": 0}
    assert sim.counters.to_dict()["requests"] == {"resources": {"403": 1}}
