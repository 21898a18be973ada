""""Is it one of these?" on a phone (Chromium, the service worker running): as soon as the
position is chosen near a public place, the contribution form offers it first, and its
button takes the typed text to that place's add-a-story form, where the story is added; a
story queued offline near a place is answered with it once sent, and the contributor is told
and decides on "My contributions" (never silently refused)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.conftest import TILE_PNG
from tests.e2e.axe import violations
from tests.e2e.waits import map_settled, until_js

pytestmark = pytest.mark.e2e

WHO = ("nachbarin@example.org", "a long passphrase for the neighbour")


@pytest.fixture(scope="module")
def scene(e2e_app):
    from geoalchemy2.shape import to_shape

    from app.extensions import db
    from app.models import Place
    from app.services.accounts import create_user

    with e2e_app.app_context():
        create_user(WHO[0], "Nachbarin", WHO[1], check_strength=False)
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))
        point = to_shape(place.geom)
        out = {"id": place.id, "title": place.title, "lon": point.x, "lat": point.y}
        db.session.commit()
        db.session.remove()
    return out


@pytest.fixture
def asked_page(browser, browser_context_args, live_server):
    """As the ``page`` fixture (tiles stubbed, console errors fail the test), except for the
    one error the test causes on purpose: Chromium logs the refused fetch (the 409 that asks
    "is it one of these?") as an error."""
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


def _login(page):
    page.goto(page.base_url + "/login")
    page.fill("#email", WHO[0])
    page.fill("#password", WHO[1])
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))


def _open_form(page):
    page.goto(page.base_url + "/contribute")
    expect(page.locator("#contribute-form[data-ready='true']")).to_have_count(1)


def _choose_position(page, lon: float, lat: float):
    """By the phone's location (the browser context's), as a contributor standing there."""
    page.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
    page.click("#use-gps")
    expect(page.locator("#position_source")).to_have_value("gps")


def _stories_at(e2e_app, place_id: int, title: str) -> list[str]:
    from app.extensions import db
    from app.models import Story

    with e2e_app.app_context():
        rows = db.session.scalars(select(Story.status).where(
            Story.place_id == place_id, Story.title == title)).all()
        db.session.remove()
    return list(rows)


def _places_titled(e2e_app, title: str) -> int:
    from app.extensions import db
    from app.models import Place

    with e2e_app.app_context():
        n = len(db.session.scalars(select(Place.id).where(Place.title == title)).all())
        db.session.remove()
    return n


def test_the_form_offers_the_place_nearby_and_carries_the_story_there(page, e2e_app, scene):
    _login(page)
    _open_form(page)
    page.fill("#title", "Der Lift im Hochhaus")
    page.fill("#body", "Als Lehrling fuhr ich jeden Morgen in den 23. Stock.")
    box = page.locator("#duplicate-hint")
    expect(box).to_be_hidden()
    _choose_position(page, scene["lon"] + 0.0001, scene["lat"])  # about 8 m away
    expect(box).to_be_visible()
    item = box.locator(f"li[data-place='{scene['id']}']")
    expect(item.get_by_role("link", name=scene["title"])).to_be_visible()
    assert violations(page) == []  # the places offered, as a screen reader meets them
    item.get_by_role("button").click()

    expect(page).to_have_url(re.compile(rf"/places/{scene['id']}/stories/new$"))
    assert page.input_value("#title") == "Der Lift im Hochhaus"
    assert page.input_value("#body") == "Als Lehrling fuhr ich jeden Morgen in den 23. Stock."
    page.locator("input[name=licence_consent]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    assert _stories_at(e2e_app, scene["id"], "Der Lift im Hochhaus") == ["pending"]
    assert _places_titled(e2e_app, "Der Lift im Hochhaus") == 0  # no new place

    # The contribution form's draft went with the text: it is not restored again.
    _open_form(page)
    assert page.input_value("#title") == ""


def test_a_story_queued_offline_near_a_place_asks_once_sent(asked_page, e2e_app, scene):
    page = asked_page
    _login(page)
    _open_form(page)
    page.fill("#title", "Die Kantine")
    page.fill("#body", "Mittags gab es Suppe für alle.")
    _choose_position(page, scene["lon"], scene["lat"] + 0.0001)
    page.check("#licence_consent")
    map_settled(page, "#contribute-map")  # no tile or marker image is still on its way
    # The connection drops before the places nearby were looked at: the story is queued.
    page.context.set_offline(True)
    page.click("#submit")
    expect(page.locator("#queue-status")).to_be_visible()
    until_js(page, """async () => (await (await import('/static/js/offline-queue.js'))
                      .listQueued()).length === 1""", message="the story was not queued")

    page.context.set_offline(False)
    # Sent once online; the server answers with the place nearby: the page says so.
    asks = page.locator("#queue-status[data-asks='true'] a")
    expect(asks).to_be_visible()
    assert _places_titled(e2e_app, "Die Kantine") == 0
    asks.click()

    expect(page).to_have_url(re.compile("/me/contributions"))
    queued = page.locator("#queued-list li.queued-item", has_text="Die Kantine")
    expect(queued.get_by_role("link", name=scene["title"])).to_be_visible()
    queued.locator(".nearby-places button").first.click()
    expect(page).to_have_url(re.compile(rf"/places/{scene['id']}/stories/new$"))
    assert page.input_value("#title") == "Die Kantine"
    assert page.input_value("#body") == "Mittags gab es Suppe für alle."
    until_js(page, """async () => (await (await import('/static/js/offline-queue.js'))
                      .listQueued()).length === 0""", message="the queued record stayed")
    assert _places_titled(e2e_app, "Die Kantine") == 0  # no new place
