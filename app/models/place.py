from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry
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
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import PlaceStatus, RevisionStatus, values
from app.models.theme import Theme, place_themes

PLACE_STATUSES = values(PlaceStatus)
REVISION_STATUSES = values(RevisionStatus)
ERA_PRECISIONS = ("year", "decade")
CONSENT_METHODS = ("self", "paper_form", "spoken", "email")


class Place(db.Model):
    """A place with its story. The row holds the public (approved) state once approved;
    edits wait in place_revisions until a curator approves them."""

    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(check_in("status", PLACE_STATUSES), name="status"),
        CheckConstraint(
            f"era_precision IS NULL OR {check_in('era_precision', ERA_PRECISIONS)}",
            name="era_precision",
        ),
        CheckConstraint(
            "(era_year IS NULL) = (era_precision IS NULL)", name="era_complete"
        ),
        CheckConstraint(
            f"consent_method IS NULL OR {check_in('consent_method', CONSENT_METHODS)}",
            name="consent_method",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 140", name="title_length"),
        Index("ix_places_search_vector", "search_vector", postgresql_using="gin"),
        # Typo-tolerant, accent-insensitive title search (f_unaccent is created by migration).
        Index(
            "ix_places_title_trgm",
            literal_column("f_unaccent(lower(title))").label("title_unaccent"),
            postgresql_using="gin",
            postgresql_ops={"title_unaccent": "gin_trgm_ops"},
        ),
        Index("ix_places_status_published", "status", "published_at"),
    )

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(160), nullable=False)
    title: Mapped[str] = mapped_column(String(140), nullable=False)
    summary: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    era_year: Mapped[int | None] = mapped_column(Integer)
    era_precision: Mapped[str | None] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(5), nullable=False, server_default="de")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=PlaceStatus.PENDING.value
    )
    step_free: Mapped[bool | None] = mapped_column(Boolean)
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # When a helper or curator enters a story on someone's behalf.
    author_name: Mapped[str | None] = mapped_column(String(120))
    helper_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    consent_method: Mapped[str | None] = mapped_column(String(16))
    consent_date: Mapped[date | None] = mapped_column(Date)
    credit_name: Mapped[str] = mapped_column(String(120), nullable=False, server_default="")
    # Place data is CC0; the story text carries its own licence.
    licence: Mapped[str] = mapped_column(String(40), nullable=False, server_default="CC-BY-SA-4.0")
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_reason: Mapped[str | None] = mapped_column(String(200))
    merged_into_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="SET NULL")
    )
    search_vector = mapped_column(TSVECTOR)
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts]
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    themes: Mapped[list[Theme]] = relationship(secondary=place_themes, order_by=Theme.slug)
    author = relationship("User", foreign_keys=[author_id])
    helper = relationship("User", foreign_keys=[helper_id])
    media: Mapped[list[Media]] = relationship(  # noqa: F821  (resolved by name in the mapper registry)
        back_populates="place", order_by="Media.position, Media.id"
    )
    stories: Mapped[list[Story]] = relationship(  # noqa: F821  (resolved by name)
        back_populates="place", order_by="Story.id", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}

    # The rule of a public place lives here, the lowest layer, so that a loaded place
    # (templates, services) and every query share it: ``app.services.visibility.public_place``
    # is this expression, and the SQL fragments of the hand-written readers are compiled from it.
    @hybrid_property
    def is_public(self) -> bool:
        """Visible to everyone: approved, not hidden, not merged into another place."""
        return (
            self.status == PlaceStatus.APPROVED
            and self.hidden_at is None
            and self.merged_into_id is None
        )

    @is_public.inplace.expression
    @classmethod
    def _is_public_expression(cls) -> ColumnElement[bool]:
        """``is_public`` as SQL (also over an alias of ``places``)."""
        return and_(
            cls.status == PlaceStatus.APPROVED,
            cls.hidden_at.is_(None),
            cls.merged_into_id.is_(None),
        )


class PlaceRevision(db.Model):
    __tablename__ = "place_revisions"
    __table_args__ = (
        CheckConstraint(check_in("status", REVISION_STATUSES), name="status"),
        UniqueConstraint("place_id", "number", name="uq_place_revisions_place_number"),
    )

    id: Mapped[intpk]
    place_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    # The place version this edit started from: stale edits are refused.
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

    place: Mapped[Place] = relationship()
    author = relationship("User", foreign_keys=[author_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])



