"""An adaptive cap on requests in flight (AIMD), never above a fixed ceiling.

The ceiling is the share of ``CENTREON_MAX_CONCURRENCY`` given to one shard;
the limiter never lets more requests than that be in flight. Below it, the
limit follows the server: it is halved when the server refuses (429, 503),
times out or answers clearly slower than its baseline, and grows back by about
one request per round trip while answers are healthy. Only a request sent at
the current limit may lower it, so a burst of refusals caused by one limit
halves it once, not once per refusal. After a decrease the limit holds for a
few round trips before probing upwards again, so a server running at its
capacity sees an occasional refusal, not one per probe.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["AIMDLimiter"]


class AIMDLimiter:
    """Additive-increase, multiplicative-decrease limit on requests in flight.

    ``acquire`` waits for a slot and returns a ticket; ``release`` returns the
    slot with what the request saw: ``overloaded`` for a refusal or timeout,
    ``latency_s`` for a healthy answer (None for anything else).
    """

    __slots__ = (
        "_baseline",
        "_ewma",
        "_generation",
        "_hold",
        "_samples",
        "_waiters",
        "alpha",
        "ceiling",
        "decrease_factor",
        "decreases",
        "hold_rounds",
        "in_flight",
        "inflation",
        "limit",
        "max_in_flight",
        "warmup",
    )

    def __init__(
        self,
        ceiling: int,
        *,
        decrease_factor: float = 0.5,
        inflation: float = 2.0,
        warmup: int = 20,
        alpha: float = 0.1,
        hold_rounds: int = 4,
    ) -> None:
        if ceiling < 1:
            raise ValueError(f"ceiling must be at least 1, got {ceiling}")
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.decrease_factor = decrease_factor
        self.inflation = inflation
        self.warmup = warmup
        self.alpha = alpha
        self.hold_rounds = hold_rounds
        self.in_flight = 0
        self.max_in_flight = 0
        self.decreases = 0
        self._generation = 0
        self._ewma: float | None = None
        self._baseline: float | None = None
        self._samples = 0
        self._hold = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def baseline_s(self) -> float | None:
        """The healthy latency the limiter compares answers with, once known."""
        return self._baseline

    async def acquire(self) -> int:
        """Wait for a free slot (first come, first served); return its ticket."""
        if self.in_flight < int(self.limit) and not self._waiters:
            self._take()
            return self._generation

        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.in_flight -= 1
                self._wake()
            else:
                self._waiters.remove(waiter)
            raise

        return self._generation

    def release(
        self, ticket: int, *, overloaded: bool = False, latency_s: float | None = None
    ) -> None:
        """Free a slot and adapt the limit to what the request saw."""
        self.in_flight -= 1
        if overloaded:
            self._decrease(ticket)
        elif latency_s is not None:
            self._observe(ticket, latency_s)
        self._wake()

    def _take(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.max_in_flight:
            self.max_in_flight = self.in_flight

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters and self.in_flight < int(self.limit):
            waiter = waiters.popleft()
            if waiter.done():
                continue
            self._take()
            waiter.set_result(None)

    def _decrease(self, ticket: int) -> None:
        # A request sent before the last decrease saw the old, higher limit.
        if ticket != self._generation:
            return
        self.limit = max(1.0, self.limit * self.decrease_factor)
        self._hold = self.hold_rounds * int(self.limit)
        self._generation += 1
        self.decreases += 1
        self._ewma = None

    def _observe(self, ticket: int, latency_s: float) -> None:
        baseline = self._baseline
        if baseline is not None:
            # One very slow answer is an outlier, not inflation: clip it so only
            # a lasting share of slow answers can move the average that far.
            latency_s = min(latency_s, 1.5 * self.inflation * baseline)
        ewma = self._ewma
        ewma = latency_s if ewma is None else ewma + self.alpha * (latency_s - ewma)
        self._ewma = ewma
        self._samples += 1
        if self._samples >= self.warmup:
            # Drift up slowly so a lasting change of the server's normal pace
            # becomes the new normal instead of throttling forever.
            if baseline is None or ewma < baseline * 1.002:
                self._baseline = ewma
            else:
                self._baseline = baseline * 1.002
                if ewma > self.inflation * baseline:
                    self._decrease(ticket)
                    return
        if self._hold:
            self._hold -= 1
        elif self.limit < self.ceiling:
            self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)
