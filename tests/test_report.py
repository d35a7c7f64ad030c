"""The live progress line and the summary table."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from centreon.report import Progress, print_summary

FETCHING = {"phase": "fetching", "shards_done": 3, "shards_total": 8, "rows": 12345}


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


async def test_progress_draws_a_live_line_on_a_terminal() -> None:
    """On a terminal, each status redraws one line: shards, rows, requests/s, time."""
    stream = Terminal()
    ticks = iter([0.0, 2.0])

    async with Progress(stream, clock=lambda: next(ticks)) as progress:
        progress({**FETCHING, "requests": 500})

    assert stream.getvalue() == (
        "\r\x1b[2Kfetching  shards 3/8  rows 12,345  250 req/s  2 s\n"
    )


async def test_progress_redraws_between_statuses_so_the_clock_moves() -> None:
    """While nothing settles, the line is redrawn every interval."""
    stream = Terminal()
    now = [0.0]
    ticked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 3:
            ticked.set()
            await asyncio.Event().wait()

    async with Progress(stream, clock=lambda: now[0], sleep=sleep) as progress:
        progress(FETCHING)
        await asyncio.wait_for(ticked.wait(), timeout=10)

    lines = stream.getvalue().split("\r\x1b[2K")[1:]
    assert [line.rsplit("  ", 1)[-1].strip() for line in lines] == [
        "0 s",
        "1 s",
        "2 s",
    ]


async def wait_forever(seconds: float) -> None:
    await asyncio.Event().wait()


async def test_progress_writes_plain_lines_ten_seconds_apart_off_a_terminal() -> None:
    """Piped stderr gets plain lines, none within ten seconds of the last one."""
    stream = io.StringIO()
    now = [0.0]

    async with Progress(stream, clock=lambda: now[0], sleep=wait_forever) as progress:
        for moment, done in ((1.0, 1), (3.0, 2), (10.9, 3), (11.0, 4), (15.0, 5)):
            now[0] = moment
            progress({**FETCHING, "shards_done": done, "requests": 100})
        now[0] = 22.0
        progress({**FETCHING, "shards_done": 8, "requests": 2200})

    assert stream.getvalue() == (
        "fetching  shards 1/8  rows 12,345  100 req/s  1 s\n"
        "fetching  shards 4/8  rows 12,345  9 req/s  11 s\n"
        "fetching  shards 8/8  rows 12,345  100 req/s  22 s\n"
        "fetching  shards 8/8  rows 12,345  100 req/s  22 s\n"
    )


async def test_progress_writes_plain_lines_while_nothing_settles() -> None:
    """Off a terminal, a long quiet phase still gets a line every ten seconds."""
    stream = io.StringIO()
    now = [0.0]
    ticked = asyncio.Event()

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 25:
            ticked.set()
            await asyncio.Event().wait()

    async with Progress(stream, clock=lambda: now[0], sleep=sleep) as progress:
        progress(FETCHING)
        await asyncio.wait_for(ticked.wait(), timeout=10)

    lines = stream.getvalue().splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == [
        "0 s",
        "10 s",
        "20 s",
        "25 s",
    ]
    assert "\r" not in stream.getvalue()


async def test_progress_ends_with_the_last_counts_after_a_later_phase() -> None:
    """The last line keeps the shard counts when the final status has none."""
    stream = io.StringIO()
    now = [0.0]

    async with Progress(stream, clock=lambda: now[0], sleep=wait_forever) as progress:
        progress({**FETCHING, "requests": 50})
        now[0] = 5.0
        progress({"phase": "done", "status": "succeeded"})

    assert stream.getvalue().splitlines()[-1] == (
        "done  shards 3/8  rows 12,345  10 req/s  5 s"
    )


def summary(**extra: Any) -> dict[str, Any]:
    return {
        "run_id": "local-20261203T190000Z-ab12cd",
        "status": "succeeded",
        "duration_s": 12.0,
        "durations_s": {"plan": 1.0, "fetch": 10.5, "publish": 0.5},
        "totals": {"hosts": 200, "services": 1800, "urls": 2000},
        "datasets": {
            "hosts": {"rows": 200, "files": 2},
            "services": {"rows": 1800, "files": 2},
        },
        "requests": 2016,
        "retries": 3,
        "logins": 2,
        "vanished": 1,
        "refused": 0,
        "manifest": "_runs/local-20261203T190000Z-ab12cd.json",
        **extra,
    }


def test_print_summary_shows_rows_and_files_per_dataset() -> None:
    """The table lists each dataset's rows and files and the request counts."""
    stream = io.StringIO()

    print_summary(summary(), stream)

    lines = stream.getvalue().splitlines()
    assert "services        1,800      2" in lines
    assert "requests 2,016   retries 3   logins 2   vanished 1   refused 0" in lines
    assert "duration   12.0 s (plan 1.0, fetch 10.5, publish 0.5)" in lines


def test_print_summary_shows_why_a_run_failed() -> None:
    """A failed run shows its reason and first error."""
    stream = io.StringIO()

    print_summary(
        summary(status="failed", reason="shards failed", error="HTTP 500 (/x)"), stream
    )

    lines = stream.getvalue().splitlines()
    assert lines[1] == "status     failed (shards failed)"
    assert lines[2] == "error      HTTP 500 (/x)"
