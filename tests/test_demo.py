"""``python -m centreon demo``: a simulated Centreon into a local lake, and a tour."""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pytest

from centreon.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    lake = tmp_path_factory.mktemp("demo") / "lake"
    out = io.StringIO()
    argv = ["demo", "--lake", str(lake), "--hosts", "4", "--services-per-host", "2"]
    code = main(argv, env={}, stdout=out, stderr=io.StringIO())
    return code, out.getvalue(), lake


@pytest.mark.slow
def test_demo_ingests_into_the_lake_and_succeeds(demo: tuple[int, str, Path]) -> None:
    """The demo needs no configuration and ends with a succeeded run."""
    code, out, lake = demo

    assert code == 0
    assert "status     succeeded" in out
    assert sorted(p.name for p in lake.iterdir()) == [
        "_runs",
        "hosts",
        "services",
        "urls",
    ]


@pytest.mark.slow
def test_demo_shows_the_worst_services_first(demo: tuple[int, str, Path]) -> None:
    """The demo prints five services of the run, those in the worst states first."""
    _, out, lake = demo
    samples = out.split("worst first:\n", 1)[1].split("\n\n", 1)[0]
    header, *rows = samples.splitlines()
    worst = duckdb.execute(
        "SELECT status.name FROM read_parquet(?, hive_partitioning=1) "
        "ORDER BY status.severity_code LIMIT 5",
        [f"{lake}/services/*/*/*.parquet"],
    ).fetchall()

    assert header.split() == ["host", "service", "status", "output"]
    # Columns are 24, 24 and 9 wide after a two-space indent.
    assert [row[52:61].strip() for row in rows] == [name for (name,) in worst]
    assert worst[0] != ("OK",)


@pytest.mark.slow
def test_demo_prints_a_duckdb_query_that_reads_the_lake(
    demo: tuple[int, str, Path],
) -> None:
    """The DuckDB command the demo prints counts every service of the run."""
    _, out, _ = demo

    query = re.search(r'duckdb -c "(.+)"', out)
    assert query is not None
    counts = duckdb.sql(query.group(1)).fetchall()
    assert sum(n for _, n in counts) == 8
