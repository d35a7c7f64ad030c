"""Test doubles for injected time: sleeps that record or hold instead of waiting."""

from __future__ import annotations

import asyncio

__all__ = ["Gate", "Recorder"]


class Recorder:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


class Gate:
    """A sleep that holds every caller until :meth:`open` is called.

    ``sleeps`` records the waits asked for; ``held`` is how many callers are
    waiting now, and :meth:`wait_held` returns once that many are.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.held = 0
        self._open = asyncio.Event()
        self._arrived = asyncio.Condition()

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self._open.is_set():
            return
        async with self._arrived:
            self.held += 1
            self._arrived.notify_all()
        try:
            await self._open.wait()
        finally:
            self.held -= 1

    async def wait_held(self, count: int) -> None:
        """Return once ``count`` callers are held."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)

    def open(self) -> None:
        """Let every held caller and every later one through."""
        self._open.set()
