"""Search on a phone: typos and spelling do not matter; filters and "nearest to me" work."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e



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


def test_from_a_result_to_the_story_copy_its_link_and_report_it(page, e2e_app):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(page.base_url + "/search?q=Waaghaus")
    page.locator("#place-results a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waaghaus")
    page.get_by_role("button", name="Link kopieren").click()
    expect(page.locator("[data-share-status]")).to_have_text("Link kopiert.")
    assert page.evaluate("navigator.clipboard.readText()") == page.url
    page.locator("details.report summary").click()
    page.get_by_label("Es zeigt private Angaben").check()
    page.get_by_label("Erzählen Sie uns mehr (freiwillig)").fill("Eine Hausnummer ist zu sehen.")
    page.get_by_role("button", name="Meldung senden").click()
    expect(page.locator("[data-report-status]")).to_have_text(
        "Danke. Eine Kuratorin oder ein Kurator schaut sich Ihre Meldung an."
    )
    with e2e_app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Flag

        flag = db.session.scalar(select(Flag).order_by(Flag.id.desc()))
        assert flag.reason == "private" and flag.message == "Eine Hausnummer ist zu sehen."
