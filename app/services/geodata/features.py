# SQL here is assembled from constants of this package only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Public places and published tours as GeoJSON features: pages in a stable order (by id,
or nearest first), single features and the collections' extents, for the API and OGC API
Features.

Callers hand in typed values (app/api/query_params.py parses the query string): a box, a
point, a range of years, the key of the last feature of the previous page. A page answers
the key of its last feature when more follow, for the caller to turn into a cursor or an
offset link.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.services import visibility
from app.services.geodata.engine import fetch, one, scalar
from app.services.geodata.sql import (
    ERA_END,
    PLACE_STORIES,
    PUBLIC,
    PUBLIC_TOUR,
    STORY_AND_MEDIA,
    TOUR_FEATURE,
    place_feature_sql,
)

MAX_LIMIT = 1000
# About 10 km x 10 km: below this a box's places are found by the GiST index first.
SPATIAL_FIRST_DEG2 = 0.015
# Metres per degree of latitude is 110 574 m at the equator; the smaller value errs on
# the safe side when a radius becomes a box of degrees.
M_PER_DEG = 110_000.0

BBox = tuple[float, float, float, float]  # minLon, minLat, maxLon, maxLat (WGS 84)


@dataclass
class PlaceQuery:
    """A validated request for public places (all optional).

    ``after`` continues a page: the key of the last feature of the previous one, ``(id,)``
    in id order, ``(distance_m, id)`` with ``near``."""

    bbox: BBox | None = None
    near: tuple[float, float] | None = None  # lon, lat
    radius: float | None = None
    themes: list[str] = field(default_factory=list)
    q: str | None = None
    era: tuple[int, int] | None = None  # first and last year, both included
    has_audio: bool | None = None
    limit: int = 100
    after: tuple | None = None


@dataclass
class FeaturePage:
    """A page of features as JSON text plus what the caller needs for links: ``next_key``,
    the order key of the last feature, when more follow (else None)."""

    features: str
    returned: int
    next_key: tuple | None = None


def _theme_ids(slugs: list[str]) -> list[int]:
    rows = fetch("SELECT slug, id FROM themes WHERE slug = ANY(:slugs)", {"slugs": slugs})
    found = dict(rows)
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError(f"Unknown theme: {', '.join(unknown)}.", field="theme")
    return sorted(set(found.values()))


def _filters(query: PlaceQuery, params: dict) -> list[str]:
    """SQL conditions (on ``places``) for everything but the geometry order."""
    where = [PUBLIC]
    if query.bbox:
        params.update(zip(("x0", "y0", "x1", "y1"), query.bbox, strict=True))
        where.append("places.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
    if query.themes:
        params["theme_ids"] = _theme_ids(query.themes)
        where.append(
            "EXISTS (SELECT 1 FROM place_themes pt WHERE pt.place_id = places.id "
            "AND pt.theme_id = ANY(:theme_ids))"
        )
    if query.q:
        q = query.q.strip()[:200]
        params["q"] = q
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["q_like"] = f"%{escaped}%"
        # Title by trigram index (accent- and case-insensitive), story words by the tsvector.
        where.append(
            "(f_unaccent(lower(places.title)) LIKE f_unaccent(lower(:q_like)) "
            "OR places.search_vector @@ websearch_to_tsquery('simple', f_unaccent(:q)))"
        )
    if query.era:
        params["era_lo"], params["era_hi"] = query.era
        # A place matches when its era overlaps the asked range.
        where.append(
            "places.era_year IS NOT NULL AND places.era_year <= :era_hi "
            f"AND {ERA_END} >= :era_lo"
        )
    if query.has_audio is not None:
        where.append(
            ("" if query.has_audio else "NOT ")
            + visibility.has_public_audio_sql("places", "m")
        )
    return where


def _page(sql: str, params: dict, limit: int, key_cols: str) -> FeaturePage:
    """Run ``sql`` (selecting ``f`` (json), ``rn`` and the key columns, ``limit + 1`` rows)
    and aggregate the first ``limit`` features in the database."""
    wrapped = f"""
        WITH page AS ({sql})
        SELECT coalesce(json_agg(f ORDER BY rn) FILTER (WHERE rn <= :limit), '[]'::json)::text,
               count(*),
               (array_agg(json_build_array({key_cols}) ORDER BY rn)
                   FILTER (WHERE rn = :limit))[1]::text
        FROM page"""
    params["limit"] = limit
    params["limit1"] = limit + 1
    features, n, last_key = one(wrapped, params)
    next_key = tuple(json.loads(last_key)) if n > limit and last_key else None
    return FeaturePage(features=features, returned=min(n, limit), next_key=next_key)


def places_page(query: PlaceQuery, site: str) -> FeaturePage:
    """Public places as a page of GeoJSON features in a stable order: by id, or with ``near``
    by distance (then id). ``next_key`` is the key to continue after (``query.after``)."""
    params: dict = {"site": site}
    where = _filters(query, params)
    if query.near is None:
        return _page(_by_id_sql(query, where, params), params, query.limit, "id")
    return _page(_nearest_sql(query, where, params), params, query.limit, "d, id")


def _by_id_sql(query: PlaceQuery, where: list[str], params: dict) -> str:
    """A page of places in id order."""
    if query.after:
        (params["after_id"],) = query.after
        where.append("places.id > :after_id")
    # Ids are not spatial: walking the primary key in id order until a small box has
    # yielded a page reads thousands of pages. For boxes up to SPATIAL_FIRST_DEG2 the
    # GiST index finds the box and only its rows are sorted ("+ 0" keeps the planner off
    # the id index); bigger boxes hold so many places that id order finds a page fast.
    order = "places.id"
    if query.bbox:
        x0, y0, x1, y1 = query.bbox
        if (x1 - x0) * (y1 - y0) <= SPATIAL_FIRST_DEG2:
            order = "places.id + 0"
    # The page's ids first, then the features of those alone: sorting only ids lets
    # PostgreSQL keep the top of the page (a bounded heap sort) instead of sorting
    # thousands of whole rows of a dense box. Each row is then one primary-key lookup
    # (LIMIT 1 keeps the planner from hashing a small table whole instead).
    return f"""SELECT places.id, row_number() OVER (ORDER BY places.id) AS rn,
                      {place_feature_sql()} AS f
               FROM (SELECT places.id FROM places WHERE {' AND '.join(where)}
                     ORDER BY {order} LIMIT :limit1) page_ids
               CROSS JOIN LATERAL (SELECT * FROM places
                                   WHERE places.id = page_ids.id LIMIT 1) places"""


def _nearest_sql(query: PlaceQuery, where: list[str], params: dict) -> str:
    """A page of places nearest first, answered in two index scans: the k nearest by planar
    (degree) distance bound the true k nearest on the spheroid (their farthest one is at most
    that far), and a box of that radius is then sorted by the real distance in metres."""
    lon, lat = query.near
    params.update(lon=lon, lat=lat, radius=query.radius)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    dist = f"ST_Distance(places.geom::geography, {point}::geography)"
    after = ""
    if query.after:
        params["after_d"], params["after_id"] = query.after
        after = f" AND ({dist}, places.id) > (:after_d, :after_id)"
    radius = " AND d <= :radius" if query.radius is not None else ""
    # cos() of the latitude farthest from the equator the box may reach; never zero.
    return f"""
        WITH knn AS (
            SELECT {dist} AS d FROM places
            WHERE {' AND '.join(where)}{after}
            ORDER BY places.geom <-> {point} LIMIT :limit1
        ), bound AS (
            SELECT max(d) AS m FROM knn
        ), box AS (
            SELECT m, ST_Expand({point}, m * 1.01 / ({M_PER_DEG} * greatest(0.01,
                       cos(radians(least(89.9, abs(:lat) + m / {M_PER_DEG}))))),
                       m * 1.01 / {M_PER_DEG}) AS g
            FROM bound WHERE m IS NOT NULL
        ), hits AS (
            SELECT places.id, {dist} AS d FROM places, box
            WHERE places.geom && box.g AND {' AND '.join(where)}{after}
        ), ranked AS (
            SELECT hits.id, hits.d, row_number() OVER (ORDER BY hits.d, hits.id) AS rn
            FROM hits, box WHERE hits.d <= box.m{radius}
            ORDER BY hits.d, hits.id LIMIT :limit1
        )
        SELECT ranked.id, ranked.d, ranked.rn,
               {place_feature_sql(", 'distance_m', round(ranked.d::numeric, 1)")} AS f
        FROM ranked JOIN places ON places.id = ranked.id"""


def place_feature(place_id: int, site: str, media_url: str) -> str | None:
    """One public place as a GeoJSON Feature (JSON text) with its story and media."""
    return scalar(
        f"SELECT {place_feature_sql(STORY_AND_MEDIA)}::text FROM places "
        f"WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id, "site": site, "media_url": media_url},
    )


def place_feature_and_version(place_id: int, site: str, media_url: str) -> tuple[str, int] | None:
    """``place_feature`` with the place's public stories (``story_count`` and the newest
    ``MAX_PLACE_STORIES`` summaries) and the place's ``version`` (its edit lock, for the
    ETag and for those who may edit), in the same round trip; None when the place is not
    public."""
    rows = fetch(
        f"SELECT {place_feature_sql(STORY_AND_MEDIA + PLACE_STORIES)}::text, places.version "
        "FROM places "
        f"WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id, "site": site, "media_url": media_url},
    )
    return (rows[0][0], rows[0][1]) if rows else None


def any_place_feature(place_id: int, site: str) -> dict | None:
    """A place in any state as the Feature the public gets of a public one (without its
    own story and media, with its public stories' count and summaries): the part of a
    place's Feature everyone shares, for the owner's view, which adds what only they see.
    Read through the session, as the owner asks right after their own write of this
    request, which the read engine would not see yet."""
    found = db.session.execute(
        text(f"SELECT {place_feature_sql(PLACE_STORIES)}::text FROM places "
             "WHERE places.id = :id"),
        {"id": place_id, "site": site},
    ).scalar()
    return None if found is None else json.loads(found)


def place_version_tag(place_id: int) -> str | None:
    """A cheap validator of a place's public state, or None when it is not public."""
    return scalar(
        f"SELECT places.version || '-' || extract(epoch FROM places.updated_at) "
        f"FROM places WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id},
    )


# --- OGC items ----------------------------------------------------------------------------


def ogc_places(
    bbox: BBox | None, years: tuple[int, int] | None, limit: int, offset: int, site: str
) -> FeaturePage:
    """Public places ordered by id, for OGC API Features offset paging; ``years`` filters by
    era (first and last year, both included)."""
    query = PlaceQuery(bbox=bbox, era=years)
    params: dict = {"site": site, "offset": offset}
    where = _filters(query, params)
    # Numbered after OFFSET: a window function in the same SELECT would count skipped rows.
    sql = f"""SELECT s.*, row_number() OVER (ORDER BY s.id) AS rn FROM (
                  SELECT places.id, {place_feature_sql()} AS f
                  FROM places WHERE {' AND '.join(where)}
                  ORDER BY places.id LIMIT :limit1 OFFSET :offset) s"""
    return _page(sql, params, limit, "id")


def ogc_place(place_id: int, site: str, media_url: str) -> str:
    """``place_feature``, or NotFound."""
    found = place_feature(place_id, site, media_url)
    if found is None:
        raise NotFound("No public place with this id.")
    return found


def places_extent() -> list[float] | None:
    """[minLon, minLat, maxLon, maxLat] of the places table from the planner's statistics
    (cheap at any size; may include not yet public rows), else computed."""
    row = one(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_EstimatedExtent('places', 'geom')::geometry AS e) s"
    )
    if row[0] is None:
        row = one(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            f"(SELECT ST_Extent(geom)::geometry AS e FROM places WHERE {PUBLIC}) s"
        )
    if row[0] is None:
        return None
    return [round(v, 6) for v in row]


# --- tours -------------------------------------------------------------------------------


def _tour_where(
    bbox: BBox | None, published: tuple[datetime | None, datetime | None] | None, params: dict
) -> str:
    where = [PUBLIC_TOUR]
    if bbox:
        params.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
        where.append("tours.route && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
    if published:
        start, end = published
        if start:
            params["t0"] = start
            where.append("tours.published_at >= CAST(:t0 AS timestamptz)")
        if end:
            params["t1"] = end
            where.append("tours.published_at <= CAST(:t1 AS timestamptz)")
    return " AND ".join(where)


def ogc_tours(
    bbox: BBox | None,
    published: tuple[datetime | None, datetime | None] | None,
    limit: int,
    offset: int,
    site: str,
) -> FeaturePage:
    """Published tours (route as LineString), ordered by id; ``published`` bounds their
    publication time (either end may be open)."""
    params: dict = {"site": site, "offset": offset}
    where = _tour_where(bbox, published, params)
    sql = f"""SELECT s.*, row_number() OVER (ORDER BY s.id) AS rn FROM (
                  SELECT tours.id, {TOUR_FEATURE} AS f
                  FROM tours WHERE {where} ORDER BY tours.id LIMIT :limit1 OFFSET :offset) s"""
    return _page(sql, params, limit, "id")


def tour_feature(slug: str, site: str) -> str | None:
    """One published tour as a GeoJSON Feature (JSON text), or None."""
    return scalar(
        f"SELECT {TOUR_FEATURE}::text FROM tours WHERE tours.slug = :slug AND {PUBLIC_TOUR}",
        {"slug": slug, "site": site},
    )


def tours_extent() -> list[float] | None:
    """[minLon, minLat, maxLon, maxLat] of the published tours' routes, or None."""
    row = one(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
        f"ST_Extent(route)::geometry AS e FROM tours WHERE {PUBLIC_TOUR}) s"
    )
    return None if row[0] is None else [round(v, 6) for v in row]
