"""Viewer-owned edits (name, notes, tags, archived) kept beside a run's sidecar.json.

The trainer rewrites sidecar.json from its own memory on every flush, so
edits written there would vanish. The overlay is a separate file the trainer
never touches, merged over the sidecar for display. Tags are stored as what
the user added and removed, so tags the trainer adds later still show.
Pure: parsing, merging and applying edits; store.py does the I/O.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from typing import Any

OVERLAY_FILE = "sptweb-overlay.json"
SCHEMA = 1


class OverlayError(ValueError):
    """The overlay file exists but cannot be read; editing must not overwrite it."""


@dataclass(frozen=True, slots=True)
class Overlay:
    display_name: str | None = None  # None: the sidecar's name (or the run id)
    notes: str | None = None  # None: the sidecar's notes
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    archived: bool = False
    updated_at: float | None = None

    def merged_tags(self, sidecar_tags: tuple[str, ...]) -> tuple[str, ...]:
        if not (self.tags_added or self.tags_removed):  # nearly every run (the tags of a sidecar are unique)
            return sidecar_tags
        kept = [tag for tag in sidecar_tags if tag not in self.tags_removed]
        return tuple(dict.fromkeys([*kept, *self.tags_added]))

    def to_json(self) -> bytes:
        document = {
            "schema": SCHEMA,
            "display_name": self.display_name,
            "notes": self.notes,
            "tags_added": list(self.tags_added),
            "tags_removed": list(self.tags_removed),
            "archived": self.archived,
            "updated_at": self.updated_at,
        }
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


EMPTY = Overlay()


def parse_overlay(raw: bytes) -> Overlay:
    """The overlay in a file's bytes; OverlayError when they are not one."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OverlayError(f"overlay is not valid JSON: {exc}") from None
    except (RecursionError, ValueError):  # 100k `[`, or an integer of thousands of digits
        raise OverlayError("overlay is not usable JSON (nested too deeply or a number too large)") from None
    if not isinstance(document, dict):
        raise OverlayError("overlay is not a JSON object")
    return Overlay(
        display_name=_optional_text(document.get("display_name")),
        notes=_optional_text(document.get("notes")),
        tags_added=_tag_tuple(document.get("tags_added")),
        tags_removed=_tag_tuple(document.get("tags_removed")),
        archived=document.get("archived") is True,
        updated_at=_time(document.get("updated_at")),
    )


def apply_edit(overlay: Overlay, edit: dict, sidecar_tags: tuple[str, ...]) -> Overlay:
    """The overlay after a validated edit (see validate.py); fields not in the edit are kept."""
    added, removed = list(overlay.tags_added), list(overlay.tags_removed)
    if "tags" in edit:  # a full list: store it as the difference from the sidecar's tags
        added = [tag for tag in edit["tags"] if tag not in sidecar_tags]
        removed = [tag for tag in sidecar_tags if tag not in edit["tags"]]
    for tag in edit.get("add_tags", ()):
        removed = [other for other in removed if other != tag]
        if tag not in sidecar_tags and tag not in added:
            added.append(tag)
    for tag in edit.get("remove_tags", ()):
        added = [other for other in added if other != tag]
        if tag in sidecar_tags and tag not in removed:
            removed.append(tag)
    changes: dict[str, Any] = {"tags_added": tuple(added), "tags_removed": tuple(removed), "updated_at": time.time()}
    if "display_name" in edit:
        changes["display_name"] = edit["display_name"] or None  # empty: back to the default name
    if "notes" in edit:
        changes["notes"] = edit["notes"]
    if "archived" in edit:
        changes["archived"] = edit["archived"]
    return replace(overlay, **changes)


def _time(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value) if math.isfinite(float(value)) else None
    except OverflowError:
        return None


def _optional_text(value) -> str | None:
    return value if isinstance(value, str) else None


def _tag_tuple(value) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tag for tag in value if isinstance(tag, str))) if isinstance(value, list) else ()
