"""The conversation's rules (services/conversation/rules.py): who is held and why (a new
member, a link from someone not trusted enough, a watched word matched whole-word, case-
and accent-insensitively; curators never), the settings that move the thresholds, the
muted person's clear 403, and the hourly limits on replies, reactions and place notes,
counted in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Forbidden
from app.extensions import db
from app.models import Place
from app.models.conversation import ConversationMute, PlaceTalk, Reaction, Reply, WatchedWord
from app.models.statuses import HoldReason
from app.services import stories
from app.services.conversation import rules
from app.services.stories import StoryInput
from tests.conftest import create_user


def _approved_story(author, curator, title):
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(author, place.id, StoryInput(
        title=title, body="Mein Grossvater wog hier Käse.", language="de",
        licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    return story


@pytest.fixture
def people(demo, db_session):
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    newbie = create_user("newbie@example.org", name="Nina Neu")
    trusted = create_user("trusted@example.org", name="Rosa Vertraut")
    story = _approved_story(trusted, curator, "Rosas Erinnerung")
    return {"curator": curator, "newbie": newbie, "trusted": trusted, "story": story}


def _watch(*phrases):
    for phrase in phrases:
        db.session.add(WatchedWord(phrase=phrase))
    db.session.flush()


def test_a_new_member_waits_a_trusted_person_does_not(people):
    assert rules.approved_contributions(people["newbie"]) == 0
    assert rules.approved_contributions(people["trusted"]) == 1
    assert rules.hold_reason(people["newbie"], "Schön!") == HoldReason.NEW_MEMBER
    assert rules.hold_reason(people["trusted"], "Schön!") is None


def test_a_pending_story_is_no_contribution_yet(people):
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    stories.add_story(people["newbie"], place.id, StoryInput(
        title="Noch offen", body="Wartet.", language="de", licence_consent=True))
    db.session.flush()
    assert rules.approved_contributions(people["newbie"]) == 0
    assert rules.hold_reason(people["newbie"], "Hallo") == HoldReason.NEW_MEMBER


@pytest.mark.parametrize("body", [
    "Mehr auf https://example.net/angebot",
    "siehe www.beispiel.ch",
    "[hier](http://x.y)",
    "Schreib an mailto:a@b.de",
    "billig-uhren.com/kaufen",
    "Besucht spam.xyz.",
    "JAVASCRIPT://alert(1)",
])
def test_links_from_people_not_trusted_enough_wait(people, body):
    assert rules.has_link(body)
    assert rules.hold_reason(people["trusted"], body) == HoldReason.LINK


@pytest.mark.parametrize("body", [
    "Das war z.B. 1970. Schön war es.",
    "Um 3.15 Uhr ging die Glocke.",
    "Ich war dabei!",
])
def test_text_without_a_link_is_no_link(body):
    assert not rules.has_link(body)


def test_the_thresholds_come_from_the_settings(app, people, monkeypatch):
    assert (app.config["CONVERSATION_TRUST_MIN"], app.config["CONVERSATION_LINK_TRUST_MIN"]) \
        == (1, 3)
    monkeypatch.setitem(app.config, "CONVERSATION_TRUST_MIN", 0)
    monkeypatch.setitem(app.config, "CONVERSATION_LINK_TRUST_MIN", 1)
    assert rules.hold_reason(people["newbie"], "Schön!") is None
    assert rules.hold_reason(people["newbie"], "www.x.de") == HoldReason.LINK
    assert rules.hold_reason(people["trusted"], "www.x.de") is None
    monkeypatch.setitem(app.config, "CONVERSATION_TRUST_MIN", 2)
    assert rules.hold_reason(people["trusted"], "Schön!") == HoldReason.NEW_MEMBER


def test_watched_words_match_whole_words_without_case_or_accents(people):
    _watch("Käse", "schlechte Leute", "STRASSE")
    trusted = people["trusted"]
    for body in ("Der KASE war alt", "käse!", "das sind  schlechte\nleute hier",
                 "die Straße", "die strasse"):
        assert rules.hold_reason(trusted, body) == HoldReason.WATCHED_WORD, body
    for body in ("Käsefondue", "schlechte Zeiten, gute Leute", "Strassenbahn"):
        assert rules.hold_reason(trusted, body) is None, body
    assert rules.watched_word_in("Ein kaSe-Brot") == "Käse"


def test_a_watched_word_holds_even_the_trusted_but_never_a_curator(people):
    _watch("Betrug")
    assert rules.hold_reason(people["trusted"], "Das ist Betrug") == HoldReason.WATCHED_WORD
    assert rules.hold_reason(people["newbie"], "Betrug!") == HoldReason.WATCHED_WORD
    assert rules.hold_reason(people["curator"], "Betrug auf https://x.org") is None


def test_muted_people_and_visitors_are_refused_clearly(people):
    rules.check_may_talk(people["trusted"])
    with pytest.raises(Forbidden) as visitor:
        rules.check_may_talk(None)
    assert visitor.value.code == "login_required"
    db.session.add(ConversationMute(user_id=people["trusted"].id, reason="Beleidigungen"))
    db.session.flush()
    assert rules.is_muted(people["trusted"])
    with pytest.raises(Forbidden) as muted:
        rules.check_may_talk(people["trusted"])
    assert muted.value.code == "muted"
    assert muted.value.status == 403
    assert "stummgeschaltet" in muted.value.message  # the default language is German


def test_replies_per_hour_are_limited(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "CONVERSATION_REPLIES_PER_HOUR", 2)
    user, story = people["trusted"], people["story"]
    for n in range(2):
        rules.check_reply_rate(user)
        db.session.add(Reply(story_id=story.id, author_id=user.id, body=f"r{n}",
                             status="visible"))
        db.session.flush()
    with pytest.raises(rules.TooManyReplies) as refused:
        rules.check_reply_rate(user)
    assert refused.value.status == 429
    rules.check_reply_rate(people["newbie"])  # counted per person


def test_reactions_per_hour_are_limited(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "CONVERSATION_REACTIONS_PER_HOUR", 1)
    user, story = people["newbie"], people["story"]
    rules.check_reaction_rate(user)
    db.session.add(Reaction(story_id=story.id, user_id=user.id, kind="thanks"))
    db.session.flush()
    with pytest.raises(rules.TooManyReactions):
        rules.check_reaction_rate(user)


def test_place_notes_per_hour_are_limited(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "CONVERSATION_TALK_PER_HOUR", 1)
    user = people["newbie"]
    place_id = people["story"].place_id
    rules.check_talk_rate(user)
    db.session.add(PlaceTalk(place_id=place_id, author_id=user.id, kind="question",
                             body="Wo genau?"))
    db.session.flush()
    with pytest.raises(rules.TooManyNotes):
        rules.check_talk_rate(user)
