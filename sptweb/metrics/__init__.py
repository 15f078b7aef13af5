"""Metric series from metrics.csv: incremental parsing, an LRU store, downsampling and smoothing."""

from .store import MetricsStore, RunMetrics

__all__ = ["MetricsStore", "RunMetrics"]
