# SQL here is assembled from constants of the services only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Reading stories for the API: pages of public stories by place, theme, era, language,
kind, words and position, in a stable order with a continuation key; one story as the
public sees it, or as its author, helper and curators do (any state, with its review status,
edit version and every photo and recording).

A story's Feature is the one of ``app.services.geodata.stories`` (its place's point, era as
``time``, credit and licence); which stories are public comes from
``visibility.story_sql``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text

from app.errors import ValidationError
from app.extensions import db
from app.models.statuses import MediaKind
from app.services import visibility
from app.services.geodata import M_PER_DEG, BBox, FeaturePage
from app.services.geodata.engine import fetch
from app.services.geodata.features import _page
from app.services.geodata.stories import PUBLIC_STORY, story_feature, story_feature_sql

MAX_LIMIT = 1000

# Every photo and recording of the story but consent scans, with its own review status:
# for those who may see the story in any state.
_OWN_MEDIA = f"""coalesce((SELECT json_agg(json_build_object(
        'id', m.id, 'kind', m.kind, 'status', m.status,
        'mime', CASE WHEN m.kind = '{MediaKind.PHOTO}' THEN 'image/jpeg' ELSE m.mime END,
        'url', CAST(:media_url AS text) || (m.variants->>'public'),
        'thumbnail_url', CAST(:media_url AS text) || (m.variants->>'thumb'),
        'width', m.width, 'height', m.height, 'duration_s', m.duration_s,
        'caption', m.caption, 'credit', m.credit, 'licence', m.licence,
        'transcript', CASE WHEN m.kind = '{MediaKind.AUDIO}' THEN m.transcript END)
        ORDER BY m.position, m.id)
      FROM media m WHERE m.story_id = stories.id
        AND m.kind IN ('{MediaKind.PHOTO}', '{MediaKind.AUDIO}')), '[]'::json)"""

_OWN_EXTRA = (", 'body', stories.body, 'status', stories.status, 'version', stories.version, "
              f"'media', {_OWN_MEDIA}")

# Words in the title (accent- and case-insensitive), or in the title, text and the
# transcripts of its public recordings by full-text match.
_WORDS = f"""(f_unaccent(lower(stories.title)) LIKE f_unaccent(lower(:q_like))
    OR to_tsvector('simple', f_unaccent(stories.title || ' ' || stories.body || ' ' ||
        coalesce((SELECT string_agg(m.transcript, ' ') FROM media m
                  WHERE m.story_id = stories.id AND {visibility.media_sql("m")}), '')))
       @@ websearch_to_tsquery('simple', f_unaccent(:q)))"""


@dataclass
class StoryQuery:
    """A validated request for public stories (all optional).

    ``era`` keeps the stories whose era overlaps the range (first and last year, both
    included); ``after`` continues a page: ``(id,)`` in id order, ``(distance_m, id)`` with
    ``near``."""

    place_id: int | None = None
    themes: list[str] = field(default_factory=list)
    era: tuple[int, int] | None = None
    language: str | None = None
    kind: str | None = None
    q: str | None = None
    bbox: BBox | None = None
    near: tuple[float, float] | None = None  # lon, lat
    radius: float | None = None
    limit: int = 100
    after: tuple | None = None


def cursor_kind(query: StoryQuery) -> str:
    """The order a page of ``query`` comes in, as its cursors name it."""
    return "id" if query.near is None else "near"


def _theme_ids(slugs: list[str]) -> list[int]:
    found = dict(fetch("SELECT slug, id FROM themes WHERE slug = ANY(:slugs)", {"slugs": slugs}))
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise ValidationError(_("Unknown theme: %(slugs)s.", slugs=", ".join(unknown)),
                              field="theme")
    return sorted(set(found.values()))


def _filters(query: StoryQuery, params: dict) -> list[str]:
    """SQL conditions on ``stories`` joined to ``places``, but the order."""
    where = [PUBLIC_STORY]
    if query.place_id is not None:
        params["place_id"] = query.place_id
        where.append("stories.place_id = :place_id")
    if query.themes:
        params["theme_ids"] = _theme_ids(query.themes)
        where.append("EXISTS (SELECT 1 FROM place_themes pt WHERE pt.place_id = places.id "
                     "AND pt.theme_id = ANY(:theme_ids))")
    if query.language is not None:
        if query.language not in current_app.config["LANGUAGES"]:
            raise ValidationError(
                _("Unknown language: choose one of %(codes)s.",
                  codes=", ".join(current_app.config["LANGUAGES"])), field="language")
        params["language"] = query.language
        where.append("stories.language = :language")
    if query.kind is not None:
        params["kind"] = query.kind
        where.append("stories.kind = :kind")
    if query.era is not None:
        params["era_lo"], params["era_hi"] = query.era
        where.append("stories.era_start <= :era_hi AND stories.era_end >= :era_lo")
    if query.q:
        q = query.q.strip()[:200]
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params["q"], params["q_like"] = q, f"%{escaped}%"
        where.append(_WORDS)
    if query.bbox:
        params.update(zip(("x0", "y0", "x1", "y1"), query.bbox, strict=True))
        where.append("places.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)")
    return where


def stories_page(query: StoryQuery, site: str) -> FeaturePage:
    """Public stories as a page of GeoJSON features (each at its place's point) in a stable
    order: by id, or with ``near`` by the distance of their place (then id). ``next_key``
    is the key to continue after (``query.after``)."""
    params: dict = {"site": site}
    where = _filters(query, params)
    if query.near is None:
        if query.after:
            (params["after_id"],) = query.after
            where.append("stories.id > :after_id")
        sql = f"""SELECT stories.id, row_number() OVER (ORDER BY stories.id) AS rn,
                         {story_feature_sql()} AS f
                  FROM (SELECT stories.id FROM stories
                        JOIN places ON places.id = stories.place_id
                        WHERE {' AND '.join(where)}
                        ORDER BY stories.id LIMIT :limit1) page_ids
                  JOIN stories ON stories.id = page_ids.id
                  JOIN places ON places.id = stories.place_id"""
        return _page(sql, params, query.limit, "id")
    return _page(_nearest_sql(query, where, params), params, query.limit, "d, id")


def _nearest_sql(query: StoryQuery, where: list[str], params: dict) -> str:
    lon, lat = query.near
    params.update(lon=lon, lat=lat)
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    dist = f"ST_Distance(places.geom::geography, {point}::geography)"
    if query.radius is not None:
        # The box in degrees lets the GiST index on places.geom narrow first; the distance
        # in metres then decides.
        dy = query.radius * 1.01 / M_PER_DEG
        dx = dy / max(0.01, math.cos(math.radians(min(89.9, abs(lat) + dy))))
        params.update(radius=query.radius, dx=dx, dy=dy)
        where.append(f"places.geom && ST_Expand({point}, :dx, :dy) AND {dist} <= :radius")
    if query.after:
        params["after_d"], params["after_id"] = query.after
        where.append(f"({dist}, stories.id) > (:after_d, :after_id)")
    return f"""SELECT stories.id, ranked.d, row_number() OVER (ORDER BY ranked.d, stories.id) AS rn,
                      {story_feature_sql(", 'distance_m', round(ranked.d::numeric, 1)")} AS f
               FROM (SELECT stories.id, {dist} AS d FROM stories
                     JOIN places ON places.id = stories.place_id
                     WHERE {' AND '.join(where)}
                     ORDER BY d, stories.id LIMIT :limit1) ranked
               JOIN stories ON stories.id = ranked.id
               JOIN places ON places.id = stories.place_id"""


def public_story_feature(story_id: int, site: str, media_url: str) -> str | None:
    """One public story as a GeoJSON Feature (JSON text) with its text and public media
    (recordings with their transcripts), or None."""
    return story_feature(story_id, site, media_url)


def own_story_feature(story_id: int, site: str, media_url: str) -> str | None:
    """One story in any state as its author, helper and curators see it: the public Feature
    with ``status``, ``version`` (what a PATCH starts from) and every photo and recording
    with its own status. Read through the session: the caller may just have written it."""
    return db.session.execute(
        text(f"SELECT {story_feature_sql(_OWN_EXTRA)}::text FROM stories "
             "JOIN places ON places.id = stories.place_id WHERE stories.id = :id"),
        {"id": story_id, "site": site, "media_url": media_url},
    ).scalar()
