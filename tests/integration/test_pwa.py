"""The installable side: the service worker from the root scope with a revisioned precache
manifest, the web app manifest, the offline page, the larger-text setting."""

import json
import re

from app.web.pwa import tile_pattern


def _manifest_entries(js: str) -> list[dict]:
    match = re.search(r"const PRECACHE = (\[.*?\]);", js, re.S)
    return json.loads(match.group(1))


def test_service_worker_is_served_from_the_root_with_its_precache(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    js = resp.get_data(as_text=True)
    assert "self.__WB_MANIFEST" not in js and "self.__STADTSPUR_CONFIG" not in js
    entries = _manifest_entries(js)
    urls = {e["url"] for e in entries}
    for needed in ("/static/css/app.css", "/static/js/follow.js", "/static/js/offline.js",
                   "/static/js/map.js", "/static/vendor/leaflet/leaflet.js",
                   "/static/manifest.webmanifest", "/offline?lang=de", "/offline?lang=en"):
        assert needed in urls
    assert all(re.fullmatch(r"[0-9a-f]{32}", e["revision"]) for e in entries)
    # Workbox and the contribution queue are imported from our own server, never a CDN.
    imports = re.findall(r'from "([^"]+)"', js)
    assert imports and all(i.startswith("/static/") for i in imports)
    assert "/static/js/offline-queue.js" in imports


def test_precache_revision_follows_the_file_content(app, client, tmp_path, monkeypatch):
    from app.web import pwa

    before = {e["url"]: e["revision"] for e in _manifest_entries(client.get("/sw.js").get_data(True))}
    fake_static = tmp_path / "static"
    (fake_static / "css").mkdir(parents=True)
    (fake_static / "css" / "app.css").write_text("body { color: red }")
    (fake_static / "sw.js").write_text((pwa.STATIC / "sw.js").read_text())
    monkeypatch.setattr(pwa, "STATIC", fake_static)
    pwa._service_worker_cached.cache_clear()
    try:
        after = {e["url"]: e["revision"] for e in _manifest_entries(client.get("/sw.js").get_data(True))}
    finally:
        pwa._service_worker_cached.cache_clear()
    assert after["/static/css/app.css"] != before["/static/css/app.css"]


def test_tile_pattern_matches_only_the_tile_server():
    osm = re.compile(tile_pattern("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "http://x/"))
    assert osm.match("https://tile.openstreetmap.org/15/17161/11487.png")
    assert not osm.match("https://evil.example/tile.openstreetmap.org/15/1/2.png")
    local = re.compile(tile_pattern("/test-tiles/{z}/{x}/{y}.png", "http://127.0.0.1:5000/"))
    assert local.match("http://127.0.0.1:5000/test-tiles/3/4/5.png")
    sub = re.compile(tile_pattern("https://{s}.tiles.example/{z}/{x}/{y}{r}.png", "http://x/"))
    assert sub.match("https://b.tiles.example/1/2/3@2x.png")


def test_web_app_manifest_is_complete(client):
    with client.get("/static/manifest.webmanifest") as resp:
        manifest = json.loads(resp.get_data(as_text=True))
    for key in ("name", "short_name", "start_url", "scope", "display", "theme_color",
                "background_color", "icons", "id"):
        assert key in manifest
    assert manifest["display"] == "standalone"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert ("192x192", "any") in sizes and ("512x512", "any") in sizes
    assert ("512x512", "maskable") in sizes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as resp:
            assert resp.status_code == 200 and resp.mimetype == "image/png"


def test_offline_page_in_both_languages(client):
    de = client.get("/offline?lang=de").get_data(as_text=True)
    en = client.get("/offline?lang=en").get_data(as_text=True)
    assert '<html lang="de"' in de and "Offline" in de
    assert '<html lang="en"' in en and "You are offline" in en
    assert "data-saved-list" in en
    assert client.get("/offline?lang=fr").status_code == 404


def test_larger_text_setting_is_a_cookie_and_works_without_javascript(client, demo):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="size" value="large"' in html
    resp = client.post("/settings/text-size", data={"size": "large", "next": "/search"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/search"
    assert "text_size=large" in resp.headers["Set-Cookie"]
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'class="large-text"' in html
    assert 'name="size" value="normal"' in html
    # only known sizes, only local redirects
    assert client.post("/settings/text-size", data={"size": "huge"}).status_code == 422
    resp = client.post("/settings/text-size", data={"size": "normal", "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/"


def test_offline_manifest_of_a_tour(client, demo):
    data = client.get("/tours/altstadt-erinnerungen/offline.json").get_json()
    assert data["pages"][:2] == ["/tours/altstadt-erinnerungen", "/tours/altstadt-erinnerungen/follow"]
    # the tour, its follow mode and its eight stops, then the pages of the stories the stops
    # show (none featured in the demo: each place's newest, up to three)
    assert len([p for p in data["pages"] if p.startswith("/places/")]) == 8
    stories = data["pages"][10:]
    assert stories and all(p.startswith("/stories/") for p in stories)
    assert len(stories) == len(set(stories))
    assert data["tiles"] == []  # the public OSM servers forbid bulk prefetching
    assert data["approx_bytes"] > 0
    assert client.get("/tours/nope/offline.json").status_code == 404


def test_tiles_are_prefetched_only_from_an_own_server(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_PREFETCH_ALLOWED", True)
    monkeypatch.setitem(app.config, "TILE_URL", "https://tiles.stadtspur.example/{z}/{x}/{y}.png")
    data = client.get("/tours/fotomuseum-fans/offline.json").get_json()
    assert 0 < len(data["tiles"]) <= 400
    assert all(t.startswith("https://tiles.stadtspur.example/1") for t in data["tiles"])
