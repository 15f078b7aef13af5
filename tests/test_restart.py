"""A restart serves the table from the persisted index's front part, before the other records load."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import row_ids

import sptweb.scan.index as index_store
from sptweb.scan import scanner_of
from sptweb.scan.loading_runs import LoadingRuns

scanner_module = sys.modules["sptweb.scan.scanner"]  # (the package's `scanner` is the singleton)


@pytest.fixture
def saved(make_run, make_app, monkeypatch):
    """Twelve runs, indexed and saved by a first process whose pages are 3 rows; its table pages."""
    monkeypatch.setattr(scanner_module, "LEADING_PAGES", 1)  # the front holds one page of 3 rows each way
    for index in range(12):
        make_run(f"sweep/r{index:02d}", created_at=1_700_000_000 + index, summary={"val/acc": index / 10})
    first = make_app(page_size=3)
    scanner_of(first).scan_once()
    client = first.test_client()
    pages = {page: row_ids(client.get(f"/?page={page}").text) for page in (1, 3)}
    scanner_of(first).save_index()
    return pages


def test_the_first_page_comes_from_the_front_without_loading_every_record(saved, make_app):
    restarted = make_app(page_size=3)  # the same scanner singleton, configured again: a restart
    runs = scanner_of(restarted).snapshot.runs
    assert isinstance(runs, LoadingRuns) and not runs.loaded and len(runs) == 12
    page = restarted.test_client().get("/")
    assert row_ids(page.text) == saved[1] == ["sweep/r11", "sweep/r10", "sweep/r09"]
    assert "12 runs · page 1 of 4" in page.text
    assert not runs.loaded  # the stored view and its first rows were enough
    assert row_ids(restarted.test_client().get("/?page=3").text) == saved[3]  # deeper: the rest loads
    assert runs.loaded


def test_the_first_walk_verifies_the_restored_table(saved, make_app, make_run):
    make_run("sweep/r12", created_at=1_700_000_100)  # a run started while sptweb was down
    restarted = make_app(page_size=3)
    scanner = scanner_of(restarted)
    assert scanner.scan_once() is not None
    assert scanner.snapshot.phase == "ready" and isinstance(scanner.snapshot.runs, dict)
    assert row_ids(restarted.test_client().get("/").text) == ["sweep/r12", "sweep/r11", "sweep/r10"]


def test_restored_views_hold_the_records_own_run_ids_once_they_load(saved, make_app):
    """A stored view's ids were unpickled apart from the records: equal copies, 7 MB per view at 100,000 runs."""
    scanner = scanner_of(make_app(page_size=3))
    (view,) = [entry for entry in scanner.snapshot.memo._incremental.values() if hasattr(entry, "ids")]
    assert view.ids(0, 12, descending=True)[:3] == saved[1]
    scanner.scan_once()  # loads every record before it walks
    runs = scanner.snapshot.runs
    ids = view.ids(0, 12, descending=True)
    assert len(ids) == 12 and all(run_id is runs[run_id].run_id for run_id in ids)


def test_unreadable_records_leave_the_front_and_no_error(saved, make_app):
    scanner = scanner_of(make_app(page_size=3))
    with open(scanner._index_path, "wb") as handle:  # the runs part, written by a crashed save
        handle.write(b"\x80\x05 not a pickle")
    restarted = make_app(page_size=3)
    client = restarted.test_client()
    assert row_ids(client.get("/").text) == saved[1]
    deeper = client.get("/?page=3")
    assert deeper.status_code == 200 and row_ids(deeper.text) == []  # not shown, not a 500
    scanner_of(restarted).scan_once()  # the first walk finds them all again
    assert row_ids(client.get("/?page=3").text) == saved[3]


def test_records_of_another_save_are_not_mixed_with_this_front(saved, make_app):
    scanner = scanner_of(make_app(page_size=3))
    front = index_store.load(scanner._index_path, scanner.root, "front")
    assert index_store.load(scanner._index_path, scanner.root, "runs", token=front["token"]) is not None
    assert index_store.load(scanner._index_path, scanner.root, "runs", token="another save") is None


def test_a_restart_that_finds_nothing_new_does_not_write_the_index_again(saved, make_app):
    scanner = scanner_of(make_app(page_size=3))
    scanner.scan_once()
    assert scanner.snapshot.phase == "ready" and not scanner._index_dirty


def test_a_costly_index_is_saved_less_often(make_run, make_app, monkeypatch):
    make_run("a/run")
    scanner = scanner_of(make_app())
    scanner.scan_once()  # a first walk: everything is new, the index is due
    assert scanner._index_dirty
    thread_times = [0.0, 2.0]  # before and after the save: it took 2 s of CPU
    monkeypatch.setattr(scanner_module.time, "thread_time", lambda: thread_times.pop(0) if thread_times else 2.0)
    scanner._maybe_save_index()
    assert not scanner._index_dirty
    assert scanner._index_save_gap == 2.0 * scanner_module.INDEX_SAVE_COST_RATIO  # 100 s, not 30


def test_views_stored_by_other_code_are_built_afresh(saved, make_app, monkeypatch):
    """A stored view is only advanced after a restart: one another version sorted differently would stay wrong."""
    import sptweb.scan.snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "source_fingerprint", lambda: "another sptweb")
    restarted = make_app(page_size=3)
    runs = scanner_of(restarted).snapshot.runs
    assert row_ids(restarted.test_client().get("/").text) == saved[1]  # still right: built from every record
    assert runs.loaded


def test_a_truncated_records_file_leaves_the_front(saved, make_app):
    scanner = scanner_of(make_app(page_size=3))
    size = os.path.getsize(scanner._index_path)
    with open(scanner._index_path, "r+b") as handle:  # a disk that filled up under an earlier save
        handle.truncate(size // 2)
    restarted = make_app(page_size=3)
    client = restarted.test_client()
    assert row_ids(client.get("/").text) == saved[1]
    assert client.get("/?page=3").status_code == 200


def test_runs_of_the_real_writers_come_back_the_same_after_a_restart(runs_root, make_app):
    """Recorded stable-pretraining runs (completed, failed, killed, requeued): indexed, saved, restarted."""
    from sptweb.demo.replay import Replayer, load_trace, recordings_dir

    for scenario in ("completed", "failed", "killed", "requeued"):
        Replayer(load_trace(recordings_dir() / f"{scenario}.jsonl"), runs_root).play()
    first = make_app()
    scanner_of(first).scan_once()
    before = dict(scanner_of(first).snapshot.runs)
    page = row_ids(first.test_client().get("/").text)
    scanner_of(first).save_index()
    restarted = make_app()
    assert row_ids(restarted.test_client().get("/").text) == page and len(page) == 4
    scanner = scanner_of(restarted)
    assert dict(scanner.snapshot.runs.items()) == before  # every field, as saved
    scanner.scan_once()
    assert scanner.snapshot.runs == before and not scanner._index_dirty  # the first walk found nothing to change


def test_records_loaded_from_many_chunks_share_what_they_hold_equal(make_run, make_app, monkeypatch):
    """A pickle shares equal objects only within itself: without help each chunk (and each walk
    process's batch) brought its own copies of the empty overlay, tag lists and statuses."""
    from sptweb.edits.overlay import EMPTY
    from sptweb.scan.sidefiles import NO_SIDE_FILES

    monkeypatch.setattr(index_store, "CHUNK_ENTRIES", 2)
    for index in range(9):
        make_run(
            f"sweep/r{index}",
            tags=["sweep:7", "vit"],
            status="completed",
            hparams={"lr": index / 10, "x" * 300: index},  # (a key too long to be interned is shared all the same)
        )
    first = make_app()
    scanner_of(first).scan_once()
    scanner_of(first).save_index()
    restarted = scanner_of(make_app())
    records = list(restarted.snapshot.runs.values())  # (loads every chunk)
    assert len(records) == 9
    assert all(run.overlay is EMPTY and run.side is NO_SIDE_FILES for run in records)
    assert len({id(run.tags) for run in records}) == 1 and len({id(run.status) for run in records}) == 1
    assert len({id(key) for run in records for key in run.meta.hparams}) == 2  # one string per hparam name
    assert sorted(run.meta.hparams["lr"] for run in records) == [index / 10 for index in range(9)]


def test_a_restart_walks_the_folders_new_since_the_save_first_without_stat_ing_each_top(
    make_run, make_app, monkeypatch, runs_root
):
    """After a restart the saved listings know when each job folder last changed: the walk goes newest
    first by them (new folders first), and does not stat 100,000 folders to sort them."""
    for task in range(70):  # a big level: more than one batch of job folders
        make_run(f"sweep/{4000 + task}_0/run", created_at=1_700_000_000 + task)
        os.utime(runs_root / "sweep" / f"{4000 + task}_0", (1_700_000_000 + task, 1_700_000_000 + task))
    first = make_app()
    scanner_of(first).scan_once()
    scanner_of(first).save_index()
    make_run("sweep/3999_0/run", created_at=1_700_000_100)  # started while sptweb was down (and sorts first by name)

    restarted = scanner_of(make_app())
    monkeypatch.setattr(scanner_module, "newest_first", lambda *args: pytest.fail("a restart stat-ed every top"))
    visited: list[str] = []
    real = scanner_module.ListingCache.visit
    monkeypatch.setattr(
        scanner_module.ListingCache, "visit", lambda self, path: visited.append(path) or real(self, path)
    )
    restarted.scan_once()
    tops = [path for path in visited if os.path.dirname(path) == str(runs_root / "sweep")]
    names = [os.path.basename(path) for path in tops]
    assert names[:3] == ["3999_0", "4069_0", "4068_0"]  # the new folder, then the newest saved ones
    assert len(restarted.snapshot.runs) == 71
