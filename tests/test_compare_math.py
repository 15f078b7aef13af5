"""Overlay and band math on unequal, sparse x; grouping; config diff."""

import math

import numpy as np
import pytest

from sptweb.metrics.align import Grid, bands, grid_for, overlay
from sptweb.query.config_diff import column_differs, diff_table
from sptweb.query.run_groups import differing_hparams, group_runs, grouping_keys
from sptweb.scan import RunFiles, RunRecord, SidecarMeta


def run(run_id, hparams=None, summary=None):
    return RunRecord(run_id, f"/r/{run_id}", SidecarMeta(hparams=hparams or {}, summary=summary or {}), RunFiles())


def test_band_mean_and_std_on_unequal_steps_match_hand_computation():
    a = (np.array([0.0, 10.0, 20.0]), np.array([0.0, 10.0, 20.0]))
    b = (np.array([0.0, 20.0]), np.array([2.0, 2.0]))  # logged half as often
    c = (np.array([5.0, 15.0]), np.array([4.0, 8.0]))  # starts later, ends earlier
    grid_x = np.array([0.0, 10.0, 20.0])
    band = bands([a, b, c], grid_x)
    # x=0: a=0, b=2 (c not started) -> mean 1, sample std sqrt(2)
    # x=10: a=10, b=2, c=6 (interpolated) -> mean 6, std 4
    # x=20: a=20, b=2 (c ended) -> mean 11, std sqrt(162)
    assert band.mean.tolist() == pytest.approx([1.0, 6.0, 11.0])
    assert band.std.tolist() == pytest.approx([math.sqrt(2), 4.0, math.sqrt(162)])
    assert band.count.tolist() == [2, 3, 2]
    assert band.low.tolist() == [0.0, 2.0, 2.0] and band.high.tolist() == [2.0, 10.0, 20.0]


def test_band_ignores_nan_points_and_handles_a_single_run():
    x = np.array([0.0, 1.0, 2.0])
    band = bands([(x, np.array([1.0, np.nan, 3.0]))], np.array([1.0, 5.0]))
    assert band.mean[0] == pytest.approx(2.0) and band.std[0] == 0.0  # interpolated over the NaN
    assert math.isnan(band.mean[1]) and band.count[1] == 0  # outside the run's range


def test_overlay_keeps_a_spike_and_orders_min_max_as_they_happened():
    x = np.arange(10_000, dtype=np.float64)
    y = np.zeros(10_000)
    y[4321] = 99.0
    grid = Grid(0.0, 9999.0, 100)
    values, gaps = overlay(x, y, grid)
    assert len(values) == 200 and not gaps.any()
    bucket = int(4321 / grid.width)
    assert values[2 * bucket + 1] == 99.0 and values[2 * bucket] == 0.0  # min came first, then the spike


def test_overlay_marks_nan_as_a_gap_and_empty_buckets_as_missing():
    x = np.array([0.0, 50.0, 99.0])
    y = np.array([1.0, np.nan, 3.0])
    values, gaps = overlay(x, y, Grid(0.0, 99.0, 10))
    assert gaps[2 * 5 + 1]
    assert np.isnan(values[2 * 3])  # no point in bucket 3: missing, drawn as a spanned line
    assert values[0] == 1.0 and values[-1] == 3.0


def test_grid_spans_all_runs_or_the_zoom_window():
    series = [(np.array([5.0, 10.0]), np.array([1.0, 1.0])), (np.array([0.0, 7.0]), np.array([1.0, 1.0]))]
    assert (grid_for(series, 4).lo, grid_for(series, 4).hi) == (0.0, 10.0)
    assert (grid_for(series, 4, 2.0, 3.0).lo, grid_for(series, 4, 2.0, 3.0).hi) == (2.0, 3.0)


def test_grouping_everything_but_seed_skips_id_like_keys():
    runs = [
        run(f"r{i}", {"lr": lr, "seed": seed, "output_dir": f"/out/{i}", "data": "c10"})
        for i, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)])
    ]
    assert differing_hparams(runs) == ["lr", "seed"]
    keys = grouping_keys(runs, "-seed")
    assert keys == ["lr"]
    groups = group_runs(runs, keys)
    assert [(group.label, [r.run_id for r in group.runs]) for group in groups] == [
        ("lr=0.1", ["r0", "r1"]),
        ("lr=0.01", ["r2", "r3"]),
    ]
    assert grouping_keys(runs, "data,lr") == ["data", "lr"]


def test_config_diff_detects_differing_columns_and_missing_values():
    runs = [
        run("a", {"lr": 0.1, "bs": 256}, {"acc": 0.5}),
        run("b", {"lr": 0.2, "bs": 256}, {"acc": 0.5}),
        run("c", {"lr": 0.1, "bs": 256}),
    ]
    assert column_differs(runs, "hp.lr") and not column_differs(runs, "hp.bs")
    assert column_differs(runs, "sum.acc")  # c has no acc
    table = diff_table(runs, hide_identical=True, sort="-hp.lr", now=0)
    assert [column.name for column in table.columns] == ["hp.lr", "sum.acc"] and table.hidden == 1
    assert next(row.run_id for row in table.rows) == "b"
    assert len(diff_table(runs, hide_identical=False, sort="", now=0).columns) == 3


def test_nan_values_compare_equal_in_the_diff():
    runs = [run("a", summary={"loss": float("nan")}), run("b", summary={"loss": float("nan")})]
    assert not column_differs(runs, "sum.loss")


def test_minus_seed_never_groups_by_a_per_run_key_even_when_its_values_repeat():
    """The demo sweep: 3 lrs x 3 seeds on 7 nodes (two nodes ran two runs): grouping by the node list
    would put every run alone. So would an output path or a SLURM job id."""
    nodes = ["n18", "n33", "n53", "n25", "n18", "n39", "n47", "n45", "n33"]
    runs = [
        run(f"r{i}", {"optim.lr": lr, "seed": seed, "slurm.nodelist": nodes[i], "ckpt": f"/out/{i % 4}.ckpt"})
        for i, (lr, seed) in enumerate((lr, seed) for lr in (1e-4, 5e-4, 2e-3) for seed in (0, 1, 2))
    ]
    assert grouping_keys(runs, "-seed") == ["optim.lr"]
    assert [len(group.runs) for group in group_runs(runs, ["optim.lr"])] == [3, 3, 3]
    assert grouping_keys(runs, "slurm.nodelist") == ["slurm.nodelist"]  # named explicitly: used as asked


def test_minus_seed_drops_the_key_that_alone_makes_every_run_its_own_group():
    runs = [
        run(f"r{i}", {"lr": lr, "seed": i, "machine": ["a", "b", "c", "a"][i]}) for i, lr in enumerate([1, 1, 2, 2])
    ]
    assert grouping_keys(runs, "-seed") == ["lr"]  # lr+machine would be 4 groups of one
