"""``python -m centreon``: run an ingestion, try the demo, or serve the simulator.

``run`` reads the same settings as the function app (``CENTREON_*``,
``LAKE_URL``, ``INGEST_*``); flags override them. It shows progress on stderr
while it runs (a live line on a terminal, else a plain line every ten seconds
and a last one), then a summary table on stdout, or with ``--json`` only the
JSON summary. Exit codes: 0 the run succeeded, 1 it failed (and was
compensated), 2 bad usage or configuration (one line on stderr naming the
variable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from centreon.activities import activities_for
from centreon.demo import run_demo
from centreon.errors import ConfigError
from centreon.lake import parse_connection_string, parse_lake_url
from centreon.orchestration import RunRequest
from centreon.report import Progress, print_summary
from centreon.runner import local_run_id, run_locally
from centreon.settings import Settings
from centreon.simulator import cli as simulator_cli
from centreon.telemetry import configure_azure_monitor, configure_logging

__all__ = ["build_parser", "main", "settings_from"]

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

# Flag -> the setting it overrides; validation stays in centreon.settings.
_OVERRIDES = {
    "centreon_url": "CENTREON_URL",
    "lake": "LAKE_URL",
    "max_concurrency": "CENTREON_MAX_CONCURRENCY",
    "max_shards": "INGEST_MAX_SHARDS",
    "deadline": "INGEST_DEADLINE_S",
}


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="discover and plan only")
    parser.add_argument(
        "--json", action="store_true", help="print only the JSON summary on stdout"
    )
    parser.add_argument("--centreon-url", metavar="URL", help="overrides CENTREON_URL")
    parser.add_argument("--lake", metavar="URL", help="overrides LAKE_URL")
    parser.add_argument(
        "--max-concurrency", metavar="N", help="overrides CENTREON_MAX_CONCURRENCY"
    )
    parser.add_argument("--max-shards", metavar="N", help="overrides INGEST_MAX_SHARDS")
    parser.add_argument(
        "--deadline", metavar="SECONDS", help="overrides INGEST_DEADLINE_S"
    )
    _add_logging_arguments(parser)


def _add_logging_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format", choices=("logfmt", "json"), default="logfmt", help="log lines"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log INFO (-v) or DEBUG (-vv)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m centreon`` parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m centreon",
        description="Centreon monitoring snapshots as Parquet in a data lake.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="run one ingestion now, in this process")
    _add_run_arguments(run)
    demo = commands.add_parser(
        "demo", help="ingest from a simulated Centreon into ./lake and show the result"
    )
    demo.add_argument("--lake", default="lake", metavar="DIR", help="default ./lake")
    demo.add_argument("--hosts", type=int, default=200, help="simulated hosts")
    demo.add_argument("--services-per-host", type=int, default=9)
    _add_logging_arguments(demo)
    simulate = commands.add_parser(
        "simulate", help="serve a simulated Centreon REST API v2 until Ctrl-C"
    )
    simulator_cli.configure_parser(simulate)

    return parser


def settings_from(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    """Settings from ``env`` with the flags applied, the lake's too.

    Raises ConfigError for the first bad variable, before anything runs.
    """
    merged = dict(env)
    for flag, variable in _OVERRIDES.items():
        value = getattr(args, flag, None)
        if value is not None:
            merged[variable] = str(value)
    settings = Settings.from_env(merged)
    parse_lake_url(settings.lake.url)
    if settings.lake.connection_string:
        parse_connection_string(settings.lake.connection_string)

    return settings


async def run_command(
    args: argparse.Namespace,
    env: Mapping[str, str],
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """``python -m centreon run``: one ingestion in-process; returns the exit code."""
    settings = settings_from(args, env)
    now = datetime.now(UTC)
    run_id = local_run_id(now, secrets.token_hex(3))
    request = RunRequest(run_id, args.dry_run, "cli", settings.ingest.deadline_s)
    async with Progress(stderr) as progress:
        summary = await run_locally(
            request.to_input(),
            activities_for(settings),
            instance_id=run_id,
            on_status=progress,
        )
    if args.json:
        stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    else:
        print_summary(summary, stdout)

    return EXIT_SUCCEEDED if summary["status"] == "succeeded" else EXIT_FAILED


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Parse ``argv``, run the command, return the process exit code."""
    env = os.environ if env is None else env
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.command == "simulate":
        return simulator_cli.run(args, stderr)

    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    handler = configure_logging(level, args.log_format, stderr)
    try:
        configure_azure_monitor(env.get("APPLICATIONINSIGHTS_CONNECTION_STRING"))
        if args.command == "demo":
            lake = Path(args.lake).resolve()
            return asyncio.run(run_demo(args, lake, stdout, stderr))
        return asyncio.run(run_command(args, env, stdout, stderr))
    except ConfigError as exc:
        stderr.write(f"centreon: error: {exc}\n")
        return EXIT_USAGE
    finally:
        logging.getLogger().removeHandler(handler)
