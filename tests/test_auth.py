"""Token keeping: single-flight renewal, final refusals, hidden secrets."""

from __future__ import annotations

import asyncio

import pytest

from centreon.auth import Credentials, TokenKeeper
from centreon.errors import AccessDeniedError, LoginError
from centreon.settings import CentreonSettings

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
