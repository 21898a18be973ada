"""Assembling a tour: its texts, theme and cover, its stops and their order.

Web pages and the API hand in typed inputs (``TourInput``, ``StopInput``, ``StopChange``,
loaded by app/inputs/tours.py); the rules every writer of a tour shares are checked here, all
fields at once, so a refused input names each field and stores nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import select

from app.errors import FormErrors, ValidationError
from app.extensions import db
from app.models import Tour, User
from app.models.statuses import TourStatus
from app.services import audit
from app.services.tours.access import check_version, get_for_edit
from app.services.tours.content import (
    DEFAULT_DWELL_MIN,
    NETWORK_SOURCES,
    apply_content,
    compute,
    flush,
    place_positions,
    save,
    working_content,
)
from app.services.tours.featured import check_featured
from app.services.tours.queries import cover_choices, known_place_ids, place_titles, theme_id
from geo.ordering import path_length_m, suggest_order

MAX_STOPS = 60
MAX_DWELL_MIN = 240
LIMITS = {"title": 140, "intro": 20_000, "accessibility": 2_000, "note": 1_000,
          "stop_accessibility": 500}
# /tours/new is a page: no tour may take that slug.
RESERVED_SLUGS = {"new"}
# The fields of a TourInput that a PATCH may leave out (they keep their current value).
EDITABLE = ("title", "intro", "theme", "language", "accessibility", "cover_media_id")


@dataclass
class StopInput:
    """One stop as the editor sends it."""

    place_id: int
    transition_note: str = ""
    accessibility: str = ""
    dwell_min: int = DEFAULT_DWELL_MIN
    # the stories featured at this stop, in order (public stories of its place)
    featured_story_ids: list[int] = field(default_factory=list)


@dataclass
class TourInput:
    """The editable fields of a tour. ``theme`` is a theme's slug ("" for none); ``stops``
    None keeps the current stops; the fields named in ``unchanged`` (of ``EDITABLE``) keep
    their current value, as a PATCH that leaves them out asks."""

    title: str = ""
    intro: str = ""
    theme: str = ""
    language: str = ""
    accessibility: str = ""
    cover_media_id: int | None = None
    stops: list[StopInput] | None = None
    unchanged: frozenset[str] = frozenset()


def _new_content() -> dict:
    return {"title": "", "intro": "", "theme_id": None, "language": "", "accessibility": "",
            "cover_media_id": None, "stops": [], "route": None, "route_source": None}


def _check_texts(inp: TourInput, content: dict, errors: dict[str, str]) -> None:
    """Title, introduction, accessibility notes and language of ``inp`` into ``content``."""
    keep = inp.unchanged
    title = content["title"] if "title" in keep else " ".join((inp.title or "").split())
    if not title:
        errors["title"] = _("Give the tour a title.")
    elif len(title) > LIMITS["title"]:
        errors["title"] = _("The title is too long (at most %(n)d characters).", n=LIMITS["title"])
    content["title"] = title
    if "intro" not in keep:
        content["intro"] = (inp.intro or "").strip()
    if len(content["intro"] or "") > LIMITS["intro"]:
        errors["intro"] = _("The introduction is too long (at most %(n)d characters).",
                            n=LIMITS["intro"])
    if "accessibility" not in keep:
        content["accessibility"] = (inp.accessibility or "").strip()
    if len(content["accessibility"] or "") > LIMITS["accessibility"]:
        errors["accessibility"] = _("The accessibility notes are too long (at most %(n)d "
                                    "characters).", n=LIMITS["accessibility"])
    if "language" not in keep or not content["language"]:
        content["language"] = inp.language or current_app.config["DEFAULT_LOCALE"]
    if content["language"] not in current_app.config["LANGUAGES"]:
        errors["language"] = _("Choose one of the languages offered.")


def _validated(inp: TourInput, current: dict | None) -> dict:
    """Check an input against the rules and merge it into ``current`` (or a new content)."""
    errors: dict[str, str] = {}
    content: dict[str, Any] = json.loads(json.dumps(current)) if current else _new_content()
    _check_texts(inp, content, errors)
    if "theme" not in inp.unchanged:
        content["theme_id"] = theme_id(inp.theme)
        if inp.theme and content["theme_id"] is None:
            errors["theme"] = _("Choose one of the themes offered.")
    if inp.stops is not None:
        stops, stop_error = _validated_stops(inp.stops, content["stops"])
        if stop_error:
            errors["stops"] = stop_error
        elif featured_error := _featured_refusal(stops, content["stops"]):
            errors["featured_story_ids"] = featured_error
        content["stops"] = stops
    cover = content["cover_media_id"] if "cover_media_id" in inp.unchanged else inp.cover_media_id
    content["cover_media_id"] = None
    if cover is not None:
        if cover in {m["id"] for m in cover_choices(content["stops"])}:
            content["cover_media_id"] = cover
        else:
            errors["cover_media_id"] = _("The cover photo must be a published photo of one of "
                                         "the stops.")
    if errors:
        raise FormErrors(errors)
    return content


def _validated_stops(stops: list[StopInput], current: list[dict]) -> tuple[list[dict], str]:
    """Stops as content; new places must be public (a stop kept from before may have been
    hidden since: it stays, shown as unavailable, until the author removes it)."""
    if len(stops) > MAX_STOPS:
        return current, _("A tour can have at most %(n)d stops.", n=MAX_STOPS)
    ids = [s.place_id for s in stops]
    if len(set(ids)) != len(ids):
        return current, _("A place can be a stop only once per tour.")
    positions = place_positions(ids)
    before = {s["place_id"] for s in current}
    out = []
    for s in stops:
        if s.place_id not in positions:
            return current, _("A stop refers to an unknown place.")
        if not positions[s.place_id][2] and s.place_id not in before:
            return current, _("Only published places can become stops.")
        note = (s.transition_note or "").strip()
        access = (s.accessibility or "").strip()
        if len(note) > LIMITS["note"] or len(access) > LIMITS["stop_accessibility"]:
            return current, _("A stop's note is too long (at most %(n)d characters).",
                              n=LIMITS["note"])
        if not 0 <= int(s.dwell_min) <= MAX_DWELL_MIN:
            return current, _("Minutes at a stop must be a whole number from 0 to %(max)d.",
                              max=MAX_DWELL_MIN)
        out.append({"place_id": s.place_id, "transition_note": note, "accessibility": access,
                    "dwell_min": int(s.dwell_min),
                    "featured_story_ids": [int(i) for i in s.featured_story_ids or []]})
    return out, ""


def _featured_refusal(stops: list[dict], current: list[dict]) -> str:
    """``featured.check_featured`` of the new stops against the stories featured before."""
    before = {s["place_id"]: list(s.get("featured_story_ids") or []) for s in current}
    return check_featured([(s["place_id"], s["featured_story_ids"]) for s in stops], before)


def typed_content(inp: TourInput) -> dict:
    """What the person typed as content, to show the form again after a refusal: stops of
    places that do not exist are left out, the route is not part of the form."""
    known = known_place_ids([s.place_id for s in inp.stops or []])
    return {
        "title": inp.title, "intro": inp.intro, "theme_id": theme_id(inp.theme),
        "language": inp.language, "accessibility": inp.accessibility,
        "cover_media_id": inp.cover_media_id,
        "stops": [{"place_id": s.place_id, "transition_note": s.transition_note,
                   "accessibility": s.accessibility, "dwell_min": s.dwell_min,
                   "featured_story_ids": list(s.featured_story_ids or [])}
                  for s in (inp.stops or []) if s.place_id in known],
        "route": None, "route_source": None,
    }


def _unique_slug(title: str) -> str:
    base = slugify(title, max_length=150) or "tour"
    if base in RESERVED_SLUGS:
        base = f"{base}-tour"
    taken = set(db.session.scalars(select(Tour.slug).where(Tour.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- writes -----------------------------------------------------------------------------------


def create_tour(user: User, inp: TourInput) -> Tour:
    """A new draft tour by ``user`` (any logged-in person)."""
    content = _validated(inp, None)
    tour = Tour(slug=_unique_slug(content["title"]), title=content["title"], author_id=user.id,
                status=TourStatus.DRAFT)
    db.session.add(tour)
    flush()
    apply_content(tour, compute(content))
    audit.log(user, "tour_created", "tour", tour.id, None, tour.status)
    return tour


def update_tour(user: User, slug: str, inp: TourInput, version: int | None) -> Tour:
    """Change title, texts, theme, cover and (unless ``inp.stops`` is None) the stops."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    save(user, tour, _validated(inp, working_content(tour)))
    return tour


def add_stop(user: User, slug: str, place_id: int, version: int | None) -> Tour:
    """Append one public place as the last stop."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    content = working_content(tour)
    current = [StopInput(**s) for s in content["stops"]]
    stops, error = _validated_stops([*current, StopInput(place_id=place_id)], content["stops"])
    if error:
        raise ValidationError(error, field="stops")
    content["stops"] = stops
    save(user, tour, content)
    return tour


def reorder_stops(user: User, slug: str, place_ids: list[int], version: int | None) -> Tour:
    """Put the stops in the order of ``place_ids`` (the same places, each once)."""
    tour = get_for_edit(user, slug)
    check_version(tour, version)
    content = working_content(tour)
    by_place = {s["place_id"]: s for s in content["stops"]}
    if sorted(place_ids) != sorted(by_place):
        raise ValidationError(
            _("The new order must list every stop of the tour exactly once."), field="order"
        )
    content["stops"] = [by_place[pid] for pid in place_ids]
    save(user, tour, content)
    return tour


# --- the stop buttons of the page without JavaScript ------------------------------------------


class StopAction(StrEnum):
    """What a stop button of the editor does to one place."""

    ADD = "add"
    UP = "up"
    DOWN = "down"
    REMOVE = "remove"


@dataclass
class StopChange:
    """What one stop button of the editor did, for its message: ``position`` is the stop's
    number afterwards (0 once removed), ``total`` the stop count."""

    action: StopAction
    place_id: int
    title: str
    position: int
    total: int


def apply_stop_change(inp: TourInput, action: StopAction, place_id: int) -> StopChange:
    """Apply one stop button (``action`` on ``place_id``) to the stops in ``inp``. Nothing is
    stored here: the save that follows checks the version and the stops as usual. A change
    that does not fit the stops sent with it is a ValidationError (field ``stops``), so
    nothing is half done."""
    if inp.stops is None:
        raise ValidationError(_("That change to the stops is not possible."), field="stops")
    ids = [s.place_id for s in inp.stops]
    titles = dict(place_titles([place_id]))
    if place_id not in titles:
        raise ValidationError(_("A stop refers to an unknown place."), field="stops")
    title = titles[place_id]
    if action == StopAction.ADD:
        if place_id in ids:
            raise ValidationError(_("%(title)s is already a stop.", title=title), field="stops")
        inp.stops.append(StopInput(place_id=place_id))
        return StopChange(action, place_id, title, len(inp.stops), len(inp.stops))
    if place_id not in ids:
        raise ValidationError(_("That place is not a stop of this tour."), field="stops")
    index = ids.index(place_id)
    if action == StopAction.REMOVE:
        del inp.stops[index]
        return StopChange(action, place_id, title, 0, len(inp.stops))
    target = index - 1 if action == StopAction.UP else index + 1
    if not 0 <= target < len(inp.stops):
        raise ValidationError(
            _("The first stop cannot move further up.") if action == StopAction.UP
            else _("The last stop cannot move further down."),
            field="stops",
        )
    inp.stops.insert(target, inp.stops.pop(index))
    return StopChange(action, place_id, title, target + 1, len(inp.stops))


# --- a walking order ---------------------------------------------------------------------------


def propose_order(
    user: User, slug: str, *, keep_start: bool = False, keep_end: bool = False,
    place_ids: list[int] | None = None,
) -> dict:
    """A short walking order through the stops, as a proposal (nothing is stored).

    ``place_ids`` is the order the editor shows (possibly not saved yet); by default the
    tour's current stops. Returns ``{"order": [place_id, ...], "length_before_m",
    "length_after_m", "changed"}``; lengths are of straight lines between the stops, metres."""
    tour = get_for_edit(user, slug)
    current = [s["place_id"] for s in working_content(tour)["stops"]]
    ids = current if place_ids is None else list(place_ids)
    positions = place_positions(ids)
    if len(set(ids)) != len(ids) or any(
        i not in positions or (not positions[i][2] and i not in current) for i in ids
    ):
        raise ValidationError(_("A stop refers to an unknown place."), field="order")
    points = [positions[i][:2] for i in ids]
    source = working_content(tour).get("route_source")
    if source in NETWORK_SOURCES and len(points) >= 3:
        return _network_proposal(ids, points, source, keep_start, keep_end)
    before = path_length_m(points, list(range(len(points))))
    order = list(range(len(points)))
    after = before
    if len(points) >= 3:
        start = 0 if keep_start else None
        end = len(points) - 1 if keep_end else None
        proposed = suggest_order(points, start=start, end=end)
        length = path_length_m(points, proposed)
        # Never propose a longer (or equal) walk than the author's own order.
        if length < before - 0.5:
            order, after = proposed, length
    return {
        "order": [ids[i] for i in order],
        "length_before_m": round(before, 1),
        "length_after_m": round(after, 1),
        "changed": order != list(range(len(points))),
        "measure": "straight",
        "unreachable": [],
    }


def _network_proposal(ids: list[int], points: list, mode: str, keep_start: bool,
                      keep_end: bool) -> dict:
    """The proposal of a tour routed on the walking network: by its walking costs; stops the
    others cannot reach are named (number and title) and the order is left as it is."""
    from app.services.tours.routes import network_order

    order, before, after, unreachable = network_order(points, mode, keep_start=keep_start,
                                                      keep_end=keep_end)
    titles = dict(place_titles(ids))
    return {
        "order": [ids[i] for i in order],
        "length_before_m": round(before, 1),
        "length_after_m": round(after, 1),
        "changed": order != list(range(len(points))),
        "measure": "network",
        "unreachable": [{"number": i + 1, "place_id": ids[i], "title": titles.get(ids[i], "")}
                        for i in unreachable],
    }
