"""The walking network: an OpenStreetMap extract cut into edges between shared nodes, with the
tags that decide who may walk there and the costs pgRouting searches on.

``walknet_edges``/``walknet_vertices`` are what routes are computed on. An import fills the
``*_staging`` twins first and then swaps their contents in one transaction, so the old network
keeps serving until the new one is complete. ``walknet_networks`` records each import run; the
active one's id is the *network version* that cached legs (``walknet_legs``) are keyed by.

Costs are in metres of walking, weighted by how pleasant or tiring the way is; a negative cost
means the mode may not use the edge in that direction (pgRouting's convention).
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import check_in, created_ts, intpk

MODES = ("foot", "step_free")
LEG_STATUSES = ("ok", "off_network", "no_route")
# The OSM tags an edge keeps (the ones the foot and step-free rules read).
EDGE_TAGS = ("highway", "footway", "sidewalk", "foot", "access", "wheelchair", "surface",
             "smoothness", "incline", "width", "step_count", "barrier", "kerb")


def _edge_columns() -> list[Column]:
    return [
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("source", BigInteger, nullable=False),
        Column("target", BigInteger, nullable=False),
        Column("osm_way_id", BigInteger, nullable=False),
        Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False),
        Column("length_m", Float, nullable=False),
        *(Column(tag, String(64)) for tag in EDGE_TAGS),
        Column("conveying", String(16)),
        # In a tunnel or below ground: walkable, but a stop is snapped there only when nothing
        # on the surface is near (a square above a service tunnel is not in the tunnel).
        Column("underground", Boolean, nullable=False, server_default="false"),
        Column("cost_foot", Float, nullable=False),
        Column("reverse_cost_foot", Float, nullable=False),
        Column("cost_step_free", Float, nullable=False),
        Column("reverse_cost_step_free", Float, nullable=False),
        # Connected component per mode (pgr_connectedComponents); -1 where the mode is refused.
        Column("component_foot", BigInteger, nullable=False, server_default="-1"),
        Column("component_step_free", BigInteger, nullable=False, server_default="-1"),
    ]


def _vertex_columns() -> list[Column]:
    return [
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    ]


walknet_edges = Table(
    "walknet_edges", db.metadata, *_edge_columns(),
    CheckConstraint("length_m > 0", name="length_positive"),
    Index("ix_walknet_edges_geom", "geom", postgresql_using="gist"),
    Index("ix_walknet_edges_source", "source"),
    Index("ix_walknet_edges_target", "target"),
)
walknet_vertices = Table(
    "walknet_vertices", db.metadata, *_vertex_columns(),
    Index("ix_walknet_vertices_geom", "geom", postgresql_using="gist"),
)
# No indexes on the staging twins: they are written in bulk and read once, by the swap.
walknet_edges_staging = Table("walknet_edges_staging", db.metadata, *_edge_columns())
walknet_vertices_staging = Table("walknet_vertices_staging", db.metadata, *_vertex_columns())


class WalkNetwork(db.Model):
    """One import run of an extract; the active run is the network routes are computed on."""

    __tablename__ = "walknet_networks"

    id: Mapped[intpk]
    source_name: Mapped[str] = mapped_column(Text, nullable=False)
    source_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    bbox: Mapped[list | None] = mapped_column(JSONB)
    # A digest of the edges as loaded: the same file gives the same digest, so a re-import of
    # an unchanged extract keeps the version (and every cached leg).
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    edges: Mapped[int] = mapped_column(Integer, nullable=False)
    vertices: Mapped[int] = mapped_column(Integer, nullable=False)
    counts: Mapped[dict] = mapped_column(JSONB, nullable=False, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    created_at: Mapped[created_ts]
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("uq_walknet_networks_one_active", "active", unique=True,
              postgresql_where="active"),
    )


class WalkLeg(db.Model):
    """A routed leg between two positions, cached per (network version, mode, stop pair):
    editing one stop reroutes only its two legs. Positions are in 1e-7 degrees."""

    __tablename__ = "walknet_legs"
    __table_args__ = (
        CheckConstraint(check_in("mode", MODES), name="mode"),
        CheckConstraint(check_in("status", LEG_STATUSES), name="status"),
    )

    network_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("walknet_networks.id", ondelete="CASCADE"), primary_key=True
    )
    mode: Mapped[str] = mapped_column(String(16), primary_key=True)
    from_x: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    from_y: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    to_x: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    to_y: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # What the leg is, as the routing service hands it out (line, length, steps, ways used).
    leg: Mapped[dict] = mapped_column(JSONB, nullable=False)
    created_at: Mapped[created_ts]
