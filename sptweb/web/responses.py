"""JSON responses with orjson: fast, and NaN/Inf become null instead of bare tokens."""

from __future__ import annotations

import orjson
from flask import Response

from ..scan.records import printable

OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def json_response(payload, status: int = 200) -> Response:
    try:
        body = orjson.dumps(payload, option=OPTIONS)
    except TypeError:  # a path or a name with bytes that are not UTF-8: escape them and try again
        body = orjson.dumps(_printable(payload), option=OPTIONS)
    return Response(body, status=status, mimetype="application/json")


def _printable(value):
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_printable(item) for item in value]
    return value


def json_error(message: str, status: int) -> Response:
    """The API's one error shape: `{"error": "..."}`."""
    return json_response({"error": message}, status)
