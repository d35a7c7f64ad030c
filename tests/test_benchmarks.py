"""The benchmark harness: its quick session's outputs, and what it measures.

These tests prove the harness works and writes every row and column; they
assert nothing about speed (the figures come from ``make bench``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from benchmarks.__main__ import run_session
from benchmarks.measure import environment, run_measured
from benchmarks.report import COLUMNS, LABELS
from benchmarks.scenario import APPROACHES, QUICK, Suite
from benchmarks.suite import Row, published_mode
from benchmarks.targets import judge
from benchmarks.traffic import Traffic

SIZE = 100
SUITE: Suite = replace(QUICK, sizes={approach: (SIZE,) for approach in APPROACHES})


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One quick session at N=100 for every approach, written to a temp folder."""
    folder = tmp_path_factory.mktemp("bench")
    rows, verdicts, profile, paths = run_session(SUITE, folder, profile_resources=200)
    return {"rows": rows, "verdicts": verdicts, "profile": profile, "paths": paths}


def test_quick_session_writes_json_markdown_and_plot(session: dict[str, Any]) -> None:
    """The session leaves bench.json, bench.md and a PNG bench.png."""
    paths = session["paths"]

    assert json.loads(paths["json"].read_text())["suite"] == "quick"
    assert paths["markdown"].read_text().startswith("Session `quick`")
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quick_session_json_has_every_row_and_column(session: dict[str, Any]) -> None:
    """bench.json holds one row per approach, every measured column filled in."""
    rows = json.loads(session["paths"]["json"].read_text())["rows"]

    assert [r["approach"] for r in rows] == list(APPROACHES)
    for row in rows:
        assert row["status"] == "ok", row
        missing = [key for key, _ in COLUMNS if row.get(key) is None]
        assert missing == [], (row["approach"], missing)


def test_quick_session_profiles_the_conversion_by_stage(
    session: dict[str, Any],
) -> None:
    """The conversion profile has every stage, and its total is their sum."""
    profile = session["profile"]

    assert profile is not None
    stages = profile["stages_us"]
    assert set(stages) == {"decode", "arrow", "parquet"}
    assert all(us > 0 for us in stages.values())
    assert profile["total_us"] == pytest.approx(sum(stages.values()), abs=0.05)
    assert profile["hotspots"]


def test_quick_session_judges_every_target(session: dict[str, Any]) -> None:
    """Each target of the session gets a verdict with a measurement, none unmeasured."""
    targets = [v.target for v in session["verdicts"]]

    assert targets == [
        f"detail mode, {SIZE} URLs",
        f"listing mode, {SIZE} resources",
        f"peak RSS, listing mode, {SIZE} resources",
        "peak RSS, listing mode, flat in N",
        "decode -> Arrow -> Parquet, CPU per resource",
    ]
    measured = [v for v in session["verdicts"] if v.gap != "not measured"]
    assert [v.target for v in measured] == [
        t for t in targets if t != "peak RSS, listing mode, flat in N"
    ]


def test_quick_session_markdown_has_a_line_per_row(session: dict[str, Any]) -> None:
    """The Markdown table has a header, a rule and one line per row."""
    text = session["paths"]["markdown"].read_text()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    header = table[0].strip("| ").split(" | ")

    assert header == [title for _, title in COLUMNS]
    rows = table[1 : 1 + len(APPROACHES)]
    assert [line.split(" | ")[0].strip("| ") for line in rows] == [
        LABELS[approach] for approach in APPROACHES
    ]


@pytest.mark.parametrize("approach", APPROACHES)
def test_quick_session_approach_accounts_for_every_resource(
    session: dict[str, Any], approach: str
) -> None:
    """An approach's rows and lost calls add up to N, and the server saw them."""
    row = next(r for r in session["rows"] if r.approach == approach)

    assert row.status == "ok", row.note
    assert row.rows + row.failed == SIZE
    assert row.requests > 0
    assert row.peak_rss_mb > 0


def test_quick_session_lake_modes_publish_every_resource(
    session: dict[str, Any],
) -> None:
    """Detail and listing mode each publish one row per resource, none lost."""
    rows = [r for r in session["rows"] if r.approach in ("detail", "listing")]

    assert [(r.approach, r.rows, r.failed) for r in rows] == [
        ("detail", SIZE, 0),
        ("listing", SIZE, 0),
    ]


def test_quick_session_semaphore_baseline_stays_within_budget(
    session: dict[str, Any],
) -> None:
    """With a semaphore at the budget, the server never holds more than the budget."""
    row = next(r for r in session["rows"] if r.approach == "gather-semaphore")

    assert row.max_in_flight is not None
    assert row.max_in_flight <= SUITE.budget


def test_run_measured_reports_the_childs_own_peak_memory() -> None:
    """A child that allocates 64 MB shows a peak RSS above 64 MB, its own."""
    code = "b = bytearray(64 * 2**20); b[::4096] = b'x' * len(b[::4096])"

    usage = run_measured(
        [sys.executable, "-c", code], env=environment({}), timeout_s=60
    )

    assert usage.returncode == 0
    assert usage.peak_rss_mb > 64


def test_run_measured_kills_a_child_past_its_timeout() -> None:
    """A child still running at the timeout is killed and marked timed out."""
    usage = run_measured(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        env=environment({}),
        timeout_s=0.5,
    )

    assert usage.timed_out
    assert usage.returncode != 0


def test_traffic_between_counts_requests_by_route_and_status() -> None:
    """Requests and refusals are the difference of the two snapshots."""
    before = {"requests": {"/login": {"200": 1}}, "refused": 2, "max_in_flight": 3}
    after = {
        "requests": {"/login": {"200": 1}, "/detail": {"200": 5, "503": 4}},
        "refused": 6,
        "max_in_flight": 9,
    }

    traffic = Traffic.between(before, after)

    assert traffic == Traffic(requests=9, refused=4, max_in_flight=9)


def _row(approach: str, n: int, **fields: Any) -> Row:
    values: dict[str, Any] = dict.fromkeys(Row.__slots__, None)
    values.update(approach=approach, resources=n, status="ok", limit_s=10.0, note="")
    values.update(concurrency=30)
    values.update(fields)
    return Row(**values)


def test_judge_states_the_gap_of_a_missed_target() -> None:
    """A detail run at 1.32x N x L / C misses the 1.10x target and says by how much."""
    rows = [_row("detail", 2000, ratio=1.32, run_s=13.2)]

    verdict = judge(rows, detail_sizes=(2000,), listing_sizes=(), conversion_us=None)[0]

    assert verdict.met is False
    assert verdict.gap == "over by 0.22 (1.20x the goal)"


def test_judge_explains_a_detail_run_by_its_phases() -> None:
    """A detail verdict says how long planning took and how many were in flight."""
    phases = {"plan": 2.0, "fetch": 11.0, "publish": 0.2}
    rows = [
        _row("detail", 2000, ratio=1.32, run_s=13.2, phases=phases, max_in_flight=24)
    ]

    verdict = judge(rows, detail_sizes=(2000,), listing_sizes=(), conversion_us=None)[0]

    assert "plan (discovery) 2.0 s = 20%" in verdict.why
    assert "at most 24 of C=30 in flight" in verdict.why
    assert "fetch vs N·L/24 = 0.88x" in verdict.why


def test_judge_splits_detail_time_into_a_cost_per_run_and_per_url() -> None:
    """Two detail sizes give the cost per URL against L / C and the fixed cost."""
    rows = [
        _row("detail", 2000, ratio=1.2, run_s=12.0, limit_s=10.0),
        _row("detail", 20_000, ratio=1.09, run_s=109.2, limit_s=100.0),
    ]

    verdicts = judge(
        rows, detail_sizes=(2000, 20_000), listing_sizes=(), conversion_us=None
    )

    assert [v.why.rsplit("; ", 1)[-1] for v in verdicts[:2]] == [
        "across sizes: 1.080x L/C per URL plus 1.2 s per run"
    ] * 2


def _memory_verdicts(peaks: dict[int, float]) -> dict[str, Any]:
    rows = [_row("listing", n, wall_s=40.0, peak_rss_mb=mb) for n, mb in peaks.items()]
    verdicts = judge(
        rows, detail_sizes=(), listing_sizes=tuple(peaks), conversion_us=40.0
    )

    return {v.target: v for v in verdicts if v.target.startswith("peak RSS")}


def test_judge_fails_flat_memory_when_the_peak_keeps_growing() -> None:
    """Under 300 MB is not enough: a peak still growing 1.50x with N is not flat."""
    verdicts = _memory_verdicts({2000: 100.0, 100_000: 160.0, 200_000: 240.0})

    peak = verdicts["peak RSS, listing mode, 200,000 resources"]
    flat = verdicts["peak RSS, listing mode, flat in N"]
    assert (peak.met, flat.met) == (True, False)
    assert flat.measured == "1.50x from 100,000 to 200,000 resources"
    assert "100 MB at 2,000, 160 MB at 100,000, 240 MB at 200,000" in flat.why


def test_judge_passes_flat_memory_when_the_peak_levels_off() -> None:
    """A peak that grew at small N but not from the last size to the largest is flat."""
    verdicts = _memory_verdicts({2000: 100.0, 100_000: 250.0, 200_000: 260.0})

    flat = verdicts["peak RSS, listing mode, flat in N"]
    assert flat.met is True
    assert flat.measured == "1.04x from 100,000 to 200,000 resources"


def test_judge_fails_the_peak_over_300_mb_even_when_flat() -> None:
    """A flat peak above the 300 MB goal still misses that goal, by its gap."""
    verdicts = _memory_verdicts({100_000: 320.0, 200_000: 330.0})

    peak = verdicts["peak RSS, listing mode, 200,000 resources"]
    assert peak.met is False
    assert peak.gap == "over by 30.00 MB (1.10x the goal)"


@pytest.mark.parametrize(
    ("column", "mode"),
    [
        pytest.param("is_in_downtime", "listing", id="listing"),
        pytest.param("in_downtime", "detail", id="detail"),
    ],
)
def test_published_mode_tells_listing_rows_from_detail_rows(
    tmp_path: Path, column: str, mode: str
) -> None:
    """A published hosts part with listing columns reads as listing mode."""
    folder = tmp_path / "hosts" / "snapshot_date=2026-12-03" / "run_id=r1"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({column: [True]}), folder / "part-0000-0000.parquet")

    assert published_mode(tmp_path) == mode
