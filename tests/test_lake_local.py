"""Tests for the local backend's own behaviour, beyond the LakeStore contract."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from centreon.lake.local import LocalStore


async def test_cancelled_call_returns_only_once_its_thread_has_ended(
    tmp_path: Path,
) -> None:
    """A thread cannot be stopped, so a cancelled call waits for it to finish."""
    async with LocalStore(tmp_path / "lake") as store:
        pipe = tmp_path / "lake" / "pipe"
        os.mkfifo(pipe)
        reading = asyncio.create_task(store.get_bytes("pipe"))
        feed = await asyncio.to_thread(open, pipe, "wb")
        try:
            reading.cancel()
            await asyncio.to_thread(feed.flush)

            assert not reading.done()
        finally:
            feed.close()
        with pytest.raises(asyncio.CancelledError):
            await reading
