"""Runtime settings: defaults, overridable by a dict or SPTWEB_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

# A run whose status is `running` but whose heartbeat is older than this is
# shown as stale (docs/format.md: 300 s).
DEFAULT_STALE_AFTER_S = 300.0
# One poll a second keeps the table live without loading NFS: a steady poll
# costs about one stat per finished run.
DEFAULT_POLL_S = 1.0


class StartupError(Exception):
    """A problem the user can fix (bad folder, busy port, a token file others can read): one line, exit 1."""


@dataclass(frozen=True)
class Config:
    """Everything the app and the scanner need to know at start-up."""

    runs_dir: str = "."
    host: str = "127.0.0.1"  # where the server listens (the Host allowlist includes it)
    port: int = 4242
    auth: bool = True  # token auth; turned off only by --no-auth (or SPTWEB_AUTH=0)
    token: str | None = None  # None: the one kept in ~/.config/sptweb/token (created on first start)
    allowed_hosts: tuple[str, ...] = ()  # extra Host header names to answer (--allow-host)
    poll_interval: float = DEFAULT_POLL_S
    stale_after: float = DEFAULT_STALE_AFTER_S
    scan_threads: int = 64  # NFS round trips in flight: latency, not CPU, bounds a walk (64 beat 16 by 1.3x at 2 ms)
    walk_processes: int = 0  # a cold first walk's worker processes: 0, one per core (up to 16); 1, none
    start_scanner: bool = True  # tests turn the thread off and call scan_once()
    page_size: int = 100  # rows per table page; never 10,000 rows of HTML
    sse_lifetime: float = 300.0  # seconds before a stream closes; the browser reconnects
    sse_keepalive: float = 15.0  # comment lines keep proxies and tunnels from idling out
    max_sse_streams: int = 40  # beyond this, clients fall back to polling
    read_only: bool = False  # --read-only: no edit controls, edit endpoints answer 403
    metrics_cache_mb: int = 1024  # parsed metrics kept in memory (LRU by run)
    index_cache_dir: str | None = None  # where the persisted index lives; None = user cache dir
    log_templates: tuple[str, ...] = ()  # --logs: job log paths with {slurm_job_id}-style fields

    @classmethod
    def from_env(cls, overrides: dict | None = None) -> Config:
        """Defaults, then SPTWEB_<FIELD> environment variables, then explicit overrides."""
        values = {}
        for field in fields(cls):
            raw = os.environ.get(f"SPTWEB_{field.name.upper()}")
            if raw is not None:
                values[field.name] = _coerce(raw, field.type)
        values.update(overrides or {})
        return replace(cls(), **values)


def _coerce(raw: str, type_name: str):
    """Turn an environment string into the field's declared type."""
    if type_name == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if type_name == "int":
        return int(raw)
    if type_name == "float":
        return float(raw)
    if type_name.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
