"""Usage figures: daily counters per offering, goals, review decisions and the alternatives of
a retired tour.

A counter is ``(day, offering kind, offering id, stop, metric, source) -> n``, written as an
upsert; nothing in these tables says who counted, from where or when within the day. The
offering is a kind and an id without a foreign key, so figures outlive what they count (a
retired tour keeps its figures, a place's figures can later move to its first story).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import values


class OfferingKind(StrEnum):
    TOUR = "tour"
    THEME = "theme"
    STORY = "story"
    # Before stories were counted one by one, per place; a migration moved those figures to
    # each place's first story. Kept so that older figures stay readable.
    PLACE = "place"


class Metric(StrEnum):
    PAGE_VIEW = "page_view"
    FOLLOW_START = "follow_start"
    STOP_REACHED = "stop_reached"
    COMPLETION = "completion"
    OFFLINE_SAVE = "offline_save"
    AUDIO_PLAY = "audio_play"
    READ_ALOUD = "read_aloud"
    QR_SCAN = "qr_scan"
    GPX_DOWNLOAD = "gpx_download"
    PDF_DOWNLOAD = "pdf_download"
    EMBED_VIEW = "embed_view"


class Source(StrEnum):
    """How the count reached the server: a page it served, or a beacon the phone sent while
    online or queued while offline (the offline share)."""

    SERVER = "server"
    ONLINE = "online"
    OFFLINE = "offline"


class GoalPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class ReviewDecision(StrEnum):
    KEEP = "keep"
    ADAPT = "adapt"
    RETIRE = "retire"


# Stop 0: the offering as a whole (a primary key column cannot be NULL).
WHOLE = 0


class UsageCounter(db.Model):
    __tablename__ = "usage_counters"
    __table_args__ = (
        CheckConstraint(check_in("offering_kind", values(OfferingKind)), name="offering_kind"),
        CheckConstraint(check_in("metric", values(Metric)), name="metric"),
        CheckConstraint(check_in("source", values(Source)), name="source"),
        CheckConstraint("stop >= 0", name="stop_nonnegative"),
        CheckConstraint("n >= 0", name="n_nonnegative"),
        Index("ix_usage_counters_offering_day", "offering_kind", "offering_id", "day"),
    )

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    offering_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    offering_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    stop: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=WHOLE)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="0")


class UsageGoal(db.Model):
    """The goal of an offering (one at a time; adapting it changes this row, the audit log and
    the reviews keep what it was)."""

    __tablename__ = "usage_goals"
    __table_args__ = (
        CheckConstraint(check_in("offering_kind", values(OfferingKind)), name="offering_kind"),
        CheckConstraint(check_in("metric", values(Metric)), name="metric"),
        CheckConstraint(check_in("period", values(GoalPeriod)), name="period"),
        CheckConstraint("target > 0", name="target_positive"),
        UniqueConstraint("offering_kind", "offering_id", name="uq_usage_goals_offering"),
    )

    id: Mapped[intpk]
    offering_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    offering_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    metric: Mapped[str] = mapped_column(String(16), nullable=False)
    target: Mapped[int] = mapped_column(Integer, nullable=False)
    period: Mapped[str] = mapped_column(String(8), nullable=False)
    hypothesis: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    review_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    # The day the curators were told the review is due (told once per review date).
    notified_on: Mapped[date | None] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts]


class UsageReview(db.Model):
    """A curator's decision on an offering at its review (also in the audit log)."""

    __tablename__ = "usage_reviews"
    __table_args__ = (
        CheckConstraint(check_in("offering_kind", values(OfferingKind)), name="offering_kind"),
        CheckConstraint(check_in("decision", values(ReviewDecision)), name="decision"),
        Index("ix_usage_reviews_offering", "offering_kind", "offering_id"),
    )

    id: Mapped[intpk]
    offering_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    offering_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    decision: Mapped[str] = mapped_column(String(8), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    next_review_on: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class TourAlternative(db.Model):
    """Where a retired tour's visitors are sent: one alternative answers its address with a
    301, several are listed on its page."""

    __tablename__ = "tour_alternatives"
    __table_args__ = (
        CheckConstraint("tour_id <> alternative_id", name="not_itself"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    tour_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tours.id", ondelete="CASCADE"), primary_key=True
    )
    alternative_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tours.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
