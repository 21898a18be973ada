"""Follow mode on a phone shows a stop's recording with its transcript under the player
(WCAG 1.2.1: a text alternative for audio-only content), and no transcript box for a stop
whose recording has none."""

import hashlib
import json
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.e2e

TOUR = "altstadt-erinnerungen"
TRANSCRIPT = "Frage: Wo stand der Brunnen?\nAntwort: <genau hier> & gleich daneben."


@pytest.fixture(scope="module")
def recordings(e2e_app):
    """Approved recordings at the first two stops' places: the first with a transcript."""
    from app.extensions import db
    from app.models import Media, Tour
    from app.services import stories

    with e2e_app.app_context():
        tour = db.session.scalar(select(Tour).where(Tour.slug == TOUR))
        places = [s.place for s in sorted(tour.stops, key=lambda s: s.position)[:2]]
        for place, transcript in zip(places, (TRANSCRIPT, ""), strict=True):
            key = uuid.uuid4().hex
            db.session.add(Media(
                place_id=place.id, story_id=stories.lead_story(place).id, kind="audio",
                storage_key=f"e2e/{key}.m4a", mime="audio/mp4", size_bytes=10,
                sha256=hashlib.sha256(key.encode()).hexdigest(),
                variants={"public": f"e2e/{key}-p.m4a"}, status="approved",
                caption="Interview", credit="Rosa", transcript=transcript))
        db.session.commit()
        db.session.remove()


def test_a_stop_shows_its_recordings_transcript_under_the_player(page, recordings):
    page.context.clear_permissions()
    page.goto(page.base_url + f"/tours/{TOUR}/follow")
    expect(page.locator("[data-follow]")).to_have_attribute("data-ready", "true")
    stops = json.loads(page.locator("#follow-data").text_content())["stops"]
    nxt = page.locator("[data-follow-next]")
    box = page.locator("[data-stop-audio-transcript]")

    nxt.click()
    expect(page.locator("[data-stop-title]")).to_have_text(stops[0]["title"])
    expect(page.locator("[data-stop-audio]")).to_be_visible()
    expect(box).to_be_visible()
    box.locator("summary").click()
    # Text, not markup: the angle brackets are shown as typed.
    expect(box.locator("[data-stop-audio-transcript-text]")).to_have_text(TRANSCRIPT)
    expect(box.locator("[data-stop-audio-transcript-text] genau")).to_have_count(0)

    nxt.click()
    expect(page.locator("[data-stop-title]")).to_have_text(stops[1]["title"])
    expect(page.locator("[data-stop-audio]")).to_be_visible()
    expect(box).to_be_hidden()
