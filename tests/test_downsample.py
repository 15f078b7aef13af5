"""Downsampling keeps every spike; smoothing matches TensorBoard's debiased EMA."""

import math

import numpy as np
import pytest

from sptweb.metrics import downsample
from sptweb.metrics.series import SeriesRequest
from sptweb.metrics.smoothing import Smoother, ema, time_weighted_ema

DEFAULT_WIDTH = SeriesRequest.points


def test_a_single_step_spike_survives_100_of_100_trials():
    rng = np.random.default_rng(42)
    x = np.arange(1_000_000, dtype=np.float64)
    for trial in range(100):
        y = (1.0 + rng.normal(0, 0.01, len(x))).astype(np.float32)
        position = int(rng.integers(0, len(x)))
        y[position] = 50.0 if trial % 2 else -50.0  # spikes up and down
        chosen = downsample.select(x, y, DEFAULT_WIDTH)
        assert position in chosen.indices, f"trial {trial}: spike at {position} lost"
        assert len(chosen.indices) <= 4 * DEFAULT_WIDTH + 1


def test_first_and_last_points_are_always_kept():
    x = np.arange(100_000, dtype=np.float64)
    chosen = downsample.select(x, np.sin(x / 1000), 100)
    assert chosen.indices[0] == 0 and chosen.indices[-1] == len(x) - 1


def test_nan_and_inf_keep_a_gap_marker_and_are_excluded_from_min_max():
    x = np.arange(100_000, dtype=np.float64)
    y = np.ones(100_000)
    y[50_000] = np.nan
    y[70_000] = np.inf
    chosen = downsample.select(x, y, 100)
    assert 50_000 in chosen.indices and 70_000 in chosen.indices
    assert np.all(np.isfinite(chosen.bucket_max[np.isfinite(chosen.bucket_max)]))
    assert np.nanmax(chosen.bucket_max) == 1.0


def test_small_series_are_sent_whole():
    x = np.arange(500, dtype=np.float64)
    chosen = downsample.select(x, x, 800)
    assert not chosen.downsampled and len(chosen.indices) == 500


def test_uneven_x_buckets_by_x_not_by_index():
    x = np.concatenate([np.arange(10_000), 1e6 + np.arange(10_000)]).astype(np.float64)
    y = np.zeros(len(x))
    y[15_000] = 9.0
    chosen = downsample.select(x, y, 100)
    assert 15_000 in chosen.indices


def tensorboard_ema(values, weight):
    out, last, count = [], 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.1, 0.6, 0.9, 0.99, 0.999])
def test_ema_matches_tensorboard(weight):
    y = np.random.default_rng(1).normal(size=3000)
    y[10], y[20] = np.nan, np.inf
    expected = tensorboard_ema(y, weight)
    got = ema(y, weight)
    finite = np.isfinite(expected)
    assert np.allclose(got[finite], expected[finite], rtol=1e-9, atol=1e-9)
    assert np.isnan(got[10]) and got[20] == np.inf  # gaps stay gaps


@pytest.mark.parametrize("weight", [0.3, 0.9, 0.99])
def test_smoother_continues_exactly_across_appends(weight):
    y = np.random.default_rng(2).normal(size=5000)
    x = np.arange(5000, dtype=np.float64)
    smoother = Smoother(weight)
    parts = [smoother.extend(x[a:b], y[a:b]) for a, b in ((0, 4000), (4000, 4100), (4100, 5000))]
    assert np.allclose(np.concatenate(parts), tensorboard_ema(y, weight), rtol=1e-9, atol=1e-9)


def test_time_weighted_ema_equals_ema_on_even_steps_and_weighs_gaps():
    y = np.random.default_rng(3).normal(size=1000)
    even = np.arange(1000, dtype=np.float64) * 10
    assert np.allclose(time_weighted_ema(even, y, 0.9), tensorboard_ema(y, 0.9))
    # After a long gap, the old average should have faded: the next point dominates.
    x = np.array([0.0, 1.0, 2.0, 1000.0])
    smoothed = time_weighted_ema(x, np.array([0.0, 0.0, 0.0, 10.0]), 0.9)
    assert smoothed[-1] == pytest.approx(10.0, rel=1e-6)
    assert ema(np.array([0.0, 0.0, 0.0, 10.0]), 0.9)[-1] < 5.0


def test_a_weight_smooths_a_million_points_as_it_smooths_a_thousand():
    """TensorBoard smooths its ~1,000-point sample: 0.6 must calm a dense noisy run as much as a short one."""
    from sptweb.metrics.smoothing import per_point_weight

    rng = np.random.default_rng(0)
    short, dense = rng.normal(size=1000), rng.normal(size=1_000_000)
    calm_short = Smoother(per_point_weight(0.6, len(short))).extend(np.arange(1000.0), short)
    calm_dense = Smoother(per_point_weight(0.6, len(dense))).extend(np.arange(1e6), dense)
    # judged on what a 1,000-point chart shows: every 1,000th point
    assert np.std(calm_dense[::1000]) < np.std(calm_short) * 1.5
    assert np.std(calm_dense[::1000]) < 0.5 * np.std(dense)  # 0.6 per raw point would leave ~0.7
    assert per_point_weight(0.6, 1500) == 0.6 and per_point_weight(0.0, 10**6) == 0.0
    assert per_point_weight(0.6, 5000) == per_point_weight(0.6, 7000)  # a power-of-two stride: caches survive growth
