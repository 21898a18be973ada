"""The stories a tour stop shows: the ones its author featured there, in their order, or,
with none chosen (or none of them public any more), the place's newest public stories when
the place is in the tour's theme (any place for a tour without a theme).

The author's choice is kept as it was (``tour_stops.featured_story_ids``, and the stops of a
pending edit); readers keep only the ids that are public stories of the stop's place at the
time they read, so a withdrawn, hidden or moved story leaves the stop at once and the stop
falls back. When a featured story leaves, the tour's author is told (``story_left``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, literal, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from app.extensions import db
from app.models import Place, Story, Tour, TourStop, User
from app.models.statuses import TourStatus
from app.models.theme import place_themes
from app.services import mail, visibility
from app.services.text import plain_text

# At most this many featured stories per stop (an author picks a few, not the archive).
MAX_FEATURED = 3
# Without a choice, a stop shows this many of its place's newest public stories.
FALLBACK_STORIES = 3
# A story's excerpt in follow mode and on the printed sheet; the GPX waypoint keeps more.
EXCERPT_CHARS = 280
WAYPOINT_CHARS = 1_500
# Any stop of a pending edit (a JSON snapshot) that features one of the stories ``$ids``.
_FEATURED_PATH = literal_column(
    "'$.stops[*].featured_story_ids[*] ? (@ == $ids[*])'::jsonpath")


@dataclass(frozen=True)
class StopStory:
    """A public story as a tour stop shows it (plain values, for pages, JSON, GPX, PDF)."""

    id: int
    place_id: int
    title: str
    text: str
    kind: str
    language: str
    era_start: int | None
    era_end: int | None
    era_precision: str | None
    credit: str
    licence: str

    def excerpt(self, limit: int = EXCERPT_CHARS) -> str:
        """The story's text without markup, shortened at a word to about ``limit``."""
        if len(self.text) <= limit:
            return self.text
        cut = self.text[: limit - 1].rsplit(" ", 1)[0]
        return cut + "…"


def _stop_story(story: Story) -> StopStory:
    return StopStory(
        id=story.id, place_id=story.place_id, title=story.title,
        text=plain_text(story.body), kind=story.kind, language=story.language,
        era_start=story.era_start, era_end=story.era_end, era_precision=story.era_precision,
        credit=story.author_name or story.credit_name or "", licence=story.licence,
    )


def stop_stories(theme_id: int | None, stops: list[tuple[int, list[int]]],
                 ) -> dict[int, tuple[bool, list[StopStory]]]:
    """What each stop shows, by place id: ``(featured, stories)``.

    ``stops`` are ``(place_id, featured_story_ids)`` pairs. ``featured`` is True when at least
    one chosen story is still a public story of that place (they are returned in the chosen
    order); otherwise the stop falls back to its place's newest public stories, at most
    ``FALLBACK_STORIES``, if the place is in the theme ``theme_id`` (or the tour has none).
    One query for every stop together."""
    place_ids = [pid for pid, _ids in stops]
    if not place_ids:
        return {}
    chosen = {sid for _pid, ids in stops for sid in ids or []}
    newest = func.row_number().over(
        partition_by=Story.place_id, order_by=(Story.created_at.desc(), Story.id.desc()))
    ranked = (
        select(Story.id.label("id"), newest.label("rank"))
        .join(Place, Story.place_id == Place.id)
        .where(Story.place_id.in_(set(place_ids)), visibility.public_story())
        .subquery()
    )
    in_theme = (
        select(place_themes.c.place_id)
        .where(place_themes.c.place_id == Story.place_id, place_themes.c.theme_id == theme_id)
        .exists()
    ) if theme_id is not None else None
    columns = [Story, in_theme.label("in_theme")] if in_theme is not None else [Story]
    rows = db.session.execute(
        select(*columns).join(ranked, ranked.c.id == Story.id)
        .where(or_(ranked.c.rank <= FALLBACK_STORIES, Story.id.in_(chosen or {0})))
        .order_by(Story.place_id, ranked.c.rank)
    ).all()
    by_id: dict[int, StopStory] = {}
    newest_of: dict[int, list[StopStory]] = {}
    themed: set[int] = set()
    for row in rows:
        story = _stop_story(row[0])
        by_id[story.id] = story
        if theme_id is None or row[1]:
            themed.add(story.place_id)
        if len(newest_of.setdefault(story.place_id, [])) < FALLBACK_STORIES:
            newest_of[story.place_id].append(story)
    out: dict[int, tuple[bool, list[StopStory]]] = {}
    for place_id, ids in stops:
        featured = [by_id[i] for i in ids or [] if i in by_id and by_id[i].place_id == place_id]
        if featured:
            out[place_id] = (True, featured)
        else:
            out[place_id] = (False, newest_of.get(place_id, []) if place_id in themed else [])
    return out


def tour_stop_stories(tour: Tour) -> dict[int, tuple[bool, list[StopStory]]]:
    """``stop_stories`` of a tour's live stops."""
    return stop_stories(tour.theme_id, [(s.place_id, list(s.featured_story_ids or []))
                                        for s in tour.stops])


def story_choices(place_ids: list[int]) -> dict[int, list[dict]]:
    """The public stories an author may feature at each of the places, newest first:
    ``{place_id: [{"id", "title", "credit"}]}``, in one query."""
    if not place_ids:
        return {}
    rows = db.session.execute(
        select(Story.id, Story.place_id, Story.title, Story.author_name, Story.credit_name)
        .join(Place, Story.place_id == Place.id)
        .where(Story.place_id.in_(set(place_ids)), visibility.public_story())
        .order_by(Story.place_id, Story.created_at.desc(), Story.id.desc())
    ).all()
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(r.place_id, []).append(
            {"id": r.id, "title": r.title, "credit": r.author_name or r.credit_name or ""})
    return out


def check_featured(stops: list[tuple[int, list[int]]], before: dict[int, list[int]],
                   ) -> str:
    """The refusal of the stops' featured stories, or "" when they are acceptable: at most
    ``MAX_FEATURED`` per stop, each once, and each a public story of that stop's place. A
    story featured there before may stay though it is no longer public (readers skip it; it
    shows again if it is published again), as a stop whose place was hidden stays."""
    wanted = {sid for _pid, ids in stops for sid in ids}
    public = {}
    if wanted:
        public = dict(db.session.execute(
            select(Story.id, Story.place_id).join(Place, Story.place_id == Place.id)
            .where(Story.id.in_(wanted), visibility.public_story())).all())
    for number, (place_id, ids) in enumerate(stops, start=1):
        if len(ids) > MAX_FEATURED:
            return _("Stop %(n)d: feature at most %(max)d stories.", n=number, max=MAX_FEATURED)
        if len(set(ids)) != len(ids):
            return _("Stop %(n)d: a story can be featured only once.", n=number)
        kept = set(before.get(place_id, []))
        for sid in ids:
            if public.get(sid) != place_id and sid not in kept:
                return _("Stop %(n)d: only published stories of this stop's place can be "
                         "featured.", n=number)
    return ""


# --- telling the author -----------------------------------------------------------------------


def _featuring_tours(story_ids: list[int]) -> list[tuple[Tour, set[int]]]:
    """Tours whose live stops or pending edit feature any of the stories (any status but
    retired), each with the ids among them it features."""
    out: dict[int, set[int]] = {}
    for tour_id, featured in db.session.execute(
            select(TourStop.tour_id, TourStop.featured_story_ids)
            .where(TourStop.featured_story_ids.overlap(story_ids))).all():
        out.setdefault(tour_id, set()).update(set(featured) & set(story_ids))
    wanted = literal({"ids": story_ids}, JSONB)
    for tour_id, snapshot in db.session.execute(
            select(Tour.id, Tour.pending_snapshot)
            .where(Tour.pending_snapshot.is_not(None),
                   func.jsonb_path_exists(Tour.pending_snapshot, _FEATURED_PATH, wanted))).all():
        for stop in snapshot.get("stops", []):
            out.setdefault(tour_id, set()).update(
                set(stop.get("featured_story_ids") or []) & set(story_ids))
    if not out:
        return []
    tours = db.session.scalars(
        select(Tour).where(Tour.id.in_(out), Tour.status != TourStatus.RETIRED,
                           Tour.author_id.is_not(None)).order_by(Tour.id))
    return [(tour, out[tour.id]) for tour in tours]


def stories_left(stories: list[Story], reason: str) -> int:
    """Public stories were withdrawn or hidden (``reason``: "withdrawn" or "hidden"): each
    author of a tour that features any of them gets one mail in their language naming the
    stories and their tours (the stops fall back by themselves). Returns the mails owed."""
    titles = {s.id: s.title for s in stories}
    if not titles:
        return 0
    by_author: dict[int, list[tuple[Tour, set[int]]]] = {}
    for tour, featured in _featuring_tours(list(titles)):
        by_author.setdefault(tour.author_id, []).append((tour, featured))
    for author_id, featuring in by_author.items():
        author = db.session.get(User, author_id)
        if author is None or not author.email:
            continue
        ids = sorted(set().union(*(featured for _tour, featured in featuring)))
        mail.record(mail.Notice(
            letter="featured_story_left", to=author.email, locale=author.locale,
            name=author.display_name,
            values={"stories": [titles[i] for i in ids], "reason": reason,
                    "tours": [{"title": t.title, "slug": t.slug} for t, _f in featuring]},
        ))
    return len(by_author)


def story_left(story: Story, reason: str) -> int:
    """``stories_left`` of one story."""
    return stories_left([story], reason)


def place_left(place: Place) -> int:
    """A place was hidden or taken off (reports, a curator): its stories leave every stop
    with it; the authors of tours that featured them are told as for a hidden story."""
    featured = list(db.session.scalars(
        select(Story).where(Story.place_id == place.id, Story.is_approved_visible)
        .order_by(Story.id)))
    return stories_left(featured, "hidden")
