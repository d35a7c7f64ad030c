"""Timer slots and the on-demand HTTP trigger, over the real Durable client."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import azure.durable_functions as df
import azure.functions as func
import pytest

from centreon.settings import IngestSettings
from centreon.triggers import (
    last_slot,
    on_demand_run_id,
    parse_run_body,
    slot_run_id,
    start_on_demand_run,
    start_scheduled_run,
)

RPC = "http://127.0.0.1:17071/durabletask/"
ORIGIN = "http://localhost:7071"
HUB = "centreonlake"
WEBHOOKS = f"{ORIGIN}/runtime/webhooks/durabletask"
INSTANCE = f"{WEBHOOKS}/instances/INSTANCEID"
KEYS = f"taskHub={HUB}&connection=Storage&code=k"
BINDING = {
    "taskHubName": HUB,
    "creationUrls": {
        "createNewInstancePostUri": f"{WEBHOOKS}/orchestrators/{{functionName}}?code=k",
    },
    "managementUrls": {
        "id": "INSTANCEID",
        "statusQueryGetUri": f"{INSTANCE}?{KEYS}",
        "sendEventPostUri": f"{INSTANCE}/raiseEvent/{{eventName}}?{KEYS}",
        "terminatePostUri": f"{INSTANCE}/terminate?reason={{text}}&{KEYS}",
        "purgeHistoryDeleteUri": f"{INSTANCE}?{KEYS}",
    },
    "baseUrl": WEBHOOKS,
    "requiredQueryStringParameters": "code=k",
    "rpcBaseUrl": RPC,
}
SETTINGS = IngestSettings()
NOW = datetime(2026, 12, 3, 19, 7, 42, tzinfo=UTC)


class Extension:
    """The Durable extension's RPC endpoint as the client sees it: instances by id."""

    def __init__(self) -> None:
        self.instances: dict[str, dict[str, Any]] = {}
        self.started: list[tuple[str, Any]] = []

    def add(self, instance_id: str, status: str) -> None:
        self.instances[instance_id] = {
            "name": "ingest",
            "instanceId": instance_id,
            "runtimeStatus": status,
            "createdTime": "2026-12-03T19:00:00Z",
            "lastUpdatedTime": "2026-12-03T19:00:01Z",
        }

    async def get(self, url: str, *args: Any) -> list[Any]:
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(RPC).path)
        query = parse_qs(parts.query)
        instance_id = path.removeprefix("instances/")
        if instance_id:
            found = self.instances.get(instance_id)
            return [200, found] if found else [404, ""]
        wanted = set(query.get("runtimeStatus", [""])[0].split(","))
        prefix = query.get("instanceIdPrefix", [""])[0]
        matches = [
            i
            for i in self.instances.values()
            if i["runtimeStatus"] in wanted and i["instanceId"].startswith(prefix)
        ]

        return [200, matches]

    async def post(self, url: str, data: Any, *args: Any) -> list[Any]:
        path = urlsplit(url).path.removeprefix(urlsplit(RPC).path)
        _, _function, instance_id = path.split("/")
        self.started.append((instance_id, json.loads(data)))
        self.add(instance_id, "Pending")

        return [202, {"id": instance_id}]


@pytest.fixture
def extension() -> Extension:
    return Extension()


@pytest.fixture
def client(extension: Extension) -> df.DurableOrchestrationClient:
    durable = df.DurableOrchestrationClient(json.dumps(BINDING))
    durable._get_async_request = extension.get
    durable._post_async_request = extension.post

    return durable


def http_request(body: bytes) -> func.HttpRequest:
    return func.HttpRequest(
        method="POST", url=f"{ORIGIN}/api/runs", headers={}, params={}, body=body
    )


@pytest.mark.parametrize(
    ("schedule", "now", "slot"),
    [
        pytest.param(
            "0 */5 * * * *",
            NOW,
            datetime(2026, 12, 3, 19, 5, tzinfo=UTC),
            id="five-min",
        ),
        pytest.param(
            "0 */5 * * * *",
            datetime(2026, 12, 3, 19, 10, 0, 250_000, tzinfo=UTC),
            datetime(2026, 12, 3, 19, 10, tzinfo=UTC),
            id="on-the-slot",
        ),
        pytest.param(
            "30 15 * * * *",
            NOW,
            datetime(2026, 12, 3, 18, 15, 30, tzinfo=UTC),
            id="hourly",
        ),
        pytest.param(
            "0 0 6 * * MON-FRI",
            datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
            datetime(2026, 12, 4, 6, 0, tzinfo=UTC),
            id="weekdays-from-sunday",
        ),
        pytest.param(
            "0 0,30 9-17 * * *",
            datetime(2026, 12, 3, 8, 59, tzinfo=UTC),
            datetime(2026, 12, 2, 17, 30, tzinfo=UTC),
            id="list-and-range",
        ),
    ],
)
def test_last_slot_finds_the_latest_firing_at_or_before_now(
    schedule: str, now: datetime, slot: datetime
) -> None:
    """The slot is the schedule's latest firing time not after now."""
    assert last_slot(schedule, now) == slot


def test_slot_run_id_names_the_slot_to_the_minute() -> None:
    """A slot on a whole minute gives ingest-YYYYMMDDTHHMMZ."""
    assert (
        slot_run_id(datetime(2026, 12, 3, 19, 5, tzinfo=UTC)) == "ingest-20261203T1905Z"
    )


def test_slot_run_id_keeps_seconds_when_the_slot_has_them() -> None:
    """A slot off the whole minute keeps its seconds, so slots never collide."""
    slot = datetime(2026, 12, 3, 19, 5, 30, tzinfo=UTC)

    assert slot_run_id(slot) == "ingest-20261203T190530Z"


def test_on_demand_run_id_is_a_safe_lake_segment() -> None:
    """An on-demand run id carries the time and the token."""
    assert on_demand_run_id(NOW, "a1b2") == "ingest-20261203T190742Z-a1b2"


async def test_start_scheduled_run_starts_the_slot_run(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """A firing with nothing running starts the slot's run as a timer run."""
    run_id = await start_scheduled_run(client, SETTINGS, NOW)

    assert run_id == "ingest-20261203T1905Z"
    assert extension.started == [
        (
            run_id,
            {
                "run_id": run_id,
                "dry_run": False,
                "trigger": "timer",
                "deadline_s": 270.0,
            },
        )
    ]


async def test_start_scheduled_run_starts_one_run_for_two_firings_of_a_slot(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """A second firing for the same slot starts nothing."""
    first = await start_scheduled_run(client, SETTINGS, NOW)
    second = await start_scheduled_run(
        client, SETTINGS, NOW.replace(minute=8, second=3)
    )

    assert first == "ingest-20261203T1905Z"
    assert second is None
    assert len(extension.started) == 1


async def test_start_scheduled_run_skips_the_slot_while_the_previous_run_runs(
    client: df.DurableOrchestrationClient,
    extension: Extension,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A slot is skipped while an earlier run is running, naming both runs."""
    extension.add("ingest-20261203T1900Z", "Running")

    with caplog.at_level(logging.INFO, logger="centreon.triggers"):
        run_id = await start_scheduled_run(client, SETTINGS, NOW)

    assert run_id is None
    assert extension.started == []
    skips = [r for r in caplog.records if r.message.startswith("slot skipped")]
    assert [(r.run_id, r.previous_run_id) for r in skips] == [
        ("ingest-20261203T1905Z", "ingest-20261203T1900Z")
    ]


async def test_start_scheduled_run_starts_after_the_previous_run_completed(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """A finished earlier run does not hold the next slot back."""
    extension.add("ingest-20261203T1900Z", "Completed")

    run_id = await start_scheduled_run(client, SETTINGS, NOW)

    assert run_id == "ingest-20261203T1905Z"


async def test_start_on_demand_run_answers_202_with_status_urls(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """POST /api/runs starts a run and answers 202 with its Durable status URLs."""
    response = await start_on_demand_run(
        client, http_request(b'{"dry_run": true}'), SETTINGS, NOW, lambda: "a1b2"
    )

    run_id = "ingest-20261203T190742Z-a1b2"
    assert response.status_code == 202
    links = json.loads(response.get_body())
    assert links["id"] == run_id
    assert response.headers["Location"] == links["statusQueryGetUri"]
    assert f"/instances/{run_id}?" in links["statusQueryGetUri"]
    assert extension.started == [
        (
            run_id,
            {"run_id": run_id, "dry_run": True, "trigger": "http", "deadline_s": 270.0},
        )
    ]


async def test_start_on_demand_run_treats_an_empty_body_as_a_full_run(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """An empty body starts a full run (dry_run false)."""
    response = await start_on_demand_run(
        client, http_request(b""), SETTINGS, NOW, lambda: "a1b2"
    )

    assert response.status_code == 202
    assert extension.started[0][1]["dry_run"] is False


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"{dry_run: true}", "body must be JSON", id="not-json"),
        pytest.param(b"[true]", "JSON object", id="array"),
        pytest.param(
            b'{"dry_run": "yes"}', "dry_run must be true or false", id="string"
        ),
        pytest.param(b'{"run_id": "x"}', "unknown field 'run_id'", id="unknown-key"),
        pytest.param(b"\xff\xfe", "body must be JSON", id="not-utf8"),
    ],
)
async def test_start_on_demand_run_answers_400_for_a_bad_body(
    client: df.DurableOrchestrationClient,
    extension: Extension,
    body: bytes,
    reason: str,
) -> None:
    """A bad body gets 400 with a one-line reason, and no run starts."""
    response = await start_on_demand_run(
        client, http_request(body), SETTINGS, NOW, lambda: "a1b2"
    )

    assert response.status_code == 400
    error = json.loads(response.get_body())["error"]
    assert reason in error
    assert "\n" not in error
    assert extension.started == []


def test_parse_run_body_accepts_dry_run_false() -> None:
    """An explicit dry_run false is a full run."""
    assert parse_run_body(b'{"dry_run": false}') is False
