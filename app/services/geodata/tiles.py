# SQL here is assembled from constants of this package only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Mapbox vector tiles of public places, built by PostGIS (``ST_AsMVT``) in one statement:
each place with its id, title, first theme, whether it has a recording and how many public
stories it holds."""

from __future__ import annotations

from app.errors import NotFound
from app.models.statuses import MediaKind
from app.services import visibility
from app.services.geodata.engine import scalar
from app.services.geodata.sql import PUBLIC

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
    a city centre holds ten thousand places: one index probe each would double its time).

    ``story_count`` (the place's public stories) is one probe of ``ix_stories_place_created``
    per kept place, filtered on the heap: measured on 100 000 places with 200 000 stories
    (a z14 centre tile of 1 234 places) the tile took 5.1 ms without it, 7.8 ms with this
    correlated count and 8.4 ms with a grouped count joined back (the planner runs the same
    probes and hashes them once more). A partial index of the public stories by place would
    make the probes index-only (6.5 ms); it needs a migration."""
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
            WHERE m.place_id IN (SELECT id FROM kept) AND m.kind = '{MediaKind.AUDIO}'
              AND {visibility.media_sql("m")}
        )
        SELECT ST_AsMVT(tile.*, '{TILE_LAYER}', {TILE_EXTENT}, 'geom', 'id') FROM (
            SELECT kept.id, kept.title, theme.slug AS theme,
                   audio.place_id IS NOT NULL AS has_audio,
                   (SELECT count(*) FROM stories s WHERE s.place_id = kept.id
                      AND {visibility.story_visible_sql("s")}) AS story_count,
                   kept.geom
            FROM kept LEFT JOIN theme ON theme.place_id = kept.id
                      LEFT JOIN audio ON audio.place_id = kept.id) tile"""


def places_tile(z: int, x: int, y: int) -> bytes:
    """The Mapbox vector tile z/x/y of public places (b'' when empty)."""
    n = 1 << z
    if not (0 <= z <= 22 and 0 <= x < n and 0 <= y < n):
        raise NotFound("No such tile.")
    cell = tile_cell(z)
    data = scalar(tile_sql(bool(cell)), {"z": z, "x": x, "y": y, "cell": cell})
    return bytes(data or b"")
