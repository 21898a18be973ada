"""The pages' ES modules: one Leaflet, libraries by name through an import map that the strict
Content-Security-Policy allows by its hash, and the service worker's imports by path."""

import base64
import hashlib
import json
import re

from app.config import ROOT
from app.importmap import IMPORTS

STATIC = ROOT / "static"
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


def _precache(client) -> set[str]:
    js = client.get("/sw.js").get_data(as_text=True)
    return {e["url"] for e in json.loads(re.search(r"const PRECACHE = (\[.*?\]);", js, re.S).group(1))}


def test_one_leaflet_build_is_served_and_precached(client):
    urls = _precache(client)
    leaflet_js = sorted(u for u in urls if u.startswith("/static/vendor/leaflet/") and u.endswith(".js"))
    assert leaflet_js == ["/static/vendor/leaflet/leaflet.js"]
    assert sorted(p.name for p in (STATIC / "vendor" / "leaflet").glob("*.js")) == ["leaflet.js"]
    source = (STATIC / "vendor" / "leaflet" / "leaflet.js").read_text()
    # the ES module build (it exports, defines no global), minified, its licence kept
    assert "export{" in source.replace(" ", "") and "window.L=" not in source
    assert source.startswith("/* @preserve") and "Leaflet 1.9.4" in source[:200]
    assert len(source) < 200_000


def test_pages_carry_the_import_map_the_policy_allows(client, demo):
    for url in ("/", "/search", "/offline?lang=en", "/embed/tours/altstadt-erinnerungen"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        html = resp.get_data(as_text=True)
        found = IMPORT_MAP.findall(html)
        assert len(found) == 1, url
        digest = base64.b64encode(hashlib.sha256(found[0].encode()).digest()).decode()
        csp = resp.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
        assert script_src == ["'self'", f"'sha256-{digest}'"], url
        assert json.loads(found[0]) == {"imports": IMPORTS}
        # before every module script and module preload of the page
        first_module = min(i for i in (html.find('type="module"'), html.find("modulepreload")) if i >= 0)
        assert html.find('type="importmap"') < first_module, url


def test_every_name_in_the_import_map_is_a_served_file(client):
    for name, url in IMPORTS.items():
        resp = client.get(url)
        assert resp.status_code == 200, name
        assert resp.mimetype in ("text/javascript", "application/javascript"), name


def _imports(path):
    text = path.read_text()
    return re.findall(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""", text)


SW_MODULES = ("offline-queue.js", "beacon.js")


def test_page_modules_import_libraries_by_name_and_app_modules_by_path():
    for path in sorted((STATIC / "js").glob("*.js")):
        for spec in _imports(path):
            assert not spec.startswith("."), f"{path.name}: relative import {spec}"
            # (the modules the service worker imports too: a worker has no import map)
            assert not spec.startswith("/static/vendor/") or path.name in SW_MODULES, (
                f"{path.name}: a library by path ({spec}); name it in app/importmap.py")
            if not spec.startswith("/"):
                assert spec in IMPORTS, f"{path.name}: {spec} is not in the import map"


def test_the_service_worker_imports_only_paths(client):
    # Workers have no import maps: every module in the worker's graph names its imports by path.
    js = client.get("/sw.js").get_data(as_text=True)
    graph = [s for s in re.findall(r'from "([^"]+)"', js) if s.startswith("/static/js/")]
    assert graph
    for spec in graph:
        for inner in _imports(STATIC / spec.removeprefix("/static/")):
            assert inner.startswith("/static/"), f"{spec} imports {inner}"


def test_fmt_and_read_json_are_written_once():
    sources = {p.name: p.read_text() for p in (STATIC / "js").glob("*.js")}
    for helper in ("fmt", "readJson"):
        defined = [n for n, s in sources.items()
                   if re.search(rf"(?:function\s+{helper}\s*\(|const\s+{helper}\s*=)", s)]
        assert defined == ["helpers.js"], helper
