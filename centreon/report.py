"""How a run reads on a terminal: a live progress line and a summary table."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

__all__ = ["Progress", "print_summary"]


class Progress:
    """A live line on a terminal: phase, shards settled, rows, requests/s."""

    def __init__(
        self, stream: TextIO, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.live = stream.isatty()
        self.drawn = False

    def __call__(self, status: Any) -> None:
        if not self.live or not isinstance(status, Mapping):
            return
        elapsed = max(self.clock() - self.started, 1e-9)
        parts = [str(status.get("phase", ""))]
        if "shards_total" in status:
            parts.append(f"shards {status['shards_done']}/{status['shards_total']}")
            parts.append(f"rows {status.get('rows', 0):,}")
            rate = status.get("requests", 0) / elapsed
            parts.append(f"{rate:,.0f} req/s")
        self.stream.write("\r\x1b[2K" + "  ".join(parts))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
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
