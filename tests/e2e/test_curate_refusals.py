"""curate.js reads refusals as problem+json: a decision on a place someone changed meanwhile
(409) reopens the item as it is now, says why, and the next decision is made on the current
version."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import TILE_PNG
from tests.e2e.test_curate import CURATOR, RESIDENT, _login, _place

pytestmark = pytest.mark.e2e


@pytest.fixture
def curator_page(browser, browser_context_args, live_server):
    """As the ``page`` fixture (tiles stubbed, console errors fail the test), except for the
    one the test causes on purpose: Chromium logs every refused fetch (the 409) as an error."""
    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    context.route("**/test-tiles/**",
                  lambda route: route.fulfill(status=200, content_type="image/png",
                                              body=TILE_PNG))
    page.base_url = live_server.url
    yield page
    context.close()
    expected = "the server responded with a status of 409"
    assert [e for e in errors if expected not in e] == [], errors
    assert len(errors) == 1, errors


@pytest.fixture
def changed_meanwhile(e2e_app):
    from app.extensions import db
    from app.models import User
    from tests.integration.test_moderation_factory import pending_place

    with e2e_app.app_context():
        resident = db.session.scalar(select(User).where(User.email == RESIDENT))
        place_id = pending_place(resident, "Brunnen am Platz", body="Alt.", lon=8.7305,
                                 lat=47.4992).id
        db.session.commit()
        db.session.remove()

    def change():
        from app.models import Place

        with e2e_app.app_context():
            place = db.session.get(Place, place_id)
            place.summary = "Inzwischen ergänzt."
            db.session.commit()  # the version moves on
            db.session.remove()

    return place_id, change


def test_a_stale_decision_reopens_the_item_as_it_is_now(curator_page, e2e_app,
                                                         changed_meanwhile):
    page = curator_page
    place_id, change = changed_meanwhile
    _login(page, e2e_app, CURATOR)
    page.goto(page.base_url + f"/curate/place/{place_id}")
    expect(page.locator("#item-map[data-ready='true']")).to_be_visible()
    seen = page.locator("#approve-button").locator("xpath=ancestor::form")
    old_version = seen.locator("input[name=version]").input_value()
    page.evaluate("window.__sameDocument = true")
    change()

    page.keyboard.press("a")
    expect(seen.locator("input[name=version]")).not_to_have_value(old_version)
    # Why, from the answer's detail (in the curator's language).
    expect(page.locator("#curate-live")).to_contain_text(re.compile("geändert|changed"))
    assert page.evaluate("window.__sameDocument") is True
    expect(page).to_have_url(re.compile(f"/curate/place/{place_id}$"))
    assert _place(e2e_app, place_id)["status"] == "pending"

    page.keyboard.press("a")  # now on the current version
    expect(page).not_to_have_url(re.compile(f"/curate/place/{place_id}$"))
    assert _place(e2e_app, place_id)["status"] == "approved"
