"""A visitor on a phone opens the open-data interface (/ogc) in the browser: from the landing
page to the places, their table and map, to the next page, to one place and on to its page on
the site. The browser asks for HTML by itself (its Accept header); the pages link the JSON."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e



def rows(page):
    return page.locator("#items-table tbody tr")


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_from_the_open_data_landing_page_to_a_place(page):
    page.set_viewport_size({"width": 360, "height": 740})
    total = page.request.get(page.base_url + "/ogc/collections/places/items?f=json").json()
    page.goto(page.base_url + "/ogc")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Winterthur als offene Daten: OGC API Features")
    assert page.locator('head link[rel=alternate][type="application/json"]').count() == 1
    page.get_by_role("link", name="Sammlungen: die Orte, die Geschichten und die Rundgänge").click()
    page.get_by_role("link", name="Orte in Winterthur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Orte in Winterthur")
    page.get_by_role("link", name="Liste der Orte").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Liste der Orte")
    expect(page.get_by_role("table", name="Orte auf dieser Seite")).to_be_visible()
    expect(rows(page)).to_have_count(total["numberReturned"])
    expect(page.locator("#items-count")).to_have_text(
        f"Es gibt {total['numberMatched']} Orte, alle auf dieser Seite.")
    assert fits_the_phone(page)
    # On the phone the rows stack: nothing scrolls sideways, each value says its column.
    assert page.evaluate(
        "(() => { const w = document.querySelector('.table-wrap');"
        " return w.scrollWidth <= w.clientWidth; })()")
    assert "Wann war das?" in page.evaluate(
        "getComputedStyle(document.querySelector('#items-table td[data-label]:nth-of-type(2)'),"
        " '::before').content")
    page.locator("#items-map").scroll_into_view_if_needed()
    expect(page.locator("#items-map[data-ready='true']")).to_be_visible()
    assert page.locator("#items-map .leaflet-marker-icon").count() == total["numberReturned"]

    # Ten to a page, then the next ten.
    page.get_by_label("Orte pro Seite").fill("10")
    page.get_by_role("button", name="Anzeigen").click()
    expect(rows(page)).to_have_count(10)
    first_page = rows(page).locator("th a").all_inner_texts()
    page.get_by_role("navigation", name="Seiten").get_by_role("link", name="Nächste Seite").click()
    expect(page).to_have_url(re.compile(r"offset=10"))
    assert "limit=10" in page.url and "f=html" in page.url
    expect(rows(page)).to_have_count(10)
    expect(page.locator("#items-count")).to_contain_text("Orte 11 bis 20")
    second_page = rows(page).locator("th a").all_inner_texts()
    assert not set(first_page) & set(second_page)
    page.locator("#items-map").scroll_into_view_if_needed()
    expect(page.locator("#items-map[data-ready='true']")).to_be_visible()
    assert page.locator("#items-map .leaflet-marker-icon").count() == 10
    expect(page.get_by_role("link", name="Vorherige Seite")).to_be_visible()

    # One place, its properties and licence, then its page on the site.
    title = second_page[0]
    rows(page).first.locator("th a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("section[aria-labelledby=licence-heading]")).to_contain_text(
        "Lizenz der Geschichte")
    expect(page.get_by_role("link", name="Diese Seite als GeoJSON")).to_have_attribute(
        "href", re.compile(r"f=json$"))
    assert fits_the_phone(page)
    page.locator("#item-map").scroll_into_view_if_needed()
    expect(page.locator("#item-map[data-ready='true']")).to_be_visible()
    page.get_by_role("link", name="Zur Seite des Ortes").click()
    expect(page).to_have_url(re.compile(r"/places/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def test_from_the_stories_collection_to_a_story_and_its_place(page):
    """The stories: a table of each story's kind, era, place and credit, then one story with
    its text, licence and recording's transcript, on to its own page on the site."""
    page.set_viewport_size({"width": 360, "height": 740})
    total = page.request.get(page.base_url + "/ogc/collections/stories/items?f=json").json()
    told = next(f for f in total["features"] if f["properties"]["told_on_behalf"])
    page.goto(page.base_url + "/ogc/collections?f=html")
    page.get_by_role("link", name="Geschichten aus Winterthur").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Geschichten aus Winterthur")
    page.get_by_role("link", name="Liste der Geschichten").click()
    expect(page.get_by_role("table", name="Geschichten auf dieser Seite")).to_be_visible()
    expect(rows(page)).to_have_count(total["numberReturned"])
    assert fits_the_phone(page)
    page.locator("#items-map").scroll_into_view_if_needed()
    expect(page.locator("#items-map[data-ready='true']")).to_be_visible()

    row = rows(page).filter(has=page.locator(f'th a[href*="/items/{told["id"]}?"]'))
    expect(row).to_contain_text(told["properties"]["credit"])
    expect(row.get_by_role("link", name=told["properties"]["place_title"], exact=True)).to_be_visible()
    row.locator("th a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(told["properties"]["title"])
    expect(page.locator("section[aria-labelledby=licence-heading]")).to_contain_text(
        told["properties"]["credit"])
    assert fits_the_phone(page)
    page.get_by_role("link", name="Zur Seite der Geschichte").click()
    expect(page).to_have_url(re.compile(rf"/stories/{told['id']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(told["properties"]["title"])


def test_the_json_is_one_link_away_and_stays_json(page):
    page.goto(page.base_url + "/ogc/collections/tours/items")
    expect(page.locator("#items-table tbody tr").first).to_be_visible()
    href = page.get_by_role("link", name="Diese Seite als GeoJSON").get_attribute("href")
    resp = page.request.get(page.base_url + href)
    assert resp.headers["content-type"].startswith("application/geo+json")
    doc = resp.json()
    assert doc["type"] == "FeatureCollection"
    back = next(link for link in doc["links"] if link["rel"] == "alternate")
    assert back["type"] == "text/html"
