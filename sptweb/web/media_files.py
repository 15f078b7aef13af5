"""The `media` blueprint: a run's media files, only ever from under its media/ directory."""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, send_file

from . import args
from .current import get_scanner, run_or_404

bp = Blueprint("media", __name__)

CACHE_SECONDS = 365 * 24 * 3600  # file names carry the step, so a URL's bytes never change
INLINE_TYPES = ("image/", "video/", "audio/", "text/plain")  # shown in the page; anything else downloads
FILE_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
EXTRA_TYPES = {
    ".webm": "video/webm",
    ".mp4": "video/mp4",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mov": "video/quicktime",
}


@bp.get("/media/file")
def file():
    """One file under the run's media/ directory; Range requests let videos seek."""
    run = run_or_404(args.required("run"))
    relative = args.required("path")
    if run.kind == "tensorboard":
        return _embedded(run, relative)
    path = get_scanner().media.file_path(run.path, relative)
    if path is None:
        abort(404, description=f"no media file {relative[:200]!r} in run {run.run_id!r}")
    mimetype = _content_type(path)
    inline = mimetype.startswith(INLINE_TYPES)
    response = send_file(
        path,
        mimetype=mimetype if inline else "application/octet-stream",
        as_attachment=not inline,  # an .html under media/ is a download, never a page of this origin
        conditional=True,
        max_age=CACHE_SECONDS,
    )
    return _file_headers(response)


def _file_headers(response: Response) -> Response:
    """No sniffing, long caching, and a sandbox: a file opened on its own can run no script."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}, immutable"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


def _embedded(run, ref: str) -> Response:
    """An image stored inside the run's TensorBoard event file (its path names the record)."""
    data = get_scanner().media.embedded_bytes(run.path, ref)
    if data is None:
        abort(404, description=f"no image {ref[:200]!r} in run {run.run_id!r}")
    return _file_headers(Response(data, mimetype=_image_type(data)))


def _image_type(data: bytes) -> str:
    """TensorBoard stores images encoded (PNG by tensorboardX and torch; GIF or JPEG by others)."""
    for signature, mimetype in ((b"\x89PNG", "image/png"), (b"GIF8", "image/gif"), (b"\xff\xd8", "image/jpeg")):
        if data.startswith(signature):
            return mimetype
    return "application/octet-stream"


def _content_type(path: str) -> str:
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
