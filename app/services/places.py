"""Reads of public places for pages. Only approved, visible content leaves here."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Media, Place
from app.services import visibility


def public_places_query() -> Select:
    return select(Place).where(visibility.public_place())


def map_points(limit: int = 2000) -> list[dict]:
    """Approved places as small dicts for the home map and its list (newest first)."""
    rows = db.session.execute(
        select(
            Place.id,
            Place.title,
            Place.summary,
            func.ST_X(Place.geom).label("lon"),
            func.ST_Y(Place.geom).label("lat"),
        )
        .where(visibility.public_place())
        .order_by(Place.published_at.desc().nulls_last(), Place.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": r.id, "title": r.title, "summary": r.summary, "lon": r.lon, "lat": r.lat}
        for r in rows
    ]


def get_public_place(place_id: int) -> Place | None:
    """The approved place with its themes and approved media, or None."""
    return db.session.scalar(
        public_places_query()
        .where(Place.id == place_id)
        .options(selectinload(Place.themes),
                 selectinload(Place.media).joinedload(Media.story),
                 selectinload(Place.author))
    )


def public_media(place: Place) -> list[Media]:
    """The media of a public place anyone may see (``visibility.is_public_medium``)."""
    return [m for m in place.media if visibility.is_public_medium(m)]


def lonlat(place: Place) -> tuple[float, float]:
    """(lon, lat) of a loaded place."""
    from geoalchemy2.shape import to_shape

    point = to_shape(place.geom)
    return point.x, point.y


def public_state_token() -> str:
    """A short validator of everything public about places, for ETags of read endpoints.

    It changes whenever a place or medium becomes visible or leaves (approval, hiding,
    rejection, removal, merge) or public text changes: moderation stamps ``updated_at`` on
    every such change, and the counts catch content leaving without a newer stamp. Endpoints
    whose ETag is not already a hash of their body (lists, tiles, feeds, sitemaps, the
    service worker's precache list) should mix it in, so no HTTP cache keeps serving content
    that was just hidden."""
    count, newest = db.session.execute(
        select(func.count(Place.id), func.max(Place.updated_at)).where(visibility.public_place())
    ).one()
    media = db.session.scalar(
        select(func.count(Media.id))
        .join(Place, Place.id == Media.place_id)
        .where(visibility.public_place(), visibility.public_media())
    )
    stamp = newest.timestamp() if newest else 0
    return f"{count}-{media}-{stamp:.6f}"
