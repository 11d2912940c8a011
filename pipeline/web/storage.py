"""Where uploads and results live: a folder (local, or shared by the workers of a scaled-out
server) or any fsspec URL a user has the package for (s3://bucket/prefix with s3fs).

Keys are `uploads/<job id>`, `previews/<job id>.png` (the input decoded, turned upright) and
`results/<job id>.<suffix>`, made from random job ids only: a
user's file name never becomes a path. A write goes to a temp key and is renamed into place,
so a reader sees a whole file or none, and a job run twice (at least once) replaces its result
with the same bytes. A file opened for reading stays whole if it is deleted meanwhile (POSIX).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

import fsspec

KINDS = ("uploads", "previews", "results")


class DiskFull(OSError):
    """The storage has no room: the server answers 507."""


class Storage:
    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.root)
        for kind in KINDS:
            self.fs.makedirs(f"{self.base}/{kind}", exist_ok=True)

    @property
    def local(self) -> bool:
        return "file" in (self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,))

    def path(self, key: str) -> str:
        return f"{self.base}/{key}"

    def put(self, key: str, source: Path | BinaryIO) -> int:
        """Store `source` (a file, or an open binary file) at `key`; its size in bytes."""
        tmp = self.path(f"{key}.{uuid.uuid4().hex}.partial")
        try:
            with self.fs.open(tmp, "wb") as out:
                if isinstance(source, Path):
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                else:
                    shutil.copyfileobj(source, out, 1 << 20)
            self.fs.mv(tmp, self.path(key))
        except OSError as e:
            self._remove(tmp)
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFull(e.errno, f"the server's storage is full ({e.strerror})") from e
            raise
        return self.fs.size(self.path(key))

    def get_local(self, key: str, into: Path) -> Path:
        """The file at `key`, as a local path (copied into `into` where the storage is remote)."""
        if self.local:
            return Path(self.path(key))
        self.fs.get(self.path(key), str(into))
        return into

    def open(self, key: str) -> tuple[BinaryIO, int]:
        """(open file, size); FileNotFoundError if it is not there."""
        file = self.fs.open(self.path(key), "rb")
        return file, self.fs.size(self.path(key))

    def size(self, key: str) -> int:
        return self.fs.size(self.path(key))

    def delete(self, key: str) -> None:
        self._remove(self.path(key))

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(path)

    def stored(self) -> list[str]:
        """Every stored key, partial writes included."""
        out = []
        for kind in KINDS:
            for path in self.fs.ls(f"{self.base}/{kind}", detail=False):
                out.append(f"{kind}/{os.path.basename(path)}")
        return sorted(out)

    def free_bytes(self) -> int | None:
        """Free space where the storage is a local or mounted folder; None elsewhere."""
        return shutil.disk_usage(self.base).free if self.local else None
