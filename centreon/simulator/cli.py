"""``python -m centreon simulate``: serve the simulated Centreon until Ctrl-C.

The application's command line calls :func:`configure_parser` to add these
options to its ``simulate`` sub-command and :func:`run` to execute it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TextIO

from centreon.errors import ConfigError
from centreon.simulator.config import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    FaultConfig,
    SimulatorConfig,
)
from centreon.simulator.server import Simulator

__all__ = ["build_config", "configure_parser", "run"]

DEFAULT_PORT = 8080


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to ``parser``."""
    defaults = SimulatorConfig()
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="address to bind")
    server.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port (0: any free port)"
    )
    server.add_argument("--seed", type=int, default=defaults.seed)
    server.add_argument("--hosts", type=int, default=defaults.hosts)
    server.add_argument(
        "--services-per-host", type=int, default=defaults.services_per_host
    )
    server.add_argument(
        "--workers", type=int, default=defaults.workers, help="PHP-FPM workers"
    )
    server.add_argument(
        "--backlog",
        type=int,
        default=defaults.backlog,
        help="requests that may wait for a worker before 503s start",
    )
    server.add_argument(
        "--latency-ms",
        type=float,
        default=defaults.latency_ms,
        help="median service time",
    )
    server.add_argument(
        "--latency-spread",
        type=float,
        default=defaults.latency_spread,
        help="lognormal sigma of the service time",
    )
    server.add_argument(
        "--page-cost-ms",
        type=float,
        default=defaults.page_cost_ms_per_item,
        help="extra listing time per requested row (limit)",
    )
    server.add_argument("--username", default=DEFAULT_USERNAME)
    server.add_argument("--password", default=DEFAULT_PASSWORD)
    server.add_argument(
        "--api-token", default=None, help="also accept this manual API token"
    )
    server.add_argument(
        "--session-expire-min", type=float, default=defaults.session_expire_min
    )
    server.add_argument("--max-token-age-s", type=float, default=None)

    faults = parser.add_argument_group("faults")
    for flag, text in (
        ("--error-rate", "share of requests answered with a JSON 500"),
        ("--html-502-rate", "share answered with the proxy's HTML 502 page"),
        ("--reset-rate", "share whose connection is closed without an answer"),
        ("--slow-rate", "share delayed by --slow-ms on top of the latency"),
        ("--rate-limit-rate", "share answered 429 with Retry-After"),
        ("--churn-rate", "share of resources changing status per listing page"),
        ("--vanish-rate", "share of resources listed but 404 on detail"),
        ("--drift-rate", "share of bodies with unknown extra fields"),
        ("--false-duration-rate", "share of bodies with duration false"),
    ):
        faults.add_argument(flag, type=float, default=0.0, help=text)
    faults.add_argument("--slow-ms", type=float, default=FaultConfig().slow_ms)
    faults.add_argument(
        "--retry-after-s", type=int, default=FaultConfig().retry_after_s
    )
    faults.add_argument(
        "--restart-after-s",
        type=float,
        action="append",
        default=[],
        help="drop every session this many seconds after start (repeatable)",
    )
    faults.add_argument(
        "--failing",
        action="append",
        default=[],
        metavar="UUID",
        help="resource whose detail always answers 500, e.g. h14-s26 (repeatable)",
    )
    faults.add_argument(
        "--faults-on-auth",
        action="store_true",
        help="let the per-request faults hit /login and /logout too",
    )


def build_config(args: argparse.Namespace) -> SimulatorConfig:
    """The configuration the parsed options describe; raises ConfigError."""
    faults = FaultConfig(
        error_rate=args.error_rate,
        html_502_rate=args.html_502_rate,
        reset_rate=args.reset_rate,
        slow_rate=args.slow_rate,
        slow_ms=args.slow_ms,
        rate_limit_rate=args.rate_limit_rate,
        retry_after_s=args.retry_after_s,
        restart_after_s=tuple(args.restart_after_s),
        churn_rate=args.churn_rate,
        vanish_rate=args.vanish_rate,
        drift_rate=args.drift_rate,
        false_duration_rate=args.false_duration_rate,
        failing=frozenset(args.failing),
        on_auth=args.faults_on_auth,
    )
    return SimulatorConfig(
        seed=args.seed,
        hosts=args.hosts,
        services_per_host=args.services_per_host,
        workers=args.workers,
        backlog=args.backlog,
        latency_ms=args.latency_ms,
        latency_spread=args.latency_spread,
        page_cost_ms_per_item=args.page_cost_ms,
        username=args.username,
        password=args.password,
        api_token=args.api_token,
        session_expire_min=args.session_expire_min,
        max_token_age_s=args.max_token_age_s,
        host=args.host,
        port=args.port,
        faults=faults,
    )


async def _serve(config: SimulatorConfig, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with Simulator(config) as sim:
            password = (
                f"password {DEFAULT_PASSWORD!r}"
                if config.password == DEFAULT_PASSWORD
                else "the password given with --password"
            )
            out.write(
                f"Centreon simulator serving {len(sim.fleet.resources)} resources at "
                f"{sim.api_url}\n"
                f"  log in as {config.username!r} with {password}; "
                f"counters at {sim.admin_url}/counters; Ctrl-C stops\n"
            )
            out.flush()
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    out.write("Centreon simulator stopped\n")
    out.flush()


def run(args: argparse.Namespace, stderr: TextIO | None = None) -> int:
    """Serve until SIGINT or SIGTERM; the exit status (2 for a bad option).

    The banner, the stop notice and errors go to ``stderr`` (default
    :data:`sys.stderr`), leaving stdout to whatever the caller pipes.
    """
    out = stderr or sys.stderr
    try:
        config = build_config(args)
    except ConfigError as exc:
        out.write(f"centreon simulate: {exc}\n")
        return 2
    try:
        asyncio.run(_serve(config, out))
    except OSError as exc:
        out.write(f"centreon simulate: cannot serve: {exc.strerror}\n")
        return 1
    return 0
