"""On a phone, with the service worker running: a visitor reports a reply from the story's
thread without an account; the report reaches the curators' flags for that reply."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.e2e.waits import sw_ready

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"


@pytest.fixture(scope="module")
def scene(e2e_app):
    from app.extensions import db
    from app.models import Story, User
    from app.services.conversation import replies

    with e2e_app.app_context():
        curator = db.session.scalar(select(User).where(User.email == CURATOR))
        story = db.session.scalar(select(Story).where(
            Story.status == "approved", Story.is_lead).order_by(Story.id).limit(1))
        reply = replies.post_reply(curator, story.id, "Eine Antwort, die jemand meldet.")
        out = {"story": story.id, "reply": reply.id}
        db.session.commit()
        db.session.remove()
    return out


def test_a_visitor_reports_a_reply_from_the_thread(page, e2e_app, scene):
    from app.extensions import db
    from app.models import Flag

    page.goto(page.base_url + f"/stories/{scene['story']}")
    sw_ready(page)
    assert page.context.cookies() == []  # reading the story sets none
    item = page.locator(f"#reply-{scene['reply']}")
    item.locator("details.report summary").click()
    item.get_by_label("Es ist beleidigend").check()
    item.locator("textarea").fill("Bitte ansehen.")
    item.locator("details.report button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Danke. Eine Kuratorin oder ein Kurator")
    assert page.url.endswith(f"/stories/{scene['story']}#reply-{scene['reply']}")
    with e2e_app.app_context():
        found = db.session.execute(select(Flag.reason, Flag.message).where(
            Flag.reply_id == scene["reply"])).all()
        assert db.session.scalar(select(func.count(Flag.id))) == 1
        db.session.remove()
    assert [tuple(r) for r in found] == [("offensive", "Bitte ansehen.")]
