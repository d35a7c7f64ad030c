"""Pytest plugin: a running simulated Centreon, a manual clock and the API spec.

``simulator`` is a factory: ``async with simulator(hosts=3, faults=...) as sim``
starts a :class:`~centreon.simulator.Simulator` on a free loopback port with
test defaults (small fleet, no latency) overridden by keyword arguments; pass
``clock=`` to inject time and ``sleep=`` to hold or record service times.
``openapi_spec`` loads ``tests/spec/centreon-openapi.yaml``, the subset of
Centreon's API description the product uses, and :func:`assert_conforms`
validates one exchange against it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from yarl import URL

from centreon.simulator import Simulator, SimulatorConfig

__all__ = [
    "SPEC_PATH",
    "Exchange",
    "ManualClock",
    "SimulatorFactory",
    "assert_conforms",
    "exchange",
    "login",
    "token_for",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO_ROOT / "tests" / "spec" / "centreon-openapi.yaml"

TEST_DEFAULTS: dict[str, Any] = {
    "seed": 7,
    "hosts": 12,
    "services_per_host": 5,
    "latency_ms": 0.0,
    "latency_spread": 0.0,
}

SimulatorFactory = Callable[..., Simulator]


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1_733_390_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the raw response the simulator gave."""

    method: str
    url: URL
    request_headers: Mapping[str, str]
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def json(self) -> Any:
        """The decoded JSON body."""
        return json.loads(self.body)


async def exchange(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    token: str | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> Exchange:
    """Send one request and keep the whole response."""
    sent = dict(headers or {})
    if token is not None:
        sent["X-AUTH-TOKEN"] = token
    async with session.request(
        method, url, params=params, headers=sent, data=data
    ) as response:
        body = await response.read()
        return Exchange(
            method=method,
            url=response.url,
            request_headers=sent,
            status=response.status,
            headers=dict(response.headers),
            body=body,
        )


async def login(
    session: aiohttp.ClientSession,
    sim: Simulator,
    *,
    username: str = "admin",
    password: str = "centreon",
) -> Exchange:
    """``POST /login`` with the given credentials."""
    body = {"security": {"credentials": {"login": username, "password": password}}}
    return await exchange(
        session, "POST", f"{sim.api_url}/login", data=json.dumps(body).encode()
    )


async def token_for(session: aiohttp.ClientSession, sim: Simulator) -> str:
    """A fresh token for the default account."""
    answer = await login(session, sim)
    assert answer.status == 200, answer.body
    token: str = answer.json()["security"]["token"]
    return token


def assert_conforms(spec: OpenAPI, answer: Exchange) -> None:
    """Fail unless the response is one the spec documents for that request."""
    url = answer.url
    request = MockRequest(
        host_url=f"{url.scheme}://{url.host}:{url.port}",
        method=answer.method,
        path=url.path,
        args=dict(url.query),
        headers=dict(answer.request_headers),
    )
    response = MockResponse(
        data=answer.body,
        status_code=answer.status,
        headers=dict(answer.headers),
        content_type=answer.content_type or "application/octet-stream",
    )
    spec.validate_response(request, response)


@pytest.fixture(scope="session")
def openapi_spec() -> OpenAPI:
    """The subset of Centreon's API description that the simulator answers to."""
    return OpenAPI.from_file_path(str(SPEC_PATH))


@pytest.fixture
def sim_clock() -> ManualClock:
    """A manual clock for tests whose behaviour depends on time."""
    return ManualClock()


@pytest.fixture
def simulator() -> SimulatorFactory:
    """A factory of simulators: ``async with simulator(**overrides) as sim``."""

    def make(
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **overrides: Any,
    ) -> Simulator:
        config = SimulatorConfig(**{**TEST_DEFAULTS, **overrides})
        return Simulator(config, clock=clock, sleep=sleep)

    return make


@pytest.fixture
async def simulator_http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session without cookies, closed after the test."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session
