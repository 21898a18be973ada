"""Questions and corrections about a place (services/conversation/talk.py, the API
/api/v1/places/<id>/talk and /api/v1/talk/<id>/resolve, the place page's list and form):
who may post (logged in, not muted), what is refused (empty, huge, an unknown kind, a place
that is not public; nothing stored), a new member's note waiting for a curator and seen by
its author alone, the people who wrote about the place told, hostile text shown as text,
and resolving by curators only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Place
from app.models.conversation import ConversationMute, PlaceTalk
from app.models.notification import Notification
from app.services import stories
from app.services.conversation import talk
from app.services.conversation.talk import TalkInput
from app.services.mail import sent_messages
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
    return {"curator": curator, "newbie": newbie, "trusted": trusted, "place": place}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(PlaceTalk))


def test_a_trusted_note_is_open_and_tells_who_wrote_about_the_place(people):
    p = people
    note = talk.post(p["curator"], p["place"].id, TalkInput(
        kind="correction", body="Die Tafel ist an der anderen Ecke."))
    assert note.status == "open"
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "place_question")).all()
    assert p["trusted"].id in told
    assert [t.id for t in talk.place_talk(p["place"].id)] == [note.id]


def test_a_new_members_note_waits_and_only_they_see_it(people):
    p = people
    note = talk.post(p["newbie"], p["place"].id, TalkInput(body="Wann wurde das gebaut?"))
    assert (note.kind, note.status) == ("question", "pending")
    assert talk.place_talk(p["place"].id) == []
    assert talk.place_talk(p["place"].id, p["trusted"]) == []
    assert [t.id for t in talk.place_talk(p["place"].id, p["newbie"])] == [note.id]
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "place_question")) == 0


@pytest.mark.parametrize(("inp", "field"), [
    (TalkInput(body=""), "body"),
    (TalkInput(body="   \n "), "body"),
    (TalkInput(body="x" * 5001), "body"),
    (TalkInput(kind="rant", body="Hallo"), "kind"),
])
def test_bad_notes_are_refused_and_nothing_is_stored(people, inp, field):
    before = _count()
    with pytest.raises(ValidationError) as refused:
        talk.post(people["trusted"], people["place"].id, inp)
    assert refused.value.field == field
    assert _count() == before


def test_visitors_muted_people_and_hidden_places_are_refused(people):
    p = people
    with pytest.raises(Forbidden):
        talk.post(None, p["place"].id, TalkInput(body="Hallo"))
    with pytest.raises(NotFound):
        talk.post(p["trusted"], 10**9, TalkInput(body="Hallo"))
    db.session.add(ConversationMute(user_id=p["trusted"].id, reason="Beleidigungen"))
    db.session.flush()
    with pytest.raises(Forbidden) as muted:
        talk.post(p["trusted"], p["place"].id, TalkInput(body="Hallo"))
    assert muted.value.code == "muted"
    assert _count() == 0


def test_curators_resolve_open_notes_with_a_note(people):
    p = people
    note = talk.post(p["trusted"], p["place"].id, TalkInput(kind="correction", body="Ecke!"))
    with pytest.raises(Forbidden):
        talk.resolve(p["trusted"], note.id, "fixed")
    with pytest.raises(ValidationError):
        talk.resolve(p["curator"], note.id, "maybe")
    with pytest.raises(ValidationError):
        talk.resolve(p["curator"], note.id, "fixed", "x" * 2001)
    done = talk.resolve(p["curator"], note.id, "fixed", "Markierung verschoben.")
    assert (done.status, done.resolution_note, done.resolved_by_id) == (
        "fixed", "Markierung verschoben.", p["curator"].id)
    with pytest.raises(ValidationError) as again:
        talk.resolve(p["curator"], note.id, "declined")
    assert again.value.code == "not_open"
    assert [t.status for t in talk.place_talk(p["place"].id)] == ["fixed"]


def test_the_author_is_mailed_the_outcome_in_their_language(people):
    p = people
    p["newbie"].locale = "en"
    p["trusted"].locale = "de"
    question = talk.post(p["trusted"], p["place"].id, TalkInput(body="Wann?"))
    fix = talk.post(p["curator"], p["place"].id, TalkInput(kind="correction", body="Ecke"))
    db.session.commit()
    sent_messages().clear()
    talk.resolve(p["curator"], question.id, "declined", "Das wissen wir nicht.")
    talk.resolve(p["curator"], fix.id, "fixed")  # the curator's own: nobody to tell
    db.session.commit()
    [mail] = sent_messages()
    assert mail["To"] == "trusted@example.org"
    assert mail["Subject"] == "Ihre Frage zu «Waaghaus» wurde abgelehnt"
    body = mail.get_content()
    assert "Das wissen wir nicht." in body and f"/places/{p['place'].id}" in body


def test_the_api_lists_posts_and_resolves(client, people):
    p = people
    url = f"/api/v1/places/{p['place'].id}/talk"
    assert client.post(url, json={"body": "Hallo"}).status_code == 401
    login(client, "trusted@example.org")
    csrf = client.get("/api/v1/me").headers.get("X-CSRFToken", "")
    headers = {"X-CSRFToken": csrf} if csrf else {}
    refused = client.post(url, json={"body": "Hallo", "mood": "x"}, headers=headers)
    assert refused.status_code == 422, refused.json
    assert client.post(url, json={"kind": "rant", "body": "Hallo"},
                       headers=headers).status_code == 422
    assert client.post(url, json={"body": ""}, headers=headers).status_code == 422
    made = client.post(url, json={"kind": "correction", "body": "<script>alert(1)</script>"},
                       headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["status"] == "open"
    assert made.json["body"] == "<script>alert(1)</script>"
    listed = client.get(url).json["talk"]
    assert [t["id"] for t in listed] == [made.json["id"]]
    resolve = f"/api/v1/talk/{made.json['id']}/resolve"
    assert client.post(resolve, json={"status": "fixed"},
                       headers=headers).status_code == 403
    page = client.get(f"/places/{p['place'].id}")
    assert page.status_code == 200
    assert b"<script>alert(1)</script>" not in page.data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page.data
    assert client.get(f"/api/v1/places/{10**9}/talk").status_code == 404


def test_the_place_page_form_posts_a_note_and_visitors_get_a_login_link(client, people):
    p = people
    page = client.get(f"/places/{p['place'].id}")
    assert b'id="talk"' in page.data
    assert b'id="talk-form"' not in page.data  # no form, no cookie, for a visitor
    login(client, "newbie@example.org")
    resp = client.post(f"/places/{p['place'].id}/talk",
                       data={"kind": "question", "body": "Wann wurde das gebaut?",
                             "csrf_token": "the page's token, left aside"})
    assert resp.status_code == 303
    [note] = db.session.scalars(select(PlaceTalk)).all()
    assert note.status == "pending"
    page = client.get(resp.headers["Location"]).data.decode()
    assert "Wann wurde das gebaut?" in page
    refused = client.post(f"/places/{p['place'].id}/talk", data={"body": ""})
    assert refused.status_code == 303
    assert _count() == 1
