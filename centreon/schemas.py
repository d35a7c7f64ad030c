"""Explicit Arrow schemas of the lake's datasets, derived from the Centreon API.

Nothing here is inferred from data. Field names and nesting are the API's
(``openapi.yaml``: ``Monitoring.HostDetail``, ``Monitoring.ServiceDetail`` and,
for listing mode, ``Monitoring.ResourceMain``), so a column is found under the
name the Centreon documentation gives it.

Typing decisions, made once for every dataset:

- ISO 8601 dates (``last_check``, ``downtimes[].start_time``, ...) are
  ``timestamp[us, tz=UTC]``: the instant is parsed with its offset, so
  ``10:17:10+01:00`` is stored as ``09:17:10Z``. The server's offset itself is
  not kept. Listing mode's ``duration`` and ``last_check`` are humanised ages
  ("5d 2h"), not dates, and stay strings.
- Ids, counters and levels are ``int64``; latencies and percentages ``float64``.
- ``icon`` is a struct; Centreon's ``[]`` for "no icon" is stored as null.
- ``extra`` (module data, ``[]`` when empty) is JSON text, null when empty.
- ``severity.type`` is the string ``"host"`` / ``"service"`` in every dataset:
  the listing's integers (1 host, 0 service) are mapped to it, so the
  ``severity`` struct is the same whichever mode wrote the run.
- ``parent`` of a host detail is always null in 24.x; it has the service
  detail's parent shape so a future value is kept, not lost.
- ``links`` (hypermedia) is kept as a struct of strings.

Every row also carries ``run_id``, ``snapshot_ts`` (the run's start, one value
per run), ``fetched_at`` (when the response arrived) and ``_rescued_data``:
JSON text holding, at its original place in the payload's nesting, every value
the schema does not know or whose value does not fit its type (for example
Centreon's ``false`` for a zero ``duration``). Lists are mirrored as objects
keyed by the item's index. Null when nothing was rescued.

The ``urls`` dataset is the run's plan; it carries ``run_id`` and
``snapshot_ts`` but no ``fetched_at`` or ``_rescued_data`` (we write it).
"""

from __future__ import annotations

from typing import Literal

import pyarrow as pa

__all__ = [
    "CODES",
    "DATASETS",
    "DETAIL_SCHEMAS",
    "HOST_DETAIL_SCHEMA",
    "JSON_TEXT",
    "LISTING_SCHEMAS",
    "RESOURCE_SCHEMA",
    "RUN_FIELDS",
    "SCHEMA_VERSION",
    "SERVICE_DETAIL_SCHEMA",
    "TIMESTAMP",
    "URLS_SCHEMA",
    "Dataset",
    "Mode",
    "record_schema",
]

SCHEMA_VERSION = 1

Dataset = Literal["hosts", "services", "urls"]
Mode = Literal["detail", "listing"]
DATASETS: tuple[Dataset, ...] = ("hosts", "services", "urls")

TIMESTAMP = pa.timestamp("us", tz="UTC")
_VERSION = {b"centreon.schema_version": str(SCHEMA_VERSION).encode()}

JSON_TEXT = {b"centreon.json": b"true"}
"""Field metadata marking a string column that holds JSON text."""

CODES = b"centreon.codes"
"""Field metadata key: JSON map of integer codes to the string stored instead."""

_str = pa.string()
_int = pa.int64()
_float = pa.float64()
_bool = pa.bool_()


def _struct(*fields: tuple[str, pa.DataType]) -> pa.StructType:
    return pa.struct([pa.field(name, kind) for name, kind in fields])


def _json(name: str) -> pa.Field:
    return pa.field(name, _str, metadata=JSON_TEXT)


def _struct_fields(*fields: pa.Field | tuple[str, pa.DataType]) -> pa.StructType:
    return pa.struct([f if isinstance(f, pa.Field) else pa.field(*f) for f in fields])


# Shared parts of the detail endpoints (Monitoring.Detail*).

_DETAIL_STATUS = _struct(
    ("name", _str), ("code", _int), ("severity_code", _int), ("type", _int)
)
_ICON = _struct(("id", _int), ("name", _str), ("url", _str))
_GROUP = _struct(("id", _int), ("name", _str), ("configuration_uri", _str))
_SEVERITY = _struct_fields(
    ("id", _int),
    ("name", _str),
    ("level", _int),
    pa.field("type", _str, metadata={CODES: b'{"0": "service", "1": "host"}'}),
    ("icon", _ICON),
)
_ACKNOWLEDGEMENT = _struct(
    ("id", _int),
    ("poller_id", _int),
    ("host_id", _int),
    ("service_id", _int),
    ("author_id", _int),
    ("author_name", _str),
    ("comment", _str),
    ("deletion_time", TIMESTAMP),
    ("entry_time", TIMESTAMP),
    ("is_notify_contacts", _bool),
    ("is_persistent_comment", _bool),
    ("is_sticky", _bool),
    ("state", _int),
    ("type", _int),
    ("with_services", _bool),
)
_DOWNTIME = _struct(
    ("start_time", TIMESTAMP),
    ("end_time", TIMESTAMP),
    ("actual_start_time", TIMESTAMP),
    ("actual_end_time", TIMESTAMP),
    ("id", _int),
    ("entry_time", TIMESTAMP),
    ("author_id", _int),
    ("author_name", _str),
    ("host_id", _int),
    ("service_id", _int),
    ("is_cancelled", _bool),
    ("comment", _str),
    ("deletion_time", TIMESTAMP),
    ("duration", _int),
    ("internal_id", _int),
    ("is_fixed", _bool),
    ("poller_id", _int),
    ("is_started", _bool),
)
_URIS = _struct(("configuration", _str), ("logs", _str), ("reporting", _str))
_DETAIL_PARENT = _struct(
    ("type", _str),
    ("id", _int),
    ("name", _str),
    ("status", _DETAIL_STATUS),
    ("monitoring_server_name", _str),
)


def _detail_links(*endpoints: str) -> pa.StructType:
    return _struct(
        ("uris", _URIS), ("endpoints", _struct(*((e, _str) for e in endpoints)))
    )


_DETAIL_HEAD: tuple[tuple[str, pa.DataType], ...] = (
    ("status", _DETAIL_STATUS),
    ("in_downtime", _bool),
    ("acknowledged", _bool),
    ("flapping", _bool),
    ("performance_data", _str),
    ("information", _str),
    ("command_line", _str),
    ("notification_number", _int),
    ("latency", _float),
    ("percent_state_change", _float),
    ("passive_checks", _bool),
    ("execution_time", _float),
    ("active_checks", _bool),
)
_DETAIL_TAIL: tuple[tuple[str, pa.DataType], ...] = (
    ("next_check", TIMESTAMP),
    ("last_check", TIMESTAMP),
    ("last_time_with_no_issue", TIMESTAMP),
    ("last_status_change", TIMESTAMP),
    ("last_notification", TIMESTAMP),
    ("tries", _str),
)

RUN_FIELDS: tuple[pa.Field, ...] = (
    pa.field("run_id", _str, nullable=False),
    pa.field("snapshot_ts", TIMESTAMP, nullable=False),
    pa.field("fetched_at", TIMESTAMP, nullable=False),
    _json("_rescued_data"),
)
"""Columns every dataset appends after its own fields."""


def _schema(*fields: pa.Field | tuple[str, pa.DataType]) -> pa.Schema:
    api = [f if isinstance(f, pa.Field) else pa.field(*f) for f in fields]
    return pa.schema([*api, *RUN_FIELDS], metadata=_VERSION)


HOST_DETAIL_SCHEMA = _schema(
    ("uuid", _str),
    ("id", _int),
    ("name", _str),
    ("monitoring_server_name", _str),
    ("type", _str),
    ("short_type", _str),
    ("fqdn", _str),
    ("alias", _str),
    *_DETAIL_HEAD,
    ("parent", _DETAIL_PARENT),
    ("icon", _ICON),
    ("groups", pa.list_(_GROUP)),
    ("categories", pa.list_(_GROUP)),
    ("severity", _SEVERITY),
    ("acknowledgement", _ACKNOWLEDGEMENT),
    ("downtimes", pa.list_(_DOWNTIME)),
    ("timezone", _str),
    ("duration", _str),
    *_DETAIL_TAIL,
    (
        "links",
        _detail_links(
            "notification_policy", "timeline", "timeline_download", "details"
        ),
    ),
)
"""``hosts`` in detail mode: ``GET /monitoring/resources/hosts/{id}``."""

SERVICE_DETAIL_SCHEMA = _schema(
    ("uuid", _str),
    ("id", _int),
    ("name", _str),
    ("type", _str),
    ("short_type", _str),
    *_DETAIL_HEAD,
    ("icon", _ICON),
    ("groups", pa.list_(_GROUP)),
    ("parent", _DETAIL_PARENT),
    ("monitoring_server_name", _str),
    ("categories", pa.list_(_GROUP)),
    ("severity", _SEVERITY),
    ("acknowledgement", _ACKNOWLEDGEMENT),
    ("downtimes", pa.list_(_DOWNTIME)),
    ("duration", _str),
    *_DETAIL_TAIL,
    (
        "links",
        _detail_links(
            "notification_policy",
            "timeline",
            "timeline_download",
            "status_graph",
            "performance_graph",
            "details",
            "metrics",
        ),
    ),
)
"""``services`` in detail mode: ``GET .../hosts/{id}/services/{sid}``."""

# Listing mode (Monitoring.ResourceMain), one schema for hosts and services.

_LISTING_STATUS = _struct(("code", _int), ("name", _str), ("severity_code", _int))
_LISTING_PARENT = _struct_fields(
    ("uuid", _str),
    ("id", _int),
    ("name", _str),
    ("type", _str),
    ("short_type", _str),
    ("status", _LISTING_STATUS),
    ("alias", _str),
    ("fqdn", _str),
    ("monitoring_server_name", _str),
    _json("extra"),
)
_LISTING_LINKS = _struct(
    ("uris", _URIS),
    (
        "endpoints",
        _struct(
            *(
                (name, _str)
                for name in (
                    "details",
                    "timeline",
                    "status_graph",
                    "performance_graph",
                    "acknowledgement",
                    "downtime",
                    "check",
                    "forced_check",
                    "metrics",
                    "notification_policy",
                )
            )
        ),
    ),
    (
        "externals",
        _struct(
            ("action_url", _str), ("notes", _struct(("url", _str), ("label", _str)))
        ),
    ),
)

RESOURCE_SCHEMA = _schema(
    ("uuid", _str),
    ("duration", _str),
    ("last_check", _str),
    ("short_type", _str),
    ("id", _int),
    ("type", _str),
    ("name", _str),
    ("alias", _str),
    ("fqdn", _str),
    ("host_id", _int),
    ("service_id", _int),
    ("icon", _ICON),
    ("monitoring_server_name", _str),
    ("parent", _LISTING_PARENT),
    ("status", _LISTING_STATUS),
    ("is_in_downtime", _bool),
    ("is_acknowledged", _bool),
    ("has_active_checks_enabled", _bool),
    ("has_passive_checks_enabled", _bool),
    ("last_status_change", TIMESTAMP),
    ("tries", _str),
    ("information", _str),
    ("performance_data", _str),
    ("is_notification_enabled", _bool),
    ("severity", _SEVERITY),
    ("links", _LISTING_LINKS),
    _json("extra"),
    ("is_in_flapping", _bool),
    ("percent_state_change", _float),
)
"""``hosts`` and ``services`` in listing mode: items of ``GET /monitoring/resources``.

``is_in_flapping`` and ``percent_state_change`` come from newer (25.x) servers
and are null before.
"""

DETAIL_SCHEMAS: dict[str, pa.Schema] = {
    "hosts": HOST_DETAIL_SCHEMA,
    "services": SERVICE_DETAIL_SCHEMA,
}
LISTING_SCHEMAS: dict[str, pa.Schema] = {
    "hosts": RESOURCE_SCHEMA,
    "services": RESOURCE_SCHEMA,
}

URLS_SCHEMA = pa.schema(
    [
        pa.field("uuid", _str, nullable=False),
        pa.field("type", _str, nullable=False),
        pa.field("host_id", _int, nullable=False),
        pa.field("service_id", _int),
        pa.field("name", _str, nullable=False),
        pa.field("host_name", _str, nullable=False),
        pa.field("path", _str, nullable=False),
        pa.field("shard", _int, nullable=False),
        *RUN_FIELDS,
    ],
    metadata=_VERSION,
)
"""``urls``: the run's plan, one row per detail URL (``path`` from the API base).

``fetched_at`` is when the plan was made; ``_rescued_data`` is always null.
"""


def record_schema(dataset: str, mode: Mode = "detail") -> pa.Schema:
    """The schema of ``hosts`` or ``services`` rows written in ``mode``."""
    schemas = DETAIL_SCHEMAS if mode == "detail" else LISTING_SCHEMAS
    try:
        return schemas[dataset]
    except KeyError:
        raise ValueError(f"no record schema for dataset {dataset!r}") from None
