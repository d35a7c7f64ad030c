"""Token keeping: single-flight renewal, final refusals, hidden secrets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from centreon.auth import Credentials, TokenKeeper
from centreon.client import CentreonClient
from centreon.errors import AccessDeniedError, LoginError, MalformedResponseError
from centreon.settings import CentreonSettings
from tests.simulator_fixtures import SimulatorFactory

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
LOGINS = web.AppKey("logins", list[int])

PASSWORD = "Sup3r-s3cret"


class FakeLogin:
    """A login that yields to the loop (as a real request does) and counts calls."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.calls = 0
        self.refuse = refuse

    async def __call__(self, username: str, password: str) -> str:
        self.calls += 1
        await asyncio.sleep(0)
        if self.refuse:
            raise LoginError("Centreon refused the login")
        return f"token-{self.calls}"


async def test_token_keeper_renews_once_for_many_refusals_of_one_token() -> None:
    """Twenty refusals of the same token cause exactly one login."""
    login = FakeLogin()
    keeper = TokenKeeper(login=login, credentials=Credentials("admin", PASSWORD))
    _, generation = await keeper.current()

    await asyncio.gather(*(keeper.renew(generation) for _ in range(20)))

    assert (login.calls, keeper.logins) == (2, 2)
    assert await keeper.current() == ("token-2", generation + 1)


async def test_token_keeper_remembers_a_refused_login() -> None:
    """After a refused login, later renewals fail without another attempt."""
    login = FakeLogin(refuse=True)
    keeper = TokenKeeper(login=login, credentials=Credentials("admin", PASSWORD))

    results = await asyncio.gather(
        *(keeper.current() for _ in range(5)), return_exceptions=True
    )

    assert all(isinstance(result, LoginError) for result in results)
    assert login.calls == 1


async def test_token_keeper_never_renews_an_api_token() -> None:
    """A refused API token is final: AccessDeniedError, no login."""
    login = FakeLogin()
    keeper = TokenKeeper(login=login, api_token="made-in-the-ui")
    _, generation = await keeper.current()

    with pytest.raises(AccessDeniedError):
        await keeper.renew(generation)

    assert login.calls == 0


def test_token_keeper_uses_the_api_token_from_settings() -> None:
    """Settings with CENTREON_API_TOKEN give a keeper that cannot renew."""
    settings = CentreonSettings(
        url="https://c.test/centreon/api/latest", api_token="tok"
    )

    keeper = TokenKeeper.from_settings(settings, login=FakeLogin())

    assert (keeper.renewable, keeper.token) == (False, "tok")


def test_credentials_repr_hides_the_password() -> None:
    """The password is not part of the credentials' repr."""
    assert PASSWORD not in repr(Credentials("admin", PASSWORD))


async def test_client_renews_a_dropped_session_once_for_concurrent_requests(
    simulator: SimulatorFactory,
) -> None:
    """Twenty requests in flight when Centreon restarts cause one login, then all
    succeed with the new token."""
    async with simulator(latency_ms=5.0) as sim:
        settings = CentreonSettings(
            url=sim.api_url, username="admin", password="centreon", max_concurrency=20
        )
        paths = [resource.detail_path for resource in sim.fleet.resources[:20]]
        async with CentreonClient(settings) as client:
            sim.restart()
            bodies = await asyncio.gather(*(client.get_json(path) for path in paths))

        assert len(bodies) == 20
        assert (sim.counters.logins_ok, client.logins) == (2, 2)
        assert (
            sim.counters.status_count("host_detail", 401)
            + sim.counters.status_count("service_detail", 401)
            == 20
        )


def forbidding_app(refusals: int) -> web.Application:
    """Centreon answering 403 to the first ``refusals`` data requests."""
    logins: list[int] = []
    left = [refusals]

    async def login(request: web.Request) -> web.Response:
        logins.append(1)
        return web.json_response({"security": {"token": f"token-{len(logins)}"}})

    async def logout(request: web.Request) -> web.Response:
        return web.json_response({"message": "Successful logout"})

    async def data(request: web.Request) -> web.Response:
        if left[0]:
            left[0] -= 1
            return web.json_response(
                {"code": 403, "message": "You are not authorized"}, status=403
            )
        return web.json_response({"token": request.headers["X-AUTH-TOKEN"]})

    app = web.Application()
    app[LOGINS] = logins
    app.router.add_post("/centreon/api/latest/login", login)
    app.router.add_get("/centreon/api/latest/logout", logout)
    app.router.add_get("/centreon/api/latest/monitoring/resources", data)
    return app


def password_settings(server: TestServer) -> CentreonSettings:
    return CentreonSettings(
        url=str(server.make_url("/centreon/api/latest")),
        username="admin",
        password=PASSWORD,
    )


async def test_client_signs_in_again_once_on_a_403(
    aiohttp_server: ServerFactory,
) -> None:
    """A 403 is answered with one fresh login; the retry uses the new token."""
    server = await aiohttp_server(forbidding_app(refusals=1))

    async with CentreonClient(password_settings(server)) as client:
        body = await client.get_json("/monitoring/resources")

    assert body == {"token": "token-2"}
    assert server.app is not None
    assert len(server.app[LOGINS]) == 2


async def test_client_gives_up_on_a_403_after_a_fresh_login(
    aiohttp_server: ServerFactory,
) -> None:
    """A second 403 right after a fresh login is AccessDeniedError, no third login."""
    server = await aiohttp_server(forbidding_app(refusals=2))

    async with CentreonClient(password_settings(server)) as client:
        with pytest.raises(AccessDeniedError, match="after a fresh login"):
            await client.get_json("/monitoring/resources")

    assert server.app is not None
    assert len(server.app[LOGINS]) == 2


async def test_client_rejects_a_login_answer_without_a_token(
    aiohttp_server: ServerFactory,
) -> None:
    """A 200 from /login whose security block is not an object is malformed."""

    async def login(request: web.Request) -> web.Response:
        return web.json_response({"security": "no token here"})

    app = web.Application()
    app.router.add_post("/centreon/api/latest/login", login)
    server = await aiohttp_server(app)

    with pytest.raises(MalformedResponseError, match=r"security\.token"):
        async with CentreonClient(password_settings(server)):
            pass
