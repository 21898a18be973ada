"""The pages' import map: page modules import the vendored libraries by their package names
(``import * as L from "leaflet"``), and this says which file under /static/vendor each name is.

The map is an inline script, so the Content-Security-Policy (app/csp.py) allows it by the hash
of its exact text; it is fixed when the app starts, so the policy stays one fixed header. Its
URLs are unversioned, like every module that other modules import (app/web/assets.py): the
browser keeps one instance per URL, and the service worker's precache keys them by path.

Service workers have no import maps: static/sw.js and the modules it imports
(static/js/sw-caches.js, static/js/offline-queue.js) name their imports by path.
"""

from __future__ import annotations

import base64
import hashlib
import json

IMPORTS: dict[str, str] = {
    "leaflet": "/static/vendor/leaflet/leaflet.js",
    "exifr": "/static/vendor/exifr/lite.esm.js",
    "sortablejs": "/static/vendor/sortablejs/sortable.esm.js",
    "workbox-window": "/static/vendor/workbox-window/workbox-window.js",
    # a classic script that extends the global L (static/js/tour-editor.js sets one up first)
    "@geoman-io/leaflet-geoman-free": "/static/vendor/leaflet-geoman/leaflet-geoman.js",
}

IMPORT_MAP = json.dumps({"imports": IMPORTS}, separators=(",", ":"))
# The CSP source expression for the map's <script type="importmap"> (CSP Level 3 hashes the
# element's text exactly as it is in the page: base.html puts IMPORT_MAP there untouched).
IMPORT_MAP_HASH = (
    "'sha256-" + base64.b64encode(hashlib.sha256(IMPORT_MAP.encode()).digest()).decode() + "'"
)
