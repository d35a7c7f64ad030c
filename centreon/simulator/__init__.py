"""A faithful local Centreon 24.10 REST API v2, for tests, demos and benchmarks.

::

    from centreon.simulator import Simulator, SimulatorConfig, FaultConfig

    async with Simulator(SimulatorConfig(hosts=200, services_per_host=9)) as sim:
        sim.api_url    # http://127.0.0.1:<port>/centreon/api/latest
        sim.counters   # what clients did to it
        sim.fleet      # the generated hosts and services
"""

from __future__ import annotations

from centreon.simulator.config import FaultConfig, SimulatorConfig
from centreon.simulator.counters import Counters
from centreon.simulator.fleet import Fleet, Host, Service
from centreon.simulator.server import Simulator

__all__ = [
    "Counters",
    "FaultConfig",
    "Fleet",
    "Host",
    "Service",
    "Simulator",
    "SimulatorConfig",
]
