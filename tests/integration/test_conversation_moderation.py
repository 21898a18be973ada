"""Moderating the conversation: held replies and place notes in the curators' queue (kinds
reply and talk, with counts), approve and reject with a reason and a mail in the author's
language, hide, remove and show again, a narrator-hidden reply waiting for a curator,
reports on replies (auto-hide at the threshold, resolved from the reply's page), mutes and
watched words (logged), account deletion (reactions go, replies anonymised or removed), and
the curator pages: every one refused to residents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import ModerationEvent, Place
from app.models.conversation import ConversationMute, PlaceTalk, Reaction, Reply, WatchedWord
from app.models.notification import Notification
from app.services import accounts, flags, moderation, stories
from app.services.conversation import replies, talk
from app.services.conversation.talk import TalkInput
from app.services.mail import sent_messages
from app.services.moderation import conversation, mutes
from app.services.stories import StoryInput
from tests.conftest import create_user, login


@pytest.fixture
def people(demo, db_session):
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    newbie = create_user("newbie@example.org", name="Nina Neu")
    trusted = create_user("trusted@example.org", name="Rosa Vertraut")
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(trusted, place.id, StoryInput(
        title="Rosas Erinnerung", body="Mein Grossvater wog hier Käse.", language="de",
        licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    db.session.commit()
    sent_messages().clear()
    return {"curator": curator, "newbie": newbie, "trusted": trusted, "place": place,
            "story": story}


def _events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(ModerationEvent)
                             .where(ModerationEvent.action == action))


def test_held_replies_and_notes_are_queue_items(people):
    p = people
    reply = replies.post_reply(p["newbie"], p["story"].id, "Ich war auch da")
    note = talk.post(p["newbie"], p["place"].id, TalkInput(body="Wann?"))
    items = {(i["kind"], i["id"]): i for i in moderation.queue()}
    assert ("reply", reply.id) in items and ("talk", note.id) in items
    assert items[("reply", reply.id)]["detail"]  # why it waits: a new member
    assert items[("reply", reply.id)]["place_id"] == p["place"].id
    assert [i["kind"] for i in moderation.queue("talk")] == ["talk"]
    counts = moderation.counts()
    assert (counts["reply"], counts["talk"]) == (1, 1)
    assert counts["total"] >= 2
    assert moderation.item("reply", reply.id)["reply"].id == reply.id
    assert moderation.item("talk", note.id)["talk"].id == note.id


def test_approving_a_reply_shows_it_and_tells_the_narrator(people):
    p = people
    reply = replies.post_reply(p["newbie"], p["story"].id, "Ich war auch da")
    with pytest.raises(Forbidden):
        conversation.decide_reply(p["newbie"], reply.id, "approve")
    conversation.decide_reply(p["curator"], reply.id, "approve")
    assert reply.status == "visible" and reply.published_at is not None
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "reply", Notification.user_id == p["trusted"].id)) == 1
    assert _events("reply_approve") == 1
    with pytest.raises(ValidationError) as again:
        conversation.decide_reply(p["curator"], reply.id, "approve")
    assert again.value.code == "not_waiting"
    assert moderation.counts()["reply"] == 0


def test_rejecting_needs_a_reason_and_mails_the_author_in_their_language(people):
    p = people
    p["newbie"].locale = "en"
    reply = replies.post_reply(p["newbie"], p["story"].id, "Kauft hier!")
    db.session.commit()
    with pytest.raises(ValidationError) as no_reason:
        conversation.decide_reply(p["curator"], reply.id, "reject")
    assert no_reason.value.field == "reason"
    with pytest.raises(ValidationError):
        conversation.decide_reply(p["curator"], reply.id, "reject", reason="bogus")
    conversation.decide_reply(p["curator"], reply.id, "reject", reason="spam",
                              message="Bitte keine Werbung.")
    db.session.commit()
    assert reply.status == "rejected"
    [mail] = [m for m in sent_messages() if m["To"] == "newbie@example.org"]
    assert "was not published" in mail["Subject"]
    body = mail.get_content()
    assert "Advertising or spam" in body and "Bitte keine Werbung." in body
    assert f"/stories/{p['story'].id}" in body


def test_hide_remove_and_show_again(people):
    p = people
    reply = replies.post_reply(p["curator"], p["story"].id, "Antwort der Stadt")
    assert reply.status == "visible"
    with pytest.raises(ValidationError):
        conversation.act_on_reply(p["curator"], reply.id, "hide")
    conversation.act_on_reply(p["curator"], reply.id, "hide", reason="offensive")
    assert (reply.status, reply.hidden_reason) == ("hidden", "offensive")
    db.session.commit()
    assert any("is hidden" in m["Subject"] or "verborgen" in m["Subject"]
               for m in sent_messages())
    conversation.act_on_reply(p["curator"], reply.id, "show")
    assert reply.status == "visible"
    conversation.act_on_reply(p["curator"], reply.id, "remove", reason="private")
    assert reply.status == "rejected"
    with pytest.raises(ValidationError):
        conversation.act_on_reply(p["curator"], reply.id, "hide", reason="private")
    assert _events("reply_hide") == _events("reply_show") == _events("reply_remove") == 1


def test_a_reply_the_narrator_hid_waits_for_a_curator(people):
    p = people
    reply = replies.post_reply(p["curator"], p["story"].id, "Hm")
    reply.narrator_hidden_at = datetime.now(UTC)
    db.session.flush()
    assert ("reply", reply.id) in {(i["kind"], i["id"]) for i in moderation.queue("reply")}
    assert conversation.reply_item(reply.id)["waiting"]
    conversation.decide_reply(p["curator"], reply.id, "approve")
    assert reply.narrator_hidden_at is None and reply.status == "visible"


def test_approving_a_held_note_opens_it(people):
    p = people
    note = talk.post(p["newbie"], p["place"].id, TalkInput(body="Wann?"))
    conversation.decide_talk(p["curator"], note.id, "approve")
    assert note.status == "open"
    other = talk.post(p["newbie"], p["place"].id, TalkInput(body="Spam"))
    conversation.decide_talk(p["curator"], other.id, "reject", reason="spam")
    assert other.status == "hidden"
    with pytest.raises(ValidationError):
        conversation.decide_talk(p["curator"], other.id, "approve")
    assert [t.id for t in talk.place_talk(p["place"].id)] == [note.id]


def test_reports_hide_a_reply_at_the_threshold_and_curators_resolve_them(app, people):
    p = people
    reply = replies.post_reply(p["curator"], p["story"].id, "Etwas Gemeines")
    flags.create_flag(None, reply_id=reply.id, reason="offensive", remote_addr="10.0.0.1")
    flags.create_flag(None, reply_id=reply.id, reason="offensive", remote_addr="10.0.0.1")
    flags.create_flag(p["newbie"], reply_id=reply.id, reason="other")
    assert reply.status == "visible"
    flags.create_flag(p["trusted"], reply_id=reply.id, reason="offensive")
    assert (reply.status, reply.hidden_reason) == ("hidden", "flags")
    assert _events("auto_hide") >= 1
    assert moderation.queue("flag") == []
    [item] = [i for i in moderation.queue("reply") if i["id"] == reply.id]
    assert len(conversation.reply_item(reply.id)["flags"]) == 3
    with pytest.raises(ValidationError):
        flags.resolve_reply_flags(p["curator"], reply.id, "edit")
    flags.resolve_reply_flags(p["curator"], reply.id, "dismiss")
    assert reply.status == "visible"
    assert moderation.counts()["reply"] == 0
    # A hidden reply cannot be reported further.
    conversation.act_on_reply(p["curator"], reply.id, "hide", reason="offensive")
    with pytest.raises(Exception) as gone:
        flags.create_flag(p["newbie"], reply_id=reply.id, reason="other")
    assert getattr(gone.value, "status", None) == 404
    with pytest.raises(ValidationError):
        flags.create_flag(p["newbie"], reply_id=reply.id, place_id=p["place"].id,
                          reason="other")


def test_mutes_and_watched_words_are_logged(people):
    p = people
    with pytest.raises(Forbidden):
        mutes.mute(p["trusted"], p["newbie"].id, "x")
    with pytest.raises(ValidationError):
        mutes.mute(p["curator"], p["newbie"].id, "  ")
    with pytest.raises(ValidationError):
        mutes.mute(p["curator"], p["curator"].id, "Test")
    mutes.mute(p["curator"], mutes.find_person("NEWBIE@example.org").id, "Beleidigungen")
    with pytest.raises(ValidationError):
        mutes.mute(p["curator"], p["newbie"].id, "nochmal")
    assert [m["user"].id for m in mutes.mutes()] == [p["newbie"].id]
    with pytest.raises(Forbidden):
        replies.post_reply(p["newbie"], p["story"].id, "Hallo")
    mutes.unmute(p["curator"], p["newbie"].id, "Entschuldigt")
    assert db.session.get(ConversationMute, p["newbie"].id) is None
    assert _events("conversation_mute") == _events("conversation_unmute") == 1
    with pytest.raises(ValidationError):
        mutes.find_person("nobody@example.org")

    word = mutes.add_watched_word(p["curator"], "  böse   Leute ")
    assert word.phrase == "böse Leute"
    for dup in ("BOSE LEUTE", "böse leute"):
        with pytest.raises(ValidationError):
            mutes.add_watched_word(p["curator"], dup)
    for bad in ("", "!!!", "x" * 101):
        with pytest.raises(ValidationError):
            mutes.add_watched_word(p["curator"], bad)
    held = replies.post_reply(p["trusted"], p["story"].id, "Das sind Bose  Leute.")
    assert (held.status, held.held_reason) == ("pending", "watched_word")
    mutes.remove_watched_word(p["curator"], word.id)
    assert db.session.scalar(select(func.count()).select_from(WatchedWord)) == 0
    assert _events("watched_word_add") == _events("watched_word_remove") == 1


def test_deleting_an_account_removes_reactions_and_anonymises_replies(people):
    p = people
    db.session.add(Reaction(story_id=p["story"].id, user_id=p["curator"].id, kind="thanks"))
    reply = replies.post_reply(p["curator"], p["story"].id, "Danke für die Geschichte")
    note = talk.post(p["curator"], p["place"].id, TalkInput(body="Wo genau?"))
    db.session.flush()
    reply_id, note_id = reply.id, note.id
    accounts.delete_account(p["curator"], "a long passphrase 42", "anonymise")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
    kept = db.session.get(Reply, reply_id)
    assert (kept.author_id, kept.status, kept.body) == (None, "visible",
                                                        "Danke für die Geschichte")
    assert db.session.get(PlaceTalk, note_id).author_id is None


def test_deleting_an_account_can_remove_the_replies_too(people):
    p = people
    reply = replies.post_reply(p["curator"], p["story"].id, "Meine Worte")
    answer = replies.post_reply(p["curator"], p["story"].id, "Noch mehr", parent_id=reply.id)
    note = talk.post(p["curator"], p["place"].id, TalkInput(body="Wo genau?"))
    ids = reply.id, answer.id, note.id
    accounts.delete_account(p["curator"], "a long passphrase 42", "anonymise",
                            remove_replies=True)
    db.session.expire_all()
    for reply_id in ids[:2]:
        gone = db.session.get(Reply, reply_id)
        assert (gone.author_id, gone.status) == (None, "removed")
        assert "Meine Worte" not in gone.body and "Noch mehr" not in gone.body
    assert db.session.get(PlaceTalk, ids[2]).status == "hidden"


def test_the_curator_pages(client, people):
    p = people
    reply = replies.post_reply(p["newbie"], p["story"].id, "Ich war *auch* da")
    note = talk.post(p["newbie"], p["place"].id, TalkInput(body="Wann?"))
    db.session.commit()
    pages = [f"/curate/reply/{reply.id}", f"/curate/talk/{note.id}", "/curate/mutes",
             "/curate/watched-words"]
    for url in pages:
        assert client.get(url).status_code in (302, 401), url
    login(client, "newbie@example.org")
    for url in pages:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/curate/reply/{reply.id}/decide",
                       data={"decision": "approve"}).status_code == 403
    client.post("/logout")
    login(client, "cur@example.org")
    queue = client.get("/curate").data.decode()
    assert f"/curate/reply/{reply.id}" in queue and f"/curate/talk/{note.id}" in queue
    page = client.get(f"/curate/reply/{reply.id}").data.decode()
    assert "<em>auch</em>" in page and 'name="reason"' in page
    refused = client.post(f"/curate/reply/{reply.id}/decide", data={"decision": "reject"})
    assert refused.status_code == 303
    assert db.session.get(Reply, reply.id).status == "pending"
    done = client.post(f"/curate/reply/{reply.id}/decide", data={"decision": "approve"})
    assert done.status_code == 303
    assert db.session.get(Reply, reply.id).status == "visible"
    assert client.post(f"/curate/talk/{note.id}/decide",
                       data={"decision": "approve"}).status_code == 303
    assert client.post("/curate/mutes", data={"who": "newbie@example.org",
                                              "reason": "Test"}).status_code == 303
    assert "Nina Neu" in client.get("/curate/mutes").data.decode()
    assert client.post(f"/curate/mutes/{p['newbie'].id}/lift").status_code == 303
    assert client.post("/curate/watched-words", data={"phrase": "Betrug"}).status_code == 303
    assert "Betrug" in client.get("/curate/watched-words").data.decode()
    word = db.session.scalar(select(WatchedWord))
    assert client.post(f"/curate/watched-words/{word.id}/delete").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(WatchedWord)) == 0


def test_a_reply_is_reported_from_the_page_and_the_api(client, people):
    p = people
    reply = replies.post_reply(p["curator"], p["story"].id, "Etwas Gemeines")
    db.session.commit()
    # The thread offers the report form under the reply; a visitor's form carries no token
    # (it would set a session cookie on a public page).
    story_page = client.get(f"/stories/{p['story'].id}")
    thread = story_page.data.decode()
    assert f'action="/replies/{reply.id}/report"' in thread
    assert 'name="csrf_token"' not in thread.split(f'id="reply-{reply.id}"')[1]
    assert "Set-Cookie" not in story_page.headers
    resp = client.post(f"/replies/{reply.id}/report", data={"reason": "offensive"},
                       headers={"Origin": "http://localhost"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/stories/{p['story'].id}#reply-{reply.id}")
    assert client.post(f"/replies/{reply.id}/report", data={"reason": "nonsense"},
                       headers={"Origin": "http://localhost"}).status_code == 422
    made = client.post("/api/v1/flags", json={"reply_id": reply.id, "reason": "other"},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert made.status_code == 201, made.json
    assert client.post("/api/v1/flags", json={"reply_id": 10**9, "reason": "other"}
                       ).status_code == 404
    assert client.post("/api/v1/flags", json={"reply_id": reply.id, "place_id": 1,
                                              "reason": "other"}).status_code == 422
    assert len(conversation.reply_item(reply.id)["flags"]) == 2
    login(client, "cur@example.org")
    page = client.get(f"/curate/reply/{reply.id}").data.decode()
    assert 'id="reply-reports"' in page
    done = client.post(f"/curate/reply/{reply.id}/reports",
                       data={"resolution": "hide", "message": "Beleidigend"})
    assert done.status_code == 303
    assert db.session.get(Reply, reply.id).status == "hidden"


def test_the_delete_page_explains_and_takes_the_removal_of_replies(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Meine Worte bleiben nicht")
    db.session.add(Reaction(story_id=p["story"].id, user_id=p["trusted"].id, kind="thanks"))
    db.session.commit()
    reply_id = reply.id
    login(client, "trusted@example.org")
    page = client.get("/account/delete").data.decode()
    assert 'name="remove_replies"' in page and "ehemaligen Mitglied" in page
    resp = client.post("/account/delete", data={
        "contributions": "anonymise", "password": "a long passphrase 42", "confirm": "y",
        "remove_replies": "y"})
    assert resp.status_code == 303
    db.session.expire_all()
    gone = db.session.get(Reply, reply_id)
    assert (gone.author_id, gone.status) == (None, "removed")
    assert "Meine Worte" not in gone.body
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 0
