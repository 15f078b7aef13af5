"""Tiered polling: subtrees of old finished runs are walked one poll in COLD_TIER; the rest is carried."""

from __future__ import annotations

import os
import sys

import pytest
from conftest import NOW
from hypothesis import given
from hypothesis import strategies as st

from sptweb.scan.cadence import COLD_TIER, KeptSubtree, next_poll_in

scanner_module = sys.modules["sptweb.scan.scanner"]  # (the package's `scanner` is the singleton)
LONG_AGO = NOW - 2 * 86400


def age(path, when=LONG_AGO) -> None:
    """Make a folder and everything in it look untouched since `when`."""
    for folder, _, names in os.walk(path, topdown=False):
        for name in names:
            os.utime(os.path.join(folder, name), (when, when))
        os.utime(folder, (when, when))


@pytest.fixture
def old_sweep(make_run, runs_root, scan):
    """100 runs that finished two days ago, laid out like SLURM sweeps (p/<job>_<task>/run), and one running."""
    for task in range(100):
        make_run(f"p/4000_{task}/run", created_at=LONG_AGO - 3600, ended_at=LONG_AGO, updated_at=LONG_AGO)
    age(runs_root / "p")
    make_run("p/live_0/run", status="running", ended_at=None, heartbeat_age=1)
    scan()
    scan()  # the first poll after the first walk notes which subtrees are cold


def visits(monkeypatch, scan) -> list[str]:
    """The folders one poll stats."""
    seen = []
    real = scanner_module.ListingCache.visit
    monkeypatch.setattr(scanner_module.ListingCache, "visit", lambda self, path: seen.append(path) or real(self, path))
    scan()
    monkeypatch.undo()
    return seen


def test_cold_subtrees_are_walked_one_poll_in_cold_tier(old_sweep, monkeypatch, scan, scanner, runs_root):
    counts = []
    for _ in range(COLD_TIER):
        seen = visits(monkeypatch, scan)
        assert str(runs_root / "p" / "live_0" / "run") in seen  # a running run: every poll
        counts.append(len(seen))
        assert len(scanner.snapshot.runs) == 101  # carried runs stay listed
    assert max(counts) < 2 * 100 / COLD_TIER * 3  # about a twentieth of the old folders per poll, not all
    assert sum(counts) >= 2 * 100  # ... and each of them once per COLD_TIER polls


def test_a_new_run_in_a_new_job_folder_shows_at_once(old_sweep, make_run, scan, scanner):
    make_run("p/4001_0/run")
    scan()
    assert "p/4001_0/run" in scanner.snapshot.runs


def test_an_edit_to_a_cold_run_shows_at_once(old_sweep, scanner):
    run = scanner.snapshot.runs["p/4000_7/run"]
    edited = scanner.edit(run, {"add_tags": ["keep"]})
    assert "keep" in edited.tags and "keep" in scanner.snapshot.runs["p/4000_7/run"].tags


def test_changes_inside_cold_subtrees_show_within_one_tier(old_sweep, make_run, runs_root, scan, scanner):
    import shutil

    make_run("p/4000_3/run/nested")  # a new run below an old one's folder
    shutil.rmtree(runs_root / "p" / "4000_5")
    for _ in range(COLD_TIER):
        scan()
    assert "p/4000_3/run/nested" in scanner.snapshot.runs and "p/4000_5/run" not in scanner.snapshot.runs


def test_a_deleted_job_folder_drops_its_run_at_once(old_sweep, runs_root, scan, scanner):
    import shutil

    shutil.rmtree(runs_root / "p" / "4000_9")  # its parent is relisted, so the subtree is seen gone
    scan()
    assert "p/4000_9/run" not in scanner.snapshot.runs and len(scanner.snapshot.runs) == 100
    assert not [path for path in scanner._listings.export() if "/4000_9/" in path or path.endswith("/4000_9")]


def test_polling_stays_under_four_percent_of_a_core():
    from sptweb.scan.cadence import next_poll_in

    assert next_poll_in(0.01, 1.0) == 1.0  # a small tree polls at --poll
    assert next_poll_in(0.35, 1.0) == pytest.approx(8.4)  # 100,000 runs: 0.35 s of CPU, then 8.4 s idle
    assert 0.35 / (0.35 + next_poll_in(0.35, 1.0)) == pytest.approx(0.04)


def test_every_poll_hands_freed_memory_back(make_run, scanner, monkeypatch):
    """glibc keeps the heap a poll freed (17 MB at 100,000 runs) unless asked to give it back."""
    make_run("p/one")
    trims = []
    monkeypatch.setattr(sys.modules["sptweb.scan.scanner"], "give_back_free_memory", lambda: trims.append(1))
    scanner.poll_and_pause()
    scanner.poll_and_pause()
    assert len(trims) >= 2


def test_a_long_first_walk_does_not_pause_polling(make_run, scanner, monkeypatch):
    """A first walk and an index save are one-offs: the pause after a poll follows steady polls only."""
    make_run("p/one")
    clock = iter(range(0, 10_000, 100))  # every CPU reading is 100 s after the last: everything is slow
    monkeypatch.setattr(sys.modules["sptweb.scan.scanner"].time, "thread_time", lambda: float(next(clock)))
    interval = scanner.config.poll_interval
    assert scanner.poll_and_pause() == interval  # the first walk took "100 s": no matter
    assert scanner.poll_and_pause() == next_poll_in(100.0, interval) > 60 * interval  # a steady poll did: pause


@given(
    st.lists(st.text(max_size=5), max_size=300),
    st.lists(st.text(max_size=5), max_size=300),
    st.booleans(),
    st.integers(0, COLD_TIER - 1),
)
def test_a_kept_subtree_gives_back_what_it_was_made_of(dirs, run_ids, cold, turn):
    kept = KeptSubtree(dirs, run_ids, cold, turn)
    assert (kept.dirs, kept.run_ids, kept.cold, kept.turn) == (tuple(dirs), tuple(run_ids), cold, turn)
