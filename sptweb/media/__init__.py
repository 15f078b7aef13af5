"""Logged images and videos: media.jsonl read incrementally, files served only from <run_dir>/media/."""

from .events import MediaEvent, items_at, steps_of, tags_of
from .store import MediaStore

__all__ = ["MediaEvent", "MediaStore", "items_at", "steps_of", "tags_of"]
