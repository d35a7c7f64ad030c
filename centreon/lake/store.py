"""What the lake modules need from a storage backend, and nothing more.

Paths are relative to the lake root, ``/``-separated, built only by
:mod:`centreon.layout`. Every backend translates its SDK's errors into
:class:`~centreon.errors.LakeError` subclasses at its boundary:
:class:`~centreon.errors.LakeNotFoundError` for a missing path and
:class:`~centreon.errors.LakeConflictError` when a conditional write or move
finds its destination taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["LakeFile", "LakeStore"]


@dataclass(frozen=True, slots=True)
class LakeFile:
    """A file under the lake root and its size in bytes."""

    path: str
    size: int


class LakeStore(Protocol):
    """A lake root on some storage, as the publish protocol uses it."""

    @property
    def url(self) -> str:
        """Where the root is, without any credential (safe to log)."""
        ...

    @property
    def atomic_move(self) -> bool:
        """True when :meth:`move_tree` is one atomic, conditional rename."""
        ...

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        """Write a whole file; readers see all of it or nothing.

        With ``overwrite=False`` the write is conditional: it raises
        LakeConflictError when the file already exists, and of two concurrent
        writers exactly one succeeds.
        """
        ...

    async def put_file(self, path: str, source: str) -> int:
        """Upload local file ``source`` to ``path`` (replacing it); return its size."""
        ...

    async def get_bytes(self, path: str) -> bytes:
        """Read a whole file; LakeNotFoundError when it does not exist."""
        ...

    async def exists(self, path: str) -> bool:
        """Whether a file exists at ``path``."""
        ...

    async def list_files(self, folder: str) -> list[LakeFile]:
        """Every file under ``folder`` (``""``: the root), recursively, by path."""
        ...

    async def delete_file(self, path: str) -> None:
        """Delete one file; a missing file is not an error."""
        ...

    async def delete_tree(self, folder: str) -> None:
        """Delete ``folder`` and everything under it; a missing folder is fine."""
        ...

    async def move_tree(self, source: str, destination: str) -> None:
        """Move every file under ``source`` to the same place under ``destination``.

        Raises LakeNotFoundError when ``source`` holds nothing (unless
        ``destination`` exists, which a backend may take for a move already
        done, as after a retried rename whose answer was lost) and
        LakeConflictError when ``destination`` already exists (backends with
        an atomic rename refuse it atomically; the others copy and may leave a
        partial destination behind on failure, which the publish protocol's
        ``_SUCCESS`` marker and manifest make harmless).
        """
        ...
