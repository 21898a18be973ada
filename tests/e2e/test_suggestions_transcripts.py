"""On a phone, with the service worker running: a second resident suggests an edit of
someone's story and its author accepts it from the list of suggestions (with the diff); a
curator adds a transcript to a recording and it shows under the player on the story page and
the place page. axe finds nothing on the forms and lists, in German and English."""

import hashlib
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.accounts import log_in
from tests.e2e.axe import in_both_languages, with_axe
from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"
AUTHOR = ("autorin@example.org", "a long passphrase for the author")
SECOND = ("zweite@example.org", "a long passphrase for the second")


@pytest.fixture(scope="module")
def scene(e2e_app):
    from app.extensions import db
    from app.models import Media, Place, User
    from app.services import stories
    from app.services.accounts import create_user
    from app.services.stories import StoryInput

    with e2e_app.app_context():
        author = create_user(AUTHOR[0], "Anna Autorin", AUTHOR[1], check_strength=False)
        create_user(SECOND[0], "Zweite Stimme", SECOND[1], check_strength=False)
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))
        told = stories.add_story(author, place.id, StoryInput(
            title="Der Lift", body="Der Lift fuhr bis in den zwanzigsten Stock.",
            era="1970s", language="de", licence_consent=True))
        recorded = stories.add_story(author, place.id, StoryInput(
            title="Im Gespräch", body="Ein Gespräch über das Hochhaus.", language="de",
            licence_consent=True))
        key = uuid.uuid4().hex
        recording = Media(place_id=place.id, story_id=recorded.id, uploader_id=author.id,
                          kind="audio", storage_key=f"e2e/{key}.m4a", mime="audio/mp4",
                          size_bytes=10, sha256=hashlib.sha256(key.encode()).hexdigest(),
                          variants={"public": f"e2e/{key}-p.m4a"}, status="approved",
                          caption="Interview")
        db.session.add(recording)
        db.session.flush()
        for story in (told, recorded):
            stories.review_story(curator, story.id, "approve")
        out = {"place": place.id, "told": told.id, "recorded": recorded.id,
               "recording": recording.id}
        db.session.commit()
        db.session.remove()
    return out


def _story(e2e_app, story_id):
    from app.extensions import db
    from app.models import Story

    with e2e_app.app_context():
        story = db.session.get(Story, story_id)
        out = (story.body, story.status)
        db.session.remove()
        return out


def test_a_second_resident_suggests_an_edit_and_the_author_accepts_it(page, e2e_app, scene):
    story_url = page.base_url + f"/stories/{scene['told']}"
    log_in(page, *SECOND)
    page.goto(story_url)
    sw_ready(page)
    page.locator(f"a[href='/stories/{scene['told']}/suggest']").click()
    expect(page.locator("#body")).to_have_value("Der Lift fuhr bis in den zwanzigsten Stock.")
    page.fill("#body", "Der Lift fuhr bis in den zweiundzwanzigsten Stock.")
    page.fill("#message", "Ich habe die Stockwerke gezählt.")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(story_url)
    expect(page.locator(".flash-success")).to_be_visible()

    page.context.clear_cookies()
    log_in(page, *AUTHOR)
    page.goto(story_url)
    page.locator("#open-suggestions").click()
    expect(page).to_have_url(re.compile(f"/stories/{scene['told']}/suggestions$"))
    item = page.locator("li.suggestion").first
    expect(item.locator("ins")).to_contain_text("zweiundzwanzigsten")
    expect(item.locator("del")).to_contain_text("zwanzigsten")
    expect(item).to_contain_text("Ich habe die Stockwerke gezählt.")
    item.locator("textarea").fill("Danke!")
    item.locator("button.primary").click()
    expect(page.locator("#no-suggestions")).to_be_visible()
    body, status = _story(e2e_app, scene["told"])
    assert body == "Der Lift fuhr bis in den zweiundzwanzigsten Stock."
    # The author's change of an approved story waits for a curator, as their own edit would.
    assert status == "pending"


def test_a_curator_adds_a_transcript_and_it_shows_under_the_player(page, e2e_app, scene):
    story_url = page.base_url + f"/stories/{scene['recorded']}"
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(story_url)
    sw_ready(page)
    page.locator(".transcript-missing a").click()
    expect(page).to_have_url(re.compile(f"/media/{scene['recording']}/transcript$"))
    page.fill("#transcript", "Frage: Wie war es im Hochhaus?\n\nAntwort: <hoch> und windig.")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(story_url)

    page.context.clear_cookies()
    for url in (story_url, page.base_url + f"/places/{scene['place']}"):
        page.goto(url)
        details = page.locator(f"#transcript-{scene['recording']}")
        expect(details).to_be_visible()
        details.locator("summary").click()
        expect(details).to_contain_text("Antwort: <hoch> und windig.")
        expect(details.locator("p")).to_have_count(2)
        # The transcript follows its player, in the same figure or right after it.
        assert page.evaluate(
            """id => {
                const d = document.getElementById(id);
                const audio = d.closest('figure.recording')?.querySelector('audio')
                    || d.previousElementSibling?.querySelector('audio');
                return Boolean(audio);
            }""", f"transcript-{scene['recording']}")


def _back_to_german(page):
    """The language switch of a logged-in person is their account's: each page's check
    starts in German again."""
    if page.locator("html").get_attribute("lang") != "de":
        with page.expect_navigation():
            page.locator(".lang-switch button[value=de]").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_axe_finds_nothing_on_the_suggestion_and_transcript_pages(page, e2e_app, scene):
    with_axe(page)
    log_in(page, *SECOND)
    assert in_both_languages(page, f"/stories/{scene['recorded']}/suggest") == {"de": [],
                                                                               "en": []}
    # a suggestion waits, so that the curator's list below shows one with its diff
    page.fill("#title", "Im Gespräch über das Hochhaus")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.context.clear_cookies()
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    for path in (f"/stories/{scene['recorded']}/suggestions",
                 f"/media/{scene['recording']}/transcript", f"/stories/{scene['recorded']}"):
        page.goto(page.base_url + path)
        _back_to_german(page)
        assert in_both_languages(page, path) == {"de": [], "en": []}, path
        if path.endswith("/suggestions"):
            expect(page.locator("li.suggestion ins")).to_contain_text("Hochhaus")
