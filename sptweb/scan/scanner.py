"""The scanner singleton: the only code that touches run files.

It polls the runs root with `stat` (never inotify: it does not work on NFS),
keeps an immutable `Snapshot` of every run that views read without locks, and
publishes what changed to a `ChangeFeed` for the SSE streams.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

from ..config import Config
from ..edits import OverlayStore
from ..files import is_under
from ..logs import LogStore
from ..media import MediaStore
from ..metrics import MetricsStore
from . import index as index_store
from .allocation import bulk_allocation, give_back_free_memory
from .cadence import FULL_SWEEP_EVERY, ColdSubtrees, Subtree, next_poll_in
from .changes import ChangeFeed, ChangeSet
from .folder_visit import FolderVisitor, Item, below
from .loading_runs import LoadingRuns
from .probe import files_grew, same_for_table, summary_churn
from .records import REQUEUE_STATUS, RUNNING, RunRecord
from .slurm import SlurmWatcher
from .snapshot import Snapshot, SnapshotMemo
from .visiting import VISIT_BATCH, newest_first, visit_below
from .walk_processes import visit_in_processes, workers_for
from .walker import ListingCache

log = logging.getLogger(__name__)

# The persisted index is rewritten at most this often while runs change.
INDEX_SAVE_EVERY_S = 30.0
# ... and no more often than this many times its own last cost: writing 100,000 runs takes ~4 s of
# CPU, and while any run trains, runs change at every poll (2 % of a core at 50x: every ~3 min).
INDEX_SAVE_COST_RATIO = 50
# A first walk shows the runs it found so far this often (the table fills while it walks).
PROGRESS_EVERY_S = 0.5
# A training run's summary changes on every metrics flush (spt rewrites its
# sidecar each time): tables hear about such churn at most this often, while
# real changes (status, a new run, an edit) go out on the poll that sees them.
SUMMARY_CHURN_EVERY_S = 10.0
# A restart serves the table from the index's front part: the records of this many table pages of
# each stored view, either way, load before any other record (see loading_runs.py).
LEADING_PAGES = 2
# Where `init_app` registers the scanner; views reach it through the app.
EXTENSION_KEY = "sptweb.scanner"


class Scanner:
    """Discovery and change detection for one runs root; create once, `init_app` per app."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._scan_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None  # made by configure(), sized by the config
        # name -> a function of a Snapshot, from the app factory (web.warmers): run once when polling starts
        self.warmers: dict[str, Callable[[Snapshot], object]] = {}
        self.configure(Config())

    def configure(self, config: Config) -> None:
        """Point the scanner at a root and forget everything known about the old one."""
        self.stop()
        self.config = config
        self.roots = roots_of(config.runs_dir)  # (label, absolute path); the label prefixes ids when there are several
        self.root = ", ".join(path for _, path in self.roots)  # for people: pages and messages name it
        self.feed = ChangeFeed()
        self.snapshot = Snapshot()
        self._listings = ListingCache()
        self.metrics = MetricsStore(config.metrics_cache_mb << 20)  # parsed lazily, on first request
        self.logs = LogStore(config.log_templates, tuple(path for _, path in self.roots))
        self.media = MediaStore(embedded=lambda run_dir: self.metrics.get(run_dir, kind="tensorboard"))
        self.overlays = OverlayStore()
        self._polls = 0
        self.waiting_per_visit: float | None = None  # the last big level's sample (visiting.WAITING_VISIT_S)
        self._last_published: Mapping[str, RunRecord] = {}
        self._cold = ColdSubtrees()  # what each walk found per subtree, to skip the cold ones (cadence.py)
        self._roots_seen: set[str] = set()  # roots found at least once (or holding indexed runs): see vanished
        self._listings_pending = False  # the persisted listings wait for the first walk (load_index)
        self._slurm = SlurmWatcher()  # finds squeue/scontrol on PATH, or does nothing
        self._churn_pending: set[str] = set()  # runs whose summary churn is not announced yet
        self._churn_announced_at = 0.0
        self._index_dirty = False
        self._index_saved_at = 0.0
        self._index_save_gap = INDEX_SAVE_EVERY_S
        self._index_path = index_store.index_path(self.root, config.index_cache_dir)
        if self._pool is not None:
            self._pool.shutdown(wait=False)
        self._pool = ThreadPoolExecutor(max_workers=config.scan_threads, thread_name_prefix="sptweb-scan")

    def init_app(self, app, config: Config, warmers: dict | None = None) -> None:
        """Configure for this app, show the persisted index at once, start polling."""
        self.configure(config)
        self.warmers = dict(warmers or {})
        self.load_index()
        app.extensions[EXTENSION_KEY] = self
        if config.start_scanner:
            self.start()

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sptweb-scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop polling and wake every SSE stream so it can end; False if a walk is still under way."""
        self._stop.set()
        stopped = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=timeout)  # a walk stuck on a hung mount may never return
            stopped = not self._thread.is_alive()
        self._thread = None
        if getattr(self, "feed", None) is not None:
            self.feed.close()
        return stopped

    def _run(self) -> None:
        self._warm()
        while not self._stop.is_set():
            self._stop.wait(self.poll_and_pause())

    def poll_and_pause(self) -> float:
        """One poll, and the index save it may call for; the seconds to wait before the next poll.

        Only a steady poll's CPU sets the pause (cadence.POLL_CPU_SHARE): a first walk is a one-off,
        and the index save has its own budget (INDEX_SAVE_COST_RATIO). Counted, they paused polling
        for four minutes after a 100,000-run restart, and live runs went quiet.
        """
        first_walk = self.snapshot.phase != "ready"
        started = time.thread_time()
        try:
            self.scan_once()
        except Exception:  # a scan must never kill the thread: log and poll again
            log.exception("scan failed")
        poll_cpu = 0.0 if first_walk else time.thread_time() - started
        try:
            self._maybe_save_index()
        except Exception:
            log.exception("saving the index failed")
        # A steady poll's temporaries (a copy of the runs dict, a walk's visits) left 17 MB of freed heap
        # at 100,000 runs that glibc kept; handing it back costs 1 ms.
        give_back_free_memory()
        return next_poll_in(poll_cpu, self.config.poll_interval)

    def _warm(self) -> None:
        """Let the views derive what their first request needs (the table's sorted view of 100,000 runs
        takes ~1 s to build) from the snapshot a restart shows, here in the scanner thread, so no request
        pays for it. Later snapshots carry those results forward (see SnapshotMemo)."""
        for name, warm in list(self.warmers.items()):
            try:
                warm(self.snapshot)
            except Exception:  # a warmer must never stop polling
                log.exception("warming %s failed", name)

    # -- one poll ------------------------------------------------------------

    def scan_once(self) -> ChangeSet | None:
        """Walk the tree once, update the snapshot; return what changed, or None."""
        with self._scan_lock:
            now = time.time()
            sweep_turn = self._polls % FULL_SWEEP_EVERY
            self._polls += 1
            if self._listings_pending:
                self._load_listings()
            with bulk_allocation(self.snapshot.phase != "ready"):
                found, looked_at = self._walk(now, sweep_turn)
            self._ask_slurm(found, now, looked_at)
            return self._publish(found, now, looked_at)

    def _walk(self, now: float, sweep_turn: int) -> tuple[dict[str, RunRecord], list[str] | None]:
        """Breadth-first, one thread-pool map per level: NFS latency overlaps.

        Cold subtrees of big levels are walked only on their turn (see cadence.py). So the runs start as
        last known, and what this poll walks first drops its old runs, then adds what it finds: a
        skipped subtree costs nothing per run. Returns the runs and the ids of those this poll looked
        at (the only ones whose record can differ from the last; None on a first walk: all of them).
        """
        known = self.snapshot.runs
        first_walk = self.snapshot.phase != "ready"
        cold_start = first_walk and not known  # no saved index: nothing to reuse
        found: dict[str, RunRecord] = {} if first_walk else dict(known)
        self._cold.start(found)
        loose = Subtree([], [])  # what lies outside the subtrees of big levels (roots, small levels)
        walked: dict[str, Subtree] = {}  # subtrees of big levels walked by this poll, by their top directory
        tops: set[str] = set()  # every subtree top listed this poll, walked or not
        # (path, inside a sidecar run, root index, top of its subtree): below an spt run, Lightning's own
        # files (lightning_logs/) are part of that run, not runs of their own.
        frontier: list[Item] = [(path, False, index, None) for index, (_, path) in enumerate(self.roots)]
        dirs_done, shown_at = 0, time.monotonic()
        looked_at: list[str] = []

        visit = FolderVisitor(
            self.roots, self._listings, known, now, sweep_turn, self.config.stale_after, self.overlays
        )

        def expand(items: list[Item], results: list, left: int, descend: bool = True) -> list[Item]:
            """Take in one batch's results; return the folders below them (none if not `descend`: walk
            processes visited them already). `left`: folders still to visit."""
            nonlocal dirs_done, shown_at
            children: list[Item] = []
            for item, result in zip(items, results):
                seen, record, _ = result
                if seen is None:
                    continue
                top = item[3]
                subtree = loose if top is None else (walked.get(top) or walked.setdefault(top, Subtree([], [])))
                subtree.dirs.append(seen.path)
                if record is not None:
                    subtree.run_ids.append(record.run_id)
                    found[record.run_id] = record
                    looked_at.append(record.run_id)
                if descend:
                    children += below(item, result)
            dirs_done += len(items)
            if first_walk and time.monotonic() - shown_at > PROGRESS_EVERY_S:
                self._show_progress(found, dirs_done, dirs_done + left + len(children))
                shown_at = time.monotonic()
            return children

        while frontier:
            if len(frontier) <= VISIT_BATCH:  # a small level (the roots, projects): one batch, then the next level
                frontier = expand(frontier, visit.batch(frontier), 0)
                continue
            # A big level: each folder tops a subtree that a later poll may skip whole (cadence.py), and
            # every folder below it belongs to one; they are all visited now, each soon after its parent.
            tops.update(path for path, _, _, top in frontier if top is None)
            # A first walk fills the table as it goes: the folders that changed last first (after a
            # restart, as the saved listings know them: new folders first, and no stat each). Later
            # walks skip the cold subtrees whose turn it is not.
            if cold_start:
                frontier = newest_first(frontier, self._pool)
            elif first_walk:
                frontier = sorted(frontier, key=lambda item: self._listings.mtime_s(item[0]), reverse=True)
            else:
                frontier = self._cold.skip(frontier, found, self._polls)
            assert self._pool is not None  # configure() always makes one
            subtrees = [(path, spt, root, top or path) for path, spt, root, top in frontier]
            elsewhere = None  # a cold first walk of a big tree on a fast disk: on every core (walk_processes.py)
            workers = workers_for(len(subtrees), self.config.walk_processes) if cold_start else 1
            if workers > 1:
                elsewhere = partial(
                    visit_in_processes, take_in=partial(expand, descend=False), visitor=visit, workers=workers
                )
            self.waiting_per_visit = visit_below(subtrees, visit.batch, expand, self._pool, elsewhere)
            frontier = []
        self._cold.settle(first_walk, loose, walked, tops, found, self._listings, now)
        self._keep_runs_of_vanished_roots(loose, known, found)
        return found, None if first_walk else looked_at

    def _keep_runs_of_vanished_roots(self, loose: Subtree, known: Mapping, found: dict) -> None:
        """A root that was there and is gone (an unmounted NFS share, a renamed folder) keeps its runs as last
        seen, and the table says so: an empty table would read as "no runs" and lose the researcher's place."""
        seen = set(loose.dirs)
        for _, root in self.roots:
            if root in seen:
                self._roots_seen.add(root)
            elif root in self._roots_seen:
                kept = [run_id for run_id, run in known.items() if is_under(run.path, root)]
                found.update((run_id, known[run_id]) for run_id in kept)
                loose.run_ids.extend(kept)  # dropped again, and found again, by the walk that sees the root back

    @property
    def waiting_for(self) -> list[str]:
        """Roots that do not exist yet: the first run will create them; each poll looks again."""
        return [path for _, path in self.roots if path not in self._roots_seen and not os.path.isdir(path)]

    @property
    def vanished(self) -> list[str]:
        """Roots that existed and are gone: their runs stay listed as last seen."""
        return [path for _, path in self.roots if path in self._roots_seen and not os.path.isdir(path)]

    def _ask_slurm(self, found: dict[str, RunRecord], now: float, looked_at: list[str] | None) -> None:
        """Add SLURM's word to runs that name their job (run_meta.json): state while it matters, log paths once."""
        if not self._slurm.available:
            return
        jobs: dict[str, str] = {
            run_id: job for run_id, record in found.items() if (job := record.side.run_meta.slurm_job_id)
        }
        watched = {run_id for run_id in jobs if found[run_id].meta.status in (RUNNING, REQUEUE_STATUS)}
        states = self._slurm.states({jobs[run_id] for run_id in watched}, now)
        logs = self._slurm.log_paths({jobs[run_id] for run_id in jobs if not found[run_id].job_logs}, now)
        for run_id, job in jobs.items():
            record = found[run_id]
            state = states.get(job, record.job_state) if run_id in watched else record.job_state
            paths = logs.get(job, record.job_logs)
            if (state, paths) != (record.job_state, record.job_logs):
                found[run_id] = replace(record, job_state=state, job_logs=paths)
                if looked_at is not None:
                    looked_at.append(run_id)

    # -- edits -----------------------------------------------------------------

    def edit(self, run: RunRecord, edit: dict) -> RunRecord:
        """Write a validated edit to the run's overlay, then rescan so every tab sees it now."""
        self.overlays.edit(run.path, edit, run.meta.tags)
        self._cold.warm_up(run.path)
        self.scan_once()
        return self.snapshot.get(run.run_id) or run

    # -- publishing ----------------------------------------------------------

    def _show_progress(self, found: dict[str, RunRecord], done: int, total: int) -> None:
        """During the first walk, show what was found so far; after a restart, the persisted index
        with its views (a copy would drop them, and the next request would sort 100,000 runs again)
        until the walk has verified it."""
        current = self.snapshot
        runs: Mapping[str, RunRecord] = current.runs
        memo = current.memo
        if not (isinstance(runs, LoadingRuns) and runs):  # a cold start: what the walk found so far
            runs, memo = dict(found), SnapshotMemo()  # (a copy: the walk goes on adding to `found`)
        self.snapshot = Snapshot(runs, current.version, "walking", done, total, current.scanned_at, memo)

    def _publish(self, found: dict[str, RunRecord], now: float, looked_at: list[str] | None = None) -> ChangeSet | None:
        before = self._last_published
        added = found.keys() - before.keys()
        removed = before.keys() - found.keys()
        candidates = found.keys() & before.keys() if looked_at is None else set(looked_at) - added
        differing = [run_id for run_id in candidates if found[run_id] is not before[run_id]]
        # Growth is told whatever else changed in the same poll: live charts follow it.
        grew = {run_id for run_id in differing if files_grew(found[run_id], before[run_id])}
        visible = {run_id for run_id in differing if not same_for_table(found[run_id], before[run_id])}
        churn = {run_id for run_id in visible if summary_churn(found[run_id], before[run_id])}
        changed = (visible - churn) | self._announce_churn(churn, found, now)
        change = None
        if added or removed or differing or self._churn_pending or self.snapshot.phase != "ready":
            change = self.feed.publish(added, changed, removed, grew)
        walked = len(self._listings)  # directories the last walk reached
        published: Mapping[str, RunRecord] = found
        if not (added or removed or differing) and self.snapshot.phase == "ready":
            # the same runs: keep the dict and what views derived from it (sorted orders, counts)
            published, memo = before, self.snapshot.memo
        else:
            # Carry the sorted views and tallies over the runs that changed; not from a first walk's
            # progress snapshot, whose runs are not the `before` these changes are measured from.
            previous = self.snapshot.memo if self.snapshot.runs is before else None
            memo = SnapshotMemo(previous=previous, changed=added | removed | set(differing))
        self._last_published = published
        self.snapshot = Snapshot(published, self.feed.version, "ready", walked, walked, now, memo)
        if added or removed or differing:  # (a restart's first walk that finds nothing new saves nothing)
            self._index_dirty = True
        return change

    def _announce_churn(self, churn: set[str], found: dict[str, RunRecord], now: float) -> set[str]:
        """The runs whose summary churn is told now: all pending ones, once every SUMMARY_CHURN_EVERY_S."""
        self._churn_pending |= churn
        if not self._churn_pending or now - self._churn_announced_at < SUMMARY_CHURN_EVERY_S:
            return set()
        announced = self._churn_pending & found.keys()
        self._churn_pending, self._churn_announced_at = set(), now
        return announced

    # -- persisted index -----------------------------------------------------

    def load_index(self) -> None:
        """Show the last process's table at once from the index's front part; the other records load
        next (LoadingRuns), then the listings, and the first walk verifies them all."""
        path, root = self._index_path, self.root
        front = index_store.load(path, root, "front")
        if front is None:
            return

        def load_rest() -> dict | None:
            with bulk_allocation():
                return index_store.load(path, root, "runs", token=front["token"])

        runs = LoadingRuns(front["count"], front["records"], load_rest)
        self._last_published = runs
        self.snapshot = Snapshot(runs, 0, "walking", 0, 0, None, SnapshotMemo.restored(front["memo"], runs))
        self._listings_pending = True
        self._roots_seen.update(front["roots"])  # a root gone since keeps its runs (see vanished)

    def _load_listings(self) -> None:
        """The rest of the persisted index, before the first walk: every record (if no request asked
        for one yet) and the listings, so unchanged folders need no readdir."""
        self._listings_pending = False
        runs = self._last_published
        if isinstance(runs, LoadingRuns):
            self.snapshot.memo.share_ids(runs.everything())
        with bulk_allocation():
            listings = index_store.load(self._index_path, self.root, "listings")
        if listings is not None:
            self._listings.load(listings, paths=(run.path for run in runs.values()))

    def _maybe_save_index(self) -> None:
        if not self._index_dirty or time.time() - self._index_saved_at < self._index_save_gap:
            return
        started = time.thread_time()
        self.save_index()
        self._index_save_gap = max(INDEX_SAVE_EVERY_S, (time.thread_time() - started) * INDEX_SAVE_COST_RATIO)

    def save_index(self) -> None:
        """Write the index to the user's cache dir (never into the runs tree), with the views the next
        start opens on (the warmers bring them up to date first: a few changed runs to re-place)."""
        if self._index_path is None:
            return
        self._index_saved_at = time.time()
        self._index_dirty = False
        self._warm()
        snapshot = self.snapshot
        runs = snapshot.runs.everything() if isinstance(snapshot.runs, LoadingRuns) else dict(snapshot.runs)
        roots = [root for _, root in self.roots if any(is_under(run.path, root) for run in runs.values())]
        leading_rows = LEADING_PAGES * self.config.page_size
        front = index_store.front_part(runs, snapshot.memo.stored_entries(), roots, leading_rows)
        index_store.save(self._index_path, self.root, self._listings.export(), runs, front)
        give_back_free_memory()  # the pickled chunks: twice the size of the file (116 MB at 100,000 runs)


def roots_of(runs_dir: str) -> list[tuple[str, str]]:
    """(label, absolute path) per root of `runs_dir` (os.pathsep-separated); labels are folder names, made unique."""
    paths = list(dict.fromkeys(os.path.abspath(part) for part in runs_dir.split(os.pathsep) if part))
    roots, used = [], set()
    for path in paths or [os.path.abspath(".")]:
        label = os.path.basename(path) or "root"
        unique, number = label, 2
        while unique in used:
            unique, number = f"{label}-{number}", number + 1
        used.add(unique)
        roots.append((unique, path))
    return roots


scanner = Scanner()  # the one scanner of this process; `create_app` points it at the runs root


def scanner_of(app) -> Scanner:
    """The scanner `init_app` registered on this app."""
    return app.extensions[EXTENSION_KEY]
