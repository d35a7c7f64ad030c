"""The simulator as an async context manager bound to a free loopback port."""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType

from aiohttp import web

from centreon.simulator.app import ADMIN_PREFIX, API_PREFIX, SimulatorApp
from centreon.simulator.auth import Clock
from centreon.simulator.capacity import Sleep
from centreon.simulator.config import SimulatorConfig
from centreon.simulator.counters import Counters
from centreon.simulator.fleet import Fleet

__all__ = ["Simulator"]

logger = logging.getLogger(__name__)

# In-flight handlers get this long to finish when the simulator stops; a slow
# fault can hold a worker for seconds and tests must not wait for it.
_SHUTDOWN_TIMEOUT_S = 0.5
# Bodies of this many resources are serialised before the port opens, so the
# first requests of a benchmark do not pay for it; larger fleets build the
# rest on first use (about 0.15 ms per resource).
_WARM_RESOURCES = 20_000


class Simulator:
    """A running simulated Centreon.

    ``async with Simulator(config) as sim:`` serves on ``config.host`` (port
    ``config.port``, a free one when 0) until the block exits. ``clock``
    (seconds, default :func:`time.time`) drives token expiry, lockout,
    scheduled restarts, the fleet's timestamps and the ages in bodies.
    ``sleep`` (default :func:`asyncio.sleep`) spends every request's service
    time: latency, listing page cost and slow faults.
    """

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or time.time
        self.started = self.clock()
        epoch = self.config.epoch if self.config.epoch is not None else self.started
        self.fleet = Fleet(
            seed=self.config.seed,
            hosts=self.config.hosts,
            services_per_host=self.config.services_per_host,
            epoch=epoch,
        )
        self.counters = Counters()
        self._app = SimulatorApp(
            self.config, self.clock, self.fleet, self.counters, self.started, sleep
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound TCP port (only while running)."""
        if self._port is None:
            raise RuntimeError("the simulator is not running")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>``."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The API base as a client's ``CENTREON_URL``: ``.../centreon/api/latest``."""
        return f"{self.base_url}{API_PREFIX}/latest"

    @property
    def admin_url(self) -> str:
        """Base of the admin routes, e.g. ``{admin_url}/counters``."""
        return f"{self.base_url}{ADMIN_PREFIX}"

    @property
    def app(self) -> SimulatorApp:
        """The request pipeline (sessions, capacity, faults)."""
        return self._app

    @property
    def vanished(self) -> frozenset[str]:
        """Uuids that are listed but answer 404 on their detail URL."""
        return self._app.faults.vanished

    def restart(self) -> int:
        """Drop every login session now; returns how many were dropped."""
        return self._app.restart()

    async def start(self) -> None:
        """Bind and serve."""
        self._app.bodies.warm(self.fleet.resources[:_WARM_RESOURCES])
        runner = web.AppRunner(
            self._app.build(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=_SHUTDOWN_TIMEOUT_S,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        logger.info("simulator started", extra={"url": self.api_url})

    async def stop(self) -> None:
        """Stop serving and close every connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            logger.info("simulator stopped", extra={"url": self.api_url})
            self._port = None

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
