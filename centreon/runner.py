"""Run the ``ingest`` orchestration in-process, playing the Durable runtime's part.

:func:`run_locally` drives the very generator that Azure runs
(:func:`centreon.orchestration.ingest`) with a :class:`LocalContext` instead of
``DurableOrchestrationContext``. What the runtime would do, the driver does:
activities run concurrently as asyncio tasks once the orchestrator yields them,
their JSON results are fed back, ``call_activity_with_retry`` retries a raising
activity after the first retry interval up to the allowed attempts, and
``create_timer`` waits on the injected clock. Task semantics follow the SDK's:
``task_any`` hands back the first settled task (a failed task's ``result`` is
its exception), ``task_all`` fails on the first failure, and a failed task
yielded directly is thrown into the generator.

Activities are looked up by their Durable name in a mapping, as the runtime
dispatches them. Work the orchestrator abandoned (a shard still running at the
deadline) is cancelled once the orchestration has returned.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from azure.durable_functions import RetryOptions

from centreon.orchestration import Activity, OrchestrationContext, ingest

__all__ = [
    "LocalContext",
    "LocalTask",
    "StatusListener",
    "drive",
    "local_run_id",
    "run_locally",
]

logger = logging.getLogger(__name__)

StatusListener = Callable[[Any], None]
Orchestrator = Callable[[OrchestrationContext], Generator[Any, Any, Any]]
_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_OID, "centreon-lake local runner")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _run_fields(payload: Any) -> dict[str, Any]:
    """The run id and shard an activity's payload names, for its log lines."""
    if not isinstance(payload, Mapping):
        return {}

    return {key: payload[key] for key in ("run_id", "shard") if key in payload}


class _State(Enum):
    RUNNING = 0
    SUCCEEDED = 1
    FAILED = 2


class LocalTask:
    """A task the orchestrator can yield: settles once, tells its waiters."""

    def __init__(self) -> None:
        self.state = _State.RUNNING
        self.result: Any = None
        self._waiters: list[LocalTask] = []
        self._settled = asyncio.Event()

    @property
    def is_completed(self) -> bool:
        """Whether the task settled, successfully or not."""
        return self.state is not _State.RUNNING

    @property
    def is_faulted(self) -> bool:
        """Whether the task settled with an exception as its result."""
        return self.state is _State.FAILED

    def _settle(self, value: Any, *, failed: bool) -> None:
        if self.is_completed:
            return
        self.state = _State.FAILED if failed else _State.SUCCEEDED
        self.result = value
        self._settled.set()
        for waiter in list(self._waiters):
            waiter._child_settled(self)

    def _child_settled(self, child: LocalTask) -> None:
        raise NotImplementedError

    def _leaves(self) -> list[LocalTask]:
        return [self]

    def _start(self, context: LocalContext) -> None:
        """Start the work behind this task, once (a no-op for compounds)."""


class _ActivityTask(LocalTask):
    def __init__(self, name: str, payload: Any, retry: RetryOptions | None) -> None:
        super().__init__()
        self.name = name
        self.payload = payload
        self.retry = retry
        self.job: asyncio.Task[None] | None = None

    def _start(self, context: LocalContext) -> None:
        if self.job is None:
            self.job = asyncio.create_task(self._run(context), name=self.name)
            context._jobs.add(self.job)

    async def _run(self, context: LocalContext) -> None:
        activity = context._activities.get(self.name)
        if activity is None:
            self._settle(Exception(f"no activity named {self.name!r}"), failed=True)
            return
        attempts = self.retry.max_number_of_attempts if self.retry else 1
        for attempt in range(1, attempts + 1):
            try:
                payload = json.loads(json.dumps(self.payload))
                result = json.loads(json.dumps(await activity(payload)))
            # The runtime turns any activity error into TaskFailed.
            except Exception as exc:
                error = Exception(f"Activity function '{self.name}' failed: {exc!r}")
                if attempt == attempts or self.retry is None:
                    self._settle(error, failed=True)
                    return
                logger.warning(
                    "activity retried",
                    extra={
                        "endpoint": self.name,
                        "attempt": attempt,
                        **_run_fields(self.payload),
                    },
                )
                await context._sleep(
                    self.retry.first_retry_interval_in_milliseconds / 1000
                )
            else:
                self._settle(result, failed=False)
                return


class _TimerTask(LocalTask):
    def __init__(self, fire_at: datetime) -> None:
        super().__init__()
        self.fire_at = fire_at
        self.is_cancelled = False
        self.job: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        """Cancel a pending timer, as ``TimerTask.cancel`` does in the SDK."""
        if self.is_completed:
            raise ValueError("Cannot cancel a completed task.")
        self.is_cancelled = True
        if self.job is not None:
            self.job.cancel()

    def _start(self, context: LocalContext) -> None:
        if self.job is None and not self.is_cancelled:
            self.job = asyncio.create_task(self._run(context), name="timer")
            context._jobs.add(self.job)

    async def _run(self, context: LocalContext) -> None:
        while (remaining := (self.fire_at - context._now()).total_seconds()) > 0:
            await context._sleep(remaining)
        self._settle(None, failed=False)


class _Compound(LocalTask):
    def __init__(self, children: Sequence[LocalTask]) -> None:
        super().__init__()
        self.children = list(children)
        for child in self.children:
            child._waiters.append(self)

    def _leaves(self) -> list[LocalTask]:
        return [leaf for child in self.children for leaf in child._leaves()]


class _WhenAny(_Compound):
    def __init__(self, children: Sequence[LocalTask]) -> None:
        super().__init__(children)
        settled = [child for child in self.children if child.is_completed]
        if settled:
            self._child_settled(settled[0])

    def _child_settled(self, child: LocalTask) -> None:
        self._settle(child, failed=False)


class _WhenAll(_Compound):
    def __init__(self, children: Sequence[LocalTask]) -> None:
        super().__init__(children)
        self._decide()

    def _child_settled(self, child: LocalTask) -> None:
        self._decide()

    def _decide(self) -> None:
        """Settle once the children already settled decide the outcome."""
        failed = [c for c in self.children if c.is_faulted]
        if failed:
            self._settle(failed[0].result, failed=True)
        elif all(c.is_completed for c in self.children):
            self._settle([c.result for c in self.children], failed=False)


class LocalContext:
    """The orchestration context, in-process: the surface ``ingest`` uses."""

    def __init__(
        self,
        instance_id: str,
        input_: Any,
        activities: Mapping[str, Activity],
        *,
        now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_status: StatusListener | None = None,
    ) -> None:
        self.instance_id = instance_id
        self.is_replaying = False
        self.custom_status: Any = None
        self._input = json.loads(json.dumps(input_))
        self._activities = activities
        self._now = now
        self._sleep = sleep
        self._on_status = on_status
        self._uuids = 0
        self._jobs: set[asyncio.Task[None]] = set()
        self.current_utc_datetime = now()

    def get_input(self, expected_type: type | None = None) -> Any:
        """The orchestrator input, decoded from JSON."""
        return self._input

    def new_uuid(self) -> str:
        """A deterministic id per instance and call order, like the SDK's."""
        name = f"{self.instance_id}_{self._uuids}"
        self._uuids += 1

        return str(uuid.uuid5(_UUID_NAMESPACE, name))

    def call_activity(self, name: str, input_: Any = None, **_: Any) -> LocalTask:
        """Schedule activity ``name`` once."""
        return _ActivityTask(name, input_, None)

    def call_activity_with_retry(
        self,
        name: str,
        retry_options: RetryOptions,
        input_: Any = None,
        expected_type: type | None = None,
    ) -> LocalTask:
        """Schedule activity ``name``, retried on failure per ``retry_options``."""
        return _ActivityTask(name, input_, retry_options)

    def create_timer(self, fire_at: datetime) -> _TimerTask:
        """A task that completes at ``fire_at`` on the injected clock."""
        return _TimerTask(fire_at)

    def task_any(self, activities: list[LocalTask]) -> LocalTask:
        """Settle with the first of ``activities`` to settle (success or failure)."""
        return _WhenAny(activities)

    def task_all(self, activities: list[LocalTask]) -> LocalTask:
        """Settle with every result, or fail on the first failure."""
        return _WhenAll(activities)

    def set_custom_status(self, status: Any) -> None:
        """Record progress and tell the listener."""
        self.custom_status = json.loads(json.dumps(status))
        if self._on_status is not None:
            self._on_status(self.custom_status)

    async def _abandon(self) -> None:
        """Cancel what the orchestration left running and wait for it to stop."""
        pending = [job for job in self._jobs if not job.done()]
        for job in pending:
            job.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def drive(orchestrator: Orchestrator, context: LocalContext) -> Any:
    """Run ``orchestrator`` to completion under ``context``; return its output."""
    generator = orchestrator(context)
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                task = generator.throw(error) if error else generator.send(value)
            except StopIteration as stop:
                return stop.value
            for leaf in task._leaves():
                leaf._start(context)
            await task._settled.wait()
            context.current_utc_datetime = context._now()
            value, error = (
                (None, task.result) if task.is_faulted else (task.result, None)
            )
    finally:
        await context._abandon()


async def run_locally(
    request_input: Mapping[str, Any],
    activities: Mapping[str, Activity],
    *,
    instance_id: str,
    now: Callable[[], datetime] = _utc_now,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_status: StatusListener | None = None,
    orchestrator: Orchestrator = ingest,
) -> dict[str, Any]:
    """Run one ingestion in-process; return the orchestrator's summary."""
    context = LocalContext(
        instance_id,
        dict(request_input),
        activities,
        now=now,
        sleep=sleep,
        on_status=on_status,
    )
    output = await drive(orchestrator, context)

    return dict(output)


def local_run_id(now: datetime, token: str) -> str:
    """Name a run started from the command line: ``local-YYYYMMDDTHHMMSSZ-<token>``."""
    return f"local-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{token}"
