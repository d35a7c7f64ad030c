"""The activities over the simulator and a local lake, as Durable would call them."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from centreon.activities import (
    activities_for,
    compensate_run,
    fetch_shard,
    plan_run,
    publish_run,
)
from centreon.settings import Settings
from centreon.simulator import FaultConfig, Simulator
from centreon.telemetry import configure_logging
from tests.metric_reader import Recorded
from tests.simulator_fixtures import SimulatorFactory

SNAPSHOT = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
RUN = {"run_id": "ingest-20261203T1900Z", "snapshot_ts": SNAPSHOT.isoformat()}


def settings_for(sim: Simulator, lake: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "CENTREON_URL": sim.api_url,
            "CENTREON_USERNAME": sim.config.username,
            "CENTREON_PASSWORD": sim.config.password,
            "LAKE_URL": str(lake),
            "INGEST_MAX_SHARDS": "2",
            **extra,
        }
    )


def parquet_files(lake: Path) -> list[Path]:
    return sorted(lake.rglob("*.parquet")) if lake.exists() else []


def fetch_input(index: int, deadline: datetime | None = None) -> dict[str, Any]:
    deadline = deadline or datetime.now(UTC) + timedelta(minutes=5)
    return {
        **RUN,
        "shard": index,
        "concurrency": 4,
        "deadline_ts": deadline.isoformat(),
    }


async def test_plan_run_stages_the_plan_and_returns_its_shards(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """plan_run shards every detail URL and stages the urls dataset."""
    async with simulator(hosts=6, services_per_host=3) as sim:
        result = await plan_run(
            {**RUN, "dry_run": False}, settings=settings_for(sim, tmp_path)
        )

    assert result["status"] == "succeeded"
    assert result["totals"]["urls"] == 24
    assert sum(s["urls"] for s in result["shards"]) == 24
    assert [s["index"] for s in result["shards"]] == list(range(len(result["shards"])))
    assert result["plan"] == {"rows": 24, "files": 1}
    staged = [p.relative_to(tmp_path).parts[0] for p in parquet_files(tmp_path)]
    assert staged == ["_staging"]


@pytest.mark.parametrize("mode", ["detail", "listing"])
async def test_plan_run_counts_what_planning_cost_centreon(
    simulator: SimulatorFactory, tmp_path: Path, mode: str
) -> None:
    """plan_run returns its requests (sign-in and sign-out included) and logins."""
    async with simulator(hosts=3, services_per_host=2) as sim:
        settings = settings_for(sim, tmp_path, INGEST_MODE=mode)
        result = await plan_run({**RUN, "dry_run": True}, settings=settings)
        served = sim.counters.total_requests

    assert result["requests"] == served
    assert result["logins"] == 1
    assert (result["retries"], result["refused"]) == (0, 0)


async def test_plan_run_writes_nothing_on_a_dry_run(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A dry run discovers and plans but leaves the lake untouched."""
    async with simulator(hosts=3, services_per_host=2) as sim:
        result = await plan_run(
            {**RUN, "dry_run": True}, settings=settings_for(sim, tmp_path / "lake")
        )

    assert result["totals"]["urls"] == 9
    assert result["plan"] == {"rows": 0, "files": 0}
    assert not (tmp_path / "lake").exists()


async def test_plan_run_returns_a_failure_for_a_refused_login(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A wrong password is a returned failure naming the error, not the password."""
    async with simulator(hosts=2) as sim:
        settings = settings_for(sim, tmp_path, CENTREON_PASSWORD="not-the-password")
        result = await plan_run({**RUN, "dry_run": False}, settings=settings)

    assert result["status"] == "failed"
    assert result["error"].startswith("LoginError")
    assert "not-the-password" not in result["error"]


async def test_fetch_shard_stages_rows_and_counts_them_per_dataset(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """fetch_shard writes one shard's records and reports rows and files."""
    async with simulator(hosts=6, services_per_host=3) as sim:
        settings = settings_for(sim, tmp_path)
        plan = await plan_run({**RUN, "dry_run": False}, settings=settings)
        outcomes = [
            await fetch_shard(fetch_input(s["index"]), settings=settings)
            for s in plan["shards"]
        ]

    assert {o["status"] for o in outcomes} == {"succeeded"}
    assert sum(o["rows"]["hosts"] for o in outcomes) == 6
    assert sum(o["rows"]["services"] for o in outcomes) == 18
    assert [o["ok"] for o in outcomes] == [s["urls"] for s in plan["shards"]]


async def test_fetch_shard_stops_at_the_deadline(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A shard whose deadline has passed reports a failure instead of fetching."""
    async with simulator(hosts=4) as sim:
        settings = settings_for(sim, tmp_path)
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        past = datetime.now(UTC) - timedelta(seconds=1)
        outcome = await fetch_shard(fetch_input(0, past), settings=settings)

    assert outcome == {"shard": 0, "status": "failed", "error": "deadline passed"}


async def test_fetch_shard_logs_the_deadline_stop_with_run_and_shard(
    simulator: SimulatorFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The deadline warning names the run and the shard."""
    async with simulator(hosts=2) as sim:
        settings = settings_for(sim, tmp_path)
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        past = datetime.now(UTC) - timedelta(seconds=1)
        with caplog.at_level(logging.WARNING, logger="centreon.activities"):
            await fetch_shard(fetch_input(1, past), settings=settings)

    stops = [r for r in caplog.records if r.message == "shard stopped at the deadline"]
    assert [(r.run_id, r.shard) for r in stops] == [(RUN["run_id"], 1)]


async def test_fetch_shard_lines_all_carry_the_run_and_the_shard(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """Every line a shard logs, the client's and the lake's included, names both."""
    async with simulator(hosts=3, services_per_host=2) as sim:
        settings = settings_for(sim, tmp_path)
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        stream = io.StringIO()
        handler = configure_logging(logging.DEBUG, "json", stream)
        try:
            outcome = await fetch_shard(fetch_input(0), settings=settings)
        finally:
            logging.getLogger().removeHandler(handler)
            logging.getLogger().setLevel(logging.WARNING)

    assert outcome["status"] == "succeeded"
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    shard_lines = [
        e
        for e in events
        if e["logger"].startswith("centreon.")
        and not e["logger"].startswith("centreon.simulator")
    ]
    assert {e["logger"] for e in shard_lines} >= {"centreon.client", "centreon.fetch"}
    assert {(e.get("run_id"), e.get("shard")) for e in shard_lines} == {
        (RUN["run_id"], 0)
    }


@pytest.mark.parametrize(
    ("staged", "deadline", "status"),
    [
        pytest.param(True, timedelta(seconds=-1), "deadline", id="deadline"),
        pytest.param(False, timedelta(minutes=5), "failed", id="no-staged-plan"),
        pytest.param(True, timedelta(minutes=5), "succeeded", id="fetched"),
    ],
)
async def test_fetch_shard_emits_shard_metrics_tagged_with_its_status(
    simulator: SimulatorFactory,
    tmp_path: Path,
    staged: bool,
    deadline: timedelta,
    status: str,
) -> None:
    """Every shard, stopped or failed too, emits its duration tagged with status."""
    async with simulator(hosts=2) as sim:
        settings = settings_for(sim, tmp_path, INGEST_MAX_SHARDS="1")
        if staged:
            await plan_run({**RUN, "dry_run": False}, settings=settings)
        recorded = Recorded()
        await fetch_shard(
            fetch_input(0, datetime.now(UTC) + deadline), settings=settings
        )

    durations = recorded.collect()["centreon.shard.duration"]
    assert [p.attributes for p in durations] == [{"shard": 0, "status": status}]


async def test_fetch_shard_returns_a_failure_for_a_failing_resource(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A resource that keeps answering 500 fails its shard with a reason."""
    async with simulator(hosts=2, services_per_host=1) as sim:
        failing = sim.fleet.hosts[0].uuid
    async with simulator(
        hosts=2, services_per_host=1, faults=FaultConfig(failing=frozenset({failing}))
    ) as sim:
        settings = settings_for(sim, tmp_path, INGEST_MAX_SHARDS="1")
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        outcome = await fetch_shard(fetch_input(0), settings=settings)

    assert outcome["status"] == "failed"
    assert "HTTP 500" in outcome["error"]


async def test_publish_run_moves_the_run_into_place(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """publish_run publishes every staged file and names the manifest."""
    async with simulator(hosts=3, services_per_host=2) as sim:
        steps = activities_for(settings_for(sim, tmp_path, INGEST_MAX_SHARDS="1"))
        await steps["plan_run"]({**RUN, "dry_run": False})
        await steps["fetch_shard"](fetch_input(0))
        result = await steps["publish_run"]({**RUN, "summary": {"trigger": "cli"}})

    assert result["status"] == "succeeded"
    assert result["manifest"] == "_runs/ingest-20261203T1900Z.json"
    assert result["datasets"]["services"]["rows"] == 6
    assert (tmp_path / "_runs" / "ingest-20261203T1900Z.json").exists()
    published = {p.parts[len(tmp_path.parts)] for p in parquet_files(tmp_path)}
    assert published == {"hosts", "services", "urls"}


async def test_compensate_run_leaves_no_data_behind(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """compensate_run deletes the staged run and records it as failed."""
    async with simulator(hosts=3) as sim:
        settings = settings_for(sim, tmp_path)
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        await fetch_shard(fetch_input(0), settings=settings)
        result = await compensate_run(
            {**RUN, "reason": "shards failed", "summary": {}}, settings=settings
        )

    assert result == {
        "status": "succeeded",
        "manifest": "_runs/ingest-20261203T1900Z.json",
    }
    assert parquet_files(tmp_path) == []


async def test_publish_run_leaves_recording_a_failed_run_to_compensation(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """Publishing a run already failed emits no run metrics; compensation does."""
    summary = {"trigger": "cli", "requests": 9, "retries": 0}
    async with simulator(hosts=2) as sim:
        settings = settings_for(sim, tmp_path, INGEST_MAX_SHARDS="1")
        await plan_run({**RUN, "dry_run": False}, settings=settings)
        compensation = {**RUN, "reason": "deadline", "summary": summary}
        await compensate_run(compensation, settings=settings)
        recorded = Recorded()
        published = await publish_run({**RUN, "summary": summary}, settings=settings)
        after_publish = recorded.collect()
        await compensate_run(compensation, settings=settings)
        after_compensation = recorded.collect()

    assert published["status"] == "failed"
    assert not [name for name in after_publish if name.startswith("centreon.run.")]
    runs = after_compensation["centreon.run.requests"]
    assert [(p.attributes, p.value, p.count) for p in runs] == [
        ({"status": "failed"}, 9, 1)
    ]


async def test_publish_run_records_a_published_run_with_its_rows(
    simulator: SimulatorFactory, tmp_path: Path
) -> None:
    """A published run emits its rows by dataset once, tagged succeeded."""
    async with simulator(hosts=3, services_per_host=2) as sim:
        steps = activities_for(settings_for(sim, tmp_path, INGEST_MAX_SHARDS="1"))
        await steps["plan_run"]({**RUN, "dry_run": False})
        await steps["fetch_shard"](fetch_input(0))
        recorded = Recorded()
        await steps["publish_run"]({**RUN, "summary": {"trigger": "cli"}})

    rows = recorded.collect()["centreon.run.rows"]
    assert {p.attributes["dataset"]: (p.value, p.count) for p in rows} == {
        "hosts": (3, 1),
        "services": (6, 1),
        "urls": (9, 1),
    }
    assert {p.attributes["status"] for p in rows} == {"succeeded"}


@pytest.mark.parametrize(
    "activity", [plan_run, publish_run, compensate_run], ids=lambda f: f.__name__
)
async def test_activities_read_settings_from_the_environment_by_default(
    activity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without settings passed in, an activity reads them from the environment."""
    monkeypatch.delenv("CENTREON_URL", raising=False)

    with pytest.raises(Exception, match="CENTREON_URL"):
        await activity({**RUN, "dry_run": True, "reason": "x"})
