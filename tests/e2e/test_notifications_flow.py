"""On a phone, with the service worker running: resident B replies to A's story and thanks
A, two more people thank A too; A sees the count in the navigation, the notifications (the
thanks bundled), follows one to the reply, marks them read, and mails replies weekly from
now on. The notifications pages have no axe violations in German and English."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.accounts import log_in
from tests.e2e.axe import in_both_languages
from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

A = ("anna.erzaehlt@example.org", "a long passphrase for anna")
B = ("bruno.antwortet@example.org", "a long passphrase for bruno")
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
        anna = create_user(A[0], "Anna Erzählt", A[1], check_strength=False)
        anna.locale = "en"
        bruno = create_user(B[0], "Bruno Antwortet", B[1], check_strength=False)
        place = db.session.scalar(select(Place).where(Place.slug == "sulzer-hochhaus"))

        def story(author, title):
            made = stories.add_story(author, place.id, StoryInput(
                title=title, body="Im Winter 1965 lag hier Schnee bis zum Fenster.",
                era="1965", language="de", licence_consent=True))
            stories.review_story(curator, made.id, "approve")
            return made

        mine = story(anna, "Schnee am Fenster")
        story(bruno, "Brunos erste Geschichte")  # an approved contribution: trusted
        reply = replies.post_reply(bruno, mine.id, "Ich erinnere mich auch an den Schnee!")
        reactions.react(bruno, mine.id, "thanks")
        for n in range(2):
            other = create_user(f"dank{n}@example.org", f"Dank {n}", "a long passphrase 42",
                                check_strength=False)
            reactions.react(other, mine.id, "thanks")
        db.session.commit()
        out = {"story": mine.id, "reply": reply.id, "reply_status": reply.status}
        db.session.remove()
    return out


def test_a_narrator_is_told_of_a_reply_and_thanks(page, e2e_app, scene):
    assert scene["reply_status"] == "visible"
    log_in(page, *A)
    page.goto(page.base_url + "/")
    sw_ready(page)
    count = page.locator("[data-count=notifications]")
    # The approval of her story, the reply, and one bundle of three thanks.
    expect(count).to_have_text("3")
    page.locator("a[data-nav=notifications]").click()
    expect(page).to_have_url(re.compile(r"/me/notifications$"))
    items = page.locator(".notification-list > li")
    expect(items).to_have_count(3)
    expect(page.locator(".notification-list")).to_contain_text(
        "3 people thanked you for “Schnee am Fenster” this week.")
    expect(page.locator(".notification.unread")).to_have_count(3)

    page.get_by_role("link", name=re.compile("Bruno Antwortet replied")).click()
    expect(page).to_have_url(re.compile(rf"/stories/{scene['story']}#reply-{scene['reply']}$"))
    expect(page.locator("main")).to_contain_text("Ich erinnere mich auch an den Schnee!")

    page.goto(page.base_url + "/me/notifications")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page).to_have_url(re.compile(r"/me/notifications$"))
    expect(page.locator(".notification.unread")).to_have_count(0)
    expect(page.locator("[data-count=notifications]")).to_have_count(0)

    page.get_by_role("link", name="Choose which mails you get").click()
    page.locator("#kind-reply").get_by_label("Weekly digest").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".flashes")).to_contain_text(
        "Your notification settings are saved.")
    expect(page.locator("#kind-reply").get_by_label("Weekly digest")).to_be_checked()

    from app.extensions import db
    from app.models import User
    from app.services import notification_settings

    with e2e_app.app_context():
        anna = db.session.scalar(select(User).where(User.email == A[0]))
        assert notification_settings.settings_for(anna)["reply"] == "weekly"
        db.session.remove()


@pytest.mark.parametrize("path", ["/me/notifications", "/me/notifications/settings"])
def test_the_notification_pages_have_no_axe_violations(page, scene, path):
    log_in(page, *B)
    # B's German pages: B is told nothing yet, apart from their own story's approval.
    found = in_both_languages(page, path)
    assert found == {"de": [], "en": []}


def test_the_unsubscribe_page_asks_then_stops_the_mails(page, e2e_app, scene):
    from app.extensions import db
    from app.models import User
    from app.services import notification_settings

    with e2e_app.app_context():
        bruno = db.session.scalar(select(User).where(User.email == B[0]))
        token = notification_settings.unsubscribe_token(bruno.id, "reaction")
        db.session.remove()
    path = f"/notifications/unsubscribe/{token}"
    assert in_both_languages(page, path) == {"de": [], "en": []}
    page.get_by_role("button", name="Stop these mails").click()
    expect(page.locator("main [role=status]")).to_contain_text(
        "You will no longer get mails about:")
    expect(page.locator("main")).to_contain_text("Thanks and “I remember this too”")
    with e2e_app.app_context():
        bruno = db.session.scalar(select(User).where(User.email == B[0]))
        assert notification_settings.settings_for(bruno)["reaction"] == "never"
        db.session.remove()
