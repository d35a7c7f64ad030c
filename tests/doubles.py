"""Test doubles for injected time: sleeps that record or hold instead of waiting."""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["Gate", "Recorder"]


class Recorder:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class Gate:
    """A sleep that holds every caller until the test lets it through.

    ``sleeps`` records the waits asked for and ``held`` counts the callers
    waiting now; :meth:`wait_held` returns once that many are held,
    :meth:`release_one` lets the longest-held through and :meth:`open` lets
    every caller through, now and later.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._opened = False
        self._arrived = asyncio.Condition()

    @property
    def held(self) -> int:
        """Callers waiting now."""
        return len(self._waiting)

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self._opened:
            return
        release = asyncio.get_running_loop().create_future()
        async with self._arrived:
            self._waiting.append(release)
            self._arrived.notify_all()
        try:
            await release
        finally:
            if release in self._waiting:
                self._waiting.remove(release)

    async def wait_held(self, count: int) -> None:
        """Return once ``count`` callers are held."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)

    def release_one(self) -> None:
        """Let the longest-held caller through."""
        self._waiting.popleft().set_result(None)

    def open(self) -> None:
        """Let every held caller and every later one through."""
        self._opened = True
        while self._waiting:
            self.release_one()
