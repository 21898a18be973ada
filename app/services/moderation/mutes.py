"""Curators' tools for the conversation as a whole: muting a person (they can no longer
reply, react or write about places; ``conversation.rules.check_may_talk``) and the watched
words that hold a reply for review (``conversation.rules.hold_reason``). Both logged."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import User
from app.models.conversation import ConversationMute, WatchedWord
from app.services import audit
from app.services.conversation.rules import fold
from app.services.roles import require_curator

MAX_REASON = 2000
MAX_PHRASE = 100


def find_person(who: str) -> User:
    """A person by e-mail address or account number, as a curator types it."""
    who = (who or "").strip()
    if not who:
        raise ValidationError(_("Give the person's e-mail address or account number."),
                              field="who")
    if who.isdigit() and len(who) < 19:
        user = db.session.get(User, int(who))
    else:
        user = db.session.scalar(select(User).where(func.lower(User.email) == who.lower()))
    if user is None:
        raise ValidationError(_("There is no account with this address or number."),
                              field="who")
    return user


def mutes() -> list[dict]:
    """Everyone muted, newest first, with the reason and who muted them."""
    muter = aliased(User)
    rows = db.session.execute(
        select(ConversationMute, User, muter.display_name.label("by"))
        .join(User, User.id == ConversationMute.user_id)
        .outerjoin(muter, muter.id == ConversationMute.muted_by_id)
        .order_by(ConversationMute.created_at.desc())).all()
    return [{"user": r.User, "reason": r.ConversationMute.reason, "by": r.by or "",
             "since": r.ConversationMute.created_at} for r in rows]


def mute(curator: User | None, user_id: int, reason: str) -> ConversationMute:
    """Mute a person in the conversation, with a reason (required; logged)."""
    require_curator(curator)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why you mute this person."), field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_REASON), field="reason")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no account with this address or number."))
    if user.is_curator:
        raise ValidationError(_("Curators cannot be muted; an admin can change their role."),
                              field="who", code="curator")
    existing = db.session.get(ConversationMute, user.id)
    if existing is not None:
        raise ValidationError(_("This person is muted already."), field="who",
                              code="muted_already")
    row = ConversationMute(user_id=user.id, reason=reason, muted_by_id=curator.id)
    db.session.add(row)
    db.session.flush()
    audit.log(curator, "conversation_mute", "user", user.id, "talking", "muted",
              message=reason)
    return row


def unmute(curator: User | None, user_id: int, message: str = "") -> None:
    """Lift a person's mute (logged, with the curator's message)."""
    require_curator(curator)
    row = db.session.get(ConversationMute, user_id)
    if row is None:
        raise NotFound(_("This person is not muted."))
    message = (message or "").strip()[:MAX_REASON]
    db.session.delete(row)
    db.session.flush()
    audit.log(curator, "conversation_unmute", "user", user_id, "muted", "talking",
              message=message)


def watched_words() -> list[WatchedWord]:
    """The watched words and phrases, alphabetically."""
    return list(db.session.scalars(select(WatchedWord).order_by(func.lower(WatchedWord.phrase))))


def add_watched_word(curator: User | None, phrase: str) -> WatchedWord:
    """Watch a word or phrase (white space inside it collapsed; logged)."""
    require_curator(curator)
    phrase = " ".join((phrase or "").split())
    if not phrase:
        raise ValidationError(_("Give a word or phrase."), field="phrase")
    if len(phrase) > MAX_PHRASE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_PHRASE), field="phrase")
    if not any(ch.isalnum() for ch in phrase):
        raise ValidationError(_("A watched word needs letters or digits."), field="phrase")
    folded = fold(phrase)
    if any(fold(w.phrase) == folded for w in watched_words()):
        raise ValidationError(_("This word is watched already."), field="phrase",
                              code="duplicate")
    word = WatchedWord(phrase=phrase, added_by_id=curator.id)
    db.session.add(word)
    db.session.flush()
    audit.log(curator, "watched_word_add", "watched_word", word.id, None, "watched",
              message=phrase)
    return word


def remove_watched_word(curator: User | None, word_id: int) -> None:
    """Stop watching a word (logged)."""
    require_curator(curator)
    word = db.session.get(WatchedWord, word_id)
    if word is None:
        raise NotFound(_("This word is not watched."))
    phrase = word.phrase
    db.session.delete(word)
    db.session.flush()
    audit.log(curator, "watched_word_remove", "watched_word", word_id, "watched", None,
              message=phrase)
