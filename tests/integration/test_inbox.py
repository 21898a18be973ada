"""Notifications: who is told of what (never the person who acted), reactions bundled, the
count and read/unread, subjects that stop being public leaving the app and the digests, the
per-kind settings, mails at once with the one-click unsubscribe (RFC 8058), the digests (run
twice, sent once), and nobody reading another person's notifications."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.extensions import db
from app.models import Place
from app.models.conversation import PlaceTalk, Reply
from app.models.notification import Notification
from app.services import digests, inbox, notification_settings, stories
from app.services.mail import sent_messages
from app.services.notification_mail import line_of
from app.services.stories import StoryInput
from tests.conftest import create_user, login


@pytest.fixture(autouse=True)
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


@pytest.fixture
def people(db_session):
    narrator = create_user("anna@example.org", name="Anna Autorin")
    narrator.locale = "en"
    reader = create_user("rosa@example.org", name="Rosa Leserin")
    others = [create_user(f"p{i}@example.org", name=f"Person {i}") for i in range(4)]
    curator = create_user("clara@example.org", role="curator", name="Clara Kuratorin")
    return narrator, reader, others, curator


def _story(narrator, curator, title="Käse wiegen"):
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(narrator, place.id, StoryInput(
        title=title, body="Mein Grossvater wog hier Käse.", era="1950s", language="de",
        licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    # The approval is told too (tested below); the tests start from what follows it.
    db.session.execute(Notification.__table__.delete().where(
        Notification.kind == "story_decision"))
    db.session.info.pop("notices", None)
    return story


def _reply(story, author, parent=None, status="visible"):
    reply = Reply(story_id=story.id, author_id=author.id, body="Ich auch!", status=status,
                  parent_id=parent.id if parent else None)
    db.session.add(reply)
    db.session.flush()
    return reply


def _mine(user, kind=None):
    query = select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def test_a_reply_tells_the_narrator_and_the_replied_to_never_the_replier(
        demo, db_session, people, outbox):
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    first = _reply(story, reader)
    [told] = inbox.notify_reply(first)
    assert (told.user_id, told.kind, told.story_id, told.reply_id) == (
        narrator.id, "reply", story.id, first.id)
    # The narrator answering tells the replier, not themselves; a third person tells both.
    answer = _reply(story, narrator, parent=first)
    assert [n.user_id for n in inbox.notify_reply(answer)] == [reader.id]
    third = _reply(story, others[0], parent=first)
    assert sorted(n.user_id for n in inbox.notify_reply(third)) == sorted(
        [narrator.id, reader.id])
    # Told once: an approval after an edit does not tell again; a pending reply tells nobody.
    assert inbox.notify_reply(first) == []
    assert inbox.notify_reply(_reply(story, others[1], status="pending")) == []
    db_session.commit()
    # Replies are mailed at once by default, in the recipient's language.
    mails = [m for m in outbox if m["To"] == narrator.email]
    assert [m["Subject"] for m in mails] == [
        "Rosa Leserin replied to your story “Käse wiegen”.",
        "Person 0 replied to your story “Käse wiegen”."]
    german = next(m for m in outbox if m["To"] == reader.email)
    assert german["Subject"] == "Anna Autorin hat auf Ihre Antwort zu «Käse wiegen» geantwortet."
    assert f"/stories/{story.id}#reply-{answer.id}" in german.get_content()


def test_reactions_are_bundled_and_undone(demo, db_session, people):
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    for person in [reader, *others]:
        inbox.notify_reaction(story, person, "thanks")
    inbox.notify_reaction(story, narrator, "thanks")  # one's own: nobody told
    inbox.notify_reaction(story, reader, "remember")
    thanks, remember = _mine(narrator, "reaction")
    assert thanks.data["count"] == 5 and remember.data["count"] == 1
    inbox.forget_reaction(story, others[0], "thanks")
    inbox.forget_reaction(story, reader, "remember")
    db.session.expire_all()
    [thanks] = _mine(narrator, "reaction")
    assert thanks.data["count"] == 4
    with force_locale("en"):
        assert line_of(thanks).text == "4 people thanked you for “Käse wiegen” this week."
    with force_locale("de"):
        assert line_of(thanks).text == (
            "Diese Woche haben 4 Personen Ihnen für «Käse wiegen» gedankt.")
    # Once read, the next thanks starts a new bundle.
    inbox.mark_read(narrator, [thanks.id])
    inbox.notify_reaction(story, others[0], "thanks")
    assert [n.data["count"] for n in _mine(narrator, "reaction")] == [4, 1]


def test_the_count_read_and_unread_and_subjects_no_longer_public(demo, db_session, people):
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    shown, hidden = _reply(story, reader), _reply(story, others[0])
    inbox.notify_reply(shown)
    inbox.notify_reply(hidden)
    assert inbox.unread_count(narrator) == 2
    hidden.status = "hidden"
    db.session.flush()
    assert inbox.unread_count(narrator) == 1
    assert [n.reply_id for n in inbox.list_for(narrator)] == [shown.id]
    # Another person's ids are left alone.
    [note] = inbox.list_for(narrator)
    assert inbox.mark_read(reader, [note.id]) == 0
    assert inbox.mark_read(narrator, [note.id]) == 1
    assert inbox.unread_count(narrator) == 0
    assert inbox.mark_read(narrator, [note.id], read=False) == 1
    assert inbox.unread_count(narrator) == 1


def test_three_events_in_a_day_give_one_digest_and_a_second_run_sends_nothing(
        demo, db_session, people, outbox):
    narrator, reader, others, curator = people
    for kind in ("reply", "reaction"):
        notification_settings.set_delivery(narrator, kind, "daily")
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    inbox.notify_reply(_reply(story, others[0]))
    inbox.notify_reaction(story, others[1], "remember")
    gone = _reply(story, others[2])
    inbox.notify_reply(gone)
    gone.narrator_hidden_at = datetime.now(UTC)  # hidden pending a curator: left out
    db_session.commit()
    assert [m for m in outbox if m["To"] == narrator.email] == []
    assert digests.send_due(("daily",), commit=db_session.commit) == {"daily": 1}
    [mail] = outbox
    body = mail.get_content()
    assert mail["To"] == narrator.email and "3 new notifications" in mail["Subject"]
    assert body.count("\n- ") == 3 and "Person 2" not in body
    assert "Rosa Leserin replied" in body and "Person 1 remembers" in body
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<http") and "/notifications/unsubscribe/" in (
        mail["List-Unsubscribe"])
    assert "/me/notifications/settings" in body
    outbox.clear()
    assert digests.send_due(("daily",), commit=db_session.commit) == {"daily": 0}
    assert outbox == []
    # The hidden reply shown again would be in the next digest, once.
    gone.narrator_hidden_at = None
    db_session.commit()
    assert digests.send_due(("daily",), commit=db_session.commit) == {"daily": 1}
    assert "Person 2" in outbox[0].get_content()


def test_the_command_sends_digests_once(demo, db_session, people, outbox, runner):
    narrator, reader, _others, curator = people
    notification_settings.set_delivery(narrator, "reply", "weekly")
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    db_session.commit()
    result = runner.invoke(args=["notifications", "send-digests", "--period", "daily"])
    assert "daily digests sent: 0" in result.output and outbox == []
    result = runner.invoke(args=["notifications", "send-digests", "--period", "weekly"])
    assert "weekly digests sent: 1" in result.output, result.output
    result = runner.invoke(args=["notifications", "send-digests", "--period", "weekly"])
    assert "weekly digests sent: 0" in result.output
    assert len(outbox) == 1 and "week" in outbox[0]["Subject"]


def test_one_click_unsubscribe_by_post_turns_that_kind_off(
        demo, db_session, people, outbox, client):
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    db_session.commit()
    [mail] = outbox
    url = mail["List-Unsubscribe"].strip("<>")
    path = url.split("://", 1)[1].split("/", 1)[1]
    # A GET (a mail scanner following the link) changes nothing: it asks to confirm.
    assert client.get("/" + path).status_code == 200
    assert notification_settings.settings_for(narrator)["reply"] == "immediate"
    resp = client.post("/" + path, data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    assert notification_settings.settings_for(narrator)["reply"] == "never"
    assert client.post("/" + path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    outbox.clear()
    inbox.notify_reply(_reply(story, others[0]))
    db_session.commit()
    assert outbox == []
    assert inbox.unread_count(narrator) == 2  # the app keeps telling
    # A forged or altered token is refused and changes nothing.
    assert client.post("/notifications/unsubscribe/" + path.rsplit("/", 1)[1] + "x"
                       ).status_code == 400
    assert client.post("/notifications/unsubscribe/eyJ1IjoxfQ.forged").status_code == 400


def test_settings_per_kind_and_bad_input(demo, db_session, people, client):
    narrator, *_ = people
    login(client, narrator.email)
    page = client.get("/me/notifications/settings")
    assert page.status_code == 200 and b"Weekly digest" in page.data
    form = {"story_decision": "immediate", "reply": "daily",
            "reaction": "never", "featured": "weekly", "place_question": "daily",
            "theme_story": "weekly"}
    assert client.post("/me/notifications/settings", data=form).status_code == 303
    chosen = notification_settings.settings_for(narrator)
    assert (chosen["reply"], chosen["reaction"], chosen["featured"]) == (
        "daily", "never", "weekly")
    # Theme stories come in a digest only; unknown values are refused, nothing stored.
    for bad in ({"theme_story": "immediate"}, {"reply": "hourly"}):
        resp = client.post("/me/notifications/settings", data=form | bad)
        assert resp.status_code == 422
    assert notification_settings.settings_for(narrator)["reply"] == "daily"
    with pytest.raises(Exception, match="digest"):
        notification_settings.set_delivery(narrator, "theme_story", "immediate")


def test_the_page_the_count_in_the_navigation_and_marking_read(
        demo, db_session, people, client):
    narrator, reader, _others, curator = people
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    db_session.commit()
    assert client.get("/me/notifications").status_code in (302, 303)
    login(client, narrator.email)
    page = client.get("/me/notifications")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert b"Rosa Leserin replied to your story" in page.data
    assert b'data-count="notifications"' in page.data
    assert client.post("/me/notifications/read").status_code == 303
    assert inbox.unread_count(narrator) == 0
    assert b'data-count="notifications"' not in client.get("/me/notifications").data
    assert client.post("/me/notifications/read", data={"ids": "abc"}).status_code == 303


def test_place_questions_decisions_and_theme_stories(demo, db_session, people):
    narrator, reader, others, curator = people
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(narrator, place.id, StoryInput(
        title="Käse wiegen", body="Mein Grossvater wog hier Käse.", era="1950s",
        language="de", licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    [decision] = _mine(narrator, "story_decision")
    assert decision.data == {"decision": "approve"}
    talk = PlaceTalk(place_id=story.place_id, author_id=reader.id, kind="question",
                     body="Wo genau?")
    db.session.add(talk)
    db.session.flush()
    told = inbox.notify_place_question(talk)
    assert narrator.id in {n.user_id for n in told} and reader.id not in {
        n.user_id for n in told}
    assert [n.kind for n in inbox.list_for(narrator)].count("place_question") == 1
    talk.status = "hidden"  # taken off by a curator: the notification leaves too
    db.session.flush()
    assert [n.kind for n in inbox.list_for(narrator)].count("place_question") == 0
    # Asking for changes, and the note survives the story not being public.
    other = stories.add_story(narrator, story.place_id, StoryInput(
        title="Zweite", body="Noch eine.", era="1960s", language="de", licence_consent=True))
    stories.review_story(curator, other.id, "request_changes", message="Bitte Jahr")
    db.session.flush()
    kinds = [n.data.get("decision") for n in inbox.list_for(narrator)
             if n.kind == "story_decision"]
    assert "request_changes" in kinds
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "theme_story", Notification.user_id == narrator.id)) == 0
    # Every line leads somewhere that exists.
    from flask import current_app, url_for

    with current_app.test_request_context("/"):
        for note in db.session.scalars(select(Notification)):
            line = line_of(note)
            assert line.text and url_for(line.endpoint, **line.args)


def _bearer(user) -> dict:
    from app.services.accounts import create_api_token

    return {"Authorization": f"Bearer {create_api_token(user, 'test')}"}


def test_the_api_lists_my_notifications_only_and_marks_them_read(
        demo, db_session, people, client):
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    for person in others:
        inbox.notify_reaction(story, person, "thanks")
    db_session.commit()
    assert client.get("/api/v1/me/notifications").status_code == 401
    assert client.post("/api/v1/me/notifications/read", json={}).status_code == 401
    mine = client.get("/api/v1/me/notifications", headers=_bearer(narrator))
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "private, no-store"
    body = mine.get_json()
    assert body["unread"] == 2
    reaction, reply = body["notifications"]
    assert (reaction["kind"], reaction["count"], reply["kind"]) == ("reaction", 4, "reply")
    assert reply["url"].endswith(f"/stories/{story.id}#reply-{reply['reply_id']}")
    # Nobody reads another person's notifications, nor marks them.
    theirs = client.get("/api/v1/me/notifications", headers=_bearer(reader)).get_json()
    assert theirs == {"notifications": [], "unread": 0}
    resp = client.post("/api/v1/me/notifications/read", headers=_bearer(reader),
                       json={"ids": [reply["id"]]})
    assert resp.get_json() == {"changed": 0, "unread": 0}
    resp = client.post("/api/v1/me/notifications/read", headers=_bearer(narrator),
                       json={"ids": [reply["id"]]})
    assert resp.get_json() == {"changed": 1, "unread": 1}
    unread = client.get("/api/v1/me/notifications?unread=true&limit=1",
                        headers=_bearer(narrator)).get_json()
    assert [n["id"] for n in unread["notifications"]] == [reaction["id"]]
    page = client.get(f"/api/v1/me/notifications?before={reaction['id']}",
                      headers=_bearer(narrator)).get_json()
    assert [n["id"] for n in page["notifications"]] == [reply["id"]]
    resp = client.post("/api/v1/me/notifications/read", headers=_bearer(narrator),
                       json={"read": False, "ids": [reply["id"]]})
    assert resp.get_json() == {"changed": 1, "unread": 2}
    assert client.post("/api/v1/me/notifications/read", headers=_bearer(narrator)
                       ).get_json() == {"changed": 2, "unread": 0}


@pytest.mark.parametrize(("query", "body"), [
    ("limit=0", None), ("limit=101", None), ("limit=ten", None), ("before=-1", None),
    ("unread=maybe", None), ("colour=red", None),
    ("", {"ids": "all"}), ("", {"ids": []}), ("", {"ids": ["1"]}), ("", {"ids": [0]}),
    ("", {"ids": list(range(1, 502))}), ("", {"read": "perhaps"}), ("", {"mine": True}),
    ("", {"ids": [2**63]}),
])
def test_the_api_refuses_bad_input_naming_the_field(demo, db_session, people, client,
                                                    query, body):
    narrator, *_ = people
    if body is None:
        resp = client.get(f"/api/v1/me/notifications?{query}", headers=_bearer(narrator))
    else:
        resp = client.post("/api/v1/me/notifications/read", headers=_bearer(narrator),
                           json=body)
    assert resp.status_code == 422, resp.data
    assert resp.get_json()["error"]["field"]


def test_followers_of_a_theme_get_new_stories_in_a_digest_only(demo, db_session, people,
                                                                outbox):
    from app.models import Theme
    from app.services import themes

    narrator, reader, others, curator = people
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    theme = db.session.get(Theme, place.themes[0].id)
    themes.follow(reader, theme)
    themes.follow(others[0], theme)
    story = _story(narrator, curator, title="Markttag")
    told = _mine(reader, "theme_story")
    assert [n.story_id for n in told] == [story.id] and len(_mine(others[0], "theme_story")) == 1
    assert _mine(narrator, "theme_story") == []  # the narrator follows nothing
    db_session.commit()
    assert outbox == []  # never at once, even when "at once" is what another kind uses
    notification_settings.set_delivery(others[0], "theme_story", "never")
    db_session.commit()
    assert digests.send_due(("weekly",), commit=db_session.commit) == {"weekly": 1}
    [mail] = outbox
    assert mail["To"] == reader.email and "Markttag" in mail.get_content()
    assert theme.name_de in mail.get_content()  # the reader's German


def test_a_story_featured_in_a_published_tour_tells_its_narrator_once(demo, db_session,
                                                                      people, outbox):
    from app.models import Tour

    narrator, _reader, _others, curator = people
    story = _story(narrator, curator)
    tour = db.session.scalar(select(Tour).where(Tour.status == "published").limit(1))
    tour.stops[0].featured_story_ids = [story.id]
    db.session.flush()
    [note] = inbox.notify_featured(tour)
    assert (note.user_id, note.story_id, note.tour_id) == (narrator.id, story.id, tour.id)
    assert inbox.notify_featured(tour) == []  # publishing an edit later: not again
    with force_locale("en"):
        assert line_of(note).text == (
            f"Your story “Käse wiegen” is featured in the tour “{tour.title}”.")
    db_session.commit()
    [mail] = outbox  # featured: mailed at once, linking the tour
    assert f"/tours/{tour.slug}" in mail.get_content()


def test_a_request_for_changes_carries_the_curators_message(demo, db_session, people,
                                                            outbox):
    narrator, _reader, _others, curator = people
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(narrator, place.id, StoryInput(
        title="Noch offen", body="Bald.", era="1960s", language="de", licence_consent=True))
    stories.review_story(curator, story.id, "request_changes", message="Bitte das Jahr.")
    db_session.commit()
    [note] = _mine(narrator, "story_decision")
    assert note.data == {"decision": "request_changes", "message": "Bitte das Jahr."}
    [mail] = outbox
    assert mail["Subject"] == "The curators ask for changes to your story “Noch offen”."
    assert "Bitte das Jahr." in mail.get_content() and "/me/contributions" in (
        mail.get_content())


def test_the_job_runner_sends_the_digests_daily_and_once(demo, db_session, people, outbox):
    from app import jobs

    assert ("notifications.send_digests", "notification-digests") in (
        jobs.jobs.periodic_registry.periodic_tasks)
    narrator, reader, _others, curator = people
    notification_settings.set_delivery(narrator, "reply", "daily")
    story = _story(narrator, curator)
    inbox.notify_reply(_reply(story, reader))
    db_session.commit()
    stamp = int(datetime(2026, 12, 4, 7, tzinfo=UTC).timestamp())
    assert jobs.send_digests(stamp) == 1
    assert jobs.send_digests(stamp) == 0  # retried: nothing again
    assert [m["To"] for m in outbox] == [narrator.email]


def test_weekly_digests_go_on_the_weekly_day_only(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFICATIONS_WEEKLY_DAY", 4)  # Friday
    friday, saturday = datetime(2026, 12, 4, 7, tzinfo=UTC), datetime(2026, 12, 5, 7, tzinfo=UTC)
    assert digests.weekly_due(friday) and not digests.weekly_due(saturday)


def test_the_page_shows_older_notifications_page_by_page(demo, db_session, people, client,
                                                        monkeypatch):
    from app.web import notifications as pages

    monkeypatch.setattr(pages, "PAGE", 2)
    narrator, reader, others, curator = people
    story = _story(narrator, curator)
    made = [inbox.notify_reply(_reply(story, person))[0].id for person in [reader, *others]]
    db_session.commit()
    login(client, narrator.email)
    first = client.get("/me/notifications").get_data(as_text=True)
    assert first.count('data-notification="') == 2 and f"before={made[-2]}" in first
    second = client.get(f"/me/notifications?before={made[-2]}").get_data(as_text=True)
    assert [f'data-notification="{i}"' in second for i in made] == [
        False, True, True, False, False]
    assert "Newest notifications" in second
    for bad in ("abc", "0", "-5", str(2**63)):
        assert client.get(f"/me/notifications?before={bad}").status_code == 422


def test_a_place_decision_shows_in_the_app_without_a_second_mail(client, demo, outbox):
    """The first story of a new place is decided with the place: its contributor gets the
    place's letter, as before, and the decision in their notifications, mailed already (no
    second mail now, no line in a digest)."""
    from app.services.accounts import create_api_token

    author = create_user("erstes@example.org")
    me = {"Authorization": f"Bearer {create_api_token(author, 't')}"}
    curator = {"Authorization": "Bearer "
               + create_api_token(create_user("cur@example.org", role="curator"), "t")}
    db.session.commit()
    created = client.post("/api/v1/places", headers=me, content_type="multipart/form-data",
                          data={"title": "Kiosk am Graben", "body": "Hier stand ein Kiosk.",
                                "lon": "8.7241", "lat": "47.4997", "licence_consent": "1"})
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    version = db.session.scalar(select(Place.version).where(Place.id == pid))
    decided = client.post(f"/api/v1/places/{pid}/review", headers=curator,
                          json={"decision": "approve", "version": version})
    assert decided.status_code == 200, decided.get_json()
    [note] = db.session.scalars(select(Notification).where(
        Notification.user_id == author.id)).all()
    assert note.kind == "story_decision" and note.data["decision"] == "approve"
    assert note.mailed_at is not None
    assert [m["To"] for m in outbox] == [author.email]
    # The place's letter carries the one-click unsubscribe of story decisions.
    assert outbox[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "unsubscribe" in outbox[0]["List-Unsubscribe"]
    listed = client.get("/api/v1/me/notifications", headers=me).get_json()
    assert len(listed["notifications"]) == 1


def test_a_place_decision_follows_the_story_decision_setting(client, demo, outbox):
    """Someone who wants story decisions never by mail gets no place letter either; the
    decision still shows in the app."""
    from app.services.accounts import create_api_token

    author = create_user("stumm@example.org")
    notification_settings.set_delivery(author, "story_decision", "never")
    me = {"Authorization": f"Bearer {create_api_token(author, 't')}"}
    curator = {"Authorization": "Bearer "
               + create_api_token(create_user("cur@example.org", role="curator"), "t")}
    db.session.commit()
    created = client.post("/api/v1/places", headers=me, content_type="multipart/form-data",
                          data={"title": "Kiosk am Graben", "body": "Hier stand ein Kiosk.",
                                "lon": "8.7241", "lat": "47.4997", "licence_consent": "1"})
    pid = created.get_json()["id"]
    version = db.session.scalar(select(Place.version).where(Place.id == pid))
    assert client.post(f"/api/v1/places/{pid}/review", headers=curator, json={
        "decision": "approve", "version": version}).status_code == 200
    assert outbox == []
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == author.id, Notification.kind == "story_decision")) == 1
    assert digests.send_due(("daily", "weekly")) == {"daily": 0, "weekly": 0}
