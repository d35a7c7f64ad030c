"""Listing mode: page planning, shard payloads, and fetching pages."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from centreon.listing import ListingPlan, ListingShard, PageRange, split_pages

totals = st.fixed_dictionaries(
    {"host": st.integers(0, 50_000), "service": st.integers(0, 250_000)}
)
page_sizes = st.integers(50, 5000)
budgets = st.integers(1, 64)
shard_limits = st.integers(1, 64)


def _pages(shards: tuple[ListingShard, ...]) -> list[tuple[str, int]]:
    return [(r.kind, n) for s in shards for r in s.ranges for n in r.pages()]


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_covers_every_page_once(
    total: dict[str, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Every page of both kinds is in exactly one shard, in crawl order."""
    shards = split_pages(
        total, page_size=page_size, max_concurrency=budget, max_shards=max_shards
    )

    expected = [
        (kind, n)
        for kind in ("host", "service")
        for n in range(1, max(1, math.ceil(total[kind] / page_size)) + 1)
    ]
    assert _pages(shards) == expected


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_keeps_shares_within_budget(
    total: dict[str, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Shares are at least one each and add up to at most the budget."""
    shards = split_pages(
        total, page_size=page_size, max_concurrency=budget, max_shards=max_shards
    )

    assert len(shards) <= max_shards
    assert all(s.concurrency >= 1 for s in shards)
    assert sum(s.concurrency for s in shards) <= budget


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_plans_every_announced_item(
    total: dict[str, int], page_size: int, budget: int, max_shards: int
) -> None:
    """The planned item counts add up to the announced totals."""
    shards = split_pages(
        total, page_size=page_size, max_concurrency=budget, max_shards=max_shards
    )

    assert sum(s.planned for s in shards) == total["host"] + total["service"]


@given(totals, page_sizes, budgets, shard_limits)
def test_split_pages_balances_pages(
    total: dict[str, int], page_size: int, budget: int, max_shards: int
) -> None:
    """Shards differ by at most one page."""
    shards = split_pages(
        total, page_size=page_size, max_concurrency=budget, max_shards=max_shards
    )

    counts = [s.page_count for s in shards]
    assert max(counts) - min(counts) <= 1


def test_split_pages_marks_the_last_page_of_each_kind_as_tail() -> None:
    """Only the ranges ending a kind's listing follow a grown total."""
    shards = split_pages(
        {"host": 2500, "service": 9000},
        page_size=1000,
        max_concurrency=8,
        max_shards=4,
    )

    tails = [(r.kind, r.last) for s in shards for r in s.ranges if r.tail]
    assert tails == [("host", 3), ("service", 9)]


def test_listing_plan_round_trips_through_its_dict() -> None:
    """A plan rebuilt from its JSON-safe form equals the original."""
    shards = split_pages(
        {"host": 1200, "service": 10_800},
        page_size=500,
        max_concurrency=12,
        max_shards=5,
    )
    plan = ListingPlan(1200, 10_800, 500, shards)

    assert ListingPlan.from_dict(plan.to_dict()) == plan


def test_page_range_lists_its_pages_inclusively() -> None:
    """A range from 3 to 5 holds pages 3, 4 and 5."""
    assert list(PageRange("service", 3, 5).pages()) == [3, 4, 5]
