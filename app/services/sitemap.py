"""What the sitemaps list: public places, their public stories' pages, published tours and
the theme pages.

Places are split into files by id range (``CHUNK`` ids each; the sitemap protocol allows
50 000 URLs per file), so a file is one index range scan and stays the same size as the
city grows. Only ranges holding a public place are listed: a sitemap file may not be empty.
Story pages (``/stories/<id>``) are listed the same way, by ranges of story ids.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Place, Story, Theme, Tour
from app.services import visibility

CHUNK = 50_000


def _lastmod():
    return func.greatest(Place.updated_at, Place.published_at)


def place_chunks() -> list[int]:
    """Numbers of the id ranges that hold at least one public place, ascending."""
    chunk = (Place.id // CHUNK).label("chunk")
    return list(db.session.scalars(
        select(chunk).where(visibility.public_place()).group_by(chunk).order_by(chunk)
    ))


def places_in_chunk(chunk: int) -> list[tuple[int, datetime | None]]:
    """(id, last change) of the public places with ids in range ``chunk``, by id."""
    lo = chunk * CHUNK
    rows = db.session.execute(
        select(Place.id, _lastmod())
        .where(visibility.public_place(), Place.id >= lo, Place.id < lo + CHUNK)
        .order_by(Place.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def _public_stories():
    return select(Story.id).join(Place, Place.id == Story.place_id).where(
        visibility.public_story())


def story_chunks() -> list[int]:
    """Numbers of the id ranges that hold at least one public story, ascending: per range
    the first public story by the primary key (grouping every story, as for places, took a
    second at two million stories)."""
    last = db.session.scalar(select(func.max(Story.id)))
    if last is None:
        return []
    ranges = select(func.generate_series(0, last // CHUNK).column_valued("n")).subquery()
    n = ranges.c.n
    found = _public_stories().where(Story.id >= n * CHUNK, Story.id < (n + 1) * CHUNK)
    return list(db.session.scalars(select(n).where(found.exists()).order_by(n)))


def stories_in_chunk(chunk: int) -> list[tuple[int, datetime | None]]:
    """(id, last change) of the public stories with ids in range ``chunk``, by id."""
    lo = chunk * CHUNK
    rows = db.session.execute(
        _public_stories().add_columns(func.greatest(Story.updated_at, Story.published_at))
        .where(Story.id >= lo, Story.id < lo + CHUNK).order_by(Story.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def published_tours() -> list[tuple[str, datetime | None]]:
    """(slug, last change) of every published tour (retired ones are not promoted)."""
    rows = db.session.execute(
        select(Tour.slug, func.greatest(Tour.updated_at, Tour.published_at))
        .where(visibility.public_tour())
        .order_by(Tour.id)
    ).all()
    return [(r[0], r[1]) for r in rows]


def theme_slugs() -> list[str]:
    """Every theme's slug, sorted (each theme has a public page)."""
    return list(db.session.scalars(select(Theme.slug).order_by(Theme.slug)))
