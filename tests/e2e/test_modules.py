"""The page modules in Chromium: libraries resolve by name through the import map under the
strict Content-Security-Policy (a refused import map is a console error, which fails the test),
and Leaflet is one module, fetched once, whoever imports it."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_libraries_resolve_by_name_and_leaflet_is_one_module(page):
    scripts: list[str] = []
    page.on("request", lambda req: scripts.append(req.url) if req.resource_type == "script" else None)
    page.goto(page.base_url + "/")
    expect(page.locator("#home-map[data-ready='true']")).to_be_visible()
    # The module the page's maps were made with: its id counter has counted their layers
    # (a second instance of Leaflet would start at 0).
    last_id = page.evaluate("import('leaflet').then(L => typeof L.map === 'function' && L.Util.lastId)")
    assert last_id > 30
    assert page.evaluate("import('workbox-window').then(m => typeof m.Workbox)") == "function"
    leaflet = [u for u in scripts if "/vendor/leaflet/" in u]
    assert [u.split("/static/")[1] for u in leaflet] == ["vendor/leaflet/leaflet.js"]
