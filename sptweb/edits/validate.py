"""Validation of metadata edits: one path for `PATCH /api/meta` (JSON) and the page forms.

A valid edit is a dict with some of: display_name (str), notes (str), tags
(list, replaces), add_tags / remove_tags (lists), archived (bool).
"""

from __future__ import annotations

import re

MAX_BODY_BYTES = 256 * 1024  # notes are text, not attachments
MAX_NAME = 200
MAX_NOTES = 100_000
MAX_TAG = 64
MAX_TAGS = 100
# Letters, digits and the punctuation tags use in practice (sweep:123, lr=0.1, team/vision, v1.2+fix, a@b).
TAG = re.compile(r"^[\w.:/=+@-]+$")
TEXT_FIELDS = {"display_name": MAX_NAME, "notes": MAX_NOTES}
TAG_FIELDS = ("tags", "add_tags", "remove_tags")
FIELDS = (*TEXT_FIELDS, *TAG_FIELDS, "archived")


class EditError(ValueError):
    """A refused edit: HTTP status and a message for the user; nothing is written."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def validate(payload) -> dict:
    """A clean edit from a decoded JSON body, or EditError (400 for shape, 422 for values)."""
    if not isinstance(payload, dict):
        raise EditError(400, 'the body must be a JSON object, e.g. {"notes": "..."}')
    if not payload:
        raise EditError(400, f"nothing to change; editable fields: {', '.join(FIELDS)}")
    unknown = [key for key in payload if key not in FIELDS]
    if unknown:
        raise EditError(422, f"unknown field {unknown[0]!r}; editable fields: {', '.join(FIELDS)}")
    edit: dict[str, str | list[str] | bool] = {}
    for key, value in payload.items():
        if key in TEXT_FIELDS:
            edit[key] = _text(key, value, TEXT_FIELDS[key])
        elif key in TAG_FIELDS:
            edit[key] = _tags(key, value)
        else:
            edit[key] = _flag(key, value)
    return edit


def from_form(form) -> dict:
    """The page forms' fields as the same payload the JSON API takes, then validated.

    `form` is a multi-dict (`in`, `[key]`, `getlist(key)`), e.g. a request's form.
    """
    payload = {}
    for key in TEXT_FIELDS:
        if key in form:
            payload[key] = form[key].replace("\r\n", "\n")
    for key in ("add_tags", "remove_tags"):
        if key in form:
            payload[key] = [tag.strip() for value in form.getlist(key) for tag in value.split(",") if tag.strip()]
    if "archived" in form:
        payload["archived"] = form["archived"] in ("1", "true", "on")
    unknown = [key for key in form if key not in FIELDS]
    if unknown:
        raise EditError(422, f"unknown field {unknown[0]!r}")
    return validate(payload)


def _text(key: str, value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EditError(422, f"{key} must be a string, got {type(value).__name__}")
    value = value.strip() if key == "display_name" else value
    _check_encodable(key, value)
    if len(value) > limit:
        raise EditError(422, f"{key} is {len(value):,} characters; at most {limit:,}")
    if key == "display_name" and any(ord(char) < 32 for char in value):
        raise EditError(422, "display_name must be a single line of text")
    return value


def _tags(key: str, value) -> list[str]:
    if not isinstance(value, list):
        raise EditError(422, f"{key} must be a list of strings, got {type(value).__name__}")
    if len(value) > MAX_TAGS:
        raise EditError(422, f"{key} has {len(value)} tags; at most {MAX_TAGS}")
    tags = []
    for tag in value:
        if not isinstance(tag, str):
            raise EditError(422, f"every tag must be a string, got {type(tag).__name__}")
        if len(tag) > MAX_TAG:
            raise EditError(422, f"tag {tag[:20]!r}… is {len(tag)} characters; at most {MAX_TAG}")
        if not TAG.match(tag):
            raise EditError(422, f"tag {tag!r} may only hold letters, digits and . : / = + @ - _")
        tags.append(tag)
    return list(dict.fromkeys(tags))


def _check_encodable(key: str, value: str) -> None:
    """JSON may carry lone surrogates (\ud800) that no file can hold as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise EditError(422, f"{key} holds characters that are not valid Unicode") from None


def _flag(key: str, value) -> bool:
    if not isinstance(value, bool):
        raise EditError(422, f"{key} must be true or false, got {value!r:.20}")
    return value
