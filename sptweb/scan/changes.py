"""Broadcast of run changes from the scanner thread to any number of listeners.

One condition variable and a short history instead of a queue per listener:
a slow SSE client can never back up the scanner, and a listener that fell
behind the history is simply told that everything changed.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

HISTORY = 256  # change sets kept for listeners that are between two waits


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The run ids one scan added, changed (what the table shows), removed, or touched (files grew)."""

    version: int
    added: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()
    touched: frozenset[str] = frozenset()  # metrics/media/heartbeat grew, whatever else changed
    everything: bool = False  # the listener missed history: assume any run changed

    @property
    def table_changed(self) -> bool:
        """Does the run table need a refresh? Not for a metrics append or a heartbeat."""
        return self.everything or bool(self.added or self.changed or self.removed)

    def meta_changed(self, run_id: str) -> bool:
        return self.everything or run_id in self.added or run_id in self.changed or run_id in self.removed

    def files_changed(self, run_id: str) -> bool:
        return self.everything or run_id in self.touched


class ChangeFeed:
    """Publish change sets; wait for those newer than a version."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._history: deque[ChangeSet] = deque(maxlen=HISTORY)
        self._version = 0
        self._closed = False

    @property
    def version(self) -> int:
        return self._version

    def publish(self, added=(), changed=(), removed=(), touched=()) -> ChangeSet:
        with self._condition:
            self._version += 1
            change = ChangeSet(
                self._version, frozenset(added), frozenset(changed), frozenset(removed), frozenset(touched)
            )
            self._history.append(change)
            self._condition.notify_all()
            return change

    def wait(self, after: int, timeout: float) -> list[ChangeSet]:
        """Change sets newer than `after`, waiting up to `timeout` s for one; [] on timeout."""
        with self._condition:
            self._condition.wait_for(lambda: self._version > after or self._closed, timeout)
            if self._version <= after:
                return []
            newer = [change for change in self._history if change.version > after]
            if not newer or newer[0].version != after + 1:
                return [ChangeSet(self._version, everything=True)]
            return newer

    def close(self) -> None:
        """Wake every waiter so streams can end at shutdown."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
