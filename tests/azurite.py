"""Real Azurite for the lake's blob tests: a session fixture (pytest plugin).

Azurite runs from ``node_modules/.bin/azurite`` (installed by ``make test``)
in memory, on free loopback ports, and is stopped at the end of the session.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / "node_modules" / ".bin" / "azurite"
ACCOUNT = "devstoreaccount1"
# Azurite's published, well-known development key: not a secret.
KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw=="
)
START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Azurite:
    """Where the session's Azurite listens and how to sign in to it."""

    blob_endpoint: str

    @property
    def connection_string(self) -> str:
        """A connection string for the well-known development account."""
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Start Azurite once per session; fail (never skip) when it is not installed."""
    if not AZURITE.exists():
        pytest.fail(f"{AZURITE} is missing: run `make test`, which installs Azurite")
    blob, queue, table = _free_port(), _free_port(), _free_port()
    log = tmp_path_factory.mktemp("azurite") / "azurite.log"
    command = [
        str(AZURITE),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--blobHost", "127.0.0.1", "--blobPort", str(blob),
        "--queueHost", "127.0.0.1", "--queuePort", str(queue),
        "--tableHost", "127.0.0.1", "--tablePort", str(table),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(blob):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"Azurite did not start; see {log}:\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.1)
        yield Azurite(blob_endpoint=f"http://127.0.0.1:{blob}/{ACCOUNT}")
    finally:
        # Azurite ignores SIGTERM for seconds, and in memory it has nothing to flush.
        process.kill()
        process.wait()
