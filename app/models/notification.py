"""What people are told: notifications in the app (read or unread), how each person wants
to be mailed per kind of event, and which notifications a mail already carried.

A notification names its subject by ids (story, reply, place, tour); readers drop the ones
whose subject is no longer public, so a hidden reply leaves notifications and the digests
not yet sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import Delivery, NotificationKind, values


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(check_in("kind", values(NotificationKind)), name="kind"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
        Index("ix_notifications_unmailed", "created_at",
              postgresql_where=text("mailed_at IS NULL")),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    # Who did it (the replier, the thanker); NULL for the city or a deleted account.
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    story_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), index=True
    )
    reply_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("replies.id", ondelete="CASCADE"), index=True
    )
    place_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE")
    )
    tour_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("tours.id", ondelete="CASCADE")
    )
    # Plain values the text needs (a decision, a reaction kind), never personal data beyond ids.
    data: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    created_at: Mapped[created_ts]
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set in the transaction that records its mail (immediately or in a digest): run twice,
    # sent once.
    mailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationSetting(db.Model):
    """How one person is mailed about one kind of event; no row: the kind's default."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        CheckConstraint(check_in("kind", values(NotificationKind)), name="kind"),
        CheckConstraint(check_in("delivery", values(Delivery)), name="delivery"),
    )

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10), nullable=False)
