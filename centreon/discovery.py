"""Discovery: every host and service Centreon monitors, from the resource listing.

``/monitoring/resources`` is paged by offset. Its default order (worst status
first) moves items between pages while statuses change, which duplicates some
resources and skips others; so the crawl asks for a stable order instead:
hosts by ``id``, services by ``parent_id`` then ``id``.

The crawl takes two round trips whatever the size of the fleet. First an empty
page (``limit=0``) of hosts and one of services, side by side, give both
``meta.total`` at the cost of a request without rows. Then every page of both
is fetched at once, within the client's concurrency: a page costs the server
time in proportion to its ``limit``, so the pages are made just large enough
(:func:`discovery_page_size`) that they all fit in one round of the budget,
never larger than ``CENTREON_PAGE_SIZE``. The items are deduplicated by
``uuid``.

The page primitives (:func:`listing_params`, :func:`fetch_listing_page`,
:func:`plan_listing_pages`) do not depend on discovery and serve listing mode
as well.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from centreon.client import CentreonClient
from centreon.errors import MalformedResponseError

__all__ = [
    "RESOURCES_PATH",
    "Inventory",
    "ListingPage",
    "Resource",
    "ResourceType",
    "discover",
    "discovery_page_size",
    "fetch_listing_page",
    "listing_params",
    "plan_listing_pages",
]

logger = logging.getLogger(__name__)

RESOURCES_PATH = "/monitoring/resources"
MIN_DISCOVERY_PAGE_SIZE = 100

T = TypeVar("T")

ResourceType = Literal["host", "service"]

_STABLE_ORDER: dict[ResourceType, tuple[str, str]] = {
    "host": ('["host"]', '{"id":"ASC"}'),
    "service": ('["service"]', '{"parent_id":"ASC","id":"ASC"}'),
}


@dataclass(frozen=True, slots=True)
class ListingPage:
    """One page of ``/monitoring/resources``: its raw items and ``meta``."""

    page: int
    limit: int
    total: int
    items: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Resource:
    """A host or a service as discovery saw it: its identity and names."""

    uuid: str
    type: ResourceType
    host_id: int
    service_id: int | None
    name: str
    host_name: str


@dataclass(frozen=True, slots=True)
class Inventory:
    """What Centreon monitors: hosts, services, and the totals it announced.

    ``host_total`` and ``service_total`` are the ``meta.total`` Centreon
    announced when the crawl began; ``duplicates`` counts items seen on more
    than one page.
    """

    hosts: tuple[Resource, ...]
    services: tuple[Resource, ...]
    host_total: int
    service_total: int
    duplicates: int = 0

    @property
    def size(self) -> int:
        """Hosts plus services."""
        return len(self.hosts) + len(self.services)


def listing_params(kind: ResourceType, page: int, limit: int) -> dict[str, str]:
    """Query parameters for one page of ``kind`` in the stable crawl order."""
    types, sort_by = _STABLE_ORDER[kind]

    return {"types": types, "sort_by": sort_by, "page": str(page), "limit": str(limit)}


def plan_listing_pages(total: int, limit: int) -> range:
    """The page numbers that hold ``total`` items at ``limit`` per page (from 1)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")

    return range(1, max(1, math.ceil(total / limit)) + 1)


async def fetch_listing_page(
    client: CentreonClient, kind: ResourceType, page: int, limit: int
) -> ListingPage:
    """Fetch and check one page of the stable listing of ``kind``.

    Raises :class:`~centreon.errors.MalformedResponseError` when the body is
    not a ``{"result": [...], "meta": {"total": int}}`` envelope.
    """
    params = listing_params(kind, page, limit)
    body = await client.get_json(RESOURCES_PATH, params)
    result = body.get("result") if isinstance(body, dict) else None
    meta = body.get("meta") if isinstance(body, dict) else None
    total = meta.get("total") if isinstance(meta, dict) else None
    if not isinstance(result, list) or not isinstance(total, int) or total < 0:
        raise MalformedResponseError(
            "HTTP 200 listing without result list and meta.total",
            url=client.redact(RESOURCES_PATH, params),
        )

    return ListingPage(page=page, limit=limit, total=total, items=result)


def _resource(kind: ResourceType, item: Mapping[str, Any]) -> Resource | None:
    uuid = item.get("uuid")
    item_id = item.get("id")
    name = item.get("name")
    if (
        not isinstance(uuid, str)
        or not isinstance(item_id, int)
        or not isinstance(name, str)
    ):
        return None
    if kind == "host":
        return Resource(uuid, "host", item_id, None, name, name)
    parent = item.get("parent")
    host_id = parent.get("id") if isinstance(parent, dict) else None
    host_name = parent.get("name") if isinstance(parent, dict) else None
    if not isinstance(host_id, int) or not isinstance(host_name, str):
        return None

    return Resource(uuid, "service", host_id, item_id, name, host_name)


def _resources(
    client: CentreonClient, kind: ResourceType, page: ListingPage
) -> list[Resource]:
    resources = []
    for item in page.items:
        resource = _resource(kind, item) if isinstance(item, dict) else None
        if resource is None:
            raise MalformedResponseError(
                f"listing item without the {kind} identity fields "
                "(uuid, id, name, parent)",
                url=client.redact(
                    RESOURCES_PATH, listing_params(kind, page.page, page.limit)
                ),
            )
        resources.append(resource)

    return resources


async def _all(*coroutines: Coroutine[Any, Any, T]) -> list[T]:
    # Like gather, but a failure cancels the siblings instead of leaving them
    # running against a client that is about to close.
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def discovery_page_size(
    totals: Sequence[int], budget: int, *, maximum: int, minimum: int
) -> int:
    """The smallest page ``limit`` that fetches ``totals`` in ``budget`` pages.

    Each total is paged separately. The limit is kept within ``minimum`` (so
    a small fleet is not cut into tiny pages) and ``maximum`` (the configured
    page size), which may leave more pages than the budget.
    """
    if budget < 1 or maximum < 1:
        raise ValueError("budget and maximum must be at least 1")
    limit = max(1, math.ceil(sum(totals) / budget))
    while limit < maximum and sum(math.ceil(t / limit) for t in totals) > budget:
        limit += 1

    return max(1, min(maximum, max(minimum, limit)))


async def _total(client: CentreonClient, kind: ResourceType) -> int:
    return (await fetch_listing_page(client, kind, 1, 0)).total


async def _crawl(
    client: CentreonClient, kind: ResourceType, total: int, limit: int
) -> tuple[list[Resource], int]:
    # Pages are reduced to their identities as they arrive, so discovery holds
    # the identities and the pages in flight, never every full item at once.
    async def fetch(page: int) -> tuple[int, list[Resource]]:
        listing = await fetch_listing_page(client, kind, page, limit)
        return listing.total, _resources(client, kind, listing)

    planned = plan_listing_pages(total, limit)
    fetched = await _all(*(fetch(page) for page in planned))
    pages = [resources for _, resources in fetched]
    # Every page reports the total as it was when the page was served: a full
    # last page and a total beyond the pages fetched mean resources were added
    # during the crawl, so follow on until a page comes back short.
    total = max(total, *(page_total for page_total, _ in fetched))
    next_page = planned[-1] + 1
    while len(pages[-1]) == limit and total > len(pages) * limit:
        page_total, resources = await fetch(next_page)
        pages.append(resources)
        total = max(total, page_total)
        next_page += 1

    return _deduplicate(pages)


def _deduplicate(pages: Sequence[Sequence[Resource]]) -> tuple[list[Resource], int]:
    seen: dict[str, Resource] = {}
    duplicates = 0
    for resources in pages:
        for resource in resources:
            if resource.uuid in seen:
                duplicates += 1
            else:
                seen[resource.uuid] = resource

    return list(seen.values()), duplicates


async def discover(
    client: CentreonClient, *, min_page_size: int = MIN_DISCOVERY_PAGE_SIZE
) -> Inventory:
    """Crawl every host and service, hosts and services side by side.

    Pages are at most ``settings.page_size`` and at least ``min_page_size``
    items long, sized so that every page fits in one round of the client's
    concurrency (:func:`discovery_page_size`).
    """
    host_total, service_total = await _all(
        _total(client, "host"), _total(client, "service")
    )
    limit = discovery_page_size(
        (host_total, service_total),
        client.concurrency,
        maximum=client.settings.page_size,
        minimum=min_page_size,
    )
    (hosts, host_duplicates), (services, service_duplicates) = await _all(
        _crawl(client, "host", host_total, limit),
        _crawl(client, "service", service_total, limit),
    )
    inventory = Inventory(
        hosts=tuple(hosts),
        services=tuple(services),
        host_total=host_total,
        service_total=service_total,
        duplicates=host_duplicates + service_duplicates,
    )
    logger.info(
        "resources discovered",
        extra={
            "endpoint": RESOURCES_PATH,
            "rows": inventory.size,
            "hosts": len(hosts),
            "services": len(services),
            "duplicates": inventory.duplicates,
            "limit": limit,
        },
    )

    return inventory
