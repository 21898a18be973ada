"""End to end in Chromium on a phone, on the real Helsinki extract: a curator switches a tour
to the street network and sees the steps and the step-free variant; a visitor saves the tour,
loses the connection and follows the step-free route offline."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import make_test_app
from tests.e2e.axe import violations as axe_violations
from tests.e2e.waits import sw_ready, until_js
from tests.walknet_data import CATHEDRAL, HELSINKI_AREA, RAILWAY_STATION, SENATE_SQUARE

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"
SLUG = "helsinki-stufen"


@pytest.fixture(scope="module")
def e2e_app(clone_db):
    """The demo accounts, three places in central Helsinki as a published tour in straight
    lines, and the Helsinki walking network."""
    from tests.integration.test_walknet import import_helsinki

    app = make_test_app(clone_db("e2e_walk"), WTF_CSRF_ENABLED=True,
                        SERVICE_AREA=HELSINKI_AREA)
    with app.app_context():
        from geoalchemy2.shape import from_shape
        from shapely.geometry import Point
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Place, User
        from app.services import tours
        from app.services.seed import seed_demo

        app.demo_accounts = seed_demo()["accounts"]
        db.session.commit()
        import_helsinki()
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        places = []
        for i, (title, (lon, lat)) in enumerate([("Hauptbahnhof", RAILWAY_STATION),
                                                 ("Senatsplatz", SENATE_SQUARE),
                                                 ("Dom", CATHEDRAL)]):
            place = Place(slug=f"helsinki-{i}", title=title, summary="", body="x",
                          geom=from_shape(Point(lon, lat), srid=4326), status="approved",
                          credit_name="Test")
            db.session.add(place)
            places.append(place)
        db.session.flush()
        tour = tours.create_tour(curator, tours.TourInput(
            title="Helsinki über Stufen", stops=[tours.StopInput(place_id=p.id) for p in places]))
        tour.slug = SLUG
        db.session.flush()
        tours.publish(curator, SLUG, tour.version)
        db.session.commit()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def login(page, e2e_app, email):
    page.goto(page.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", e2e_app.demo_accounts[email][1])
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".site-header")).to_be_visible()


def test_curator_switches_to_the_network_and_sees_steps_and_the_step_free_variant(
        page, e2e_app):
    login(page, e2e_app, CURATOR)
    page.goto(page.base_url + f"/tours/{SLUG}/edit#route")
    form = page.locator("#route-mode-form")
    expect(form).to_be_visible()
    form.locator("input[name=mode][value=foot]").check()
    page.locator("#route-network-save").click()
    expect(page.locator("#route-source")).to_have_text(
        re.compile("auf den Strassen, zu Fuss|on the streets, on foot"))
    steps = int(page.locator("#network-step-count").inner_text())
    assert steps >= 46  # the cathedral steps at least
    expect(page.locator("#network-step-free-length")).to_contain_text("m")
    expect(page.locator("#route-network")).to_contain_text("© OpenStreetMap contributors")
    assert axe_violations(page) == []
    # the edit of a published tour goes live when a curator publishes it
    page.locator("#action-publish").click()
    expect(page.locator(".flash, [role=status], .notice").first).to_be_visible()

    page.goto(page.base_url + f"/tours/{SLUG}")
    expect(page.locator("#network-steps")).to_contain_text(str(steps))
    expect(page.locator("#network-step-free")).to_be_visible()
    expect(page.locator("#follow-step-free")).to_be_visible()
    assert axe_violations(page) == []


def test_visitor_follows_the_step_free_route_offline(page, e2e_app):
    page.goto(page.base_url + f"/tours/{SLUG}")
    sw_ready(page)
    box = page.locator("[data-offline-save]")
    expect(box).to_be_visible()
    if box.get_attribute("data-saved") != "true":
        page.locator('[data-offline-action="save"]').click()
        expect(box).to_have_attribute("data-saved", "true", timeout=30_000)

    page.context.set_offline(True)
    resp = page.goto(page.base_url + f"/tours/{SLUG}/follow?route=step_free")
    assert resp.from_service_worker
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    expect(page.locator("#follow-route-mode")).to_have_attribute("data-route-mode", "step_free")
    data = json.loads(page.locator("#follow-data").text_content())
    stops = data["stops"]
    line = data["route"]["coordinates"]
    page.locator("[data-follow-locate]").click()
    # At the first stop, then halfway along the step-free line to the second.
    page.context.set_geolocation({"longitude": stops[0]["lon"], "latitude": stops[0]["lat"],
                                  "accuracy": 10})
    expect(root).to_have_attribute("data-current", "0")
    middle = line[(data["stopIndexes"][0] + data["stopIndexes"][1]) // 2]
    page.context.set_geolocation({"longitude": middle[0], "latitude": middle[1], "accuracy": 10})
    until_js(page, "() => Number(document.querySelector('[data-follow]').dataset.along) > 0",
             message="no distance along the step-free route")
    along = int(root.get_attribute("data-along"))
    straight = int(root.get_attribute("data-distance"))
    assert along >= straight - 15  # along the line is never much shorter than straight
    for i, stop in enumerate(stops[1:], start=1):
        page.context.set_geolocation({"longitude": stop["lon"], "latitude": stop["lat"],
                                      "accuracy": 10})
        expect(root).to_have_attribute("data-current", str(i))
    assert root.get_attribute("data-target") == "-1"
