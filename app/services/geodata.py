# SQL here is assembled from constants of this module only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Open data out of PostGIS: GeoJSON features, vector tiles and export rows for approved
places and published tours.

PostGIS builds the JSON (``json_build_object``, ``ST_AsGeoJSON``, ``json_agg``) and the
tiles (``ST_AsMVT``); Python only passes the bytes on. Peers that build GeoJSON row by row
in Python, count every page or transform with text SRIDs stay far below what the database
can serve (see docs/benchmarks.md), so every query here is one statement over the GiST index
with integer SRIDs.

Visibility comes from app/services/visibility.py (its SQL fragments, compiled from the one
definition of what the public may see): hidden, merged or unapproved places, media without a
public file and unpublished tours never leave this module.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.dialects.postgresql.psycopg2 import dialect as psycopg2_dialect

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.services import visibility
from app.services.themes import all_themes

# Place data (position, title, facts) is CC0; the story text and media carry their own licence.
DATA_LICENCE = "CC0-1.0"
TOUR_LICENCE = "CC-BY-SA-4.0"
MAX_LIMIT = 1000
# About 10 km x 10 km: below this a box's places are found by the GiST index first.
SPATIAL_FIRST_DEG2 = 0.015
# Metres per degree of latitude is 110 574 m at the equator; the smaller value errs on
# the safe side when a radius becomes a box of degrees.
M_PER_DEG = 110_000.0


# What the public may see, over the tables ``places`` and ``tours`` (not aliased below).
PUBLIC = visibility.place_sql("places")
_PUBLIC_TOUR = visibility.tour_sql("tours")

_ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

# Public media of a place: never a consent scan, never without a public file.
_PUBLIC_MEDIA = visibility.place_media_sql("places", "m")

# Per row an index probe (LIMIT 1 keeps the planner from hashing the whole media table); the
# same condition as ``visibility.has_public_audio_sql`` used by the filter below.
_HAS_AUDIO = (
    "coalesce((SELECT true FROM media m WHERE "
    f"{visibility.place_media_sql('places', 'm', 'audio')} LIMIT 1), false)"
)

_PLACE_PROPERTIES = f"""json_build_object(
    'title', places.title,
    'summary', places.summary,
    'themes', coalesce((SELECT json_agg(t.slug ORDER BY t.slug) FROM place_themes pt
                        JOIN themes t ON t.id = pt.theme_id WHERE pt.place_id = places.id),
                       '[]'::json),
    'era', CASE WHEN places.era_year IS NULL THEN NULL
                ELSE json_build_object('year', places.era_year,
                                       'precision', places.era_precision) END,
    'language', places.language,
    'has_audio', {_HAS_AUDIO},
    'step_free', places.step_free,
    'published_at', to_char(places.published_at AT TIME ZONE 'UTC', {_ISO}),
    'updated_at', to_char(places.updated_at AT TIME ZONE 'UTC', {_ISO}),
    'url', CAST(:site AS text) || '/places/' || places.id,
    'licence', places.licence,
    'data_licence', '{DATA_LICENCE}',
    'attribution', coalesce(nullif(places.credit_name, ''), places.author_name,
                            'Stadtspur contributors')
    {{extra}})"""


def _place_feature(extra: str = "") -> str:
    """SQL of one place as a GeoJSON Feature (json); ``extra`` adds properties."""
    props = _PLACE_PROPERTIES.replace("{extra}", extra)
    return (
        "json_build_object('type', 'Feature', 'id', places.id, "
        f"'geometry', ST_AsGeoJSON(places.geom, 6)::json, 'properties', {props})"
    )


_MEDIA_LIST = f"""coalesce((SELECT json_agg(json_build_object(
        'id', m.id, 'kind', m.kind, 'mime', CASE WHEN m.kind = 'photo' THEN 'image/jpeg'
                                                 ELSE m.mime END,
        'url', CAST(:media_url AS text) || (m.variants->>'public'),
        'thumbnail_url', CAST(:media_url AS text) || (m.variants->>'thumb'),
        'width', m.width, 'height', m.height, 'duration_s', m.duration_s,
        'caption', m.caption, 'credit', m.credit, 'licence', m.licence)
        ORDER BY m.position, m.id)
      FROM media m WHERE {_PUBLIC_MEDIA}), '[]'::json)"""


# --- one round trip per read -----------------------------------------------------------------
#
# Through the ORM session a read costs four round trips to the database (pool ping, BEGIN, the
# query, ROLLBACK at teardown); under load that, not the query, bounds requests per second.
# Public reads need no transaction: they run on an autocommit engine of their own without the
# ping, and a connection found dead is replaced by retrying once. Tests bind the session to
# an outer transaction (tests/conftest.py); then reads go through the session to see its data.
#
# On that engine the statement goes to the driver's cursor directly, compiled once per SQL
# text: SQLAlchemy's per-execution work (cache key, execution context, result rows) cost
# about a quarter of a millisecond per request, close to the database's own work for one
# place (docs/benchmarks.md).

_DIALECT = psycopg2_dialect()


def _read_engine():
    from flask import current_app
    from sqlalchemy import create_engine

    app = current_app._get_current_object()
    engine = app.extensions.get("stadtspur_read_engine")
    if engine is None:
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        engine = create_engine(
            app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT", **options
        )
        app.extensions["stadtspur_read_engine"] = engine
    return engine


@lru_cache(maxsize=512)
def _driver_sql(sql: str) -> str:
    """``sql`` with its ``:name`` parameters in the driver's ``%(name)s`` style (and literal
    ``%`` escaped), compiled once per distinct text."""
    return str(text(sql).compile(dialect=_DIALECT))


def _fetch(sql: str, params: dict | None = None, mapping: bool = False) -> list:
    """All rows of the read-only statement ``sql`` (``:name`` parameters), in one round trip:
    tuples, or dicts by column name with ``mapping``. Database errors surface as SQLAlchemy's
    (so a dead database answers 503 like everywhere else)."""
    from sqlalchemy.engine import Engine
    from sqlalchemy.exc import DBAPIError

    params = params or {}
    if not isinstance(db.engines.get(None), Engine):  # a test's outer transaction
        result = db.session.execute(text(sql), params)
        return [dict(r._mapping) for r in result] if mapping else [tuple(r) for r in result]
    engine = _read_engine()
    statement = _driver_sql(sql)
    for attempt in (1, 2):
        conn = cursor = None
        try:
            conn = engine.raw_connection()
            cursor = conn.cursor()
            cursor.execute(statement, params)
            rows = cursor.fetchall()
            if mapping:
                names = [column.name for column in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in rows]
            return rows
        except engine.dialect.loaded_dbapi.Error as exc:
            if conn is None:  # no connection at all: the database is down
                dead = True
            else:
                dead = engine.dialect.is_disconnect(exc, conn.dbapi_connection, cursor)
                if dead:
                    conn.invalidate(exc)
                    if attempt == 1:
                        continue  # the server restarted since this connection was pooled
            raise DBAPIError.instance(
                statement, params, exc, engine.dialect.loaded_dbapi.Error,
                connection_invalidated=dead, dialect=engine.dialect,
            ) from exc
        finally:
            if cursor is not None and not cursor.closed:
                cursor.close()
            if conn is not None:
                conn.close()
    raise AssertionError("unreachable")


def _one(sql: str, params: dict | None = None):
    rows = _fetch(sql, params)
    if len(rows) != 1:
        raise RuntimeError(f"expected one row, got {len(rows)}")
    return rows[0]


def _scalar(sql: str, params: dict | None = None):
    rows = _fetch(sql, params)
    return rows[0][0] if rows else None


# --- parameters ----------------------------------------------------------------------------


@dataclass
class PlaceQuery:
    """A validated request for public places (all optional)."""

    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float] | None = None
    radius: float | None = None
    themes: list[str] = field(default_factory=list)
    q: str | None = None
    era: tuple[int, int] | None = None
    has_audio: bool | None = None
    limit: int = 100
    cursor: str | None = None


def parse_bbox(raw: str, field_name: str = "bbox") -> tuple[float, float, float, float]:
    """``minLon,minLat,maxLon,maxLat`` in WGS 84, or ValidationError naming the field."""
    try:
        parts = [float(v) for v in raw.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # OGC allows a 3D box: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(math.isfinite(v) for v in parts):
        raise ValidationError(
            "bbox must be four numbers: minLon,minLat,maxLon,maxLat.", field=field_name
        )
    min_lon, min_lat, max_lon, max_lat = parts
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(
            "bbox must lie within -180..180, -90..90 with min before max.", field=field_name
        )
    return min_lon, min_lat, max_lon, max_lat


def parse_point(raw: str, field_name: str = "near") -> tuple[float, float]:
    """``lon,lat`` in WGS 84."""
    try:
        lon, lat = (float(v) for v in raw.split(","))
    except ValueError as exc:
        raise ValidationError("near must be lon,lat in degrees.", field=field_name) from exc
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError("near must be lon,lat within -180..180, -90..90.", field=field_name)
    return lon, lat


def parse_era(raw: str) -> tuple[int, int]:
    """``1950`` (that year), ``1950s`` (that decade) or ``1900/1950`` (a range of years)."""
    value = raw.strip()
    try:
        if "/" in value:
            lo, hi = (int(v) for v in value.split("/", 1))
        elif value.endswith("s"):
            lo = int(value[:-1])
            if lo % 10:
                raise ValueError
            hi = lo + 9
        else:
            lo = hi = int(value)
    except ValueError as exc:
        raise ValidationError(
            "era must be a year (1950), a decade (1950s) or a range (1900/1950).", field="era"
        ) from exc
    if not (-9999 <= lo <= hi <= 9999):
        raise ValidationError("era must be between -9999 and 9999, start before end.", field="era")
    return lo, hi


def encode_cursor(kind: str, *key) -> str:
    raw = json.dumps([kind, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, types: tuple[type, ...]) -> list:
    """The key of the last item of the previous page; ValidationError when not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, list) or value[0] != kind or len(value) != len(types) + 1:
            raise ValueError
        key = [t(v) for t, v in zip(types, value[1:], strict=True)]
        if any(isinstance(v, float) and not math.isfinite(v) for v in key):
            raise ValueError
        return key
    except (ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "This cursor is not valid for this query: use next_cursor from the previous page.",
            field="cursor",
        ) from exc


# --- places ------------------------------------------------------------------------------


def _theme_ids(slugs: list[str]) -> list[int]:
    rows = _fetch("SELECT slug, id FROM themes WHERE slug = ANY(:slugs)", {"slugs": slugs})
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
        # A decade covers ten years; a place matches when its era overlaps the asked range.
        where.append(
            "places.era_year IS NOT NULL AND places.era_year <= :era_hi AND places.era_year + "
            "CASE WHEN places.era_precision = 'decade' THEN 9 ELSE 0 END >= :era_lo"
        )
    if query.has_audio is not None:
        where.append(
            ("" if query.has_audio else "NOT ")
            + visibility.has_public_audio_sql("places", "m")
        )
    return where


@dataclass
class FeaturePage:
    """A page of features as JSON text plus what the caller needs for links."""

    features: str
    returned: int
    next_cursor: str | None = None


def _page(sql: str, params: dict, limit: int, key_cols: str, kind: str) -> FeaturePage:
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
    features, n, last_key = _one(wrapped, params)
    next_cursor = None
    if n > limit and last_key:
        next_cursor = encode_cursor(kind, *json.loads(last_key))
    return FeaturePage(features=features, returned=min(n, limit), next_cursor=next_cursor)


def places_page(query: PlaceQuery, site: str) -> FeaturePage:
    """Public places as a page of GeoJSON features in a stable order: by id, or with ``near``
    by distance (then id). ``next_cursor`` continues after the last feature.

    ``near`` is answered in two index scans: the k nearest by planar (degree) distance bound
    the true k nearest on the spheroid (their farthest one is at most that far), and a box of
    that radius is then sorted by the real distance in metres."""
    params: dict = {"site": site}
    where = _filters(query, params)
    if query.near is None:
        if query.cursor:
            (params["after_id"],) = decode_cursor(query.cursor, "id", (int,))
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
        sql = f"""SELECT places.id, row_number() OVER (ORDER BY places.id) AS rn,
                         {_place_feature()} AS f
                  FROM (SELECT places.id FROM places WHERE {' AND '.join(where)}
                        ORDER BY {order} LIMIT :limit1) page_ids
                  CROSS JOIN LATERAL (SELECT * FROM places
                                      WHERE places.id = page_ids.id LIMIT 1) places"""
        return _page(sql, params, query.limit, "id", "id")

    lon, lat = query.near
    params.update(lon=lon, lat=lat, radius=query.radius)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    dist = f"ST_Distance(places.geom::geography, {point}::geography)"
    after = ""
    if query.cursor:
        params["after_d"], params["after_id"] = decode_cursor(query.cursor, "near", (float, int))
        after = f" AND ({dist}, places.id) > (:after_d, :after_id)"
    radius = " AND d <= :radius" if query.radius is not None else ""
    # cos() of the latitude farthest from the equator the box may reach; never zero.
    sql = f"""
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
               {_place_feature(", 'distance_m', round(ranked.d::numeric, 1)")} AS f
        FROM ranked JOIN places ON places.id = ranked.id"""
    return _page(sql, params, query.limit, "d, id", "near")


_ONE_PLACE_EXTRA = (
    ", 'body', places.body, 'author', coalesce(nullif(places.credit_name, ''), "
    "places.author_name), 'media', " + _MEDIA_LIST
)


def place_feature(place_id: int, site: str, media_url: str) -> str | None:
    """One public place as a GeoJSON Feature (JSON text) with its story and media."""
    return _scalar(
        f"SELECT {_place_feature(_ONE_PLACE_EXTRA)}::text FROM places "
        f"WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id, "site": site, "media_url": media_url},
    )


def place_feature_and_version(place_id: int, site: str, media_url: str) -> tuple[str, int] | None:
    """``place_feature`` and the place's ``version`` (its edit lock, for the ETag and for
    those who may edit), in the same round trip; None when the place is not public."""
    rows = _fetch(
        f"SELECT {_place_feature(_ONE_PLACE_EXTRA)}::text, places.version FROM places "
        f"WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id, "site": site, "media_url": media_url},
    )
    return (rows[0][0], rows[0][1]) if rows else None


def place_version_tag(place_id: int) -> str | None:
    """A cheap validator of a place's public state, or None when it is not public."""
    return _scalar(
        f"SELECT places.version || '-' || extract(epoch FROM places.updated_at) "
        f"FROM places WHERE places.id = :id AND {PUBLIC}",
        {"id": place_id},
    )


# --- OGC items ----------------------------------------------------------------------------


def ogc_places(
    bbox, years: tuple[int, int] | None, limit: int, offset: int, site: str
) -> FeaturePage:
    """Public places ordered by id, for OGC API Features offset paging."""
    query = PlaceQuery(bbox=bbox, era=years)
    params: dict = {"site": site, "offset": offset}
    where = _filters(query, params)
    # Numbered after OFFSET: a window function in the same SELECT would count skipped rows.
    sql = f"""SELECT s.*, row_number() OVER (ORDER BY s.id) AS rn FROM (
                  SELECT places.id, {_place_feature()} AS f
                  FROM places WHERE {' AND '.join(where)}
                  ORDER BY places.id LIMIT :limit1 OFFSET :offset) s"""
    return _page(sql, params, limit, "id", "id")


def ogc_place(place_id: int, site: str, media_url: str) -> str:
    found = place_feature(place_id, site, media_url)
    if found is None:
        raise NotFound("No public place with this id.")
    return found


def places_extent() -> list[float] | None:
    """[minLon, minLat, maxLon, maxLat] of the places table from the planner's statistics
    (cheap at any size; may include not yet public rows), else computed."""
    row = _one(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
        "(SELECT ST_EstimatedExtent('places', 'geom')::geometry AS e) s"
    )
    if row[0] is None:
        row = _one(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            f"(SELECT ST_Extent(geom)::geometry AS e FROM places WHERE {PUBLIC}) s"
        )
    if row[0] is None:
        return None
    return [round(v, 6) for v in row]


# --- tours -------------------------------------------------------------------------------

_TOUR_FEATURE = f"""json_build_object(
    'type', 'Feature', 'id', tours.slug,
    'geometry', ST_AsGeoJSON(tours.route, 6)::json,
    'properties', json_build_object(
        'slug', tours.slug,
        'title', tours.title,
        'intro', tours.intro,
        'theme', (SELECT slug FROM themes WHERE themes.id = tours.theme_id),
        'language', tours.language,
        'length_m', tours.length_m,
        'duration_min', tours.duration_normal_min,
        'duration_relaxed_min', tours.duration_relaxed_min,
        'accessibility', tours.accessibility,
        'stops', coalesce((SELECT json_agg(json_build_object(
                    'number', s.position, 'place_id', places.id, 'title', places.title,
                    'lon', round(ST_X(places.geom)::numeric, 6),
                    'lat', round(ST_Y(places.geom)::numeric, 6)) ORDER BY s.position)
                  FROM tour_stops s JOIN places ON places.id = s.place_id
                  WHERE s.tour_id = tours.id AND {PUBLIC}), '[]'::json),
        'published_at', to_char(tours.published_at AT TIME ZONE 'UTC', {_ISO}),
        'updated_at', to_char(tours.updated_at AT TIME ZONE 'UTC', {_ISO}),
        'url', CAST(:site AS text) || '/tours/' || tours.slug,
        'gpx_url', CAST(:site AS text) || '/api/v1/tours/' || tours.slug || '.gpx',
        'licence', '{TOUR_LICENCE}',
        'attribution', coalesce((SELECT display_name FROM users WHERE users.id = tours.author_id),
                                'Stadtspur contributors')))"""


def _tour_where(bbox, published: tuple[str | None, str | None] | None, params: dict) -> str:
    where = [_PUBLIC_TOUR]
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


def ogc_tours(bbox, published, limit: int, offset: int, site: str) -> FeaturePage:
    """Published tours (route as LineString), ordered by id."""
    params: dict = {"site": site, "offset": offset}
    where = _tour_where(bbox, published, params)
    sql = f"""SELECT s.*, row_number() OVER (ORDER BY s.id) AS rn FROM (
                  SELECT tours.id, {_TOUR_FEATURE} AS f
                  FROM tours WHERE {where} ORDER BY tours.id LIMIT :limit1 OFFSET :offset) s"""
    return _page(sql, params, limit, "id", "id")


def tour_feature(slug: str, site: str) -> str | None:
    return _scalar(
        f"SELECT {_TOUR_FEATURE}::text FROM tours WHERE tours.slug = :slug "
        f"AND {_PUBLIC_TOUR}",
        {"slug": slug, "site": site},
    )


def tours_extent() -> list[float] | None:
    row = _one(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
        f"ST_Extent(route)::geometry AS e FROM tours WHERE {_PUBLIC_TOUR}) s"
    )
    return None if row[0] is None else [round(v, 6) for v in row]


# --- vector tiles --------------------------------------------------------------------------

TILE_EXTENT = 4096
TILE_BUFFER = 64
TILE_LAYER = "places"
# Below this zoom a tile keeps one place per grid cell (the lowest id), so tiles of a whole
# country stay small; from it on every place is in its tile.
FULL_DETAIL_ZOOM = 14


def tile_cell(z: int) -> int:
    """Grid cell in tile units for thinning at zoom ``z`` (0: no thinning)."""
    if z >= FULL_DETAIL_ZOOM:
        return 0
    return min(64, 4 * 2 ** max(0, (FULL_DETAIL_ZOOM - 1 - z) // 2))


def tile_sql(thin: bool) -> str:
    """The SQL of a places tile; bench/ runs the same text as the raw ceiling.

    Themes and recordings are joined as sets for the places kept in the tile (a z14 tile of
    a city centre holds ten thousand places: one index probe each would double its time)."""
    kept = "SELECT id, title, geom FROM hit WHERE geom IS NOT NULL"
    if thin:
        kept = """SELECT DISTINCT ON (floor(ST_X(geom) / :cell), floor(ST_Y(geom) / :cell))
                         id, title, geom
                  FROM hit WHERE geom IS NOT NULL
                  ORDER BY floor(ST_X(geom) / :cell), floor(ST_Y(geom) / :cell), id"""
    return f"""
        WITH hit AS MATERIALIZED (
            SELECT places.id, places.title,
                   ST_AsMVTGeom(ST_Transform(places.geom, 3857), ST_TileEnvelope(:z, :x, :y),
                                {TILE_EXTENT}, {TILE_BUFFER}, true) AS geom
            FROM places
            WHERE places.geom && ST_Transform(
                      ST_TileEnvelope(:z, :x, :y, margin => {TILE_BUFFER / TILE_EXTENT}), 4326)
              AND {PUBLIC}
        ), kept AS MATERIALIZED ({kept}
        ), theme AS (
            SELECT pt.place_id, min(t.slug) AS slug
            FROM place_themes pt JOIN themes t ON t.id = pt.theme_id
            WHERE pt.place_id IN (SELECT id FROM kept) GROUP BY pt.place_id
        ), audio AS (
            SELECT DISTINCT m.place_id FROM media m
            WHERE m.place_id IN (SELECT id FROM kept) AND m.kind = 'audio'
              AND {visibility.media_sql("m")}
        )
        SELECT ST_AsMVT(tile.*, '{TILE_LAYER}', {TILE_EXTENT}, 'geom', 'id') FROM (
            SELECT kept.id, kept.title, theme.slug AS theme,
                   audio.place_id IS NOT NULL AS has_audio, kept.geom
            FROM kept LEFT JOIN theme ON theme.place_id = kept.id
                      LEFT JOIN audio ON audio.place_id = kept.id) tile"""


def places_tile(z: int, x: int, y: int) -> bytes:
    """The Mapbox vector tile z/x/y of public places (b'' when empty)."""
    n = 1 << z
    if not (0 <= z <= 22 and 0 <= x < n and 0 <= y < n):
        raise NotFound("No such tile.")
    cell = tile_cell(z)
    data = _scalar(tile_sql(bool(cell)), {"z": z, "x": x, "y": y, "cell": cell})
    return bytes(data or b"")


def themes_with_counts() -> list[dict]:
    """Every theme with the number of its approved places, by slug, as API dicts."""
    return [
        {
            "slug": row["theme"].slug,
            "name": {"de": row["theme"].name_de, "en": row["theme"].name_en},
            "description": {"de": row["theme"].description_de, "en": row["theme"].description_en},
            "colour": row["theme"].colour,
            "icon": row["theme"].icon,
            "places": row["place_count"],
        }
        for row in all_themes()
    ]


# --- feeds and export ----------------------------------------------------------------------


def newest_places(limit: int = 50, theme_slug: str | None = None) -> list[dict]:
    """The newest public places (optionally of one theme) with what a feed entry needs."""
    params: dict = {"limit": limit}
    theme_join = ""
    if theme_slug:
        params["theme"] = theme_slug
        theme_join = (
            "JOIN place_themes tp ON tp.place_id = places.id "
            "JOIN themes th ON th.id = tp.theme_id AND th.slug = :theme"
        )
    rows = _fetch(
        f"""
            SELECT places.id, places.title, places.summary, places.body, places.licence,
                   coalesce(nullif(places.credit_name, ''), places.author_name,
                            'Stadtspur contributors') AS attribution,
                   coalesce(places.published_at, places.created_at) AS published,
                   greatest(places.updated_at, places.published_at) AS updated,
                   ST_X(places.geom) AS lon, ST_Y(places.geom) AS lat,
                   ARRAY(SELECT t.slug FROM place_themes pt JOIN themes t ON t.id = pt.theme_id
                         WHERE pt.place_id = places.id ORDER BY t.slug) AS themes
            FROM places {theme_join}
            WHERE {PUBLIC}
            ORDER BY places.published_at DESC NULLS LAST, places.id DESC
            LIMIT :limit""",
        params,
        mapping=True,
    )
    return rows


def published_tour_rows(limit: int = 50) -> list[dict]:
    """Published tours, newest first, with their start point (first visible stop, else the
    route's start) as ``lon``/``lat``."""
    rows = _fetch(
        f"""
            SELECT tours.slug, tours.title, tours.intro, tours.length_m,
                   tours.duration_normal_min, tours.published_at, tours.updated_at,
                   (SELECT slug FROM themes WHERE themes.id = tours.theme_id) AS theme,
                   coalesce((SELECT display_name FROM users WHERE users.id = tours.author_id),
                            'Stadtspur contributors') AS attribution,
                   ST_X(start.g) AS lon, ST_Y(start.g) AS lat
            FROM tours
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT places.geom FROM tour_stops s
                                 JOIN places ON places.id = s.place_id
                                 WHERE s.tour_id = tours.id AND {PUBLIC}
                                 ORDER BY s.position LIMIT 1),
                                ST_StartPoint(tours.route)) AS g) start
            WHERE {_PUBLIC_TOUR}
            ORDER BY tours.published_at DESC NULLS LAST, tours.id DESC LIMIT :limit""",
        {"limit": limit},
        mapping=True,
    )
    return rows


def stream_place_features(site: str, media_url: str, batch: int = 2000) -> Iterator[str]:
    """Every public place as a GeoJSON Feature (JSON text with story and media), in id order,
    read through a server-side cursor so a million places never sit in memory at once."""
    extra = (
        ", 'body', places.body, 'author', coalesce(nullif(places.credit_name, ''), "
        "places.author_name), 'media', " + _MEDIA_LIST
    )
    sql = text(
        f"SELECT {_place_feature(extra)}::text FROM places WHERE {PUBLIC} ORDER BY places.id"
    )
    result = db.session.execute(
        sql, {"site": site, "media_url": media_url}, execution_options={"yield_per": batch}
    )
    for (feature,) in result:
        yield feature


def tours_for_export(site: str) -> list[tuple[str, str]]:
    """(slug, Feature JSON text) of every published tour."""
    return [
        tuple(r)
        for r in db.session.execute(
            text(f"SELECT tours.slug, {_TOUR_FEATURE}::text FROM tours "
                 f"WHERE {_PUBLIC_TOUR} ORDER BY tours.id"),
            {"site": site},
        )
    ]


def year_range(start: date | None, end: date | None) -> tuple[int, int]:
    """An OGC datetime interval as a range of years for the places' era."""
    return (start.year if start else -9999, end.year if end else 9999)
