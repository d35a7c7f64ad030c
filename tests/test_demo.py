"""``python -m centreon demo``: a simulated Centreon into a local lake, and a tour."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import duckdb
import pytest

from centreon.cli import main
from centreon.demo import sample_table

# Two spaces, then a 24-cell host and a 24-cell service column, each with a space.
STATUS_CELL = 52


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
    assert [status_of(row) for row in rows] == [name for (name,) in worst]
    assert worst[0] != ("OK",)


def status_of(row: str) -> str:
    """The status column of a sample row: 9 cells from cell 52, wide characters 2."""
    cells = 0
    for index, char in enumerate(row):
        if cells == STATUS_CELL:
            return row[index : index + 9].strip()
        cells += 2 if unicodedata.east_asian_width(char) in "WF" else 1

    raise AssertionError(f"no status column in {row!r}")


def testsample_table_aligns_columns_of_wide_characters() -> None:
    """Emoji and CJK names take two cells each, and the columns still line up."""
    rows = [
        {"host": "app-são-paulo-040", "service": "Queue 📬", "status": "CRITICAL"},
        {"host": "東京-01", "service": "正常", "status": "WARNING"},
        {"host": "srv-1", "service": "Load", "status": "OK"},
    ]

    table = sample_table([{**row, "output": "-"} for row in rows])

    assert [status_of(line) for line in table.splitlines()] == [
        "status",
        "CRITICAL",
        "WARNING",
        "OK",
    ]


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
