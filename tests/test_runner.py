"""The in-process driver: the ingest orchestration run with activities by name."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.durable_functions import RetryOptions

from centreon.orchestration import ingest
from centreon.runner import LocalContext, drive, local_run_id, run_locally
from tests.durable_history import History, replay

T0 = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)


class Clock:
    """A clock that moves only when the driver sleeps; sleeps are recorded.

    Short sleeps (retry intervals) pass at once; a sleep of a minute or more
    (the deadline timer) waits until the test opens ``gate``.
    """

    def __init__(self) -> None:
        self.now = T0
        self.sleeps: list[float] = []
        self.gate = asyncio.Event()

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds >= 60:
            await self.gate.wait()
        self.now += timedelta(seconds=seconds)


class Activities:
    """Activities by Durable name that log what ran, in order."""

    def __init__(self, shards: int = 3) -> None:
        self.shards = shards
        self.log: list[str] = []
        self.fetch_behaviour: dict[int, Any] = {}

    def outcome(self, index: int, **extra: Any) -> dict[str, Any]:
        return {
            "shard": index,
            "status": "succeeded",
            "ok": 10,
            "vanished": 1,
            "failed": 0,
            "requests": 12,
            "retries": 1,
            "logins": 1,
            "refused": 0,
            "rows": {"hosts": 2, "services": 8},
            "files": {"hosts": 1, "services": 1},
            **extra,
        }

    async def plan_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.log.append("plan")
        shards = [
            {"index": i, "concurrency": 4, "urls": 11} for i in range(self.shards)
        ]
        return {
            "status": "succeeded",
            "shards": shards,
            "totals": {"hosts": 6, "services": 24, "urls": 11 * self.shards},
            "plan": {"rows": 11 * self.shards, "files": 1},
        }

    async def fetch_shard(self, payload: dict[str, Any]) -> dict[str, Any]:
        index = payload["shard"]
        self.log.append(f"fetch {index} started")
        behaviour = self.fetch_behaviour.get(index)
        result = await behaviour(payload) if behaviour else self.outcome(index)
        self.log.append(f"fetch {index} settled")
        return result

    async def publish_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.log.append("publish")
        return {
            "status": "succeeded",
            "manifest": f"_runs/{payload['run_id']}.json",
            "datasets": payload["summary"]["datasets"],
        }

    async def compensate_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.log.append(f"compensate: {payload['reason']}")
        return {"status": "succeeded", "manifest": f"_runs/{payload['run_id']}.json"}

    def by_name(self) -> dict[str, Any]:
        return {
            "plan_run": self.plan_run,
            "fetch_shard": self.fetch_shard,
            "publish_run": self.publish_run,
            "compensate_run": self.compensate_run,
        }


async def run(activities: Activities, clock: Clock, **request: Any) -> dict[str, Any]:
    request = {"dry_run": False, "trigger": "cli", "deadline_s": 270, **request}
    return await asyncio.wait_for(
        run_locally(
            request,
            activities.by_name(),
            instance_id="local-20261203T190000Z-ab12",
            now=clock,
            sleep=clock.sleep,
        ),
        timeout=10,
    )


async def test_run_locally_publishes_a_run_whose_shards_all_succeed() -> None:
    """Every shard succeeding leads to publish and a succeeded summary."""
    activities = Activities()

    summary = await run(activities, Clock())

    assert summary["status"] == "succeeded"
    assert summary["run_id"] == "local-20261203T190000Z-ab12"
    assert summary["datasets"]["services"] == {"rows": 24, "files": 3}
    assert summary["requests"] == 36
    assert activities.log[-1] == "publish"


async def test_run_locally_runs_shards_concurrently() -> None:
    """Every shard starts before any shard settles."""
    activities = Activities()
    everyone = asyncio.Barrier(3)

    async def meet(payload: dict[str, Any]) -> dict[str, Any]:
        await everyone.wait()
        return activities.outcome(payload["shard"])

    activities.fetch_behaviour = dict.fromkeys(range(3), meet)

    summary = await run(activities, Clock())

    assert summary["status"] == "succeeded"
    assert activities.log[1:4] == [f"fetch {i} started" for i in range(3)]


async def test_run_locally_compensates_only_after_every_shard_settled() -> None:
    """A shard failing early is compensated only once the others have settled."""
    activities = Activities()
    release = asyncio.Event()

    async def fail(payload: dict[str, Any]) -> dict[str, Any]:
        asyncio.get_running_loop().call_soon(release.set)
        return activities.outcome(0, status="failed", error="HTTP 400 (/x)")

    async def slow(payload: dict[str, Any]) -> dict[str, Any]:
        await release.wait()
        return activities.outcome(payload["shard"])

    activities.fetch_behaviour = {0: fail, 1: slow, 2: slow}

    summary = await run(activities, Clock())

    assert summary["status"] == "failed"
    assert summary["reason"] == "shards failed"
    assert activities.log.index("fetch 0 settled") < activities.log.index(
        "fetch 2 settled"
    )
    assert activities.log[-1] == "compensate: shards failed: HTTP 400 (/x)"
    assert "publish" not in activities.log


def fail_shard_once(activities: Activities) -> list[int]:
    """Make shard 0 raise on its first call; return the list its calls append to."""
    calls: list[int] = []

    async def flaky(payload: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("worker lost")
        return activities.outcome(0)

    activities.fetch_behaviour = {0: flaky}

    return calls


async def test_run_locally_retries_a_raising_activity_after_its_interval() -> None:
    """An activity that raises once is retried after the first retry interval."""
    activities = Activities(shards=1)
    calls = fail_shard_once(activities)
    clock = Clock()

    summary = await run(activities, clock)

    assert summary["status"] == "succeeded"
    assert len(calls) == 2
    assert [s for s in clock.sleeps if s < 60] == [5.0]


async def test_run_locally_logs_a_shard_retry_with_its_run_and_shard(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The retry warning of a shard names the run and the shard."""
    activities = Activities(shards=1)
    fail_shard_once(activities)

    with caplog.at_level(logging.WARNING, logger="centreon.runner"):
        await run(activities, Clock())

    retries = [r for r in caplog.records if r.message == "activity retried"]
    assert [(r.run_id, r.shard, r.attempt) for r in retries] == [
        ("local-20261203T190000Z-ab12", 0, 1)
    ]


async def test_run_locally_counts_a_shard_that_keeps_raising_as_failed() -> None:
    """A shard raising on every attempt fails the run; its error is not a success."""
    activities = Activities(shards=2)

    async def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("disk full")

    activities.fetch_behaviour = {1: broken}

    summary = await run(activities, Clock())

    assert summary["status"] == "failed"
    assert summary["shards"]["failed"] == 1
    assert "disk full" in summary["error"]
    assert activities.log[-1].startswith("compensate: shards failed")


async def test_run_locally_compensates_a_run_past_its_deadline() -> None:
    """A shard still running at the deadline is abandoned and the run compensated."""
    activities = Activities(shards=2)
    clock = Clock()
    stuck = asyncio.Event()

    async def hang(payload: dict[str, Any]) -> dict[str, Any]:
        clock.gate.set()
        await stuck.wait()
        return activities.outcome(1)

    activities.fetch_behaviour = {1: hang}

    summary = await run(activities, clock, deadline_s=90)

    assert summary["status"] == "failed"
    assert summary["reason"] == "deadline"
    assert summary["shards"]["abandoned"] == 1
    assert activities.log[-1] == "compensate: deadline"
    assert "fetch 1 settled" not in activities.log


async def test_run_locally_plans_only_on_a_dry_run() -> None:
    """A dry run calls plan_run and nothing else."""
    activities = Activities()

    summary = await run(activities, Clock(), dry_run=True)

    assert summary["status"] == "succeeded"
    assert summary["dry_run"] is True
    assert activities.log == ["plan"]


async def test_run_locally_reports_progress_through_custom_status() -> None:
    """The status listener sees shards settle one by one."""
    activities = Activities()
    seen: list[Any] = []

    await run_locally(
        {"dry_run": False, "trigger": "cli"},
        activities.by_name(),
        instance_id="local-x",
        on_status=seen.append,
    )

    done = [s["shards_done"] for s in seen if s.get("phase") == "fetching"]
    assert done == [0, 1, 2, 3]
    assert seen[-1]["status"] == "succeeded"


def all_or_nothing(context: Any) -> Generator[Any, Any, Any]:
    first = context.call_activity_with_retry("boom", RetryOptions(1000, 1), {})
    second = context.call_activity_with_retry("never", RetryOptions(1000, 1), {})
    try:
        yield context.task_all([first, second])
    except Exception as exc:
        return {"raised": str(exc), "second_done": second.is_completed}
    return {"raised": None}


async def test_drive_fails_task_all_on_the_first_failure() -> None:
    """task_all raises as soon as one task fails, like the SDK's."""
    never = asyncio.Event()

    async def boom(payload: dict[str, Any]) -> dict[str, Any]:
        raise ValueError("no")

    async def wait(payload: dict[str, Any]) -> dict[str, Any]:
        await never.wait()
        return {}

    context = LocalContext("x", {}, {"boom": boom, "never": wait})

    output = await asyncio.wait_for(drive(all_or_nothing, context), timeout=10)

    assert "ValueError('no')" in output["raised"]
    assert output["second_done"] is False


def test_local_run_id_is_a_safe_lake_segment() -> None:
    """A command-line run id names the time and the token."""
    assert local_run_id(T0, "ab12") == "local-20261203T190000Z-ab12"


@pytest.mark.parametrize("status", [None, "done"])
def test_local_context_records_custom_status(status: Any) -> None:
    """set_custom_status keeps the last status, JSON-normalised."""
    context = LocalContext("x", {}, {})

    context.set_custom_status({"phase": status, "n": (1, 2)})

    assert context.custom_status == {"phase": status, "n": [1, 2]}


# azure-functions-durable 1.7.0 decodes a retried activity's result without the
# expected type and warns once per process; see tests/test_orchestration.py.
@pytest.mark.filterwarnings(
    "ignore:azure.functions df_loads was called without:DeprecationWarning"
)
async def test_run_locally_reports_what_the_sdk_replay_reports() -> None:
    """The local driver and the SDK's replay of the same run give the same summary."""
    activities = Activities(shards=2)
    local = await run(activities, Clock())

    plan = await activities.plan_run({})
    publish = await activities.publish_run(
        {"run_id": local["run_id"], "summary": {"datasets": local["datasets"]}}
    )
    history = History(
        local["run_id"],
        {"dry_run": False, "trigger": "cli", "deadline_s": 270},
        T0,
    )
    plan_id = history.schedule("plan_run")
    history.create_timer(T0 + timedelta(seconds=270))
    history.next_episode()
    history.complete(plan_id, plan)
    shard_ids = [history.schedule("fetch_shard") for _ in range(2)]
    history.next_episode()
    for index, task_id in enumerate(shard_ids):
        history.complete(task_id, activities.outcome(index))
    publish_id = history.schedule("publish_run")
    history.next_episode()
    history.complete(publish_id, publish)
    replayed = replay(ingest, history).output

    timing = ("durations_s", "duration_s", "finished_ts")
    assert {k: v for k, v in local.items() if k not in timing} == {
        k: v for k, v in replayed.items() if k not in timing
    }


@pytest.mark.filterwarnings(
    "ignore:azure.functions df_loads was called without:DeprecationWarning"
)
async def test_run_locally_fails_a_raising_shard_as_the_sdk_replay_does() -> None:
    """A shard raising on every attempt ends the same way locally and in replay."""
    activities = Activities(shards=2)

    async def broken(payload: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("disk full")

    activities.fetch_behaviour = {0: broken}
    local = await run(activities, Clock())

    history = History(
        local["run_id"],
        {"dry_run": False, "trigger": "cli", "deadline_s": 270},
        T0,
    )
    plan_id = history.schedule("plan_run")
    history.create_timer(T0 + timedelta(seconds=270))
    history.next_episode()
    history.complete(plan_id, await activities.plan_run({}))
    shard0, shard1 = history.schedule("fetch_shard"), history.schedule("fetch_shard")
    history.next_episode()
    history.complete(shard1, activities.outcome(1))
    reason = "Activity function 'fetch_shard' failed: RuntimeError('disk full')"
    history.fail_with_retries(shard0, "fetch_shard", 3, reason)
    history.next_episode()
    compensate_id = history.schedule("compensate_run")
    history.next_episode()
    history.complete(
        compensate_id,
        await activities.compensate_run({"run_id": local["run_id"], "reason": ""}),
    )
    replayed = replay(ingest, history).output

    timing = ("durations_s", "duration_s", "finished_ts")
    assert local["status"] == "failed"
    assert {k: v for k, v in local.items() if k not in timing} == {
        k: v for k, v in replayed.items() if k not in timing
    }
