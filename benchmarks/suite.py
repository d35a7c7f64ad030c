"""Running a benchmark session: every case against its own simulator.

For each case the harness starts a simulator sized for it, reads the
simulator's counters, runs the approach in a fresh measured process, reads the
counters again, and turns all of it into one :class:`Row`. A case whose
approach cannot run (a simulator that does not start, a crash, a timeout)
still yields its row, with the status and the reason, so a table always has
every row.
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import ProcessUsage, environment, run_measured
from benchmarks.scenario import SERVICES_PER_HOST, Case, Suite
from benchmarks.server import (
    SERVER_PASSWORD,
    SERVER_USERNAME,
    SimulatedCentreon,
    SimulatorStartError,
)
from benchmarks.traffic import Traffic

__all__ = ["Row", "published_mode", "run_case", "run_suite"]

logger = logging.getLogger(__name__)

BASELINE_NAMES = frozenset({"sequential", "gather", "gather-semaphore"})


@dataclass(frozen=True, slots=True)
class Row:
    """One approach at one size: what it cost and what it delivered."""

    approach: str
    resources: int
    status: str
    limit_s: float
    concurrency: int
    wall_s: float | None = None
    run_s: float | None = None
    ratio: float | None = None
    delivered: float | None = None
    requests: int | None = None
    retries: int | None = None
    refused: int | None = None
    max_in_flight: int | None = None
    rows: int | None = None
    failed: int | None = None
    peak_rss_mb: float | None = None
    cpu_us_per_resource: float | None = None
    server_cpu_s: float | None = None
    phases: dict[str, float] | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form, the same keys as the Markdown table's columns."""
        return asdict(self)


def _command(case: Case, api_url: str, lake: Path) -> tuple[list[str], dict[str, str]]:
    env = {
        "CENTREON_URL": api_url,
        "CENTREON_USERNAME": SERVER_USERNAME,
        "CENTREON_PASSWORD": SERVER_PASSWORD,
        "CENTREON_MAX_CONCURRENCY": str(case.budget),
        "CENTREON_PAGE_SIZE": str(case.page_size),
        "PYTHONUNBUFFERED": "1",
    }
    if case.approach in BASELINE_NAMES:
        argv = [sys.executable, "-m", "benchmarks.baselines", case.approach]
        argv += ["--url", api_url, "--concurrency", str(case.budget)]
        return argv, env
    env["LAKE_URL"] = str(lake)
    env["INGEST_MODE"] = case.approach

    return [sys.executable, "-m", "centreon", "run", "--json"], env


def _summary(stdout: str) -> dict[str, Any] | None:
    """The JSON summary an approach prints as its last line, if it printed one."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value

    return None


def _published_rows(lake: Path) -> int:
    import pyarrow.parquet as pq

    total = 0
    for dataset in ("hosts", "services"):
        for part in (lake / dataset).glob("**/*.parquet"):
            total += pq.ParquetFile(part).metadata.num_rows

    return total


def published_mode(lake: Path) -> str | None:
    """``listing`` or ``detail``, from a published hosts part's columns."""
    import pyarrow.parquet as pq

    for part in (lake / "hosts").glob("**/*.parquet"):
        names = set(pq.read_schema(part).names)
        return "listing" if "is_in_downtime" in names else "detail"

    return None


def _number(summary: Mapping[str, Any], key: str) -> float | None:
    value = summary.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)

    return None


def _phases(summary: Mapping[str, Any]) -> dict[str, float] | None:
    durations = summary.get("durations_s")
    if not isinstance(durations, Mapping):
        return None

    return {
        str(name): float(seconds)
        for name, seconds in durations.items()
        if isinstance(seconds, int | float)
    }


def _status(usage: ProcessUsage, summary: Mapping[str, Any] | None) -> tuple[str, str]:
    """``ok``, ``timeout``, ``unavailable`` or ``failed``, and why when not ok."""
    if usage.timed_out:
        return "timeout", f"killed after {usage.wall_s:.0f} s"
    if summary is None:
        last = usage.stderr_tail.strip().splitlines()[-1:] or ["no summary printed"]
        return "unavailable", last[0][:200]
    if usage.returncode != 0:
        return "failed", str(summary.get("reason") or summary.get("error") or "")[:200]

    return "ok", ""


def _row(
    case: Case,
    usage: ProcessUsage,
    summary: Mapping[str, Any] | None,
    traffic: Traffic,
    server_cpu_s: float,
    lake: Path,
) -> Row:
    status, note = _status(usage, summary)
    summary = summary or {}
    rows = _number(summary, "rows")
    failed = _number(summary, "failed")
    if case.approach not in BASELINE_NAMES:
        mode = published_mode(lake) if status == "ok" else None
        if mode is not None and mode != case.approach:
            status, note = (
                "failed",
                f"INGEST_MODE={case.approach} published {mode} rows",
            )
        rows = float(_published_rows(lake)) if status == "ok" else None
        failed = _number(summary, "urls_failed")
    run_s = _number(summary, "duration_s")
    retries = _number(summary, "retries")
    ratio = run_s / case.limit_s if run_s is not None and status == "ok" else None

    return Row(
        approach=case.approach,
        resources=case.resources,
        status=status,
        wall_s=round(usage.wall_s, 3),
        run_s=round(run_s, 3) if run_s is not None else None,
        limit_s=round(case.limit_s, 3),
        concurrency=case.concurrency,
        ratio=round(ratio, 3) if ratio is not None else None,
        delivered=round(rows / case.resources, 4) if rows is not None else None,
        requests=traffic.requests,
        retries=int(retries) if retries is not None else None,
        refused=traffic.refused,
        max_in_flight=traffic.max_in_flight,
        rows=int(rows) if rows is not None else None,
        failed=int(failed) if failed is not None else None,
        peak_rss_mb=round(usage.peak_rss_mb, 1),
        cpu_us_per_resource=round(usage.cpu_s / case.resources * 1e6, 1),
        server_cpu_s=round(server_cpu_s, 2),
        phases=_phases(summary),
        note=note,
    )


def _unavailable(case: Case, reason: str) -> Row:
    return Row(
        approach=case.approach,
        resources=case.resources,
        status="unavailable",
        limit_s=round(case.limit_s, 3),
        concurrency=case.concurrency,
        note=reason,
    )


def _measure(
    case: Case, lake: Path, timeout_s: float
) -> tuple[ProcessUsage, Traffic, float]:
    """Run the case's approach against a fresh simulator.

    Returns the approach's process usage, the traffic the simulator counted
    and the simulator's CPU seconds meanwhile.
    """
    with SimulatedCentreon(case, services_per_host=SERVICES_PER_HOST) as server:
        argv, extra = _command(case, server.api_url, lake)
        before, cpu_before = server.counters(), server.cpu_seconds()
        usage = run_measured(argv, env=environment(extra), timeout_s=timeout_s)
        server_cpu_s = server.cpu_seconds() - cpu_before
        traffic = Traffic.between(before, server.counters())

    return usage, traffic, server_cpu_s


def run_case(case: Case, *, timeout_s: float) -> Row:
    """Run one approach at one size against a fresh simulator.

    A simulator that does not start gives an ``unavailable`` row; an approach
    that fails, crashes or times out gives a row with that status.
    """
    with tempfile.TemporaryDirectory(prefix="centreon-bench-") as folder:
        lake = Path(folder) / "lake"
        try:
            usage, traffic, server_cpu_s = _measure(case, lake, timeout_s)
        except SimulatorStartError as exc:
            return _unavailable(case, str(exc))
        row = _row(case, usage, _summary(usage.stdout), traffic, server_cpu_s, lake)
    logger.info(
        "case measured",
        extra={"approach": case.approach, "rows": row.rows, "status": row.status},
    )

    return row


def run_suite(
    suite: Suite, *, progress: Callable[[Row], None] | None = None
) -> list[Row]:
    """Every case of ``suite``, in table order, one fresh simulator each."""
    rows = []
    for case in suite.cases():
        row = run_case(case, timeout_s=suite.timeout_s)
        rows.append(row)
        if progress is not None:
            progress(row)

    return rows
