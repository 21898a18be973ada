"""Replies and reactions on a story, through the services: who may reply (logged in, not
muted, a public story whose replies are open), what a reply may hold (hostile and huge text
refused with a message naming the body, nothing stored), trusted and untrusted people (a
link or a new member waits), answers one level deep in one query, the author's edit from a
version (409) and removal, official answers by curators only, the narrator closing replies
and hiding a reply, a reply made a story with its author and date, reactions once per
person and kind with counts and names for the narrator only, and the notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Place, Story
from app.models.conversation import ConversationMute, Reaction, Reply
from app.models.notification import Notification
from app.services import stories
from app.services.conversation import reactions, replies, rules, thread
from app.services.stories import StoryInput
from tests.conftest import create_user


def public_story(author, curator, title="Käse wiegen"):
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(author, place.id, StoryInput(
        title=title, body="Mein Grossvater wog hier Käse.", language="de",
        licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    return story


@pytest.fixture
def people(demo, db_session):
    narrator = create_user("narrator@example.org", name="Anna Erzählerin")
    trusted = create_user("trusted@example.org", name="Rosa Vertraut")
    newbie = create_user("newbie@example.org", name="Nina Neu")
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    story = public_story(narrator, curator)
    public_story(trusted, curator, title="Rosas Erinnerung")
    return {"narrator": narrator, "trusted": trusted, "newbie": newbie, "curator": curator,
            "story": story}


def _count(model=Reply) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_trusted_reply_is_shown_at_once_and_tells_the_narrator(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Ich war *auch* dabei.")
    assert (reply.status, reply.held_reason) == ("visible", None)
    assert reply.published_at is not None
    [note] = db.session.scalars(select(Notification).where(
        Notification.user_id == p["narrator"].id, Notification.kind == "reply")).all()
    assert note.reply_id == reply.id
    assert [t.reply.id for t in thread.thread(p["story"])] == [reply.id]


def test_a_new_members_reply_waits_and_only_they_see_it(people):
    p = people
    reply = replies.post_reply(p["newbie"], p["story"].id, "Hallo zusammen")
    assert (reply.status, reply.held_reason) == ("pending", "new_member")
    assert thread.thread(p["story"]) == []
    assert thread.thread(p["story"], p["trusted"]) == []
    [mine] = thread.thread(p["story"], p["newbie"])
    assert mine.pending and mine.mine
    # Nobody is told of a reply nobody sees yet.
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.kind == "reply")) == 0


def test_a_link_from_someone_not_trusted_with_links_waits(people, app, monkeypatch):
    p = people
    monkeypatch.setitem(app.config, "CONVERSATION_LINK_TRUST_MIN", 3)
    reply = replies.post_reply(p["trusted"], p["story"].id,
                               "Mehr dazu: [Archiv](https://example.org/archiv)")
    assert (reply.status, reply.held_reason) == ("pending", "link")


@pytest.mark.parametrize(("body", "code"), [
    ("", None),
    ("   \n  ", None),
    ("x" * 5001, "too_long"),
    ("<script>alert(1)</script>", "html"),
    ('<img src=x onerror="alert(1)">', "html"),
    ("[klick](javascript:alert(1))", "bad_link"),
    ("[klick](JavaScript :alert(1))", "bad_link"),
    ("[klick](data:text/html;base64,PHNjcmlwdD4=)", "bad_link"),
])
def test_hostile_or_empty_text_is_refused_naming_the_body_and_nothing_is_stored(
        people, body, code):
    before = _count()
    with pytest.raises(ValidationError) as refused:
        replies.post_reply(people["trusted"], people["story"].id, body)
    assert refused.value.field == "body"
    if code:
        assert refused.value.code == code
    assert str(refused.value)
    assert _count() == before


def test_markup_that_is_not_html_is_neutralised_when_shown(people):
    reply = replies.post_reply(people["trusted"], people["story"].id,
                               "# Titel\n\n> Zitat\n\n**fett** [gut](https://example.org) 3 < 4")
    from app.services.text import render_reply

    html = str(render_reply(reply.body))
    assert "<h1" not in html and "<blockquote" not in html
    assert "<strong>fett</strong>" in html
    assert 'href="https://example.org"' in html and "nofollow" in html
    assert "3 &lt; 4" in html


def test_replies_to_stories_that_are_not_public_or_closed_are_refused(people):
    p = people
    story = p["story"]
    stories.withdraw_story(p["narrator"], story.id)
    with pytest.raises(NotFound):
        replies.post_reply(p["trusted"], story.id, "Schade")
    pending = stories.add_story(p["narrator"], story.place_id, StoryInput(
        title="Noch offen", body="…", language="de", licence_consent=True))
    with pytest.raises(NotFound):
        replies.post_reply(p["trusted"], pending.id, "Schon da?")
    with pytest.raises(NotFound):
        replies.post_reply(p["trusted"], 2**40, "Niemand")


def test_hidden_story_refuses_replies_and_its_thread_is_empty(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Schön")
    p["story"].hidden_at = datetime.now(UTC)
    db.session.flush()
    with pytest.raises(NotFound):
        replies.post_reply(p["trusted"], p["story"].id, "Noch einmal")
    assert thread.thread(p["story"], p["trusted"]) == []
    assert reply.status == "visible"


def test_the_narrator_closes_replies_without_making_edits_stale(people):
    p = people
    story = p["story"]
    version = story.version
    with pytest.raises(Forbidden):
        replies.close_replies(p["trusted"], story.id, True)
    replies.close_replies(p["narrator"], story.id, True)
    assert story.replies_closed and story.version == version
    with pytest.raises(Forbidden) as refused:
        replies.post_reply(p["trusted"], story.id, "Geht nicht")
    assert refused.value.code == "replies_closed"
    replies.close_replies(p["narrator"], story.id, False)
    assert replies.post_reply(p["trusted"], story.id, "Wieder offen").status == "visible"


def test_muted_people_are_told_they_cannot_reply_or_react(people):
    p = people
    db.session.add(ConversationMute(user_id=p["trusted"].id, reason="spam",
                                    muted_by_id=p["curator"].id))
    db.session.flush()
    with pytest.raises(Forbidden) as refused:
        replies.post_reply(p["trusted"], p["story"].id, "Hallo")
    assert refused.value.code == "muted" and str(refused.value)
    with pytest.raises(Forbidden):
        reactions.react(p["trusted"], p["story"].id, "thanks")
    assert _count() == 0 and _count(Reaction) == 0


def test_the_reply_rate_limit_refuses_with_429(people, app, monkeypatch):
    p = people
    monkeypatch.setitem(app.config, "CONVERSATION_REPLIES_PER_HOUR", 3)
    for n in range(3):
        replies.post_reply(p["trusted"], p["story"].id, f"Antwort {n}")
    with pytest.raises(rules.TooManyReplies) as refused:
        replies.post_reply(p["trusted"], p["story"].id, "Eine zu viel")
    assert refused.value.status == 429
    assert _count() == 3


def test_answers_are_indented_once_however_deep_in_one_query(people, app, monkeypatch):
    p = people
    first = replies.post_reply(p["trusted"], p["story"].id, "Erste")
    answer = replies.post_reply(p["narrator"], p["story"].id, "Antwort", parent_id=first.id)
    deeper = replies.post_reply(p["trusted"], p["story"].id, "Tiefer", parent_id=answer.id)
    second = replies.post_reply(p["curator"], p["story"].id, "Zweite")
    db.session.expire_all()
    story = db.session.get(Story, p["story"].id)
    story.place  # noqa: B018  (loaded before counting)
    from sqlalchemy import event

    statements = []

    def count(*args, **kwargs):
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        items = thread.thread(story)
        names = [(t.reply.id, [a.reply.id for a in t.answers]) for t in items]
        authors = [a.reply.author.display_name for t in items for a in t.answers]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert names == [(first.id, [answer.id, deeper.id]), (second.id, [])]
    assert authors == ["Anna Erzählerin", "Rosa Vertraut"]
    assert len(statements) == 1
    # The answered reply's author is told too.
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == p["trusted"].id, Notification.reply_id == answer.id)) == 1


def test_an_answer_names_a_shown_reply_of_the_same_story(people):
    p = people
    pending = replies.post_reply(p["newbie"], p["story"].id, "Wartet")
    elsewhere = public_story(p["narrator"], p["curator"], title="Andere")
    other = replies.post_reply(p["trusted"], elsewhere.id, "Woanders")
    for parent in (pending.id, other.id, 2**40):
        with pytest.raises(ValidationError) as refused:
            replies.post_reply(p["trusted"], p["story"].id, "Antwort", parent_id=parent)
        assert refused.value.field == "parent_id"


def test_the_author_edits_from_a_version_and_a_stale_edit_is_409(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Erste Fassung")
    version = reply.version
    with pytest.raises(Forbidden):
        replies.edit_reply(p["narrator"], reply.id, "Fremd", version=version)
    with pytest.raises(Forbidden):
        replies.edit_reply(p["curator"], reply.id, "Fremd", version=version)
    replies.edit_reply(p["trusted"], reply.id, "Zweite Fassung", version=version)
    assert reply.body == "Zweite Fassung" and reply.version == version + 1
    with pytest.raises(Conflict) as stale:
        replies.edit_reply(p["trusted"], reply.id, "Dritte", version=version)
    assert stale.value.current == {"body": "Zweite Fassung", "version": version + 1}
    with pytest.raises(ValidationError):
        replies.edit_reply(p["trusted"], reply.id, "<b>x</b>", version=reply.version)
    assert reply.body == "Zweite Fassung"


def test_an_edit_that_adds_a_link_waits_again(people, app, monkeypatch):
    p = people
    monkeypatch.setitem(app.config, "CONVERSATION_LINK_TRUST_MIN", 3)
    reply = replies.post_reply(p["trusted"], p["story"].id, "Ohne Link")
    replies.edit_reply(p["trusted"], reply.id, "Mit https://example.org", version=reply.version)
    assert (reply.status, reply.held_reason) == ("pending", "link")
    assert thread.thread(p["story"]) == []


def test_the_author_removes_their_reply_and_answers_stay(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Weg damit")
    answer = replies.post_reply(p["narrator"], p["story"].id, "Antwort", parent_id=reply.id)
    with pytest.raises(Forbidden):
        replies.remove_reply(p["narrator"], reply.id)
    replies.remove_reply(p["trusted"], reply.id)
    assert reply.status == "removed"
    assert [t.reply.id for t in thread.thread(p["story"])] == [answer.id]
    with pytest.raises(NotFound):
        replies.remove_reply(p["trusted"], reply.id)


def test_only_curators_answer_as_the_city(people):
    p = people
    before = _count()
    with pytest.raises(Forbidden):
        replies.post_reply(p["trusted"], p["story"].id, "Ich bin die Stadt", official=True)
    assert _count() == before
    reply = replies.post_reply(p["trusted"], p["story"].id, "Wann wird das repariert?")
    with pytest.raises(Forbidden):
        replies.mark_official(p["narrator"], reply.id)
    city = replies.post_reply(p["curator"], p["story"].id, "Nächste Woche.", official=True,
                              parent_id=reply.id)
    assert city.official and city.official_by_id == p["curator"].id
    assert city.status == "visible"
    replies.mark_official(p["curator"], reply.id, True)
    assert reply.official
    replies.mark_official(p["curator"], reply.id, False)
    assert not reply.official and reply.official_by_id is None


def test_the_narrator_hides_a_reply_until_a_curator_looks(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Unfreundlich")
    with pytest.raises(Forbidden):
        replies.hide_by_narrator(p["newbie"], reply.id)
    with pytest.raises(Forbidden):
        replies.hide_by_narrator(p["curator"], reply.id)
    replies.hide_by_narrator(p["narrator"], reply.id)
    assert reply.narrator_hidden_at is not None and reply.hidden_reason == "narrator"
    assert reply.status == "visible"  # the curator decides
    assert thread.thread(p["story"]) == []
    assert thread.thread(p["story"], p["narrator"]) == []
    [own] = thread.thread(p["story"], p["trusted"])
    assert own.pending


def test_a_reply_becomes_a_story_keeping_its_author_and_date(people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id,
                               "Ich erinnere mich an den Winter 1965, als der Markt einfror.")
    reply.created_at = datetime.now(UTC) - timedelta(days=30)
    db.session.flush()
    with pytest.raises(Forbidden):
        replies.make_story(p["narrator"], reply.id)
    made = replies.make_story(p["curator"], reply.id)
    assert made.author_id == p["trusted"].id and made.created_at == reply.created_at
    assert made.credit_name == "Rosa Vertraut"
    assert made.status == "pending" and made.place_id == p["story"].place_id
    assert made.body == reply.body and made.licence == "CC-BY-SA-4.0"
    assert made.title.startswith("Ich erinnere mich")
    assert reply.became_story_id == made.id and reply.status == "removed"
    with pytest.raises(Conflict):
        replies.make_story(p["trusted"], reply.id)


def test_reactions_once_per_person_and_kind_with_undo(people):
    p = people
    sid = p["story"].id
    assert reactions.react(p["trusted"], sid, "thanks") is True
    assert reactions.react(p["trusted"], sid, "thanks") is False
    assert reactions.react(p["trusted"], sid, "remember") is True
    assert reactions.react(p["newbie"], sid, "thanks") is True
    assert reactions.counts(sid) == {"thanks": 2, "remember": 1}
    assert reactions.mine(p["trusted"], sid) == {"thanks", "remember"}
    # bundled for the narrator: one notification for both thanks
    [bundle] = db.session.scalars(select(Notification).where(
        Notification.user_id == p["narrator"].id, Notification.kind == "reaction",
        Notification.data["reaction"].astext == "thanks")).all()
    assert bundle.data["count"] == 2
    assert reactions.unreact(p["trusted"], sid, "thanks") is True
    assert reactions.unreact(p["trusted"], sid, "thanks") is False
    assert reactions.counts(sid) == {"thanks": 1, "remember": 1}
    with pytest.raises(NotFound):
        reactions.react(p["trusted"], sid, "downvote")


def test_only_the_narrator_sees_who_reacted(people):
    p = people
    reactions.react(p["trusted"], p["story"].id, "thanks")
    reactions.react(p["newbie"], p["story"].id, "remember")
    assert reactions.names(p["narrator"], p["story"]) == {
        "thanks": ["Rosa Vertraut"], "remember": ["Nina Neu"]}
    for other in (p["trusted"], p["curator"], None):
        with pytest.raises(Forbidden):
            reactions.names(other, p["story"])


def test_reactions_on_stories_that_are_not_public_are_refused(people):
    p = people
    stories.withdraw_story(p["narrator"], p["story"].id)
    with pytest.raises(NotFound):
        reactions.react(p["trusted"], p["story"].id, "thanks")
    assert _count(Reaction) == 0


def test_the_reaction_rate_limit_refuses_with_429(people, app, monkeypatch):
    p = people
    monkeypatch.setitem(app.config, "CONVERSATION_REACTIONS_PER_HOUR", 1)
    reactions.react(p["trusted"], p["story"].id, "thanks")
    with pytest.raises(rules.TooManyReactions):
        reactions.react(p["trusted"], p["story"].id, "remember")
    assert _count(Reaction) == 1


def test_public_replies_are_open_data_and_nothing_else_is(people, runner, tmp_path):
    """``flask export open-data`` writes the public replies (CC BY-SA 4.0) with whom to
    credit; pending replies, replies on a withdrawn story and a narrator-hidden reply stay
    out."""
    import json

    p = people
    shown = replies.post_reply(p["trusted"], p["story"].id, "Ich war *auch* dabei.")
    answer = replies.post_reply(p["curator"], p["story"].id, "Danke für die Erinnerung.",
                                parent_id=shown.id, official=True)
    replies.post_reply(p["newbie"], p["story"].id, "Noch nicht geprüft")  # waits
    hidden = replies.post_reply(p["curator"], p["story"].id, "Vom Erzähler verborgen")
    replies.hide_by_narrator(p["narrator"], hidden.id)
    gone = public_story(p["narrator"], p["curator"], title="Zurückgezogen")
    replies.post_reply(p["trusted"], gone.id, "Auf einer zurückgezogenen Geschichte")
    stories.withdraw_story(p["narrator"], gone.id)
    db.session.flush()
    result = runner.invoke(args=["export", "open-data", str(tmp_path / "o"),
                                 "--site-url", "https://stadtspur.example"])
    assert result.exit_code == 0, result.output
    assert "2 replies" in result.output
    data = json.loads((tmp_path / "o" / "replies.json").read_text())
    assert [(r["id"], r["parent_id"], r["credit"], r["official"]) for r in data] == [
        (shown.id, None, "Rosa Vertraut", False), (answer.id, shown.id, "Winterthur", True)]
    assert data[0]["body"] == "Ich war *auch* dabei." and data[0]["licence"] == "CC-BY-SA-4.0"
    assert data[0]["url"] == f"https://stadtspur.example/stories/{p['story'].id}#reply-{shown.id}"
    package = json.loads((tmp_path / "o" / "datapackage.json").read_text())
    assert {"name": "replies", "path": "replies.json"}.items() <= next(
        r for r in package["resources"] if r["name"] == "replies").items()
