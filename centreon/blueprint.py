"""The function app's triggers, orchestrator and activities: thin adapters.

Each function turns its binding's input into typed arguments, calls one plain
function (:mod:`centreon.triggers`, :mod:`centreon.orchestration`,
:mod:`centreon.activities`) and returns a small JSON-safe result. The Durable
names (``ingest``, ``plan_run``, ``fetch_shard``, ``publish_run``,
``compensate_run``) live in orchestration histories: they never change.

Settings are read from the app settings when a function runs, never at import.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Generator
from datetime import UTC, datetime
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from centreon import activities
from centreon.orchestration import (
    COMPENSATE_RUN,
    FETCH_SHARD,
    ORCHESTRATOR,
    PLAN_RUN,
    PUBLISH_RUN,
    ingest,
)
from centreon.settings import IngestSettings
from centreon.telemetry import (
    configure_azure_monitor,
    quiet_azure_sdk,
    stamp_bound_fields,
)
from centreon.triggers import start_on_demand_run, start_scheduled_run

__all__ = ["blueprint"]

blueprint = df.Blueprint()
_telemetry_ready = False


def _telemetry() -> None:
    """Set up logging levels and Application Insights once per worker."""
    global _telemetry_ready
    if _telemetry_ready:
        return
    quiet_azure_sdk()
    configure_azure_monitor(os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"))
    stamp_bound_fields(logging.getLogger().handlers)
    _telemetry_ready = True


@blueprint.timer_trigger(
    arg_name="timer", schedule="%INGEST_SCHEDULE%", run_on_startup=False
)
@blueprint.durable_client_input(client_name="client")
async def scheduled_run(timer: func.TimerRequest, client: Any) -> None:
    """Start the run of this schedule slot, unless it started or one is running."""
    _telemetry()
    await start_scheduled_run(client, IngestSettings.from_env(), datetime.now(UTC))


@blueprint.route(route="runs", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@blueprint.durable_client_input(client_name="client")
async def start_run(req: func.HttpRequest, client: Any) -> func.HttpResponse:
    """``POST /api/runs``: 202 with the run's status URLs, or 400 with why."""
    _telemetry()
    return await start_on_demand_run(
        client,
        req,
        IngestSettings.from_env(),
        datetime.now(UTC),
        lambda: secrets.token_hex(4),
    )


@blueprint.function_name(name=ORCHESTRATOR)
@blueprint.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)
def ingest_orchestrator(context: Any) -> Generator[Any, Any, dict[str, Any]]:
    """The ``ingest`` orchestration (see :func:`centreon.orchestration.ingest`)."""
    return (yield from ingest(context))


@blueprint.activity_trigger(input_name="payload", activity=PLAN_RUN)
async def plan_run(payload: dict[str, Any]) -> dict[str, Any]:
    """Discover, plan and stage the run's URL plan."""
    _telemetry()
    return await activities.plan_run(payload)


@blueprint.activity_trigger(input_name="payload", activity=FETCH_SHARD)
async def fetch_shard(payload: dict[str, Any]) -> dict[str, Any]:
    """Fetch one shard into staged Parquet."""
    _telemetry()
    return await activities.fetch_shard(payload)


@blueprint.activity_trigger(input_name="payload", activity=PUBLISH_RUN)
async def publish_run(payload: dict[str, Any]) -> dict[str, Any]:
    """Publish the staged run."""
    _telemetry()
    return await activities.publish_run(payload)


@blueprint.activity_trigger(input_name="payload", activity=COMPENSATE_RUN)
async def compensate_run(payload: dict[str, Any]) -> dict[str, Any]:
    """Delete what the run wrote and record it as failed."""
    _telemetry()
    return await activities.compensate_run(payload)
