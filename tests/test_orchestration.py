"""The ``ingest`` orchestrator, replayed from Durable histories through the SDK."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.durable_functions.models.ReplaySchema import ReplaySchema

from centreon.orchestration import ingest, parse_run_request
from tests.durable_history import History, Replay, replay

# azure-functions-durable 1.7.0 keeps call_activity_with_retry's expected_type on
# the retry wrapper, not on the attempt whose result is decoded, so decoding warns
# once per process; drop this filter when the SDK forwards the type.
pytestmark = pytest.mark.filterwarnings(
    "ignore:azure.functions df_loads was called without:DeprecationWarning"
)

T0 = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(seconds=270)
RUN_ID = "ingest-20261203T1900Z"
PLAN = {
    "status": "succeeded",
    "shards": [
        {"index": 0, "concurrency": 6, "urls": 10},
        {"index": 1, "concurrency": 6, "urls": 9},
    ],
    "totals": {"hosts": 3, "services": 16, "urls": 19},
    "plan": {"rows": 19, "files": 1},
    "requests": 7,
    "retries": 1,
    "logins": 1,
    "refused": 2,
}


def shard_outcome(
    index: int, hosts: int, services: int, **extra: Any
) -> dict[str, Any]:
    return {
        "shard": index,
        "status": "succeeded",
        "error": None,
        "ok": hosts + services,
        "vanished": 1,
        "failed": 0,
        "requests": hosts + services + 1,
        "retries": 2,
        "logins": 1,
        "refused": 0,
        "rows": {"hosts": hosts, "services": services},
        "files": {"hosts": 1, "services": 1},
        **extra,
    }


# Every replay schema the SDK speaks: from V2 on, fan-outs nest as compound actions.
SCHEMAS = pytest.mark.parametrize(
    "schema", [pytest.param(s.value, id=f"schema-{s.name}") for s in ReplaySchema]
)


def started(dry_run: bool = False, schema: int = ReplaySchema.V1.value) -> History:
    request = {"dry_run": dry_run, "trigger": "timer", "deadline_s": 270}
    return History(RUN_ID, request, T0, schema_version=schema)


def planned(history: History) -> tuple[int, int, int]:
    """Append the first episode and the plan's completion; return the three ids."""
    plan = history.schedule("plan_run")
    timer = history.create_timer(DEADLINE)
    history.next_episode()
    history.complete(plan, PLAN)

    return plan, timer, 0


def fanned_out(history: History) -> tuple[int, int, int]:
    """Plan, then schedule both shards; return (timer, shard 0, shard 1) ids."""
    _, timer, _ = planned(history)
    shard0 = history.schedule("fetch_shard")
    shard1 = history.schedule("fetch_shard")
    history.next_episode()

    return timer, shard0, shard1


def publishing(schema: int) -> tuple[History, int]:
    """A run whose two shards succeeded, with its ``publish_run`` scheduled."""
    history = started(schema=schema)
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard0, shard_outcome(0, 2, 8))
    history.complete(shard1, shard_outcome(1, 1, 8))

    return history, history.schedule("publish_run")


def names(state: Replay) -> list[str]:
    return [name for name, _ in state.scheduled()]


@SCHEMAS
def test_ingest_schedules_plan_and_deadline_timer_first(schema: int) -> None:
    """The first episode asks for plan_run and a timer at the run's deadline."""
    state = replay(ingest, started(schema=schema))

    assert names(state) == ["plan_run"]
    assert state.scheduled()[0][1] == {
        "run_id": RUN_ID,
        "snapshot_ts": T0.isoformat(),
        "dry_run": False,
    }
    assert [t["fireAt"] for t in state.timers()] == ["2026-12-03T19:04:30.000000Z"]
    assert not state.is_done


@SCHEMAS
def test_ingest_fans_out_one_fetch_per_shard_after_planning(schema: int) -> None:
    """Each planned shard gets one fetch_shard with its index, share and deadline."""
    history = started(schema=schema)
    planned(history)

    state = replay(ingest, history)

    fetches = [payload for name, payload in state.scheduled() if name == "fetch_shard"]
    assert [(f["shard"], f["concurrency"]) for f in fetches] == [(0, 6), (1, 6)]
    assert {f["deadline_ts"] for f in fetches} == {DEADLINE.isoformat()}
    assert state.custom_status["shards_total"] == 2
    assert state.custom_status["shards_done"] == 0


def test_ingest_forwards_a_listing_shard_to_its_fetch() -> None:
    """A listing-mode shard's page ranges travel to its fetch_shard input."""
    history = started()
    plan = history.schedule("plan_run")
    history.create_timer(DEADLINE)
    history.next_episode()
    listing = {"index": 0, "concurrency": 4, "ranges": [["host", 1, 2, True]]}
    shard = {"index": 0, "concurrency": 4, "urls": 3, "listing": listing}
    history.complete(plan, {**PLAN, "shards": [shard]})

    state = replay(ingest, history)

    assert state.scheduled()[-1] == (
        "fetch_shard",
        {
            "run_id": RUN_ID,
            "snapshot_ts": T0.isoformat(),
            "shard": 0,
            "concurrency": 4,
            "deadline_ts": DEADLINE.isoformat(),
            "listing": listing,
        },
    )


@SCHEMAS
def test_ingest_publishes_when_every_shard_succeeded(schema: int) -> None:
    """With both shards succeeded, publish_run is scheduled with the run's counts."""
    history = started(schema=schema)
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard1, shard_outcome(1, 1, 8))
    history.complete(shard0, shard_outcome(0, 2, 8))

    state = replay(ingest, history)

    assert names(state)[-1] == "publish_run"
    summary = state.scheduled()[-1][1]["summary"]
    assert summary["datasets"]["services"] == {"rows": 16, "files": 2}
    assert summary["requests"] == 28
    assert "compensate_run" not in names(state)


@SCHEMAS
def test_ingest_cancels_the_deadline_timer_once_every_shard_settled(
    schema: int,
) -> None:
    """Once every shard settled in time, the deadline timer is cancelled."""
    history = started(schema=schema)
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard0, shard_outcome(0, 2, 8))
    history.complete(shard1, shard_outcome(1, 1, 8))

    state = replay(ingest, history)

    assert state.timers()[0]["isCanceled"] is True


@SCHEMAS
def test_ingest_reports_success_after_publish(schema: int) -> None:
    """A published run ends done, succeeded, with the manifest's datasets."""
    history, publish = publishing(schema)
    history.next_episode(timedelta(seconds=3))
    datasets = {"hosts": {"rows": 3, "files": 2}, "services": {"rows": 16, "files": 2}}
    history.complete(
        publish,
        {
            "status": "succeeded",
            "manifest": f"_runs/{RUN_ID}.json",
            "datasets": datasets,
        },
    )

    state = replay(ingest, history)

    assert state.is_done
    assert state.output["status"] == "succeeded"
    assert state.output["reason"] is None
    assert state.output["manifest"] == f"_runs/{RUN_ID}.json"
    assert state.output["datasets"] == datasets
    assert state.output["shards"] == {
        "total": 2,
        "succeeded": 2,
        "failed": 0,
        "abandoned": 0,
    }
    assert state.output["duration_s"] == 5.0
    assert state.custom_status == {
        "phase": "done",
        "run_id": RUN_ID,
        "status": "succeeded",
    }


@SCHEMAS
def test_ingest_counts_planning_in_the_run_totals(schema: int) -> None:
    """The summary's request counters add plan_run's to every shard's."""
    history, publish = publishing(schema)
    history.next_episode()
    history.complete(publish, {"status": "succeeded", "manifest": "_runs/x.json"})

    state = replay(ingest, history)

    counts = {k: state.output[k] for k in ("requests", "retries", "logins", "refused")}
    assert counts == {"requests": 7 + 11 + 10, "retries": 5, "logins": 3, "refused": 2}


def test_ingest_counts_planning_requests_in_progress_before_any_shard() -> None:
    """Requests/s in custom status include planning from the first fetch on."""
    history = started()
    planned(history)

    state = replay(ingest, history)

    assert state.custom_status["requests"] == 7


def test_ingest_counts_planning_requests_on_a_dry_run() -> None:
    """A dry run reports what planning cost Centreon."""
    history = started(dry_run=True)
    planned(history)

    state = replay(ingest, history)

    counts = {k: state.output[k] for k in ("requests", "retries", "logins", "refused")}
    assert counts == {"requests": 7, "retries": 1, "logins": 1, "refused": 2}


def orchestration_log(caplog: pytest.LogCaptureFixture) -> list[tuple[str, Any]]:
    return [
        (r.message, getattr(r, "shard", None))
        for r in caplog.records
        if r.name == "centreon.orchestration"
    ]


@SCHEMAS
def test_ingest_logs_the_run_start_in_its_first_episode(
    schema: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The first episode, not a replay, logs that the run started."""
    with caplog.at_level(logging.INFO, logger="centreon.orchestration"):
        replay(ingest, started(schema=schema))

    assert orchestration_log(caplog) == [("run started", None)]


@SCHEMAS
def test_ingest_logs_nothing_of_what_it_replays(
    schema: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Replayed episodes stay silent; only the shard settled in the new one logs."""
    history = started(schema=schema)
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard0, shard_outcome(0, 2, 8))
    history.next_episode()
    history.complete(shard1, shard_outcome(1, 1, 8))

    with caplog.at_level(logging.INFO, logger="centreon.orchestration"):
        replay(ingest, history)

    assert orchestration_log(caplog) == [("shard settled", 1)]


@SCHEMAS
def test_ingest_logs_the_run_finish_once_when_it_ends(
    schema: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The episode that ends the run logs its finish, and nothing replayed."""
    history, publish = publishing(schema)
    history.next_episode()
    history.complete(publish, {"status": "succeeded", "manifest": "_runs/x.json"})

    with caplog.at_level(logging.INFO, logger="centreon.orchestration"):
        replay(ingest, history)

    assert orchestration_log(caplog) == [("run finished", None)]


def test_ingest_reports_progress_in_custom_status_as_shards_settle() -> None:
    """Custom status counts settled shards and the rows they wrote."""
    history = started()
    _, _, shard1 = fanned_out(history)
    history.complete(shard1, shard_outcome(1, 1, 8))

    state = replay(ingest, history)

    assert state.custom_status["phase"] == "fetching"
    assert state.custom_status["shards_done"] == 1
    assert state.custom_status["shards_total"] == 2
    assert state.custom_status["rows"] == 9


@SCHEMAS
def test_ingest_waits_for_running_shards_when_one_shard_failed(schema: int) -> None:
    """A shard failing for good schedules nothing while another is still running."""
    history = started(schema=schema)
    _, shard0, _ = fanned_out(history)
    history.fail_with_retries(shard0, "fetch_shard", 3, "worker lost")

    state = replay(ingest, history)

    assert "compensate_run" not in names(state)
    assert "publish_run" not in names(state)
    assert not state.is_done
    assert state.custom_status["shards_failed"] == 1


@pytest.mark.parametrize(
    "settle_shard0",
    [
        pytest.param(
            lambda h, i: h.fail_with_retries(i, "fetch_shard", 3, "worker lost"),
            id="raised",
        ),
        pytest.param(
            lambda h, i: h.complete(
                i, shard_outcome(0, 0, 0, status="failed", error="HTTP 500 (url)")
            ),
            id="returned",
        ),
    ],
)
def test_ingest_compensates_after_all_shards_settle_when_one_failed(
    settle_shard0: Any,
) -> None:
    """A failed shard, raised or returned, leads to compensation, never to publish."""
    history = started()
    _, shard0, shard1 = fanned_out(history)
    settle_shard0(history, shard0)
    history.next_episode()
    history.complete(shard1, shard_outcome(1, 1, 8))

    state = replay(ingest, history)

    assert names(state)[-1] == "compensate_run"
    assert "publish_run" not in names(state)
    payload = state.scheduled()[-1][1]
    assert payload["reason"].startswith("shards failed")
    assert payload["summary"]["shards"]["failed"] == 1


def test_ingest_reports_failure_after_compensation() -> None:
    """A compensated run ends done and failed with the reason and the first error."""
    history = started()
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard0, shard_outcome(0, 0, 0, status="failed", error="HTTP 400"))
    history.complete(shard1, shard_outcome(1, 1, 8))
    compensate = history.schedule("compensate_run")
    history.next_episode()
    history.complete(compensate, {"status": "succeeded", "manifest": "_runs/x.json"})

    state = replay(ingest, history)

    assert state.is_done
    assert state.output["status"] == "failed"
    assert state.output["reason"] == "shards failed"
    assert state.output["error"] == "HTTP 400"
    assert state.output["compensated"] is True
    assert state.output["failures"] == [{"shard": 0, "error": "HTTP 400"}]


@pytest.mark.parametrize(
    "settle_publish",
    [
        pytest.param(
            lambda h, i: h.fail_with_retries(i, "publish_run", 3, "lake refused"),
            id="raised",
        ),
        pytest.param(
            lambda h, i: h.complete(i, {"status": "failed", "error": "lake refused"}),
            id="returned",
        ),
    ],
)
def test_ingest_compensates_when_publish_fails(settle_publish: Any) -> None:
    """A publish that fails for good is followed by compensation of the run."""
    history = started()
    _, shard0, shard1 = fanned_out(history)
    history.complete(shard0, shard_outcome(0, 2, 8))
    history.complete(shard1, shard_outcome(1, 1, 8))
    publish = history.schedule("publish_run")
    history.next_episode()
    settle_publish(history, publish)

    state = replay(ingest, history)

    assert names(state)[-1] == "compensate_run"
    assert state.scheduled()[-1][1]["reason"] == "publish failed: lake refused"


@SCHEMAS
def test_ingest_compensates_at_once_when_the_deadline_passes(schema: int) -> None:
    """The deadline timer firing with a shard pending schedules compensation."""
    history = started(schema=schema)
    timer, _, shard1 = fanned_out(history)
    history.complete(shard1, shard_outcome(1, 1, 8))
    history.next_episode(timedelta(seconds=268))
    history.fire_timer(timer, DEADLINE)

    state = replay(ingest, history)

    assert names(state)[-1] == "compensate_run"
    payload = state.scheduled()[-1][1]
    assert payload["reason"] == "deadline"
    assert payload["summary"]["shards"]["abandoned"] == 1


def test_ingest_reports_a_late_run_as_failed_with_reason_deadline() -> None:
    """A run past its deadline ends failed with reason deadline, shards abandoned."""
    history = started()
    timer, _, _ = fanned_out(history)
    history.next_episode(timedelta(seconds=269))
    history.fire_timer(timer, DEADLINE)
    compensate = history.schedule("compensate_run")
    history.next_episode()
    history.complete(compensate, {"status": "succeeded", "manifest": "_runs/x.json"})

    state = replay(ingest, history)

    assert state.is_done
    assert state.output["status"] == "failed"
    assert state.output["reason"] == "deadline"
    assert state.output["shards"]["abandoned"] == 2


def test_ingest_compensates_when_the_deadline_passes_during_planning() -> None:
    """The deadline firing before the plan settles compensates without fetching."""
    history = started()
    history.schedule("plan_run")
    timer = history.create_timer(DEADLINE)
    history.next_episode(timedelta(seconds=270))
    history.fire_timer(timer, DEADLINE)

    state = replay(ingest, history)

    assert names(state) == ["plan_run", "compensate_run"]
    assert state.scheduled()[-1][1]["reason"] == "deadline"


def test_ingest_compensates_when_planning_fails() -> None:
    """A plan that fails for good is compensated and nothing is fetched."""
    history = started()
    plan = history.schedule("plan_run")
    history.create_timer(DEADLINE)
    history.next_episode()
    history.fail_with_retries(plan, "plan_run", 3, "LoginError: /login refused")

    state = replay(ingest, history)

    assert names(state)[-1] == "compensate_run"
    assert "fetch_shard" not in names(state)
    assert state.scheduled()[-1][1]["reason"].startswith("plan failed: LoginError")


@SCHEMAS
def test_ingest_plans_only_on_a_dry_run(schema: int) -> None:
    """A dry run finishes after planning, with the plan and no fetch or publish."""
    history = started(dry_run=True, schema=schema)
    planned(history)

    state = replay(ingest, history)

    assert names(state) == ["plan_run"]
    assert state.is_done
    assert state.output["status"] == "succeeded"
    assert state.output["dry_run"] is True
    assert state.output["totals"] == PLAN["totals"]
    assert [s["index"] for s in state.output["plan"]] == [0, 1]
    assert state.output["shards"] == {
        "total": 2,
        "succeeded": 0,
        "failed": 0,
        "abandoned": 0,
    }
    assert state.timers()[0]["isCanceled"] is True


def test_ingest_asks_plan_run_not_to_write_on_a_dry_run() -> None:
    """plan_run receives dry_run so that it leaves the lake untouched."""
    state = replay(ingest, started(dry_run=True))

    assert state.scheduled()[0][1]["dry_run"] is True


def test_ingest_fails_the_orchestration_on_an_unsafe_run_id() -> None:
    """A run id that cannot name a lake folder fails the orchestration at once."""
    history = History(RUN_ID, {"run_id": "../etc", "dry_run": False}, T0)

    state = replay(ingest, history)

    assert state.error is not None
    assert "run_id" in state.error
    assert names(state) == []


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        pytest.param([], "JSON object", id="not-an-object"),
        pytest.param({"dry_run": "yes"}, "dry_run", id="dry-run-not-bool"),
        pytest.param({"trigger": "cron"}, "trigger", id="unknown-trigger"),
        pytest.param({"deadline_s": 0}, "deadline_s", id="zero-deadline"),
        pytest.param({"deadline_s": True}, "deadline_s", id="bool-deadline"),
    ],
)
def test_parse_run_request_rejects_bad_input(raw: Any, problem: str) -> None:
    """Malformed orchestrator input is refused with a reason naming the field."""
    with pytest.raises(ValueError, match=problem):
        parse_run_request(raw, RUN_ID)


def test_parse_run_request_defaults_run_id_to_the_instance_id() -> None:
    """Without a run_id, the run is named after the orchestration instance."""
    request = parse_run_request({"dry_run": True}, RUN_ID)

    assert request.run_id == RUN_ID
    assert request.dry_run is True
    assert request.deadline_s == 270.0
