"""Running a benchmark session: every case against its own simulator.

For each case the harness starts a simulator sized for it, reads the
simulator's counters, runs the approach in a fresh measured process, reads the
counters again, and turns all of it into one :class:`Row`. A case whose
approach cannot run (a command that is not there yet, a crash, a timeout)
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
from benchmarks.server import SERVER_PASSWORD, SERVER_USERNAME, SimulatedCentreon
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
    wall_s: float | None
    run_s: float | None
    limit_s: float
    concurrency: int
    ratio: float | None
    delivered: float | None
    requests: int | None
    retries: int | None
    refused: int | None
    max_in_flight: int | None
    rows: int | None
    failed: int | None
    peak_rss_mb: float | None
    cpu_us_per_resource: float | None
    server_cpu_s: float | None
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
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value

    try:
        whole = json.loads(stdout)
    except ValueError:
        return None

    return whole if isinstance(whole, dict) else None


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


def _number(summary: Mapping[str, Any], *keys: str) -> float | None:
    for key in keys:
        value: Any = summary
        for step in key.split("."):
            value = value.get(step) if isinstance(value, Mapping) else None
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


def _row(
    case: Case,
    usage: ProcessUsage,
    summary: Mapping[str, Any] | None,
    traffic: Traffic,
    server_cpu_s: float,
    lake: Path,
) -> Row:
    status = "ok"
    note = ""
    if usage.timed_out:
        status, note = "timeout", f"killed after {usage.wall_s:.0f} s"
    elif summary is None:
        status = "unavailable"
        last = usage.stderr_tail.strip().splitlines()[-1:] or ["no summary printed"]
        note = last[0][:200]
    elif usage.returncode != 0:
        status = "failed"
        note = str(summary.get("reason") or summary.get("error") or "")[:200]
    summary = summary or {}
    if case.approach in BASELINE_NAMES:
        rows = _number(summary, "rows")
        run_s = _number(summary, "duration_s")
        retries: float | None = 0.0 if summary else None
        failed = _number(summary, "failed")
    else:
        mode = published_mode(lake) if status == "ok" else None
        if mode is not None and mode != case.approach:
            status, note = (
                "failed",
                f"INGEST_MODE={case.approach} published {mode} rows",
            )
        rows = float(_published_rows(lake)) if status == "ok" else None
        run_s = _number(summary, "duration_s", "durations.total_s", "durations.run_s")
        retries = _number(summary, "retries", "requests.retries")
        failed = _number(summary, "urls_failed", "failed")
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
        wall_s=None,
        run_s=None,
        limit_s=round(case.limit_s, 3),
        concurrency=case.concurrency,
        ratio=None,
        delivered=None,
        requests=None,
        retries=None,
        refused=None,
        max_in_flight=None,
        rows=None,
        failed=None,
        peak_rss_mb=None,
        cpu_us_per_resource=None,
        server_cpu_s=None,
        note=reason,
    )


def run_case(case: Case, *, timeout_s: float) -> Row:
    """Run one approach at one size against a fresh simulator; never raises."""
    with tempfile.TemporaryDirectory(prefix="centreon-bench-") as folder:
        lake = Path(folder) / "lake"
        try:
            server = SimulatedCentreon(case, services_per_host=SERVICES_PER_HOST)
            server.__enter__()
        except RuntimeError as exc:
            return _unavailable(case, str(exc))
        try:
            argv, extra = _command(case, server.api_url, lake)
            before, cpu_before = server.counters(), server.cpu_seconds()
            usage = run_measured(argv, env=environment(extra), timeout_s=timeout_s)
            server_cpu_s = server.cpu_seconds() - cpu_before
            traffic = Traffic.between(before, server.counters())
        finally:
            server.__exit__(None, None, None)
        summary = _summary(usage.stdout)
        row = _row(case, usage, summary, traffic, server_cpu_s, lake)
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
