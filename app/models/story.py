"""Stories: the unit of contribution, many at one shared place.

A place is the thin shared location (CC0); each story keeps its own author or narrator,
kind, language, era, licence, status, version and revisions, and owns its photos and
recordings (``Media.story_id``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.place import CONSENT_METHODS, REVISION_STATUSES
from app.models.statuses import (
    EraPrecision,
    RevisionStatus,
    StoryKind,
    StoryStatus,
    SuggestionStatus,
    values,
)

STORY_STATUSES = values(StoryStatus)
STORY_KINDS = values(StoryKind)
STORY_ERA_PRECISIONS = values(EraPrecision)
SUGGESTION_STATUSES = values(SuggestionStatus)
# A story's limits (the same as a place's own text: app.services.place_rules).
MAX_TITLE = 140
MAX_BODY = 20_000
EARLIEST_ERA = 1000


class Story(db.Model):
    """One person's story of a place. ``needs_check`` marks a story a curator should look at
    again: one that an older merge had appended to another story's text and the migration
    split off by its credit line."""

    __tablename__ = "stories"
    __table_args__ = (
        CheckConstraint(check_in("status", STORY_STATUSES), name="status"),
        CheckConstraint(check_in("kind", STORY_KINDS), name="kind"),
        CheckConstraint(
            f"era_precision IS NULL OR {check_in('era_precision', STORY_ERA_PRECISIONS)}",
            name="era_precision",
        ),
        CheckConstraint(
            "(era_start IS NULL) = (era_precision IS NULL) "
            "AND (era_start IS NULL) = (era_end IS NULL)", name="era_complete"
        ),
        CheckConstraint("era_start IS NULL OR era_start <= era_end", name="era_order"),
        CheckConstraint(
            f"consent_method IS NULL OR {check_in('consent_method', CONSENT_METHODS)}",
            name="consent_method",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 140", name="title_length"),
        # The place page lists a place's stories newest first in one index scan.
        Index("ix_stories_place_created", "place_id", "created_at"),
        Index("ix_stories_status_published", "status", "published_at"),
        Index("uq_stories_lead", "place_id", unique=True, postgresql_where=text("is_lead")),
    )

    id: Mapped[intpk]
    place_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(140), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    kind: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=StoryKind.MEMORY.value
    )
    language: Mapped[str] = mapped_column(String(5), nullable=False, server_default="de")
    era_start: Mapped[int | None] = mapped_column(Integer)
    era_end: Mapped[int | None] = mapped_column(Integer)
    era_precision: Mapped[str | None] = mapped_column(String(8))
    licence: Mapped[str] = mapped_column(String(40), nullable=False, server_default="CC-BY-SA-4.0")
    # The account that submitted it; on someone's behalf the narrator is author_name and the
    # person who entered it is helper_id, with the consent recorded as for places.
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str | None] = mapped_column(String(120))
    helper_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    consent_method: Mapped[str | None] = mapped_column(String(16))
    consent_date: Mapped[date | None] = mapped_column(Date)
    credit_name: Mapped[str] = mapped_column(String(120), nullable=False, server_default="")
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=StoryStatus.PENDING.value
    )
    needs_check: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # The narrator closed replies on their story (existing replies stay).
    replies_closed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    # The story that came with its place (the place row still holds its text; see
    # app.services.stories.mirror_lead). At most one per place.
    is_lead: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts]
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    place = relationship("Place", back_populates="stories")
    author = relationship("User", foreign_keys=[author_id])
    helper = relationship("User", foreign_keys=[helper_id])
    media = relationship("Media", back_populates="story", order_by="Media.position, Media.id")

    __mapper_args__ = {"version_id_col": version}

    # Like ``Place.is_public``, the rule lives on the model so that loaded stories and every
    # query share it; ``app.services.visibility.public_story`` adds the place's own rule.
    @hybrid_property
    def is_approved_visible(self) -> bool:
        """Approved and neither hidden nor withdrawn (the place is checked separately)."""
        return (self.status == StoryStatus.APPROVED and self.hidden_at is None
                and self.withdrawn_at is None)

    @is_approved_visible.inplace.expression
    @classmethod
    def _is_approved_visible_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status == StoryStatus.APPROVED, cls.hidden_at.is_(None),
                    cls.withdrawn_at.is_(None))

    @hybrid_property
    def is_removed(self) -> bool:
        """Withdrawn by its narrator or hidden by curators or reports: for a lead story, the
        place's own text and the story's media leave with it. (A lead story waiting for
        review of an edit is not removed: the place row keeps its approved text.)"""
        return (self.status in (StoryStatus.WITHDRAWN, StoryStatus.HIDDEN)
                or self.hidden_at is not None or self.withdrawn_at is not None)

    @is_removed.inplace.expression
    @classmethod
    def _is_removed_expression(cls) -> ColumnElement[bool]:
        return or_(cls.status.in_((StoryStatus.WITHDRAWN, StoryStatus.HIDDEN)),
                   cls.hidden_at.is_not(None), cls.withdrawn_at.is_not(None))


class StoryRevision(db.Model):
    """Every change to a story as a full snapshot, as place_revisions are for places."""

    __tablename__ = "story_revisions"
    __table_args__ = (
        CheckConstraint(check_in("status", REVISION_STATUSES), name="status"),
        UniqueConstraint("story_id", "number", name="uq_story_revisions_story_number"),
    )

    id: Mapped[intpk]
    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    base_version: Mapped[int] = mapped_column(Integer, nullable=False)
    snapshot: Mapped[dict] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=RevisionStatus.PENDING.value
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    reviewer_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    review_message: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_ts]

    story: Mapped[Story] = relationship()
    author = relationship("User", foreign_keys=[author_id])


class StorySuggestion(db.Model):
    """An edit someone other than its author suggests for a story: the fields they would
    change (title, body, era as text), from the story version they read, until the author
    or a curator accepts it (it becomes the story's next revision) or declines it."""

    __tablename__ = "story_suggestions"
    __table_args__ = (
        CheckConstraint(check_in("status", SUGGESTION_STATUSES), name="status"),
        Index("ix_story_suggestions_story_status", "story_id", "status"),
    )

    id: Mapped[intpk]
    story_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stories.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    base_version: Mapped[int] = mapped_column(Integer, nullable=False)
    changes: Mapped[dict] = mapped_column(JSONB, nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=SuggestionStatus.PENDING.value
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_message: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    created_at: Mapped[created_ts]

    story: Mapped[Story] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
