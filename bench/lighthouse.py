"""Lighthouse budgets of the visitor pages, on a phone, against the demo.

    .venv/bin/python bench/lighthouse.py [--runs 3] [--base-url URL]

Without --base-url it serves the app itself on a free port, on the development database
with the Winterthur demo (``make run`` prepares it; DATABASE_URL and MEDIA_ROOT point it at
another), compressed by the app as in production, with map tiles from a local stand-in so no
public tile server is asked. Lighthouse (npm, pinned) is installed into a temporary folder on
first use and drives the system Chromium (CHROME_PATH, default /usr/bin/chromium) with its
mobile settings and simulated throttling.

Prints per page the four scores against their budgets (performance >= 90, accessibility 100,
best practices >= 95, SEO >= 95) and, for the tour page, the bytes transferred before photos
and map tiles against the 250 KB budget, with the service worker's background install
traffic counted separately. Performance is noisy on a shared machine: use --runs 3 (the
median run is reported). This is a measurement, not a test: it exits 0 unless Lighthouse
could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LIGHTHOUSE_VERSION = "12.8.2"
LH_DIR = Path(tempfile.gettempdir()) / f"stadtspur-lighthouse-{LIGHTHOUSE_VERSION}"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
    "--disable-background-networking --disable-component-update --disable-sync "
    "--no-first-run --disable-quic"
)
BUDGETS = {"performance": 90, "accessibility": 100, "best-practices": 95, "seo": 95}
TOUR_TRANSFER_BUDGET = 250 * 1024
# A 256 px grey tile: what the map shows while tiles are stubbed (real size ~ a light tile).
TILE_PATH = "/bench-tiles/"


def _tile_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 230, 225)).save(buf, "PNG")
    return buf.getvalue()


class LocalTiles:
    """WSGI wrapper: a local tile stand-in under /bench-tiles/."""

    def __init__(self, app):
        self.app = app
        self.tile = _tile_png()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(TILE_PATH):
            start_response("200 OK", [("Content-Type", "image/png"),
                                      ("Content-Length", str(len(self.tile))),
                                      ("Cache-Control", "max-age=86400"),
                                      ("Access-Control-Allow-Origin", "*")])
            return [self.tile]
        return self.app(environ, start_response)


def serve_demo() -> tuple[str, object]:
    from werkzeug.serving import make_server

    from app import create_app

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    app = create_app({"TILE_URL": TILE_PATH + "{z}/{x}/{y}.png", "RATELIMIT_ENABLED": False})
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, LocalTiles(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", (server, app)


def ensure_lighthouse() -> Path:
    cli = LH_DIR / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        LH_DIR.mkdir(parents=True, exist_ok=True)
        if not (LH_DIR / "package.json").exists():
            (LH_DIR / "package.json").write_text('{"private": true}')
        print(f"installing lighthouse@{LIGHTHOUSE_VERSION} (npm, once) ...", file=sys.stderr)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
             f"lighthouse@{LIGHTHOUSE_VERSION}"],
            cwd=LH_DIR, check=True,
        )
    return cli


def run_lighthouse(cli: Path, url: str, runs: int) -> dict:
    reports = []
    for _ in range(runs):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
            path = Path(out.name)
        try:
            subprocess.run(
                [str(cli), url, "--output=json", f"--output-path={path}", "--quiet",
                 "--form-factor=mobile", "--screenEmulation.mobile", "--throttling-method=simulate",
                 "--only-categories=performance,accessibility,best-practices,seo",
                 "--no-enable-error-reporting", f"--chrome-flags={CHROME_FLAGS}"],
                check=True, env={**os.environ, "CHROME_PATH": CHROME},
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            reports.append(json.loads(path.read_text()))
        finally:
            path.unlink(missing_ok=True)
    reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
    return reports[len(reports) // 2]


def transfer_breakdown(report: dict) -> dict:
    """Bytes on the wire by kind: the page itself, photos, tiles, service-worker install."""
    items = report["audits"]["network-requests"]["details"]["items"]
    out = {"page": 0, "photos": 0, "tiles": 0, "service_worker": 0}
    for item in items:
        url, size = item["url"], item.get("transferSize") or 0
        if TILE_PATH in url or "tile.openstreetmap.org" in url:
            out["tiles"] += size
        elif "/media/" in url:
            out["photos"] += size
        elif url.endswith("/sw.js") or "/static/vendor/workbox/" in url or "__WB_REVISION__" in url:
            out["service_worker"] += size
        else:
            out["page"] += size
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--base-url", help="audit a running demo instead of serving one")
    args = parser.parse_args()
    if not Path(CHROME).exists() or shutil.which("npm") is None:
        print("needs Chromium (CHROME_PATH) and npm", file=sys.stderr)
        return 2
    cli = ensure_lighthouse()
    base, keep = (args.base_url.rstrip("/"), None) if args.base_url else serve_demo()
    place_id, tour_slug = 1, "altstadt-erinnerungen"
    if keep:
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Place, Tour

        with keep[1].app_context():
            place_id = db.session.scalar(select(Place.id).where(Place.status == "approved")
                                         .order_by(Place.id)) or 1
            tour_slug = db.session.scalar(select(Tour.slug).where(Tour.status == "published")
                                          .order_by(Tour.featured.desc(), Tour.id)) or tour_slug
    pages = {"home": "/", "place": f"/places/{place_id}", "tour": f"/tours/{tour_slug}"}
    print(f"Lighthouse {LIGHTHOUSE_VERSION}, mobile, simulated throttling, {args.runs} run(s), "
          f"median by performance; {base}")
    print(f"{'page':6} " + " ".join(f"{k:>15}" for k in BUDGETS))
    results = {}
    for name, path in pages.items():
        report = run_lighthouse(cli, base + path, args.runs)
        results[name] = report
        cells = []
        for cat, budget in BUDGETS.items():
            score = round((report["categories"][cat]["score"] or 0) * 100)
            mark = "ok" if score >= budget else "OVER"
            cells.append(f"{score:>4}/{budget:<3} {mark:>4}")
        print(f"{name:6} " + " ".join(f"{c:>15}" for c in cells))
        failing = [a["id"] for a in report["audits"].values()
                   if a.get("score") is not None and a["score"] < 0.9
                   and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")]
        if failing:
            print(f"       below 0.9: {', '.join(sorted(failing)[:12])}")
    tour = transfer_breakdown(results["tour"])
    ratio = tour["page"] / TOUR_TRANSFER_BUDGET
    print(f"tour page transfer before photos and tiles: {tour['page'] / 1024:.1f} KB "
          f"= {ratio:.2f} x the 250 KB budget "
          f"(tiles {tour['tiles'] / 1024:.1f} KB, photos {tour['photos'] / 1024:.1f} KB, "
          f"service worker install in the background {tour['service_worker'] / 1024:.1f} KB)")
    metrics = results["tour"]["audits"]
    print("tour page metrics: "
          f"FCP {metrics['first-contentful-paint']['numericValue'] / 1000:.2f} s, "
          f"LCP {metrics['largest-contentful-paint']['numericValue'] / 1000:.2f} s, "
          f"TBT {metrics['total-blocking-time']['numericValue']:.0f} ms, "
          f"CLS {metrics['cumulative-layout-shift']['numericValue']:.3f}")
    if keep:
        keep[0].shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
