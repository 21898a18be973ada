# SQL here is assembled from constants of this package only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""The SQL that builds a place's and a tour's GeoJSON Feature in PostGIS, shared by every
reader of this package (pages of features, single features, the export).

What the public may see comes from app/services/visibility.py (its SQL fragments, compiled
from the one definition); the fragments here are written over the tables ``places`` and
``tours`` (not aliased).
"""

from __future__ import annotations

from app.models.statuses import MediaKind
from app.services import visibility
from geo.era import DECADE

# Place data (position, title, facts) is CC0; the story text and media carry their own licence.
DATA_LICENCE = "CC0-1.0"
TOUR_LICENCE = "CC-BY-SA-4.0"
ATTRIBUTION = "Stadtspur contributors"

# What the public may see, over the tables ``places`` and ``tours``.
PUBLIC = visibility.place_sql("places")
PUBLIC_TOUR = visibility.tour_sql("tours")

ISO = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

# A decade covers ten years: the last year of a place's era (the first is ``era_year``).
ERA_END = f"places.era_year + CASE WHEN places.era_precision = '{DECADE}' THEN 9 ELSE 0 END"

# Public media of a place: never a consent scan, never without a public file.
_PUBLIC_MEDIA = visibility.place_media_sql("places", "m")

# Per row an index probe (LIMIT 1 keeps the planner from hashing the whole media table); the
# same condition as ``visibility.has_public_audio_sql`` used by the filter.
_HAS_AUDIO = (
    "coalesce((SELECT true FROM media m WHERE "
    f"{visibility.place_media_sql('places', 'm', MediaKind.AUDIO)} LIMIT 1), false)"
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
    'published_at', to_char(places.published_at AT TIME ZONE 'UTC', {ISO}),
    'updated_at', to_char(places.updated_at AT TIME ZONE 'UTC', {ISO}),
    'url', CAST(:site AS text) || '/places/' || places.id,
    'licence', places.licence,
    'data_licence', '{DATA_LICENCE}',
    'attribution', coalesce(nullif(places.credit_name, ''), places.author_name,
                            '{ATTRIBUTION}')
    {{extra}})"""


def place_feature_sql(extra: str = "") -> str:
    """SQL of one place (the row ``places``) as a GeoJSON Feature (json); ``extra`` adds
    properties (``", 'name', expression"``)."""
    props = _PLACE_PROPERTIES.replace("{extra}", extra)
    return (
        "json_build_object('type', 'Feature', 'id', places.id, "
        f"'geometry', ST_AsGeoJSON(places.geom, 6)::json, 'properties', {props})"
    )


_MEDIA_LIST = f"""coalesce((SELECT json_agg(json_build_object(
        'id', m.id, 'kind', m.kind,
        'mime', CASE WHEN m.kind = '{MediaKind.PHOTO}' THEN 'image/jpeg' ELSE m.mime END,
        'url', CAST(:media_url AS text) || (m.variants->>'public'),
        'thumbnail_url', CAST(:media_url AS text) || (m.variants->>'thumb'),
        'width', m.width, 'height', m.height, 'duration_s', m.duration_s,
        'caption', m.caption, 'credit', m.credit, 'licence', m.licence)
        ORDER BY m.position, m.id)
      FROM media m WHERE {_PUBLIC_MEDIA}), '[]'::json)"""

# What a single place's Feature adds to a page's: its story, author and public media.
STORY_AND_MEDIA = (
    f", 'body', CASE WHEN {visibility.lead_text_sql('places')} THEN places.body ELSE '' END"
    ", 'author', coalesce(nullif(places.credit_name, ''), "
    "places.author_name), 'media', " + _MEDIA_LIST
)

# The most story summaries one place's answer lists (newest first); ``story_count`` counts
# them all, and ``GET /api/v1/stories?place=<id>`` pages through every one.
MAX_PLACE_STORIES = 100


def story_credit_sql(alias: str) -> str:
    """Whom to credit for the story ``alias``: the name it gives (the narrator's, on someone's
    behalf), else the contributors of the site."""
    return (f"coalesce(nullif({alias}.credit_name, ''), nullif({alias}.author_name, ''), "
            f"'{ATTRIBUTION}')")


_PLACE_STORY = visibility.story_sql("ps", "places")

# What the API's answer for one place adds: how many public stories it holds and their
# summaries, in the same statement as the place.
PLACE_STORIES = f"""
    , 'story_count', (SELECT count(*) FROM stories ps WHERE ps.place_id = places.id
                      AND {_PLACE_STORY})
    , 'stories', coalesce((SELECT json_agg(json_build_object(
          'id', ps.id, 'title', ps.title, 'kind', ps.kind, 'language', ps.language,
          'era', CASE WHEN ps.era_start IS NULL THEN NULL
                      ELSE json_build_object('start', ps.era_start, 'end', ps.era_end,
                                             'precision', ps.era_precision) END,
          'credit', {story_credit_sql("ps")}, 'licence', ps.licence,
          'url', CAST(:site AS text) || '/stories/' || ps.id)
          ORDER BY ps.created_at DESC, ps.id DESC)
        FROM (SELECT ps.* FROM stories ps WHERE ps.place_id = places.id AND {_PLACE_STORY}
              ORDER BY ps.created_at DESC, ps.id DESC LIMIT {MAX_PLACE_STORIES}) ps),
        '[]'::json)"""

TOUR_FEATURE = f"""json_build_object(
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
        'route_source', tours.route_source,
        -- what the walking network says (app/services/walknet): steps on foot, a step-free way
        'steps', (tours.network_routes->'foot'->>'steps')::int,
        'step_free_exists', CASE WHEN tours.network_routes ? 'step_free' THEN
            jsonb_array_length(tours.network_routes->'step_free'->'no_route') = 0
            AND jsonb_array_length(tours.network_routes->'step_free'->'off_network') = 0 END,
        'step_free_length_m', (tours.network_routes->'step_free'->>'length_m')::float,
        'route_attribution', CASE WHEN tours.route_source IN ('foot', 'step_free')
            THEN '© OpenStreetMap contributors (ODbL)' END,
        'stops', coalesce((SELECT json_agg(json_build_object(
                    'number', s.position, 'place_id', places.id, 'title', places.title,
                    'lon', round(ST_X(places.geom)::numeric, 6),
                    'lat', round(ST_Y(places.geom)::numeric, 6)) ORDER BY s.position)
                  FROM tour_stops s JOIN places ON places.id = s.place_id
                  WHERE s.tour_id = tours.id AND {PUBLIC}), '[]'::json),
        'published_at', to_char(tours.published_at AT TIME ZONE 'UTC', {ISO}),
        'updated_at', to_char(tours.updated_at AT TIME ZONE 'UTC', {ISO}),
        'url', CAST(:site AS text) || '/tours/' || tours.slug,
        'gpx_url', CAST(:site AS text) || '/api/v1/tours/' || tours.slug || '.gpx',
        'licence', '{TOUR_LICENCE}',
        'attribution', coalesce((SELECT display_name FROM users WHERE users.id = tours.author_id),
                                '{ATTRIBUTION}')))"""
