"""The Centreon API token: obtained once, renewed once per expiry, never leaked.

Two ways of signing in, chosen by the settings:

* username and password: ``POST /login`` gives a token; when the server says
  the token is no longer good (401, or 403 once), one request logs in again
  while every other request that saw the dead token waits for that login and
  then retries with the new token. A refused login is final: Centreon locks an
  account after five failures, so the refusal is remembered and re-raised to
  every later caller without another attempt.
* an API token made in Centreon's UI: sent as is, never renewed; a 401 or 403
  for it is final.

The token lives only in this object and in the ``X-AUTH-TOKEN`` header built
from it; it is not part of any ``repr``, message or log record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from centreon.errors import AccessDeniedError, LoginError
from centreon.settings import CentreonSettings

__all__ = ["Credentials", "TokenKeeper"]

logger = logging.getLogger(__name__)

Login = Callable[[str, str], Awaitable[str]]


class Credentials:
    """Username and password, kept out of ``repr``."""

    __slots__ = ("_password", "username")

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<redacted>)"

    @property
    def password(self) -> str:
        """The password, for the login request body only."""
        return self._password


class TokenKeeper:
    """Holds the current token and renews it single-flight.

    ``login(username, password)`` performs ``POST /login`` and returns the
    token; it is given by the client, which owns the HTTP session. Each token
    has a generation number; a request reports the generation it used when
    the token was refused, so many refusals of one token cause one login.
    """

    __slots__ = (
        "_credentials",
        "_failure",
        "_generation",
        "_lock",
        "_login",
        "_token",
        "logins",
    )

    def __init__(
        self,
        *,
        login: Login,
        credentials: Credentials | None = None,
        api_token: str | None = None,
    ) -> None:
        if (credentials is None) == (api_token is None):
            raise ValueError("give either credentials or an API token")
        self._login = login
        self._credentials = credentials
        self._token = api_token
        self._generation = 0 if api_token is None else 1
        self._failure: LoginError | None = None
        self._lock = asyncio.Lock()
        self.logins = 0

    @classmethod
    def from_settings(cls, settings: CentreonSettings, *, login: Login) -> TokenKeeper:
        """Pick the sign-in method the settings describe."""
        if settings.api_token:
            return cls(login=login, api_token=settings.api_token)
        if settings.username is None or settings.password is None:
            raise ValueError("settings have neither an API token nor credentials")

        return cls(
            login=login, credentials=Credentials(settings.username, settings.password)
        )

    @property
    def renewable(self) -> bool:
        """True when the token comes from ``/login`` and can be renewed."""
        return self._credentials is not None

    @property
    def token(self) -> str | None:
        """The current token, or None before the first login."""
        return self._token

    async def current(self) -> tuple[str, int]:
        """The token to send and its generation, logging in first if needed."""
        token = self._token
        if token is not None:
            return token, self._generation
        await self.renew(self._generation)

        return self.current_now()

    def current_now(self) -> tuple[str, int]:
        """The token and generation as they are; a login must have happened."""
        if self._token is None:
            raise AccessDeniedError("no API token is available")

        return self._token, self._generation

    async def renew(self, refused_generation: int) -> None:
        """Replace the token of ``refused_generation`` unless already replaced.

        Raises :class:`LoginError` when the server refuses the credentials
        (now or at an earlier attempt) and :class:`AccessDeniedError` for a
        refused API token, which cannot be renewed.
        """
        if self._credentials is None:
            raise AccessDeniedError(
                "the API token was refused; make a new one in Centreon"
            )
        async with self._lock:
            if self._failure is not None:
                raise self._failure
            if self._generation != refused_generation:
                return
            if self._token is not None:
                logger.warning("token refused, signing in again")
            try:
                token = await self._login(
                    self._credentials.username, self._credentials.password
                )
            except LoginError as exc:
                self._failure = exc
                raise
            finally:
                self.logins += 1
            self._token = token
            self._generation += 1

    def forget(self) -> str | None:
        """Drop the token (after logout) and return what it was."""
        token, self._token = self._token, None

        return token
