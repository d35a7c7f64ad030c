"""When to try a Centreon request again, how long to wait, and when to give up.

A failure is worth another attempt when its exception says so
(:attr:`~centreon.errors.CentreonLakeError.transient`): connection errors,
timeouts and the statuses 429, 500, 502, 503 and 504. Waits grow
exponentially with full jitter; a ``Retry-After`` from the server replaces the
jittered wait, up to a cap. Each request has a bounded number of attempts, and
a :class:`RetryBudget` shared by every request of a client stops retrying
altogether once retries pass a fraction of the requests made: a server that
keeps failing is sick, and hammering it makes it worse.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from centreon.errors import CentreonError, HTTPStatusError, RetryBudgetExhaustedError

__all__ = [
    "DEFAULT_BUDGET_FLOOR",
    "DEFAULT_BUDGET_RATIO",
    "RetryBudget",
    "RetryPolicy",
    "call_with_retries",
]

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_RATIO = 0.10
DEFAULT_BUDGET_FLOOR = 10

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts per request and the shape of the waits between them."""

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 20.0
    retry_after_cap_s: float = 30.0

    def delay(
        self,
        retry: int,
        retry_after_s: float | None = None,
        *,
        random: Callable[[], float] = _random.random,
    ) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry).

        The server's ``Retry-After`` wins when given, capped at
        ``retry_after_cap_s``; otherwise a uniformly random wait up to
        ``base_delay_s * 2 ** (retry - 1)``, capped at ``max_delay_s``.
        """
        if retry_after_s is not None:
            return min(max(retry_after_s, 0.0), self.retry_after_cap_s)

        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))

        return random() * ceiling


class RetryBudget:
    """Retries allowed for a client's whole life, relative to its requests.

    A retry is allowed while the retries spent stay within
    ``max(floor, ratio * requests)``, so a short run may still retry a few
    times while a long one tolerates about ``ratio`` of its requests failing.
    """

    __slots__ = ("floor", "ratio", "requests", "retries")

    def __init__(
        self, ratio: float = DEFAULT_BUDGET_RATIO, floor: int = DEFAULT_BUDGET_FLOOR
    ) -> None:
        self.ratio = ratio
        self.floor = floor
        self.requests = 0
        self.retries = 0

    @property
    def allowance(self) -> float:
        """The number of retries the requests made so far allow."""
        return max(float(self.floor), self.ratio * self.requests)

    def record_request(self) -> None:
        """Count one request (its first attempt)."""
        self.requests += 1

    def spend(self) -> bool:
        """Take one retry from the budget; False when none is left."""
        if self.retries + 1 > self.allowance:
            return False
        self.retries += 1

        return True


def _describe(exc: CentreonError) -> str:
    if isinstance(exc, HTTPStatusError):
        return f"HTTP {exc.status}"

    return type(exc).__name__


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    url: str,
    policy: RetryPolicy,
    budget: RetryBudget,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    random: Callable[[], float] = _random.random,
) -> T:
    """Run ``attempt`` until it succeeds or fails for good.

    Terminal errors (``transient`` false) propagate at once. A transient error
    is retried after :meth:`RetryPolicy.delay` until ``policy.max_attempts``
    is reached, when it propagates; if the budget has no retry left,
    :class:`RetryBudgetExhaustedError` is raised from it. ``url`` (redacted)
    names the request in logs and errors.
    """
    budget.record_request()
    tries = 0
    while True:
        tries += 1
        try:
            return await attempt()
        except CentreonError as exc:
            if not exc.transient or tries >= policy.max_attempts:
                raise
            if not budget.spend():
                raise RetryBudgetExhaustedError(
                    f"retry budget exhausted: {budget.retries} retries for "
                    f"{budget.requests} requests; last failure {_describe(exc)}",
                    url=url,
                ) from exc
            retry_after = (
                exc.retry_after_s if isinstance(exc, HTTPStatusError) else None
            )
            delay = policy.delay(tries, retry_after, random=random)
            logger.warning(
                "retrying request",
                extra={
                    "url": url,
                    "attempt": tries,
                    "status": getattr(exc, "status", None),
                    "error": type(exc).__name__,
                    "duration_ms": round(delay * 1000.0),
                },
            )
        await sleep(delay)
