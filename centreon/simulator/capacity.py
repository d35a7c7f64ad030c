"""A PHP-FPM pool behind Apache: W workers, a backlog of B, then refusals.

A request is admitted if fewer than ``workers + backlog`` are in the building;
admitted requests wait for one of ``workers`` slots and hold it while they
are served (latency included). Anything beyond is refused at once, which the
caller answers with 503 and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from centreon.simulator.counters import Counters

__all__ = ["Capacity", "Latency", "Sleep"]

Sleep = Callable[[float], Awaitable[None]]


class Latency:
    """Seeded lognormal service time, plus a per-row cost on listing pages."""

    def __init__(
        self, median_ms: float, spread: float, page_cost_ms_per_item: float, seed: int
    ) -> None:
        self._median_s = median_ms / 1000.0
        self._spread = spread
        self._per_item_s = page_cost_ms_per_item / 1000.0
        self._rng = random.Random(seed)  # noqa: S311 - simulation, not security

    def draw(self, rows: int = 0) -> float:
        """Seconds one request takes; ``rows`` is the page ``limit`` for listings."""
        base = self._median_s
        if base and self._spread:
            base *= math.exp(self._rng.gauss(0.0, self._spread))
        return base + self._per_item_s * max(rows, 0)


class Capacity:
    """Admission control and the worker slots; measurements go to ``counters``.

    ``sleep`` spends every service time (latency and slow faults alike).
    """

    def __init__(
        self,
        workers: int,
        backlog: int,
        counters: Counters,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.workers = workers
        self.backlog = backlog
        self._slots = asyncio.Semaphore(workers)
        self._counters = counters
        self._sleep = sleep

    def admit(self) -> bool:
        """Take a place in the building, or ``False`` when the pool is saturated."""
        if self._counters.in_building >= self.workers + self.backlog:
            self._counters.refused += 1
            return False
        self._counters.enter_building()
        return True

    @asynccontextmanager
    async def worker(self) -> AsyncIterator[None]:
        """Hold a worker slot (after :meth:`admit`); leave the building at exit."""
        try:
            async with self._slots:
                self._counters.enter_worker()
                try:
                    yield
                finally:
                    self._counters.leave_worker()
        finally:
            self._counters.leave_building()

    async def work(self, seconds: float) -> None:
        """Spend service time inside a worker."""
        if seconds > 0:
            await self._sleep(seconds)
