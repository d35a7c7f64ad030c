"""Sessions: login, tokens, expiry, lockout, logout, API tokens, restarts."""

from __future__ import annotations

import asyncio
import base64
import re

import aiohttp

from tests.simulator_fixtures import (
    ManualClock,
    SimulatorFactory,
    exchange,
    login,
    token_for,
)

RESOURCES = "/monitoring/resources"


async def test_login_returns_64_char_base64_token(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A successful login answers a 64-character token over the base64 alphabet."""
    async with simulator() as sim:
        answer = await login(simulator_http, sim)

    token = answer.json()["security"]["token"]
    assert answer.status == 200
    assert re.fullmatch(r"[A-Za-z0-9+/]{64}", token)
    assert base64.b64decode(token + "=" * (-len(token) % 4))


async def test_login_returns_new_token_each_time(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Two logins give two different tokens that both work."""
    async with simulator() as sim:
        first = await token_for(simulator_http, sim)
        second = await token_for(simulator_http, sim)
        answers = [
            await exchange(simulator_http, "GET", sim.api_url + RESOURCES, token=t)
            for t in (first, second)
        ]

    assert first != second
    assert [a.status for a in answers] == [200, 200]


async def test_login_wrong_password_answers_401_envelope(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A wrong password gets 401 with code and "Authentication failed"."""
    async with simulator() as sim:
        answer = await login(simulator_http, sim, password="wrong")

    assert answer.status == 401
    assert answer.json() == {"code": 401, "message": "Authentication failed"}


async def test_login_unknown_user_answers_same_401(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """An unknown user gets the very same 401 as a wrong password."""
    async with simulator() as sim:
        answer = await login(simulator_http, sim, username="nobody")

    assert answer.status == 401
    assert answer.json() == {"code": 401, "message": "Authentication failed"}


async def test_login_malformed_body_answers_400(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A body that is not JSON is refused with a 400 envelope."""
    async with simulator() as sim:
        answer = await exchange(
            simulator_http, "POST", f"{sim.api_url}/login", data=b"{not json"
        )

    assert answer.status == 400
    assert answer.json()["code"] == 400


async def test_login_locks_account_after_five_failures(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """After five failures even the right password fails until 900 s pass."""
    async with simulator(clock=sim_clock) as sim:
        for _ in range(5):
            await login(simulator_http, sim, password="wrong")
        locked = await login(simulator_http, sim)
        sim_clock.advance(899)
        still_locked = await login(simulator_http, sim)
        sim_clock.advance(2)
        unlocked = await login(simulator_http, sim)

    assert locked.status == 401
    assert locked.json() == {"code": 401, "message": "Authentication failed"}
    assert still_locked.status == 401
    assert unlocked.status == 200
    assert sim.counters.logins_failed == 7
    assert sim.counters.logins_ok == 1


async def test_login_success_resets_failure_count(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Four failures, a success and four more failures do not lock the account."""
    async with simulator() as sim:
        for _ in range(4):
            await login(simulator_http, sim, password="wrong")
        await login(simulator_http, sim)
        for _ in range(4):
            await login(simulator_http, sim, password="wrong")
        answer = await login(simulator_http, sim)

    assert answer.status == 200


async def test_token_missing_answers_403(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A data call without X-AUTH-TOKEN gets 403 with the standard envelope."""
    async with simulator() as sim:
        answer = await exchange(simulator_http, "GET", sim.api_url + RESOURCES)

    assert answer.status == 403
    assert answer.json() == {
        "code": 403,
        "message": "You are not authorized to access this resource",
    }


async def test_token_unknown_answers_401_without_code(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """An unknown token gets 401 whose body has a message and no code."""
    async with simulator() as sim:
        answer = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token="x" * 64
        )

    assert answer.status == 401
    assert answer.json() == {"message": "Invalid credentials."}


async def test_token_expires_after_idle_time(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """A token unused for the session expiry time is refused."""
    async with simulator(clock=sim_clock, session_expire_min=10) as sim:
        token = await token_for(simulator_http, sim)
        sim_clock.advance(600)
        answer = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token=token
        )

    assert answer.status == 401
    assert answer.json() == {"message": "Invalid credentials."}


async def test_token_use_slides_expiry(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """Each use pushes the expiry back, so a busy token outlives the idle time."""
    async with simulator(clock=sim_clock, session_expire_min=10) as sim:
        token = await token_for(simulator_http, sim)
        statuses = []
        for _ in range(5):
            sim_clock.advance(500)
            answer = await exchange(
                simulator_http, "GET", sim.api_url + RESOURCES, token=token
            )
            statuses.append(answer.status)

    assert statuses == [200] * 5


async def test_token_dies_at_maximum_age_even_when_used(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """With a maximum token age, a token in constant use still dies at that age."""
    async with simulator(clock=sim_clock, max_token_age_s=1000) as sim:
        token = await token_for(simulator_http, sim)
        statuses = []
        for _ in range(3):
            sim_clock.advance(400)
            answer = await exchange(
                simulator_http, "GET", sim.api_url + RESOURCES, token=token
            )
            statuses.append(answer.status)

    assert statuses == [200, 200, 401]


async def test_logout_deletes_token(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """After logout the token is refused like an unknown one."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        bye = await exchange(
            simulator_http, "GET", f"{sim.api_url}/logout", token=token
        )
        after = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token=token
        )

    assert bye.status == 200
    assert bye.json() == {"message": "Successful logout"}
    assert after.status == 401
    assert sim.counters.logouts == 1


async def test_logout_without_token_answers_401_with_code(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Logout without the header gets 401 with the code envelope."""
    async with simulator() as sim:
        answer = await exchange(simulator_http, "GET", f"{sim.api_url}/logout")

    assert answer.status == 401
    assert answer.json() == {"code": 401, "message": "Authentication failed"}


async def test_api_token_works_without_login(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A configured manual API token is accepted in X-AUTH-TOKEN."""
    async with simulator(api_token="manual-token-1") as sim:
        answer = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token="manual-token-1"
        )

    assert answer.status == 200
    assert sim.counters.logins_ok == 0


async def test_api_token_configured_refuses_a_non_ascii_token_with_401(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """With an API token configured, a non-ASCII X-AUTH-TOKEN is an unknown token."""
    async with simulator(api_token="manual-token-1") as sim:
        answer = await exchange(
            simulator_http,
            "GET",
            sim.api_url + RESOURCES,
            token="t\u00f6k\u00e9n-\u2713",
        )

    assert answer.status == 401
    assert answer.json() == {"message": "Invalid credentials."}


async def test_api_token_configured_refuses_a_token_of_invalid_utf8_with_401(
    simulator: SimulatorFactory,
) -> None:
    """A header value whose bytes are not UTF-8 is an unknown token, not a 500."""
    async with simulator(api_token="manual-token-1") as sim:
        reader, writer = await asyncio.open_connection(sim.config.host, sim.port)
        writer.write(
            f"GET /centreon/api/latest{RESOURCES} HTTP/1.1\r\n".encode()
            + b"Host: centreon\r\nX-AUTH-TOKEN: tok\xff\xfe\r\n"
            + b"Connection: close\r\n\r\n"
        )
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        await writer.wait_closed()

    assert status_line.split()[1] == b"401"


async def test_api_token_expires_at_fixed_time_despite_use(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    sim_clock: ManualClock,
) -> None:
    """A manual API token is not refreshed by use and stops at its expiry."""
    async with simulator(
        clock=sim_clock, api_token="manual-token-1", api_token_expires_after_s=300
    ) as sim:
        statuses = []
        for _ in range(3):
            sim_clock.advance(120)
            answer = await exchange(
                simulator_http, "GET", sim.api_url + RESOURCES, token="manual-token-1"
            )
            statuses.append(answer.status)

    assert statuses == [200, 200, 401]


async def test_api_token_survives_restart(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A restart drops login sessions but not the stored manual API token."""
    async with simulator(api_token="manual-token-1") as sim:
        token = await token_for(simulator_http, sim)
        sim.restart()
        manual = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token="manual-token-1"
        )
        session = await exchange(
            simulator_http, "GET", sim.api_url + RESOURCES, token=token
        )

    assert manual.status == 200
    assert session.status == 401


async def test_admin_restart_drops_every_session(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """POST /_simulator/restart invalidates all tokens at once."""
    async with simulator() as sim:
        tokens = [await token_for(simulator_http, sim) for _ in range(3)]
        restart = await exchange(simulator_http, "POST", f"{sim.admin_url}/restart")
        answers = [
            await exchange(simulator_http, "GET", sim.api_url + RESOURCES, token=t)
            for t in tokens
        ]

    assert restart.json() == {"sessions_dropped": 3}
    assert [a.status for a in answers] == [401, 401, 401]
    assert sim.counters.restarts == 1
