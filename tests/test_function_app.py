"""The function app as the Functions host indexes it, and its host settings."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from centreon.orchestration import ingest
from function_app import app
from tests.durable_client import ORIGIN, Extension, durable_client
from tests.durable_history import History, replay

ROOT = Path(__file__).resolve().parent.parent


# The SDK checks names for duplicates on every get_functions() call and fails on a
# second call in one process, so the app is indexed once, as the worker does.
FUNCTIONS = {f.get_function_name(): f for f in app.get_functions()}
INDEXED = {name: json.loads(f.get_function_json()) for name, f in FUNCTIONS.items()}
APP_SETTINGS = {
    "CENTREON_URL": "https://centreon.example.com/centreon/api/latest",
    "CENTREON_API_TOKEN": "token",
    "INGEST_DEADLINE_S": "120",
}


def functions() -> dict[str, dict[str, Any]]:
    return INDEXED


def trigger(name: str) -> dict[str, Any]:
    bindings = functions()[name]["bindings"]
    return next(b for b in bindings if b["type"].endswith("Trigger"))


def test_app_registers_the_triggers_orchestrator_and_activities() -> None:
    """The app indexes two triggers, the orchestrator and four activities."""
    assert sorted(functions()) == [
        "compensate_run",
        "fetch_shard",
        "ingest",
        "plan_run",
        "publish_run",
        "scheduled_run",
        "start_run",
    ]


def test_timer_trigger_reads_its_schedule_from_the_app_setting() -> None:
    """The timer fires on %INGEST_SCHEDULE% and does not run at startup."""
    timer = trigger("scheduled_run")

    assert timer["type"] == "timerTrigger"
    assert timer["schedule"] == "%INGEST_SCHEDULE%"
    assert timer["runOnStartup"] is False


def test_http_trigger_is_post_runs_with_function_auth() -> None:
    """POST /api/runs needs a function key."""
    http = trigger("start_run")

    assert http["type"] == "httpTrigger"
    assert http["route"] == "runs"
    assert http["methods"] == ["POST"]
    assert http["authLevel"] == "FUNCTION"


@pytest.mark.parametrize("name", ["scheduled_run", "start_run"])
def test_triggers_get_a_durable_client(name: str) -> None:
    """Both triggers receive the Durable client binding."""
    types = [b["type"] for b in functions()[name]["bindings"]]

    assert "durableClient" in types


def test_orchestrator_is_registered_as_ingest() -> None:
    """The orchestration trigger is named ingest, its stable Durable name."""
    orchestrator = trigger("ingest")

    assert orchestrator["type"] == "orchestrationTrigger"
    assert orchestrator["orchestration"] == "ingest"


@pytest.mark.parametrize(
    "name", ["plan_run", "fetch_shard", "publish_run", "compensate_run"]
)
def test_activities_are_registered_under_their_durable_names(name: str) -> None:
    """Each activity's function and binding carry its Durable name."""
    activity = trigger(name)

    assert activity["type"] == "activityTrigger"
    assert activity["activity"] == name


def test_host_json_uses_bundle_v4_and_outlasts_the_deadline() -> None:
    """host.json pins extension bundle v4 and a timeout above the 270 s deadline."""
    host = json.loads((ROOT / "host.json").read_text())
    hours, minutes, seconds = (int(x) for x in host["functionTimeout"].split(":"))

    assert host["extensionBundle"]["version"] == "[4.*, 5.0.0)"
    assert hours * 3600 + minutes * 60 + seconds > 270
    assert host["logging"]["logLevel"]["Azure.Core"] == "Warning"
    assert host["extensions"]["durableTask"]["hubName"]


def test_example_settings_list_every_setting_the_app_reads() -> None:
    """local.settings.example.json names every variable settings.py reads."""
    source = (ROOT / "centreon" / "settings.py").read_text()
    read = set(re.findall(r'"((?:CENTREON|LAKE|INGEST)_[A-Z_]+)"', source))
    example = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]

    assert read <= set(example)
    assert example["AzureWebJobsStorage"] == "UseDevelopmentStorage=true"
    assert example["CENTREON_PASSWORD"].startswith("@Microsoft.KeyVault(SecretUri=")


def client_function(name: str) -> Any:
    """The adapter as written, under the SDK's Durable client middleware."""
    return FUNCTIONS[name].get_user_function().client_function


@pytest.fixture
def app_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key, value in APP_SETTINGS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LAKE_URL", str(tmp_path))
    monkeypatch.delenv("INGEST_SCHEDULE", raising=False)
    monkeypatch.delenv("APPLICATIONINSIGHTS_CONNECTION_STRING", raising=False)
    return tmp_path


async def test_http_adapter_starts_a_run_with_the_app_settings(
    app_settings: Path,
) -> None:
    """POST /api/runs starts ingest with the deadline from the app settings."""
    extension = Extension()
    request = func.HttpRequest(
        method="POST", url=f"{ORIGIN}/api/runs", headers={}, params={}, body=b""
    )

    response = await client_function("start_run")(request, durable_client(extension))

    assert response.status_code == 202
    [(run_id, started)] = extension.started
    assert started == {
        "run_id": run_id,
        "dry_run": False,
        "trigger": "http",
        "deadline_s": 120.0,
    }


async def test_timer_adapter_starts_the_slot_run(app_settings: Path) -> None:
    """A timer firing starts the current slot's run as a timer run."""
    extension = Extension()
    timer = TimerRequest(past_due=False)

    await client_function("scheduled_run")(timer, durable_client(extension))

    [(run_id, started)] = extension.started
    assert run_id.startswith("ingest-")
    assert run_id.endswith("Z")
    assert started["trigger"] == "timer"


async def test_activity_adapter_reads_settings_and_returns_a_small_dict(
    app_settings: Path,
) -> None:
    """compensate_run, as registered, works on the lake named by the app settings."""
    activity = FUNCTIONS["compensate_run"].get_user_function()
    run = {
        "run_id": "ingest-20261203T1900Z",
        "snapshot_ts": "2026-12-03T19:00:00+00:00",
    }

    result = await activity({**run, "reason": "deadline", "summary": {}})

    assert result == {"status": "succeeded", "manifest": f"_runs/{run['run_id']}.json"}
    assert (app_settings / result["manifest"]).exists()


def test_registered_orchestrator_replays_as_ingest() -> None:
    """The registered orchestrator is the ingest generator under the SDK's handle."""
    handle = FUNCTIONS["ingest"].get_user_function()
    history = History("ingest-1", {"dry_run": True}, datetime(2026, 12, 3, tzinfo=UTC))

    registered = json.loads(handle(history.context_json()))

    assert registered["actions"] == replay(ingest, history).actions
    assert registered["actions"][0][0]["functionName"] == "plan_run"
