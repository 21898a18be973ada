"""On a phone, with the service worker running: a resident with one approved story replies
with a link; the reply waits (only its author sees it) and is a reply item in the curators'
queue, which says why; the curator approves it and everyone sees it. The same resident
posts a correction on the place page; a curator resolves it there as fixed, and a visitor
sees it resolved. The curator's reply page and a place page with its questions and
corrections have no axe violations in German and English."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.axe import in_both_languages
from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

NINA = ("nina.neu@example.org", "a long passphrase for nina")
CURATOR = "curator@demo.stadtspur.ch"
LINKED = "Mehr Bilder davon [hier](https://example.org/schnee)."


def _login(page, email, password):
    page.goto(page.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))


@pytest.fixture(scope="module")
def scene(e2e_app):
    from app.extensions import db
    from app.models import Place, User
    from app.services import stories
    from app.services.accounts import create_user
    from app.services.conversation import talk
    from app.services.stories import StoryInput

    with e2e_app.app_context():
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        nina = create_user(NINA[0], "Nina Neu", NINA[1], check_strength=False)
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))

        def story(author, title):
            made = stories.add_story(author, place.id, StoryInput(
                title=title, body="Im Winter 1965 lag hier Schnee bis zum Fenster.",
                era="1965", language="de", licence_consent=True))
            stories.review_story(curator, made.id, "approve")
            return made

        # One approved story: trusted enough to reply at once, not to post links.
        story(nina, "Ninas erste Geschichte")
        told = story(curator, "Schnee am Fenster")
        # A place with a long list of notes, for axe.
        for n in range(6):
            talk.post(curator, place.id, talk.TalkInput(
                kind="question" if n % 2 else "correction",
                body=f"Frage {n}: Wo genau stand der Kran? " * 3))
        db.session.commit()
        out = {"story": told.id, "place": place.id}
        db.session.remove()
    return out


def test_a_reply_with_a_link_waits_for_a_curator_and_appears_after_approval(
        page, e2e_app, scene):
    story_url = page.base_url + f"/stories/{scene['story']}"
    _login(page, *NINA)
    page.goto(story_url)
    sw_ready(page)
    page.fill("#reply-form-body", LINKED)
    page.locator("#reply-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-\d+$"))
    reply_id = int(page.url.rsplit("-", 1)[-1])
    mine = page.locator(f"#reply-{reply_id}")
    expect(mine).to_contain_text("Mehr Bilder davon")
    expect(mine).to_have_class(re.compile("pending"))

    page.context.clear_cookies()
    page.goto(story_url)
    expect(page.locator("#replies")).not_to_contain_text("Mehr Bilder davon")

    _login(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(page.base_url + "/curate?kind=reply")
    item = page.locator(f"a[href^='/curate/reply/{reply_id}']")
    expect(item).to_have_count(1)
    expect(page.locator("#queue-list")).to_contain_text("Enthält einen Link")
    item.click()
    expect(page).to_have_url(re.compile(rf"/curate/reply/{reply_id}"))
    expect(page.locator("#hold-reason")).to_have_text("Enthält einen Link")
    expect(page.locator("#reply-body a")).to_have_attribute(
        "href", "https://example.org/schnee")
    page.locator("#approve-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(rf"/curate/reply/{reply_id}$"))
    expect(page.locator(".flashes")).to_contain_text("Freigegeben")

    page.context.clear_cookies()
    page.goto(story_url)
    shown = page.locator(f"#reply-{reply_id}")
    expect(shown).to_contain_text("Mehr Bilder davon")
    expect(shown).not_to_have_class(re.compile("pending"))
    expect(shown.locator(".reply-body a")).to_have_attribute("rel", re.compile("ugc"))
    expect(shown.locator(".reply-body a")).to_have_attribute(
        "href", "https://example.org/schnee")


def test_a_correction_on_the_place_page_is_resolved_by_a_curator(page, e2e_app, scene):
    place_url = page.base_url + f"/places/{scene['place']}"
    page.goto(place_url)
    expect(page.locator("#talk-form")).to_have_count(0)
    expect(page.locator("#talk")).to_contain_text("Melden Sie sich an")

    _login(page, *NINA)
    page.goto(place_url)
    sw_ready(page)
    page.locator("#talk-form").get_by_label("Eine Korrektur").check()
    page.fill("#talk-body", "Die Tafel hängt an der anderen Ecke.")
    page.locator("#talk-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/places/{scene['place']}#talk$"))
    note = page.locator(".talk-item", has_text="Die Tafel hängt")
    expect(note).to_have_count(1)
    note_id = int(note.get_attribute("id").rsplit("-", 1)[-1])

    page.context.clear_cookies()
    _login(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(place_url + "#talk")
    mine = page.locator(f"#talk-{note_id}")
    mine.locator("summary").click()
    mine.get_by_label("Erledigt").check()
    mine.locator("textarea").fill("Die Markierung ist verschoben.")
    mine.locator("button[type=submit]").click()
    expect(page.locator(".flashes")).to_contain_text("Der Hinweis ist erledigt.")

    page.context.clear_cookies()
    page.goto(place_url)
    resolved = page.locator(f"#talk-{note_id}")
    expect(resolved).to_contain_text("Erledigt")
    expect(resolved).to_contain_text("Die Markierung ist verschoben.")


def test_the_curators_reply_page_has_no_axe_violations(page, e2e_app, scene):
    from app.extensions import db
    from app.models import User
    from app.services.conversation import replies

    with e2e_app.app_context():
        nina = db.session.scalar(select(User).where(User.email == NINA[0]))
        held = replies.post_reply(nina, scene["story"], "Siehe www.example.org, *bitte*.")
        db.session.commit()
        reply_id = held.id
        db.session.remove()
    _login(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    found = in_both_languages(page, f"/curate/reply/{reply_id}")
    assert found == {"de": [], "en": []}


def test_a_place_with_many_notes_has_no_axe_violations(page, scene):
    found = in_both_languages(page, f"/places/{scene['place']}")
    assert found == {"de": [], "en": []}
