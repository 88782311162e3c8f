"""Sending a file of the audio store: by Flask, or by nginx through X-Accel-Redirect.

With ``LOA_ACCEL_REDIRECT=/_audio/`` the app checks who may hear what, as always,
and then answers with an empty body and ``X-Accel-Redirect: /_audio/<sha[:2]>/<file>``;
nginx serves that internal location from the store (ranges, sendfile), so no
web worker is held for the length of a download (packaging/nginx-loa.conf).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, send_file
from werkzeug.datastructures import FileStorage

from loa.errors import LoaError
from loa.web.context import services

# What an upload's suffix may tell ffmpeg; a browser recording comes as WebM/Opus (Chromium,
# Firefox) or MP4/AAC (Safari). Anything else is saved without a suffix and probed.
AUDIO_SUFFIXES = (".mp3", ".wav", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".flac", ".webm",
                  ".mp4")


def send_audio(path: Path, mimetype: str, **options: Any) -> Response:
    """The file at ``path`` (inside the store), or the redirect nginx serves it from."""
    svc = services()
    accel = svc.settings.accel_redirect
    if accel is None:
        return send_file(path, mimetype=mimetype, conditional=True, **options)
    relative = path.resolve().relative_to(svc.store.root.resolve()).as_posix()
    response = Response(status=200, mimetype=mimetype)
    response.headers["X-Accel-Redirect"] = accel + relative
    if options.get("etag"):
        response.set_etag(options["etag"])
    if options.get("max_age"):
        response.cache_control.max_age = options["max_age"]
        response.cache_control.public = True
    return response


def save_upload(upload: FileStorage | None, folder: Path, name: str) -> Path:
    """Keep an uploaded or recorded file in ``folder`` under the fixed ``name``: the client's
    file name never reaches a path, only a suffix from AUDIO_SUFFIXES."""
    if upload is None or not upload.filename:
        raise LoaError("Chưa chọn tệp âm thanh hoặc chưa ghi âm (no audio file chosen or recorded)")
    suffix = Path(upload.filename).suffix.lower()
    path = folder / (name + (suffix if suffix in AUDIO_SUFFIXES else ""))
    upload.save(path)
    return path
