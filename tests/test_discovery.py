"""Discovery and change detection, driven synchronously with scan_once()."""

import os
import sys
import threading

import pytest
from conftest import NOW, write_sidecar

import sptweb.scan.probe as probe
import sptweb.scan.visiting as visiting
from sptweb.scan import Scanner
from sptweb.scan.cadence import FULL_SWEEP_EVERY, sweep_turn_of


@pytest.fixture
def ids(scanner):
    """ids() -> the sorted run ids of the current snapshot (or of the one given)."""
    return lambda snapshot=None: sorted((snapshot or scanner.snapshot).runs)


def test_finds_runs_at_any_depth_including_nested_ones(make_run, scan, ids):
    make_run("top")
    make_run("proj3/4000001_7/run")
    make_run("proj3/4000001_7/run/inner/child")  # a run inside a run
    make_run("a/logs")
    scan()
    assert ids() == ["a/logs", "proj3/4000001_7/run", "proj3/4000001_7/run/inner/child", "top"]


def test_symlink_loop_is_not_followed(make_run, runs_root, scan, ids):
    run_dir = make_run("p/run")
    os.symlink(runs_root, run_dir / "loop")
    os.symlink(runs_root / "p", runs_root / "p-alias")
    scan()
    assert ids() == ["p/run"]


def test_temp_files_and_checkpoint_dirs_are_not_runs(make_run, runs_root, scan, ids):
    run_dir = make_run("r")
    (run_dir / ".sidecar.json.123.tmp").write_text("{}")
    (run_dir / "checkpoints" / "x").mkdir(parents=True)
    (run_dir / "checkpoints" / "x" / "sidecar.json").write_text("{}")
    other = runs_root / "notarun"
    other.mkdir()
    (other / ".sidecar.json.9.tmp").write_text("{}")
    scan()
    assert ids() == ["r"]


def test_root_that_is_itself_a_run_is_listed_by_folder_name(runs_root, make_run, scan, ids):
    write_sidecar(runs_root, {"status": "completed"})
    scan()
    assert ids() == ["runs"]


def test_new_changed_and_removed_runs_are_reported(make_run, runs_root, scan, scanner):
    make_run("a")
    make_run("b")
    first = scan()
    assert first.added == {"a", "b"}
    make_run("c")
    write_sidecar(runs_root / "a", {"status": "failed"})
    (runs_root / "b" / "sidecar.json").unlink()
    change = scan()
    assert change.added == {"c"} and change.changed == {"a"} and change.removed == {"b"}
    assert scanner.snapshot.get("a").status == "failed"
    assert scan() is None  # nothing changed, nothing published


def test_sidecar_that_breaks_after_being_known_stays_listed_with_its_error(make_run, runs_root, scan, scanner):
    make_run("good", status="running", tags=["keep"])
    make_run("other")
    scan()
    write_sidecar(runs_root / "good", b'{"status": "runn')
    scan()
    run = scanner.snapshot.get("good")
    assert run.error and "not valid JSON" in run.error
    assert run.meta.tags == ("keep",)  # last good metadata still shown
    assert "other" in scanner.snapshot.runs
    write_sidecar(runs_root / "good", {"status": "completed"})
    scan()
    assert scanner.snapshot.get("good").error is None


def test_every_broken_sidecar_still_lists_every_other_run(make_run, scan, scanner, ids):
    broken = {
        "nan": b'{"status": "running", "summary": {"loss": NaN}}',
        "list": b"[]",
        "latin1": b'{"status": "completed", "notes": "\xe9t\xe9"}',
        "truncated": b'{"status": "comp',
        "empty": b"",
        "wrongtypes": b'{"hparams": [1], "tags": {}, "created_at": "x"}',
    }
    for name, raw in broken.items():
        make_run(f"broken/{name}", raw=raw)
    make_run("fine")
    scan()
    assert ids() == sorted([f"broken/{name}" for name in broken] + ["fine"])
    errors = {run_id: run.error for run_id, run in scanner.snapshot.runs.items()}
    assert errors["broken/nan"] is None and errors["broken/latin1"] is None and errors["broken/wrongtypes"] is None
    assert errors["broken/list"] and errors["broken/truncated"] and errors["broken/empty"]


def test_sidecar_deleted_between_listing_and_reading_drops_only_that_run(make_run, runs_root, monkeypatch, scan, ids):
    make_run("a")
    make_run("b")
    real_stat = probe._stat_run_files

    def stat_after_delete(folder, present):
        if folder.path.endswith("/a"):
            (runs_root / "a" / "sidecar.json").unlink(missing_ok=True)
        return real_stat(folder, present)

    monkeypatch.setattr(probe, "_stat_run_files", stat_after_delete)
    scan()
    assert ids() == ["b"]


def test_stale_means_running_with_no_sign_of_life_for_too_long(make_run, scan, scanner):
    make_run("fresh", status="running", ended_at=None, heartbeat_age=30)
    make_run("old", status="running", ended_at=None, heartbeat_age=301, updated_at=NOW - 400)
    make_run("nobeat", status="running", ended_at=None)
    make_run("done-old", status="completed", heartbeat_age=10_000)
    scan()
    stale = {run_id: run.stale for run_id, run in scanner.snapshot.runs.items()}
    assert stale == {"fresh": False, "old": True, "nobeat": False, "done-old": False}
    assert scanner.snapshot.get("old").status == "stale"


def test_steady_poll_reads_no_sidecar_of_unchanged_runs(make_run, monkeypatch, scan, scanner):
    done = [make_run(f"done/{index}") for index in range(200)]
    make_run("live", status="running", ended_at=None, heartbeat_age=1)
    scan()
    reads, stats = [], []
    real_read, real_stat = probe._read_sidecar, probe._stat_run_files
    monkeypatch.setattr(probe, "_read_sidecar", lambda *a: reads.append(a) or real_read(*a))
    monkeypatch.setattr(
        probe, "_stat_run_files", lambda folder, present: stats.append(folder.path) or real_stat(folder, present)
    )
    turn = scanner._polls % FULL_SWEEP_EVERY
    assert scan() is None
    assert reads == []
    # finished runs cost only their folder's stat, but for the few whose turn it is to be re-checked
    due = sorted(str(path) for path in done if sweep_turn_of(str(path)) == turn)
    assert sorted(stats) == sorted([*due, str(scanner.snapshot.runs["live"].path)])
    assert len(due) < 200 / FULL_SWEEP_EVERY * 3  # spread over the polls, never all at once


def test_a_hand_edit_in_place_is_seen_within_one_sweep(make_run, scan, scanner):
    run_dir = make_run("done/edited", notes="before")
    scan()
    sidecar = run_dir / "sidecar.json"
    mtime = os.stat(run_dir).st_mtime_ns
    sidecar.write_text(sidecar.read_text().replace('"before"', '"after!"'))  # same folder entries: no relist
    os.utime(run_dir, ns=(mtime, mtime))
    polls = 0
    while scanner.snapshot.runs["done/edited"].meta.notes != "after!":
        scan()
        polls += 1
        assert polls <= FULL_SWEEP_EVERY  # its turn comes once every FULL_SWEEP_EVERY polls
    assert (scanner._polls - 1) % FULL_SWEEP_EVERY == sweep_turn_of(str(run_dir))  # and on its turn


def test_a_poll_that_changes_nothing_keeps_what_views_derived(make_run, runs_root, scan, scanner):
    make_run("a")
    scan()
    memo = scanner.snapshot.memo
    assert scan() is None and scanner.snapshot.memo is memo  # sorted orders and counts stay valid
    make_run("b")
    scan()
    assert scanner.snapshot.memo is not memo


def test_metrics_append_is_a_touch_not_a_table_change(make_run, runs_root, scan):
    make_run("live", status="running", ended_at=None, heartbeat_age=1, metrics="step,loss\n0,1\n")
    scan()
    with open(runs_root / "live" / "metrics.csv", "a") as handle:
        handle.write("1,0.5\n")
    change = scan()
    assert change.touched == {"live"} and not change.table_changed


def test_listing_cache_skips_readdir_of_unchanged_folders(make_run, monkeypatch, scan):
    make_run("p/a")
    make_run("p/b")
    scan()
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(path) or real_scandir(path))
    scan()
    assert listed == []


def test_persisted_index_shows_runs_before_the_first_walk(
    make_run, runs_root, tmp_path, app, scan, scanner, monkeypatch
):
    make_run("x/one")
    make_run("x/two")
    scan()
    scanner.save_index()
    restarted = Scanner()
    restarted.configure(scanner.config)
    restarted.load_index()
    assert sorted(restarted.snapshot.runs) == ["x/one", "x/two"]
    assert restarted.snapshot.phase == "walking"
    assert len(restarted._listings) == 0  # the table needs only the runs: listings wait for the first walk
    listed = []
    real_scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path: listed.append(path) or real_scandir(path))
    assert restarted.scan_once() is not None  # the first walk verifies and marks ready
    assert listed == []  # ... with the persisted listings: no folder changed, none is read again
    assert restarted.snapshot.phase == "ready"
    restarted.stop()


def test_slow_filesystem_walk_on_the_pool_finds_the_same_runs(make_run, scan, scanner, ids, monkeypatch):
    for index in range(150):
        make_run(f"many/{index:03d}/run")
    scan()
    inline = ids()
    scanner.configure(scanner.config)
    monkeypatch.setattr(visiting, "WAITING_VISIT_S", -1.0)  # every visit "waits", as on NFS: the pool
    scan()
    assert ids() == inline and len(inline) == 150


def test_an_index_saved_by_another_version_is_ignored(make_run, scan, tmp_path, scanner):
    import pickle

    import sptweb.scan.index as index_store

    make_run("x/one")
    scan()
    scanner.save_index()
    path = scanner._index_path
    assert index_store.load(path, scanner.root) is not None
    with open(path, "rb") as handle:
        header, chunks = pickle.load(handle), handle.read()  # the header, then the records' chunks
    header["shape"] = "from-an-older-sptweb"
    with open(path, "wb") as handle:
        pickle.dump(header, handle)
        handle.write(chunks)
    assert index_store.load(path, scanner.root) is None


def test_a_busy_request_thread_does_not_send_the_walk_to_the_pool(make_run, scan, scanner):
    """Waiting for the GIL behind another thread is not waiting for the disk: threads would not help."""
    for index in range(70):  # one big level: its first 64 folders are the sample
        make_run(f"many/{index:03d}/run")
    done = threading.Event()

    def busy() -> None:  # a page being rendered meanwhile: pure Python, holding the GIL in turns
        while not done.is_set():
            sum(range(1000))

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # the GIL comes back sooner after each syscall: a quick test
    thread = threading.Thread(target=busy)
    thread.start()
    try:
        scan()
    finally:
        done.set()
        thread.join()
        sys.setswitchinterval(switch_interval)
    assert scanner.waiting_per_visit is not None
    assert scanner.waiting_per_visit < visiting.WAITING_VISIT_S


def test_a_folder_s_path_is_one_string_shared_by_its_listing_subtree_and_run(make_run, scan, scanner):
    for index in range(70):  # a big level: its folders top subtrees
        make_run(f"many/{index:03d}/run")
    scan()
    scan()  # a second walk joins the names again; what it keeps must be the cache's strings
    run = scanner.snapshot.runs["many/007/run"]
    listing = scanner._listings._listings[run.path]
    assert listing.path is run.path
    subtree = scanner._cold.subtrees[os.path.dirname(run.path)]
    assert all(any(kept is path for path in scanner._listings._listings) for kept in subtree.dirs[:1])


def test_a_first_walk_finds_the_most_recently_changed_folders_first(make_run, scan, scanner):
    """The table fills while a first walk goes: the runs of the folders that changed last come first."""
    for index in range(70):
        make_run(f"sweep/{index:03d}/run")
        job = scanner.config.runs_dir + f"/sweep/{index:03d}"
        age = 70 if index != 42 else 1  # job 042 changed last
        os.utime(job, (NOW - age - index, NOW - age - index))
    scan()
    order = list(scanner.snapshot.runs)
    assert order[0] == "sweep/042/run"
    assert order[1:4] == ["sweep/000/run", "sweep/001/run", "sweep/002/run"]  # then by age
