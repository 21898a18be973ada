"""On a phone: a second resident adds a memory to an existing place from its page; a curator
approves it; both stories show on the place page; the first author withdraws theirs and it
is gone from the page and the API while the second stays."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.accounts import log_in

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"
RESIDENT = "resident@demo.stadtspur.ch"
SECOND = ("zweite@example.org", "a long passphrase for the second")


@pytest.fixture(scope="module")
def scene(e2e_app):
    from app.extensions import db
    from app.models import Place
    from app.services import stories
    from app.services.accounts import create_user

    with e2e_app.app_context():
        create_user(SECOND[0], "Zweite Stimme", SECOND[1], check_strength=False)
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))
        lead = stories.lead_story(place)
        out = {"place": place.id, "lead": lead.id, "lead_text": place.body.split(".")[0],
               "author": lead.author.email}
        db.session.commit()
        db.session.remove()
    return out


def _status(e2e_app, story_id):
    from app.extensions import db
    from app.models import Story

    with e2e_app.app_context():
        status = db.session.get(Story, story_id).status
        db.session.remove()
        return status


def test_a_second_voice_joins_a_place_and_the_first_withdraws(page, e2e_app, scene):
    place_url = page.base_url + f"/places/{scene['place']}"
    log_in(page, *SECOND)
    page.goto(place_url)
    page.locator(f"a[href='/places/{scene['place']}/stories/new']").click()
    page.fill("#title", "Mein erster Arbeitstag")
    page.fill("#body", "Am ersten Tag verlief ich mich im Hochhaus und fand den Lift nicht.")
    page.fill("#era", "ca. 1980")
    page.locator("input[name=licence_consent]").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/stories/\d+$"))
    story_id = int(page.url.rsplit("/", 1)[-1])
    assert _status(e2e_app, story_id) == "pending"

    page.context.clear_cookies()
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(page.base_url + f"/curate/story/{story_id}")
    expect(page.locator(".other-stories")).to_contain_text(scene["lead_text"])
    page.locator("form.decision-form[data-decision=approve] button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(f"/curate/story/{story_id}$"))
    assert _status(e2e_app, story_id) == "approved"

    page.context.clear_cookies()
    page.goto(place_url)
    main = page.locator("main")
    expect(main).to_contain_text(scene["lead_text"])
    expect(page.locator(f"#story-{story_id}")).to_contain_text("verlief ich mich")

    log_in(page, scene["author"], e2e_app.demo_accounts[scene["author"]][1])
    page.goto(page.base_url + f"/stories/{scene['lead']}")
    page.locator("main form[action$='/withdraw'] button").click()
    expect(page).to_have_url(re.compile(f"/places/{scene['place']}$"))
    expect(main).not_to_contain_text(scene["lead_text"])
    expect(page.locator(f"#story-{story_id}")).to_contain_text("verlief ich mich")
    feature = page.request.get(page.base_url + f"/api/v1/places/{scene['place']}").json()
    assert feature["properties"]["body"] == ""
    assert _status(e2e_app, scene["lead"]) == "withdrawn"
