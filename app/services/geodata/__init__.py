"""Open data out of PostGIS: GeoJSON features, vector tiles and export rows for approved
places and published tours.

PostGIS builds the JSON (``json_build_object``, ``ST_AsGeoJSON``, ``json_agg``) and the
tiles (``ST_AsMVT``); Python only passes the bytes on. Peers that build GeoJSON row by row
in Python, count every page or transform with text SRIDs stay far below what the database
can serve (see docs/benchmarks.md), so every query here is one statement over the GiST index
with integer SRIDs.

Visibility comes from app/services/visibility.py (its SQL fragments, compiled from the one
definition of what the public may see): hidden, merged or unapproved places, media without a
public file and unpublished tours never leave this package.

The package by job: ``engine`` (the read engine: one round trip per read, straight through
the driver), ``sql`` (a place's and a tour's Feature in SQL), ``features`` (pages and single
features for the API and OGC API Features), ``tiles`` and ``feeds`` (feed rows, export).
The query strings are parsed in app/api/query_params.py; this package takes typed values.
"""

from __future__ import annotations

from app.services.geodata.features import (
    M_PER_DEG,
    MAX_LIMIT,
    SPATIAL_FIRST_DEG2,
    BBox,
    FeaturePage,
    PlaceQuery,
    any_place_feature,
    ogc_place,
    ogc_places,
    ogc_tours,
    place_feature,
    place_feature_and_version,
    place_version_tag,
    places_extent,
    places_page,
    tour_feature,
    tours_extent,
)
from app.services.geodata.feeds import (
    newest_places,
    published_tour_rows,
    stream_place_features,
    themes_with_counts,
    tours_for_export,
)
from app.services.geodata.sql import DATA_LICENCE, PUBLIC, TOUR_LICENCE
from app.services.geodata.tiles import (
    FULL_DETAIL_ZOOM,
    TILE_BUFFER,
    TILE_EXTENT,
    TILE_LAYER,
    places_tile,
    tile_cell,
    tile_sql,
)

__all__ = [
    "DATA_LICENCE", "FULL_DETAIL_ZOOM", "MAX_LIMIT", "M_PER_DEG", "PUBLIC", "SPATIAL_FIRST_DEG2",
    "TILE_BUFFER", "TILE_EXTENT", "TILE_LAYER", "TOUR_LICENCE", "BBox", "FeaturePage",
    "PlaceQuery", "any_place_feature", "newest_places", "ogc_place", "ogc_places", "ogc_tours",
    "place_feature", "place_feature_and_version", "place_version_tag", "places_extent",
    "places_page", "places_tile", "published_tour_rows", "stream_place_features",
    "themes_with_counts", "tile_cell", "tile_sql", "tour_feature", "tours_extent",
    "tours_for_export",
]
