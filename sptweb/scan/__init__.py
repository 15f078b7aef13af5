"""Discovery: the only code that finds runs and reads their metadata files.

The scanner singleton polls the runs root with `stat` (NFS-safe, no inotify),
probes each run's files, keeps an immutable `Snapshot` for the views, publishes
what changed to a `ChangeFeed` for the SSE streams, and persists its index in
the user's cache directory so a restart shows the table at once.
"""

from .changes import ChangeFeed, ChangeSet
from .file_sigs import RunFiles
from .records import RunRecord, column_value
from .scanner import Scanner, scanner, scanner_of
from .sidecar import SidecarError, SidecarMeta, parse_sidecar
from .snapshot import Snapshot

__all__ = [
    "ChangeFeed",
    "ChangeSet",
    "RunFiles",
    "RunRecord",
    "Scanner",
    "SidecarError",
    "SidecarMeta",
    "Snapshot",
    "column_value",
    "parse_sidecar",
    "scanner",
    "scanner_of",
]
