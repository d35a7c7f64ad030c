"""``GET /monitoring/resources``: parameter validation, filters and ordering.

Validation mirrors ``FindResourcesRequestValidator``: a parameter outside the
allow-list is a 500 with code 1, a bad filter value a 500 with code 2-11
(validation errors surface as 500 in Centreon, not 400). Without ``sort_by``
the order is worst status first, then name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from centreon.simulator.fleet import Host, Service
from centreon.simulator.query import (
    Field,
    Page,
    Predicate,
    Rejection,
    compile_search,
    normalise_search,
    parse_page,
    parse_sort,
    sort_rows,
)

__all__ = ["FIELDS", "ResourceQuery", "parse_resource_query", "select"]

Resource = Host | Service

_STRING_LISTS = (
    "hostgroup_names",
    "servicegroup_names",
    "host_category_names",
    "service_category_names",
    "host_severity_names",
    "service_severity_names",
    "monitoring_server_names",
)
_INT_LISTS = ("host_severity_levels", "service_severity_levels")
_ALLOWED = frozenset(
    {
        "page",
        "limit",
        "search",
        "sort_by",
        "types",
        "statuses",
        "states",
        "status_types",
        "only_with_performance_data",
        *_STRING_LISTS,
        *_INT_LISTS,
    }
)
_ENUMS = {
    "types": (2, frozenset({"host", "service", "metaservice"})),
    "statuses": (
        3,
        frozenset(
            {
                "OK",
                "WARNING",
                "CRITICAL",
                "UNKNOWN",
                "UP",
                "DOWN",
                "UNREACHABLE",
                "PENDING",
            }
        ),
    ),
    "states": (
        4,
        frozenset(
            {
                "unhandled_problems",
                "resources_problems",
                "in_downtime",
                "acknowledged",
                "in_flapping",
            }
        ),
    ),
    "status_types": (5, frozenset({"hard", "soft"})),
}


def _parent(resource: Resource) -> Host | None:
    return resource.host if isinstance(resource, Service) else None


FIELDS: dict[str, Field] = {
    "id": lambda r: r.id,
    "name": lambda r: r.name,
    "alias": lambda r: None if isinstance(r, Service) else r.alias,
    "fqdn": lambda r: None if isinstance(r, Service) else r.address,
    "type": lambda r: r.kind,
    "h.name": lambda r: r.host.name,
    "h.alias": lambda r: r.host.alias,
    "h.address": lambda r: r.host.address,
    "s.description": lambda r: r.name if isinstance(r, Service) else None,
    "status_code": lambda r: r.status.code,
    "status_severity_code": lambda r: r.status.severity_code,
    "action_url": lambda r: r.action_url,
    "parent_id": lambda r: r.host.id if isinstance(r, Service) else None,
    "parent_name": lambda r: r.host.name if isinstance(r, Service) else None,
    "parent_alias": lambda r: r.host.alias if isinstance(r, Service) else None,
    "parent_status": lambda r: r.host.status.code if isinstance(r, Service) else None,
    "severity_level": lambda r: r.severity.level if r.severity else None,
    "in_downtime": lambda r: int(r.in_downtime),
    "acknowledged": lambda r: int(r.acknowledged),
    "last_status_change": lambda r: (
        None if r.last_status_change is None else int(r.last_status_change)
    ),
    "tries": lambda r: r.attempt,
    "last_check": lambda r: None if r.last_check is None else int(r.last_check),
    "monitoring_server_name": lambda r: r.poller.name,
    "information": lambda r: r.output,
}


@dataclass(frozen=True, slots=True)
class ResourceQuery:
    """A validated listing request."""

    page: Page
    search: dict[str, Any]
    sort: dict[str, str]
    filters: tuple[tuple[str, tuple[Any, ...]], ...]
    only_with_performance_data: bool

    @property
    def selection_key(self) -> bytes:
        """Identifies the filtered, ordered rows (pagination excluded)."""
        return orjson.dumps(
            [self.search, list(self.sort.items()), self.filters],
            option=orjson.OPT_SORT_KEYS,
        )


def _array(name: str, raw: str) -> list[Any] | Rejection:
    try:
        values = orjson.loads(raw)
    except orjson.JSONDecodeError:
        values = None
    if not isinstance(values, list):
        return Rejection(
            500, 6, f"Value provided for {name} parameter is not an array (was: {raw})"
        )
    return values


def _strings(name: str, raw: str) -> tuple[str, ...] | Rejection:
    values = _array(name, raw)
    if isinstance(values, Rejection):
        return values
    if not all(isinstance(v, str) for v in values):
        return Rejection(
            500, 7, f"Value provided for {name} parameter is not an array of strings"
        )
    return tuple(values)


def _ints(name: str, raw: str) -> tuple[int, ...] | Rejection:
    values = _array(name, raw)
    if isinstance(values, Rejection):
        return values
    parsed: list[int] = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            parsed.append(value)
        elif isinstance(value, str) and value.isascii() and value.isdigit():
            parsed.append(int(value))
        else:
            return Rejection(
                500,
                8,
                f"Value provided for {name} parameter is not an array of integers",
            )
    return tuple(parsed)


def _boolean(name: str, raw: str) -> bool | Rejection:
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0", ""):
        return False
    return Rejection(500, 9, f"Value provided for {name} parameter is not a boolean")


def _enum(name: str, raw: str, code: int, allowed: frozenset[str]) -> Any:
    values = _strings(name, raw)
    if isinstance(values, Rejection):
        return values
    for value in values:
        if value not in allowed:
            message = (
                f"Value provided for {name} parameter is not supported (was: {value})"
            )
            return Rejection(500, code, message)
    return values


def _filters(
    query: Mapping[str, str],
) -> tuple[tuple[str, tuple[Any, ...]], ...] | Rejection:
    filters: list[tuple[str, tuple[Any, ...]]] = []
    for name, raw in query.items():
        if name in _ENUMS:
            code, allowed = _ENUMS[name]
            values = _enum(name, raw, code, allowed)
        elif name in _STRING_LISTS:
            values = _strings(name, raw)
        elif name in _INT_LISTS:
            values = _ints(name, raw)
        else:
            continue
        if isinstance(values, Rejection):
            return values
        filters.append((name, values))
    return tuple(filters)


def parse_resource_query(query: Mapping[str, str]) -> ResourceQuery | Rejection:
    """The validated listing parameters, or Centreon's refusal."""
    if any(name not in _ALLOWED for name in query):
        return Rejection(500, 1, "Request parameter provided not handled")
    filters = _filters(query)
    if isinstance(filters, Rejection):
        return filters
    raw_perf = query.get("only_with_performance_data")
    only_perf = (
        False if raw_perf is None else _boolean("only_with_performance_data", raw_perf)
    )
    if isinstance(only_perf, Rejection):
        return only_perf
    page = parse_page(query)
    if isinstance(page, Rejection):
        return page
    sort = parse_sort(query.get("sort_by"))
    if isinstance(sort, Rejection):
        return sort

    return ResourceQuery(
        page=page,
        search=normalise_search(query.get("search")),
        sort=sort,
        filters=filters,
        only_with_performance_data=only_perf,
    )


def _state_matches(resource: Resource, state: str) -> bool:
    if state == "in_downtime":
        return resource.in_downtime
    if state == "acknowledged":
        return resource.acknowledged
    if state == "in_flapping":
        return resource.flapping
    if state == "resources_problems":
        return resource.status.is_problem
    return (
        resource.status.is_problem
        and not resource.acknowledged
        and not resource.in_downtime
    )


def _names(groups: tuple[Any, ...]) -> set[str]:
    return {g.name for g in groups}


def _filter(name: str, values: tuple[Any, ...]) -> Predicate:
    wanted = set(values)
    if name == "types":
        return lambda r: r.kind in wanted
    if name == "statuses":
        return lambda r: r.status.name in wanted
    if name == "states":
        return lambda r: any(_state_matches(r, s) for s in values)
    if name == "status_types":
        return lambda r: ("hard" if r.state_type == 1 else "soft") in wanted
    if name == "hostgroup_names":
        return lambda r: bool(_names(r.host.groups) & wanted)
    if name == "host_category_names":
        return lambda r: bool(_names(r.host.categories) & wanted)
    if name == "servicegroup_names":
        return lambda r: isinstance(r, Service) and bool(_names(r.groups) & wanted)
    if name == "service_category_names":
        return lambda r: isinstance(r, Service) and bool(_names(r.categories) & wanted)
    if name == "host_severity_names":
        return lambda r: r.host.severity is not None and r.host.severity.name in wanted
    if name == "host_severity_levels":
        return lambda r: r.host.severity is not None and r.host.severity.level in wanted
    if name == "service_severity_names":
        return lambda r: (
            isinstance(r, Service)
            and r.severity is not None
            and r.severity.name in wanted
        )
    if name == "service_severity_levels":
        return lambda r: (
            isinstance(r, Service)
            and r.severity is not None
            and r.severity.level in wanted
        )
    return lambda r: r.poller.name in wanted


def _default_order(resource: Resource) -> tuple[int, str]:
    return (-resource.status.ordered, resource.name.casefold())


def select(
    resources: list[Resource], query: ResourceQuery
) -> list[Resource] | Rejection:
    """The rows matching every filter and the search, in the requested order.

    A search that Centreon could not turn into SQL is a :class:`Rejection`.
    """
    search = compile_search(query.search, FIELDS)
    if isinstance(search, Rejection):
        return search
    predicates = [search]
    predicates.extend(_filter(name, values) for name, values in query.filters)
    rows = [r for r in resources if all(p(r) for p in predicates)]
    if not query.sort:
        return sorted(rows, key=_default_order)
    return sort_rows(rows, query.sort, FIELDS)
