"""Log lines on stderr and the metrics a run emits."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import pytest

from centreon.telemetry import (
    JsonFormatter,
    LogfmtFormatter,
    ShardStatus,
    bind_log_fields,
    configure_azure_monitor,
    configure_logging,
    quiet_azure_sdk,
    record_run,
    record_shard,
)
from tests.metric_reader import Recorded


def record(msg: str = "shard settled", **extra: object) -> logging.LogRecord:
    entry = logging.LogRecord(
        "centreon.fetch", logging.INFO, "f.py", 1, msg, None, None
    )
    entry.__dict__.update(extra)
    return entry


def test_logfmt_formatter_writes_message_and_extra_fields() -> None:
    """A record becomes one key=value line with its extra fields."""
    line = LogfmtFormatter().format(record(run_id="ingest-1", shard=3, rows=120))

    assert 'msg="shard settled"' in line
    assert "level=info logger=centreon.fetch" in line
    assert line.endswith("run_id=ingest-1 shard=3 rows=120")


def test_logfmt_formatter_quotes_values_with_spaces_and_newlines() -> None:
    """Values that would break the line are JSON-quoted."""
    line = LogfmtFormatter().format(record(error="HTTP 500\nbody"))

    assert 'error="HTTP 500\\nbody"' in line
    assert "\n" not in line


def test_json_formatter_writes_one_object_per_line() -> None:
    """The JSON format carries the same fields as logfmt."""
    event = json.loads(JsonFormatter().format(record(run_id="r", status="failed")))

    assert event["msg"] == "shard settled"
    assert event["run_id"] == "r"
    assert event["status"] == "failed"


def test_configure_logging_sends_records_to_the_stream() -> None:
    """configure_logging installs one handler writing lines to the stream."""
    stream = io.StringIO()
    handler = configure_logging(fmt="logfmt", stream=stream)
    try:
        logging.getLogger("centreon.test").info("run started", extra={"run_id": "r1"})
    finally:
        logging.getLogger().removeHandler(handler)

    assert 'msg="run started" run_id=r1' in stream.getvalue()


async def test_bound_fields_reach_records_of_tasks_and_threads_started_inside() -> None:
    """Records logged in a bound context, its tasks and its threads carry the fields.

    A record's own extra wins, and nothing is stamped once the context is left.
    """
    stream = io.StringIO()
    handler = configure_logging(fmt="json", stream=stream)
    log = logging.getLogger("centreon.test")

    def in_thread() -> None:
        log.info("in a thread")

    async def in_task() -> None:
        log.info("in a task")

    try:
        with bind_log_fields(run_id="r1", shard=3):
            log.info("inside")
            await asyncio.create_task(in_task())
            await asyncio.to_thread(in_thread)
            log.info("own shard", extra={"shard": 7})
        log.info("outside")
    finally:
        logging.getLogger().removeHandler(handler)

    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["msg"], e.get("run_id"), e.get("shard")) for e in events] == [
        ("inside", "r1", 3),
        ("in a task", "r1", 3),
        ("in a thread", "r1", 3),
        ("own shard", "r1", 7),
        ("outside", None, None),
    ]


def test_quiet_azure_sdk_keeps_sdk_http_logging_at_warning() -> None:
    """The Azure SDK's HTTP logging policy is held at WARNING."""
    policy = logging.getLogger("azure.core.pipeline.policies.http_logging_policy")
    policy.setLevel(logging.DEBUG)

    quiet_azure_sdk()

    assert policy.level == logging.WARNING


def test_configure_azure_monitor_does_nothing_without_a_connection_string() -> None:
    """Without a connection string, Application Insights stays off."""
    assert configure_azure_monitor(None) is False


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


SHARD = {
    "shard": 2,
    "status": "succeeded",
    "rows": {"hosts": 3, "services": 30},
    "requests": 40,
    "retries": 4,
    "duration_s": 1.5,
}
RUN = {
    "run_id": "ingest-20261203T1900Z",
    "datasets": {
        "hosts": {"rows": 3, "files": 1},
        "services": {"rows": 30, "files": 1},
        "urls": {"rows": 33, "files": 1},
    },
    "requests": 45,
    "retries": 4,
    "durations_s": {"plan": 1.0, "fetch": 2.0},
}


def test_record_shard_emits_rows_requests_retries_and_duration(
    recorded: Recorded,
) -> None:
    """A shard's outcome becomes rows, requests, retries and duration metrics."""
    record_shard(SHARD, status="succeeded", duration_s=1.75)

    found = recorded.collect()
    rows = {p.attributes["dataset"]: p.value for p in found["centreon.rows"]}
    assert rows == {"hosts": 3, "services": 30}
    assert [p.value for p in found["centreon.requests"]] == [40]
    assert [p.value for p in found["centreon.retries"]] == [4]
    assert [p.value for p in found["centreon.shard.duration"]] == [1.75]


def test_record_shard_tags_points_with_shard_and_status_only(
    recorded: Recorded,
) -> None:
    """Shard metrics carry the shard and status (and dataset), never the run id."""
    record_shard({**SHARD, "run_id": "ingest-1"}, status="succeeded", duration_s=1.0)

    found = recorded.collect()
    attributes = [p.attributes for points in found.values() for p in points]
    assert attributes
    assert {frozenset(a) - {"dataset"} for a in attributes} == {
        frozenset({"shard", "status"})
    }
    assert {a["status"] for a in attributes} == {"succeeded"}


@pytest.mark.parametrize("status", ["deadline", "failed"])
def test_record_shard_emits_the_duration_of_a_shard_without_counts(
    recorded: Recorded, status: ShardStatus
) -> None:
    """A stopped shard, with no counts to report, still has its duration point."""
    outcome = {"shard": 5, "status": "failed", "error": "deadline passed"}

    record_shard(outcome, status=status, duration_s=3.0)

    found = recorded.collect()
    assert set(found) == {"centreon.shard.duration"}
    [point] = found["centreon.shard.duration"]
    assert point.attributes == {"shard": 5, "status": status}
    assert point.value == 3.0


def test_record_run_emits_rows_by_dataset_requests_retries_and_duration(
    recorded: Recorded,
) -> None:
    """A run is one observation of each run metric, tagged with its status."""
    record_run(RUN, "succeeded")

    found = recorded.collect()
    rows = {p.attributes["dataset"]: p.value for p in found["centreon.run.rows"]}
    assert rows == {"hosts": 3, "services": 30, "urls": 33}
    for name, value in (
        ("centreon.run.requests", 45),
        ("centreon.run.retries", 4),
        ("centreon.run.duration", 3.0),
    ):
        assert [(p.value, p.count) for p in found[name]] == [(value, 1)]
        assert [p.attributes for p in found[name]] == [{"status": "succeeded"}]
