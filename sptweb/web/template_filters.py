"""Jinja filters that turn raw values into what a researcher wants to read."""

from __future__ import annotations

import math
import time
from datetime import datetime

from markupsafe import Markup

from ..scan.records import column_value, printable


def register(app) -> None:
    app.jinja_env.finalize = _printable
    app.add_template_filter(reltime)
    app.add_template_filter(abstime)
    app.add_template_filter(duration)
    app.add_template_filter(value)
    app.add_template_filter(column_value, "column")
    app.add_template_filter(filesize)
    app.add_template_filter(formatted)
    app.add_template_filter(breakable)


def _printable(value):
    """Every `{{ … }}` goes through this: a path with bytes that are not UTF-8 shows escaped, not a 500."""
    if isinstance(value, str) and not value.isascii():
        text = printable(value)
        return Markup(text) if isinstance(value, Markup) else text  # already-safe HTML stays safe
    return value


BREAK_AFTER = "/_-."  # where a long id or path may wrap: between its parts, never mid-word


def breakable(text) -> Markup:
    """`text` escaped, with a line-break opportunity (<wbr>) after each separator of an id or a path."""
    escaped = str(Markup.escape(printable(str(text))))
    for separator in BREAK_AFTER:
        escaped = escaped.replace(separator, separator + "<wbr>")
    return Markup(escaped)


def reltime(epoch: float | None, now: float | None = None) -> str:
    """`3 min ago`, `2 d ago`: how long ago, at a glance."""
    if epoch is None:
        return "—"
    delta = (now or time.time()) - epoch
    if delta < 0:
        return "just now" if delta > -60 else abstime(epoch)
    return "just now" if delta < 10 else f"{duration(delta)} ago"


def abstime(epoch: float | None) -> str:
    """Local date and time to the second, for tooltips and the run header."""
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """Two units at most: `45 s`, `12 min`, `3 h 05 min`, `2 d 4 h`."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours < 1:
        return f"{minutes} min"
    if days < 1:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{days} d {hours % 24} h"


def value(raw) -> str:
    """A compact, readable hparam or metric value: 6 significant digits, NaN spelled out."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        if math.isnan(raw):
            return "NaN"
        if math.isinf(raw):
            return "∞" if raw > 0 else "-∞"
        return f"{raw:.6g}"
    return str(raw)


def formatted(raw, number_format=None) -> str:
    """A table cell: numbers in their column's one format (query.number_format.NumberFormat), the rest as `value`."""
    shown = number_format(raw) if number_format is not None else None
    return value(raw) if shown is None else shown


def filesize(size: int | None) -> str:
    """`512 B`, `3.4 KB`, `1.2 GB`: decimal units, as `ls -h --si` shows them."""
    if size is None:
        return "—"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
