"""The site's Content-Security-Policy: one definition, for the pages and for the embeds (which
differ only in who may frame them)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from app.importmap import IMPORT_MAP_HASH


def content_security_policy(app: Flask) -> dict:
    """The policy's directives for Talisman: only our own origin, plus the tile server."""
    tile_origin = "{0.scheme}://{0.netloc}".format(urlsplit(app.config["TILE_URL"]))
    if tile_origin == "://":
        tile_origin = "'self'"
    return {
        "default-src": "'self'",
        # and the pages' import map, an inline script allowed by its hash (app/importmap.py)
        "script-src": ["'self'", IMPORT_MAP_HASH],
        "style-src": "'self'",
        "img-src": ["'self'", "data:", "blob:", tile_origin],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", tile_origin],
        "font-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
