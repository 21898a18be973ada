from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import MediaKind, MediaStatus, values

MEDIA_KINDS = values(MediaKind)
MEDIA_STATUSES = values(MediaStatus)


class Media(db.Model):
    """A photo, recording or consent scan. Public files are re-encoded copies without
    metadata; the uploaded original is kept private (never served)."""

    __tablename__ = "media"
    __table_args__ = (
        CheckConstraint(check_in("kind", MEDIA_KINDS), name="kind"),
        CheckConstraint(check_in("status", MEDIA_STATUSES), name="status"),
        CheckConstraint("size_bytes >= 0", name="size_nonnegative"),
    )

    id: Mapped[intpk]
    place_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE"), index=True
    )
    # The story the photo or recording belongs to (its place_id is that story's place).
    story_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="SET NULL"), index=True
    )
    uploader_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    mime: Mapped[str] = mapped_column(String(80), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    # Derived public files, e.g. {"thumb": key, "medium": key}.
    variants: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    caption: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    credit: Mapped[str] = mapped_column(String(120), nullable=False, server_default="")
    licence: Mapped[str] = mapped_column(String(40), nullable=False, server_default="CC-BY-SA-4.0")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=MediaStatus.PENDING.value
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The curators' decision on a photo or recording, as its contributor is told it.
    review_reason: Mapped[str | None] = mapped_column(String(20))
    review_message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    # A recording's text alternative (WCAG 2.1, 1.2.1), typed by its contributor or added by
    # a curator; empty until someone writes it.
    transcript: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    transcript_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    transcript_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_ts]

    place = relationship("Place", back_populates="media")
    story = relationship("Story", back_populates="media")
    uploader = relationship("User", foreign_keys=[uploader_id])
