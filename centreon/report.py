"""How a run reads on a terminal: a live progress line and a summary table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TextIO

__all__ = ["Progress", "print_summary"]


class Progress:
    """A live line on a terminal: phase, shards settled, rows, requests/s, time.

    Call it with each custom status; use it as ``async with`` to redraw the line
    every ``interval`` seconds in between (so the clock moves while shards
    run) and to end the line on exit. Off a terminal it stays silent.
    """

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        interval: float = 1.0,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.sleep = sleep
        self.interval = interval
        self.started = clock()
        self.live = stream.isatty()
        self.status: Mapping[str, Any] = {}
        self.drawn = False
        self._ticker: asyncio.Task[None] | None = None

    def __call__(self, status: Any) -> None:
        if isinstance(status, Mapping):
            self.status = status
            self.draw()

    def draw(self) -> None:
        """Redraw the line from the last status."""
        if not self.live or not self.status:
            return
        elapsed = max(self.clock() - self.started, 1e-9)
        status = self.status
        parts = [str(status.get("phase", ""))]
        if "shards_total" in status:
            parts.append(f"shards {status['shards_done']}/{status['shards_total']}")
            parts.append(f"rows {status.get('rows', 0):,}")
            parts.append(f"{status.get('requests', 0) / elapsed:,.0f} req/s")
        parts.append(f"{elapsed:.0f} s")
        self.stream.write("\r\x1b[2K" + "  ".join(parts))
        self.stream.flush()
        self.drawn = True

    async def _tick(self) -> None:
        while True:
            await self.sleep(self.interval)
            self.draw()

    async def __aenter__(self) -> Progress:
        if self.live:
            self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def print_summary(summary: Mapping[str, Any], stream: TextIO) -> None:
    """Write the run summary as a small table."""
    lines = [
        f"run        {summary['run_id']}",
        f"status     {summary['status']}"
        + (f" ({summary['reason']})" if summary.get("reason") else ""),
    ]
    if summary.get("error"):
        lines.append(f"error      {summary['error']}")
    durations = summary.get("durations_s", {})
    steps = ", ".join(f"{k} {v:.1f}" for k, v in durations.items())
    lines.append(f"duration   {summary.get('duration_s', 0):.1f} s ({steps})")
    totals = summary.get("totals") or {}
    if totals:
        lines.append(
            f"planned    {totals.get('hosts', 0):,} hosts, "
            f"{totals.get('services', 0):,} services, {totals.get('urls', 0):,} URLs"
        )
    datasets = summary.get("datasets") or {}
    if datasets:
        lines.append(f"{'dataset':<10} {'rows':>10} {'files':>6}")
        for name, entry in datasets.items():
            lines.append(
                f"{name:<10} {entry.get('rows', 0):>10,} {entry.get('files', 0):>6}"
            )
    if "requests" in summary:
        counts = ("requests", "retries", "logins", "vanished", "refused")
        lines.append("   ".join(f"{name} {summary.get(name, 0):,}" for name in counts))
    if summary.get("manifest"):
        lines.append(f"manifest   {summary['manifest']}")
    stream.write("\n".join(lines) + "\n")
