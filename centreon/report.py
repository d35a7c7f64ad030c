"""How a run reads on stderr: progress while it runs, then a summary table."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TextIO

__all__ = ["PLAIN_INTERVAL_S", "Progress", "print_summary"]

PLAIN_INTERVAL_S = 10.0


class Progress:
    """Progress of a run: phase, shards settled, rows, requests/s, time.

    Call it with each custom status; use it as ``async with`` so the line is
    redrawn every ``interval`` seconds in between (the clock moves while
    shards run). On a terminal it is one live line, ended on exit. Anywhere
    else (a log file, CI) it writes plain lines, one at most every
    ``plain_interval`` seconds of ``clock``, and always a last one on exit.
    A status without shard counts (a later phase) keeps the last ones shown.
    """

    def __init__(
        self,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        interval: float = 1.0,
        plain_interval: float = PLAIN_INTERVAL_S,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.sleep = sleep
        self.interval = interval
        self.plain_interval = plain_interval
        self.started = clock()
        self.live = stream.isatty()
        self.status: Mapping[str, Any] = {}
        self.drawn = False
        self._written_at: float | None = None
        self._ticker: asyncio.Task[None] | None = None

    def __call__(self, status: Any) -> None:
        if isinstance(status, Mapping):
            self.status = {**self.status, **status}
            self.draw()

    def line(self, now: float) -> str:
        """The progress line for the last status at ``now``, without line control."""
        elapsed = max(now - self.started, 1e-9)
        status = self.status
        parts = [str(status.get("phase", ""))]
        if "shards_total" in status:
            parts.append(f"shards {status['shards_done']}/{status['shards_total']}")
            parts.append(f"rows {status.get('rows', 0):,}")
            parts.append(f"{status.get('requests', 0) / elapsed:,.0f} req/s")
        parts.append(f"{elapsed:.0f} s")

        return "  ".join(parts)

    def draw(self) -> None:
        """Redraw the live line, or write a plain one if one is due."""
        if not self.status:
            return
        now = self.clock()
        if self.live:
            self.stream.write("\r\x1b[2K" + self.line(now))
            self.drawn = True
        elif self._written_at is None or now - self._written_at >= self.plain_interval:
            self._write_plain(now)
        self.stream.flush()

    def _write_plain(self, now: float) -> None:
        self.stream.write(self.line(now) + "\n")
        self._written_at = now

    async def _tick(self) -> None:
        while True:
            await self.sleep(self.interval)
            self.draw()

    async def __aenter__(self) -> Progress:
        self._ticker = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        if self.drawn:
            self.stream.write("\n")
        elif not self.live and self.status:
            self._write_plain(self.clock())
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
