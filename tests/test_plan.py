"""The URL plan: deterministic, complete, balanced shards within the budget."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from centreon.discovery import Inventory, Resource
from centreon.plan import Plan, detail_path, plan_shards, shard_layout


def host(host_id: int) -> Resource:
    return Resource(
        f"h{host_id}", "host", host_id, None, f"host-{host_id}", f"host-{host_id}"
    )


def service(host_id: int, service_id: int) -> Resource:
    return Resource(
        f"h{host_id}-s{service_id}",
        "service",
        host_id,
        service_id,
        f"svc-{service_id}",
        f"host-{host_id}",
    )


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    host_ids = draw(st.lists(st.integers(1, 5000), unique=True, max_size=60))
    services = [
        service(host_id, service_id)
        for host_id in host_ids
        for service_id in draw(st.lists(st.integers(1, 900), unique=True, max_size=12))
    ]
    hosts = [host(host_id) for host_id in host_ids]

    return Inventory(tuple(hosts), tuple(services), len(hosts), len(services))


budgets = st.integers(1, 64)
shard_caps = st.integers(1, 64)
min_sizes = st.integers(1, 200)


@given(inventories(), budgets, shard_caps, min_sizes, st.randoms())
@settings(max_examples=150, deadline=None)
def test_plan_shards_is_the_same_for_the_same_inventory_in_any_order(
    inventory: Inventory, budget: int, cap: int, min_size: int, rng: random.Random
) -> None:
    """Shuffling the discovered resources never changes the plan."""
    hosts, services = list(inventory.hosts), list(inventory.services)
    rng.shuffle(hosts)
    rng.shuffle(services)
    shuffled = Inventory(tuple(hosts), tuple(services), len(hosts), len(services))
    options = {"max_concurrency": budget, "max_shards": cap, "min_shard_urls": min_size}

    assert plan_shards(shuffled, **options) == plan_shards(inventory, **options)


@given(inventories(), budgets, shard_caps, min_sizes)
@settings(max_examples=150, deadline=None)
def test_plan_shards_covers_every_resource_exactly_once(
    inventory: Inventory, budget: int, cap: int, min_size: int
) -> None:
    """Each resource has exactly one planned URL, in the shard it names."""
    plan = plan_shards(
        inventory, max_concurrency=budget, max_shards=cap, min_shard_urls=min_size
    )

    uuids = [url.uuid for url in plan.urls]
    assert sorted(uuids) == sorted(
        r.uuid for r in (*inventory.hosts, *inventory.services)
    )
    assert all(url.shard == shard.index for shard in plan.shards for url in shard.urls)
    assert [shard.index for shard in plan.shards] == list(range(len(plan.shards)))


@given(inventories(), budgets, shard_caps, min_sizes)
@settings(max_examples=150, deadline=None)
def test_plan_shards_sizes_shards_in_proportion_to_their_share(
    inventory: Inventory, budget: int, cap: int, min_size: int
) -> None:
    """URLs per request slot differ by one at most across shards, none empty."""
    plan = plan_shards(
        inventory, max_concurrency=budget, max_shards=cap, min_shard_urls=min_size
    )

    sizes = [len(shard.urls) for shard in plan.shards]
    shares = [shard.concurrency for shard in plan.shards]
    if sizes:
        slots = plan.concurrency
        per_slot = plan.size // slots
        assert all(
            per_slot * s <= n <= (per_slot + 1) * s
            for n, s in zip(sizes, shares, strict=True)
        )
        assert min(sizes) >= 1


@given(inventories(), budgets, shard_caps, min_sizes)
@settings(max_examples=150, deadline=None)
def test_plan_shards_keeps_concurrency_shares_within_the_budget(
    inventory: Inventory, budget: int, cap: int, min_size: int
) -> None:
    """Every share is at least 1, shares differ by one at most, and the shard
    count respects max_shards."""
    plan = plan_shards(
        inventory, max_concurrency=budget, max_shards=cap, min_shard_urls=min_size
    )

    shares = [shard.concurrency for shard in plan.shards]
    assert all(share >= 1 for share in shares)
    assert not shares or max(shares) - min(shares) <= 1
    assert plan.concurrency <= budget
    assert len(plan.shards) <= cap


@given(inventories(), budgets, shard_caps, min_sizes)
@settings(max_examples=150, deadline=None)
def test_plan_shards_gives_the_whole_budget_to_the_shards(
    inventory: Inventory, budget: int, cap: int, min_size: int
) -> None:
    """The shares add up to the budget, or to the URL count when it is smaller."""
    plan = plan_shards(
        inventory, max_concurrency=budget, max_shards=cap, min_shard_urls=min_size
    )

    assert plan.concurrency == min(budget, plan.size)


@given(st.integers(1, 300_000), budgets, shard_caps)
def test_shard_layout_covers_every_url_with_the_whole_budget(
    urls: int, budget: int, cap: int
) -> None:
    """The layout's sizes add up to the URLs and its shares to the budget."""
    layout = shard_layout(
        urls, max_concurrency=budget, max_shards=cap, min_shard_urls=500
    )

    assert sum(size for size, _ in layout) == urls
    assert sum(share for _, share in layout) == min(budget, urls)
    assert len(layout) <= min(cap, budget, -(-urls // 500))


def test_shard_layout_uses_every_slot_at_two_thousand_urls() -> None:
    """2,000 URLs with a budget of 30 make four shards of 8, 8, 7 and 7 slots."""
    layout = shard_layout(2000, max_concurrency=30, max_shards=16, min_shard_urls=500)

    assert layout == ((536, 8), (536, 8), (466, 7), (462, 7))


def test_plan_shards_keeps_few_shards_at_two_hundred_thousand_urls() -> None:
    """200k URLs with a budget of 48 make max_shards shards of 3 slots each."""
    layout = shard_layout(
        200_000, max_concurrency=48, max_shards=16, min_shard_urls=500
    )

    assert [share for _, share in layout] == [3] * 16


def test_plan_shards_gives_no_shard_for_an_empty_inventory() -> None:
    """Nothing discovered, nothing to fetch."""
    plan = plan_shards(Inventory((), (), 0, 0), max_concurrency=12, max_shards=16)

    assert (plan.shards, plan.size) == ((), 0)


def test_plan_shards_builds_detail_paths_and_names() -> None:
    """Hosts and services get their detail endpoint, ids and names."""
    inventory = Inventory((host(14),), (service(14, 26),), 1, 1)

    urls = plan_shards(inventory, max_concurrency=4, max_shards=4).urls

    assert [(u.uuid, u.path, u.name, u.host_name) for u in urls] == [
        ("h14", "/monitoring/resources/hosts/14", "host-14", "host-14"),
        ("h14-s26", "/monitoring/resources/hosts/14/services/26", "svc-26", "host-14"),
    ]
    assert detail_path(14, 26) == urls[1].path


def test_plan_round_trips_through_json() -> None:
    """A plan written as JSON reads back equal."""
    inventory = Inventory(
        tuple(host(i) for i in range(1, 40)),
        tuple(service(i, j) for i in range(1, 40) for j in (3, 5)),
        39,
        78,
    )
    plan = plan_shards(inventory, max_concurrency=6, max_shards=3, min_shard_urls=10)

    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan
