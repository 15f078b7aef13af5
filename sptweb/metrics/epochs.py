"""The epoch of each step, for rows that log a step but no epoch (in epoch mode they still plot)."""

from __future__ import annotations

import numpy as np


class EpochOfStep:
    """The epoch each step belongs to, learned from the rows that log both.

    Lightning's `LearningRateMonitor` (and any metric logged with its own
    call) writes rows with a step but an empty epoch cell; in epoch mode such
    a row takes the epoch of its step, or of the nearest earlier step seen so
    far (epochs never go back as steps grow). Only the steps where the epoch
    changes are kept, so an append costs its own rows plus one per epoch.
    """

    def __init__(self) -> None:
        self.steps = np.empty(0)  # ascending: the first step seen of each epoch
        self.epochs = np.empty(0)

    def fill(self, step: np.ndarray, epoch: np.ndarray) -> np.ndarray:
        known = np.isfinite(step) & np.isfinite(epoch)
        if known.any():
            self._learn(step[known], epoch[known])
        missing = np.isnan(epoch) & np.isfinite(step)
        if not missing.any() or len(self.steps) == 0:
            return epoch
        at = np.searchsorted(self.steps, step[missing], side="right") - 1
        filled = epoch.copy()
        filled[np.flatnonzero(missing)] = np.where(at >= 0, self.epochs[np.maximum(at, 0)], np.nan)
        return filled

    def _learn(self, steps: np.ndarray, epochs: np.ndarray) -> None:
        steps, epochs = np.concatenate([self.steps, steps]), np.concatenate([self.epochs, epochs])
        order = np.argsort(steps, kind="stable")
        steps, epochs = steps[order], epochs[order]
        changes = np.concatenate([[True], epochs[1:] != epochs[:-1]])
        self.steps, self.epochs = steps[changes], epochs[changes]
