# The SQL here is built from visibility's fragments only; values are bound parameters.
# ruff: noqa: S608
"""The stored full-text vector of a place (``places.search_vector``).

The vector is written from the place row's fields, and the row only ever holds approved text
once a place is public (pending edits wait in place_revisions). It is refreshed whenever a
curator approves a place or an edit, restores a revision or merges a duplicate, so search
follows exactly what visitors can read and never a text still waiting for review.

The title weighs most (A), then the summary and the stories (B): the place's own text while
its lead story is public, the titles and texts of its further public stories and the
transcripts of its public recordings (a recording's text alternative, WCAG 1.2.1), so a
withdrawn or hidden story, or a hidden recording, is no longer found once the vector is
refreshed (the stories, transcripts and reports services refresh it with every change of what
the public may read). ``text_sql`` is the same text for the search's on-the-fly vector of
rows that have none stored yet. The place's own language stems
first; the other configured language is added too because the search box sends the query
stemmed in both (app/services/search.py ``_QUERY``), and accents are folded with
``f_unaccent`` like the search's on-the-fly vector for rows without one.
"""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.models import Place
from app.models.statuses import MediaKind
from app.services import visibility


def transcripts_sql(place_alias: str, where: str = "") -> str:
    """The transcripts of the public recordings of the place ``place_alias`` (optionally
    only those matching ``where`` on ``mt``, the medium), as one text."""
    media = visibility.place_media_sql(place_alias, "mt", MediaKind.AUDIO)
    return ("coalesce((SELECT string_agg(mt.transcript, ' ' ORDER BY mt.id) FROM media mt "
            f"WHERE {media} AND mt.transcript <> ''{where}), '')")


def text_sql(alias: str = "places") -> str:
    """The searchable text of the place ``alias`` (below the title): its summary, its own
    text while public, its further public stories and its public recordings' transcripts."""
    lead = visibility.lead_text_sql(alias)
    further = visibility.story_sql("s", alias)
    return (
        f"{alias}.summary || ' ' || CASE WHEN {lead} THEN {alias}.body ELSE '' END || ' ' || "
        "coalesce((SELECT string_agg(s.title || ' ' || s.body, ' ' ORDER BY s.id) "
        f"FROM stories s WHERE NOT s.is_lead AND {further}), '') || ' ' || "
        + transcripts_sql(alias)
    )


_TEXT = text_sql("places")

# PostgreSQL text search configurations per place language.
TS_CONFIGS = {"de": "german", "en": "english"}

_REFRESH_SQL = text(
    f"""
    UPDATE places SET search_vector =
        setweight(to_tsvector(CAST(:own AS regconfig), f_unaccent(title)), 'A')
        || setweight(to_tsvector(CAST(:other AS regconfig), f_unaccent(title)), 'A')
        || setweight(to_tsvector(CAST(:own AS regconfig), f_unaccent({_TEXT})), 'B')
        || setweight(to_tsvector(CAST(:other AS regconfig), f_unaccent({_TEXT})), 'B')
    WHERE id = :id
    """  # noqa: S608  (SQL fragments of this module and visibility only)
)


def refresh_search_vector(place: Place) -> None:
    """Rewrite ``place``'s stored search vector from its (approved) row fields.

    Flushes first so the row holds the fields just set; the UPDATE bypasses the ORM on
    purpose: the vector is derived data and must not bump the optimistic-locking version."""
    db.session.flush()
    own = TS_CONFIGS.get(place.language, "simple")
    other = next((c for lang, c in TS_CONFIGS.items() if lang != place.language), "simple")
    db.session.execute(_REFRESH_SQL, {"id": place.id, "own": own, "other": other})

