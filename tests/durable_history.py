"""A Durable Functions history builder: the orchestration runtime's side of replay.

Tests write the history the Durable extension would hand to the Python worker
(episodes of ``OrchestratorStarted`` ... ``OrchestratorCompleted`` around the
events that happened), and :func:`replay` feeds it to the orchestrator through
the SDK's own ``Orchestrator.create`` handle, exactly as the worker does. The
result is the state the worker would return to the extension: the actions
scheduled so far, whether the orchestration is done, its output and custom
status.

``schema_version`` is the replay schema the extension offers
(``upperSchemaVersion``): under V1 the state holds one list of actions per
episode, from V2 on a single list in which a fan-out is one compound action
nesting its tasks; :meth:`Replay.scheduled` and :meth:`Replay.timers` read both.

Event ids follow the runtime's rule: every scheduled task and every timer takes
the next sequence number, in the order the orchestrator asked for them (a
retried activity takes one for its retry timer and one for each new attempt).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.history import HistoryEventType

__all__ = ["History", "Replay", "replay"]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Replay:
    """The orchestrator state returned to the extension after one replay."""

    is_done: bool
    actions: list[list[dict[str, Any]]]
    output: Any
    custom_status: Any
    error: str | None = None

    def scheduled(self) -> list[tuple[str, Any]]:
        """Every activity ever scheduled, as ``(name, input)`` in order."""
        return [
            (action["functionName"], _decode(action.get("input")))
            for action in self._leaves()
            if "functionName" in action
        ]

    def timers(self) -> list[dict[str, Any]]:
        """Every timer action ever scheduled (``fireAt``, ``isCanceled``)."""
        return [action for action in self._leaves() if "fireAt" in action]

    def _leaves(self) -> Iterator[dict[str, Any]]:
        for group in self.actions:
            yield from _flatten(group)


def _flatten(actions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The actions in order, each compound one (schema V2 on) replaced by its own."""
    for action in actions:
        if "compoundActions" in action:
            yield from _flatten(action["compoundActions"])
        else:
            yield action


def _decode(raw: Any) -> Any:
    return json.loads(raw) if isinstance(raw, str) else raw


@dataclass
class History:
    """An orchestration history under construction, one episode at a time."""

    instance_id: str
    input: Any
    start: datetime
    name: str = "ingest"
    schema_version: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    now: datetime = field(init=False)
    _event_id: int = field(default=0, init=False)
    _sequence: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.now = self.start
        self._add(HistoryEventType.ORCHESTRATOR_STARTED)
        self._add(
            HistoryEventType.EXECUTION_STARTED,
            Name=self.name,
            Input=json.dumps(self.input),
            Version="",
        )

    def _add(self, kind: HistoryEventType, **fields: Any) -> None:
        event = {
            "EventType": int(kind),
            "EventId": fields.pop("EventId", -1),
            "IsPlayed": False,
            "Timestamp": _stamp(self.now),
            **fields,
        }
        self.events.append(event)

    def schedule(self, name: str) -> int:
        """Record ``TaskScheduled`` for an activity; return its task id."""
        task_id = self._next_sequence()
        self._add(HistoryEventType.TASK_SCHEDULED, EventId=task_id, Name=name)

        return task_id

    def create_timer(self, fire_at: datetime) -> int:
        """Record ``TimerCreated``; return the timer's id."""
        timer_id = self._next_sequence()
        self._add(
            HistoryEventType.TIMER_CREATED, EventId=timer_id, FireAt=_stamp(fire_at)
        )

        return timer_id

    def next_episode(self, after: timedelta = timedelta(seconds=1)) -> None:
        """Close the running episode and open the next one ``after`` later."""
        self._add(HistoryEventType.ORCHESTRATOR_COMPLETED)
        self.now += after
        self._add(HistoryEventType.ORCHESTRATOR_STARTED)

    def complete(self, task_id: int, result: Any) -> None:
        """Record ``TaskCompleted`` with ``result`` serialised as the worker does."""
        self._add(
            HistoryEventType.TASK_COMPLETED,
            TaskScheduledId=task_id,
            Result=json.dumps(result),
        )

    def fail(self, task_id: int, reason: str, details: str = "") -> None:
        """Record ``TaskFailed``: the activity raised ``reason``."""
        self._add(
            HistoryEventType.TASK_FAILED,
            TaskScheduledId=task_id,
            Reason=reason,
            Details=details,
        )

    def fire_timer(self, timer_id: int, fire_at: datetime) -> None:
        """Record ``TimerFired`` for ``timer_id``."""
        self._add(
            HistoryEventType.TIMER_FIRED, TimerId=timer_id, FireAt=_stamp(fire_at)
        )

    def fail_with_retries(
        self, task_id: int, name: str, attempts: int, reason: str
    ) -> int:
        """Record every attempt of a retried activity failing; return the last id.

        The extension answers each failure with a retry timer, and the SDK waits
        for one more timer after the last attempt before it gives up.
        """
        current = task_id
        for attempt in range(1, attempts + 1):
            self.fail(current, reason)
            self.next_episode()
            timer_id = self.create_timer(self.now)
            self.next_episode()
            self.fire_timer(timer_id, self.now)
            if attempt < attempts:
                self.next_episode()
                current = self.schedule(name)
                self.next_episode()

        return current

    def _next_sequence(self) -> int:
        value = self._sequence
        self._sequence += 1

        return value

    def context_json(self) -> str:
        """The orchestration trigger's payload, as the extension sends it."""
        last_start = max(
            i
            for i, event in enumerate(self.events)
            if event["EventType"] == HistoryEventType.ORCHESTRATOR_STARTED
        )
        history = [
            {**event, "IsPlayed": i < last_start} for i, event in enumerate(self.events)
        ]

        return json.dumps(
            {
                "history": history,
                "instanceId": self.instance_id,
                "isReplaying": last_start > 1,
                "parentInstanceId": None,
                "input": json.dumps(self.input),
                "upperSchemaVersion": self.schema_version,
            }
        )


def replay(
    orchestrator: Callable[[Any], Generator[Any, Any, Any]], history: History
) -> Replay:
    """Replay ``history`` through the SDK's orchestrator handle; return its state.

    An orchestrator that raises comes back as a :class:`Replay` with ``error``
    set, the way the worker reports a failed orchestration.
    """
    handle = df.Orchestrator.create(orchestrator)
    try:
        state = json.loads(handle(history.context_json()))
    except Exception as exc:
        text = str(exc)
        marker = "$OutOfProcData$:"
        if marker not in text:
            raise
        state = json.loads(text.split(marker, 1)[1])

    return Replay(
        is_done=state["isDone"],
        actions=state["actions"],
        output=state.get("output"),
        custom_status=state.get("customStatus"),
        error=state.get("error"),
    )
