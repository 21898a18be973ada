from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import FlagStatus, values

FLAG_REASONS = ("wrong", "offensive", "private", "copyright", "other")
FLAG_STATUSES = values(FlagStatus)


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(check_in("reason", FLAG_REASONS), name="reason"),
        CheckConstraint(check_in("status", FLAG_STATUSES), name="status"),
        CheckConstraint(
            "num_nonnulls(place_id, media_id, reply_id) = 1", name="one_target"
        ),
        Index("ix_flags_status_created", "status", "created_at"),
    )

    id: Mapped[intpk]
    place_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE"), index=True
    )
    media_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media.id", ondelete="CASCADE"), index=True
    )
    reply_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("replies.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    # A keyed hash of the anonymous reporter's address: counts distinct people, stores no IP.
    reporter_key: Mapped[str] = mapped_column(String(64), nullable=False)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=FlagStatus.OPEN.value
    )
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_ts]


class ModerationEvent(db.Model):
    """Append-only audit log (a database trigger refuses UPDATE and DELETE). The actor is
    kept by id and name without a foreign key, so deleting an account keeps the log whole."""

    __tablename__ = "moderation_events"
    __table_args__ = (Index("ix_moderation_events_created", "created_at"),)

    id: Mapped[intpk]
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_name: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target_type: Mapped[str] = mapped_column(String(20), nullable=False)
    target_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    before_status: Mapped[str | None] = mapped_column(String(20))
    after_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    created_at: Mapped[created_ts]


class ReplyTemplate(db.Model):
    __tablename__ = "reply_templates"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]

    created_by = relationship("User")


class IdempotencyKey(db.Model):
    """One contribution (or story) per (user, key): retries of a queued upload create
    exactly one place or story."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    place_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE")
    )
    # The story a key of ``POST /api/v1/places/<id>/stories`` created; NULL once committed
    # means the story was deleted since (a claimed key is only seen by its own transaction
    # until the story is written).
    story_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
