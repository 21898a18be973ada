"""Background Sync, for real (Chromium, phone viewport, the service worker): beacons queued
while the phone was offline are sent by the service worker's sync handler when the
connection is back, with no page of the site left open to send them itself.

Chromium honours the test's offline switch in its sync scheduler: the sync registered while
offline waits, and fires once the phone is online again. The site needs the background-sync
permission, which a browser grants to an installed or visited site and a test context has to
be given."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.waits import sw_ready, until, until_js

pytestmark = pytest.mark.e2e

TOUR = "gaerten-spaziergang"
USAGE_TAG = "stadtspur-usage"  # static/js/beacon.js


def _counts(app, metric: str) -> dict[tuple[int, str], int]:
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
    return {(stop, source): int(n) for stop, source, n in rows}


def test_queued_beacons_are_sent_by_the_service_worker_on_background_sync(page, e2e_app):
    page.context.grant_permissions(["background-sync"], origin=page.base_url)
    page.goto(page.base_url + f"/tours/{TOUR}")
    sw_ready(page)
    page.locator('[data-offline-action="save"]').click()
    expect(page.locator("[data-offline-save]")).to_have_attribute("data-saved", "true",
                                                                   timeout=20_000)
    before = _counts(e2e_app, "stop_reached")

    page.context.set_offline(True)
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    root = page.locator("[data-follow]")
    expect(root).to_have_attribute("data-ready", "true")
    for i in range(3):
        page.locator("[data-follow-next]").click()
        expect(root).to_have_attribute("data-current", str(i))
    until_js(page, "async () => (await (await import('/static/js/beacon.js')).queuedBeacons())"
                   ".length === 4", message="follow start and three stops are not queued")
    # The page asked for a sync when it queued them.
    until_js(page, """async (tag) => (await (await navigator.serviceWorker.ready).sync
                                      .getTags()).includes(tag)""", USAGE_TAG,
             message="no background sync registered for the usage queue")

    # No page of the site is left to send the queue on the "online" event: only the worker.
    page.goto("about:blank")
    assert _counts(e2e_app, "stop_reached") == before
    page.context.set_offline(False)
    after = until(lambda: (c := _counts(e2e_app, "stop_reached")) != before and c,
                  message="the worker did not send the queued beacons")
    sent = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    assert sent == {(1, "offline"): 1, (2, "offline"): 1, (3, "offline"): 1}

    # The queue is empty afterwards: a page opened again sends nothing twice.
    page.goto(page.base_url + "/")
    until_js(page, "async () => (await (await import('/static/js/beacon.js')).queuedBeacons())"
                   ".length === 0", message="the queue was not emptied by the worker")
    assert _counts(e2e_app, "stop_reached") == after
