"""Small file helpers shared by the tree generator and the live writer."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any, *, fsync: bool = True) -> None:
    """Write JSON to ``path`` via tmp file + fsync + rename, like the real writer."""
    # The tmp name mimics RegistryLogger (`.sidecar.json.<rand>.tmp`) so the
    # viewer's "tmp files are not sidecars" rule gets exercised for real.
    tmp = path.parent / f".{path.name}.{os.urandom(4).hex()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)  # allow_nan default: bare NaN tokens on purpose
        f.write("\n")
        f.flush()
        if fsync:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def set_mtime(path: Path, when: float) -> None:
    """Set both atime and mtime of ``path`` to the epoch time ``when``."""
    os.utime(path, (when, when))


def touch(path: Path, when: float | None = None) -> None:
    """Create ``path`` if missing and set its mtime to ``when`` (now if None)."""
    path.touch(exist_ok=True)
    if when is None:
        os.utime(path, None)
    else:
        set_mtime(path, when)
