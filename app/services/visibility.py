"""What everyone may see: the one definition of a public place, public media and a public tour.

Every reader uses these, whichever way it queries: the ORM expressions for SQLAlchemy
queries, the SQL fragments (compiled from the same expressions) for the hand-written SQL of
the read engine, tiles, feeds, search and offline packs. A new rule is added here once and
holds on every surface.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import ColumnElement, and_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from app.models import Media, MediaKind, MediaStatus, Place, PlaceStatus, Tour, TourStatus

# Kinds of media anyone may see; consent scans are never public.
PUBLIC_MEDIA_KINDS = (MediaKind.PHOTO, MediaKind.AUDIO)
# A published tour is listed and followed; a retired one keeps its address with a notice.
REACHABLE_TOUR_STATUSES = (TourStatus.PUBLISHED, TourStatus.RETIRED)


def public_place(entity=Place) -> ColumnElement[bool]:
    """Approved, not hidden, not merged into another place."""
    return and_(
        entity.status == PlaceStatus.APPROVED,
        entity.hidden_at.is_(None),
        entity.merged_into_id.is_(None),
    )


def public_media(entity=Media) -> ColumnElement[bool]:
    """An approved, visible photo or recording with a re-encoded public file. Whether its
    place is public is a separate condition (``public_place``)."""
    return and_(
        entity.status == MediaStatus.APPROVED,
        entity.hidden_at.is_(None),
        entity.kind.in_(PUBLIC_MEDIA_KINDS),
        entity.variants.has_key("public"),
    )


def public_tour(entity=Tour) -> ColumnElement[bool]:
    """Published: listed, searchable, followed, in feeds and sitemaps."""
    return entity.status == TourStatus.PUBLISHED


def reachable_tour(entity=Tour) -> ColumnElement[bool]:
    """Published or retired: the tour's own page, data and downloads still answer."""
    return entity.status.in_(REACHABLE_TOUR_STATUSES)


def _sql(expression: ColumnElement[bool]) -> str:
    compiled = expression.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return f"({compiled})"


@cache
def place_sql(alias: str = "places") -> str:
    """``public_place`` as SQL over the places table named ``alias`` in the query."""
    return _sql(public_place(aliased(Place, name=alias) if alias != "places" else Place))


@cache
def media_sql(alias: str = "media") -> str:
    """``public_media`` as SQL over the media table named ``alias`` in the query."""
    return _sql(public_media(aliased(Media, name=alias) if alias != "media" else Media))


@cache
def tour_sql(alias: str = "tours") -> str:
    """``public_tour`` as SQL over the tours table named ``alias`` in the query."""
    return _sql(public_tour(aliased(Tour, name=alias) if alias != "tours" else Tour))


@cache
def reachable_tour_sql(alias: str = "tours") -> str:
    """``reachable_tour`` as SQL over the tours table named ``alias`` in the query."""
    return _sql(reachable_tour(aliased(Tour, name=alias) if alias != "tours" else Tour))
