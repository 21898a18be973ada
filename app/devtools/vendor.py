"""Copy the browser libraries the pages need from node_modules/ into static/vendor/.

npm only fetches (``npm ci`` from package-lock.json); this decides what is served. The list is
explicit so nothing else from node_modules becomes public by accident.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# source (relative to node_modules) -> destination (relative to static/vendor)
FILES: dict[str, str] = {
    "leaflet/dist/leaflet-src.esm.js": "leaflet/leaflet-src.esm.js",
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images": "leaflet/images",
    # /api/docs: Swagger UI for the generated OpenAPI document (started by static/js/api-docs.js)
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
    # contribute: EXIF GPS read on the phone (works offline); IndexedDB for the offline queue
    "exifr/dist/lite.esm.mjs": "exifr/lite.esm.js",
    "idb/build/index.js": "idb/index.js",
}


def copy_vendor() -> list[Path]:
    """Copy every listed file or directory; returns the destinations."""
    copied = []
    for src_rel, dst_rel in FILES.items():
        src = NODE_MODULES / src_rel
        dst = VENDOR / dst_rel
        if not src.exists():
            raise FileNotFoundError(f"{src_rel} is missing from node_modules: run `npm ci`")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
        copied.append(dst)
    return copied


if __name__ == "__main__":
    try:
        n = len(copy_vendor())
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"static/vendor: {n} entries copied")
