# SQL here is assembled from constants of this package only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Public stories as GeoJSON features (OGC API Features, the open-data export) and as rows
for the Atom feed of new stories.

A story has no position of its own: its Feature is the point of its place. Its time is its
era ("when was this?"), a closed range of years, given as the OGC/JSON-FG ``time`` member
(``{"interval": ["1960-01-01", "1969-12-31"]}``) and as ``start_datetime``/``end_datetime``
properties (the STAC names, which GIS clients read as a layer's time fields); ``datetime``
filters stories whose era overlaps the asked interval. Which stories are public comes from
``visibility.story_sql`` (an approved, visible story at a public place).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text

from app.errors import NotFound
from app.extensions import db
from app.models.statuses import MediaKind
from app.services import visibility
from app.services.geodata.engine import fetch, scalar
from app.services.geodata.features import (
    SPATIAL_FIRST_DEG2,
    BBox,
    FeaturePage,
    _page,
    places_extent,
)
from app.services.geodata.sql import ATTRIBUTION, DATA_LICENCE, ISO

# An approved, visible story at a public place, over ``stories`` joined to ``places``.
PUBLIC_STORY = visibility.story_sql("stories", "places")
FROM_PUBLIC = f"FROM stories JOIN places ON places.id = stories.place_id WHERE {PUBLIC_STORY}"

# Whom to credit: the narrator's or author's name as the story gives it.
CREDIT = (f"coalesce(nullif(stories.credit_name, ''), nullif(stories.author_name, ''), "
          f"'{ATTRIBUTION}')")

# Dates exist for the years 1 to 9999 (older place eras may lie outside; they keep their years).
_HAS_DATES = "stories.era_start >= 1 AND stories.era_end <= 9999"
_ERA_FIRST = "to_char(make_date(stories.era_start, 1, 1), 'YYYY-MM-DD')"
_ERA_LAST = "to_char(make_date(stories.era_end, 12, 31), 'YYYY-MM-DD')"
# OGC datetime of the era's first and last instant (a year covers its whole last day).
_ERA_START_TS = "to_char(make_date(stories.era_start, 1, 1), 'YYYY-MM-DD\"T00:00:00Z\"')"
_ERA_END_TS = "to_char(make_date(stories.era_end, 12, 31), 'YYYY-MM-DD\"T23:59:59Z\"')"

_PROPERTIES = f"""json_build_object(
    'title', stories.title,
    'kind', stories.kind,
    'language', stories.language,
    'era', CASE WHEN stories.era_start IS NULL THEN NULL
                ELSE json_build_object('start', stories.era_start, 'end', stories.era_end,
                                       'precision', stories.era_precision) END,
    'start_datetime', CASE WHEN {_HAS_DATES} THEN {_ERA_START_TS} END,
    'end_datetime', CASE WHEN {_HAS_DATES} THEN {_ERA_END_TS} END,
    'credit', {CREDIT},
    'told_on_behalf', stories.helper_id IS NOT NULL,
    'licence', stories.licence,
    'place_id', stories.place_id,
    'place_title', places.title,
    'published_at', to_char(coalesce(stories.published_at, stories.created_at)
                            AT TIME ZONE 'UTC', {ISO}),
    'url', CAST(:site AS text) || '/stories/' || stories.id,
    'place_url', CAST(:site AS text) || '/places/' || stories.place_id,
    'data_licence', '{DATA_LICENCE}'
    {{extra}})"""

# A story's public photos and recordings, each recording with its transcript (its text
# alternative, searchable and exported with it).
_MEDIA = f"""coalesce((SELECT json_agg(json_build_object(
        'id', m.id, 'kind', m.kind,
        'mime', CASE WHEN m.kind = '{MediaKind.PHOTO}' THEN 'image/jpeg' ELSE m.mime END,
        'url', CAST(:media_url AS text) || (m.variants->>'public'),
        'thumbnail_url', CAST(:media_url AS text) || (m.variants->>'thumb'),
        'width', m.width, 'height', m.height, 'duration_s', m.duration_s,
        'caption', m.caption, 'credit', m.credit, 'licence', m.licence,
        'transcript', CASE WHEN m.kind = '{MediaKind.AUDIO}' THEN m.transcript END)
        ORDER BY m.position, m.id)
      FROM media m WHERE m.story_id = stories.id AND {visibility.media_sql("m")}), '[]'::json)"""

# What a single story's Feature (and the export's) adds to a page's: its text and media.
BODY_AND_MEDIA = f", 'body', stories.body, 'media', {_MEDIA}"


def story_feature_sql(extra: str = "") -> str:
    """SQL of one story (the row ``stories``, its place ``places``) as a GeoJSON Feature."""
    props = _PROPERTIES.replace("{extra}", extra)
    return (
        "json_build_object('type', 'Feature', 'id', stories.id, "
        "'geometry', ST_AsGeoJSON(places.geom, 6)::json, "
        f"'time', CASE WHEN {_HAS_DATES} THEN "
        f"json_build_object('interval', json_build_array({_ERA_FIRST}, {_ERA_LAST})) END, "
        f"'properties', {props})"
    )


def _where(bbox: BBox | None, years: tuple[int, int] | None, params: dict) -> str:
    where = [PUBLIC_STORY]
    if bbox:
        params.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
        where.append("places.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
    if years:
        params["era_lo"], params["era_hi"] = years
        # A story matches when its era overlaps the asked years.
        where.append("stories.era_start <= :era_hi AND stories.era_end >= :era_lo")
    return " AND ".join(where)


def ogc_stories(bbox: BBox | None, years: tuple[int, int] | None, limit: int, offset: int,
                site: str) -> FeaturePage:
    """Public stories ordered by id, for OGC API Features offset paging; ``years`` keeps
    those whose era overlaps (first and last year, both included)."""
    params: dict = {"site": site, "offset": offset}
    where = _where(bbox, years, params)
    # As for places (features._by_id_sql): a small box is found by the places' GiST index
    # and only its stories sorted ("+ 0" keeps the planner off walking the stories' primary
    # key, which in a dense box took 470 ms against 1 ms); the page's ids come first, and
    # the features are built for those alone, not for the rows OFFSET skips.
    order = "stories.id"
    if bbox and (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) <= SPATIAL_FIRST_DEG2:
        order = "stories.id + 0"
    sql = f"""SELECT stories.id, row_number() OVER (ORDER BY stories.id) AS rn,
                     {story_feature_sql()} AS f
              FROM (SELECT stories.id FROM stories JOIN places ON places.id = stories.place_id
                    WHERE {where}
                    ORDER BY {order} LIMIT :limit1 OFFSET :offset) page_ids
              JOIN stories ON stories.id = page_ids.id
              JOIN places ON places.id = stories.place_id"""
    return _page(sql, params, limit, "id")


def story_feature(story_id: int, site: str, media_url: str) -> str | None:
    """One public story as a GeoJSON Feature (JSON text) with its text and media, or None."""
    return scalar(
        f"SELECT {story_feature_sql(BODY_AND_MEDIA)}::text {FROM_PUBLIC} AND stories.id = :id",
        {"id": story_id, "site": site, "media_url": media_url},
    )


def ogc_story(story_id: int, site: str, media_url: str) -> str:
    """``story_feature``, or NotFound."""
    found = story_feature(story_id, site, media_url)
    if found is None:
        raise NotFound("No public story with this id.")
    return found


def stories_extent() -> list[float] | None:
    """[minLon, minLat, maxLon, maxLat] of the stories: a story lies at its place's point, so
    the extent of the public places (``places_extent``) covers them."""
    return places_extent()


def newest_stories(limit: int = 50, theme_slug: str | None = None) -> list[dict]:
    """The newest public stories by the time a curator approved them (optionally at the
    places of one theme) with what a feed entry needs: text, credit (and whether told on
    someone's behalf), licence, the place and its position."""
    params: dict = {"limit": limit}
    theme = ""
    if theme_slug:
        params["theme"] = theme_slug
        theme = (" AND EXISTS (SELECT 1 FROM place_themes pt JOIN themes th "
                 "ON th.id = pt.theme_id WHERE pt.place_id = places.id AND th.slug = :theme)")
    return fetch(
        f"""
            SELECT stories.id, stories.title, stories.body, stories.kind, stories.language,
                   stories.licence, stories.era_start, stories.era_end, stories.era_precision,
                   {CREDIT} AS credit, stories.helper_id IS NOT NULL AS on_behalf,
                   coalesce(stories.published_at, stories.created_at) AS published,
                   greatest(stories.updated_at, stories.published_at) AS updated,
                   places.id AS place_id, places.title AS place_title,
                   ST_X(places.geom) AS lon, ST_Y(places.geom) AS lat
            {FROM_PUBLIC} AND stories.published_at IS NOT NULL{theme}
            ORDER BY stories.published_at DESC, stories.id DESC
            LIMIT :limit""",
        params,
        mapping=True,
    )


def stream_story_features(site: str, media_url: str, batch: int = 2000) -> Iterator[str]:
    """Every public story as a GeoJSON Feature (text, licence, credit, media with
    transcripts), in id order, through a server-side cursor."""
    result = db.session.execute(
        text(f"SELECT {story_feature_sql(BODY_AND_MEDIA)}::text {FROM_PUBLIC} "
             "ORDER BY stories.id"),
        {"site": site, "media_url": media_url}, execution_options={"yield_per": batch},
    )
    for (feature,) in result:
        yield feature


def story_licences() -> list[str]:
    """The licence codes the public stories carry, sorted (for the export's descriptor;
    read through the session, as the export's features are)."""
    return list(db.session.scalars(
        text(f"SELECT DISTINCT stories.licence {FROM_PUBLIC} ORDER BY 1")))
