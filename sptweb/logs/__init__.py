"""Log streams of a run: discovery in docs/format.md's three places, seek-based reading, rendering, search."""

from .discovery import LogStream
from .store import LogStore

__all__ = ["LogStore", "LogStream"]
