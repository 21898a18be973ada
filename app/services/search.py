"""Search over public places and published tours, and "what is near me".

One box finds both. Typos and accents do not matter: a place matches when PostgreSQL full-text
search (German and English stemming) finds the words in its story, or when its title is
similar to what was typed by trigram word similarity on ``f_unaccent(lower(title))`` (the GIN
index ``ix_places_title_trgm`` serves that). Places carry a stored ``search_vector`` written
when a curator approves them (app/services/search_index.py); rows without one (freshly seeded
content) get the same vector computed on the fly, so search never silently misses them.

The vector holds a place's public stories and its recordings' transcripts; a place found by
words of one of its further stories names that story (``story``: id, title, and whether the
words were in a recording's transcript), checked against the public stories at query time,
so a result links the story that matched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from app.extensions import db
from app.models.statuses import MediaKind
from app.services import visibility
from app.services.search_index import text_sql

# "When was this?" filter: named periods, inclusive year bounds (None = open).
ERA_RANGES: dict[str, tuple[int | None, int | None]] = {
    "before-1900": (None, 1899),
    "1900-1949": (1900, 1949),
    "1950-1999": (1950, 1999),
    "since-2000": (2000, None),
}
SORTS = ("relevance", "distance")
MAX_QUERY = 200
# Below this word similarity a title does not count as "what you meant" (pg_trgm's own
# default is 0.6, which misses two-letter typos in short words like "Fotomusem").
WORD_SIMILARITY = 0.4

# The same text a stored search_vector holds, for rows that have none yet: ``fly.text`` is
# gathered once per such row (its stories and transcripts are subqueries), by _FLY.
_PLACE_VECTOR = """coalesce(p.search_vector,
    setweight(to_tsvector('german', f_unaccent(p.title)), 'A')
    || setweight(to_tsvector('english', f_unaccent(p.title)), 'A')
    || setweight(to_tsvector('german', f_unaccent(fly.text)), 'B')
    || setweight(to_tsvector('english', f_unaccent(fly.text)), 'B'))"""
_FLY = (f"LEFT JOIN LATERAL (SELECT {text_sql('p')} AS text "
        "WHERE p.search_vector IS NULL) fly ON true")

_TOUR_VECTOR = """(setweight(to_tsvector('german', f_unaccent(t.title)), 'A')
    || setweight(to_tsvector('english', f_unaccent(t.title)), 'A')
    || setweight(to_tsvector('german', f_unaccent(t.intro)), 'B')
    || setweight(to_tsvector('english', f_unaccent(t.intro)), 'B'))"""

# Both the typed and the unaccented words, stemmed in both languages.
_QUERY = """(websearch_to_tsquery('german', :q) || websearch_to_tsquery('english', :q)
    || websearch_to_tsquery('german', f_unaccent(:q))
    || websearch_to_tsquery('english', f_unaccent(:q)))"""

# What the public may see, over the aliases below (places p, media m, tours t).
_PUBLIC_PLACE = visibility.place_sql("p")
_HAS_AUDIO = visibility.has_public_audio_sql("p", "m")
_PUBLIC_TOUR = visibility.tour_sql("t")

# A further public story of the place p and the transcripts of its public recordings.
_STORY_TRANSCRIPTS = (
    "coalesce((SELECT string_agg(mt.transcript, ' ') FROM media mt WHERE mt.story_id = s.id "  # noqa: S608
    f"AND mt.kind = '{MediaKind.AUDIO}' AND mt.transcript <> '' AND "
    f"{visibility.media_sql('mt')}), '')"
)
_STORY_TEXT = f"s.title || ' ' || s.body || ' ' || {_STORY_TRANSCRIPTS}"


def _vector(text: str) -> str:
    return (f"(to_tsvector('german', f_unaccent({text})) "
            f"|| to_tsvector('english', f_unaccent({text})))")


# The best matching further story of a found place (None when only the place's own text,
# title or summary matched): the one a result links.
_MATCHING_STORY = f"""(SELECT json_build_object(
        'id', s.id, 'title', s.title, 'language', s.language,
        'in_transcript', {_vector(_STORY_TRANSCRIPTS)} @@ {{query}}
                         AND NOT {_vector("s.title || ' ' || s.body")} @@ {{query}})
    FROM stories s
    WHERE s.place_id = p.id AND NOT s.is_lead AND {visibility.story_sql("s", "p")}
      AND {_vector(_STORY_TEXT)} @@ {{query}}
    ORDER BY ts_rank({_vector(_STORY_TEXT)}, {{query}}) DESC, s.id LIMIT 1)"""  # noqa: S608


@dataclass
class SearchParams:
    """What the visitor asked for, checked (app/web/search.py parses the query string)."""

    q: str = ""
    theme: str | None = None
    era: str | None = None
    has_audio: bool = False
    step_free: bool = False
    sort: str = "relevance"
    near: tuple[float, float] | None = None  # (lon, lat)

    @property
    def is_empty(self) -> bool:
        return not (self.q or self.theme or self.era or self.has_audio or self.step_free)


@dataclass
class SearchResults:
    """What a search found: public places and published tours as template dicts."""

    places: list[dict] = field(default_factory=list)
    tours: list[dict] = field(default_factory=list)


def search(params: SearchParams, place_limit: int = 50, tour_limit: int = 20) -> SearchResults:
    """Places and tours matching ``params``; empty when nothing was asked."""
    if params.is_empty:
        return SearchResults()
    # Only for this transaction: the trigram operator's threshold (so the index is used).
    db.session.execute(
        text("SELECT set_config('pg_trgm.word_similarity_threshold', :t, true)"),
        {"t": str(WORD_SIMILARITY)},
    )
    return SearchResults(
        places=_search_places(params, place_limit), tours=_search_tours(params, tour_limit)
    )


def _filters(params: SearchParams, values: dict) -> list[str]:
    where = [_PUBLIC_PLACE]
    if params.theme:
        where.append(
            "EXISTS (SELECT 1 FROM place_themes pt JOIN themes th ON th.id = pt.theme_id "
            "WHERE pt.place_id = p.id AND th.slug = :theme)"
        )
        values["theme"] = params.theme
    if params.era:
        lo, hi = ERA_RANGES[params.era]
        if lo is not None:
            where.append("p.era_year >= :era_lo")
            values["era_lo"] = lo
        if hi is not None:
            where.append("p.era_year <= :era_hi")
            values["era_hi"] = hi
    if params.has_audio:
        where.append(_HAS_AUDIO)
    if params.step_free:
        where.append("p.step_free IS TRUE")
    return where


def _distance_sql(geom: str, params: SearchParams, values: dict) -> str:
    if params.near is None:
        return "NULL::float"
    values["lon"], values["lat"] = params.near
    return f"ST_Distance({geom}::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"


def _search_places(params: SearchParams, limit: int) -> list[dict]:
    values: dict = {"limit": limit}
    where = _filters(params, values)
    if params.q:
        values["q"] = params.q
        values["plain"] = params.q.lower()
        rank = (
            f"ts_rank({_PLACE_VECTOR}, {_QUERY}) "
            "+ word_similarity(f_unaccent(:plain), f_unaccent(lower(p.title)))"
        )
        where.append(
            f"({_PLACE_VECTOR} @@ {_QUERY} "
            "OR f_unaccent(:plain) <% f_unaccent(lower(p.title)))"
        )
    else:
        rank = "0"
    distance = _distance_sql("p.geom", params, values)
    order = (
        "distance ASC NULLS LAST, p.id"
        if params.sort == "distance"
        else "rank DESC, p.published_at DESC NULLS LAST, p.id"
    )
    story = _MATCHING_STORY.replace("{query}", _QUERY) if params.q else "NULL::json"
    # The matching story is looked up for the page of results only, after the LIMIT.
    sql = f"""
        SELECT found.*, {story} AS story FROM (
        SELECT p.id, p.title, p.summary, p.era_year, p.era_precision, p.step_free,
               p.published_at, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
               {_HAS_AUDIO} AS has_audio,
               {rank} AS rank, {distance} AS distance
        FROM places p {_FLY if params.q else ""}
        WHERE {" AND ".join(where)}
        ORDER BY {order}
        LIMIT :limit) found JOIN places p ON p.id = found.id
        ORDER BY {order.replace("p.", "found.")}"""  # noqa: S608  (constant SQL pieces only)
    return [dict(r._mapping) for r in db.session.execute(text(sql), values)]


def _search_tours(params: SearchParams, limit: int) -> list[dict]:
    values: dict = {"limit": limit}
    where = [_PUBLIC_TOUR]
    if params.q:
        values["q"] = params.q
        values["plain"] = params.q.lower()
        where.append(
            f"({_TOUR_VECTOR} @@ {_QUERY} "
            "OR f_unaccent(:plain) <% f_unaccent(lower(t.title)))"
        )
        rank = (
            f"ts_rank({_TOUR_VECTOR}, {_QUERY}) "
            "+ word_similarity(f_unaccent(:plain), f_unaccent(lower(t.title)))"
        )
    else:
        rank = "0"
    if params.theme:
        where.append(
            "EXISTS (SELECT 1 FROM themes th WHERE th.id = t.theme_id AND th.slug = :theme)"
        )
        values["theme"] = params.theme
    # The place filters hold for a tour when they hold for its stops: some stop of the period,
    # some stop with a recording, and every stop step-free.
    stop_filters = []
    stop_values: dict = {}
    place_where = _filters(
        SearchParams(era=params.era, has_audio=params.has_audio), stop_values
    )[1:]
    values.update(stop_values)
    for clause in place_where:
        stop_filters.append(
            "EXISTS (SELECT 1 FROM tour_stops s JOIN places p ON p.id = s.place_id "  # noqa: S608
            f"WHERE s.tour_id = t.id AND {_PUBLIC_PLACE} AND {clause})"
        )
    if params.step_free:
        stop_filters.append(
            "NOT EXISTS (SELECT 1 FROM tour_stops s JOIN places p ON p.id = s.place_id "  # noqa: S608
            f"WHERE s.tour_id = t.id AND {_PUBLIC_PLACE} AND p.step_free IS NOT TRUE)"
        )
    where.extend(stop_filters)
    distance = _distance_sql("t.route", params, values)
    order = (
        "distance ASC NULLS LAST, t.id"
        if params.sort == "distance"
        else "rank DESC, t.featured DESC, t.id"
    )
    sql = f"""
        SELECT t.id, t.slug, t.title, t.intro, t.length_m, t.duration_normal_min,
               (SELECT count(*) FROM tour_stops s WHERE s.tour_id = t.id) AS stop_count,
               {rank} AS rank, {distance} AS distance
        FROM tours t
        WHERE {" AND ".join(where)}
        ORDER BY {order}
        LIMIT :limit"""  # noqa: S608  (constant SQL pieces only; every value is bound)
    return [dict(r._mapping) for r in db.session.execute(text(sql), values)]


def nearby_places(lon: float, lat: float, limit: int = 12) -> list[dict]:
    """The public places nearest to a position, nearest first, with their distance in metres
    (the GiST index on ``geom`` serves the ``<->`` ordering)."""
    sql = f"""
        SELECT p.id, p.title, p.summary, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
               ST_Distance(p.geom::geography, here::geography) AS distance
        FROM places p, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS here
        WHERE {_PUBLIC_PLACE}
        ORDER BY p.geom <-> here, p.id
        LIMIT :limit"""  # noqa: S608  (constant SQL pieces only; every value is bound)
    rows = db.session.execute(text(sql), {"lon": lon, "lat": lat, "limit": limit})
    return [dict(r._mapping) for r in rows]


def nearby_tours(lon: float, lat: float, limit: int = 5) -> list[dict]:
    """Published tours whose route passes nearest to a position, with that distance."""
    sql = f"""
        SELECT t.slug, t.title, t.intro, t.length_m, t.duration_normal_min,
               (SELECT count(*) FROM tour_stops s WHERE s.tour_id = t.id) AS stop_count,
               ST_Distance(t.route::geography, here::geography) AS distance
        FROM tours t, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS here
        WHERE {_PUBLIC_TOUR} AND t.route IS NOT NULL
        ORDER BY t.route <-> here, t.id
        LIMIT :limit"""  # noqa: S608  (constant SQL pieces only; every value is bound)
    rows = db.session.execute(text(sql), {"lon": lon, "lat": lat, "limit": limit})
    return [dict(r._mapping) for r in rows]
