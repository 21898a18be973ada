"""A curator on a phone works through the queue: approve with the keyboard, ask for changes,
reject with a reply template, merge a duplicate, restore a revision; the next item opens
without a page reload, and the public pages show exactly the approved revisions. Two editors
of one place: the second save gets the 409 page with both versions."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"
RESIDENT = "resident@demo.stadtspur.ch"


def _login(page, e2e_app, email):
    page.goto(page.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", e2e_app.demo_accounts[email][1])
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))


@pytest.fixture(scope="module")
def queue_places(e2e_app):
    """Four pending places by the demo resident (the last one duplicates the Waaghaus) and a
    reply template."""
    from app.extensions import db
    from app.models import Place, ReplyTemplate, User
    from app.services.revisions import row_snapshot
    from tests.integration.test_moderation_factory import pending_place

    with e2e_app.app_context():
        resident = db.session.scalar(select(User).where(User.email == RESIDENT))
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        waaghaus = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
        lon, lat = row_snapshot(waaghaus)["lon"], row_snapshot(waaghaus)["lat"]
        ids = {
            "approve": pending_place(resident, "Die alte Mühle am Bach",
                                     body="Hier mahlte man bis 1950 Korn.", lon=8.7300,
                                     lat=47.4990).id,
            "changes": pending_place(resident, "Kiosk", body="Kurz.", lon=8.7310,
                                     lat=47.4985).id,
            "reject": pending_place(resident, "Mein Garten", body="Privat.", lon=8.7320,
                                    lat=47.4980).id,
            "merge": pending_place(resident, "Waaghaus am Markt",
                                   body="Mein Grossvater wog hier Käse.", lon=lon + 0.0002,
                                   lat=lat).id,
            "waaghaus": waaghaus.id,
            "waaghaus_body": waaghaus.body,
        }
        db.session.add(ReplyTemplate(name="Privatgrund", reason_code="private",
                                     body="Danke! Private Gärten zeigen wir nicht.",
                                     created_by_id=curator.id))
        db.session.commit()
        db.session.remove()
    return ids


def _place(e2e_app, place_id):
    from app.extensions import db
    from app.models import Place

    with e2e_app.app_context():
        p = db.session.get(Place, place_id)
        out = {"status": p.status, "body": p.body, "merged_into_id": p.merged_into_id,
               "version": p.version}
        db.session.remove()
        return out


def test_work_through_the_queue(page, e2e_app, queue_places):
    _login(page, e2e_app, CURATOR)
    page.goto(page.base_url + "/curate")
    expect(page.locator("#queue-map[data-ready='true']")).to_be_visible()
    expect(page.locator(".site-header .count")).to_have_text("4")
    expect(page.locator("#queue-list li")).to_have_count(4)
    page.get_by_role("link", name="Die alte Mühle am Bach").click()
    expect(page.locator("#item-map[data-ready='true']")).to_be_visible()
    expect(page.locator(".preview")).to_contain_text("Hier mahlte man bis 1950 Korn.")
    page.evaluate("window.__sameDocument = true")

    # a approves; the next item opens in the same document.
    page.keyboard.press("a")
    expect(page.locator("#item-title")).to_have_text("Kiosk")
    assert page.evaluate("window.__sameDocument") is True
    expect(page).to_have_url(re.compile(f"/curate/place/{queue_places['changes']}$"))
    expect(page.locator(".site-header .count")).to_have_text("3")

    # c asks for changes.
    page.keyboard.press("c")
    expect(page.locator("#changes-message")).to_be_focused()
    page.fill("#changes-message", "Bitte erzähl mehr über den Kiosk.")
    page.locator("#changes-box button[type=submit]").click()
    expect(page.locator("#item-title")).to_have_text("Mein Garten")

    # r rejects, with a reason and a reply template.
    page.keyboard.press("r")
    expect(page.locator("#reject-reason")).to_be_focused()
    page.select_option("#reject-reason", "private")
    page.select_option("#reject-template", label="Privatgrund")
    expect(page.locator("#reject-message")).to_have_value("Danke! Private Gärten zeigen wir nicht.")
    page.locator("#reject-box button[type=submit]").click()
    expect(page.locator("#item-title")).to_have_text("Waaghaus am Markt")
    assert page.evaluate("window.__sameDocument") is True

    # The duplicate: the Waaghaus is within 100 m, highlighted; merge into it.
    expect(page.locator("#item-map")).to_have_attribute("data-nearby", re.compile("[1-9]"))
    dupes = page.locator(".nearby-dupes li.similar")
    expect(dupes.first).to_contain_text("Waaghaus")
    dupes.first.get_by_role("button").click()
    expect(page).to_have_url(re.compile("/curate$"))
    expect(page.locator("#queue-empty")).to_be_visible()

    assert _place(e2e_app, queue_places["approve"])["status"] == "approved"
    assert _place(e2e_app, queue_places["changes"])["status"] == "draft"
    assert _place(e2e_app, queue_places["reject"])["status"] == "rejected"
    assert _place(e2e_app, queue_places["merge"])["merged_into_id"] == queue_places["waaghaus"]

    # Public pages show exactly what was approved.
    page.goto(page.base_url + f"/places/{queue_places['approve']}")
    expect(page.locator("main")).to_contain_text("Hier mahlte man bis 1950 Korn.")
    for hidden in ("changes", "reject"):
        # (a request, not a page load: the browser would log the 404 as a console error)
        resp = page.request.get(page.base_url + f"/places/{queue_places[hidden]}")
        assert resp.status == 404
    page.goto(page.base_url + f"/places/{queue_places['merge']}")
    expect(page).to_have_url(re.compile(f"/places/{queue_places['waaghaus']}$"))
    expect(page.locator("main")).to_contain_text("Mein Grossvater wog hier Käse.")

    # The merged memory is a story of its own beside the Waaghaus' text, which the merge
    # left as it was (nothing is concatenated any more).
    expect(page.locator(".stories .story-item")).to_contain_text(
        "Mein Grossvater wog hier Käse.")
    assert _place(e2e_app, queue_places["waaghaus"])["body"] == queue_places["waaghaus_body"]

    # The contributor sees the decisions and messages.
    page.context.clear_cookies()
    _login(page, e2e_app, RESIDENT)
    page.goto(page.base_url + "/me/contributions")
    expect(page.locator(f"#place-{queue_places['changes']}")).to_contain_text(
        "Bitte erzähl mehr über den Kiosk.")
    expect(page.locator(f"#place-{queue_places['reject']}")).to_contain_text(
        "Private Gärten zeigen wir nicht.")
    # The merged duplicate says so and leads to the place it joined.
    merged = page.locator(f"#place-{queue_places['merge']}")
    expect(merged).to_contain_text("Mit einem anderen Ort zusammengeführt")
    merged.get_by_role("link", name="Diesen Ort öffnen").click()
    expect(page).to_have_url(re.compile(f"/places/{queue_places['waaghaus']}$"))


def test_two_editors_second_save_gets_both_versions(page, e2e_app, browser,
                                                    browser_context_args):
    from app.extensions import db
    from app.models import Place

    with e2e_app.app_context():
        place_id = db.session.scalar(select(Place.id).where(Place.title == "Schloss Kyburg"))
        db.session.remove()
    _login(page, e2e_app, CURATOR)
    other_context = browser.new_context(**browser_context_args)
    other = other_context.new_page()
    other.route("**/test-tiles/**", lambda r: r.fulfill(status=200, body=b""))
    try:
        other.goto(page.base_url + "/login")
        other.fill("#email", "admin@demo.stadtspur.ch")
        other.fill("#password", e2e_app.demo_accounts["admin@demo.stadtspur.ch"][1])
        other.locator("main form button[type=submit]").click()
        expect(other).not_to_have_url(re.compile("/login"))
        page.goto(page.base_url + f"/places/{place_id}/edit")
        other.goto(page.base_url + f"/places/{place_id}/edit")
        page.fill("#body", "Die Fassung der Kuratorin.")
        page.locator("#place-edit-form button[type=submit]").click()
        expect(page).to_have_url(re.compile("/history$"))
        other.fill("#body", "Die Fassung der Admin.")
        other.locator("#place-edit-form button[type=submit]").click()
        expect(other.locator("#conflict")).to_be_visible()
        expect(other.locator("#current-version")).to_contain_text("Die Fassung der Kuratorin.")
        expect(other.locator("#your-version")).to_contain_text("Die Fassung der Admin.")
        expect(other.locator("#body")).to_have_value("Die Fassung der Admin.")
        assert _place(e2e_app, place_id)["body"] == "Die Fassung der Kuratorin."
        # Saving again with both versions in view is a deliberate choice, and it works.
        other.locator("#place-edit-form button[type=submit]").click()
        expect(other).to_have_url(re.compile("/history$"))
        assert _place(e2e_app, place_id)["body"] == "Die Fassung der Admin."
    finally:
        other_context.close()
