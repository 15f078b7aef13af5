"""The run table's queries: sptweb's kept views against an embedded SQL engine holding the same runs.

    python benchmarks/bench_query_engine.py [--runs 100000]

Walks the benchmark tree once (benchmarks/runtree.py), then times, best of 5:
- sptweb (query/table.py over query/live_views.py): the default page and a search sorted by a
  summary metric, the first time (views built), again (views kept), and after a poll that
  changed one run (views advanced);
- SQLite (the stdlib's, in memory, indexed on created and status; hparams and summary as JSON):
  loading the runs, the same two pages with their status counts, and the same after one UPDATE;
- DuckDB, the same (loaded from columns), when the `duckdb` package is installed (not a dependency).
Every engine hands back run ids; rendering a page needs their records from the snapshot in every
case, so that part is left out. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from dataclasses import replace

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, timed
from runtree import build_tree, default_root

from sptweb import create_app
from sptweb.query import table
from sptweb.scan import scanner_of
from sptweb.scan.snapshot import Snapshot, SnapshotMemo

DEFAULT = {}
SEARCH = {"q": "vit", "sort": "-sum.val/acc"}
COLUMNS = "run_id TEXT PRIMARY KEY, status TEXT, created DOUBLE, archived INTEGER, search TEXT, summary TEXT"
PAGE_SQL = "SELECT run_id FROM runs WHERE archived = 0 ORDER BY created DESC, run_id LIMIT 100"
COUNTS_SQL = "SELECT status, count(*) FROM runs WHERE archived = 0 GROUP BY status"
SEARCH_WHERE = "archived = 0 AND search LIKE '%vit%'"
SEARCH_SQL = (
    f"SELECT run_id FROM runs WHERE {SEARCH_WHERE} "
    "ORDER BY json_extract(summary, '$.\"val/acc\"') DESC NULLS LAST, run_id LIMIT 100"
)
SEARCH_COUNTS_SQL = f"SELECT status, count(*) FROM runs WHERE {SEARCH_WHERE} GROUP BY status"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    root = default_root(args.runs)
    build_tree(root, args.runs)
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner = scanner_of(app)
    scanner.scan_once()
    snapshot = scanner.snapshot
    print(f"{len(snapshot.runs)} runs from {root}")
    kept_views(snapshot)
    rows = [row(run) for run in snapshot.runs.values()]
    sql_engine("SQLite", sqlite3.connect(":memory:"), rows, insert_rows)
    try:
        import duckdb
    except ImportError:
        print("DuckDB: skipped (pip install duckdb to compare)")
    else:
        sql_engine("DuckDB", duckdb.connect(":memory:"), rows, insert_columns)
    scanner.stop()


def kept_views(snapshot: Snapshot) -> None:
    for name, args in (("default page", DEFAULT), ("search + sort", SEARCH)):
        kept_view(snapshot, name, table.TableQuery.from_args(args))


def kept_view(snapshot: Snapshot, name: str, query: table.TableQuery) -> None:
    first, _ = timed(lambda: table.select(snapshot, query, 100))
    again = best_of(5, lambda: table.select(snapshot, query, 100))
    changed = next(iter(snapshot.runs))
    runs = {**snapshot.runs, changed: replace(snapshot.runs[changed], stale=not snapshot.runs[changed].stale)}
    after = Snapshot(runs, snapshot.version + 1, "ready", memo=SnapshotMemo(snapshot.memo, {changed}))
    advanced, _ = timed(lambda: table.select(after, query, 100))
    print(
        f"sptweb  {name:14s} first {first * 1000:8.1f} ms   kept {again * 1000:6.2f} ms"
        f"   after a 1-run poll {advanced * 1000:6.2f} ms"
    )


def row(run) -> tuple:
    summary = orjson.dumps(run.meta.summary, option=orjson.OPT_NON_STR_KEYS).decode()
    return (run.run_id, run.status, run.created_at, int(run.archived), run.search_text, summary)


def insert_rows(connection, rows: list[tuple]) -> None:
    connection.execute(f"CREATE TABLE runs ({COLUMNS})")
    connection.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", rows)


def insert_columns(connection, rows: list[tuple]) -> None:
    """DuckDB takes rows one by one slowly (8 s for 10,000): give it columns, as an Arrow table."""
    import pyarrow as pa

    names = [column.split()[0] for column in COLUMNS.split(", ")]
    incoming = pa.table({name: [row[index] for row in rows] for index, name in enumerate(names)})
    connection.register("incoming", incoming)
    connection.execute("CREATE TABLE runs AS SELECT * FROM incoming")


def sql_engine(name: str, connection, rows: list[tuple], insert) -> None:
    def load() -> None:
        insert(connection, rows)
        connection.execute("CREATE INDEX by_created ON runs (created)")
        connection.execute("CREATE INDEX by_status ON runs (status)")

    loaded, _ = timed(load)
    print(f"{name:7s} load {len(rows)} runs {loaded:8.2f} s")
    for query_name, page, counts in (
        ("default page", PAGE_SQL, COUNTS_SQL),
        ("search + sort", SEARCH_SQL, SEARCH_COUNTS_SQL),
    ):

        def ask(page=page, counts=counts) -> None:
            connection.execute(page).fetchall()
            connection.execute(counts).fetchall()

        took = best_of(5, ask)
        updated = best_of(
            5, lambda: (connection.execute("UPDATE runs SET status = 'stale' WHERE run_id = ?", (rows[0][0],)), ask())
        )
        print(f"{name:7s} {query_name:14s} each {took * 1000:8.1f} ms   after an UPDATE {updated * 1000:6.1f} ms")
    connection.close()


if __name__ == "__main__":
    main()
