"""How runs start: the timer's schedule slots and the on-demand HTTP request.

A scheduled run is named after its schedule slot (``ingest-20261203T1905Z``):
two firings for one slot, or two instances racing after a scale-out, ask for
the same orchestration instance, so one run starts. A slot whose predecessor is
still running is skipped, and the skip is logged with both run ids.

On-demand runs (``POST /api/runs``) take an optional JSON body,
``{"dry_run": true}``; anything else is refused with 400 and a one-line reason.

The Durable client is the boundary here: these functions take any object with
the client's ``start_new``, ``get_status``, ``get_status_by`` and
``create_check_status_response`` methods.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import azure.durable_functions as df
import azure.functions as func

from centreon.orchestration import ORCHESTRATOR, RunRequest
from centreon.schedule import Schedule
from centreon.settings import IngestSettings

__all__ = [
    "MAX_BODY_BYTES",
    "RUN_ID_PREFIX",
    "DurableClient",
    "on_demand_run_id",
    "parse_run_body",
    "slot_run_id",
    "start_on_demand_run",
    "start_scheduled_run",
]

logger = logging.getLogger(__name__)

RUN_ID_PREFIX = "ingest-"
ACTIVE_STATUSES = (
    df.OrchestrationRuntimeStatus.Running,
    df.OrchestrationRuntimeStatus.Pending,
)
_ACTIVE_NAMES = frozenset(status.value for status in ACTIVE_STATUSES)
_BODY_KEYS = frozenset({"dry_run"})
# {"dry_run": false} with room to spare; a larger body is not a run request.
MAX_BODY_BYTES = 1024
_JSON_EXAMPLE = '{"dry_run": true}'


class DurableClient(Protocol):
    """The part of ``DurableOrchestrationClient`` the triggers use."""

    async def start_new(
        self,
        orchestration_function_name: str,
        instance_id: str | None = None,
        client_input: Any = None,
    ) -> str: ...

    async def get_status(self, instance_id: str) -> Any: ...

    async def get_status_by(
        self,
        created_time_from: datetime | None = None,
        created_time_to: datetime | None = None,
        runtime_status: list[Any] | None = None,
        instance_id_prefix: str | None = None,
    ) -> list[Any]: ...

    def create_check_status_response(
        self, request: func.HttpRequest, instance_id: str
    ) -> func.HttpResponse: ...


def slot_run_id(slot: datetime) -> str:
    """Name a scheduled run after its slot: ``ingest-YYYYMMDDTHHMM[SS]Z``."""
    pattern = "%Y%m%dT%H%MZ" if slot.second == 0 else "%Y%m%dT%H%M%SZ"

    return RUN_ID_PREFIX + slot.astimezone(UTC).strftime(pattern)


def on_demand_run_id(now: datetime, token: str) -> str:
    """Name an on-demand run: ``ingest-YYYYMMDDTHHMMSSZ-<token>``."""
    if not re.fullmatch(r"[0-9a-z]{1,16}", token):
        raise ValueError("token must be 1-16 lowercase letters or digits")

    return f"{RUN_ID_PREFIX}{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{token}"


def _status_name(status: Any) -> str | None:
    runtime = getattr(status, "runtime_status", None)
    return getattr(runtime, "value", runtime)


async def start_scheduled_run(
    client: DurableClient, settings: IngestSettings, now: datetime
) -> str | None:
    """Start the run of the slot firing ``now`` is for; return its id, or None.

    The slot is the schedule's occurrence nearest ``now`` (see
    :meth:`centreon.schedule.Schedule.slot`). Skips when the slot's run already
    exists (a second firing, even one racing this one) or when an earlier run
    is still running or pending.
    """
    run_id = slot_run_id(Schedule.parse(settings.schedule).slot(now))
    existing = await client.get_status(run_id)
    if _status_name(existing) is not None:
        logger.info("slot already started", extra={"run_id": run_id})
        return None
    active = await client.get_status_by(
        runtime_status=list(ACTIVE_STATUSES), instance_id_prefix=RUN_ID_PREFIX
    )
    previous = sorted(s.instance_id for s in active if s.instance_id != run_id)
    if previous:
        logger.warning(
            "slot skipped, previous run still running",
            extra={"run_id": run_id, "previous_run_id": previous[0]},
        )
        return None

    request = RunRequest(run_id, False, "timer", settings.deadline_s)
    try:
        await client.start_new(ORCHESTRATOR, run_id, request.to_input())
    except Exception:
        # A concurrent firing started the instance since the checks above: the
        # extension answers 409 (host.json keeps running instances) and the SDK
        # raises a bare Exception for it, so the instance's status tells.
        holder = await client.get_status(run_id)
        if _status_name(holder) not in _ACTIVE_NAMES:
            raise
        logger.info(
            "slot already started",
            extra={"run_id": run_id, "existing_run_id": holder.instance_id},
        )
        return None
    logger.info("run scheduled", extra={"run_id": run_id})

    return run_id


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise ValueError("duplicate key")

    return data


def parse_run_body(body: bytes) -> bool:
    """Return ``dry_run`` from a ``POST /api/runs`` body (empty means false).

    Raises ``ValueError`` with a one-line reason for any other body: larger
    than :data:`MAX_BODY_BYTES`, not strict JSON (``NaN``, a repeated key,
    nesting too deep to decode), or not the one accepted field.
    """
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"body must be at most {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return False
    try:
        data = json.loads(
            body, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValueError(f"body must be JSON, for example {_JSON_EXAMPLE}") from None
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    unknown = sorted(set(data) - _BODY_KEYS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; only dry_run is accepted")
    dry_run = data.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise ValueError("dry_run must be true or false")

    return dry_run


async def start_on_demand_run(
    client: DurableClient,
    request: func.HttpRequest,
    settings: IngestSettings,
    now: datetime,
    token: Callable[[], str],
) -> func.HttpResponse:
    """Start a run for ``POST /api/runs``: 202 with status URLs, or 400 with why."""
    try:
        dry_run = parse_run_body(request.get_body())
    except ValueError as exc:
        return func.HttpResponse(
            json.dumps({"error": str(exc)}),
            status_code=400,
            mimetype="application/json",
        )
    run_id = on_demand_run_id(now, token())
    run = RunRequest(run_id, dry_run, "http", settings.deadline_s)
    await client.start_new(ORCHESTRATOR, run_id, run.to_input())
    logger.info("run requested", extra={"run_id": run_id})

    return client.create_check_status_response(request, run_id)
