"""The live progress line and the summary table."""

from __future__ import annotations

import io
from typing import Any

from centreon.report import Progress, print_summary

FETCHING = {"phase": "fetching", "shards_done": 3, "shards_total": 8, "rows": 12345}


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_draws_a_live_line_on_a_terminal() -> None:
    """On a terminal, each status redraws one line: shards, rows, requests/s."""
    stream = Terminal()
    ticks = iter([0.0, 2.0])
    progress = Progress(stream, clock=lambda: next(ticks))

    progress({**FETCHING, "requests": 500})
    progress.close()

    assert stream.getvalue() == (
        "\r\x1b[2Kfetching  shards 3/8  rows 12,345  250 req/s\n"
    )


def test_progress_stays_silent_when_not_a_terminal() -> None:
    """Piped stderr gets no progress line."""
    stream = io.StringIO()
    progress = Progress(stream)

    progress(FETCHING)
    progress.close()

    assert stream.getvalue() == ""


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
