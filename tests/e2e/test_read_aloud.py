"""Read aloud on a phone (Chromium, the service worker running): the story page's button speaks
with the device's voice, and its use is counted anonymously for the story, once per page view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.waits import until

pytestmark = pytest.mark.e2e


def _public_story(app) -> tuple[int, int]:
    from app.extensions import db
    from app.models import Place
    from app.models.story import Story
    from app.services import visibility

    with app.app_context():
        row = db.session.execute(
            select(Story.id, Story.place_id).join(Place, Place.id == Story.place_id)
            .where(visibility.public_story()).order_by(Story.id).limit(1)).one()
        db.session.remove()
    return row.id, row.place_id


def _read_aloud_count(app, story_id: int) -> int:
    from app.extensions import db
    from app.models import UsageCounter

    with app.app_context():
        n = db.session.scalar(
            select(func.coalesce(func.sum(UsageCounter.n), 0))
            .where(UsageCounter.offering_kind == "story", UsageCounter.offering_id == story_id,
                   UsageCounter.metric == "read_aloud"))
        db.session.remove()
    return int(n)


def test_read_aloud_is_counted_once_per_page_view(page, e2e_app):
    story_id, _place_id = _public_story(e2e_app)
    before = _read_aloud_count(e2e_app, story_id)
    beacons = []
    page.on("request", lambda r: beacons.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/v1/usage") else None)
    page.goto(page.base_url + f"/stories/{story_id}")
    button = page.get_by_role("button", name="Vorlesen")
    expect(button).to_be_visible()
    button.click()  # speaks
    button.click()  # stops
    button.click()  # speaks again: the same page view, no second count
    page.reload()
    page.get_by_role("button", name="Vorlesen").click()
    until(lambda: _read_aloud_count(e2e_app, story_id) == before + 2,
          message="two read-aloud counts")
    assert [c["metric"] for b in beacons for c in b["counts"]] == ["read_aloud", "read_aloud"]
    assert all(c["offering"] == f"story:{story_id}" for b in beacons for c in b["counts"])
