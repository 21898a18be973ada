# SQL here is assembled from constants of this package only; every request value is a bound
# parameter, so S608 (string-built SQL) does not apply.
# ruff: noqa: S608
"""Rows for the Atom feeds and features for the open-data export: the newest public places
and published tours, every public place and tour."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text

from app.extensions import db
from app.services import visibility
from app.services.geodata.engine import fetch
from app.services.geodata.sql import (
    ATTRIBUTION,
    PUBLIC,
    PUBLIC_TOUR,
    STORY_AND_MEDIA,
    TOUR_FEATURE,
    place_feature_sql,
)
from app.services.themes import all_themes


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
    return fetch(
        f"""
            SELECT places.id, places.title, places.summary,
                   CASE WHEN {visibility.lead_text_sql("places")} THEN places.body
                        ELSE '' END AS body, places.licence,
                   coalesce(nullif(places.credit_name, ''), places.author_name,
                            '{ATTRIBUTION}') AS attribution,
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


def published_tour_rows(limit: int = 50) -> list[dict]:
    """Published tours, newest first, with their start point (first visible stop, else the
    route's start) as ``lon``/``lat``."""
    return fetch(
        f"""
            SELECT tours.slug, tours.title, tours.intro, tours.length_m,
                   tours.duration_normal_min, tours.published_at, tours.updated_at,
                   (SELECT slug FROM themes WHERE themes.id = tours.theme_id) AS theme,
                   coalesce((SELECT display_name FROM users WHERE users.id = tours.author_id),
                            '{ATTRIBUTION}') AS attribution,
                   ST_X(start.g) AS lon, ST_Y(start.g) AS lat
            FROM tours
            CROSS JOIN LATERAL (
                SELECT coalesce((SELECT places.geom FROM tour_stops s
                                 JOIN places ON places.id = s.place_id
                                 WHERE s.tour_id = tours.id AND {PUBLIC}
                                 ORDER BY s.position LIMIT 1),
                                ST_StartPoint(tours.route)) AS g) start
            WHERE {PUBLIC_TOUR}
            ORDER BY tours.published_at DESC NULLS LAST, tours.id DESC LIMIT :limit""",
        {"limit": limit},
        mapping=True,
    )


def stream_place_features(site: str, media_url: str, batch: int = 2000) -> Iterator[str]:
    """Every public place as a GeoJSON Feature (JSON text with story and media), in id order,
    read through a server-side cursor so a million places never sit in memory at once."""
    sql = text(
        f"SELECT {place_feature_sql(STORY_AND_MEDIA)}::text FROM places WHERE {PUBLIC} "
        "ORDER BY places.id"
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
            text(f"SELECT tours.slug, {TOUR_FEATURE}::text FROM tours "
                 f"WHERE {PUBLIC_TOUR} ORDER BY tours.id"),
            {"site": site},
        )
    ]
