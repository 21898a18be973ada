"""How pages and their files travel: versioned static URLs kept for a year, compressed text,
and map pages whose Leaflet files do not hold up the first paint."""

import gzip
import hashlib
import re

import brotli
from sqlalchemy import select

from app.config import ROOT
from app.models import Place, Tour
from tests.conftest import login

VERSIONED = re.compile(r'(?:href|src)="/static/([^"?]+)\?v=([0-9a-f]{12})"')


def _html(resp) -> str:
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _version(path: str) -> str:
    return hashlib.sha256((ROOT / "static" / path).read_bytes()).hexdigest()[:12]


def test_static_urls_carry_the_hash_of_the_file(client, demo):
    html = _html(client.get("/"))
    found = dict(VERSIONED.findall(html))
    assert {"css/app.css", "js/map.js", "js/offline.js", "icons/icon-192.png"} <= set(found)
    for path, version in found.items():
        assert version == _version(path), path
    # The web app manifest keeps one URL.
    assert 'rel="manifest" href="/static/manifest.webmanifest"' in html


def test_a_versioned_file_is_kept_for_a_year(client):
    resp = client.get(f"/static/css/app.css?v={_version('css/app.css')}")
    assert resp.status_code == 200
    cache = resp.headers["Cache-Control"]
    assert "public" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert "no-cache" not in cache


def test_an_unversioned_or_outdated_file_is_revalidated(client):
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "no-cache", url
        etag = resp.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304


def test_static_files_neither_set_nor_vary_on_the_session_cookie(client, resident):
    login(client, resident.email)  # a permanent session, refreshed on every page
    page = client.get("/")
    assert "Cookie" in page.headers.get("Vary", "")
    for url in (f"/static/js/map.js?v={_version('js/map.js')}", "/static/js/map.js"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert "Set-Cookie" not in resp.headers, url
        assert "Cookie" not in resp.headers.get("Vary", ""), url


def test_pages_and_scripts_are_compressed_for_browsers_that_accept_it(client, demo):
    plain = client.get("/", headers={"Accept-Language": "en"})
    assert "Content-Encoding" not in plain.headers

    zipped = client.get("/", headers={"Accept-Language": "en", "Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    page = gzip.decompress(zipped.get_data()).decode()
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert len(zipped.get_data()) < len(plain.get_data()) / 3

    br = client.get("/", headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()).decode().startswith("<!doctype html>")

    # Static files are sent as streams; gzip is what browsers offer over plain HTTP.
    source = (ROOT / "static" / "vendor" / "leaflet" / "leaflet.js").read_bytes()
    script = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(script.get_data()) == source
    assert len(script.get_data()) < len(source) / 3


def test_images_and_byte_ranges_are_sent_as_they_are(client):
    icon = client.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in icon.headers
    part = client.get("/static/js/map.js", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.get_data() == (ROOT / "static" / "js" / "map.js").read_bytes()[:10]


def _stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


def test_leaflet_never_holds_up_the_first_paint_of_a_visitor_page(client, demo, db_session):
    place = db_session.scalar(select(Place.id).where(Place.status == "approved").order_by(Place.id))
    tour = db_session.scalar(select(Tour.slug).where(Tour.status == "published").order_by(Tour.id))
    css = f"/static/vendor/leaflet/leaflet.css?v={_version('vendor/leaflet/leaflet.css')}"

    home = _html(client.get("/"))
    assert [s.split("?")[0] for s in _stylesheets(home)] == ["/static/css/app.css"]
    # The home map is the top of the page: its files come alongside the page, and it starts
    # as soon as the page is parsed.
    assert f'<link rel="preload" as="style" href="{css}">' in home
    assert home.count("modulepreload") == 1
    assert '<link rel="modulepreload" href="/static/vendor/leaflet/leaflet.js">' in home
    assert '<script type="module" src="/static/js/map.js?v=' in home

    for url in (f"/places/{place}", f"/tours/{tour}", "/search", "/themes"):
        html = _html(client.get(url))
        assert [s.split("?")[0] for s in _stylesheets(html)] == ["/static/css/app.css"], url
        # (the import map names Leaflet's file, which fetches nothing)
        fetched = re.sub(r'<script type="importmap">.*?</script>', "", html, flags=re.S)
        assert "modulepreload" not in fetched and "leaflet.js" not in fetched, url
        if "data-map" in html:
            # Maps further down start when scrolled near, with the versioned stylesheet.
            assert '<script type="module" src="/static/js/map-start.js?v=' in html, url
            assert f'data-leaflet-css="{css}"' in html, url


def test_preconnect_to_a_tile_server_of_its_own_origin(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_URL", "https://tiles.example.org/osm/{z}/{x}/{y}.png")
    html = _html(client.get("/"))
    assert '<link rel="preconnect" href="https://tiles.example.org" crossorigin>' in html
    # Several hosts ({s}) or the site itself: nothing to open ahead.
    monkeypatch.setitem(app.config, "TILE_URL", "https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "preconnect" not in _html(client.get("/"))
    monkeypatch.setitem(app.config, "TILE_URL", "/tiles/{z}/{x}/{y}.png")
    assert "preconnect" not in _html(client.get("/"))


def test_pages_of_logged_in_people_are_not_compressed(client, resident, demo):
    """BREACH: a compressed page with a CSRF token and reflected text leaks the token."""
    login(client, resident.email)
    for path in ("/account", "/search?q=secret", "/"):
        page = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert page.status_code == 200, path
        assert "Content-Encoding" not in page.headers, path
    # Their data and static files are still compressed: nothing secret is in them.
    data = client.get("/api/v1/places?limit=50", headers={"Accept-Encoding": "gzip"})
    assert data.headers.get("Content-Encoding") == "gzip"
