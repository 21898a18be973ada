"""A visitor on a phone opens the home page, sees the map and the demo tours, opens a tour."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_home_map_and_tours_then_open_a_tour(page):
    page.goto(page.base_url + "/")
    expect(page.locator("#home-map[data-ready='true']")).to_be_visible()
    markers = page.locator("#home-map .leaflet-marker-icon")
    assert markers.count() >= 30
    tours = page.locator("#tour-list li")
    assert tours.count() >= 3
    first = tours.first.locator("a")
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.locator("#tour-map").scroll_into_view_if_needed()  # starts when scrolled near
    expect(page.locator("#tour-map[data-ready='true']")).to_be_visible()
    assert page.locator("#tour-map .stop-marker").count() == page.locator("#stop-list > li").count()
    assert page.locator("#tour-map path.leaflet-interactive").count() >= 1  # the route


def test_phone_viewport_has_no_horizontal_scroll(page):
    page.goto(page.base_url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]


def test_language_switch_in_browser(page):
    page.goto(page.base_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Tours", exact=True)).to_be_visible()
