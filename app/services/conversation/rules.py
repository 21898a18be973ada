"""The rules of the conversation: whose reply waits for a curator and why
(``hold_reason``), who may take part at all (``check_may_talk``: not muted), and how much
one person may write in an hour (``check_reply_rate``, ``check_reaction_rate``,
``check_talk_rate``, counted in the database as suggested edits are).

Trust is earned by contributions curators approved: a person with fewer than
``CONVERSATION_TRUST_MIN`` (default 1) approved stories or places of their own is a new
member and every reply of theirs waits; links are held for anyone below
``CONVERSATION_LINK_TRUST_MIN`` (default 3), because spam arrives as links from accounts with
one harmless contribution; a watched word holds anyone's reply. Curators are never held:
they answer as the city and moderate the rest.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import DomainError, Forbidden
from app.extensions import db
from app.models import Place, Story, User
from app.models.conversation import ConversationMute, PlaceTalk, Reaction, Reply, WatchedWord
from app.models.statuses import HoldReason, PlaceStatus, StoryStatus

DEFAULT_TRUST_MIN = 1
DEFAULT_LINK_TRUST_MIN = 3
# Per person and hour: a lively thread is a few replies an hour; a script posting a
# thousand a minute is stopped after the first few dozen.
DEFAULT_REPLIES_PER_HOUR = 30
DEFAULT_REACTIONS_PER_HOUR = 120
DEFAULT_TALK_PER_HOUR = 10

# What counts as a link: a URL with a scheme, "www.", a Markdown link or an address with
# a common top-level domain ("example.com/offer").
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.|\]\s*\(|\bmailto:|"
    r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|de|eu|io|co|ru|cn|xyz|top|"
    r"online|site|shop|at|ch|uk|me|ly|gl|to|tk)\b(?:/|\s|$|[.,;:!?)]))",
    re.IGNORECASE,
)


class TooManyReplies(DomainError):
    status = 429
    code = "too_many_replies"


class TooManyReactions(DomainError):
    status = 429
    code = "too_many_reactions"


class TooManyNotes(DomainError):
    status = 429
    code = "too_many_notes"


def approved_contributions(user: User) -> int:
    """How many stories and places of ``user``'s own curators approved."""
    stories = select(func.count(Story.id)).where(
        Story.author_id == user.id, Story.status == StoryStatus.APPROVED).scalar_subquery()
    places = select(func.count(Place.id)).where(
        Place.author_id == user.id,
        Place.status.in_((PlaceStatus.APPROVED, PlaceStatus.ARCHIVED))).scalar_subquery()
    return int(db.session.scalar(select(stories + places)) or 0)


def fold(text: str) -> str:
    """``text`` lower-cased without accents ("Straße" and "STRASSE", "café" and "Cafe"
    alike), for matching watched words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_link(body: str) -> bool:
    """Whether ``body`` carries a link in any form a reader could follow."""
    return _LINK.search(body or "") is not None


def watched_word_in(body: str) -> str | None:
    """The first watched word or phrase ``body`` contains as whole words, case- and
    accent-insensitively (a phrase matches across any run of white space), or None."""
    phrases = db.session.scalars(select(WatchedWord.phrase).order_by(WatchedWord.id)).all()
    if not phrases:
        return None
    folded = fold(body or "")
    for phrase in phrases:
        words = fold(phrase).split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
        if re.search(pattern, folded):
            return phrase
    return None


def hold_reason(user: User, body: str) -> HoldReason | None:
    """Why ``user``'s reply ``body`` waits for a curator, or None when it appears at once.

    A watched word holds anyone but curators; a link holds people with fewer than
    ``CONVERSATION_LINK_TRUST_MIN`` approved contributions; anyone with fewer than
    ``CONVERSATION_TRUST_MIN`` is a new member and waits whatever they write. The most
    telling reason is returned, so the curator knows what to look at first.
    """
    if user.is_curator:
        return None
    if watched_word_in(body) is not None:
        return HoldReason.WATCHED_WORD
    config = current_app.config
    trust_min = int(config.get("CONVERSATION_TRUST_MIN", DEFAULT_TRUST_MIN))
    link_min = max(trust_min, int(config.get("CONVERSATION_LINK_TRUST_MIN",
                                             DEFAULT_LINK_TRUST_MIN)))
    needs_link_check = has_link(body)
    if not needs_link_check and trust_min <= 0:
        return None
    count = approved_contributions(user)
    if needs_link_check and count < link_min:
        return HoldReason.LINK
    if count < trust_min:
        return HoldReason.NEW_MEMBER
    return None


def is_muted(user: User | None) -> bool:
    """Whether curators muted ``user`` in the conversation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.get(ConversationMute, user.id) is not None


def check_may_talk(user: User | None) -> None:
    """Refuse (403, code ``muted``) a person curators muted, with a message saying so;
    anyone logged out is refused too (views send them to the login first)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Forbidden(_("Please log in to take part in the conversation."),
                        code="login_required")
    if is_muted(user):
        raise Forbidden(_("A curator has muted you in the conversation: you cannot reply, "
                          "react or write about places for now. Please contact the city if "
                          "you think this is a mistake."), code="muted")


def _last_hour() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def check_reply_rate(user: User) -> None:
    """Refuse (429) a reply from someone who wrote ``CONVERSATION_REPLIES_PER_HOUR``
    (default 30) in the last hour, removed ones included."""
    limit = int(current_app.config.get("CONVERSATION_REPLIES_PER_HOUR",
                                       DEFAULT_REPLIES_PER_HOUR))
    recent = db.session.scalar(select(func.count(Reply.id)).where(
        Reply.author_id == user.id, Reply.created_at > _last_hour()))
    if recent >= limit:
        raise TooManyReplies(_("You wrote many replies in the last hour. Please try again "
                               "later."))


def reaction_changes_limit() -> str:
    """The limit (flask-limiter's notation) on giving and taking back reactions, per person:
    twice ``CONVERSATION_REACTIONS_PER_HOUR`` an hour, since taking one back deletes its row
    and so escapes ``check_reaction_rate``'s count."""
    per_hour = int(current_app.config.get("CONVERSATION_REACTIONS_PER_HOUR",
                                          DEFAULT_REACTIONS_PER_HOUR))
    return f"{2 * per_hour} per hour"


def check_reaction_rate(user: User) -> None:
    """Refuse (429) a reaction from someone who gave ``CONVERSATION_REACTIONS_PER_HOUR``
    (default 120) in the last hour."""
    limit = int(current_app.config.get("CONVERSATION_REACTIONS_PER_HOUR",
                                       DEFAULT_REACTIONS_PER_HOUR))
    recent = db.session.scalar(select(func.count()).select_from(Reaction).where(
        Reaction.user_id == user.id, Reaction.created_at > _last_hour()))
    if recent >= limit:
        raise TooManyReactions(_("You reacted to many stories in the last hour. Please try "
                                 "again later."))


def check_talk_rate(user: User) -> None:
    """Refuse (429) a question or correction from someone who wrote
    ``CONVERSATION_TALK_PER_HOUR`` (default 10) in the last hour."""
    limit = int(current_app.config.get("CONVERSATION_TALK_PER_HOUR", DEFAULT_TALK_PER_HOUR))
    recent = db.session.scalar(select(func.count(PlaceTalk.id)).where(
        PlaceTalk.author_id == user.id, PlaceTalk.created_at > _last_hour()))
    if recent >= limit:
        raise TooManyNotes(_("You wrote many questions and corrections in the last hour. "
                             "Please try again later."))
