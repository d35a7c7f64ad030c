"""Every answer the simulator gives conforms to ../shared/centreon-api/openapi.yaml.

Answers the spec documents are validated with openapi-core against the
operation and status they belong to. Answers that come from the reverse proxy
in front of Centreon (HTML 502, 503 and 429 pages) are not part of Centreon's
API description; they are checked for their proxy shape instead.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from openapi_core import OpenAPI
from openapi_core.validation.response.exceptions import InvalidData

from centreon.simulator import FaultConfig, Simulator
from tests.simulator_fixtures import (
    Exchange,
    SimulatorFactory,
    assert_conforms,
    exchange,
    login,
    token_for,
)

Scenario = Callable[[aiohttp.ClientSession, Simulator, str], Awaitable[list[Exchange]]]


async def _auth_answers(
    session: aiohttp.ClientSession, sim: Simulator, token: str
) -> list[Exchange]:
    api = sim.api_url
    spare = await token_for(session, sim)
    return [
        await login(session, sim),
        await login(session, sim, password="wrong"),
        await login(session, sim, username="ghost"),
        await exchange(session, "POST", f"{api}/login", data=b"[not json"),
        await exchange(session, "POST", f"{api}/login", data=b'{"security":1}'),
        await exchange(session, "GET", f"{api}/logout", token=spare),
        await exchange(session, "GET", f"{api}/logout", token=spare),
        await exchange(session, "GET", f"{api}/logout"),
    ]


async def _listing_answers(
    session: aiohttp.ClientSession, sim: Simulator, token: str
) -> list[Exchange]:
    url = f"{sim.api_url}/monitoring/resources"
    cases: list[dict[str, str]] = [
        {},
        {"limit": "1000"},
        {"limit": "0"},
        {"page": "2", "limit": "7"},
        {"types": '["service"]', "sort_by": '{"parent_id":"asc","id":"asc"}'},
        {"types": '["host"]', "sort_by": '{"id":"ASC"}', "limit": "1000"},
        {"search": '{"h.name":{"$lk":"srv%"}}'},
        {"search": '{"$or":[{"status_code":2},{"name":{"$rg":"^db"}}]}'},
        {"statuses": '["CRITICAL","WARNING"]', "states": '["unhandled_problems"]'},
        {"hostgroup_names": '["Linux-Servers"]', "host_severity_levels": "[50]"},
        {"only_with_performance_data": "true"},
        {"cache": "x"},
        {"types": '["foo"]'},
        {"limit": "x"},
        {"page": "0"},
        {"search": '{"id":{"$in":"notalist"}}'},
    ]
    answers = [
        await exchange(session, "GET", url, token=token, params=p) for p in cases
    ]
    answers.append(await exchange(session, "GET", url))
    answers.append(await exchange(session, "GET", url, token="unknown"))
    return answers


async def _detail_answers(
    session: aiohttp.ClientSession, sim: Simulator, token: str
) -> list[Exchange]:
    api = sim.api_url
    answers = [
        await exchange(session, "GET", api + path, token=token)
        for path in sim.fleet.detail_paths
    ]
    host = sim.fleet.hosts[0]
    for path in (
        "/monitoring/resources/hosts/1",
        "/monitoring/resources/hosts/1/services/1",
        f"/monitoring/resources/hosts/{host.id}/services/999999",
    ):
        answers.append(await exchange(session, "GET", api + path, token=token))
    answers.append(await exchange(session, "GET", api + host.detail_path))
    answers.append(await exchange(session, "GET", api + host.detail_path, token="bad"))
    return answers


async def _legacy_answers(
    session: aiohttp.ClientSession, sim: Simulator, token: str
) -> list[Exchange]:
    api = sim.api_url
    host = sim.fleet.hosts[0]
    requests: list[tuple[str, dict[str, str]]] = [
        ("/monitoring/hosts", {"limit": "100"}),
        ("/monitoring/hosts", {"limit": "100", "show_service": "true"}),
        ("/monitoring/hosts", {"search": '{"host.name":{"$lk":"db%"}}'}),
        ("/monitoring/hosts", {"sort_by": '{"host.id":"DESC"}', "page": "2"}),
        ("/monitoring/hosts", {"limit": "x"}),
        ("/monitoring/services", {"limit": "100"}),
        ("/monitoring/services", {"search": '{"service.state":2}'}),
        (f"/monitoring/hosts/{host.id}/services", {}),
        ("/monitoring/hosts/1/services", {}),
    ]
    answers = [
        await exchange(session, "GET", api + path, token=token, params=params)
        for path, params in requests
    ]
    answers.append(await exchange(session, "GET", f"{api}/monitoring/hosts"))
    answers.append(
        await exchange(session, "GET", f"{api}/monitoring/services", token="x")
    )
    return answers


SCENARIOS = [
    pytest.param(_auth_answers, id="auth"),
    pytest.param(_listing_answers, id="listing"),
    pytest.param(_detail_answers, id="details"),
    pytest.param(_legacy_answers, id="legacy"),
]


def _failures(spec: OpenAPI, answers: list[Exchange]) -> list[str]:
    failures = []
    for answer in answers:
        try:
            assert_conforms(spec, answer)
        except Exception as exc:  # every failure goes into one report
            failures.append(f"{answer.method} {answer.url} -> {answer.status}: {exc!r}")
    return failures


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_spec_every_answer_conforms(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    openapi_spec: OpenAPI,
    scenario: Scenario,
) -> None:
    """Successes and errors of each route validate against their documented response."""
    async with simulator(hosts=25) as sim:
        token = await token_for(simulator_http, sim)
        answers = await scenario(simulator_http, sim, token)

    assert len({a.status for a in answers}) > 1
    assert _failures(openapi_spec, answers) == []


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_spec_every_answer_conforms_under_json_errors_and_drift(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    openapi_spec: OpenAPI,
    scenario: Scenario,
) -> None:
    """Answers conform under JSON 500s, drift, vanished and failing resources."""
    faults = FaultConfig(
        error_rate=0.2, drift_rate=0.5, vanish_rate=0.1, churn_rate=0.05,
        failing=frozenset({"h14"}), on_auth=True,
    )  # fmt: skip
    async with simulator(hosts=25, faults=faults) as sim:
        token = await token_for_retrying(simulator_http, sim)
        answers = await scenario(simulator_http, sim, token)

    assert any(a.status == 500 for a in answers)
    assert _failures(openapi_spec, answers) == []


async def token_for_retrying(session: aiohttp.ClientSession, sim: Simulator) -> str:
    """A token, logging in again while the error fault hits /login."""
    for _ in range(50):
        answer = await login(session, sim)
        if answer.status == 200:
            token: str = answer.json()["security"]["token"]
            return token
    raise AssertionError("login never succeeded")


async def test_spec_bad_sort_answers_documented_bad_request_envelope(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    openapi_spec: OpenAPI,
) -> None:
    """The malformed-sort 400 (not listed for the operation) has the Error shape."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/resources",
            token=token, params={"sort_by": "{bad"},
        )  # fmt: skip

    schema = openapi_spec.spec / "components" / "schemas" / "Error"
    with schema.open() as error_schema:
        required = error_schema["required"]
    assert answer.status == 400
    assert answer.content_type == "application/json"
    assert sorted(answer.json()) == sorted(required)


async def test_spec_false_duration_is_the_only_deviation(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    openapi_spec: OpenAPI,
) -> None:
    """The false-duration fault breaks the schema at ``duration`` and nowhere else."""
    faults = FaultConfig(false_duration_rate=1.0)
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http,
            "GET",
            sim.api_url + sim.fleet.hosts[0].detail_path,
            token=token,
        )
        repaired_body = answer.json()

    with pytest.raises(InvalidData):
        assert_conforms(openapi_spec, answer)
    assert repaired_body["duration"] is False
    repaired_body["duration"] = "1m"
    repaired = Exchange(
        method=answer.method,
        url=answer.url,
        request_headers=answer.request_headers,
        status=answer.status,
        headers=answer.headers,
        body=json.dumps(repaired_body).encode(),
    )
    assert_conforms(openapi_spec, repaired)


@pytest.mark.parametrize(
    ("faults", "status"),
    [
        pytest.param(FaultConfig(html_502_rate=1.0), 502, id="proxy-error"),
        pytest.param(
            FaultConfig(rate_limit_rate=1.0, retry_after_s=3), 429, id="rate-limit"
        ),
    ],
)
async def test_spec_proxy_pages_are_html_outside_the_api(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    faults: FaultConfig,
    status: int,
) -> None:
    """Proxy answers are HTML pages without Centreon's Api-Version header."""
    async with simulator(faults=faults) as sim:
        token = await token_for(simulator_http, sim)
        answer = await exchange(
            simulator_http, "GET", f"{sim.api_url}/monitoring/resources", token=token
        )

    assert answer.status == status
    assert answer.content_type == "text/html"
    assert answer.body.startswith(b"<!DOCTYPE HTML")
    assert "Api-Version" not in answer.headers
