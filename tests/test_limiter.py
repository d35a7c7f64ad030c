"""The AIMD limit on requests in flight."""

from __future__ import annotations

import asyncio

import pytest

from centreon.limiter import AIMDLimiter


async def test_limiter_never_admits_more_than_the_ceiling() -> None:
    """Holders beyond the ceiling wait until a slot is released."""
    limiter = AIMDLimiter(3)
    tickets = [await limiter.acquire() for _ in range(3)]
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)

    assert not waiter.done()
    limiter.release(tickets[0], latency_s=0.1)
    await waiter
    assert (limiter.in_flight, limiter.max_in_flight) == (3, 3)


async def test_limiter_halves_once_for_a_burst_of_refusals() -> None:
    """Refusals of requests sent at the same limit halve it only once."""
    limiter = AIMDLimiter(8)
    tickets = [await limiter.acquire() for _ in range(8)]

    for ticket in tickets:
        limiter.release(ticket, overloaded=True)

    assert (limiter.limit, limiter.decreases) == (4.0, 1)


async def test_limiter_recovers_additively_up_to_the_ceiling() -> None:
    """Healthy answers raise the limit by about one per limit answers, never past it."""
    limiter = AIMDLimiter(4, warmup=1000, hold_rounds=2)
    limiter.release(await limiter.acquire(), overloaded=True)
    limiter.release(await limiter.acquire(), overloaded=True)
    assert limiter.limit == 1.0

    for _ in range(100):
        limiter.release(await limiter.acquire(), latency_s=0.1)

    assert limiter.limit == 4.0


async def test_limiter_lowers_on_clear_latency_inflation() -> None:
    """An average latency above twice the baseline lowers the limit."""
    limiter = AIMDLimiter(16, warmup=5)
    for _ in range(20):
        limiter.release(await limiter.acquire(), latency_s=0.1)
    assert limiter.decreases == 0

    for _ in range(20):
        limiter.release(await limiter.acquire(), latency_s=0.5)

    assert limiter.decreases >= 1
    assert limiter.limit < 16


async def test_limiter_keeps_its_limit_under_ordinary_jitter() -> None:
    """Latencies varying within +-30 % never lower the limit."""
    limiter = AIMDLimiter(16, warmup=5)

    for index in range(500):
        latency = 0.15 * (0.7 + 0.6 * ((index * 7919) % 100) / 100)
        limiter.release(await limiter.acquire(), latency_s=latency)

    assert (limiter.decreases, limiter.limit) == (0, 16.0)


async def test_limiter_returns_the_slot_of_a_cancelled_waiter() -> None:
    """A waiter cancelled while queued leaves no slot taken."""
    limiter = AIMDLimiter(1)
    ticket = await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter

    limiter.release(ticket, latency_s=0.1)

    assert limiter.in_flight == 0


def test_limiter_rejects_a_ceiling_below_one() -> None:
    """A ceiling of zero requests is a programming error."""
    with pytest.raises(ValueError, match="ceiling"):
        AIMDLimiter(0)


async def test_limiter_holds_after_a_decrease_before_probing_again() -> None:
    """After halving, the limit stays put for hold_rounds round trips."""
    limiter = AIMDLimiter(8, warmup=1000, hold_rounds=3)
    limiter.release(await limiter.acquire(), overloaded=True)

    for _ in range(12):
        limiter.release(await limiter.acquire(), latency_s=0.1)
    held = limiter.limit
    limiter.release(await limiter.acquire(), latency_s=0.1)

    assert (held, limiter.limit) == (4.0, 4.25)


async def test_limiter_ignores_a_single_very_slow_answer() -> None:
    """One answer thirty times slower than usual does not lower the limit."""
    limiter = AIMDLimiter(16, warmup=5)
    for _ in range(30):
        limiter.release(await limiter.acquire(), latency_s=0.1)

    limiter.release(await limiter.acquire(), latency_s=3.0)

    assert (limiter.decreases, limiter.limit) == (0, 16.0)
