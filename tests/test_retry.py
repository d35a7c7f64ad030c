"""Retry policy, budget and the retry loop, with recorded sleeps."""

from __future__ import annotations

import pytest

from centreon.errors import (
    HTTPStatusError,
    MalformedResponseError,
    RetryBudgetExhaustedError,
    TransportError,
)
from centreon.retry import RetryBudget, RetryPolicy, call_with_retries
from tests.doubles import Recorder

URL = "http://centreon.test/centreon/api/latest/monitoring/resources/hosts/1"


class Script:
    """An attempt that raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_policy_delay_is_full_jitter_of_the_exponential_ceiling() -> None:
    """Without Retry-After the wait is random() times base * 2**(retry-1)."""
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=100.0)

    delays = [policy.delay(retry, random=lambda: 0.5) for retry in (1, 2, 3, 4)]

    assert delays == [0.25, 0.5, 1.0, 2.0]


def test_policy_delay_is_capped_at_max_delay() -> None:
    """The exponential ceiling never passes max_delay_s."""
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=3.0)

    assert policy.delay(10, random=lambda: 1.0) == 3.0


def test_policy_delay_honours_retry_after_up_to_the_cap() -> None:
    """Retry-After replaces the jittered wait but is capped."""
    policy = RetryPolicy(retry_after_cap_s=10.0)

    assert policy.delay(1, 4.0, random=lambda: 0.0) == 4.0
    assert policy.delay(1, 3600.0, random=lambda: 0.0) == 10.0


def test_budget_allows_the_floor_then_the_ratio_of_requests() -> None:
    """A budget allows max(floor, ratio * requests) retries."""
    budget = RetryBudget(ratio=0.1, floor=2)
    for _ in range(30):
        budget.record_request()

    spent = [budget.spend() for _ in range(4)]

    assert spent == [True, True, True, False]


async def test_call_with_retries_retries_transient_errors_with_recorded_sleeps() -> (
    None
):
    """Transient errors are retried, waiting what the policy says, until success."""
    sleep = Recorder()
    attempt = Script(TransportError("reset"), HTTPStatusError(503, retry_after_s=2.0))

    result = await call_with_retries(
        attempt,
        url=URL,
        policy=RetryPolicy(base_delay_s=1.0),
        budget=RetryBudget(),
        sleep=sleep,
        random=lambda: 0.5,
    )

    assert (result, attempt.calls, sleep.sleeps) == ("done", 3, [0.5, 2.0])


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(HTTPStatusError(400), id="400"),
        pytest.param(HTTPStatusError(404), id="404"),
        pytest.param(MalformedResponseError("not JSON"), id="malformed"),
    ],
)
async def test_call_with_retries_raises_terminal_errors_at_once(
    error: Exception,
) -> None:
    """A terminal error propagates on the first attempt without a wait."""
    sleep = Recorder()
    attempt = Script(error)

    with pytest.raises(type(error)):
        await call_with_retries(
            attempt, url=URL, policy=RetryPolicy(), budget=RetryBudget(), sleep=sleep
        )

    assert (attempt.calls, sleep.sleeps) == (1, [])


async def test_call_with_retries_gives_up_after_max_attempts() -> None:
    """The last transient error propagates once max_attempts are used."""
    attempt = Script(*(HTTPStatusError(502) for _ in range(10)))

    with pytest.raises(HTTPStatusError) as caught:
        await call_with_retries(
            attempt,
            url=URL,
            policy=RetryPolicy(max_attempts=3),
            budget=RetryBudget(),
            sleep=Recorder(),
        )

    assert (caught.value.status, attempt.calls) == (502, 3)


async def test_call_with_retries_fails_when_the_budget_is_exhausted() -> None:
    """An empty budget turns the next transient error into RetryBudgetExhaustedError."""
    budget = RetryBudget(ratio=0.0, floor=1)
    sleep = Recorder()

    with pytest.raises(RetryBudgetExhaustedError) as caught:
        await call_with_retries(
            Script(HTTPStatusError(500), HTTPStatusError(500)),
            url=URL,
            policy=RetryPolicy(),
            budget=budget,
            sleep=sleep,
        )

    assert len(sleep.sleeps) == 1
    assert "retry budget exhausted" in str(caught.value)
    assert caught.value.url == URL
