"""Demo data for sptweb: a realistic run tree and a writer that keeps it "training".

``write_demo_tree(root)`` lays out ~30 runs in three SLURM sweeps plus a
standalone run and one broken sidecar, following docs/format.md.
``LiveWriter(root).start()`` then appends metrics, heartbeats and log lines to
the runs that are still running, so the viewer has something live to show.
"""

from .live import LiveWriter
from .tree import write_demo_tree

__all__ = ["LiveWriter", "write_demo_tree"]
