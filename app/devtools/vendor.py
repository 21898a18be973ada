"""Copy the browser libraries the pages need from node_modules/ into static/vendor/.

npm only fetches (``npm ci`` from package-lock.json); this decides what is served. The list is
explicit so nothing else from node_modules becomes public by accident.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
VENDOR = ROOT / "static" / "vendor"

# source (relative to node_modules) -> destination (relative to static/vendor)
FILES: dict[str, str] = {
    "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
    "leaflet/dist/images": "leaflet/images",
    # /api/docs: Swagger UI for the generated OpenAPI document (started by static/js/api-docs.js)
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
    # contribute: EXIF GPS read on the phone (works offline); IndexedDB for the offline queue
    "exifr/dist/lite.esm.mjs": "exifr/lite.esm.js",
    "idb/build/index.js": "idb/index.js",
    # tour editor: drawing and editing the route line on the map (expects a global L)
    "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.js": "leaflet-geoman/leaflet-geoman.js",
    "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css": "leaflet-geoman/leaflet-geoman.css",
    # tour editor: reordering stops by touch, pen or mouse (ES module with auto-scroll built in)
    "sortablejs/modular/sortable.esm.js": "sortablejs/sortable.esm.js",
    # every page: registers the service worker and offers its updates (static/js/offline.js);
    # the production ES module build, self-contained
    "workbox-window/build/workbox-window.prod.mjs": "workbox-window/workbox-window.js",
}

# ES modules that upstream ships unminified only: Leaflet's one ES module build is 109 KB
# gzipped, 43 KB minified (the size of its classic minified build). Every page module imports
# this one file ("leaflet" in app/importmap.py). terser (a devDependency) minifies it through
# package.json's "vendor-minify" script, into node_modules/.cache; the production image runs
# that script in its Node stage, and this then copies the result without needing Node.
MINIFIED: dict[str, str] = {
    ".cache/stadtspur-vendor/leaflet.js": "leaflet/leaflet.js",
}
MINIFY_INPUTS = ("leaflet/dist/leaflet-src.esm.js", "terser/package.json")
MINIFY_KEY = NODE_MODULES / ".cache" / "stadtspur-vendor" / "inputs.sha256"

# Workbox for the service worker (static/sw.js), as its own ES modules: a module service worker
# can import them, but not bare names ("workbox-core/...", "idb") and not `process.env`, which a
# bundler would resolve. copy_esm() rewrites both while copying, so no bundler is needed.
# package folder (relative to node_modules) -> destination (relative to static/vendor)
ESM_PACKAGES: dict[str, str] = {
    "workbox-core": "workbox/workbox-core",
    "workbox-routing": "workbox/workbox-routing",
    "workbox-strategies": "workbox/workbox-strategies",
    "workbox-precaching": "workbox/workbox-precaching",
    "workbox-expiration": "workbox/workbox-expiration",
    "workbox-cacheable-response": "workbox/workbox-cacheable-response",
    "workbox-range-requests": "workbox/workbox-range-requests",
    # workbox-expiration's own idb (7.x; the pages use idb 8 above)
    "workbox-expiration/node_modules/idb/build": "workbox/idb",
}
ESM_SPECIFIERS: dict[str, str] = {
    "idb": "/static/vendor/workbox/idb/index.js",
    **{f"{name}/": f"/static/vendor/{dst}/" for name, dst in ESM_PACKAGES.items()
       if name.startswith("workbox-") and "/" not in name},
}
_SPECIFIER = re.compile(r"""(\bfrom\s*|\bimport\s*)(["'])([^"'./][^"']*)\2""")


def _rewrite_esm(source: str) -> str:
    def resolve(match: re.Match) -> str:
        name = match.group(3)
        for prefix, target in ESM_SPECIFIERS.items():
            if name == prefix or (prefix.endswith("/") and name.startswith(prefix)):
                name = target + name[len(prefix):] if prefix.endswith("/") else target
                break
        return f"{match.group(1)}{match.group(2)}{name}{match.group(2)}"

    # Development-only branches (asserts, logging) are dropped just as in Workbox's prod build.
    return _SPECIFIER.sub(resolve, source).replace("process.env.NODE_ENV", '"production"')


def copy_esm() -> list[Path]:
    """Copy the ES module files of ESM_PACKAGES with rewritten imports; returns destinations."""
    copied = []
    for src_rel, dst_rel in ESM_PACKAGES.items():
        src_root = NODE_MODULES / src_rel
        if not src_root.exists():
            raise FileNotFoundError(f"{src_rel} is missing from node_modules: run `npm ci`")
        for src in src_root.rglob("*.js"):
            rel = src.relative_to(src_root)
            if rel.parts[0] in {"build", "src", "node_modules"}:  # bundles, sources, nested deps
                continue
            dst = VENDOR / dst_rel / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_text(_rewrite_esm(src.read_text(encoding="utf-8")), encoding="utf-8")
            copied.append(dst)
    return copied


def minify() -> list[Path]:
    """Copy the minified files of MINIFIED; returns the destinations. Where Node is installed,
    the minifier runs first unless its inputs are the same as last time."""
    digest = hashlib.sha256()
    for rel in MINIFY_INPUTS:
        if not (NODE_MODULES / rel).exists():
            raise FileNotFoundError(f"{rel} is missing from node_modules: run `npm ci`")
        digest.update((NODE_MODULES / rel).read_bytes())
    key = digest.hexdigest()
    outputs = [NODE_MODULES / src for src in MINIFIED]
    fresh = MINIFY_KEY.exists() and MINIFY_KEY.read_text() == key
    if shutil.which("npm") and not (fresh and all(p.exists() for p in outputs)):
        subprocess.run(["npm", "run", "--silent", "vendor-minify"], cwd=ROOT, check=True)
        MINIFY_KEY.write_text(key)
    done = []
    for src_rel, dst_rel in MINIFIED.items():
        src = NODE_MODULES / src_rel
        if not src.exists():
            raise FileNotFoundError(f"{src_rel} is missing: run `npm ci && npm run vendor-minify`")
        dst = VENDOR / dst_rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        done.append(dst)
    return done


def remove_stale(kept: list[Path]) -> None:
    """Delete what an earlier copy left in static/vendor that is no longer listed (a file left
    there would still be served, and precached by its folder's pattern)."""
    keep = set()
    for path in kept:
        keep.update([path, *path.rglob("*")] if path.is_dir() else [path])
    for path in sorted(VENDOR.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def copy_vendor() -> list[Path]:
    """Copy every listed file or directory; returns the destinations."""
    copied = copy_esm() + minify()
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
    remove_stale(copied)
    return copied


if __name__ == "__main__":
    try:
        n = len(copy_vendor())
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"static/vendor: {n} entries copied")
