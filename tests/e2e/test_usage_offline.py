"""Usage beacons on a phone, for real (Chromium, phone viewport, the service worker): a tour
followed offline reaches three stops; back online, the three counts arrive exactly once, also
when the page was reloaded in between. A saved copy of a tour retired since shows the tours
suggested instead once the phone is online again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.waits import sw_ready, until_js

pytestmark = pytest.mark.e2e

TOUR = "gaerten-spaziergang"
OTHER = "altstadt-erinnerungen"


def _counts(app, metric: str) -> dict[int, int]:
    from app.extensions import db
    from app.models import Tour, UsageCounter

    with app.app_context():
        tour_id = db.session.scalar(select(Tour.id).where(Tour.slug == TOUR))
        rows = db.session.execute(
            select(UsageCounter.stop, UsageCounter.source, func.sum(UsageCounter.n))
            .where(UsageCounter.offering_id == tour_id, UsageCounter.offering_kind == "tour",
                   UsageCounter.metric == metric)
            .group_by(UsageCounter.stop, UsageCounter.source)).all()
        db.session.remove()
    assert all(source == "offline" for _s, source, _n in rows), rows
    return {stop: int(n) for stop, _source, n in rows}


def _queued(page) -> int:
    return page.evaluate(
        "async () => (await (await import('/static/js/beacon.js')).queuedBeacons()).length")


def _save(page):
    page.goto(page.base_url + f"/tours/{TOUR}")
    sw_ready(page)
    box = page.locator("[data-offline-save]")
    page.locator('[data-offline-action="save"]').click()
    expect(box).to_have_attribute("data-saved", "true", timeout=20_000)


def test_three_stops_offline_arrive_exactly_once(page, e2e_app):
    _save(page)
    page.context.set_offline(True)
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    for i in range(3):
        page.locator("[data-follow-next]").click()
        expect(root).to_have_attribute("data-current", str(i))
    until_js(page, "async () => (await (await import('/static/js/beacon.js')).queuedBeacons())"
                   ".length === 4", message="follow start and three stops are not queued")

    # Reloaded while still offline: the run resumes, nothing is counted again.
    page.reload()
    expect(root).to_have_attribute("data-ready", "true")
    expect(root).to_have_attribute("data-current", "2")
    assert _queued(page) == 4
    assert _counts(e2e_app, "stop_reached") == {}

    page.context.set_offline(False)
    until_js(page, "async () => (await (await import('/static/js/beacon.js')).queuedBeacons())"
                   ".length === 0", message="the queue was not sent")
    assert _counts(e2e_app, "stop_reached") == {1: 1, 2: 1, 3: 1}
    assert _counts(e2e_app, "follow_start") == {0: 1}

    # Online again, reloaded: the queue is empty and the resumed run sends nothing twice.
    page.reload()
    expect(root).to_have_attribute("data-ready", "true")
    assert _queued(page) == 0
    assert _counts(e2e_app, "stop_reached") == {1: 1, 2: 1, 3: 1}
    assert _counts(e2e_app, "follow_start") == {0: 1}


def test_a_saved_copy_of_a_retired_tour_points_to_the_alternatives(page, e2e_app):
    _save(page)
    page.context.set_offline(True)
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    assert page.locator("[data-retired-banner]").count() == 0

    with e2e_app.app_context():
        from app.extensions import db
        from app.models import Tour, User
        from app.services.insights import retirement

        curator = db.session.scalar(select(User).where(User.role == "curator"))
        tour = db.session.scalar(select(Tour).where(Tour.slug == TOUR))
        retirement.retire(curator, TOUR, tour.version, [OTHER], "test")
        db.session.commit()
        db.session.remove()

    page.context.set_offline(False)
    banner = page.locator("[data-retired-banner]")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("link")).to_have_attribute("href", f"{page.base_url}/tours/{OTHER}")
