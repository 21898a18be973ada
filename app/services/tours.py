"""Reads of published tours for pages."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Place, Tour, TourStop
from app.services.places import public_places_filter


def published_tours(limit: int = 50) -> list[Tour]:
    """Published tours, featured first, newest next."""
    return list(
        db.session.scalars(
            select(Tour)
            .where(Tour.status == "published")
            .options(selectinload(Tour.theme), selectinload(Tour.stops))
            .order_by(Tour.featured.desc(), Tour.published_at.desc().nulls_last(), Tour.id)
            .limit(limit)
        )
    )


def get_visible_tour(slug: str) -> Tour | None:
    """A published or retired tour (retired ones keep their URL with a notice)."""
    return db.session.scalar(
        select(Tour)
        .where(Tour.slug == slug, Tour.status.in_(("published", "retired")))
        .options(
            selectinload(Tour.theme),
            selectinload(Tour.stops).selectinload(TourStop.place).selectinload(Place.themes),
        )
    )


def stop_points(tour: Tour) -> list[dict]:
    """The tour's stops with position and availability (a hidden place is unavailable)."""
    ids = [s.place_id for s in tour.stops]
    coords = {}
    visible = set()
    if ids:
        rows = db.session.execute(
            select(
                Place.id,
                func.ST_X(Place.geom),
                func.ST_Y(Place.geom),
                public_places_filter().label("visible"),
            ).where(Place.id.in_(ids))
        ).all()
        for pid, lon, lat, is_visible in rows:
            coords[pid] = (lon, lat)
            if is_visible:
                visible.add(pid)
    return [
        {
            "number": s.position,
            "place_id": s.place_id,
            "title": s.place.title,
            "summary": s.place.summary,
            "note": s.transition_note,
            "accessibility": s.accessibility,
            "dwell_min": s.dwell_min,
            "lon": coords[s.place_id][0],
            "lat": coords[s.place_id][1],
            "available": s.place_id in visible,
        }
        for s in tour.stops
    ]


def route_geojson(tour: Tour) -> dict | None:
    if tour.route is None:
        return None
    text = db.session.scalar(select(func.ST_AsGeoJSON(Tour.route, 6)).where(Tour.id == tour.id))
    return json.loads(text)
