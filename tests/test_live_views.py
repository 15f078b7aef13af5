"""The table's incremental views: memo entries carried from snapshot to snapshot and advanced over the
changed runs give exactly what a from-scratch selection gives, for O(changed) work per poll."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace

import pytest
from conftest import row_ids, write_sidecar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sptweb.edits import Overlay
from sptweb.query import filter_expr, live_views, table
from sptweb.scan import RunFiles, RunRecord, SidecarMeta, Snapshot
from sptweb.scan.records import KNOWN_STATUSES, build_search_text
from sptweb.scan.snapshot import MAX_CARRIED, MAX_PENDING_SETS, SnapshotMemo

NOW = 1_700_000_000.0

# ---- the memo: what is carried, what is not ----


def test_incremental_entries_are_carried_and_advanced_over_the_changed_ids():
    first = SnapshotMemo()
    assert first.incremental("k", lambda: ["built"], _never) == ["built"]
    first.get("plain", lambda: "per snapshot")
    second = SnapshotMemo(previous=first, changed={"a", "b"})
    advanced = second.incremental("k", _never, lambda entry, changed: [*entry, sorted(changed)])
    assert advanced == ["built", ["a", "b"]]
    assert second.incremental("k", _never, _never) is advanced  # once per snapshot
    assert second.get("plain", lambda: "recomputed") == "recomputed"  # plain entries are not carried


def test_changes_accumulate_over_snapshots_nobody_asked_in():
    first = SnapshotMemo()
    first.incremental("k", lambda: 0, _never)
    second = SnapshotMemo(previous=first, changed={"a"})
    third = SnapshotMemo(previous=second, changed={"b"})
    fourth = SnapshotMemo(previous=third, changed=set())
    assert fourth.incremental("k", _never, lambda entry, changed: sorted(changed)) == ["a", "b"]


def test_a_long_unasked_chain_is_merged_into_one_change_set():
    memo = SnapshotMemo()
    memo.incremental("k", lambda: 0, _never)
    for index in range(MAX_PENDING_SETS * 3):
        memo = SnapshotMemo(previous=memo, changed={f"run{index % 10}"})
    assert memo.incremental("k", _never, lambda entry, changed: len(changed)) == 10


def test_unknown_changes_carry_nothing():
    first = SnapshotMemo()
    first.incremental("k", lambda: "old", _never)
    assert SnapshotMemo(previous=first, changed=None).incremental("k", lambda: "new", _never) == "new"


def test_an_empty_change_set_keeps_the_entry_without_advancing():
    first = SnapshotMemo()
    entry = first.incremental("k", lambda: ["old"], _never)
    assert SnapshotMemo(previous=first, changed=()).incremental("k", _never, _never) is entry


def test_at_most_max_carried_keys_are_carried_least_recently_used_dropped():
    first = SnapshotMemo()
    for index in range(MAX_CARRIED + 8):
        first.incremental(index, lambda: "entry", _never)
    second = SnapshotMemo(previous=first, changed={"a"})
    assert second.carried_keys() == list(range(8, MAX_CARRIED + 8))
    second.incremental(8, _never, lambda entry, changed: entry)  # used again: the most recent now
    third = SnapshotMemo(previous=second, changed={"b"})
    for index in range(100, 100 + MAX_CARRIED - 1):
        third.incremental(index, lambda: "entry", _never)
    fourth = SnapshotMemo(previous=third, changed={"c"})
    assert 8 in fourth.carried_keys() and 9 not in fourth.carried_keys()
    assert len(fourth.carried_keys()) == MAX_CARRIED


def _never(*_args):
    raise AssertionError("not expected to be called")


# ---- views against the table's old, from-scratch selection ----


def reference_select(runs: dict[str, RunRecord], query: table.TableQuery, page_size: int) -> dict:
    """What `table.select` returned before views: filter, count and page the sorted list per request."""
    predicate, _ = filter_expr.compile_filter(query.filter)
    words = query.q.lower().split()
    ordered = table.sort_runs(list(runs.values()), query.sort, NOW)
    ordered = [
        run
        for run in ordered
        if (not query.tag or query.tag in run.tags)
        and all(word in run.search_text for word in words)
        and predicate(run)
    ]

    def has_status(run: RunRecord) -> bool:
        return not query.status or query.status in (run.status, run.status_group)

    hidden = 0
    if not query.archived:
        hidden = sum(1 for run in ordered if run.archived and has_status(run))
        ordered = [run for run in ordered if not run.archived]
    counts = Counter(run.status_group for run in ordered)
    ordered = [run for run in ordered if has_status(run)]
    pages = max(1, math.ceil(len(ordered) / page_size))
    page = min(query.page, pages)
    rows = ordered[(page - 1) * page_size : page * page_size]
    return {
        "rows": [run.run_id for run in rows],
        "total": len(ordered),
        "page": page,
        "pages": pages,
        "status_counts": {status: counts.get(status, 0) for status in (*KNOWN_STATUSES, "other")},
        "archived_hidden": hidden,
    }


def selected(snapshot: Snapshot, query: table.TableQuery, page_size: int) -> dict:
    page = table.select(snapshot, query, page_size, NOW)
    return {
        "rows": [run.run_id for run in page.rows],
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
        "status_counts": page.status_counts,
        "archived_hidden": page.archived_hidden,
    }


RUN_IDS = [f"p{index % 3}/run{index:02d}" for index in range(24)]
VALUES = st.one_of(
    st.none(),
    st.sampled_from([0.5, 0.25, 1, 2, -0.0, 0.0, float("nan"), "", "adam", "SGD", True]),
    st.floats(-10, 10, allow_nan=False),
)
STATUSES = st.sampled_from(["running", "completed", "failed", "crashed", "running"])

QUERIES = [
    table.TableQuery(),
    table.TableQuery(sort="created"),
    table.TableQuery(sort="-sum.acc", q="p1"),
    table.TableQuery(sort="sum.acc", status="failed"),
    table.TableQuery(sort="-hp.opt", tag="vit", archived=True),
    table.TableQuery(sort="name", status="stale"),
    table.TableQuery(sort="status", filter="sum.acc>0.3"),
    table.TableQuery(sort="-id", status="other", q="run"),
    table.TableQuery(sort="-duration", status="running"),
    table.TableQuery(sort="hp.opt", filter="lr >= ;"),  # does not parse: filters nothing
]


@st.composite
def run_records(draw, run_id: str) -> RunRecord:
    status = draw(STATUSES)
    created = draw(st.one_of(st.none(), st.sampled_from([NOW - 500, NOW - 100, NOW - 100.0, NOW - 3000])))
    meta = SidecarMeta(
        status=status,
        created_at=created,
        ended_at=None if status == "running" else draw(st.sampled_from([None, NOW - 50])),
        updated_at=NOW - 10,
        tags=tuple(draw(st.lists(st.sampled_from(["vit", "mae", "sweep:1"]), max_size=2, unique=True))),
        hparams={key: value for key in ("opt", "lr") if (value := draw(VALUES)) is not None},
        summary={key: value for key in ("acc", "loss") if (value := draw(VALUES)) is not None},
        display_name=draw(st.sampled_from([None, "Alpha", "beta"])),
    )
    overlay = Overlay(archived=draw(st.booleans()), tags_added=tuple(draw(st.sampled_from([(), ("vit",)]))))
    return RunRecord(
        run_id=run_id,
        path=f"/runs/{run_id}",
        meta=meta,
        files=RunFiles(),
        stale=status == "running" and draw(st.booleans()),
        overlay=overlay,
        search_text=build_search_text(run_id, meta, overlay),
    )


@st.composite
def histories(draw) -> list[dict[str, RunRecord]]:
    """A few polls' worth of runs: each poll adds, changes and removes some."""
    runs = {run_id: draw(run_records(run_id)) for run_id in draw(st.lists(st.sampled_from(RUN_IDS), unique=True))}
    polls = [runs]
    for _ in range(draw(st.integers(1, 6))):
        runs = dict(runs)
        for run_id in draw(st.lists(st.sampled_from(RUN_IDS), max_size=4, unique=True)):
            if run_id in runs and draw(st.booleans()):
                del runs[run_id]
            else:
                runs[run_id] = draw(run_records(run_id))
        polls.append(runs)
    return polls


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.sets(st.sampled_from(range(len(QUERIES)))), st.integers(1, 5))
def test_carried_views_equal_a_fresh_selection_after_random_changes(polls, asked, page_size):
    """Each poll asks some of the queries (others wait several polls), every page of each is checked."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(live_views, "REBUILD_RATIO", 0)  # always advance, never rebuild: a few runs would
        check_every_poll(polls, asked, page_size)


def check_every_poll(polls: list[dict[str, RunRecord]], asked: set[int], page_size: int) -> None:
    snapshot = None
    for number, runs in enumerate(polls):
        if snapshot is None:
            snapshot = Snapshot(runs)
        else:
            before = snapshot.runs
            changed = {run_id for run_id in before.keys() | runs.keys() if before.get(run_id) is not runs.get(run_id)}
            snapshot = Snapshot(runs, memo=SnapshotMemo(previous=snapshot.memo, changed=changed))
        for index, query in enumerate(QUERIES):
            if index in asked or number == len(polls) - 1:
                for page in range(1, len(runs) // page_size + 2):
                    paged = replace(query, page=page)
                    assert selected(snapshot, paged, page_size) == reference_select(runs, paged, page_size)
        fresh = Snapshot(runs)
        assert table.default_columns(snapshot) == table.default_columns(fresh)
        assert table.available_columns(snapshot) == table.available_columns(fresh)
        assert table.column_groups(snapshot) == table.column_groups(fresh)
        assert table.all_tags(snapshot) == table.all_tags(fresh)


def test_sorted_view_pages_read_backwards_for_a_descending_sort():
    runs = {f"r{index}": _record(f"r{index}", acc=index % 3 or None) for index in range(7)}
    snapshot = Snapshot(runs)
    everything = table.select(snapshot, table.TableQuery(sort="-sum.acc"), 100, NOW).rows
    assert [run.run_id for run in everything] == ["r5", "r2", "r4", "r1", "r0", "r3", "r6"]
    pages = [table.select(snapshot, table.TableQuery(sort="-sum.acc", page=page), 3, NOW).rows for page in (1, 2, 3)]
    assert [run.run_id for rows in pages for run in rows] == [run.run_id for run in everything]


def _record(run_id: str, acc=None, status="completed") -> RunRecord:
    meta = SidecarMeta(status=status, created_at=NOW - 100, summary={} if acc is None else {"acc": acc})
    return RunRecord(run_id, f"/runs/{run_id}", meta, RunFiles(), search_text=build_search_text(run_id, meta))


# ---- through the scanner: one changed run costs one run's work ----


@pytest.fixture
def counted(monkeypatch):
    """Counts the sort column lookups and filter evaluations of the views (not the page's formatting)."""
    calls = Counter()

    def counting(module, name):
        real = getattr(module, name)

        def count(*args, **kwargs):
            calls[getattr(module, "__module__", None) or module.__name__] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, count)

    counting(live_views.ViewRule, "key")  # a run's sort column read (ViewRule reads it through column_reader)
    counting(filter_expr, "column_value")
    return calls


def test_a_request_after_a_one_run_poll_does_one_runs_work(client, make_run, scan, scanner, counted):
    for index in range(60):
        make_run(f"sweep/{index:02d}", summary={"val/acc": index / 100}, hparams={"lr": 0.1}, created_at=index)
    scan()
    urls = ["/", "/?q=sweep&sort=-sum.val/acc&filter=lr>0.01", "/?status=completed&sort=hp.lr", "/api/runs"]
    for url in urls:
        assert client.get(url).status_code == 200
    assert counted["sptweb.query.live_views"] >= 60  # built once, from scratch

    make_run("sweep/07", summary={"val/acc": 0.99}, hparams={"lr": 0.1}, created_at=7)
    assert scan() is not None
    assert set(scanner.snapshot.memo.carried_keys()) >= {"column-tally"}
    counted.clear()
    for url in urls:
        assert client.get(url).status_code == 200
    # each of the four views re-places one run: its old record out, its new one in
    assert counted["sptweb.query.live_views"] <= 2 * 4
    assert counted["sptweb.query.filter_expr"] <= 2
    html = client.get("/?sort=-sum.val/acc").text
    assert row_ids(html)[0] == "sweep/07"


def test_a_clock_sorted_view_is_computed_per_snapshot(client, make_run, scan, counted):
    for index in range(10):
        make_run(f"r{index}", status="running", ended_at=None, created_at=index, heartbeat_age=1)
    scan()
    client.get("/?sort=-duration")
    make_run("r3", status="running", ended_at=None, created_at=3, heartbeat_age=1, notes="changed")
    scan()
    counted.clear()
    client.get("/?sort=-duration")
    assert counted["sptweb.query.live_views"] == 10  # every run again: durations moved with the clock


def test_a_status_chip_follows_a_runs_status(client, make_run, scan, runs_root):
    run_dir = make_run("a", status="running", ended_at=None, heartbeat_age=1)
    make_run("b")
    scan()
    html = client.get("/?status=running").text
    assert re.search(r"running <b>1</b>", html) and re.search(r"completed <b>1</b>", html)
    sidecar = (run_dir / "sidecar.json").read_text().replace('"running"', '"failed"')
    write_sidecar(run_dir, sidecar.encode())
    scan()
    html = client.get("/?status=running").text
    assert re.search(r"running <b>0</b>", html) and re.search(r"failed <b>1</b>", html)
    assert "data-run-id" not in html  # the running filter matches nothing now
