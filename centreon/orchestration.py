"""The ``ingest`` orchestration: plan, fan out one fetch per shard, fan in, publish.

The same generator runs in Azure under Durable Functions and in-process under
:mod:`centreon.runner`. It is replay-safe: time comes from
``context.current_utc_datetime``, it does no I/O, and it logs only when the
context is not replaying. Every payload it sends or returns is a small JSON-safe
dict of ids, counts and paths; records and secrets never pass through it (the
task hub stores inputs and outputs in clear).

A run is bounded by a durable timer set at ``snapshot_ts + deadline_s``. The
timer races the plan and then every shard; the orchestrator waits until every
shard has settled, success or failure, before it publishes or compensates, so
compensation never races a shard that is still writing. Past the deadline the
unsettled shards are abandoned (each shard activity also stops by itself at the
deadline), the run is compensated and reported with reason ``deadline``.

A dry run plans only: ``plan_run`` discovers and shards without writing to the
lake, so there is nothing to publish or clean up.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from azure.durable_functions import RetryOptions

from centreon.settings import DEFAULT_DEADLINE_S

__all__ = [
    "COMPENSATE_RUN",
    "FETCH_SHARD",
    "ORCHESTRATOR",
    "PLAN_RUN",
    "PUBLISH_RUN",
    "RUN_DATASETS",
    "RUN_ID_PATTERN",
    "SHARD_DATASETS",
    "SHARD_RETRY",
    "STEP_RETRY",
    "Activity",
    "OrchestrationContext",
    "RunRequest",
    "count_of",
    "ingest",
    "parse_run_request",
]

logger = logging.getLogger(__name__)

ORCHESTRATOR = "ingest"
PLAN_RUN = "plan_run"
FETCH_SHARD = "fetch_shard"
PUBLISH_RUN = "publish_run"
COMPENSATE_RUN = "compensate_run"

# A shard writes the records; the run adds the plan of URLs it fetched them by.
SHARD_DATASETS = ("hosts", "services")
RUN_DATASETS = (*SHARD_DATASETS, "urls")
COUNTERS = ("ok", "vanished", "failed", "requests", "retries", "logins", "refused")

# Infrastructure failures only (a worker lost, an unexpected exception): the
# fetch engine already retries HTTP, and a retried shard overwrites its own files.
SHARD_RETRY = RetryOptions(
    first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3
)
STEP_RETRY = RetryOptions(
    first_retry_interval_in_milliseconds=2_000, max_number_of_attempts=3
)

Activity = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
"""An activity as the orchestration calls it: a JSON-safe dict in, one out."""

RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
Trigger = Literal["timer", "http", "cli"]
_TRIGGERS: tuple[Trigger, ...] = ("timer", "http", "cli")
_MAX_FAILURES_REPORTED = 5
_RUN_COUNTERS = ("vanished", "urls_failed", "requests", "retries", "logins", "refused")
# What a Centreon session costs; planning reports these as the shards do.
_CLIENT_COUNTERS = ("requests", "retries", "logins", "refused")


class OrchestrationContext(Protocol):
    """The part of ``DurableOrchestrationContext`` the orchestrator uses.

    :class:`centreon.runner.LocalContext` implements the same surface in-process.
    """

    @property
    def instance_id(self) -> str: ...

    @property
    def current_utc_datetime(self) -> datetime: ...

    @property
    def is_replaying(self) -> bool: ...

    def get_input(self, expected_type: type | None = None) -> Any: ...

    def call_activity_with_retry(
        self,
        name: str,
        retry_options: RetryOptions,
        input_: Any = None,
        expected_type: type | None = None,
    ) -> Any: ...

    def create_timer(self, fire_at: datetime) -> Any: ...

    def task_any(self, activities: list[Any]) -> Any: ...

    def set_custom_status(self, status: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class RunRequest:
    """The orchestrator's input, validated: what to run and how long it may take."""

    run_id: str
    dry_run: bool
    trigger: Trigger
    deadline_s: float

    def to_input(self) -> dict[str, Any]:
        """Return the JSON-safe orchestrator input for this request."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "trigger": self.trigger,
            "deadline_s": self.deadline_s,
        }


def parse_run_request(raw: Any, instance_id: str) -> RunRequest:
    """Validate the orchestrator input; the run id defaults to the instance id.

    Raises ``ValueError`` with a one-line reason for an input that cannot be run.
    """
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    if raw is not None and not isinstance(raw, Mapping):
        raise ValueError("orchestrator input must be a JSON object")
    run_id = data.get("run_id") or instance_id
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise ValueError(
            "run_id must be 1-100 letters, digits, '.', '_' or '-' "
            "(it names lake folders)"
        )
    dry_run = data.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ValueError("dry_run must be true or false")
    trigger = data.get("trigger", "http")
    if trigger not in _TRIGGERS:
        raise ValueError(f"trigger must be one of {', '.join(_TRIGGERS)}")
    deadline_s = data.get("deadline_s", DEFAULT_DEADLINE_S)
    if isinstance(deadline_s, bool) or not isinstance(deadline_s, int | float):
        raise ValueError("deadline_s must be a number of seconds")
    if deadline_s <= 0:
        raise ValueError("deadline_s must be above 0")

    return RunRequest(run_id, dry_run, trigger, float(deadline_s))


@dataclass(slots=True)
class _Tally:
    """What the settled shards add up to, kept as plain counts."""

    total: int
    succeeded: int = 0
    failed: int = 0
    rows: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(SHARD_DATASETS, 0)
    )
    files: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(SHARD_DATASETS, 0)
    )
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def settled(self) -> int:
        return self.succeeded + self.failed

    def add_planning(self, plan: Mapping[str, Any]) -> None:
        """Count what planning cost Centreon, so the run's totals include it."""
        for name in _CLIENT_COUNTERS:
            self.counters[name] += count_of(plan, name)

    def add(self, index: int, result: Any) -> None:
        """Count one settled shard; a raised or a returned failure both count."""
        error = _failure_of(result)
        if error is not None:
            self.failed += 1
            if len(self.failures) < _MAX_FAILURES_REPORTED:
                self.failures.append({"shard": index, "error": error})
        else:
            self.succeeded += 1
        if isinstance(result, Mapping):
            for name in SHARD_DATASETS:
                self.rows[name] += count_of(result.get("rows"), name)
                self.files[name] += count_of(result.get("files"), name)
            for name in COUNTERS:
                self.counters[name] += count_of(result, name)


def count_of(source: Any, key: str) -> int:
    """``source[key]`` when ``source`` is a mapping with an int there, else 0."""
    value = source.get(key, 0) if isinstance(source, Mapping) else 0

    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _failure_of(result: Any) -> str | None:
    """Return why a task's result is a failure, or None if it succeeded.

    A failed Durable task hands back the exception object as its result (it is
    not raised by ``task_any``), so the type is checked before anything else.
    """
    if isinstance(result, BaseException):
        text = str(result).strip().splitlines()
        return text[0].strip() if text else type(result).__name__
    if not isinstance(result, Mapping):
        return "the activity returned no outcome"
    if result.get("status") != "succeeded":
        return str(result.get("error") or "the activity reported a failure")

    return None


def _call(
    context: OrchestrationContext, name: str, retry: RetryOptions, payload: Any
) -> Any:
    """Schedule activity ``name``; its JSON result is decoded as a plain dict."""
    return context.call_activity_with_retry(
        name, retry, input_=payload, expected_type=dict
    )


def _cancel(timer: Any) -> None:
    """Cancel the deadline timer unless it already fired, so the run can end."""
    if not timer.is_completed:
        timer.cancel()


def _seconds(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds(), 3)


def ingest(context: OrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    """Run one ingestion: plan, fetch every shard, then publish or compensate.

    Returns the run summary (``status`` is ``succeeded`` or ``failed``, with a
    ``reason`` on failure). An input that cannot be run fails the orchestration.
    """
    request = parse_run_request(
        context.get_input(expected_type=dict), context.instance_id
    )
    summary = _new_summary(request, context.current_utc_datetime)
    run = {"run_id": summary["run_id"], "snapshot_ts": summary["snapshot_ts"]}
    deadline_at = context.current_utc_datetime + timedelta(seconds=request.deadline_s)
    timer = context.create_timer(deadline_at)
    if not context.is_replaying:
        logger.info("run started", extra={"run_id": request.run_id})

    plan = yield from _plan(context, run, request.dry_run, timer, summary)
    if plan is None:
        return (yield from _compensate(context, summary, timer))
    if request.dry_run:
        _cancel(timer)
        planned = len(summary["plan"])
        summary["shards"] = {
            "total": planned,
            "succeeded": 0,
            "failed": 0,
            "abandoned": 0,
        }
        return _finish(context, summary, "succeeded")

    shards = summary.pop("plan")
    tally = _Tally(total=len(shards))
    tally.add_planning(plan)
    yield from _fetch_all(context, run, shards, tally, timer, deadline_at, summary)
    summary.update(_tally_summary(tally, plan))
    if tally.settled < tally.total:
        summary["reason"] = "deadline"
        return (yield from _compensate(context, summary, timer))
    _cancel(timer)
    if tally.failed:
        summary["reason"] = "shards failed"
        summary["error"] = tally.failures[0]["error"] if tally.failures else None
        return (yield from _compensate(context, summary, timer))

    published = yield from _publish(context, run, tally, summary)
    if not published:
        return (yield from _compensate(context, summary, timer))

    return _finish(context, summary, "succeeded")


def _new_summary(request: RunRequest, started: datetime) -> dict[str, Any]:
    return {
        "run_id": request.run_id,
        "snapshot_ts": started.isoformat(),
        "status": "running",
        "reason": None,
        "error": None,
        "dry_run": request.dry_run,
        "trigger": request.trigger,
        "deadline_s": request.deadline_s,
        "durations_s": {},
    }


def _plan(
    context: OrchestrationContext,
    run: Mapping[str, str],
    dry_run: bool,
    timer: Any,
    summary: dict[str, Any],
) -> Generator[Any, Any, Mapping[str, Any] | None]:
    """Run ``plan_run`` against the deadline; None (reason set) when it failed.

    The planned shards go to ``summary["plan"]``, the totals to
    ``summary["totals"]`` and what planning cost Centreon to ``summary["requests"]``
    and the other client counters.
    """
    started = context.current_utc_datetime
    context.set_custom_status({"phase": "planning", **run})
    task = _call(context, PLAN_RUN, STEP_RETRY, {**run, "dry_run": dry_run})
    winner = yield context.task_any([task, timer])
    summary["durations_s"]["plan"] = _seconds(started, context.current_utc_datetime)
    if winner is timer:
        summary["reason"] = "deadline"
        return None
    error = _failure_of(task.result)
    if error is not None:
        summary["reason"] = "plan failed"
        summary["error"] = error
        return None

    plan: Mapping[str, Any] = task.result
    shards = [dict(s) for s in plan.get("shards", []) if isinstance(s, Mapping)]
    summary["totals"] = dict(plan.get("totals", {}))
    summary["plan"] = shards
    summary.update({name: count_of(plan, name) for name in _CLIENT_COUNTERS})

    return plan


def _publish(
    context: OrchestrationContext,
    run: Mapping[str, str],
    tally: _Tally,
    summary: dict[str, Any],
) -> Generator[Any, Any, bool]:
    """Run ``publish_run``; False (reason set) when it failed."""
    started = context.current_utc_datetime
    context.set_custom_status({"phase": "publishing", **_progress(run, tally)})
    payload = {**run, "summary": _payload_summary(summary)}
    settled = yield context.task_any([_call(context, PUBLISH_RUN, STEP_RETRY, payload)])
    summary["durations_s"]["publish"] = _seconds(started, context.current_utc_datetime)
    error = _failure_of(settled.result)
    if error is not None:
        summary["reason"] = "publish failed"
        summary["error"] = error
        return False

    summary["manifest"] = settled.result.get("manifest")
    summary["datasets"] = settled.result.get("datasets", summary["datasets"])

    return True


def _fetch_all(
    context: OrchestrationContext,
    run: Mapping[str, str],
    shards: list[Mapping[str, Any]],
    tally: _Tally,
    timer: Any,
    deadline_at: datetime,
    summary: dict[str, Any],
) -> Generator[Any, Any, None]:
    """Fan out one ``fetch_shard`` per shard and count each one into ``tally``.

    Stops early only when the deadline timer fires; the shards still pending
    then count as abandoned (``settled < total``).
    """
    started = context.current_utc_datetime
    pending: dict[int, Any] = {}
    for shard in shards:
        index = int(shard["index"])
        shard_input = {
            **run,
            "shard": index,
            "concurrency": int(shard.get("concurrency", 1)),
            "deadline_ts": deadline_at.isoformat(),
        }
        if "listing" in shard:
            # Listing mode: the shard's page ranges are small enough to travel.
            shard_input["listing"] = shard["listing"]
        pending[index] = _call(context, FETCH_SHARD, SHARD_RETRY, shard_input)
    context.set_custom_status({"phase": "fetching", **_progress(run, tally)})

    while pending:
        winner = yield context.task_any([*pending.values(), timer])
        if winner is timer:
            break
        index = next(i for i, task in pending.items() if task is winner)
        del pending[index]
        tally.add(index, winner.result)
        context.set_custom_status({"phase": "fetching", **_progress(run, tally)})
        if not context.is_replaying:
            logger.info(
                "shard settled",
                extra={
                    "run_id": run["run_id"],
                    "shard": index,
                    "status": "failed" if _failure_of(winner.result) else "succeeded",
                },
            )
    summary["durations_s"]["fetch"] = _seconds(started, context.current_utc_datetime)


def _progress(run: Mapping[str, str], tally: _Tally) -> dict[str, Any]:
    return {
        **run,
        "shards_done": tally.settled,
        "shards_total": tally.total,
        "shards_failed": tally.failed,
        "rows": sum(tally.rows.values()),
        "requests": tally.counters["requests"],
    }


def _shard_counts(tally: _Tally) -> dict[str, int]:
    return {
        "total": tally.total,
        "succeeded": tally.succeeded,
        "failed": tally.failed,
        "abandoned": tally.total - tally.settled,
    }


def _tally_summary(tally: _Tally, plan: Mapping[str, Any]) -> dict[str, Any]:
    staged = plan.get("plan")
    datasets = {
        name: {"rows": tally.rows[name], "files": tally.files[name]}
        for name in SHARD_DATASETS
    }
    datasets["urls"] = {
        "rows": count_of(staged, "rows"),
        "files": count_of(staged, "files"),
    }

    return {
        "shards": _shard_counts(tally),
        "datasets": datasets,
        "vanished": tally.counters["vanished"],
        "urls_failed": tally.counters["failed"],
        "requests": tally.counters["requests"],
        "retries": tally.counters["retries"],
        "logins": tally.counters["logins"],
        "refused": tally.counters["refused"],
        "failures": tally.failures,
    }


def _payload_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The counts the lake records in the run manifest."""
    keys = ("trigger", "totals", "shards", "datasets", "durations_s", *_RUN_COUNTERS)
    return {key: summary[key] for key in keys if key in summary}


def _compensate(
    context: OrchestrationContext, summary: dict[str, Any], timer: Any
) -> Generator[Any, Any, dict[str, Any]]:
    """Compensate the run (everything settled or was abandoned) and report it.

    ``summary["reason"]`` (and ``error``, if any) says why the run failed.
    """
    _cancel(timer)
    reason = summary["reason"]
    error = summary["error"]
    context.set_custom_status({"phase": "compensating", "run_id": summary["run_id"]})
    started = context.current_utc_datetime
    payload = {
        "run_id": summary["run_id"],
        "snapshot_ts": summary["snapshot_ts"],
        "reason": reason if error is None else f"{reason}: {error}",
        "summary": _payload_summary(summary),
    }
    task = _call(context, COMPENSATE_RUN, STEP_RETRY, payload)
    settled = yield context.task_any([task])
    summary["durations_s"]["compensate"] = _seconds(
        started, context.current_utc_datetime
    )
    compensation_error = _failure_of(settled.result)
    summary["compensated"] = compensation_error is None
    if compensation_error is None:
        summary["manifest"] = settled.result.get("manifest")
    else:
        summary["compensation_error"] = compensation_error

    return _finish(context, summary, "failed")


def _finish(
    context: OrchestrationContext, summary: dict[str, Any], status: str
) -> dict[str, Any]:
    summary["status"] = status
    started = datetime.fromisoformat(summary["snapshot_ts"])
    summary["finished_ts"] = context.current_utc_datetime.isoformat()
    summary["duration_s"] = _seconds(started, context.current_utc_datetime)
    context.set_custom_status(
        {"phase": "done", "run_id": summary["run_id"], "status": status}
    )
    if not context.is_replaying:
        log = logger.info if status == "succeeded" else logger.error
        log(
            "run finished",
            extra={
                "run_id": summary["run_id"],
                "status": status,
                "duration_ms": round(summary["duration_s"] * 1000),
            },
        )

    return summary
