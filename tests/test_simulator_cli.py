"""The simulate command: options, serving, and a clean stop on Ctrl-C."""

from __future__ import annotations

import argparse
import io
import json
import re
import select
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from centreon.simulator import cli

REPO_ROOT = Path(__file__).resolve().parents[1]
LAUNCH = (
    "import argparse, sys\n"
    "from centreon.simulator import cli\n"
    "parser = argparse.ArgumentParser()\n"
    "cli.configure_parser(parser)\n"
    "sys.exit(cli.run(parser.parse_args(sys.argv[1:])))\n"
)
WAIT_S = 30


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.configure_parser(parser)
    return parser.parse_args(list(argv))


def test_cli_options_build_the_configuration() -> None:
    """Every option lands in the simulator configuration."""
    args = _parse(
        "--port", "0", "--hosts", "3", "--services-per-host", "2", "--workers", "4",
        "--backlog", "6", "--latency-ms", "20", "--error-rate", "0.1",
        "--restart-after-s", "30", "--restart-after-s", "90", "--failing", "h14",
        "--faults-on-auth",
    )  # fmt: skip

    config = cli.build_config(args)

    assert (config.port, config.hosts, config.services_per_host) == (0, 3, 2)
    assert (config.workers, config.backlog, config.latency_ms) == (4, 6, 20.0)
    assert config.faults.error_rate == 0.1
    assert config.faults.restart_after_s == (30.0, 90.0)
    assert config.faults.failing == frozenset({"h14"})
    assert config.faults.on_auth is True


def test_cli_rejects_bad_value_with_exit_status_2() -> None:
    """An out-of-range option is reported in one line and exits with 2."""
    err = io.StringIO()

    status = cli.run(_parse("--workers", "0"), stderr=err)

    assert status == 2
    assert err.getvalue().startswith("centreon simulate: ")
    assert "workers" in err.getvalue()
    assert err.getvalue().count("\n") == 1


def test_cli_reports_a_port_in_use_with_exit_status_1() -> None:
    """A port another socket holds is reported on the given stream; status 1."""
    err = io.StringIO()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])

        status = cli.run(_parse("--port", port, "--hosts", "1"), stderr=err)

    assert status == 1
    assert err.getvalue().startswith("centreon simulate: cannot serve: ")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_interrupted(signum: signal.Signals) -> None:
    """The command serves logins, then stops cleanly with status 0 on a signal."""
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", LAUNCH, "--port", "0", "--hosts", "2"],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], WAIT_S)
        assert ready, "the simulator printed nothing"
        banner = process.stderr.readline()
        url = re.search(r"(http://\S+/centreon/api/latest)", banner)
        assert url, banner
        body = json.dumps(
            {"security": {"credentials": {"login": "admin", "password": "centreon"}}}
        ).encode()
        # The URL is the http:// address the simulator itself printed.
        request = urllib.request.Request(f"{url.group(1)}/login", data=body)  # noqa: S310
        with urllib.request.urlopen(request, timeout=WAIT_S) as answer:  # noqa: S310
            token = json.loads(answer.read())["security"]["token"]
        process.send_signal(signum)
        status = process.wait(timeout=WAIT_S)
        rest = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()

    assert len(token) == 64
    assert status == 0
    assert "stopped" in rest
    assert "Traceback" not in rest
