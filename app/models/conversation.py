"""The conversation around stories: replies (one level of threading), reactions ("Thank
you", "I remember this too"), a place's questions and corrections, the people curators
muted, and the watched words that hold a reply for review.

Replies are open data under CC BY-SA 4.0; reactions are published as counts only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import (
    HoldReason,
    ReactionKind,
    ReplyStatus,
    TalkKind,
    TalkStatus,
    values,
)

MAX_REPLY = 5_000
MAX_TALK = 5_000


class Reply(db.Model):
    """A reply on a story, or on another reply of the same story (``parent_id``; pages
    indent a reply to a reply once, however deep the answers go). ``author_id`` is NULL
    once its author deleted their account: the page credits "a former member"."""

    __tablename__ = "replies"
    __table_args__ = (
        CheckConstraint(check_in("status", values(ReplyStatus)), name="status"),
        CheckConstraint(
            f"held_reason IS NULL OR {check_in('held_reason', values(HoldReason))}",
            name="held_reason",
        ),
        CheckConstraint("char_length(body) BETWEEN 1 AND 5000", name="body_length"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("NOT official OR official_by_id IS NOT NULL OR author_id IS NULL",
                        name="official_marked_by"),
        # A story's thread in one index scan, oldest first.
        Index("ix_replies_story_created", "story_id", "created_at"),
        Index("ix_replies_pending", "created_at", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[intpk]
    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False
    )
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("replies.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=ReplyStatus.PENDING.value
    )
    held_reason: Mapped[str | None] = mapped_column(String(16))
    # Curators answering as the city (a badge and the city's name on the reply).
    official: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    official_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Hidden by the story's narrator until a curator looks (status stays visible).
    narrator_hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(String(20))
    # The story this reply became (its author or a curator turned it into a story).
    became_story_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts]
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    story = relationship("Story", foreign_keys=[story_id])
    parent = relationship("Reply", remote_side="Reply.id")
    author = relationship("User", foreign_keys=[author_id])

    __mapper_args__ = {"version_id_col": version}


class Reaction(db.Model):
    """One person's "Thank you" or "I remember this too" on a story (one of each)."""

    __tablename__ = "reactions"
    __table_args__ = (
        CheckConstraint(check_in("kind", values(ReactionKind)), name="kind"),
        Index("ix_reactions_story_kind", "story_id", "kind"),
    )

    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[created_ts]

    user = relationship("User")


class PlaceTalk(db.Model):
    """A question or correction about a place ("the plaque is on the other corner"), kept
    apart from its stories; curators resolve it (fixed, declined) with a note."""

    __tablename__ = "place_talk"
    __table_args__ = (
        CheckConstraint(check_in("kind", values(TalkKind)), name="kind"),
        CheckConstraint(check_in("status", values(TalkStatus)), name="status"),
        CheckConstraint("char_length(body) BETWEEN 1 AND 5000", name="body_length"),
        Index("ix_place_talk_place_created", "place_id", "created_at"),
    )

    id: Mapped[intpk]
    place_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=TalkStatus.OPEN.value
    )
    resolved_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    created_at: Mapped[created_ts]

    place = relationship("Place")
    author = relationship("User", foreign_keys=[author_id])


class ConversationMute(db.Model):
    """A person curators muted in the conversation (replies, reactions, place talk), with
    the reason; lifting it deletes the row (the audit log keeps both)."""

    __tablename__ = "conversation_mutes"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    muted_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]


class WatchedWord(db.Model):
    """A word or phrase that holds a reply for review (as PeerTube's and Decidim's watched
    words do); matched case- and accent-insensitively on word boundaries."""

    __tablename__ = "watched_words"

    id: Mapped[intpk]
    phrase: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    added_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
