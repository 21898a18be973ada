"""Maps on a phone: the home map starts at once with Leaflet's stylesheet in force; a map further
down a page loads nothing of Leaflet until the visitor scrolls near it; without JavaScript the
pages still carry every place."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TOUR = "altstadt-erinnerungen"


def _leaflet_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url) if "/vendor/leaflet/" in req.url else None)
    return seen


def _styled(page, selector: str) -> None:
    # leaflet.css applies: the map clips its panes and tiles are placed, not in the page flow.
    assert page.evaluate(f"getComputedStyle(document.querySelector('{selector}')).overflow") == "hidden"
    positions = page.evaluate(
        f"[...document.querySelectorAll('{selector} .leaflet-tile')].map(t => getComputedStyle(t).position)"
    )
    assert positions and set(positions) == {"absolute"}


def test_home_map_starts_without_scrolling_and_styled(page):
    scripts: list[str] = []
    page.on("request", lambda req: scripts.append(req.url) if req.resource_type == "script" else None)
    page.goto(page.base_url + "/")
    expect(page.locator("#home-map[data-ready='true']")).to_be_visible()
    # One URL each for map.js and Leaflet: a module fetched under two URLs would run twice.
    assert len([u for u in scripts if "/static/js/map.js" in u]) == 1
    assert len([u for u in scripts if "/vendor/leaflet/" in u]) == 1
    assert page.evaluate("window.scrollY") == 0
    _styled(page, "#home-map")
    assert page.locator("#home-map .leaflet-marker-icon").count() >= 30
    # Leaflet's stylesheet came in after the first paint (not a blocking link in the head).
    stylesheets = page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.getAttribute('href'))"
    )
    assert stylesheets[0].startswith("/static/css/app.css?v=")
    assert stylesheets[-1].startswith("/static/vendor/leaflet/leaflet.css?v=")


def test_tour_map_loads_leaflet_only_when_scrolled_near(page):
    requests = _leaflet_requests(page)
    page.goto(page.base_url + f"/tours/{TOUR}")
    expect(page.locator("#stop-list > li").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert requests == []
    assert page.locator("#tour-map").get_attribute("data-ready") is None

    page.locator("#tour-map").scroll_into_view_if_needed()
    expect(page.locator("#tour-map[data-ready='true']")).to_be_visible()
    _styled(page, "#tour-map")
    assert page.locator("#tour-map .stop-marker").count() == page.locator("#stop-list > li").count()
    assert page.locator("#tour-map path.leaflet-interactive").count() >= 1
    assert any("/vendor/leaflet/leaflet.js" in url for url in requests)
    assert any("/vendor/leaflet/leaflet.css?v=" in url for url in requests)


def test_pages_keep_their_places_without_javascript(browser, browser_context_args, live_server):
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        places = page.locator("#place-list li a")
        assert places.count() >= 30
        assert page.locator("#tour-list li").count() >= 3
        page.goto(live_server.url + f"/tours/{TOUR}")
        assert page.locator("#stop-list > li").count() >= 3
        page.goto(live_server.url + "/")
        page.goto(live_server.url + places.first.get_attribute("href"))
        expect(page.locator("#where-heading")).to_be_visible()
        expect(page.locator(".coords")).to_be_visible()
    finally:
        context.close()
