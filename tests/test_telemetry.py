"""Log lines on stderr and the metrics a run emits."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from centreon.telemetry import (
    JsonFormatter,
    LogfmtFormatter,
    configure_azure_monitor,
    configure_logging,
    quiet_azure_sdk,
    record_run,
    record_shard,
)


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


def test_quiet_azure_sdk_keeps_sdk_http_logging_at_warning() -> None:
    """The Azure SDK's HTTP logging policy is held at WARNING."""
    policy = logging.getLogger("azure.core.pipeline.policies.http_logging_policy")
    policy.setLevel(logging.DEBUG)

    quiet_azure_sdk()

    assert policy.level == logging.WARNING


def test_configure_azure_monitor_does_nothing_without_a_connection_string() -> None:
    """Without a connection string, Application Insights stays off."""
    assert configure_azure_monitor(None) is False


@pytest.fixture(scope="module")
def reader() -> Iterator[InMemoryMetricReader]:
    memory = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[memory])
    metrics.set_meter_provider(provider)
    yield memory
    provider.shutdown()


def points(reader: InMemoryMetricReader) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    data = reader.get_metrics_data()
    assert data is not None
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(metric.data.data_points)
    return found


def test_record_shard_emits_rows_requests_retries_and_duration(
    reader: InMemoryMetricReader,
) -> None:
    """A shard's outcome becomes rows, requests, retries and duration metrics."""
    record_shard(
        "r1",
        {
            "shard": 2,
            "rows": {"hosts": 3, "services": 30},
            "requests": 40,
            "retries": 4,
            "duration_s": 1.5,
        },
    )
    record_run({"durations_s": {"plan": 1.0, "fetch": 2.0}}, "succeeded")

    found = points(reader)
    rows = {p.attributes["dataset"]: p.value for p in found["centreon.rows"]}
    assert rows == {"hosts": 3, "services": 30}
    assert [p.value for p in found["centreon.requests"]] == [40]
    assert [p.value for p in found["centreon.retries"]] == [4]
    assert [p.sum for p in found["centreon.shard.duration"]] == [1.5]
    assert [p.sum for p in found["centreon.run.duration"]] == [3.0]
