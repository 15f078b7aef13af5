"""A cold first walk in worker processes finds exactly what the scanner's own walk finds."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest
from conftest import NOW

import sptweb.scan.walk_processes as walk_processes
from sptweb.config import Config
from sptweb.scan import Scanner

scanner_module = sys.modules["sptweb.scan.scanner"]  # (the package's `scanner` is the singleton)


@pytest.fixture
def varied_tree(make_run, runs_root, monkeypatch):
    """90 job folders (a big level) of every kind of run, some of them broken; processes from 10 tops."""
    monkeypatch.setattr(walk_processes, "MIN_TOPS", 10)
    monkeypatch.setattr(walk_processes, "TOPS_PER_TASK", 7)  # many tasks, each of several tops
    statuses = ["completed", "failed", "running", "finished"]
    for index in range(80):
        make_run(
            f"sweep/{index:03d}/run",
            status=statuses[index % 4],
            heartbeat_age=5 if index % 4 == 2 else None,
            hparams={"lr": index / 1000, "model": {"depth": index % 5}},
            summary={"val/acc": index / 100},
            tags=["sweep:1", "vit" if index % 2 else "mae"],
            metrics="step,loss\n1,0.5\n",
        )
    make_run("sweep/080/run", raw=b'{"status": "runn')  # caught mid-write
    os.makedirs(runs_root / "sweep/081/run")
    os.mkfifo(runs_root / "sweep/081/run/sidecar.json")  # a FIFO: must not block the worker
    for index in range(82, 88):  # Lightning's CSVLogger: no sidecar
        version = runs_root / f"sweep/{index:03d}/lightning_logs/version_0"
        version.mkdir(parents=True)
        (version / "metrics.csv").write_text("step,train_loss\n0,1.0\n")
        (version / "hparams.yaml").write_text("lr: 0.1\n")
        os.utime(version / "metrics.csv", (NOW - 7200, NOW - 7200))
    inner = make_run("sweep/088/run") / "lightning_logs/version_0"  # Lightning's files inside an spt run
    inner.mkdir(parents=True)
    (inner / "metrics.csv").write_text("step,x\n0,1\n")
    odd = os.path.join(os.fsencode(runs_root), b"sweep/089-\xff/run")  # a folder name that is not UTF-8
    os.makedirs(odd)
    with open(os.path.join(odd, b"sidecar.json"), "wb") as handle:
        handle.write(b'{"status": "completed", "hparams": {"lr": 0.5}}')
    make_run("sweep/089-x/run")
    return runs_root


def first_walk(runs_root, workers: int) -> Scanner:
    scanner = Scanner()
    scanner.configure(Config(runs_dir=str(runs_root), index_cache_dir="", start_scanner=False, walk_processes=workers))
    scanner.scan_once()
    return scanner


def test_processes_find_the_same_runs_and_listings_as_the_scanners_own_walk(varied_tree, monkeypatch):
    left_over = []

    def spying(*args, **kwargs):
        left_over.append(walk_processes.visit_in_processes(*args, **kwargs))
        return left_over[-1]

    monkeypatch.setattr(scanner_module, "visit_in_processes", spying)
    inline = first_walk(varied_tree, workers=1)
    assert left_over == []  # one worker: walked here
    spread = first_walk(varied_tree, workers=2)
    assert left_over == [[]]  # walked in processes, every task taken in
    assert len(spread.snapshot.runs) == len(inline.snapshot.runs) == 91
    assert spread.snapshot.runs == inline.snapshot.runs
    assert spread._listings.export() == inline._listings.export()
    assert spread.snapshot.runs["sweep/080/run"].error and spread.snapshot.runs["sweep/081/run"].error
    # What the processes found serves the next polls as the scanner's own walk would: nothing changed.
    assert spread.scan_once() is None
    record = spread.snapshot.runs["sweep/007/run"]
    assert record.path is spread._listings.export()[record.path].path  # one string, as when walked here


def test_a_walk_whose_processes_cannot_start_walks_here(varied_tree, monkeypatch):
    def no_processes(*args, **kwargs):
        raise OSError("no /dev/shm in this sandbox")

    monkeypatch.setattr(walk_processes, "ProcessPoolExecutor", no_processes)
    inline = first_walk(varied_tree, workers=1)
    assert first_walk(varied_tree, workers=2).snapshot.runs == inline.snapshot.runs


def test_a_restart_with_a_saved_index_walks_here(make_run, make_app, monkeypatch):
    """Workers have no listings or records to reuse: a restart's first walk is cheaper where they are."""
    monkeypatch.setattr(walk_processes, "MIN_TOPS", 10)
    for index in range(70):
        make_run(f"sweep/{index:03d}/run")
    first = make_app(walk_processes=2)
    monkeypatch.setattr(scanner_module, "visit_in_processes", lambda *a, **k: pytest.fail("not on a restart"))
    monkeypatch.setattr(walk_processes, "MIN_TOPS", 10**9)
    scanner = scanner_module.scanner_of(first)
    scanner.scan_once()
    scanner.save_index()
    monkeypatch.setattr(walk_processes, "MIN_TOPS", 10)
    restarted = scanner_module.scanner_of(make_app(walk_processes=2))
    restarted.scan_once()
    assert len(restarted.snapshot.runs) == 70


def test_workers_that_die_leave_their_folders_to_the_scanner(varied_tree, monkeypatch, caplog):
    """A worker that cannot start (here: the main module it must import again is gone) breaks the pool."""
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__file__", str(varied_tree / "gone.py"), raising=False)
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    inline = first_walk(varied_tree, workers=1)
    assert first_walk(varied_tree, workers=2).snapshot.runs == inline.snapshot.runs
    warnings = [record for record in caplog.records if record.name == walk_processes.__name__]
    assert len(warnings) == 1  # one warning (as the pool broke, or as tasks were still handed out), not one per task


def test_a_process_multiprocessing_started_walks_by_itself(monkeypatch):
    """Workers import their parent's main module again: an unguarded script must not start processes there."""
    assert walk_processes.worker_count() >= 1
    monkeypatch.setattr(walk_processes.multiprocessing, "parent_process", lambda: object())
    assert walk_processes.worker_count() == 1


def test_a_worker_ends_once_the_server_that_started_it_is_gone():
    """Killed mid-walk, a server left workers blocked forever writing results nobody would read."""
    stand_in = subprocess.Popen(["sleep", "0.5"])  # the server
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, context, initializer=walk_processes.exit_with, initargs=(stand_in.pid,)) as pool:
        long_task = pool.submit(time.sleep, 60)
        stand_in.wait()  # gone (and reaped: a zombie would still answer)
        with pytest.raises(BrokenProcessPool):
            long_task.result(timeout=20)
