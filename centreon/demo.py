"""``python -m centreon demo``: a simulated Centreon, one run into ./lake, a tour.

Starts the simulator in this process (a fleet of about 2,000 detail URLs, 150 ms
of latency, 30 PHP-FPM workers), runs one ingestion into a local folder through
the same orchestration the function app runs, then prints the summary, a few
sample rows and how to read the lake with DuckDB and Spark. Needs no Azure and
no configuration.
"""

from __future__ import annotations

import argparse
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pyarrow.dataset as ds

from centreon.activities import activities_for
from centreon.orchestration import RunRequest
from centreon.report import Progress, print_summary
from centreon.runner import local_run_id, run_locally
from centreon.settings import Settings
from centreon.simulator import Simulator, SimulatorConfig

__all__ = ["DEMO_CONCURRENCY", "run_demo", "sample_rows", "sample_table"]

DEMO_CONCURRENCY = 24


def sample_rows(lake: Path, run_id: str, limit: int = 5) -> list[dict[str, Any]]:
    """A few services of the run, worst status first: host, service, status, output.

    Centreon's ``status.severity_code`` orders statuses from the worst
    (1, CRITICAL) to OK (5).
    """
    dataset = ds.dataset(lake / "services", format="parquet", partitioning="hive")
    columns = {
        "host": ds.field("parent", "name"),
        "service": ds.field("name"),
        "status": ds.field("status", "name"),
        "output": ds.field("information"),
        "severity": ds.field("status", "severity_code"),
    }
    table = dataset.to_table(columns=columns, filter=ds.field("run_id") == run_id)
    order = [("severity", "ascending"), ("host", "ascending"), ("service", "ascending")]
    worst = table.sort_by(order).slice(0, limit).drop_columns(["severity"])

    return list(worst.to_pylist())


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells; wide characters take two."""
    cells = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    return text + " " * max(0, width - cells)


def sample_table(rows: list[dict[str, Any]]) -> str:
    """``rows`` of :func:`sample_rows` as aligned text, one line each under a header."""
    lines = [f"  {'host':<24} {'service':<24} {'status':<9} output"]
    for row in rows:
        host, service, status = (str(row[k]) for k in ("host", "service", "status"))
        output = (str(row["output"] or "").splitlines() or [""])[0][:60]
        lines.append(f"  {_pad(host, 24)} {_pad(service, 24)} {status:<9} {output}")

    return "\n".join(lines) + "\n"


def _tour(lake: Path) -> str:
    files = f"{lake}/services/*/*/*.parquet"
    # Printed for the reader to run; never executed here.
    duckdb_query = (
        "SELECT status.name AS status, count(*) "  # noqa: S608
        f"FROM read_parquet('{files}', hive_partitioning=1) GROUP BY 1"
    )
    spark_read = f'spark.read.parquet("{lake}/services")'

    return (
        "\nRead it with DuckDB:\n"
        f'  duckdb -c "{duckdb_query}"\n'
        "\nRead it with Spark (on Databricks, point at the abfss:// lake):\n"
        f'  {spark_read}.groupBy("snapshot_date", "run_id").count().show()\n'
    )


async def run_demo(
    args: argparse.Namespace, lake: Path, stdout: TextIO, stderr: TextIO
) -> int:
    """Run the demo into the folder ``lake``; return 0 when the run succeeded."""
    config = SimulatorConfig(hosts=args.hosts, services_per_host=args.services_per_host)
    async with Simulator(config) as simulator:
        settings = Settings.from_env(
            {
                "CENTREON_URL": simulator.api_url,
                "CENTREON_USERNAME": config.username,
                "CENTREON_PASSWORD": config.password,
                "CENTREON_MAX_CONCURRENCY": str(DEMO_CONCURRENCY),
                "LAKE_URL": str(lake),
            }
        )
        run_id = local_run_id(datetime.now(UTC), secrets.token_hex(3))
        request = RunRequest(run_id, False, "cli", settings.ingest.deadline_s)
        stdout.write(f"Simulated Centreon at {simulator.api_url}; lake at {lake}\n")
        async with Progress(stderr) as progress:
            summary = await run_locally(
                request.to_input(),
                activities_for(settings),
                instance_id=run_id,
                on_status=progress,
            )
    print_summary(summary, stdout)
    if summary["status"] != "succeeded":
        return 1
    stdout.write("\nA few services from this run, worst first:\n")
    stdout.write(sample_table(sample_rows(lake, run_id)))
    stdout.write(_tour(lake))

    return 0
