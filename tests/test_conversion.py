"""Tests for centreon.conversion: payloads to Arrow without losing anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centreon.conversion import Converter
from centreon.schemas import (
    HOST_DETAIL_SCHEMA,
    RESOURCE_SCHEMA,
    RUN_FIELDS,
    SERVICE_DETAIL_SCHEMA,
)
from tests import lake_samples as samples

SNAPSHOT = datetime(2024, 11, 5, 9, 15, tzinfo=UTC)


def convert(schema: pa.Schema, *payloads: Any) -> list[dict[str, Any]]:
    batch = Converter(schema).convert(
        list(payloads),
        [samples.FETCHED_AT] * len(payloads),
        run_id="r1",
        snapshot_ts=SNAPSHOT,
    )
    assert batch.schema == schema
    return batch.to_pylist()


def rescued(row: dict[str, Any]) -> Any:
    text = row["_rescued_data"]
    return None if text is None else json.loads(text)


@pytest.mark.parametrize(
    ("schema", "payload"),
    [
        pytest.param(HOST_DETAIL_SCHEMA, samples.HOST_DETAIL, id="host-detail"),
        pytest.param(
            SERVICE_DETAIL_SCHEMA, samples.SERVICE_DETAIL, id="service-detail"
        ),
        pytest.param(RESOURCE_SCHEMA, samples.LISTING_HOST, id="listing-host"),
        pytest.param(RESOURCE_SCHEMA, samples.LISTING_SERVICE, id="listing-service"),
    ],
)
def test_converter_keeps_every_documented_field_when_payload_matches_the_spec(
    schema: pa.Schema, payload: dict[str, Any]
) -> None:
    """The API examples convert with nothing rescued and every key kept as a column."""
    (row,) = convert(schema, payload)

    assert row["_rescued_data"] is None
    assert set(payload) <= set(row)
    assert row["uuid"] == payload["uuid"]
    assert row["status"]["code"] == payload["status"]["code"]


def test_converter_parses_iso_dates_with_their_offset_into_utc() -> None:
    """``10:17:10+01:00`` becomes the instant 09:17:10 UTC, nested dates too."""
    (row,) = convert(HOST_DETAIL_SCHEMA, samples.HOST_DETAIL)

    assert row["last_check"] == datetime(2024, 11, 5, 9, 17, 10, tzinfo=UTC)
    assert row["downtimes"][0]["start_time"] == datetime(2024, 11, 5, 9, 0, tzinfo=UTC)
    assert row["downtimes"][0]["actual_end_time"] is None


def test_converter_stores_empty_icon_array_as_null() -> None:
    """PHP's ``[]`` for "no icon" is a null struct, not rescued data."""
    (row,) = convert(HOST_DETAIL_SCHEMA, samples.host(1, icon=[]))

    assert row["icon"] is None
    assert row["_rescued_data"] is None


def test_converter_rescues_false_duration_and_keeps_the_rest_of_the_row() -> None:
    """Centreon's ``"duration": false`` lands in _rescued_data; other fields survive."""
    good, odd = convert(
        HOST_DETAIL_SCHEMA, samples.host(1), samples.host(2, duration=False)
    )

    assert good["duration"] == "2h 3m"
    assert good["_rescued_data"] is None
    assert odd["duration"] is None
    assert rescued(odd) == {"duration": False}
    assert odd["name"] == "host-2"
    assert odd["downtimes"][0]["id"] == 329


@pytest.mark.parametrize("value", [1.5, True, 2.0])
def test_converter_rescues_numbers_that_arrow_would_turn_into_integers(
    value: float | bool,
) -> None:
    """A fraction or a boolean in an integer field is rescued, never truncated.

    Arrow builds an int64 from ``1.5`` or ``True`` as ``1``; the converter must
    not let it, at the top level, in a struct or in a list of structs.
    """
    payload = samples.host(4, notification_number=value)
    payload["status"]["code"] = value
    payload["downtimes"][0]["id"] = value

    clean, odd = convert(HOST_DETAIL_SCHEMA, samples.host(5), payload)

    assert clean["_rescued_data"] is None
    assert (odd["notification_number"], odd["status"]["code"]) == (None, None)
    assert odd["downtimes"][0]["id"] is None
    assert rescued(odd) == {
        "notification_number": value,
        "status": {"code": value},
        "downtimes": {"0": {"id": value}},
    }
    assert odd["status"]["name"] == "UP"


FLOATS_SCHEMA = pa.schema(
    [
        ("latency", pa.float64()),
        ("check", pa.struct([("latency", pa.float64())])),
        ("checks", pa.list_(pa.struct([("latency", pa.float64())]))),
        *RUN_FIELDS,
    ]
)


@pytest.mark.parametrize("value", [True, False])
def test_converter_rescues_booleans_that_arrow_would_turn_into_floats(
    value: bool,
) -> None:
    """A boolean in a float field is rescued, never stored as 1.0 or 0.0.

    Arrow builds a float64 from ``True`` as ``1.0``; the converter must not let
    it, at the top level, in a struct or in a list of structs.
    """
    clean = {"latency": 2, "check": {"latency": 0.5}, "checks": [{"latency": 1.5}]}
    odd = {
        "latency": value,
        "check": {"latency": value},
        "checks": [{"latency": value}],
    }

    kept, rescue = convert(FLOATS_SCHEMA, clean, odd)

    assert (kept["latency"], kept["_rescued_data"]) == (2.0, None)
    assert rescue["latency"] is None
    assert rescue["check"]["latency"] is None
    assert rescue["checks"][0]["latency"] is None
    assert rescued(rescue) == {
        "latency": value,
        "check": {"latency": value},
        "checks": {"0": {"latency": value}},
    }


def test_converter_rescues_unknown_fields_at_their_place_in_the_nesting() -> None:
    """A renamed top-level field and a new nested one are both kept as JSON."""
    payload = samples.host(3, is_in_flapping=True)
    payload["status"]["hard"] = True
    payload["downtimes"][0]["origin"] = "api"

    (row,) = convert(HOST_DETAIL_SCHEMA, payload)

    assert rescued(row) == {
        "is_in_flapping": True,
        "status": {"hard": True},
        "downtimes": {"0": {"origin": "api"}},
    }
    assert row["status"]["name"] == "UP"
    assert row["downtimes"][0]["id"] == 329


def test_converter_rescues_a_date_without_offset() -> None:
    """A date Arrow cannot place in time is rescued instead of guessed."""
    (row,) = convert(
        HOST_DETAIL_SCHEMA, samples.host(4, last_check="2024-11-05T10:17:10")
    )

    assert row["last_check"] is None
    assert rescued(row) == {"last_check": "2024-11-05T10:17:10"}


def test_converter_maps_listing_severity_type_to_the_detail_string() -> None:
    """The listing's integer severity type reads as ``"service"``, like the detail."""
    (row,) = convert(RESOURCE_SCHEMA, samples.LISTING_SERVICE)

    assert samples.LISTING_SERVICE["severity"]["type"] == 0
    assert row["severity"]["type"] == "service"


def test_converter_stores_extra_module_data_as_json_text() -> None:
    """``extra`` is null when empty and JSON text when a module filled it."""
    filled = dict(samples.LISTING_HOST, extra={"open_tickets": {"id": 7}})

    empty_row, filled_row = convert(RESOURCE_SCHEMA, samples.LISTING_HOST, filled)

    assert empty_row["extra"] is None
    assert json.loads(filled_row["extra"]) == {"open_tickets": {"id": 7}}


def test_converter_rescues_a_payload_that_is_not_an_object() -> None:
    """A body that is not a JSON object becomes one row holding it as rescued data."""
    (row,) = convert(HOST_DETAIL_SCHEMA, ["not", "an", "object"])

    assert row["uuid"] is None
    assert rescued(row) == ["not", "an", "object"]
    assert row["run_id"] == "r1"


def test_converter_stamps_run_columns_on_every_row() -> None:
    """run_id, snapshot_ts and fetched_at are filled for every row."""
    rows = convert(SERVICE_DETAIL_SCHEMA, samples.service(1, 2), samples.service(1, 3))

    assert {r["run_id"] for r in rows} == {"r1"}
    assert {r["snapshot_ts"] for r in rows} == {SNAPSHOT}
    assert {r["fetched_at"] for r in rows} == {samples.FETCHED_AT}


def test_converter_round_trips_non_ascii_text() -> None:
    """Accents, CJK and emoji in names and outputs come back unchanged."""
    text = "Serveur d'état — 東京 🚦"
    (row,) = convert(HOST_DETAIL_SCHEMA, samples.host(5, name=text, information=text))

    assert row["name"] == text
    assert row["information"] == text


def test_converter_leaves_the_payload_untouched() -> None:
    """Normalising icon and severity works on copies, not on the caller's dicts."""
    payload = samples.host(6, icon=[])
    before = json.dumps(payload, sort_keys=True)

    convert(HOST_DETAIL_SCHEMA, payload)

    assert json.dumps(payload, sort_keys=True) == before


def test_converter_maps_integer_codes_only_where_the_schema_declares_them() -> None:
    """An integer resource ``type`` is rescued, not taken for a severity code."""
    (row,) = convert(HOST_DETAIL_SCHEMA, samples.host(7, type=1))

    assert row["type"] is None
    assert rescued(row) == {"type": 1}


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(
    changes=st.dictionaries(
        st.sampled_from(
            [
                *HOST_DETAIL_SCHEMA.names[:8],
                "status",
                "icon",
                "downtimes",
                "links",
                "new_field",
                "last_check",
            ]
        ),
        JSON_VALUES,
        max_size=4,
    )
)
def test_converter_never_fails_and_never_loses_a_value(changes: dict[str, Any]) -> None:
    """Whatever values arrive, each non-null one is kept in its column or rescued."""
    payload = samples.host(1, **changes)

    (row,) = convert(HOST_DETAIL_SCHEMA, payload)

    lost = rescued(row) or {}
    for key, value in payload.items():
        if value is None or value == [] or value == {}:
            continue
        assert row.get(key) is not None or key in lost, key


def test_converter_stores_absent_fields_as_null_and_keeps_the_rest() -> None:
    """A payload without some documented keys has nulls there and nothing rescued."""
    payload = samples.host(8)
    for key in ("fqdn", "latency", "status", "last_check"):
        del payload[key]

    full, partial = convert(HOST_DETAIL_SCHEMA, samples.host(8), payload)

    assert [partial[k] for k in ("fqdn", "latency", "status", "last_check")] == [
        None
    ] * 4
    assert partial["_rescued_data"] is None
    assert {k: v for k, v in partial.items() if k in payload} == {
        k: v for k, v in full.items() if k in payload
    }


def test_converter_builds_the_same_columns_when_rows_take_the_slow_path() -> None:
    """Rows walked one by one (unknown key) get the columns the batch path gives."""
    clean = [samples.host(1), samples.host(2, icon=[]), samples.host(3, duration="1m")]
    drifted = [dict(p, x_drift={"since": "25.10"}) for p in clean]

    fast = Converter(HOST_DETAIL_SCHEMA).convert(
        clean, [samples.FETCHED_AT] * 3, run_id="r1", snapshot_ts=SNAPSHOT
    )
    slow = Converter(HOST_DETAIL_SCHEMA).convert(
        drifted, [samples.FETCHED_AT] * 3, run_id="r1", snapshot_ts=SNAPSHOT
    )

    assert slow.drop_columns(["_rescued_data"]).equals(
        fast.drop_columns(["_rescued_data"])
    )
    assert (
        slow.column("_rescued_data").to_pylist()
        == ['{"x_drift":{"since":"25.10"}}'] * 3
    )


DRIFTED_HOSTS = st.lists(
    st.tuples(
        st.dictionaries(
            st.sampled_from(
                ["name", "latency", "duration", "icon", "status", "last_check", "x_new"]
            ),
            JSON_VALUES,
            max_size=2,
        ),
        st.sets(st.sampled_from(["fqdn", "tries", "groups", "links", "id"])),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=100, deadline=None)
@given(drifts=DRIFTED_HOSTS)
def test_converter_gives_a_row_the_same_columns_alone_or_in_any_batch(
    drifts: list[tuple[dict[str, Any], set[str]]],
) -> None:
    """Mixed clean, drifted, mistyped and incomplete rows convert as they do alone."""
    payloads = []
    for index, (changes, absent) in enumerate(drifts):
        payload = samples.host(index, **changes)
        for key in absent:
            payload.pop(key, None)
        payloads.append(payload)

    batch = convert(HOST_DETAIL_SCHEMA, *payloads)

    assert batch == [convert(HOST_DETAIL_SCHEMA, p)[0] for p in payloads]


def test_converter_gives_the_same_rows_whichever_decoder_made_the_payload() -> None:
    """Payloads decoded by orjson (as fetched) and by json convert alike."""
    text = json.dumps(
        [samples.host(9, status={"name": "UP", "x": 1}), samples.host(10)]
    )

    assert convert(HOST_DETAIL_SCHEMA, *orjson.loads(text)) == convert(
        HOST_DETAIL_SCHEMA, *json.loads(text)
    )
