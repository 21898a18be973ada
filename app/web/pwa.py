"""The installable, offline side of the site: the service worker and the offline page.

The service worker is served from ``/sw.js`` so that its scope is the whole site. Its precache
manifest (every app-shell file with a content hash) is computed here from the files on disk,
once per process (on every request in debug mode), the way Workbox's ``injectManifest`` does at
build time: a changed file changes the script, and the browser installs the new version.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import force_locale

from app.config import ROOT

bp = Blueprint("pwa", __name__)

STATIC = ROOT / "static"
# The app shell: what every page needs to render and work offline. Vendored files are listed
# by folder; big ones that only one page uses (API docs) stay out and are cached when used.
PRECACHE_GLOBS = (
    "css/*.css",
    "js/*.js",
    "vendor/leaflet/leaflet.js",  # Leaflet's one build: the ES module, minified
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/*",
    "vendor/workbox-window/*.js",
    "vendor/idb/*.js",
    "vendor/exifr/*.js",
    "icons/*.png",
    "manifest.webmanifest",
)
# The offline page depends on these files; their hash is its revision.
OFFLINE_INPUTS = ("templates/base.html", "templates/pwa/offline.html", "static/js/offline.js")


def _hash(paths: list[Path]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _precache_entries() -> list[dict]:
    files = sorted(
        {p for pattern in PRECACHE_GLOBS for p in STATIC.glob(pattern) if p.is_file()}
    )
    entries = [
        {"url": f"/static/{p.relative_to(STATIC).as_posix()}", "revision": _hash([p])}
        for p in files
    ]
    catalogues = sorted((ROOT / "app" / "translations").rglob("*.mo"))
    offline_rev = _hash([ROOT / f for f in OFFLINE_INPUTS] + catalogues)
    for lang in current_app.config["LANGUAGES"]:
        entries.append({"url": f"/offline?lang={lang}", "revision": offline_rev})
    return entries


def tile_pattern(tile_url: str, base: str) -> str:
    """A JavaScript regular expression source matching the URLs of the configured tile server
    (``{s}``, ``{z}``, ``{x}``, ``{y}`` and ``{r}`` placeholders as in Leaflet)."""
    absolute = urljoin(base, tile_url)
    pattern = re.escape(absolute)
    for placeholder, repl in (
        (r"\{s\}", "[a-z0-9-]+"),
        (r"\{z\}", r"\d+"),
        (r"\{x\}", r"\d+"),
        (r"\{y\}", r"\d+"),
        (r"\{r\}", "(?:@2x)?"),
    ):
        pattern = pattern.replace(placeholder, repl)
    # re.escape escapes "/" and "-" nowhere harmful for JavaScript; anchor at the start.
    return "^" + pattern


@lru_cache(maxsize=4)
def _service_worker_cached(base: str, key: tuple) -> str:
    return _build_service_worker(base)


def _build_service_worker(base: str) -> str:
    cfg = current_app.config
    config = {
        "defaultLocale": cfg["DEFAULT_LOCALE"],
        "locales": list(cfg["LANGUAGES"]),
        "tilePattern": tile_pattern(cfg["TILE_URL"], base),
        "mediaUrl": cfg["MEDIA_URL"].rstrip("/") + "/",
    }
    source = (STATIC / "sw.js").read_text(encoding="utf-8")
    source = source.replace("self.__WB_MANIFEST", json.dumps(_precache_entries(), indent=0))
    return source.replace("self.__STADTSPUR_CONFIG", json.dumps(config))


@bp.get("/sw.js")
def service_worker():
    base = request.host_url
    if current_app.debug:
        body = _build_service_worker(base)
    else:
        body = _service_worker_cached(base, (current_app.config["TILE_URL"],))
    resp = Response(body, mimetype="text/javascript")
    # The browser checks for a new version on every navigation; never let a cache answer that.
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


@bp.get("/offline")
def offline():
    """What is saved on this phone (filled in by static/js/offline.js from the caches)."""
    lang = request.args.get("lang")
    if lang is not None and lang not in current_app.config["LANGUAGES"]:
        abort(404)
    if lang:
        with force_locale(lang):
            return render_template("pwa/offline.html", forced_locale=lang)
    return render_template("pwa/offline.html", forced_locale=None)
