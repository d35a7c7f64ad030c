"""Centreon payloads for the lake's tests, built from the openapi.yaml examples."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).with_name("samples")
FETCHED_AT = datetime(2024, 11, 5, 9, 20, 0, tzinfo=UTC)


def _load(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


HOST_DETAIL: dict[str, Any] = _load("host_detail.json")
SERVICE_DETAIL: dict[str, Any] = _load("service_detail.json")
LISTING_HOST, LISTING_SERVICE = _load("resource_listing.json")


@dataclass(frozen=True, slots=True)
class Record:
    """Shaped like centreon.fetch.FetchedRecord."""

    dataset: str
    payload: dict[str, Any]
    fetched_at: datetime = FETCHED_AT


def host(host_id: int, **changes: Any) -> dict[str, Any]:
    """A host detail payload for ``host_id`` with ``changes`` applied."""
    payload = copy.deepcopy(HOST_DETAIL)
    payload.update(uuid=f"h{host_id}", id=host_id, name=f"host-{host_id}")
    payload.update(changes)
    return payload


def service(host_id: int, service_id: int, **changes: Any) -> dict[str, Any]:
    """A service detail payload of ``host_id`` with ``changes`` applied."""
    payload = copy.deepcopy(SERVICE_DETAIL)
    payload.update(uuid=f"h{host_id}-s{service_id}", id=service_id)
    payload["parent"]["id"] = host_id
    payload.update(changes)
    return payload


def fleet(hosts: int, services_per_host: int) -> list[Record]:
    """Records of a small fleet: each host, then its services."""
    records = []
    for h in range(1, hosts + 1):
        records.append(Record("hosts", host(h)))
        for s in range(1, services_per_host + 1):
            records.append(Record("services", service(h, h * 100 + s)))
    return records
