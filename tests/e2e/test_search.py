"""Search on a phone: typos and spelling do not matter; filters and "nearest to me" work."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "service_workers": "block"}


@pytest.mark.parametrize("typed,found", [
    ("Fotomusem", "Fotomuseum Winterthur"),
    ("schloss kyburg", "Schloss Kyburg"),
    ("SCHLOß KYBURG", "Schloss Kyburg"),
])
def test_search_from_the_home_page(page, typed, found):
    page.goto(page.base_url + "/")
    page.get_by_label("Orte und Rundgänge suchen").fill(typed)
    page.keyboard.press("Enter")
    expect(page.locator("#place-results a").first).to_have_text(found)


def test_nearest_first_asks_for_my_position(page):
    # The emulated phone stands at the photo museum.
    page.context.set_geolocation({"longitude": 8.7390, "latitude": 47.4960})
    page.goto(page.base_url + "/search")
    page.get_by_label("Was suchen Sie?").fill("museum")
    page.locator("summary").filter(has_text="Filter").click()
    page.get_by_label("Nächste zuerst").check()
    expect(page.locator("[data-near]")).not_to_have_value("")
    page.get_by_role("button", name="Suche", exact=True).last.click()
    expect(page.locator("#place-results a").first).to_have_text("Fotomuseum Winterthur")
    assert "sort=distance" in page.url and "near=8.739" in page.url


def test_near_me_list_on_home(page):
    page.context.set_geolocation({"longitude": 8.7435, "latitude": 47.4585})  # at the castle
    page.goto(page.base_url + "/")
    expect(page.locator("#nearby-origin")).to_have_text("Am nächsten beim Stadtzentrum")
    page.get_by_role("button", name="Meinen Standort verwenden").click()
    expect(page.locator("#nearby-origin")).to_have_text("Am nächsten bei Ihrer Position")
    expect(page.locator(".nearby-list a").first).to_have_text("Schloss Kyburg")
