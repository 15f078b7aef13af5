"""A run directory opened once per probe, so its files are looked up relative to it.

Every `stat` or `open` by absolute path resolves each component of the path again. On NFS
without attribute caching (`noac`, or once the cache has expired) every component is a
round trip: a cold walk of 10,000 runs cost 59 RPCs per run over nfslab at 0.5 ms. Through
the directory's own handle (`O_PATH`) the path is resolved once and each file is one lookup.
"""

from __future__ import annotations

import os

from ..files import SMALL_FILE_LIMIT, read_regular
from .file_sigs import FileSig, file_sig


class RunFolder:
    """`with RunFolder(path) as folder:` then `folder.sig(name)` and `folder.read(name)`."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> RunFolder:
        try:
            self._fd = os.open(self.path, os.O_PATH | os.O_DIRECTORY)
        except OSError:
            self._fd = None  # gone or unreadable: each file by its path, failing as it would have
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def sig(self, name: str) -> FileSig:
        """The signature (records.file_sig) of the file `name` in the folder (symlinks followed), or None."""
        try:
            st = os.stat(name, dir_fd=self._fd) if self._fd is not None else os.stat(os.path.join(self.path, name))
        except OSError:
            return None
        return file_sig(st)

    def read(self, name: str, limit: int = SMALL_FILE_LIMIT) -> bytes:
        """The bytes of the regular file `name` in the folder; OSError or ValueError as `read_regular`."""
        if self._fd is not None:
            return read_regular(name, limit, dir_fd=self._fd)
        return read_regular(os.path.join(self.path, name), limit)
