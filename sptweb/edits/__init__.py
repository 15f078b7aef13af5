"""Viewer-owned edits (name, notes, tags, archived): the overlay model, its atomic store, one validation path.

Edits never go into a training job's files: they live in `sptweb-overlay.json`
beside the sidecar, merged over it for display.
"""

from .overlay import EMPTY, OVERLAY_FILE, Overlay, OverlayError
from .store import OverlayStore, OverlayWriteError
from .validate import EditError, from_form, validate

__all__ = [
    "EMPTY",
    "OVERLAY_FILE",
    "EditError",
    "Overlay",
    "OverlayError",
    "OverlayStore",
    "OverlayWriteError",
    "from_form",
    "validate",
]
