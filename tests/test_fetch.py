"""Fetching a shard over real sockets against the simulator, faults included."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import pytest

from centreon.fetch import FetchedRecord, ShardOutcome, fetch_shard, worker_count
from centreon.plan import PlannedUrl, Shard
from centreon.settings import CentreonSettings
from centreon.simulator import FaultConfig, Host, Simulator
from tests.doubles import Gate, Recorder
from tests.simulator_fixtures import ManualClock, SimulatorFactory

PASSWORD = "centreon"
DETAIL_ROUTES = ("host_detail", "service_detail")


class ListSink:
    """A RecordSink keeping the batches; ``on_write`` runs after each one."""

    def __init__(self, on_write: Callable[[], Awaitable[None]] | None = None) -> None:
        self.batches: list[list[FetchedRecord]] = []
        self.on_write = on_write

    async def write(self, records: Sequence[FetchedRecord]) -> None:
        self.batches.append(list(records))
        if self.on_write is not None:
            await self.on_write()

    @property
    def uuids(self) -> list[str]:
        return [record.payload["uuid"] for batch in self.batches for record in batch]


SMALL: dict[str, Any] = {"hosts": 20, "services_per_host": 4, "latency_ms": 2.0}
"""20 hosts with 4 services each: 100 detail URLs, answered in about 2 ms."""


def settings_for(sim: Simulator, **overrides: Any) -> CentreonSettings:
    options: dict[str, Any] = {
        "username": "admin",
        "password": PASSWORD,
        "timeout_s": 10.0,
    } | overrides
    return CentreonSettings(url=sim.api_url, **options)


def whole_fleet(sim: Simulator, concurrency: int) -> Shard:
    """One shard with every resource of the simulated fleet."""
    urls = tuple(
        PlannedUrl(
            uuid=resource.uuid,
            type="host" if isinstance(resource, Host) else "service",
            host_id=resource.host.id,
            service_id=None if isinstance(resource, Host) else resource.id,
            name=resource.name,
            host_name=resource.host.name,
            path=resource.detail_path,
            shard=0,
        )
        for resource in sim.fleet.resources
    )
    return Shard(index=0, concurrency=concurrency, urls=urls)


def detail_status(sim: Simulator, status: int | str) -> int:
    return sum(sim.counters.status_count(route, status) for route in DETAIL_ROUTES)


async def admin_restart(sim: Simulator) -> None:
    """Restart the simulated Centreon through its admin endpoint."""
    root = sim.api_url.split("/centreon/api/")[0]
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{root}/_simulator/restart") as response,
    ):
        response.raise_for_status()


async def test_fetch_shard_fetches_every_url_once(simulator: SimulatorFactory) -> None:
    """Every planned resource lands in the sink once; nothing is fetched twice."""
    async with simulator(**SMALL) as sim:
        shard = whole_fleet(sim, 6)
        sink = ListSink()

        outcome = await fetch_shard(settings_for(sim), shard, sink, batch_size=40)

        assert outcome.status == "succeeded"
        assert sorted(sink.uuids) == sorted(url.uuid for url in shard.urls)
        assert (outcome.ok, outcome.planned, outcome.logins) == (100, 100, 1)
        assert sim.counters.repeated_detail_fetches == 0
        assert sim.counters.logouts == 1


async def test_fetch_shard_streams_batches_no_larger_than_batch_size(
    simulator: SimulatorFactory,
) -> None:
    """The sink gets full batches of batch_size and one remainder."""
    async with simulator(**SMALL) as sim:
        sink = ListSink()

        await fetch_shard(settings_for(sim), whole_fleet(sim, 4), sink, batch_size=30)

        assert [len(batch) for batch in sink.batches] == [30, 30, 30, 10]


async def test_fetch_shard_stops_fetching_while_the_sink_is_busy(
    simulator: SimulatorFactory,
) -> None:
    """While a write is under way, workers fill one more batch and wait.

    The server answers one request at a time while the others are held, so
    workers that fetch on always have requests in it: once the next batch's
    details are served, it empties during the first write only when they stop.
    """
    gate = Gate()
    async with simulator(sleep=gate, **(SMALL | {"hosts": 40})) as sim:
        served_during_write: list[int] = []

        async def answer_one_at_a_time() -> None:
            while True:
                await gate.wait_held(1)
                answered = sim.counters.total_requests
                gate.release_one()
                await sim.counters.wait_until(
                    lambda c, answered=answered: c.total_requests > answered
                )

        async def slow_first_write() -> None:
            if not served_during_write:
                await sim.counters.wait_until(
                    lambda c: c.detail_ok >= 20 and c.in_building == 0
                )
                served_during_write.append(sim.counters.detail_ok - 10)

        server = asyncio.create_task(answer_one_at_a_time())
        try:
            outcome = await fetch_shard(
                settings_for(sim),
                whole_fleet(sim, 4),
                ListSink(slow_first_write),
                batch_size=10,
            )
        finally:
            server.cancel()

        assert outcome.ok == 200
        assert served_during_write[0] <= 10 + worker_count(4, 200)


async def test_fetch_shard_stamps_records_with_their_dataset(
    simulator: SimulatorFactory,
) -> None:
    """Host details go to hosts, service details to services, stamped in UTC."""
    async with simulator(**SMALL) as sim:
        sink = ListSink()

        await fetch_shard(settings_for(sim), whole_fleet(sim, 4), sink)

        records = [record for batch in sink.batches for record in batch]
        datasets = {r.payload["uuid"]: r.dataset for r in records}
        assert datasets == {
            r.uuid: "hosts" if isinstance(r, Host) else "services"
            for r in sim.fleet.resources
        }
        assert all(r.fetched_at.utcoffset() is not None for r in records)


async def test_fetch_shard_logs_in_once_per_token_expiry(
    simulator: SimulatorFactory, sim_clock: ManualClock
) -> None:
    """Each expiry of the token mid-shard causes exactly one new login."""
    async with simulator(clock=sim_clock, max_token_age_s=100.0, **SMALL) as sim:

        async def expire_token() -> None:
            sim_clock.advance(101.0)

        outcome = await fetch_shard(
            settings_for(sim),
            whole_fleet(sim, 4),
            ListSink(expire_token),
            batch_size=30,
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert (outcome.logins, sim.counters.logins_ok) == (4, 4)
        assert detail_status(sim, 401) >= 3
        assert sim.counters.repeated_detail_fetches == 0


async def test_fetch_shard_logs_in_once_after_each_server_restart(
    simulator: SimulatorFactory,
) -> None:
    """A restart drops the session; the shard logs in once and carries on."""
    async with simulator(**SMALL) as sim:

        async def restart() -> None:
            await admin_restart(sim)

        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 4), ListSink(restart), batch_size=30
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert (outcome.logins, sim.counters.logins_ok, sim.counters.restarts) == (
            4,
            4,
            4,
        )
        assert sim.counters.repeated_detail_fetches == 0


async def test_fetch_shard_honours_retry_after_on_429(
    simulator: SimulatorFactory,
) -> None:
    """429 answers are retried after the server's Retry-After."""
    faults = FaultConfig(rate_limit_rate=0.1, retry_after_s=3)
    async with simulator(**SMALL, faults=faults) as sim:
        sleep = Recorder()

        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 4), ListSink(), sleep=sleep
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert sim.counters.rate_limited > 0
        assert outcome.refused == sim.counters.rate_limited
        assert sleep.sleeps == [3.0] * sim.counters.rate_limited


async def test_fetch_shard_backs_off_when_the_server_refuses_with_503(
    simulator: SimulatorFactory,
) -> None:
    """A saturated server's 503s are retried after Retry-After and all URLs land."""
    busy = {"workers": 4, "backlog": 0, "refuse_retry_after_s": 2, "latency_ms": 20.0}
    async with simulator(**(SMALL | busy)) as sim:
        sleep = Recorder()

        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 8), ListSink(), sleep=sleep
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert sim.counters.refused > 0
        assert outcome.refused == sim.counters.refused
        assert outcome.limit_decreases >= 1
        assert sleep.sleeps == [2.0] * sim.counters.refused


async def test_fetch_shard_retries_html_502_pages(simulator: SimulatorFactory) -> None:
    """A proxy's HTML 502 pages are retried; every resource still arrives once."""
    async with simulator(**SMALL, faults=FaultConfig(html_502_rate=0.08)) as sim:
        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 4), ListSink(), sleep=Recorder()
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert detail_status(sim, 502) > 0
        assert outcome.retries == detail_status(sim, 502)
        assert sim.counters.repeated_detail_fetches == 0


async def test_fetch_shard_retries_connection_resets(
    simulator: SimulatorFactory,
) -> None:
    """Connections closed without an answer are retried until every URL lands.

    aiohttp sends an idempotent request again, once, when its connection is
    closed without an answer (RFC 9112), so each reset is either that silent
    resend (a request the server saw and the client did not count) or reaches
    the client, which retries it. One request at a time keeps the seeded
    faults in one order, so the shard meets both kinds.
    """
    async with simulator(**SMALL, faults=FaultConfig(reset_rate=0.15)) as sim:
        shard = whole_fleet(sim, 1)
        sink = ListSink()

        outcome = await fetch_shard(settings_for(sim), shard, sink, sleep=Recorder())

        silent_resends = sim.counters.total_requests - outcome.requests
        assert outcome.status == "succeeded"
        assert sorted(sink.uuids) == sorted(url.uuid for url in shard.urls)
        assert silent_resends > 0
        assert outcome.retries > 0
        assert outcome.retries == sim.counters.resets - silent_resends
        assert sim.counters.repeated_detail_fetches == 0


async def test_fetch_shard_retries_responses_slower_than_the_timeout(
    simulator: SimulatorFactory,
) -> None:
    """A response slower than CENTREON_TIMEOUT_S is a timeout, then a retry."""
    faults = FaultConfig(slow_rate=0.05, slow_ms=1500.0)
    async with simulator(**SMALL, faults=faults) as sim:
        outcome = await fetch_shard(
            settings_for(sim, timeout_s=0.3),
            whole_fleet(sim, 8),
            ListSink(),
            sleep=Recorder(),
        )

        assert outcome.status == "succeeded"
        assert outcome.ok == 100
        assert outcome.timeouts > 0
        assert outcome.retries == outcome.timeouts


async def test_fetch_shard_fails_fast_with_one_login_on_a_wrong_password(
    simulator: SimulatorFactory,
) -> None:
    """A refused login fails the shard at once, after exactly one attempt."""
    async with simulator(**SMALL) as sim:
        outcome = await fetch_shard(
            settings_for(sim, password="wrong"), whole_fleet(sim, 4), ListSink()
        )

        assert outcome.status == "failed"
        assert outcome.error is not None
        assert outcome.error.startswith("LoginError")
        assert (sim.counters.logins_failed, sim.counters.total_requests) == (1, 1)
        assert (outcome.ok, outcome.skipped) == (0, 100)


async def test_fetch_shard_fails_without_login_when_the_api_token_dies(
    simulator: SimulatorFactory, sim_clock: ManualClock
) -> None:
    """A refused API token is final: the shard fails and never calls /login."""
    async with simulator(
        clock=sim_clock,
        api_token="manual-api-token",
        api_token_expires_after_s=100.0,
        **SMALL,
    ) as sim:

        async def expire() -> None:
            sim_clock.advance(101.0)

        settings = CentreonSettings(url=sim.api_url, api_token="manual-api-token")
        outcome = await fetch_shard(
            settings, whole_fleet(sim, 4), ListSink(expire), batch_size=30
        )

        assert outcome.status == "failed"
        assert outcome.error is not None
        assert outcome.error.startswith("AccessDeniedError")
        assert sim.counters.logins_ok + sim.counters.logins_failed == 0
        assert outcome.logins == 0


async def test_fetch_shard_counts_vanished_resources(
    simulator: SimulatorFactory,
) -> None:
    """Resources answering 404 since discovery are counted, not errors."""
    async with simulator(**SMALL, faults=FaultConfig(vanish_rate=0.1)) as sim:
        outcome = await fetch_shard(settings_for(sim), whole_fleet(sim, 4), ListSink())

        assert outcome.status == "succeeded"
        assert outcome.vanished == detail_status(sim, 404)
        assert outcome.vanished > 0
        assert outcome.ok + outcome.vanished == 100
        assert len(outcome.vanished_uuids) == min(outcome.vanished, 20)


async def test_fetch_shard_never_exceeds_its_share_in_flight(
    simulator: SimulatorFactory,
) -> None:
    """The server never sees more of the shard's requests than its share."""
    async with simulator(
        **(SMALL | {"hosts": 40, "workers": 50, "latency_ms": 10.0})
    ) as sim:
        outcome = await fetch_shard(settings_for(sim), whole_fleet(sim, 6), ListSink())

        assert outcome.ok == 200
        assert sim.counters.max_in_building == 6
        assert outcome.max_in_flight == 6


async def test_fetch_shard_keeps_its_share_in_flight_while_a_retry_waits(
    simulator: SimulatorFactory,
) -> None:
    """A worker waiting out a backoff leaves its request slot to a spare worker."""
    async with simulator(**SMALL) as sim:
        victim = sim.fleet.resources[10].uuid
    fleet = SMALL | {"hosts": 40, "workers": 50, "latency_ms": 10.0}
    async with simulator(
        **fleet, faults=FaultConfig(failing=frozenset({victim}))
    ) as sim:
        others_done = asyncio.Event()
        parked: list[int] = []
        sink = ListSink()

        async def count_records() -> None:
            if len(sink.batches) == 199:
                others_done.set()

        async def park_first_backoff(seconds: float) -> None:
            # The first retry waits until every other URL is served; the peak
            # is measured from then on.
            if not parked:
                parked.append(len(sink.batches))
                sim.counters.reset()
                await others_done.wait()

        sink.on_write = count_records
        async with asyncio.timeout(60):
            outcome = await fetch_shard(
                settings_for(sim),
                whole_fleet(sim, 4),
                sink,
                batch_size=1,
                sleep=park_first_backoff,
            )

        assert parked[0] < 150
        assert (outcome.ok, outcome.failed) == (199, 1)
        assert sim.counters.max_in_flight == 4
        assert outcome.max_in_flight == 4


@pytest.mark.parametrize(
    ("share", "urls", "workers"),
    [
        pytest.param(1, 1000, 2, id="one-spare-at-least"),
        pytest.param(8, 1000, 10, id="a-quarter-more"),
        pytest.param(8, 3, 3, id="no-more-than-urls"),
    ],
)
def test_worker_count_adds_spare_workers_to_the_share(
    share: int, urls: int, workers: int
) -> None:
    """A shard runs its share plus a quarter more workers, never more than URLs."""
    assert worker_count(share, urls) == workers


async def test_fetch_shard_fails_clearly_when_the_retry_budget_runs_out(
    simulator: SimulatorFactory,
) -> None:
    """A server failing half the time exhausts the budget and stops the shard."""
    async with simulator(
        **(SMALL | {"hosts": 100}), faults=FaultConfig(error_rate=0.5)
    ) as sim:
        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 4), ListSink(), sleep=Recorder()
        )

        assert outcome.status == "failed"
        assert outcome.error is not None
        assert outcome.error.startswith(
            "RetryBudgetExhaustedError: retry budget exhausted"
        )
        assert outcome.skipped > 0
        assert outcome.ok + outcome.vanished + outcome.failed + outcome.skipped == 500


async def test_fetch_shard_fails_on_a_resource_that_always_errors(
    simulator: SimulatorFactory,
) -> None:
    """A resource answering 500 every time fails the shard after bounded attempts."""
    async with simulator(**SMALL) as sim:
        victim = sim.fleet.resources[10].uuid
    faults = FaultConfig(failing=frozenset({victim}))
    async with simulator(**SMALL, faults=faults) as sim:
        outcome = await fetch_shard(
            settings_for(sim), whole_fleet(sim, 4), ListSink(), sleep=Recorder()
        )

        assert outcome.status == "failed"
        assert outcome.error is not None
        assert outcome.error.startswith("HTTPStatusError: HTTP 500")
        assert outcome.failed == 1
        assert detail_status(sim, 500) == 5


@pytest.mark.parametrize("secret_kind", ["password", "api_token"])
async def test_fetch_shard_keeps_secrets_out_of_logs_errors_and_outcome(
    simulator: SimulatorFactory, secret_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing run never shows the password or token in logs, errors or outcome."""
    secret = "Sh0uld-never-leak/42+x"
    async with simulator(**SMALL, api_token="another-token") as sim:
        if secret_kind == "password":
            settings = settings_for(sim, password=secret)
        else:
            settings = CentreonSettings(url=sim.api_url, api_token=secret)
        caplog.set_level(logging.DEBUG)

        outcome = await fetch_shard(settings, whole_fleet(sim, 4), ListSink())

    assert outcome.status == "failed"
    assert secret not in repr(settings)
    assert secret not in json.dumps(outcome.to_dict())
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(vars(record))


async def test_fetch_shard_keeps_password_and_token_out_of_debug_logs(
    simulator: SimulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A successful shard logs at DEBUG without the password or the issued token."""
    password = "Sh0uld-never-leak/42+x"
    async with simulator(**SMALL, password=password) as sim:
        issued: set[str] = set()

        async def note_tokens() -> None:
            issued.update(sim.app.sessions.tokens)

        caplog.set_level(logging.DEBUG)
        outcome = await fetch_shard(
            settings_for(sim, password=password),
            whole_fleet(sim, 4),
            ListSink(note_tokens),
        )

    assert outcome.status == "succeeded"
    assert len(issued) == 1
    assert any(record.name == "centreon.client" for record in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert all(secret not in text for secret in (password, *issued))


@pytest.mark.slow
async def test_fetch_shard_of_2000_urls_runs_near_the_server_limit(
    simulator: SimulatorFactory,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    """2000 URLs at 150 ms with 16 workers and a share of 16: all fetched once,
    nothing refused; the ratio to 2000 x 0.15 / 16 s is reported, not asserted."""
    async with simulator(
        hosts=200, services_per_host=9, workers=16, latency_ms=150.0, latency_spread=0.2
    ) as sim:
        shard = whole_fleet(sim, 16)

        outcome: ShardOutcome = await fetch_shard(
            settings_for(sim, max_concurrency=16), shard, ListSink()
        )

        limit_s = len(shard.urls) * 0.150 / 16
        ratio = outcome.duration_s / limit_s
        record_property("ratio_to_server_limit", round(ratio, 3))
        with capsys.disabled():
            print(
                f"\n2000-URL shard: {outcome.duration_s:.2f} s, limit {limit_s:.2f} s, "
                f"ratio {ratio:.3f}, p50 {outcome.latency_p50_ms} ms"
            )
        assert len(shard.urls) == 2000
        assert (outcome.status, outcome.ok) == ("succeeded", 2000)
        assert (outcome.refused, sim.counters.refused) == (0, 0)
        assert sim.counters.repeated_detail_fetches == 0
        assert outcome.duration_s < 10 * limit_s
