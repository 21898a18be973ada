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

import math

from app.errors import ValidationError
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
    "parse_bbox",
    "place_feature", "place_feature_and_version", "place_version_tag", "places_extent",
    "places_page", "places_tile", "published_tour_rows", "stream_place_features",
    "themes_with_counts", "tile_cell", "tile_sql", "tour_feature", "tours_extent",
    "tours_for_export",
]


def parse_bbox(raw: str, field_name: str = "bbox") -> BBox:
    """Transitional, for the one caller outside this slice (app/api/tours.py) until it takes
    ``app.api.query_params.parse_bbox``, which this repeats (services may not import the API
    layer): ``minLon,minLat,maxLon,maxLat`` in WGS 84, or ValidationError naming the field."""
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
