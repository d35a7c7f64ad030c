"""``GET /monitoring/resources``: items, pagination, filters, search and sort."""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest

from centreon.simulator import Simulator
from tests.simulator_fixtures import SimulatorFactory, exchange, token_for

ITEM_KEYS = [
    "uuid", "duration", "last_check", "short_type", "id", "type", "name", "alias",
    "fqdn", "host_id", "service_id", "icon", "monitoring_server_name", "parent",
    "status", "is_in_downtime", "is_acknowledged", "has_active_checks_enabled",
    "has_passive_checks_enabled", "last_status_change", "tries", "information",
    "performance_data", "is_notification_enabled", "severity", "links", "extra",
]  # fmt: skip
PARENT_KEYS = [
    "uuid", "id", "name", "type", "short_type", "status", "alias", "fqdn",
    "monitoring_server_name", "extra",
]  # fmt: skip
ENDPOINT_KEYS = [
    "details", "timeline", "status_graph", "performance_graph", "acknowledgement",
    "downtime", "check", "forced_check", "metrics",
]  # fmt: skip
HUMAN_AGE = re.compile(r"^\d+[yMwdhms]( \d+[yMwdhms])?$")


async def _list(
    session: aiohttp.ClientSession, sim: Simulator, token: str, **params: str
) -> tuple[int, Any]:
    answer = await exchange(
        session,
        "GET",
        f"{sim.api_url}/monitoring/resources",
        token=token,
        params=params,
    )
    return answer.status, answer.json()


async def test_listing_items_have_27_keys_in_presenter_order(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Every item, host or service, has the 27 keys in FindResourcesPresenter order."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        status, body = await _list(simulator_http, sim, token, limit="1000")

    assert status == 200
    assert len(body["result"]) == len(sim.fleet.resources)
    assert all(list(item) == ITEM_KEYS for item in body["result"])


async def test_listing_items_follow_listing_conventions(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Ages are humanised; perfdata null, notifications off, extra [], tries spaced."""
    async with simulator(hosts=30) as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, limit="1000")

    items = body["result"]
    assert all(i["duration"] is None or HUMAN_AGE.match(i["duration"]) for i in items)
    assert all(
        i["last_check"] is None or HUMAN_AGE.match(i["last_check"]) for i in items
    )
    assert any(i["last_check"] is None for i in items)
    assert all(i["performance_data"] is None for i in items)
    assert all(i["is_notification_enabled"] is False for i in items)
    assert all(i["extra"] == [] for i in items)
    assert all(re.fullmatch(r"\d+/\d+ \((H|S)\)", i["tries"]) for i in items)
    assert all(list(i["links"]["endpoints"]) == ENDPOINT_KEYS for i in items)
    severities = [i["severity"] for i in items if i["severity"]]
    assert severities
    assert all(isinstance(s["type"], int) for s in severities)


async def test_listing_service_items_carry_parent_host(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Services name their host in ``parent``; hosts have ``parent: null``."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, limit="1000")

    for item in body["result"]:
        if item["type"] == "host":
            assert item["parent"] is None
            assert item["service_id"] is None
        else:
            assert list(item["parent"]) == PARENT_KEYS
            assert item["parent"]["id"] == item["host_id"]
            assert item["uuid"] == f"h{item['host_id']}-s{item['service_id']}"


async def test_listing_default_order_is_worst_status_then_name(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Without sort_by, items come worst status first, then by name."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, limit="1000")

    keys = [
        (-(5 - i["status"]["severity_code"]), i["name"].casefold())
        for i in body["result"]
    ]
    assert keys == sorted(keys)
    assert body["meta"]["sort_by"] == {}


@pytest.mark.parametrize("limit", [1, 7, 10, 33])
async def test_listing_pages_with_stable_sort_cover_every_resource_once(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession, limit: int
) -> None:
    """Paging hosts by id and services by parent_id,id visits every uuid once."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        seen: list[str] = []
        for types, sort in (
            ('["host"]', {"id": "ASC"}),
            ('["service"]', {"parent_id": "ASC", "id": "ASC"}),
        ):
            page = 1
            while True:
                _, body = await _list(
                    simulator_http,
                    sim,
                    token,
                    types=types,
                    sort_by=json.dumps(sort),
                    limit=str(limit),
                    page=str(page),
                )
                seen.extend(i["uuid"] for i in body["result"])
                if page * limit >= body["meta"]["total"]:
                    break
                page += 1

    assert sorted(seen) == sorted(r.uuid for r in sim.fleet.resources)
    assert len(seen) == len(set(seen))


async def test_listing_limit_zero_returns_empty_result_with_total(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``limit=0`` answers no items and the full total."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        status, body = await _list(simulator_http, sim, token, limit="0")

    assert status == 200
    assert body["result"] == []
    assert body["meta"]["total"] == len(sim.fleet.resources)


async def test_listing_meta_echoes_normalised_search_and_sort(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A plain search object is echoed wrapped in $and; directions are upper-cased."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(
            simulator_http,
            sim,
            token,
            search='{"h.name":{"$lk":"srv%"}}',
            sort_by='{"name":"desc","id":"asc"}',
            page="2",
            limit="3",
        )

    assert body["meta"] == {
        "page": 2,
        "limit": 3,
        "search": {"$and": {"h.name": {"$lk": "srv%"}}},
        "sort_by": {"name": "DESC", "id": "ASC"},
        "total": body["meta"]["total"],
    }
    assert list(body["meta"]) == ["page", "limit", "search", "sort_by", "total"]


async def test_listing_search_like_filters_by_host_name(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``$lk`` with a % wildcard keeps only matching host names."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(
            simulator_http,
            sim,
            token,
            search='{"h.name":{"$lk":"srv-%"}}',
            limit="1000",
        )

    expected = {r.uuid for r in sim.fleet.resources if r.host.name.startswith("srv-")}
    assert {i["uuid"] for i in body["result"]} == expected
    assert body["meta"]["total"] == len(expected)


async def test_listing_search_or_in_and_comparison(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """$or of $in and $lt combine as SQL would."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        hosts = sim.fleet.hosts
        search = {
            "$or": [
                {"id": {"$in": [hosts[0].id, hosts[1].id]}, "type": "host"},
                {"$and": [{"type": {"$eq": "host"}}, {"id": {"$lt": hosts[0].id + 1}}]},
            ]
        }
        _, body = await _list(
            simulator_http, sim, token, search=json.dumps(search), limit="1000"
        )

    assert {i["uuid"] for i in body["result"]} == {hosts[0].uuid, hosts[1].uuid}


async def test_listing_search_unknown_key_is_ignored(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A search on a key Centreon does not map returns unfiltered data."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(
            simulator_http, sim, token, search='{"nmae":"nothing"}', limit="0"
        )

    assert body["meta"]["total"] == len(sim.fleet.resources)


async def test_listing_search_invalid_json_means_no_filter(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """Unparsable search text is treated as no search at all."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        status, body = await _list(
            simulator_http, sim, token, search="{oops", limit="0"
        )

    assert status == 200
    assert body["meta"]["total"] == len(sim.fleet.resources)
    assert body["meta"]["search"] == {}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"types": '["host"]'}, lambda r: r.kind == "host", id="types"),
        pytest.param(
            {"statuses": '["CRITICAL","DOWN"]'},
            lambda r: r.status.name in ("CRITICAL", "DOWN"),
            id="statuses",
        ),
        pytest.param(
            {"states": '["acknowledged"]'}, lambda r: r.acknowledged, id="states"
        ),
        pytest.param(
            {"status_types": '["soft"]'}, lambda r: r.state_type == 0, id="status-types"
        ),
        pytest.param(
            {"hostgroup_names": '["Linux-Servers"]'},
            lambda r: "Linux-Servers" in {g.name for g in r.host.groups},
            id="hostgroups",
        ),
        pytest.param(
            {"monitoring_server_names": '["Central"]'},
            lambda r: r.poller.name == "Central",
            id="pollers",
        ),
    ],
)
async def test_listing_filter_keeps_matching_resources(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    params: dict[str, str],
    expected: Any,
) -> None:
    """Each documented filter keeps exactly the resources that match it."""
    async with simulator(hosts=40) as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, limit="10000", **params)

    wanted = {r.uuid for r in sim.fleet.resources if expected(r)}
    assert wanted
    assert {i["uuid"] for i in body["result"]} == wanted


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({"cache": "1"}, 500, 1, id="unknown-parameter"),
        pytest.param({"types": '["foo"]'}, 500, 2, id="bad-type"),
        pytest.param({"statuses": '["BAD"]'}, 500, 3, id="bad-status"),
        pytest.param({"states": '["all"]'}, 500, 4, id="bad-state"),
        pytest.param({"status_types": '["medium"]'}, 500, 5, id="bad-status-type"),
        pytest.param({"types": "host"}, 500, 6, id="not-an-array"),
        pytest.param({"hostgroup_names": "[1]"}, 500, 7, id="not-strings"),
        pytest.param({"host_severity_levels": '["x"]'}, 500, 8, id="not-ints"),
        pytest.param({"only_with_performance_data": "maybe"}, 500, 9, id="not-bool"),
        pytest.param({"limit": "ten"}, 500, 0, id="limit-not-int"),
        pytest.param({"page": "1.5"}, 500, 0, id="page-not-int"),
        pytest.param({"page": "0"}, 500, 500, id="page-zero"),
        pytest.param({"limit": "-1"}, 500, 500, id="negative-limit"),
        pytest.param({"sort_by": "{name"}, 400, 400, id="malformed-sort"),
        pytest.param({"search": '{"id":{"$zz":1}}'}, 500, 500, id="bad-operator"),
    ],
)
async def test_listing_rejects_bad_parameters_as_centreon_does(
    simulator: SimulatorFactory,
    simulator_http: aiohttp.ClientSession,
    params: dict[str, str],
    status: int,
    code: int,
) -> None:
    """Bad parameters get Centreon's status and envelope code."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        got_status, body = await _list(simulator_http, sim, token, **params)

    assert got_status == status
    assert body["code"] == code
    assert isinstance(body["message"], str)


async def test_listing_limit_message_names_parameter(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """A non-integer limit is reported with Centreon's exact message."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, limit="ten")

    assert body == {"code": 0, "message": 'The parameter "limit" must be an integer'}


async def test_listing_bare_sort_field_sorts_ascending(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """``sort_by=name`` (not JSON) sorts by name ascending."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(simulator_http, sim, token, sort_by="name", limit="1000")

    names = [i["name"].casefold() for i in body["result"]]
    assert names == sorted(names)
    assert body["meta"]["sort_by"] == {"name": "ASC"}


async def test_listing_only_with_performance_data_overwrites_total(
    simulator: SimulatorFactory, simulator_http: aiohttp.ClientSession
) -> None:
    """The perfdata filter applies after paging and makes total the page size."""
    async with simulator() as sim:
        token = await token_for(simulator_http, sim)
        _, body = await _list(
            simulator_http, sim, token, only_with_performance_data="true", limit="10"
        )

    assert body["meta"]["total"] == len(body["result"])
    assert body["meta"]["total"] <= 10
