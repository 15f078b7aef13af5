"""JSON responses with orjson: fast, and NaN/Inf become null instead of bare tokens."""

from __future__ import annotations

import orjson
from flask import Response


def json_response(payload, status: int = 200) -> Response:
    body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status=status, mimetype="application/json")


def json_error(message: str, status: int) -> Response:
    """The API's one error shape: `{"error": "..."}`."""
    return json_response({"error": message}, status)
