"""On a phone, with the service worker running: resident B replies to A's story from its
page and thanks A; A is told, follows the notification to the reply and sees who thanked
them; a curator answers B officially (the city's name and a badge); a new member's reply
with a link waits (only they see it), a curator approves it in the queue and everyone sees
it. axe finds no violations on a story with a long thread, in German and English."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.accounts import log_in
from tests.e2e.axe import in_both_languages
from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

A = ("alma.erzaehlt@example.org", "a long passphrase for alma")
B = ("ben.antwortet@example.org", "a long passphrase for ben")
C = ("cleo.neu@example.org", "a long passphrase for cleo")
D = ("dora.viel@example.org", "a long passphrase for dora")
CURATOR = "curator@demo.stadtspur.ch"


@pytest.fixture(scope="module")
def scene(e2e_app):
    from app.extensions import db
    from app.models import Place, User
    from app.services import stories
    from app.services.accounts import create_user
    from app.services.conversation import reactions, replies
    from app.services.stories import StoryInput

    with e2e_app.app_context():
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))

        def person(who, name, locale="en"):
            user = create_user(who[0], name, who[1], check_strength=False)
            user.locale = locale
            return user

        def story(author, title):
            made = stories.add_story(author, place.id, StoryInput(
                title=title, body="Im Sommer 1972 spielten wir hier Fussball.",
                era="1972", language="de", licence_consent=True))
            stories.review_story(curator, made.id, "approve")
            return made

        alma, ben = person(A, "Alma Erzählt"), person(B, "Ben Antwortet")
        person(C, "Cleo Neu")
        dora = person(D, "Dora Viel", locale="de")
        mine = story(alma, "Fussball im Hof")
        story(ben, "Bens Geschichte")  # an approved contribution: Ben is trusted
        # A story with a long thread for axe: answers, an official answer, reactions.
        long = story(dora, "Ein langes Gespräch")
        story(alma, "Almas zweite Geschichte")
        for n in range(12):
            top = replies.post_reply(ben if n % 2 else alma, long.id,
                                     f"Erinnerung Nummer {n}: *damals* war es **anders**.")
            replies.post_reply(dora, long.id, f"Danke für Nummer {n}!", parent_id=top.id)
        replies.post_reply(curator, long.id, "Die Stadt dankt allen. Mehr im "
                           "[Stadtarchiv](https://example.org/archiv).", official=True)
        reactions.react(ben, long.id, "thanks")
        reactions.react(alma, long.id, "remember")
        db.session.commit()
        out = {"story": mine.id, "long": long.id}
        db.session.remove()
    return out


def test_a_reply_thanks_an_official_answer_and_a_held_reply(page, e2e_app, scene):
    story_url = page.base_url + f"/stories/{scene['story']}"
    replies = page.locator("#replies")

    # B replies from the story page and thanks A.
    log_in(page, *B)
    page.goto(story_url)
    sw_ready(page)
    expect(replies).to_contain_text("CC BY-SA 4.0")
    page.fill("#reply-form-body", "Ich war auch dabei, *damals* im Hof.")
    page.locator("#reply-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-\d+$"))
    reply_id = int(page.url.rsplit("-", 1)[-1])
    expect(page.locator(f"#reply-{reply_id}")).to_contain_text("Ich war auch dabei, damals im Hof.")
    expect(page.locator(f"#reply-{reply_id} em")).to_have_text("damals")
    page.get_by_role("button", name="Thank you").click()
    expect(page.locator("#count-thanks")).to_have_text("1 person thanked the narrator")
    expect(page.get_by_role("button", name="Take back my thanks")).to_be_visible()

    # A is told, follows the notification to the reply and sees who thanked them.
    page.context.clear_cookies()
    log_in(page, *A)
    page.goto(page.base_url + "/me/notifications")
    page.get_by_role("link", name=re.compile("Ben Antwortet replied")).click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-{reply_id}$"))
    expect(page.locator(f"#reply-{reply_id}")).to_contain_text("Ich war auch dabei")
    expect(page.locator(".reaction-names")).to_contain_text("Thanked you: Ben Antwortet")

    # A curator answers B as the city.
    page.context.clear_cookies()
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(story_url)
    page.locator(f"#reply-{reply_id} a[href*='/reply?to={reply_id}']").click()
    expect(page).to_have_url(re.compile(rf"/reply\?to={reply_id}$"))
    page.fill("#reply-form-body", "Danke, Ben. Der Hof wird nächstes Jahr neu gestaltet.")
    page.locator("#reply-form input[name=official]").check()
    page.locator("#reply-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-\d+$"))
    official = page.locator(".reply.official")
    expect(official).to_contain_text("Winterthur")
    expect(official).to_contain_text("Der Hof wird nächstes Jahr neu gestaltet.")
    expect(official.locator(".badge")).to_be_visible()
    # shown under B's reply, indented once
    expect(page.locator(f"#reply-{reply_id} .answers .reply.official")).to_have_count(1)

    # A new member's reply with a link waits; only they see it.
    page.context.clear_cookies()
    log_in(page, *C)
    page.goto(story_url)
    page.fill("#reply-form-body", "Fotos davon gibt es unter https://example.org/hof")
    page.locator("#reply-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-\d+$"))
    held = int(page.url.rsplit("-", 1)[-1])
    expect(page.locator(f"#reply-{held}.pending")).to_contain_text(
        "Only you see this reply until a curator has looked at it.")
    page.context.clear_cookies()
    page.goto(story_url)
    expect(replies).to_contain_text("Ich war auch dabei")
    expect(replies).not_to_contain_text("Fotos davon")

    # A curator approves it in the queue; everyone sees it.
    log_in(page, CURATOR, e2e_app.demo_accounts[CURATOR][1])
    page.goto(page.base_url + f"/curate/reply/{held}")
    page.locator("#approve-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(rf"/curate/reply/{held}$"))
    page.context.clear_cookies()
    page.goto(story_url)
    expect(page.locator(f"#reply-{held}")).to_contain_text("Fotos davon gibt es unter")
    expect(page.locator(f"#reply-{held}.pending")).to_have_count(0)


def test_anonymous_visitors_are_sent_to_log_in_to_reply(page, scene):
    page.goto(page.base_url + f"/stories/{scene['story']}")
    expect(page.locator("#reply-form")).to_have_count(0)
    page.locator("#replies a[href*='/login']").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_long_thread_has_no_axe_violations_in_both_languages(page, scene):
    log_in(page, *D)
    found = in_both_languages(page, f"/stories/{scene['long']}",
                              lambda: expect(page.locator("#replies .reply")).to_have_count(25))
    assert found == {"de": [], "en": []}
