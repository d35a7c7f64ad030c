"""Tests for centreon.schemas: run columns everywhere, detail columns as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from centreon.schemas import (
    DETAIL_SCHEMAS,
    HOST_DETAIL_SCHEMA,
    LISTING_SCHEMAS,
    RUN_FIELDS,
    SERVICE_DETAIL_SCHEMA,
    URLS_SCHEMA,
)

SPEC = Path(__file__).with_name("spec") / "centreon-openapi.yaml"
RUN_COLUMNS = ["run_id", "snapshot_ts", "fetched_at", "_rescued_data"]
SCHEMAS = {
    **{f"{name}-detail": schema for name, schema in DETAIL_SCHEMAS.items()},
    **{f"{name}-listing": schema for name, schema in LISTING_SCHEMAS.items()},
    "urls": URLS_SCHEMA,
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = yaml.safe_load(stream)
    return loaded


def response_properties(spec: dict[str, Any], path: str) -> set[str]:
    """Top-level property names of the 200 answer to ``GET path``."""
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]
    ref = content["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return set(schema["properties"])


@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
def test_schema_ends_with_the_run_columns(schema: pa.Schema) -> None:
    """Every dataset's rows carry run_id, snapshot_ts, fetched_at, _rescued_data."""
    assert schema.names[-len(RUN_COLUMNS) :] == RUN_COLUMNS
    assert list(schema)[-len(RUN_FIELDS) :] == list(RUN_FIELDS)


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        pytest.param(
            HOST_DETAIL_SCHEMA, "/monitoring/resources/hosts/{host_id}", id="host"
        ),
        pytest.param(
            SERVICE_DETAIL_SCHEMA,
            "/monitoring/resources/hosts/{host_id}/services/{service_id}",
            id="service",
        ),
    ],
)
def test_detail_schema_has_a_column_per_field_of_the_api_answer(
    schema: pa.Schema, path: str, spec: dict[str, Any]
) -> None:
    """The detail schemas' API columns are the documented answer's fields, no more."""
    api_columns = set(schema.names[: -len(RUN_COLUMNS)])

    assert api_columns == response_properties(spec, path)
