"""Demo data for sptweb: a realistic run tree and a writer that keeps it "training".

``write_demo_tree(root)`` lays out ~30 runs in three SLURM sweeps plus a
standalone run and one broken sidecar, following docs/format.md.
``LiveWriter(root).start()`` then appends metrics, heartbeats and log lines to
the runs that are still running, so the viewer has something live to show.
``write_recorded_runs(root)`` adds the real stable-pretraining runs recorded in
tests/fixtures/spt (completed, failed, killed, requeued), and
``live_recorded_run(root)`` plays one of them live through the LiveWriter.
"""

from .live import LiveWriter
from .replay import live_recorded_run, write_recorded_runs
from .tree import write_demo_tree

__all__ = ["LiveWriter", "live_recorded_run", "write_demo_tree", "write_recorded_runs"]
