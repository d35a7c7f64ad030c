"""The function app as the Functions host indexes it, and its host settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from function_app import app

ROOT = Path(__file__).resolve().parent.parent


# The SDK checks names for duplicates on every get_functions() call and fails on a
# second call in one process, so the app is indexed once, as the worker does.
INDEXED = {
    f.get_function_name(): json.loads(f.get_function_json())
    for f in app.get_functions()
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
