"""A lake in an Azure Blob Storage container with a flat namespace (and Azurite).

A flat namespace has no directories and no rename, so publishing copies each
staged blob into its run folder (a server-side copy, no data through this
process), then deletes the staged blobs. Readers see the run folder fill up
blob by blob; the ``_SUCCESS`` marker, written after the last copy, and the
run manifest are the commit point. A conditional write is a single Put Blob
with ``If-None-Match: *``: of two writers exactly one succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from centreon.errors import LakeError, LakeNotFoundError
from centreon.lake import LakeLocation, StorageCredential
from centreon.lake.azure import (
    SDK_OPTIONS,
    azure_credential,
    blob_name,
    lake_errors,
    quiet_sdk_logging,
)
from centreon.lake.store import LakeFile

__all__ = ["BlobStore", "open_blob_store"]

_PARALLEL = 8
_COPY_POLLS = 60


class BlobStore:
    """A lake root in a blob container; see :class:`~centreon.lake.store.LakeStore`."""

    atomic_move = False

    def __init__(
        self,
        container: ContainerClient,
        prefix: str,
        url: str,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._container = container
        self._prefix = f"{prefix}/" if prefix else ""
        self._sleep = sleep
        self.url = url

    def _name(self, path: str) -> str:
        return blob_name(self._prefix, path)

    def _folder(self, folder: str) -> str:
        return self._prefix + (f"{folder.strip('/')}/" if folder else "")

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        """One Put Blob; conditional (``If-None-Match: *``) without ``overwrite``."""
        with lake_errors(path, "write"):
            await self._container.upload_blob(
                self._name(path), data, overwrite=overwrite
            )

    async def put_file(self, path: str, source: str) -> int:
        """Upload a local file (in blocks when large, committed at once)."""
        with lake_errors(path, "upload"), open(source, "rb") as stream:  # noqa: ASYNC230
            await self._container.upload_blob(
                self._name(path), stream, overwrite=True, max_concurrency=2
            )

        return await asyncio.to_thread(os.path.getsize, source)

    async def get_bytes(self, path: str) -> bytes:
        """Download a whole blob."""
        with lake_errors(path, "read"):
            download = await self._container.download_blob(self._name(path))
            return bytes(await download.readall())

    async def exists(self, path: str) -> bool:
        """Whether the blob exists."""
        with lake_errors(path, "check"):
            return bool(
                await self._container.get_blob_client(self._name(path)).exists()
            )

    async def list_files(self, folder: str) -> list[LakeFile]:
        """Every blob under ``folder``, by name."""
        start = self._folder(folder)
        found = []
        with lake_errors(folder, "list"):
            async for blob in self._container.list_blobs(
                name_starts_with=start or None
            ):
                found.append(
                    LakeFile(blob.name[len(self._prefix) :], int(blob.size or 0))
                )

        return sorted(found, key=lambda f: f.path)

    async def delete_file(self, path: str) -> None:
        """Delete one blob if it exists."""
        with lake_errors(path, "delete"):
            try:
                await self._container.delete_blob(self._name(path))
            except ResourceNotFoundError:
                return

    async def delete_tree(self, folder: str) -> None:
        """Delete every blob under ``folder``."""
        if not folder:
            raise LakeError("refusing to delete the lake root", path=folder)
        files = await self.list_files(folder)
        await self._each(files, lambda f: self.delete_file(f.path))

    async def move_tree(self, source: str, destination: str) -> None:
        """Copy every blob under ``source`` below ``destination``, then delete them.

        Not atomic and not conditional: an existing destination blob of the
        same name is overwritten, which makes a repeated move harmless.
        """
        files = await self.list_files(source)
        if not files:
            raise LakeNotFoundError("nothing staged to move", path=source)

        async def copy(file: LakeFile) -> None:
            target = destination + file.path[len(source) :]
            await self._copy(file.path, target)

        await self._each(files, copy)
        await self._each(files, lambda f: self.delete_file(f.path))

    async def _copy(self, source: str, target: str) -> None:
        # The URL carries the SAS, if any: it goes into the request and nowhere else.
        source_url = self._container.get_blob_client(self._name(source)).url
        client = self._container.get_blob_client(self._name(target))
        with lake_errors(target, "copy"):
            copy = await client.start_copy_from_url(source_url)
            status = copy.get("copy_status")
            for _ in range(_COPY_POLLS):
                if status != "pending":
                    break
                await self._sleep(0.5)
                status = (await client.get_blob_properties()).copy.status
        if status != "success":
            raise LakeError(f"server-side copy ended as {status}", path=target)

    async def _each(
        self, files: list[LakeFile], action: Callable[[LakeFile], Awaitable[None]]
    ) -> None:
        for start in range(0, len(files), _PARALLEL):
            await asyncio.gather(*(action(f) for f in files[start : start + _PARALLEL]))


@asynccontextmanager
async def open_blob_store(
    location: LakeLocation, credential: StorageCredential | None
) -> AsyncIterator[BlobStore]:
    """Open the container (creating it when missing) and close every client on exit."""
    quiet_sdk_logging()
    account_url = (
        credential.blob_endpoint if credential else None
    ) or location.account_url
    async with azure_credential(credential) as sdk_credential:
        service: Any = BlobServiceClient(
            account_url, credential=sdk_credential, **SDK_OPTIONS
        )
        async with service:
            container = service.get_container_client(location.container)
            with (
                lake_errors(location.container, "create container"),
                contextlib.suppress(ResourceExistsError),
            ):
                await container.create_container()
            yield BlobStore(container, location.prefix, location.display)
