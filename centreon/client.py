"""The HTTP client for Centreon's REST API v2: the only module that speaks aiohttp.

A :class:`CentreonClient` owns one aiohttp session for its life (one shard, one
discovery): explicit timeouts, no cookie jar, keep-alive connections sized to
its concurrency, ``Accept-Encoding: gzip`` and TLS verification (optionally
against a CA bundle). Every aiohttp exception is translated here, once, into
:mod:`centreon.errors`. Each request goes through the same path:

* the token from :class:`~centreon.auth.TokenKeeper` in ``X-AUTH-TOKEN``,
  renewed single-flight when refused;
* a slot from the :class:`~centreon.limiter.AIMDLimiter`, so no more than the
  client's concurrency is ever in flight;
* retries of transient failures under a :class:`~centreon.retry.RetryPolicy`
  and the client's :class:`~centreon.retry.RetryBudget`;
* JSON decoding with orjson; anything that is not JSON is a
  :class:`~centreon.errors.MalformedResponseError`.

URLs in errors and logs are redacted: only allowlisted query parameters keep
their values, and the token never appears in a URL at all.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random as _random
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

from centreon.auth import TokenKeeper
from centreon.errors import (
    AccessDeniedError,
    CentreonError,
    CertificateError,
    HTTPStatusError,
    LoginError,
    MalformedResponseError,
    RequestTimeoutError,
    TransportError,
)
from centreon.limiter import AIMDLimiter
from centreon.retry import (
    DEFAULT_BUDGET_FLOOR,
    RetryBudget,
    RetryPolicy,
    call_with_retries,
)
from centreon.settings import CentreonSettings

__all__ = ["CentreonClient", "ClientStats", "LatencyHistogram"]

logger = logging.getLogger(__name__)

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
SAFE_QUERY_PARAMETERS = frozenset({"page", "limit", "types", "sort_by", "search"})
_OVERLOAD_STATUSES = frozenset({429, 503})
_AUTH_STATUSES = frozenset({401, 403})
_HTML_TITLE = re.compile(rb"<title>([^<]{1,120})</title>", re.IGNORECASE)
_LOG_STEP = math.log(1.02)


class LatencyHistogram:
    """Latencies in 2 % wide buckets: percentiles in bounded memory."""

    __slots__ = ("_buckets", "count")

    def __init__(self) -> None:
        self._buckets: dict[int, int] = {}
        self.count = 0

    def add(self, seconds: float) -> None:
        """Record one latency."""
        index = int(math.log(max(seconds * 1000.0, 0.01)) / _LOG_STEP)
        self._buckets[index] = self._buckets.get(index, 0) + 1
        self.count += 1

    def percentile_ms(self, fraction: float) -> float | None:
        """The latency (ms) below which ``fraction`` of the samples fall."""
        if not self.count:
            return None
        rank = max(1, math.ceil(fraction * self.count))
        seen = 0
        for index in sorted(self._buckets):
            seen += self._buckets[index]
            if seen >= rank:
                return round(math.exp((index + 0.5) * _LOG_STEP), 1)

        raise AssertionError("unreachable: ranks never exceed the count")


@dataclass(slots=True)
class ClientStats:
    """What a client did: HTTP exchanges, retries, refusals, latency.

    Logins are counted once, by the token keeper: see ``CentreonClient.logins``.
    """

    requests: int = 0
    retries: int = 0
    refused: int = 0
    timeouts: int = 0
    transport_errors: int = 0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    # A /login body holds the session token.
    body: bytes = field(repr=False)
    retry_after_s: float | None


def _ssl_context(settings: CentreonSettings) -> ssl.SSLContext | bool:
    if not settings.url.startswith("https://"):
        return True
    if not settings.verify_tls:
        return False

    return ssl.create_default_context(cafile=settings.ca_bundle)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    # An HTTP date is measured against the response's own Date header, so no
    # local clock is consulted.
    date = headers.get("Date")
    if date is None:
        return None
    try:
        delta = parsedate_to_datetime(value) - parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return None

    return max(delta.total_seconds(), 0.0)


def _detail(body: bytes) -> str | None:
    if not body.strip():
        return "empty body"
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        title = _HTML_TITLE.search(body)
        if title:
            return "HTML page: " + title.group(1).decode("utf-8", "replace").strip()
        return "body is not JSON"
    if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
        message: str = decoded["message"]
        return message[:200]

    return None


class CentreonClient:
    """One Centreon API session: sign-in, bounded concurrency, retries, stats.

    Use as ``async with CentreonClient(settings) as client``; entering signs
    in (failing fast with :class:`~centreon.errors.LoginError` on refused
    credentials), leaving signs out and closes every connection.
    ``concurrency`` (default ``settings.max_concurrency``) is the ceiling of
    requests in flight; ``sleep``, ``clock`` and ``random`` are injectable for
    tests.
    """

    def __init__(
        self,
        settings: CentreonSettings,
        *,
        concurrency: int | None = None,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.settings = settings
        self.concurrency = concurrency or settings.max_concurrency
        self.policy = policy or RetryPolicy()
        # The floor covers one refused burst at full concurrency, so a server
        # that starts busy is probed by the limiter instead of failing the run.
        self.budget = budget or RetryBudget(
            floor=max(DEFAULT_BUDGET_FLOOR, 2 * self.concurrency)
        )
        self.limiter = AIMDLimiter(self.concurrency)
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._base = settings.url
        self._tokens = TokenKeeper.from_settings(settings, login=self._login)
        self._session: aiohttp.ClientSession | None = None
        self._auth_headers: tuple[int, dict[str, str]] = (-1, {})

    def __repr__(self) -> str:
        return f"CentreonClient(url={self._base!r}, concurrency={self.concurrency})"

    async def __aenter__(self) -> CentreonClient:
        connector = aiohttp.TCPConnector(
            limit=self.concurrency,
            ssl=_ssl_context(self.settings),
            keepalive_timeout=60.0,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(
                total=self.settings.timeout_s, sock_connect=self.settings.timeout_s
            ),
            headers={"Accept": "application/json", "Accept-Encoding": "gzip"},
            raise_for_status=False,
        )
        try:
            if self._tokens.renewable:
                await self._tokens.current()
        except BaseException:
            await self._session.close()
            self._session = None
            raise

        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if self._tokens.renewable and self._tokens.token is not None:
                await self._logout(session)
        finally:
            await session.close()

    @property
    def logins(self) -> int:
        """Logins attempted by this client (the first one included)."""
        return self._tokens.logins

    def redact(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The request URL as it may appear in logs and errors."""
        url = self._base + path
        if not params:
            return url
        safe = {
            key: value if key in SAFE_QUERY_PARAMETERS else "REDACTED"
            for key, value in params.items()
        }

        return f"{url}?{urlencode(safe)}"

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` (relative to the API base) and return the decoded JSON.

        Transient failures are retried; a refused token is renewed once. Raises
        a :class:`~centreon.errors.CentreonError` subclass when the request
        fails for good: :class:`~centreon.errors.HTTPStatusError` for an
        unusable status (404 included), ``MalformedResponseError`` for a 200
        that is not JSON, ``AccessDeniedError``, ``LoginError``,
        ``RetryBudgetExhaustedError``, or the last transient error.
        """
        return await call_with_retries(
            lambda: self._get_signed_in(path, params),
            url=self.redact(path, params),
            policy=self.policy,
            budget=self.budget,
            sleep=self._retry_sleep,
            random=self._random,
        )

    async def _retry_sleep(self, seconds: float) -> None:
        self.stats.retries += 1
        await self._sleep(seconds)

    def _headers(self, token: str, generation: int) -> dict[str, str]:
        cached_generation, headers = self._auth_headers
        if cached_generation != generation:
            headers = {"X-AUTH-TOKEN": token}
            self._auth_headers = (generation, headers)

        return headers

    async def _get_signed_in(self, path: str, params: Mapping[str, str] | None) -> Any:
        renewed = False
        while True:
            token, generation = await self._tokens.current()
            answer = await self._exchange(
                "GET", path, params, headers=self._headers(token, generation)
            )
            if answer.status == 200:
                return self._decode(answer, path, params)
            if answer.status not in _AUTH_STATUSES:
                raise self._status_error(answer, path, params)
            if renewed or not self._tokens.renewable:
                reason = (
                    "refused again right after a fresh login"
                    if renewed
                    else "refused the API token"
                )
                raise AccessDeniedError(
                    f"HTTP {answer.status}: Centreon {reason}",
                    url=self.redact(path, params),
                )
            await self._tokens.renew(generation)
            renewed = True

    def _decode(
        self, answer: _Answer, path: str, params: Mapping[str, str] | None
    ) -> Any:
        try:
            return orjson.loads(answer.body)
        except orjson.JSONDecodeError as exc:
            raise MalformedResponseError(
                f"HTTP {answer.status} with a body that is not JSON",
                url=self.redact(path, params),
            ) from exc

    def _status_error(
        self, answer: _Answer, path: str, params: Mapping[str, str] | None
    ) -> HTTPStatusError:
        return HTTPStatusError(
            answer.status,
            url=self.redact(path, params),
            detail=_detail(answer.body),
            retry_after_s=answer.retry_after_s,
        )

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> _Answer:
        session = session or self._session
        if session is None:
            raise RuntimeError("CentreonClient is not open; use 'async with'")
        limiter = self.limiter
        ticket = await limiter.acquire()
        stats = self.stats
        stats.requests += 1
        overloaded = False
        latency: float | None = None
        unreadable: TransportError | None = None
        started = self._clock()
        try:
            async with session.request(
                method, self._base + path, params=params, headers=headers, data=body
            ) as response:
                payload = await response.read()
                status = response.status
                retry_after = (
                    _retry_after(response.headers)
                    if status in _OVERLOAD_STATUSES
                    else None
                )
            elapsed = self._clock() - started
            stats.latency.add(elapsed)
            if status in _OVERLOAD_STATUSES:
                stats.refused += 1
                overloaded = True
            elif status == 200:
                latency = elapsed
        except TimeoutError as exc:
            stats.timeouts += 1
            overloaded = True
            raise RequestTimeoutError(
                f"no answer within {self.settings.timeout_s:g} s",
                url=self.redact(path, params),
            ) from exc
        except aiohttp.ClientConnectorCertificateError as exc:
            raise CertificateError(
                "the server's TLS certificate did not verify; for a private CA "
                "set CENTREON_CA_BUNDLE",
                url=self.redact(path, params),
            ) from exc
        except aiohttp.ClientResponseError as exc:
            stats.transport_errors += 1
            # Its request_info holds the request headers (X-AUTH-TOKEN) and its
            # message may echo the server's bytes, so it leaves no trace: only
            # its type and status are copied, and the raise below is outside
            # this handler so that neither __cause__ nor __context__ keep it.
            unreadable = TransportError(
                f"unreadable answer: {type(exc).__name__} (status {exc.status})",
                url=self.redact(path, params),
            )
        except aiohttp.ClientError as exc:
            stats.transport_errors += 1
            raise TransportError(
                f"connection failed: {type(exc).__name__}",
                url=self.redact(path, params),
            ) from exc
        finally:
            limiter.release(ticket, overloaded=overloaded, latency_s=latency)
        if unreadable is not None:
            raise unreadable
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "centreon request",
                extra={
                    "url": self.redact(path, params),
                    "status": status,
                    "bytes": len(payload),
                    "duration_ms": round(elapsed * 1000.0, 1),
                },
            )

        return _Answer(status, payload, retry_after)

    async def _login(self, username: str, password: str) -> str:
        body = orjson.dumps(
            {"security": {"credentials": {"login": username, "password": password}}}
        )

        async def attempt() -> str:
            answer = await self._exchange(
                "POST",
                LOGIN_PATH,
                None,
                headers={"Content-Type": "application/json"},
                body=body,
            )
            if answer.status == 401:
                raise LoginError(
                    f"Centreon refused the login of user {username!r} (HTTP 401); "
                    "not retrying, to keep the account from being locked",
                    url=self.redact(LOGIN_PATH),
                )
            if answer.status != 200:
                raise self._status_error(answer, LOGIN_PATH, None)
            decoded = self._decode(answer, LOGIN_PATH, None)
            security = decoded.get("security") if isinstance(decoded, dict) else None
            token = security.get("token") if isinstance(security, dict) else None
            if not isinstance(token, str) or not token:
                raise MalformedResponseError(
                    "HTTP 200 without security.token", url=self.redact(LOGIN_PATH)
                )

            return token

        token = await call_with_retries(
            attempt,
            url=self.redact(LOGIN_PATH),
            policy=self.policy,
            budget=self.budget,
            sleep=self._retry_sleep,
            random=self._random,
        )
        logger.info("signed in to centreon", extra={"url": self.redact(LOGIN_PATH)})

        return token

    async def _logout(self, session: aiohttp.ClientSession) -> None:
        token = self._tokens.forget()
        if token is None:
            return
        try:
            answer = await self._exchange(
                "GET",
                LOGOUT_PATH,
                None,
                headers={"X-AUTH-TOKEN": token},
                session=session,
            )
        except CentreonError as exc:
            logger.warning(
                "sign-out failed",
                extra={"url": self.redact(LOGOUT_PATH), "error": str(exc)},
            )
            return
        if answer.status != 200:
            logger.warning(
                "sign-out refused",
                extra={"url": self.redact(LOGOUT_PATH), "status": answer.status},
            )
