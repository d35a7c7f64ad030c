"""Logs and metrics: one event a line on stderr, Application Insights when asked.

:func:`configure_logging` is for the command line: every record becomes one
line on stderr, ``logfmt`` (``key=value``) or JSON, with the record's ``extra``
fields (``run_id``, ``shard``, ``status``, ...) next to its constant message.
The Functions host brings its own handler, so the app only calls
:func:`quiet_azure_sdk`.

:func:`configure_azure_monitor` turns on Application Insights through
OpenTelemetry when a connection string is given. :func:`record_shard` and
:func:`record_run` emit per-shard and per-run metrics (rows, requests,
retries, duration) through the OpenTelemetry API; with nothing configured that
API does nothing. Metric attributes are bounded (shard index, status,
dataset): the run id, one value per run, stays in the logs.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, TextIO

from opentelemetry import metrics

from centreon.errors import ConfigError
from centreon.orchestration import SHARD_DATASETS, count_of

__all__ = [
    "BoundFieldsFilter",
    "JsonFormatter",
    "LogfmtFormatter",
    "ShardStatus",
    "configure_azure_monitor",
    "configure_logging",
    "quiet_azure_sdk",
    "record_run",
    "record_shard",
    "stamp_bound_fields",
]

LogFormat = Literal["logfmt", "json"]
ShardStatus = Literal["succeeded", "failed", "deadline"]

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName"}
)
_SDK_LOGGERS = ("azure", "azure.core.pipeline.policies.http_logging_policy", "urllib3")
_meter = metrics.get_meter("centreon")
_rows = _meter.create_counter("centreon.rows", unit="{row}", description="rows written")
_requests = _meter.create_counter("centreon.requests", description="Centreon requests")
_retries = _meter.create_counter("centreon.retries", description="retried requests")
_shard_seconds = _meter.create_histogram("centreon.shard.duration", unit="s")
_run_seconds = _meter.create_histogram("centreon.run.duration", unit="s")
_run_rows = _meter.create_histogram(
    "centreon.run.rows", unit="{row}", description="rows of a run, by dataset"
)
_run_requests = _meter.create_histogram(
    "centreon.run.requests", description="Centreon requests of a run"
)
_run_retries = _meter.create_histogram(
    "centreon.run.retries", description="retried requests of a run"
)


_bound: ContextVar[Mapping[str, Any]] = ContextVar(
    "centreon_log_fields", default=MappingProxyType({})
)


@contextmanager
def bind_log_fields(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every record logged in this context.

    The tasks and threads started inside it inherit them (asyncio and
    ``to_thread`` copy the context), so an activity binds its ``run_id`` and
    ``shard`` once and the client's and the lake's lines carry them too. A
    record's own ``extra`` wins over a bound field of the same name.
    """
    token = _bound.set(MappingProxyType({**_bound.get(), **fields}))
    try:
        yield
    finally:
        _bound.reset(token)


class BoundFieldsFilter(logging.Filter):
    """Stamps each record with the fields bound where it was logged.

    A handler filter, not a record factory: the factory runs before ``extra``
    is applied, and ``logging`` refuses an ``extra`` key the record has.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _bound.get().items():
            record.__dict__.setdefault(key, value)

        return True


def stamp_bound_fields(handlers: Iterable[logging.Handler]) -> None:
    """Install :class:`BoundFieldsFilter` on ``handlers`` that lack it."""
    for handler in handlers:
        if not any(isinstance(f, BoundFieldsFilter) for f in handler.filters):
            handler.addFilter(BoundFieldsFilter())


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


def _stamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)

    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c in text for c in ' "=\\\n') and text.isprintable():
        return text

    return json.dumps(text)


class LogfmtFormatter(logging.Formatter):
    """``ts=... level=info logger=... msg="shard settled" run_id=... shard=3``."""

    def format(self, record: logging.LogRecord) -> str:
        pairs = {
            "ts": _stamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            pairs["error"] = self.formatException(record.exc_info)

        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in pairs.items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the same keys as :class:`LogfmtFormatter`."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "ts": _stamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            **_fields(record),
        }
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)

        return json.dumps(event, default=str)


def quiet_azure_sdk() -> None:
    """Keep the Azure SDK's HTTP logging (headers, URLs) at WARNING."""
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure_logging(
    level: int = logging.INFO,
    fmt: LogFormat = "logfmt",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every record to ``stream`` (stderr), one line each; return the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    stamp_bound_fields([handler])
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    quiet_azure_sdk()

    return handler


def configure_azure_monitor(connection_string: str | None) -> bool:
    """Export logs and metrics to Application Insights; False when not configured."""
    if not connection_string:
        return False
    # Imported here: it pulls in the whole OpenTelemetry SDK, needed only when enabled.
    from azure.monitor.opentelemetry import configure_azure_monitor as configure

    try:
        configure(connection_string=connection_string, logger_name="centreon")
    except ValueError:
        # The exporter's message can quote the string, which holds the key.
        raise ConfigError(
            "APPLICATIONINSIGHTS_CONNECTION_STRING",
            "is not an Application Insights connection string",
        ) from None
    stamp_bound_fields(logging.getLogger("centreon").handlers)

    return True


def record_shard(
    outcome: Mapping[str, Any], *, status: ShardStatus, duration_s: float
) -> None:
    """Emit one shard's metrics, whatever became of it, tagged shard and status.

    The duration always; rows, requests and retries when the outcome counts
    them (a shard stopped at the deadline or by a lake error has none).
    """
    attributes: dict[str, str | int] = {
        "shard": count_of(outcome, "shard"),
        "status": status,
    }
    rows = outcome.get("rows")
    if isinstance(rows, Mapping):
        for dataset in SHARD_DATASETS:
            _rows.add(count_of(rows, dataset), {**attributes, "dataset": dataset})
    for key, counter in (("requests", _requests), ("retries", _retries)):
        if key in outcome:
            counter.add(count_of(outcome, key), attributes)
    _shard_seconds.record(duration_s, attributes)


def record_run(summary: Mapping[str, Any], status: str) -> None:
    """Emit one run's metrics, tagged with its status; call it once per run.

    Rows by dataset, requests, retries and the duration of its steps, each as
    one observation of a histogram, so runs can be counted and compared.
    """
    attributes = {"status": status}
    datasets = summary.get("datasets")
    if isinstance(datasets, Mapping):
        for dataset, entry in datasets.items():
            rows = count_of(entry, "rows")
            _run_rows.record(rows, {**attributes, "dataset": str(dataset)})
    _run_requests.record(count_of(summary, "requests"), attributes)
    _run_retries.record(count_of(summary, "retries"), attributes)
    durations = summary.get("durations_s")
    steps = durations.values() if isinstance(durations, Mapping) else ()
    total = sum(v for v in steps if isinstance(v, int | float))
    _run_seconds.record(float(total), attributes)
