"""Log streams of a run: discovery in FORMAT.md's three places, seek-based reading, rendering, search."""
from .discovery import LogStream
from .store import LogStore

__all__ = ["LogStore", "LogStream"]
