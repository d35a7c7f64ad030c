"""The scale targets of a session, and whether the measured rows meet them.

The targets are stated for the full session on a 2-core machine: detail mode
within 1.10x of N x L / C at each detail size, listing mode end to end within
60 s at its largest size, peak RSS at most 300 MB there and flat in N, and at
most 50 microseconds of CPU per resource from JSON body to Parquet. Each
verdict says how far the measurement is from its target, so a miss states its
size, not only its existence.

Memory is bounded by design, not constant: a shard holds at most
``DEFAULT_ROW_GROUP_BYTES`` of rows per dataset in its writer and a few
thousand decoded listing items, so the peak grows until those fill and then
stays. "Flat in N" is judged where that claim can be checked: the peak at the
largest size against the peak at the size before it, at most
:data:`FLAT_GROWTH` apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from benchmarks.suite import Row
from centreon.parquet import DEFAULT_ROW_GROUP_BYTES

__all__ = ["Verdict", "judge"]

DETAIL_RATIO = 1.10
LISTING_SECONDS = 60.0
LISTING_RSS_MB = 300.0
FLAT_GROWTH = 1.10
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


def _fixed_and_marginal(rows: Sequence[Row], sizes: Sequence[int]) -> str:
    """Detail run time split into a cost per run and a cost per URL.

    A straight line through the smallest and the largest detail run: its
    slope, against L / C, is how close fetching gets to the server's limit;
    its intercept is what every run pays whatever its size (sign-ins,
    discovery, publishing), which weighs most on the smallest run.
    """
    if len(sizes) < 2:
        return ""
    low, high = _find(rows, "detail", min(sizes)), _find(rows, "detail", max(sizes))
    if not (low and high and low.run_s and high.run_s and low.ratio and high.ratio):
        return ""
    per_url = (high.run_s - low.run_s) / (high.resources - low.resources)
    fixed = low.run_s - per_url * low.resources
    ideal_per_url = low.limit_s / low.resources

    return (
        f"across sizes: {per_url / ideal_per_url:.3f}x L/C per URL "
        f"plus {fixed:.1f} s per run"
    )


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


def _listing_memory(rows: Sequence[Row], sizes: Sequence[int]) -> list[Verdict]:
    """Peak RSS at the largest size, and whether it stopped growing with N."""
    ordered = sorted(sizes)
    peak_target = f"peak RSS, listing mode, {ordered[-1]:,} resources"
    peak_goal = f"<= {LISTING_RSS_MB:.0f} MB"
    flat_target = "peak RSS, listing mode, flat in N"
    flat_goal = f"<= {FLAT_GROWTH:.2f}x from the last size to the largest"
    found = [_find(rows, "listing", n) for n in ordered]
    peaks = [
        r.peak_rss_mb if r is not None and r.status == "ok" else None for r in found
    ]
    if any(p is None for p in peaks):
        why = "listing mode did not run at every size"
        return [
            _unmeasured(peak_target, peak_goal, why),
            _unmeasured(flat_target, flat_goal, why),
        ]
    measured = [p for p in peaks if p is not None]
    trail = ", ".join(
        f"{mb:.0f} MB at {n:,}" for n, mb in zip(ordered, measured, strict=True)
    )
    peak = Verdict(
        peak_target,
        peak_goal,
        f"{measured[-1]:.0f} MB",
        measured[-1] <= LISTING_RSS_MB,
        _gap(measured[-1], LISTING_RSS_MB, " MB"),
        trail,
    )
    if len(measured) < 2:
        return [peak, _unmeasured(flat_target, flat_goal, "one size only")]
    growth = measured[-1] / measured[-2]
    flat = Verdict(
        flat_target,
        flat_goal,
        f"{growth:.2f}x from {ordered[-2]:,} to {ordered[-1]:,} resources",
        growth <= FLAT_GROWTH,
        _gap(growth, FLAT_GROWTH, "x"),
        f"{trail}; a writer holds at most "
        f"{DEFAULT_ROW_GROUP_BYTES // 2**20} MB of rows per dataset",
    )

    return [peak, flat]


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
    split = _fixed_and_marginal(rows, detail_sizes)
    if split:
        verdicts = [replace(v, why=f"{v.why}; {split}") for v in verdicts]
    if listing_sizes:
        verdicts.append(_listing_time(rows, max(listing_sizes)))
        verdicts += _listing_memory(rows, listing_sizes)
    verdicts.append(_conversion(conversion_us, conversion_note))

    return verdicts
