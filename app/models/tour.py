from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import check_in, created_ts, intpk
from app.models.statuses import TourStatus, values

TOUR_STATUSES = values(TourStatus)
# foot / step_free: routed on the walking network (app/services/walknet).
ROUTE_SOURCES = ("gpx", "drawn", "generated", "foot", "step_free")


class Tour(db.Model):
    __tablename__ = "tours"
    __table_args__ = (
        CheckConstraint(check_in("status", TOUR_STATUSES), name="status"),
        CheckConstraint(
            f"route_source IS NULL OR {check_in('route_source', ROUTE_SOURCES)}",
            name="route_source",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("char_length(title) BETWEEN 1 AND 140", name="title_length"),
    )

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(140), nullable=False)
    intro: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    theme_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("themes.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=TourStatus.DRAFT.value
    )
    language: Mapped[str] = mapped_column(String(5), nullable=False, server_default="de")
    accessibility: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    featured: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    route = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))
    route_source: Mapped[str | None] = mapped_column(String(16))
    length_m: Mapped[float | None] = mapped_column(Float)
    elevation_gain_m: Mapped[float | None] = mapped_column(Float)
    elevation_loss_m: Mapped[float | None] = mapped_column(Float)
    duration_normal_min: Mapped[int | None] = mapped_column(Integer)
    duration_relaxed_min: Mapped[int | None] = mapped_column(Integer)
    # The tour's legs on the walking network, foot and step-free, with steps and unreachable
    # legs (app/services/walknet); None without a network.
    network_routes: Mapped[dict | None] = mapped_column(JSONB)
    cover_media_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("media.id", ondelete="SET NULL")
    )
    # An edit of a published tour waits here until it is published.
    pending_snapshot: Mapped[dict | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[created_ts]
    updated_at: Mapped[created_ts]
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    theme = relationship("Theme")
    author = relationship("User")
    stops: Mapped[list[TourStop]] = relationship(
        back_populates="tour", order_by="TourStop.position", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class TourStop(db.Model):
    __tablename__ = "tour_stops"
    __table_args__ = (
        UniqueConstraint("tour_id", "position", name="uq_tour_stops_tour_position"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("dwell_min >= 0", name="dwell_nonnegative"),
    )

    id: Mapped[intpk]
    tour_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("tours.id", ondelete="CASCADE"), nullable=False, index=True
    )
    place_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("places.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    transition_note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    accessibility: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    dwell_min: Mapped[int] = mapped_column(Integer, nullable=False, server_default="5")
    # The stories the tour's author chose for this stop, in order (an array, because stops are
    # rewritten from the tour's content on every save); none chosen: the stop shows the place's
    # approved stories in the tour's theme. Readers skip ids that are no longer public.
    featured_story_ids: Mapped[list[int]] = mapped_column(
        ARRAY(BigInteger), nullable=False, server_default="{}"
    )

    tour: Mapped[Tour] = relationship(back_populates="stops")
    place = relationship("Place")
