"""Timer slots and the on-demand HTTP trigger, over the real Durable client."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func
import pytest

from centreon.settings import IngestSettings
from centreon.triggers import (
    on_demand_run_id,
    parse_run_body,
    slot_run_id,
    start_on_demand_run,
    start_scheduled_run,
)
from tests.durable_client import ORIGIN, Extension, durable_client

SETTINGS = IngestSettings()
NOW = datetime(2026, 12, 3, 19, 7, 42, tzinfo=UTC)


@pytest.fixture
def extension() -> Extension:
    return Extension()


@pytest.fixture
def client(extension: Extension) -> df.DurableOrchestrationClient:
    return durable_client(extension)


def http_request(body: bytes) -> func.HttpRequest:
    return func.HttpRequest(
        method="POST", url=f"{ORIGIN}/api/runs", headers={}, params={}, body=body
    )


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


@pytest.mark.parametrize(
    ("firing", "run_id"),
    [
        pytest.param(
            datetime(2026, 12, 3, 19, 4, 59, 900_000, tzinfo=UTC),
            "ingest-20261203T1905Z",
            id="a-moment-early",
        ),
        pytest.param(
            datetime(2026, 12, 3, 19, 5, 0, 100_000, tzinfo=UTC),
            "ingest-20261203T1905Z",
            id="a-moment-late",
        ),
        pytest.param(
            datetime(2026, 12, 3, 19, 9, 10, tzinfo=UTC),
            "ingest-20261203T1905Z",
            id="past-due",
        ),
    ],
)
async def test_start_scheduled_run_names_the_run_after_the_nearest_slot(
    client: df.DurableOrchestrationClient,
    extension: Extension,
    firing: datetime,
    run_id: str,
) -> None:
    """A firing just either side of a slot runs that slot; a late one keeps its own."""
    started = await start_scheduled_run(client, SETTINGS, firing)

    assert started == run_id
    assert [instance for instance, _ in extension.started] == [run_id]


async def test_start_scheduled_run_skips_a_slot_a_concurrent_firing_started(
    client: df.DurableOrchestrationClient,
    extension: Extension,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Losing the start to a concurrent firing (409) logs a skip, not a failure."""
    extension.race("ingest-20261203T1905Z", "Pending")

    with caplog.at_level(logging.INFO, logger="centreon.triggers"):
        run_id = await start_scheduled_run(client, SETTINGS, NOW)

    assert run_id is None
    assert extension.started == []
    skips = [r for r in caplog.records if r.message == "slot already started"]
    assert [(r.run_id, r.existing_run_id) for r in skips] == [
        ("ingest-20261203T1905Z", "ingest-20261203T1905Z")
    ]


async def test_start_scheduled_run_raises_when_the_start_fails_otherwise(
    client: df.DurableOrchestrationClient, extension: Extension
) -> None:
    """A refused start with no instance behind it is not mistaken for a race."""

    async def refuse(url: str, data: object, *args: object) -> list[object]:
        return [500, {"Message": "Something went wrong while processing your request"}]

    client._post_async_request = refuse

    with pytest.raises(Exception, match="Something went wrong"):
        await start_scheduled_run(client, SETTINGS, NOW)


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
        pytest.param(b"\x80{}", "body must be JSON", id="bad-utf8-byte"),
        pytest.param(b"[" * 1000, "body must be JSON", id="deep-array"),
        pytest.param(b"[" * 100_000, "at most 1024 bytes", id="huge-deep-array"),
        pytest.param(b'{"a":' * 50_000, "at most 1024 bytes", id="huge-deep-object"),
        pytest.param(
            b'{"dry_run": false}' + b" " * 1024, "at most 1024 bytes", id="huge"
        ),
        pytest.param(b'{"dry_run": NaN}', "body must be JSON", id="nan"),
        pytest.param(b"Infinity", "body must be JSON", id="infinity"),
        pytest.param(
            b'{"dry_run": true, "dry_run": false}', "body must be JSON", id="dup-key"
        ),
    ],
)
async def test_start_on_demand_run_answers_400_for_a_bad_body(
    client: df.DurableOrchestrationClient,
    extension: Extension,
    body: bytes,
    reason: str,
) -> None:
    """A bad or hostile body gets 400 with a one-line reason, and no run starts."""
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
