"""A lake in ADLS Gen2 with a hierarchical namespace, through the dfs endpoint.

Directories are real, so a run is published the way a file system would do
it: one rename of the staged folder into its Hive partition, sent with
``If-None-Match: *`` for the destination so that, of two publishers, exactly
one moves it and the other gets a conflict. Small files (markers, manifests,
records) are written under ``_tmp/`` and renamed into place, so a reader never
sees one half written and a conditional write is again one conditional rename.
Compensation deletes folders recursively, in one request each.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.filedatalake.aio import DataLakeServiceClient, FileSystemClient

from centreon import layout
from centreon.errors import LakeNotFoundError
from centreon.lake import LakeLocation, StorageCredential
from centreon.lake.azure import (
    SDK_OPTIONS,
    azure_credential,
    blob_name,
    lake_errors,
    quiet_sdk_logging,
)
from centreon.lake.store import LakeFile

__all__ = ["AdlsStore", "open_adls_store"]


class AdlsStore:
    """A lake root in an ADLS Gen2 filesystem; see :class:`~centreon.lake.LakeStore`."""

    atomic_move = True

    def __init__(self, filesystem: FileSystemClient, prefix: str, url: str) -> None:
        self._fs = filesystem
        self._prefix = f"{prefix}/" if prefix else ""
        self.url = url

    def _name(self, path: str) -> str:
        return blob_name(self._prefix, path)

    def _parent(self, name: str) -> str | None:
        parent = name.rpartition("/")[0]
        return parent or None

    async def _ensure_parent(self, name: str) -> None:
        parent = self._parent(name)
        if parent is not None:
            await self._fs.get_directory_client(parent).create_directory()

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        """Write under ``_tmp/``, then rename into place (conditional: no overwrite)."""
        target = self._name(path)
        temp = self._fs.get_file_client(self._name(layout.temporary_path()))
        with lake_errors(path, "write"):
            await temp.create_file()
            try:
                if data:
                    await temp.append_data(data, offset=0, length=len(data))
                    await temp.flush_data(len(data), close=True)
                await self._ensure_parent(target)
                conditions: dict[str, Any] = (
                    {} if overwrite else {"match_condition": MatchConditions.IfMissing}
                )
                await temp.rename_file(
                    f"{self._fs.file_system_name}/{target}", **conditions
                )
            except BaseException:
                await _forget(temp.delete_file())
                raise

    async def put_file(self, path: str, source: str) -> int:
        """Upload a local file in place (create, append, flush)."""
        size = await asyncio.to_thread(os.path.getsize, source)
        client = self._fs.get_file_client(self._name(path))
        with lake_errors(path, "upload"), open(source, "rb") as stream:  # noqa: ASYNC230
            if size:
                await client.upload_data(
                    stream, length=size, overwrite=True, max_concurrency=2
                )
            else:
                await client.create_file()

        return size

    async def get_bytes(self, path: str) -> bytes:
        """Read a whole file."""
        with lake_errors(path, "read"):
            download = await self._fs.get_file_client(self._name(path)).download_file()
            return bytes(await download.readall())

    async def exists(self, path: str) -> bool:
        """Whether a file or folder exists at ``path``."""
        with lake_errors(path, "check"):
            return bool(await self._fs.get_file_client(self._name(path)).exists())

    async def list_files(self, folder: str) -> list[LakeFile]:
        """Every file under ``folder``, by path."""
        start = (self._prefix + folder.strip("/")).rstrip("/") or None
        found = []
        with lake_errors(folder, "list"):
            try:
                async for item in self._fs.get_paths(path=start, recursive=True):
                    if not item.is_directory:
                        relative = item.name[len(self._prefix) :]
                        found.append(LakeFile(relative, int(item.content_length or 0)))
            except ResourceNotFoundError:
                return []

        return sorted(found, key=lambda f: f.path)

    async def delete_file(self, path: str) -> None:
        """Delete one file if it exists."""
        with lake_errors(path, "delete"):
            try:
                await self._fs.get_file_client(self._name(path)).delete_file()
            except ResourceNotFoundError:
                return

    async def delete_tree(self, folder: str) -> None:
        """Delete a folder and everything under it, in one recursive delete."""
        with lake_errors(folder, "delete"):
            try:
                await self._fs.get_directory_client(
                    self._name(folder)
                ).delete_directory()
            except ResourceNotFoundError:
                return

    async def move_tree(self, source: str, destination: str) -> None:
        """Rename ``source`` to ``destination``, refused when the destination exists.

        A missing source whose destination exists is a move already done: the
        SDK retries a rename whose answer it lost, and the retry finds the
        source gone.
        """
        target = self._name(destination)
        try:
            with lake_errors(destination, "move"):
                await self._ensure_parent(target)
                await self._fs.get_directory_client(
                    self._name(source)
                ).rename_directory(
                    f"{self._fs.file_system_name}/{target}",
                    match_condition=MatchConditions.IfMissing,
                )
        except LakeNotFoundError:
            if await self.exists(source) or not await self.exists(destination):
                raise


async def _forget(cleanup: Awaitable[Any]) -> None:
    """Best-effort removal of a temporary file; its failure must not mask the first."""
    with contextlib.suppress(Exception):
        await cleanup


@asynccontextmanager
async def open_adls_store(
    location: LakeLocation, credential: StorageCredential | None
) -> AsyncIterator[AdlsStore]:
    """Open the filesystem (creating it when missing); close every client on exit."""
    quiet_sdk_logging()
    account_url = (
        credential.dfs_endpoint if credential else None
    ) or location.account_url
    async with azure_credential(credential) as sdk_credential:
        service: Any = DataLakeServiceClient(
            account_url, credential=sdk_credential, **SDK_OPTIONS
        )
        async with service:
            filesystem = service.get_file_system_client(location.container)
            with (
                lake_errors(location.container, "create filesystem"),
                contextlib.suppress(ResourceExistsError),
            ):
                await filesystem.create_file_system()
            yield AdlsStore(filesystem, location.prefix, location.display)
