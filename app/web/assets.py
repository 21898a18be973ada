"""Static files with versioned URLs, so browsers and CDNs keep them for a year.

``url_for("static", filename=...)`` adds ``?v=`` and the first 12 hex digits of the file's
content hash. A request whose ``v`` is the current hash is answered with
``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a new URL, so a kept
copy is never stale. Without ``v`` (or with an old one) the answer must be revalidated (ETag),
as before. That covers the ES modules that other modules ``import`` by their plain path: the
browser keeps one instance of a module per URL, so they stay unversioned and every page gets one
consistent set of them.

Static files never depend on the session, so their responses neither set the session cookie
nor vary on it: Flask-Login touches the session on every response, and ``Vary: Cookie`` would
make browsers and CDNs keep a separate copy per cookie value (or none at all).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Blueprint, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import safe_join

bp = Blueprint("assets", __name__)

YEAR = 365 * 24 * 3600
VERSION_LENGTH = 12
# The web app manifest keeps one URL: browsers fetch it on their own schedule, and older ones
# tell installed apps apart by it.
UNVERSIONED = frozenset({"manifest.webmanifest"})


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    # Keyed by modification time and size: an edited file (development) is hashed again.
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()[:VERSION_LENGTH]


def static_version(filename: str | None) -> str | None:
    """The content version of a file under static/, or None when there is no such file."""
    if not filename:
        return None
    path = safe_join(current_app.static_folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@bp.app_url_defaults
def _add_static_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and values.get("filename") not in UNVERSIONED:
        version = static_version(values["filename"])
        if version:
            values["v"] = version


@bp.after_app_request
def _cache_versioned_static(response):
    if request.endpoint != "static" or response.status_code not in (200, 206, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename", "")
    if version and version == static_version(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response


class StaticWithoutSessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, left untouched by responses for static files."""

    def get_signing_serializer(self, app):
        # Built once per set of keys rather than on every request (Flask's default):
        # the serializer holds no per-request state.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = getattr(self, "_serializer", None)
        if cached is None or cached[0] != keys:
            cached = (keys, super().get_signing_serializer(app))
            self._serializer = cached
        return cached[1]

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static" and not session.modified:
            return
        super().save_session(app, session, response)


@bp.record_once
def _static_without_session(state) -> None:
    # Only when the app uses Flask's own cookie session (nothing else replaced it).
    if type(state.app.session_interface) is SecureCookieSessionInterface:
        state.app.session_interface = StaticWithoutSessionInterface()
