"""Search a whole log on the server, streaming matches with line numbers, bounded."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

CHUNK = 8 << 20  # read 8 MB at a time: a 2 GB log never sits in memory
BUDGET_S = 30.0  # a search stops here (a 2 GB log takes 3-4 s): an abandoned one cannot run on for minutes
MAX_MATCHES = 500  # enough to read, small enough to render
MAX_LINE = 2000  # characters of a matching line shown


class SearchTimeout(Exception):
    """The search ran out of its time budget; the matches so far were yielded."""


@dataclass(frozen=True)
class Match:
    line: int  # 1-based line number
    offset: int  # byte offset of the line's start
    text: str


@dataclass(frozen=True)
class Query:
    pattern: re.Pattern[bytes]
    fold: bool  # search a lower-cased copy of each block (same offsets: bytes.lower() keeps lengths)


def compile_query(query: str, regex: bool) -> Query:
    """Raises re.error for a bad regex.

    Smart case, as ripgrep does: an all-lowercase query ignores case, any
    capital makes it exact. A plain-text query ignoring case searches
    lower-cased blocks, so `re` keeps its fast literal search (4x faster than
    IGNORECASE on a 2 GB log).
    """
    ignore_case = query == query.lower()
    if not regex:
        return Query(re.compile(re.escape(query.encode("utf-8"))), fold=ignore_case)
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0)  # ^ and $: line start and end
    return Query(re.compile(query.encode("utf-8"), flags), fold=False)


def search(path: str, query: Query, limit: int = MAX_MATCHES, budget_s: float = BUDGET_S):
    """Yield Match for each matching line, in file order, up to `limit`; SearchTimeout past `budget_s`."""
    deadline = time.monotonic() + budget_s
    found = 0
    line_number = 1  # of the first line in `pending`
    offset = 0  # of the first byte in `pending`
    pending = b""
    with open(path, "rb") as handle:
        while found < limit:
            if time.monotonic() > deadline:
                raise SearchTimeout(f"stopped after {budget_s:.0f} s")
            block = handle.read(CHUNK)
            pending += block
            cut = pending.rfind(b"\n") + 1 if block else len(pending)
            complete, pending_rest = pending[:cut], pending[cut:]
            for match in _matches_in(complete, query, line_number, offset):
                yield match
                found += 1
                if found >= limit:
                    return
            line_number += complete.count(b"\n")
            offset += len(complete)
            pending = pending_rest
            if not block:
                return


def _matches_in(data: bytes, query: Query, first_line: int, base_offset: int):
    """Matching lines of a block of complete lines; line numbers by counting newlines once."""
    last_end, line = 0, first_line
    haystack = data.lower() if query.fold else data
    for hit in query.pattern.finditer(haystack):
        start = data.rfind(b"\n", 0, hit.start()) + 1
        if start < last_end:
            continue  # another hit on a line already reported
        line += data.count(b"\n", last_end, start)
        end = data.find(b"\n", hit.end())
        end = len(data) if end < 0 else end
        text = data[start:end].decode("utf-8", errors="replace")[:MAX_LINE]
        yield Match(line, base_offset + start, text)
        last_end = end + 1
        line += 1
