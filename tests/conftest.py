"""Shared fixtures; each area's fixtures live in a plugin module listed here."""

from __future__ import annotations

pytest_plugins: list[str] = [
    "tests.simulator_fixtures",
    "tests.azurite",
    "tests.dfs_server",
]
