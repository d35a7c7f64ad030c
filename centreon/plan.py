"""The URL plan: one detail URL per resource, split into shards.

A run fetches ``/monitoring/resources/hosts/{id}`` for each host and
``/monitoring/resources/hosts/{id}/services/{sid}`` for each service. The
plan orders these by host id, then type (the host first), then service id,
and cuts them into contiguous shards. The same inventory, in any order, always
gives the same plan.

Each shard carries its share of ``CENTREON_MAX_CONCURRENCY``. The shares add
up to the whole budget (to the number of URLs when there are fewer), so the
shards, running side by side, use every request slot the budget allows and
never more; shares differ by one at most, the larger ones first. Each shard
gets URLs in proportion to its share, so every request slot has the same
number of URLs to fetch, give or take one, and the shards finish together. A
run has few shards: at most ``max_shards``, never more than the budget (each
share is at least 1), and none smaller than ``min_shard_urls`` unless the
whole run is.

A plan is data: :meth:`Plan.to_dict` and :meth:`Plan.from_dict` carry it
through JSON, and its URLs are the lake's ``urls`` dataset.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from centreon.discovery import Inventory, Resource

__all__ = [
    "MIN_SHARD_URLS",
    "Plan",
    "PlannedUrl",
    "Shard",
    "detail_path",
    "plan_shards",
    "shard_layout",
]

MIN_SHARD_URLS = 500


def detail_path(host_id: int, service_id: int | None = None) -> str:
    """The detail endpoint of a host, or of one of its services."""
    if service_id is None:
        return f"/monitoring/resources/hosts/{host_id}"

    return f"/monitoring/resources/hosts/{host_id}/services/{service_id}"


@dataclass(frozen=True, slots=True)
class PlannedUrl:
    """One detail request of the plan (one row of the ``urls`` dataset)."""

    uuid: str
    type: Literal["host", "service"]
    host_id: int
    service_id: int | None
    name: str
    host_name: str
    path: str
    shard: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every field."""
        return {
            "uuid": self.uuid,
            "type": self.type,
            "host_id": self.host_id,
            "service_id": self.service_id,
            "name": self.name,
            "host_name": self.host_name,
            "path": self.path,
            "shard": self.shard,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedUrl:
        """The inverse of :meth:`to_dict`."""
        kind = data["type"]
        if kind not in ("host", "service"):
            raise ValueError(f"unknown resource type {kind!r}")
        service_id = data["service_id"]

        return cls(
            uuid=str(data["uuid"]),
            type="host" if kind == "host" else "service",
            host_id=int(data["host_id"]),
            service_id=None if service_id is None else int(service_id),
            name=str(data["name"]),
            host_name=str(data["host_name"]),
            path=str(data["path"]),
            shard=int(data["shard"]),
        )


@dataclass(frozen=True, slots=True)
class Shard:
    """A slice of the plan fetched by one worker with its share of the budget."""

    index: int
    concurrency: int
    urls: tuple[PlannedUrl, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; the URLs as dicts."""
        return {
            "index": self.index,
            "concurrency": self.concurrency,
            "urls": [url.to_dict() for url in self.urls],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Shard:
        """The inverse of :meth:`to_dict`."""
        return cls(
            index=int(data["index"]),
            concurrency=int(data["concurrency"]),
            urls=tuple(PlannedUrl.from_dict(url) for url in data["urls"]),
        )


@dataclass(frozen=True, slots=True)
class Plan:
    """Every detail URL of a run, split into shards."""

    shards: tuple[Shard, ...]

    @property
    def urls(self) -> tuple[PlannedUrl, ...]:
        """All planned URLs, shard after shard."""
        return tuple(url for shard in self.shards for url in shard.urls)

    @property
    def size(self) -> int:
        """The number of planned URLs."""
        return sum(len(shard.urls) for shard in self.shards)

    @property
    def concurrency(self) -> int:
        """Requests in flight when every shard runs at its share."""
        return sum(shard.concurrency for shard in self.shards)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of the shards and their URLs."""
        return {"shards": [shard.to_dict() for shard in self.shards]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        """The inverse of :meth:`to_dict`."""
        return cls(shards=tuple(Shard.from_dict(shard) for shard in data["shards"]))


def _order(resource: Resource) -> tuple[int, int, int, str]:
    if resource.type == "host":
        return (resource.host_id, 0, 0, resource.uuid)

    return (resource.host_id, 1, resource.service_id or 0, resource.uuid)


def _unique_sorted(resources: Iterable[Resource]) -> list[Resource]:
    unique = {resource.uuid: resource for resource in resources}

    return sorted(unique.values(), key=_order)


def shard_layout(
    url_count: int, *, max_concurrency: int, max_shards: int, min_shard_urls: int
) -> tuple[tuple[int, int], ...]:
    """The ``(urls, share)`` of each shard, for ``url_count`` URLs.

    The shares add up to ``min(max_concurrency, url_count)`` and differ by one
    at most, the larger first. The URLs are dealt out per request slot, the
    first ``url_count % slots`` slots taking one more, and a shard takes the
    URLs of its slots; so no shard is empty. No URLs, no shards.
    """
    if max_concurrency < 1 or max_shards < 1 or min_shard_urls < 1:
        raise ValueError("max_concurrency, max_shards and min_shard_urls must be >= 1")
    if url_count == 0:
        return ()
    slots = min(max_concurrency, url_count)
    count = min(max_shards, slots, math.ceil(url_count / min_shard_urls))
    per_slot, extra = divmod(url_count, slots)
    layout = []
    first_slot = 0
    for index in range(count):
        share = slots // count + (1 if index < slots % count else 0)
        bonus = max(0, min(extra, first_slot + share) - first_slot)
        layout.append((share * per_slot + bonus, share))
        first_slot += share

    return tuple(layout)


def plan_shards(
    inventory: Inventory,
    *,
    max_concurrency: int,
    max_shards: int,
    min_shard_urls: int = MIN_SHARD_URLS,
) -> Plan:
    """Split the inventory's detail URLs into deterministic shards by share."""
    resources = _unique_sorted((*inventory.hosts, *inventory.services))
    layout = shard_layout(
        len(resources),
        max_concurrency=max_concurrency,
        max_shards=max_shards,
        min_shard_urls=min_shard_urls,
    )
    shards = []
    start = 0
    for index, (size, share) in enumerate(layout):
        urls = tuple(
            PlannedUrl(
                uuid=resource.uuid,
                type=resource.type,
                host_id=resource.host_id,
                service_id=resource.service_id,
                name=resource.name,
                host_name=resource.host_name,
                path=detail_path(resource.host_id, resource.service_id),
                shard=index,
            )
            for resource in resources[start : start + size]
        )
        shards.append(Shard(index=index, concurrency=share, urls=urls))
        start += size

    return Plan(shards=tuple(shards))
