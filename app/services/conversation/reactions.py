"""Reactions on a story: "Thank you" and "I remember this too", one of each per person and
story, undone at will; no downvotes. Everyone sees the counts; only the narrator sees who
reacted. The narrator is told through ``app.services.inbox`` (bundled there)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Story, User
from app.models.conversation import Reaction
from app.models.federation import RemoteThanks
from app.models.statuses import ReactionKind
from app.services import inbox
from app.services.conversation import rules
from app.services.conversation.replies import is_narrator, open_story

KINDS = tuple(k.value for k in ReactionKind)


def _kind(kind: str) -> ReactionKind:
    try:
        return ReactionKind(kind)
    except ValueError:
        raise NotFound(_("There is no such reaction; thanks and remember are.")) from None


def react(user: User, story_id: int, kind: str) -> bool:
    """``user`` thanks the narrator or remembers too (``kind``) on a public story; giving
    it again changes nothing. True when it is new (the narrator is told then)."""
    reaction = _kind(kind)
    rules.check_may_talk(user)
    story = open_story(story_id)
    if db.session.get(Reaction, (story.id, user.id, reaction.value)) is not None:
        return False
    rules.check_reaction_rate(user)
    added = db.session.execute(
        insert(Reaction).values(story_id=story.id, user_id=user.id, kind=reaction.value)
        .on_conflict_do_nothing().returning(Reaction.story_id)).first()
    if added is None:
        return False  # a second request of the same person at the same moment
    inbox.notify_reaction(story, user, reaction.value)
    return True


def unreact(user: User, story_id: int, kind: str) -> bool:
    """``user`` takes their reaction back (nothing happens if they had none). True when
    there was one; they leave the narrator's notification not yet read or mailed."""
    reaction = _kind(kind)
    if user is None or not user.is_authenticated:
        raise Forbidden(_("Please log in to take part in the conversation."),
                        code="login_required")
    story = open_story(story_id)
    gone = db.session.execute(
        delete(Reaction).where(Reaction.story_id == story.id, Reaction.user_id == user.id,
                               Reaction.kind == reaction.value)
        .returning(Reaction.story_id)).first()
    if gone is None:
        return False
    inbox.forget_reaction(story, user, reaction.value)
    return True


def counts(story_id: int) -> dict[str, int]:
    """How many people thanked and remember, per kind (every kind, zero included). A
    favourite or boost from another server counts as a thank-you."""
    rows = db.session.execute(
        select(Reaction.kind, func.count()).where(Reaction.story_id == story_id)
        .group_by(Reaction.kind)).all()
    found = dict(rows)
    found[ReactionKind.THANKS] = int(found.get(ReactionKind.THANKS, 0)) + (db.session.scalar(
        select(func.count()).select_from(RemoteThanks)
        .where(RemoteThanks.story_id == story_id)) or 0)
    return {k: int(found.get(k, 0)) for k in KINDS}


def mine(user: User | None, story_id: int) -> set[str]:
    """The kinds ``user`` gave on the story (nothing for anyone logged out)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(db.session.scalars(select(Reaction.kind).where(
        Reaction.story_id == story_id, Reaction.user_id == user.id)))


def names(user: User | None, story: Story) -> dict[str, list[str]]:
    """Who reacted, per kind, oldest first: for the story's narrator only (403 for anyone
    else; the public sees counts)."""
    if not is_narrator(user, story):
        raise Forbidden(_("Only the narrator sees who reacted to their story."))
    rows = db.session.execute(
        select(Reaction.kind, User.display_name).join(User, User.id == Reaction.user_id)
        .where(Reaction.story_id == story.id)
        .order_by(Reaction.created_at, User.id)).all()
    found: dict[str, list[str]] = {k: [] for k in KINDS}
    for kind, name in rows:
        found[kind].append(name)
    return found
