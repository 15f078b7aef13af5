"""metrics.csv by docs/format.md's rules, read incrementally by RunMetrics."""

import math
import os
from types import SimpleNamespace

import numpy as np
import pytest

from sptweb.metrics.store import MetricsStore, RunMetrics


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path


def load(run_dir, text: str | bytes) -> RunMetrics:
    path = run_dir / "metrics.csv"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    metrics = RunMetrics(str(run_dir))
    metrics.refresh()
    return metrics


def points(metrics: RunMetrics, key: str, x_mode: str = "step"):
    x, y = metrics.raw(key, x_mode)
    return [(None if math.isnan(a) else float(a), float(b)) for a, b in zip(x, y)]


def test_sparse_rows_keep_only_logged_cells(run_dir):
    metrics = load(run_dir, "epoch,step,train/loss,val/acc\n0,0,2.5,\n0,1,2.4,\n0,1,,0.41\n")
    assert points(metrics, "train/loss") == [(0, 2.5), (1, pytest.approx(2.4))]
    assert points(metrics, "val/acc") == [(1, pytest.approx(0.41))]
    assert metrics.keys == ["train/loss", "val/acc"]


def test_step_and_epoch_found_by_name_at_any_position(run_dir):
    metrics = load(run_dir, "loss,step,epoch\n1.0,10,0\n0.5,20,1\n")
    assert points(metrics, "loss") == [(10, 1.0), (20, 0.5)]
    assert points(metrics, "loss", "epoch") == [(0, 1.0), (1, 0.5)]


def test_missing_step_column_uses_row_index(run_dir):
    metrics = load(run_dir, "epoch,loss\n0,1.0\n0,0.5\n1,0.25\n")
    assert points(metrics, "loss") == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert points(metrics, "loss", "epoch") == [(0, 1.0), (0, 0.5), (1, 0.25)]


def test_row_with_neither_step_nor_epoch_uses_its_row_index(run_dir):
    metrics = load(run_dir, "epoch,step,loss\n0,100,1.0\n,,0.5\n")
    assert points(metrics, "loss") == [(100, 1.0), (1, 0.5)]


def test_no_epoch_column(run_dir):
    metrics = load(run_dir, "step,loss\n0,1\n")
    assert not metrics.has_epoch


def test_nan_and_inf_are_values_empty_is_not(run_dir):
    metrics = load(run_dir, "step,loss\n0,nan\n1,inf\n2,-inf\n3,\n4,1.5\n")
    x, y = metrics.raw("loss", "step")
    assert list(x) == [0, 1, 2, 4]
    assert math.isnan(y[0]) and y[1] == math.inf and y[2] == -math.inf and y[3] == 1.5


def test_duplicate_header_names_merge(run_dir):
    metrics = load(run_dir, "step,loss,loss\n0,1.0,\n1,,0.5\n")
    assert points(metrics, "loss") == [(0, 1.0), (1, 0.5)]


def test_unparseable_cells_short_rows_and_extra_cells_skip_per_cell(run_dir):
    metrics = load(run_dir, "step,a,b\n0,1,2\n1,oops,3\n2,4\n3,5,6,7,8\n")
    assert points(metrics, "a") == [(0, 1), (2, 4), (3, 5)]
    assert points(metrics, "b") == [(0, 2), (1, 3), (3, 6)]


def test_non_utf8_bytes_do_not_break_the_file(run_dir):
    metrics = load(run_dir, b"step,lo\xffss,acc\n0,1.0,0.1\n1,\xfe,0.2\n2,0.5,0.3\n")
    assert metrics.keys == ["acc", "lo\ufffdss"]
    assert points(metrics, "acc") == [(0, pytest.approx(0.1)), (1, pytest.approx(0.2)), (2, pytest.approx(0.3))]
    assert points(metrics, "lo\ufffdss") == [(0, 1.0), (2, 0.5)]


def test_half_written_last_line_waits_until_complete(run_dir):
    (run_dir / "metrics.csv").write_text("step,loss\n0,1.0\n1,0.9")
    metrics = RunMetrics(str(run_dir), growing=True)  # a running run: its writer may still finish the line
    metrics.refresh()
    assert points(metrics, "loss") == [(0, 1.0)]
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write("5\n")
    metrics.refresh()
    assert points(metrics, "loss") == [(0, 1.0), (1, pytest.approx(0.95))]


def test_header_still_being_written(run_dir):
    metrics = load(run_dir, "step,lo")
    assert metrics.keys == [] and metrics.rows == 0
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write("ss\n0,1\n")
    metrics.refresh()
    assert metrics.keys == ["loss"]


def test_appends_parse_only_new_bytes(run_dir, monkeypatch):
    metrics = load(run_dir, "step,loss\n0,1.0\n")
    offset = metrics.offset
    parsed = []
    import sptweb.metrics.store as store

    real = store.parse_rows
    monkeypatch.setattr(store, "parse_rows", lambda body, header: parsed.append(bytes(body)) or real(body, header))
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write("1,0.5\n2,0.25\n")
    assert metrics.refresh() is True
    assert parsed == [b"1,0.5\n2,0.25\n"]
    assert metrics.offset == offset + len(b"1,0.5\n2,0.25\n")
    assert points(metrics, "loss") == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert metrics.refresh() is False  # nothing new: nothing parsed
    assert len(parsed) == 1


def test_header_rewritten_mid_run_reparses_from_the_start(run_dir):
    metrics = load(run_dir, "step,loss\n0,1.0\n1,0.5\n")
    rewritten = "step,loss,val/acc\n0,1.0,\n1,0.5,\n2,0.25,0.7\n"
    tmp = run_dir / "metrics.csv.tmp"
    tmp.write_text(rewritten)
    os.replace(tmp, run_dir / "metrics.csv")
    metrics.refresh()
    assert metrics.keys == ["loss", "val/acc"]
    assert points(metrics, "loss") == [(0, 1.0), (1, 0.5), (2, 0.25)]


def test_header_rewritten_in_place_is_noticed(run_dir):
    metrics = load(run_dir, "step,loss\n0,1.0\n")
    (run_dir / "metrics.csv").write_text("step,loss,acc\n0,1.0,0.1\n1,0.5,0.2\n")  # same inode, new header
    metrics.refresh()
    assert metrics.keys == ["acc", "loss"]
    assert points(metrics, "loss") == [(0, 1.0), (1, 0.5)]


def test_truncated_file_starts_over(run_dir):
    metrics = load(run_dir, "step,loss\n0,1.0\n1,0.5\n2,0.25\n")
    (run_dir / "metrics.csv").write_text("step,loss\n0,9.0\n")
    metrics.refresh()
    assert points(metrics, "loss") == [(0, 9.0)]


def test_deleted_file_empties_the_series(run_dir):
    metrics = load(run_dir, "step,loss\n0,1.0\n")
    (run_dir / "metrics.csv").unlink()
    assert metrics.refresh() is True
    assert metrics.keys == []


def test_store_evicts_least_recently_used_past_its_budget(tmp_path):
    dirs = []
    for name in ("a", "b", "c"):
        run_dir = tmp_path / name
        run_dir.mkdir()
        rows = "\n".join(f"{i},{i * 0.5}" for i in range(20_000))
        (run_dir / "metrics.csv").write_text("step,loss\n" + rows + "\n")
        dirs.append(str(run_dir))
    one_run = RunMetrics(dirs[0])
    one_run.refresh()
    store = MetricsStore(budget_bytes=int(one_run.nbytes * 2.5))
    for run_dir in dirs:
        store.get(run_dir)
    assert store.nbytes <= store.budget_bytes
    assert dirs[0] not in store._runs and dirs[2] in store._runs


def test_many_rows_parse_to_float_arrays(run_dir):
    rows = "\n".join(f"{i},{i % 7}.5,{'' if i % 10 else 1}" for i in range(50_000))
    metrics = load(run_dir, "step,loss,val\n" + rows + "\n")
    x, y = metrics.raw("loss", "step")
    assert x.dtype == np.float64 and y.dtype == np.float64 and len(y) == 50_000  # exact decimals out
    assert len(metrics.raw("val", "step")[1]) == 5_000


def test_concurrent_requests_for_one_run_parse_once(tmp_path, monkeypatch):
    import threading

    import sptweb.metrics.store as store

    (tmp_path / "metrics.csv").write_text("step,loss\n" + "".join(f"{i},{i}\n" for i in range(10_000)))
    calls = []
    real = store.parse_rows
    monkeypatch.setattr(store, "parse_rows", lambda body, header: calls.append(1) or real(body, header))
    metrics_store = MetricsStore(budget_bytes=1 << 30)
    start = threading.Barrier(8)

    def request():
        start.wait()
        metrics_store.get(str(tmp_path))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1


def test_rows_without_an_epoch_take_the_epoch_of_their_step(run_dir):
    """LearningRateMonitor logs with its own call: `,lr,step,,` rows before the step's own row."""
    text = "epoch,lr-SGD,step,train/loss\n,0.1,0,\n0,,0,2.0\n,0.09,1,\n0,,1,1.8\n,0.08,2,\n1,,2,1.5\n,0.07,3,\n"
    metrics = load(run_dir, text)
    assert points(metrics, "lr-SGD", "epoch") == [
        (0.0, pytest.approx(0.1)),
        (0.0, pytest.approx(0.09)),
        (1.0, pytest.approx(0.08)),
        (1.0, pytest.approx(0.07)),
    ]
    assert points(metrics, "train/loss", "epoch") == [(0.0, 2.0), (0.0, pytest.approx(1.8)), (1.0, 1.5)]


def test_epoch_of_step_learns_across_appends(run_dir):
    path = run_dir / "metrics.csv"
    path.write_text("epoch,lr,step,loss\n0,,0,2.0\n")
    metrics = RunMetrics(str(run_dir))
    metrics.refresh()
    with open(path, "a") as handle:
        handle.write(",0.5,1,\n1,,1,1.0\n,0.4,2,\n")  # the lr row of step 1 comes before its epoch
    metrics.refresh()
    assert [x for x, _ in points(metrics, "lr", "epoch")] == [1.0, 1.0]


def test_empty_cells_are_found_across_pyarrows_blocks(run_dir, monkeypatch):
    """Arrow reads a big file in blocks, each with its own validity bitmap (and maybe an offset into it)."""
    real_read_csv = __import__("pyarrow.csv").csv.read_csv

    def small_blocks(source, read_options, **kwargs):
        read_options.block_size = 1000  # about 90 rows a block here, so the 3,000 rows span many
        return real_read_csv(source, read_options=read_options, **kwargs)

    monkeypatch.setattr("pyarrow.csv.read_csv", small_blocks)
    logged = [step for step in range(3000) if step % 7 in (0, 3) or step % 11 == 0]
    rows = "\n".join(f"{step},{step / 2 if step in logged else ''},1" for step in range(3000))
    metrics = load(run_dir, "step,acc,other\n" + rows + "\n")
    x, y = metrics.raw("acc", "step")
    assert list(x) == logged and list(y) == [step / 2 for step in logged]
    assert len(metrics.raw("other", "step")[1]) == 3000


def test_a_big_parse_hands_arrows_freed_memory_back(run_dir, monkeypatch):
    """Arrow's allocator keeps what a parse freed (60 MB after three parses of 300,000 rows) unless asked."""
    import pyarrow

    from sptweb.metrics import csvparse

    released = []
    monkeypatch.setattr(
        pyarrow, "default_memory_pool", lambda: SimpleNamespace(release_unused=lambda: released.append(1))
    )
    load(run_dir, "step,loss\n" + "".join(f"{step},0.5\n" for step in range(10)))
    assert released == []  # a small file: nothing worth the call
    rows = "".join(f"{step},{step / 3}\n" for step in range(csvparse.RELEASE_AFTER_BYTES // 10))
    metrics = load(run_dir, "step,loss\n" + rows)
    assert released == [1] and len(metrics.raw("loss", "step")[1]) == csvparse.RELEASE_AFTER_BYTES // 10
