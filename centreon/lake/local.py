"""A lake in a local folder: the reference backend, and the one ``make demo`` uses.

Files appear atomically: each is written to a hidden temporary name in its
final folder (names starting with ``.`` are skipped by Spark and pyarrow) and
renamed into place. A conditional write links the temporary file to its final
name, which fails if the name exists. A run folder is published with one
``os.rename`` of its staged folder, refused when the destination exists.
"""

from __future__ import annotations

import asyncio
import errno
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from centreon.errors import LakeConflictError, LakeError, LakeNotFoundError
from centreon.lake.store import LakeFile

__all__ = ["LocalStore"]

_T = TypeVar("_T")
_DELETE_ATTEMPTS = 5


class LocalStore:
    """A lake root in a local folder; see :class:`~centreon.lake.store.LakeStore`."""

    atomic_move = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.url = self.root.as_uri()

    async def __aenter__(self) -> LocalStore:
        await asyncio.to_thread(self.root.mkdir, parents=True, exist_ok=True)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    def _resolve(self, path: str) -> Path:
        parts = path.split("/")
        if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise LakeError("invalid lake path", path=path)

        return self.root.joinpath(*parts)

    async def _run(self, path: str, action: Callable[[], _T]) -> _T:
        """Run ``action`` in a thread; a cancelled caller resumes once it has ended.

        A thread cannot be stopped, so a cancelled write may still land: waiting
        for it lets the caller check the outcome after the fact.
        """
        work = asyncio.ensure_future(asyncio.to_thread(action))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait({work})
            raise
        except FileNotFoundError as exc:
            raise LakeNotFoundError("no such file or folder", path=path) from exc
        except FileExistsError as exc:
            raise LakeConflictError("already exists", path=path) from exc
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise LakeConflictError("already exists", path=path) from exc
            raise LakeError(f"local storage failed: {exc.strerror}", path=path) from exc

    async def put_bytes(
        self, path: str, data: bytes, *, overwrite: bool = True
    ) -> None:
        """Write ``data`` atomically; conditional when ``overwrite`` is False."""
        target = self._resolve(path)

        def write() -> None:
            temp = _temp_beside(target)
            temp.write_bytes(data)
            _commit(temp, target, overwrite=overwrite)

        await self._run(path, write)

    async def put_file(self, path: str, source: str) -> int:
        """Copy ``source`` into place atomically; return its size."""
        target = self._resolve(path)

        def copy() -> int:
            temp = _temp_beside(target)
            shutil.copyfile(source, temp)
            size = temp.stat().st_size
            _commit(temp, target, overwrite=True)
            return size

        return await self._run(path, copy)

    async def get_bytes(self, path: str) -> bytes:
        """Read a whole file."""
        return await self._run(path, self._resolve(path).read_bytes)

    async def exists(self, path: str) -> bool:
        """Whether the file exists."""
        return await self._run(path, self._resolve(path).is_file)

    async def list_files(self, folder: str) -> list[LakeFile]:
        """Every file under ``folder`` (``""``: the root), temporary files excluded."""
        base = self._resolve(folder) if folder else self.root

        def walk() -> list[LakeFile]:
            found = []
            for current, _dirs, names in os.walk(base):
                for name in names:
                    if name.startswith("."):
                        continue
                    full = Path(current, name)
                    try:
                        size = full.stat().st_size
                    except FileNotFoundError:
                        continue
                    found.append(LakeFile(full.relative_to(self.root).as_posix(), size))
            return sorted(found, key=lambda f: f.path)

        return await self._run(folder, walk)

    async def delete_file(self, path: str) -> None:
        """Delete one file if it exists."""
        await self._run(path, lambda: self._resolve(path).unlink(missing_ok=True))

    async def delete_tree(self, folder: str) -> None:
        """Delete a folder recursively, retrying while a writer adds files to it.

        The folders above it that this leaves empty go too, up to the root, so
        a deleted run leaves no empty ``snapshot_date=`` or staging folder.
        """
        target = self._resolve(folder)

        def remove() -> None:
            for attempt in range(_DELETE_ATTEMPTS):
                try:
                    shutil.rmtree(target)
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.ENOTEMPTY or attempt == _DELETE_ATTEMPTS - 1:
                        raise
                else:
                    break
            _remove_empty_parents(target, self.root)

        await self._run(folder, remove)

    async def move_tree(self, source: str, destination: str) -> None:
        """Rename ``source`` to ``destination`` in one step, never over one."""
        src, dst = self._resolve(source), self._resolve(destination)

        def rename() -> None:
            for attempt in range(2):
                if not src.is_dir():
                    raise FileNotFoundError(errno.ENOENT, "no staged folder", str(src))
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.exists():
                    raise FileExistsError(errno.EEXIST, "destination exists", str(dst))
                try:
                    os.rename(src, dst)
                    return
                except FileNotFoundError:
                    # Deleting another run may remove the new, still empty parent.
                    if attempt:
                        raise

        await self._run(destination, rename)


def _remove_empty_parents(folder: Path, root: Path) -> None:
    for parent in folder.parents:
        if parent == root or root not in parent.parents:
            return
        try:
            parent.rmdir()
        except OSError:
            return


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def _commit(temp: Path, target: Path, *, overwrite: bool) -> None:
    try:
        if overwrite:
            os.replace(temp, target)
        else:
            os.link(temp, target)
    finally:
        temp.unlink(missing_ok=True)
