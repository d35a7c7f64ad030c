"""The scale targets of a session, and whether the measured rows meet them.

The targets are stated for the full session on a 2-core machine: detail mode
within 1.10x of N x L / C at each detail size, listing mode end to end within
60 s at its largest size, peak RSS at most 300 MB there and flat in N, and at
most 50 microseconds of CPU per resource from JSON body to Parquet. Each
verdict says how far the measurement is from its target, so a miss states its
size, not only its existence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from benchmarks.suite import Row

__all__ = ["Verdict", "judge"]

DETAIL_RATIO = 1.10
LISTING_SECONDS = 60.0
LISTING_RSS_MB = 300.0
CONVERSION_US = 50.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """One target: what it asks, what was measured, and the gap."""

    target: str
    goal: str
    measured: str
    met: bool | None
    gap: str
    why: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return asdict(self)


def _gap(value: float, goal: float, unit: str) -> str:
    if value <= goal:
        return f"{goal / value:.2f}x headroom" if value else "met"

    return f"over by {value - goal:.2f}{unit} ({value / goal:.2f}x the goal)"


def _find(rows: Sequence[Row], approach: str, resources: int) -> Row | None:
    for row in rows:
        if row.approach == approach and row.resources == resources:
            return row

    return None


def _unmeasured(target: str, goal: str, why: str) -> Verdict:
    return Verdict(target, goal, why, None, "not measured")


def _detail(rows: Sequence[Row], size: int) -> Verdict:
    target, goal = f"detail mode, {size:,} URLs", f"<= {DETAIL_RATIO:.2f}x N x L / C"
    row = _find(rows, "detail", size)
    if row is None or row.ratio is None:
        why = "no run" if row is None else f"{row.status}: {row.note}"
        return _unmeasured(target, goal, why)

    return Verdict(
        target,
        goal,
        f"{row.ratio:.3f}x ({row.run_s:.1f} s vs {row.limit_s:.1f} s)",
        row.ratio <= DETAIL_RATIO,
        _gap(row.ratio, DETAIL_RATIO, ""),
        _detail_why(row),
    )


def _detail_why(row: Row) -> str:
    """Where a detail run's time went, from its phases and the server's counters."""
    phases = row.phases or {}
    parts = []
    if "plan" in phases:
        plan = phases["plan"]
        parts.append(f"plan (discovery) {plan:.1f} s = {plan / row.limit_s:.0%}")
    if "fetch" in phases:
        fetch = phases["fetch"]
        parts.append(f"fetch {fetch:.1f} s = {fetch / row.limit_s:.2f}x")
        if row.max_in_flight:
            used = row.limit_s * row.concurrency / row.max_in_flight
            parts.append(
                f"at most {row.max_in_flight} of C={row.concurrency} in flight"
            )
            parts.append(f"fetch vs N·L/{row.max_in_flight} = {fetch / used:.2f}x")
    if row.retries is not None:
        parts.append(f"{row.retries} retries ({row.retries / row.resources:.1%} of N)")
    if "publish" in phases:
        parts.append(f"publish {phases['publish']:.1f} s")

    return "; ".join(parts)


def _listing_time(rows: Sequence[Row], size: int) -> Verdict:
    target, goal = f"listing mode, {size:,} resources", f"<= {LISTING_SECONDS:.0f} s"
    row = _find(rows, "listing", size)
    if row is None or row.wall_s is None or row.status != "ok":
        why = "no run" if row is None else f"{row.status}: {row.note}"
        return _unmeasured(target, goal, why)

    client_cpu = (row.cpu_us_per_resource or 0.0) * row.resources / 1e6
    why = (
        f"{row.requests} requests, at most {row.max_in_flight} pages in flight; "
        f"CPU: client {client_cpu:.0f} s, simulator {row.server_cpu_s or 0.0:.0f} s"
    )

    return Verdict(
        target,
        goal,
        f"{row.wall_s:.1f} s end to end",
        row.wall_s <= LISTING_SECONDS,
        _gap(row.wall_s, LISTING_SECONDS, " s"),
        why,
    )


def _listing_memory(rows: Sequence[Row], sizes: Sequence[int]) -> Verdict:
    largest = max(sizes)
    target = f"peak RSS, listing mode, {largest:,} resources"
    goal = f"<= {LISTING_RSS_MB:.0f} MB, flat in N"
    found = [_find(rows, "listing", n) for n in sorted(sizes)]
    measured = [r for r in found if r is not None and r.status == "ok"]
    if len(measured) != len(found):
        return _unmeasured(target, goal, "listing mode did not run at every size")
    low, high = measured[0], measured[-1]
    if low.peak_rss_mb is None or high.peak_rss_mb is None:
        return _unmeasured(target, goal, "no peak RSS measured")
    growth = high.peak_rss_mb / low.peak_rss_mb

    return Verdict(
        target,
        goal,
        f"{high.peak_rss_mb:.0f} MB ({growth:.2f}x the {low.resources:,} run)",
        high.peak_rss_mb <= LISTING_RSS_MB,
        _gap(high.peak_rss_mb, LISTING_RSS_MB, " MB"),
    )


def _conversion(us_per_resource: float | None, why: str) -> Verdict:
    target = "decode -> Arrow -> Parquet, CPU per resource"
    goal = f"<= {CONVERSION_US:.0f} us"
    if us_per_resource is None:
        return _unmeasured(target, goal, why)

    return Verdict(
        target,
        goal,
        f"{us_per_resource:.1f} us",
        us_per_resource <= CONVERSION_US,
        _gap(us_per_resource, CONVERSION_US, " us"),
        why,
    )


def judge(
    rows: Sequence[Row],
    *,
    detail_sizes: Sequence[int],
    listing_sizes: Sequence[int],
    conversion_us: float | None,
    conversion_note: str = "",
) -> list[Verdict]:
    """A verdict per target, for the sizes this session ran.

    ``conversion_note`` says why the conversion was not measured, or where its
    CPU went when it was.
    """
    verdicts = [_detail(rows, n) for n in detail_sizes]
    if listing_sizes:
        verdicts.append(_listing_time(rows, max(listing_sizes)))
        verdicts.append(_listing_memory(rows, listing_sizes))
    verdicts.append(_conversion(conversion_us, conversion_note))

    return verdicts
