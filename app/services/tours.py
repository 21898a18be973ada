"""Tours: reads for pages and the API, and every write — assembling, ordering, routing and
the lifecycle draft → review → published → retired.

Editing works on a tour's *content* (a plain dict: title, texts, stops, route and the values
computed from them). While a tour is a draft or in review its content lives in the rows; once
it is published, an edit is kept whole in ``tours.pending_snapshot`` and goes live only when a
curator publishes it, like a place revision. ``working_content`` returns whichever the editor
should see.

Geometry comes from ``geo/`` (GPX reading, noise removal, simplification in metres, geodesic
lengths, walking times, stop order); this module only decides what is stored. Services flush,
the caller commits once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import LineString, mapping, shape
from slugify import slugify
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.errors import Conflict, Forbidden, FormErrors, NotFound, ValidationError
from app.extensions import db
from app.models import Media, ModerationEvent, Place, Theme, Tour, TourStop, User
from app.services import visibility
from app.services.roles import require_curator
from geo.errors import GeoError, GpxError
from geo.gpx import (
    elevation_gain_loss,
    line_from_points,
    read_gpx,
    remove_noise,
    route_points,
    simplify_m,
    stops_off_route,
)
from geo.measure import (
    NORMAL_PACE_KMH,
    RELAXED_PACE_KMH,
    ServiceArea,
    line_length_m,
    validate_lonlat,
    walking_minutes,
)
from geo.ordering import path_length_m, suggest_order

MAX_STOPS = 60
MIN_PUBLISH_STOPS = 2
# A stop farther than this from an imported track is reported as off the route (the walker's
# "you have left the route" alert in follow mode is a different, wider radius: offline.py).
STOP_OFF_ROUTE_M = 50.0
# Douglas–Peucker tolerance for imported tracks: a phone's GPS wobbles by about this much, so
# nothing a walker would notice on a map is lost, and a long walk keeps a few hundred points.
SIMPLIFY_TOLERANCE_M = 5.0
MAX_DRAWN_POINTS = 5000
MAX_DWELL_MIN = 240
DEFAULT_DWELL_MIN = 5
LIMITS = {"title": 140, "intro": 20_000, "accessibility": 2_000, "note": 1_000,
          "stop_accessibility": 500}
# /tours/new is a page: no tour may take that slug.
RESERVED_SLUGS = {"new"}
CONTENT_FIELDS = ("title", "intro", "theme_id", "language", "accessibility", "cover_media_id")
METRIC_FIELDS = ("length_m", "elevation_gain_m", "elevation_loss_m", "duration_normal_min",
                 "duration_relaxed_min")


# --- reads for visitor pages (used by app/web/visitor.py) -------------------------------------


def published_tours(limit: int = 50) -> list[Tour]:
    """Published tours, featured first, newest next."""
    return list(
        db.session.scalars(
            select(Tour)
            .where(visibility.public_tour())
            .options(selectinload(Tour.theme), selectinload(Tour.stops))
            .order_by(Tour.featured.desc(), Tour.published_at.desc().nulls_last(), Tour.id)
            .limit(limit)
        )
    )


def get_visible_tour(slug: str) -> Tour | None:
    """A published or retired tour (retired ones keep their URL with a notice)."""
    return db.session.scalar(
        select(Tour)
        .where(Tour.slug == slug, visibility.reachable_tour())
        .options(
            selectinload(Tour.theme),
            selectinload(Tour.stops).selectinload(TourStop.place).selectinload(Place.themes),
        )
    )


def stop_points(tour: Tour) -> list[dict]:
    """The tour's stops with position and availability (a hidden place is unavailable)."""
    ids = [s.place_id for s in tour.stops]
    coords = _place_positions(ids)
    # A hidden, rejected or withdrawn stop keeps its number and position on the route but
    # shows nothing of the place: its text must leave every surface with it.
    return [
        {
            "number": s.position,
            "place_id": s.place_id,
            "title": s.place.title if coords[s.place_id][2] else "",
            "summary": s.place.summary if coords[s.place_id][2] else "",
            "note": s.transition_note,
            "accessibility": s.accessibility,
            "dwell_min": s.dwell_min,
            "lon": coords[s.place_id][0],
            "lat": coords[s.place_id][1],
            "available": coords[s.place_id][2],
        }
        for s in tour.stops
    ]


def route_geojson(tour: Tour) -> dict | None:
    """The stored route as a GeoJSON LineString (6 decimals, about 0.1 m), or None."""
    if tour.route is None:
        return None
    text = db.session.scalar(select(func.ST_AsGeoJSON(Tour.route, 6)).where(Tour.id == tour.id))
    return json.loads(text) if text else None


def related_tours(tour: Tour, limit: int = 3) -> list[Tour]:
    """Published tours to suggest instead of ``tour`` (e.g. a retired one): same theme or a
    route within 3 km, same theme first, then nearest."""
    other = aliased(Tour)
    here = select(other.route).where(other.id == tour.id).scalar_subquery()
    near = func.ST_DWithin(func.Geography(Tour.route), func.Geography(here), 3000)
    same_theme = (Tour.theme_id == tour.theme_id) if tour.theme_id else None
    wanted = or_(same_theme, near) if same_theme is not None else near
    return list(
        db.session.scalars(
            select(Tour)
            .where(visibility.public_tour(), Tour.id != tour.id, wanted)
            .options(selectinload(Tour.theme))
            .order_by(
                (same_theme if same_theme is not None else Tour.featured).desc(),
                func.ST_Distance(func.Geography(Tour.route), func.Geography(here)).nulls_last(),
                Tour.id,
            )
            .limit(limit)
        )
    )


# --- positions and computed values -------------------------------------------------------------


def _place_positions(ids: list[int]) -> dict[int, tuple[float, float, bool]]:
    """``{place_id: (lon, lat, public)}`` for the given places, in one query."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Place.id,
            func.ST_X(Place.geom),
            func.ST_Y(Place.geom),
            visibility.public_place().label("visible"),
        ).where(Place.id.in_(set(ids)))
    ).all()
    return {pid: (lon, lat, bool(visible)) for pid, lon, lat, visible in rows}


def _straight_line(stops: list[dict]) -> dict | None:
    """Straight segments between the stops in order (GeoJSON), until a walked or drawn route
    replaces them; None with fewer than two distinct positions."""
    positions = _place_positions([s["place_id"] for s in stops])
    points = [positions[s["place_id"]][:2] for s in stops if s["place_id"] in positions]
    try:
        return mapping(line_from_points(points)) if len(points) >= 2 else None
    except GeoError:
        return None


def _line(route: dict | None) -> LineString | None:
    return shape(route) if route else None


def _compute(content: dict) -> dict:
    """Fill in the generated route (if the route is generated) and every computed value:
    geodesic length in metres, walking minutes at a normal and a relaxed pace plus the time
    spent at the stops."""
    if content.get("route_source") in (None, "generated"):
        content["route"] = _straight_line(content["stops"])
        content["route_source"] = "generated" if content["route"] else None
        content["elevation_gain_m"] = content["elevation_loss_m"] = None
    line = _line(content.get("route"))
    dwell = sum(int(s.get("dwell_min") or 0) for s in content["stops"])
    if line is None:
        content["length_m"] = None
        content["duration_normal_min"] = content["duration_relaxed_min"] = None
        return content
    length = line_length_m(line)
    content["length_m"] = round(length, 1)
    content["duration_normal_min"] = round(walking_minutes(length, NORMAL_PACE_KMH)) + dwell
    content["duration_relaxed_min"] = round(walking_minutes(length, RELAXED_PACE_KMH)) + dwell
    return content


def generate_straight_route(tour: Tour) -> None:
    """Give ``tour`` (its rows) a route of straight segments between its stops and compute
    length and walking times. Used by the demo seed and whenever stops change while the route
    is generated."""
    db.session.flush()
    content = _live_content(tour)
    content["route_source"] = "generated"
    _apply(tour, _compute(content), replace_stops=False)


# --- content: live rows or pending snapshot ----------------------------------------------------


def _live_content(tour: Tour) -> dict:
    content: dict[str, Any] = {name: getattr(tour, name) for name in CONTENT_FIELDS}
    content["stops"] = [
        {
            "place_id": s.place_id,
            "transition_note": s.transition_note,
            "accessibility": s.accessibility,
            "dwell_min": s.dwell_min,
        }
        for s in sorted(tour.stops, key=lambda s: s.position)
    ]
    content["route"] = mapping(to_shape(tour.route)) if tour.route is not None else None
    content["route"] = json.loads(json.dumps(content["route"])) if content["route"] else None
    content["route_source"] = tour.route_source
    for name in METRIC_FIELDS:
        content[name] = getattr(tour, name)
    return content


def working_content(tour: Tour) -> dict:
    """What the editor shows: the pending edit of a published tour, else the tour itself."""
    if tour.pending_snapshot:
        return json.loads(json.dumps(tour.pending_snapshot))
    return _live_content(tour)


def _apply(tour: Tour, content: dict, *, replace_stops: bool = True) -> None:
    """Write content into the tour's rows (the live, public state)."""
    for name in CONTENT_FIELDS + METRIC_FIELDS:
        setattr(tour, name, content.get(name))
    route = content.get("route")
    tour.route = from_shape(shape(route), srid=4326) if route else None
    tour.route_source = content.get("route_source")
    tour.updated_at = datetime.now(UTC)
    if replace_stops:
        # Positions are unique per tour: remove the old rows before the new ones go in, or the
        # unit of work would insert "position 1" while the old "position 1" still exists.
        tour.stops.clear()
        _flush()
        for i, s in enumerate(content["stops"], start=1):
            tour.stops.append(
                TourStop(
                    place_id=s["place_id"],
                    position=i,
                    transition_note=s.get("transition_note", ""),
                    accessibility=s.get("accessibility", ""),
                    dwell_min=int(s.get("dwell_min", DEFAULT_DWELL_MIN)),
                )
            )
    _flush()


def _save(user: User, tour: Tour, content: dict) -> None:
    """Store an edit: into the rows of a draft or a tour in review, into the pending snapshot
    of a published one (it goes live when a curator publishes it)."""
    _compute(content)
    if tour.status == "published":
        content["edited_by"] = user.id
        content["edited_at"] = datetime.now(UTC).isoformat()
        tour.pending_snapshot = content
        tour.updated_at = datetime.now(UTC)
        _flush()
    else:
        _apply(tour, content)


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise Conflict(
            _("Someone else changed this tour in the meantime. Reload it to see their changes."),
            code="stale_version",
        ) from None


# --- permissions ------------------------------------------------------------------------------


def can_edit(user: User | None, tour: Tour) -> bool:
    """Curators edit every tour; authors their own until it is retired."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if user.is_curator:
        return True
    return tour.author_id == user.id and tour.status != "retired"


def get_for_edit(user: User, slug: str) -> Tour:
    """The tour with its stops, if ``user`` may edit it (NotFound for others' drafts: they
    are not public, so their existence is not revealed)."""
    tour = db.session.scalar(
        select(Tour)
        .where(Tour.slug == slug)
        .options(selectinload(Tour.stops).selectinload(TourStop.place), selectinload(Tour.theme))
    )
    if tour is None:
        raise NotFound(_("There is no tour at this address."))
    if not can_edit(user, tour):
        if visibility.is_reachable_tour(tour):
            raise Forbidden(_("Only the tour's author and curators may change it."))
        raise NotFound(_("There is no tour at this address."))
    return tour


def _check_version(tour: Tour, version: Any) -> None:
    if version is None or version == "":
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise ValidationError(_("The version must be a whole number."), field="version") from None
    if expected != tour.version:
        raise Conflict(
            _("Someone else changed this tour in the meantime. Reload it to see their changes."),
            code="stale_version",
            current=tour.version,
        )



# --- input ------------------------------------------------------------------------------------


@dataclass
class StopInput:
    """One stop as the editor sends it."""

    place_id: int
    transition_note: str = ""
    accessibility: str = ""
    dwell_min: int = DEFAULT_DWELL_MIN


@dataclass
class TourInput:
    """The editable fields of a tour; ``stops`` None keeps the current stops."""

    title: str = ""
    intro: str = ""
    theme: str = ""
    language: str = ""
    accessibility: str = ""
    cover_media_id: int | None = None
    stops: list[StopInput] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def input_from_form(form) -> TourInput:
    """A TourInput from the editor's form: stops come as parallel lists ``stop_place``,
    ``stop_note``, ``stop_access`` and ``stop_dwell`` in the order shown."""
    inp = TourInput(
        title=form.get("title", ""),
        intro=form.get("intro", ""),
        theme=form.get("theme", ""),
        language=form.get("language", ""),
        accessibility=form.get("accessibility", ""),
    )
    cover = form.get("cover_media_id", "")
    inp.cover_media_id = _int_or_none(cover)
    if cover and inp.cover_media_id is None:
        inp.errors["cover_media_id"] = _("Choose a photo from the list.")
    places = form.getlist("stop_place")
    notes = form.getlist("stop_note")
    access = form.getlist("stop_access")
    dwell = form.getlist("stop_dwell")
    if "stops_present" in form or places:
        inp.stops = []
        for i, raw in enumerate(places):
            place_id = _int_or_none(raw)
            minutes = _int_or_none(dwell[i] if i < len(dwell) else DEFAULT_DWELL_MIN)
            if place_id is None:
                inp.errors["stops"] = _("A stop refers to an unknown place.")
                continue
            if minutes is None or not 0 <= minutes <= MAX_DWELL_MIN:
                inp.errors["stops"] = _(
                    "Minutes at a stop must be a whole number from 0 to %(max)d.",
                    max=MAX_DWELL_MIN,
                )
                minutes = DEFAULT_DWELL_MIN
            inp.stops.append(
                StopInput(
                    place_id=place_id,
                    transition_note=notes[i] if i < len(notes) else "",
                    accessibility=access[i] if i < len(access) else "",
                    dwell_min=minutes,
                )
            )
    return inp


def _validated(inp: TourInput, current: dict | None) -> dict:
    """Check an input against the rules and merge it into ``current`` (or a new content)."""
    errors = dict(inp.errors)
    content: dict[str, Any] = (
        json.loads(json.dumps(current)) if current else
        {"stops": [], "route": None, "route_source": None}
    )
    title = " ".join((inp.title or "").split())
    if not title:
        errors["title"] = _("Give the tour a title.")
    elif len(title) > LIMITS["title"]:
        errors["title"] = _("The title is too long (at most %(n)d characters).", n=LIMITS["title"])
    content["title"] = title
    intro = (inp.intro or "").strip()
    if len(intro) > LIMITS["intro"]:
        errors["intro"] = _("The introduction is too long (at most %(n)d characters).",
                            n=LIMITS["intro"])
    content["intro"] = intro
    access = (inp.accessibility or "").strip()
    if len(access) > LIMITS["accessibility"]:
        errors["accessibility"] = _("The accessibility notes are too long (at most %(n)d "
                                    "characters).", n=LIMITS["accessibility"])
    content["accessibility"] = access
    languages = current_app.config["LANGUAGES"]
    language = inp.language or current_app.config["DEFAULT_LOCALE"]
    if language not in languages:
        errors["language"] = _("Choose one of the languages offered.")
    content["language"] = language
    content["theme_id"] = None
    if inp.theme:
        theme_id = db.session.scalar(select(Theme.id).where(Theme.slug == inp.theme))
        if theme_id is None:
            errors["theme"] = _("Choose one of the themes offered.")
        content["theme_id"] = theme_id
    if inp.stops is not None:
        stops, stop_error = _validated_stops(inp.stops, content["stops"])
        if stop_error:
            errors["stops"] = stop_error
        content["stops"] = stops
    content["cover_media_id"] = None
    if inp.cover_media_id is not None:
        if inp.cover_media_id in {m["id"] for m in cover_choices(content["stops"])}:
            content["cover_media_id"] = inp.cover_media_id
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
    positions = _place_positions(ids)
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
                    "dwell_min": int(s.dwell_min)})
    return out, ""


def cover_choices(stops: list[dict]) -> list[dict]:
    """Published photos of the stops' public places, for the cover photo choice."""
    ids = [s["place_id"] for s in stops]
    if not ids:
        return []
    rows = db.session.scalars(
        select(Media)
        .join(Place, Place.id == Media.place_id)
        .where(
            Media.place_id.in_(ids),
            Media.kind == "photo",
            visibility.public_media(),
            visibility.public_place(),
        )
        .order_by(Media.place_id, Media.position, Media.id)
    )
    return [{"id": m.id, "media": m, "place_id": m.place_id, "caption": m.caption} for m in rows]


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


def _event(user: User, tour: Tour, action: str, before: str | None, message: str = "") -> None:
    db.session.add(
        ModerationEvent(
            actor_id=user.id,
            actor_name=user.display_name,
            action=action,
            target_type="tour",
            target_id=tour.id,
            before_status=before,
            after_status=tour.status,
            message=message,
        )
    )


# --- writes -----------------------------------------------------------------------------------


def create_tour(user: User, inp: TourInput) -> Tour:
    """A new draft tour by ``user`` (any logged-in person)."""
    content = _validated(inp, None)
    tour = Tour(slug=_unique_slug(content["title"]), title=content["title"], author_id=user.id,
                status="draft")
    db.session.add(tour)
    _flush()
    _apply(tour, _compute(content))
    _event(user, tour, "tour_created", None)
    return tour


def update_tour(user: User, slug: str, inp: TourInput, version: Any) -> Tour:
    """Change title, texts, theme, cover and (unless ``inp.stops`` is None) the stops."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    _save(user, tour, _validated(inp, working_content(tour)))
    return tour


def add_stop(user: User, slug: str, place_id: int, version: Any) -> Tour:
    """Append one public place as the last stop."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    content = working_content(tour)
    current = [StopInput(**s) for s in content["stops"]]
    stops, error = _validated_stops([*current, StopInput(place_id=place_id)], content["stops"])
    if error:
        raise ValidationError(error, field="stops")
    content["stops"] = stops
    _save(user, tour, content)
    return tour


@dataclass
class StopChange:
    """What one stop button of the editor did (the page without JavaScript), for its message:
    ``position`` is the stop's number afterwards (0 once removed), ``total`` the stop count."""

    action: str
    place_id: int
    title: str
    position: int
    total: int


STOP_ACTIONS = ("add", "up", "down", "remove")


def apply_stop_button(inp: TourInput, value: str) -> StopChange:
    """Apply a stop button of the editor's form to the stops in ``inp``: ``"up:<place id>"``,
    ``"down:…"``, ``"remove:…"`` or ``"add:…"``. Nothing is stored here: the save that follows
    checks the version and the stops as usual. A button that does not fit the stops sent with
    it is a ValidationError (field ``stops``), so nothing is half done."""
    action, _sep, raw_id = (value or "").partition(":")
    place_id = _int_or_none(raw_id)
    if action not in STOP_ACTIONS or place_id is None or inp.stops is None:
        raise ValidationError(_("That change to the stops is not possible."), field="stops")
    ids = [s.place_id for s in inp.stops]
    titles = dict(place_titles([place_id]))
    if place_id not in titles:
        raise ValidationError(_("A stop refers to an unknown place."), field="stops")
    title = titles[place_id]
    if action == "add":
        if place_id in ids:
            raise ValidationError(_("%(title)s is already a stop.", title=title), field="stops")
        inp.stops.append(StopInput(place_id=place_id))
        return StopChange(action, place_id, title, len(inp.stops), len(inp.stops))
    if place_id not in ids:
        raise ValidationError(_("That place is not a stop of this tour."), field="stops")
    index = ids.index(place_id)
    if action == "remove":
        del inp.stops[index]
        return StopChange(action, place_id, title, 0, len(inp.stops))
    target = index - 1 if action == "up" else index + 1
    if not 0 <= target < len(inp.stops):
        raise ValidationError(
            _("The first stop cannot move further up.") if action == "up"
            else _("The last stop cannot move further down."),
            field="stops",
        )
    inp.stops.insert(target, inp.stops.pop(index))
    return StopChange(action, place_id, title, target + 1, len(inp.stops))


def reorder_stops(user: User, slug: str, place_ids: list[int], version: Any) -> Tour:
    """Put the stops in the order of ``place_ids`` (the same places, each once)."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    content = working_content(tour)
    by_place = {s["place_id"]: s for s in content["stops"]}
    if sorted(place_ids) != sorted(by_place):
        raise ValidationError(
            _("The new order must list every stop of the tour exactly once."), field="order"
        )
    content["stops"] = [by_place[pid] for pid in place_ids]
    _save(user, tour, content)
    return tour


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
    positions = _place_positions(ids)
    if len(set(ids)) != len(ids) or any(
        i not in positions or (not positions[i][2] and i not in current) for i in ids
    ):
        raise ValidationError(_("A stop refers to an unknown place."), field="order")
    points = [positions[i][:2] for i in ids]
    if len(points) < 3:
        return {"order": ids, "length_before_m": round(path_length_m(points, range(len(ids))), 1),
                "length_after_m": round(path_length_m(points, range(len(ids))), 1),
                "changed": False}
    start = 0 if keep_start else None
    end = len(points) - 1 if keep_end else None
    order = suggest_order(points, start=start, end=end)
    before = path_length_m(points, list(range(len(points))))
    after = path_length_m(points, order)
    if after >= before - 0.5:
        # Never propose a longer (or equal) walk than the author's own order.
        order, after = list(range(len(points))), before
    return {
        "order": [ids[i] for i in order],
        "length_before_m": round(before, 1),
        "length_after_m": round(after, 1),
        "changed": order != list(range(len(points))),
    }


@dataclass
class RouteReport:
    """What happened to an imported or drawn route, for the person who sent it."""

    points: int
    length_m: float
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    noise_removed: int = 0
    off_route: list[dict] = field(default_factory=list)


def _service_area() -> ServiceArea:
    return ServiceArea(current_app.config["SERVICE_AREA"])


GPX_MESSAGES = {
    "empty": lambda p: _("The file is empty."),
    "too_large": lambda p: _("The file is too large; the limit is %(mb)d MB.",
                             mb=round((p.get("limit") or 0) / 1048576)),
    "compressed": lambda p: _("The file is compressed (gzip or zip). Unpack it and upload the "
                              ".gpx file inside."),
    "not_xml": lambda p: _("This is not a GPX file: it is not readable XML."),
    "fit": lambda p: _("This is a Garmin FIT activity, not GPX. Export the activity as GPX and "
                       "upload that."),
    "tcx": lambda p: _("This is a Garmin TCX file, not GPX. Export the activity as GPX and "
                       "upload that."),
    "kml": lambda p: _("This is a KML file (Google Earth), not GPX. Export it as GPX."),
    "not_gpx": lambda p: _("This file is not GPX or is damaged."),
    "unsafe_xml": lambda p: _("The file uses XML features that are refused for safety "
                              "(DOCTYPE or entities). GPX files never need them."),
    "too_many_points": lambda p: _("The file has too many points (more than %(n)d).",
                                   n=p.get("limit") or 0),
    "bad_coordinates": lambda p: _("Some points in the file have impossible coordinates "
                                   "(latitude beyond ±90° or longitude beyond ±180°)."),
    "no_points": lambda p: _("The file contains no track, route or waypoint."),
    "outside_area": lambda p: _("%(outside)d of %(total)d points lie outside the area this "
                                "site covers.", outside=p.get("outside") or 0,
                                total=p.get("total") or 0),
    "no_route": lambda p: _("The file has only waypoints. A route needs a track or a route "
                            "(a line)."),
    "too_few_points": lambda p: _("The track has fewer than two different positions, so it "
                                  "is not a line."),
}


def gpx_refusal(exc: GpxError) -> ValidationError:
    """A refused GPX as a 422 naming the field ``file``, in the reader's language."""
    message = GPX_MESSAGES.get(exc.code, GPX_MESSAGES["not_gpx"])(exc.params)
    return ValidationError(message, field="file", code=f"gpx_{exc.code}")


def route_from_gpx(data: bytes) -> tuple[dict, RouteReport]:
    """Turn GPX bytes into a stored route (GeoJSON LineString, 2D) and a report.

    Tracks before routes, segments joined in order; points with impossible coordinates are a
    refusal here (a route with holes is not a route people can follow), as is any point
    outside the service area; isolated GPS spikes are removed, then the line is simplified
    with a tolerance in metres. Elevation gain and loss come from the points before
    simplification.

    Raises:
        ValidationError: field ``file``, code ``gpx_<reason>``.
    """
    try:
        gpx = read_gpx(data, service_area=_service_area())
        dropped = sum(w.count for w in gpx.warnings if w.code == "dropped_points")
        if dropped:
            raise GpxError("bad_coordinates", "impossible coordinates", dropped=dropped)
        points = route_points(gpx)
        kept = remove_noise(points)
        full = line_from_points([(p.lon, p.lat) for p in kept])
        simple = simplify_m(full, SIMPLIFY_TOLERANCE_M)
    except GpxError as exc:
        raise gpx_refusal(exc) from None
    gain_loss = elevation_gain_loss([p.ele for p in kept])
    route = json.loads(json.dumps(mapping(simple)))
    report = RouteReport(
        points=len(simple.coords),
        length_m=round(line_length_m(simple), 1),
        elevation_gain_m=round(gain_loss[0], 1) if gain_loss else None,
        elevation_loss_m=round(gain_loss[1], 1) if gain_loss else None,
        noise_removed=len(points) - len(kept),
    )
    return route, report


def route_from_geojson(geometry: Any) -> tuple[dict, RouteReport]:
    """A drawn route: a GeoJSON LineString (or a Feature holding one), inside the service area.

    Raises:
        ValidationError: field ``route``.
    """
    if isinstance(geometry, str):
        try:
            geometry = json.loads(geometry)
        except ValueError:
            raise ValidationError(_("The drawn route could not be read."), field="route") from None
    if isinstance(geometry, dict) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "LineString":
        raise ValidationError(_("Draw the route as one line."), field="route")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValidationError(_("A route needs at least two points."), field="route")
    if len(coords) > MAX_DRAWN_POINTS:
        raise ValidationError(_("The drawn route has too many points (more than %(n)d).",
                                n=MAX_DRAWN_POINTS), field="route")
    area = _service_area()
    points = []
    try:
        for c in coords:
            if not isinstance(c, list | tuple) or len(c) < 2:
                raise GeoError("bad point")
            lon, lat = validate_lonlat(c[0], c[1])
            if not area.contains(lon, lat):
                raise ValidationError(_("The drawn route leaves the area this site covers."),
                                      field="route")
            points.append((lon, lat))
        line = line_from_points(points)
    except GeoError:
        raise ValidationError(_("The drawn route has points that are not valid positions."),
                              field="route") from None
    route = json.loads(json.dumps(mapping(line)))
    return route, RouteReport(points=len(points), length_m=round(line_length_m(line), 1))


def _off_route(content: dict) -> list[dict]:
    line = _line(content.get("route"))
    if line is None:
        return []
    ids = [s["place_id"] for s in content["stops"]]
    positions = _place_positions(ids)
    titles = dict(db.session.execute(select(Place.id, Place.title).where(Place.id.in_(ids))).all())
    far = stops_off_route(line, [positions[i][:2] for i in ids], STOP_OFF_ROUTE_M)
    return [{"number": i + 1, "place_id": ids[i], "title": titles.get(ids[i], ""),
             "distance_m": round(d)} for i, d in far]


def off_route_stops(tour: Tour) -> list[dict]:
    """Stops more than 50 m from the tour's (working) route: number, title, distance in m."""
    return _off_route(working_content(tour))


def set_route_from_gpx(user: User, slug: str, data: bytes, version: Any = None) -> RouteReport:
    """A GPX upload becomes the tour's route (see ``route_from_gpx``); nothing is stored when
    it is refused. The report lists stops more than 50 m from the new route."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    route, report = route_from_gpx(data)
    content = working_content(tour)
    content.update(route=route, route_source="gpx", elevation_gain_m=report.elevation_gain_m,
                   elevation_loss_m=report.elevation_loss_m)
    _save(user, tour, content)
    report.off_route = _off_route(content)
    return report


def set_route_drawn(user: User, slug: str, geometry: Any, version: Any) -> RouteReport:
    """A route drawn or edited on the map becomes the tour's route."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    route, report = route_from_geojson(geometry)
    content = working_content(tour)
    content.update(route=route, route_source="drawn", elevation_gain_m=None,
                   elevation_loss_m=None)
    _save(user, tour, content)
    report.off_route = _off_route(content)
    return report


def reset_route(user: User, slug: str, version: Any) -> Tour:
    """Back to straight segments between the stops."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    content = working_content(tour)
    content["route_source"] = "generated"
    _save(user, tour, content)
    return tour


# --- lifecycle --------------------------------------------------------------------------------


def _public_stop_count(stops: list[dict]) -> int:
    positions = _place_positions([s["place_id"] for s in stops])
    return sum(1 for s in stops if positions.get(s["place_id"], (0, 0, False))[2])


def _require_publishable(content: dict) -> None:
    if _public_stop_count(content["stops"]) < MIN_PUBLISH_STOPS:
        raise ValidationError(
            _("A tour needs at least %(n)d published places as stops before it can be "
              "published.", n=MIN_PUBLISH_STOPS),
            field="stops", code="too_few_stops",
        )
    if not content.get("title"):
        raise ValidationError(_("Give the tour a title."), field="title")


def submit_for_review(user: User, slug: str, version: Any) -> Tour:
    """The author asks the curators to publish a draft."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    if tour.status != "draft":
        raise Conflict(_("Only a draft can be sent for review."), code="wrong_status")
    _require_publishable(working_content(tour))
    before, tour.status = tour.status, "review"
    tour.updated_at = datetime.now(UTC)
    _flush()
    _event(user, tour, "tour_submitted", before)
    return tour


def publish(user: User, slug: str, version: Any) -> Tour:
    """A curator publishes a draft, a tour in review, a retired tour again, or the pending
    edit of a published tour. Needs at least two published places as stops."""
    tour = get_for_edit(user, slug)
    require_curator(user)
    _check_version(tour, version)
    now = datetime.now(UTC)
    before = tour.status
    if tour.status == "published":
        if not tour.pending_snapshot:
            raise Conflict(_("This tour is already published and has no changes waiting."),
                           code="wrong_status")
        content = working_content(tour)
        _require_publishable(content)
        tour.pending_snapshot = None
        _apply(tour, content)
        _event(user, tour, "tour_changes_published", before)
        return tour
    content = _live_content(tour)
    _require_publishable(content)
    if tour.route is None:
        _apply(tour, _compute(content), replace_stops=False)
    tour.status = "published"
    tour.published_at = tour.published_at or now
    tour.retired_at = None
    tour.updated_at = now
    _flush()
    _event(user, tour, "tour_published", before)
    return tour


def return_to_draft(user: User, slug: str, version: Any, message: str = "") -> Tour:
    """A curator sends a tour in review back to its author."""
    tour = get_for_edit(user, slug)
    require_curator(user)
    _check_version(tour, version)
    if tour.status != "review":
        raise Conflict(_("Only a tour in review can be sent back."), code="wrong_status")
    before, tour.status = tour.status, "draft"
    tour.updated_at = datetime.now(UTC)
    _flush()
    _event(user, tour, "tour_returned", before, (message or "").strip()[:2000])
    return tour


def discard_changes(user: User, slug: str, version: Any) -> Tour:
    """Drop the pending edit of a published tour (author or curator)."""
    tour = get_for_edit(user, slug)
    _check_version(tour, version)
    if not tour.pending_snapshot:
        raise Conflict(_("There are no changes waiting."), code="wrong_status")
    tour.pending_snapshot = None
    tour.updated_at = datetime.now(UTC)
    _flush()
    _event(user, tour, "tour_changes_discarded", tour.status)
    return tour


def retire(user: User, slug: str, version: Any) -> Tour:
    """A curator retires a published tour: it keeps its URL with a notice and suggestions,
    and leaves lists, feeds and the API listing."""
    tour = get_for_edit(user, slug)
    require_curator(user)
    _check_version(tour, version)
    if tour.status != "published":
        raise Conflict(_("Only a published tour can be retired."), code="wrong_status")
    before, tour.status = tour.status, "retired"
    tour.retired_at = tour.updated_at = datetime.now(UTC)
    tour.pending_snapshot = None
    _flush()
    _event(user, tour, "tour_retired", before)
    return tour


# --- lists for authors and curators ----------------------------------------------------------


def my_tours(user: User) -> list[Tour]:
    """The user's own tours, newest change first."""
    return list(
        db.session.scalars(
            select(Tour).where(Tour.author_id == user.id)
            .options(selectinload(Tour.stops))
            .order_by(Tour.updated_at.desc(), Tour.id.desc())
        )
    )


def tours_awaiting_review() -> list[Tour]:
    """Tours a curator should look at: in review, or published with an edit waiting."""
    return list(
        db.session.scalars(
            select(Tour)
            .where(or_(Tour.status == "review",
                       and_(Tour.status == "published", Tour.pending_snapshot.is_not(None))))
            .options(selectinload(Tour.author), selectinload(Tour.stops))
            .order_by(Tour.updated_at, Tour.id)
        )
    )


def tours_needing_attention() -> list[dict]:
    """Published tours (and tours in review) with a stop whose place is no longer public
    (hidden, archived, merged): ``{"tour": Tour, "unavailable": [{"number", "place_id",
    "title", "status"}]}``, oldest problem first. For the curators' queue."""
    rows = db.session.execute(
        select(Tour, TourStop.position, Place.id, Place.title, Place.status, Place.hidden_at)
        .join(TourStop, TourStop.tour_id == Tour.id)
        .join(Place, Place.id == TourStop.place_id)
        .where(Tour.status.in_(("published", "review")), ~visibility.public_place())
        .order_by(Tour.id, TourStop.position)
    ).all()
    out: dict[int, dict] = {}
    for tour, position, place_id, title, status, hidden_at in rows:
        entry = out.setdefault(tour.id, {"tour": tour, "unavailable": []})
        entry["unavailable"].append({
            "number": position, "place_id": place_id, "title": title,
            "status": "hidden" if hidden_at else status,
        })
    return list(out.values())


def curation_overview() -> dict[str, list[Tour]]:
    """Every tour by status, for /curate/tours."""
    tours = db.session.scalars(
        select(Tour).options(selectinload(Tour.author), selectinload(Tour.stops),
                             selectinload(Tour.theme))
        .order_by(Tour.updated_at.desc(), Tour.id.desc())
    )
    groups: dict[str, list[Tour]] = {"review": [], "draft": [], "published": [], "retired": []}
    for tour in tours:
        groups.setdefault(tour.status, []).append(tour)
    return groups


def place_titles(ids: list[int]) -> list[tuple[int, str]]:
    """``(id, title)`` of the given places, whatever their status (for authors and curators)."""
    if not ids:
        return []
    return [tuple(r) for r in db.session.execute(
        select(Place.id, Place.title).where(Place.id.in_(set(ids)))).all()]


def known_place_ids(ids: list[int]) -> set[int]:
    """The ids among ``ids`` that name an existing place."""
    return {pid for pid, _title in place_titles(ids)}


def editor_stops(content: dict) -> list[dict]:
    """The content's stops for the editor: number, texts, the place's title, summary and
    position, and whether the place is still public."""
    ids = [s["place_id"] for s in content["stops"]]
    positions = _place_positions(ids)
    rows = db.session.execute(
        select(Place.id, Place.title, Place.summary).where(Place.id.in_(set(ids)))
    ).all() if ids else []
    info = {r.id: r for r in rows}
    out = []
    for i, s in enumerate(content["stops"], start=1):
        lon, lat, public = positions.get(s["place_id"], (None, None, False))
        place = info.get(s["place_id"])
        out.append({**s, "number": i, "title": place.title if place else "",
                    "summary": place.summary if place else "", "lon": lon, "lat": lat,
                    "available": public})
    return out


def place_choices(q: str = "", limit: int = 500) -> list[dict]:
    """Public places the editor can add as stops: id, title, summary, lon, lat; filtered by
    words in the title when ``q`` is given."""
    stmt = select(
        Place.id, Place.title, Place.summary,
        func.ST_X(Place.geom).label("lon"), func.ST_Y(Place.geom).label("lat"),
    ).where(visibility.public_place())
    words = (q or "").strip()
    if words:
        stmt = stmt.where(func.f_unaccent(func.lower(Place.title)).contains(
            func.f_unaccent(func.lower(words))))
    rows = db.session.execute(stmt.order_by(Place.title, Place.id).limit(limit)).all()
    return [{"id": r.id, "title": r.title, "summary": r.summary, "lon": r.lon, "lat": r.lat}
            for r in rows]


# --- outputs ------------------------------------------------------------------------------------


def get_public_tour(slug: str, *, include_retired: bool = False) -> Tour:
    """A published (or, when asked, retired) tour, else NotFound."""
    visible = visibility.reachable_tour() if include_retired else visibility.public_tour()
    tour = db.session.scalar(
        select(Tour).where(Tour.slug == slug, visible)
        .options(selectinload(Tour.theme), selectinload(Tour.author),
                 selectinload(Tour.stops).selectinload(TourStop.place))
    )
    if tour is None:
        raise NotFound(_("There is no published tour at this address."))
    return tour


def tour_collection(tour: Tour, site: str) -> dict:
    """The tour as a GeoJSON FeatureCollection: the route (a LineString feature) and the
    available stops as numbered Point features; tour facts in ``properties`` of the
    collection (a foreign member, as RFC 7946 allows)."""
    url = f"{site}/tours/{tour.slug}"
    features: list[dict] = []
    route = route_geojson(tour)
    if route:
        features.append({"type": "Feature", "id": "route", "geometry": route,
                         "properties": {"kind": "route", "source": tour.route_source}})
    for s in stop_points(tour):
        if not s["available"]:
            continue
        features.append({
            "type": "Feature",
            "id": f"stop-{s['number']}",
            "geometry": {"type": "Point",
                         "coordinates": [round(s["lon"], 6), round(s["lat"], 6)]},
            "properties": {
                "kind": "stop", "number": s["number"], "place_id": s["place_id"],
                "title": s["title"], "summary": s["summary"], "note": s["note"],
                "accessibility": s["accessibility"], "dwell_min": s["dwell_min"],
                "url": f"{site}/places/{s['place_id']}",
            },
        })
    return {
        "type": "FeatureCollection",
        "properties": tour_facts(tour, site),
        "features": features,
        "links": [
            {"rel": "alternate", "type": "text/html", "href": url},
            {"rel": "alternate", "type": "application/gpx+xml",
             "href": f"{site}/api/v1/tours/{tour.slug}.gpx"},
            {"rel": "alternate", "type": "application/pdf", "href": f"{url}.pdf"},
        ],
    }


def tour_facts(tour: Tour, site: str) -> dict:
    """The tour's facts as plain JSON values (API and exports)."""
    from app.services.geodata import TOUR_LICENCE

    return {
        "slug": tour.slug,
        "title": tour.title,
        "intro": tour.intro,
        "status": tour.status,
        "theme": tour.theme.slug if tour.theme else None,
        "language": tour.language,
        "accessibility": tour.accessibility,
        "length_m": tour.length_m,
        "elevation_gain_m": tour.elevation_gain_m,
        "elevation_loss_m": tour.elevation_loss_m,
        "duration_min": tour.duration_normal_min,
        "duration_relaxed_min": tour.duration_relaxed_min,
        "stops": len(tour.stops),
        "url": f"{site}/tours/{tour.slug}",
        "licence": TOUR_LICENCE,
        "attribution": tour.author.display_name if tour.author else "",
        "published_at": _iso(tour.published_at),
        "updated_at": _iso(tour.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tour_gpx(tour: Tour, site: str) -> str:
    """GPX 1.1 of the tour: the route as a track, the available stops as waypoints with their
    names, short texts and links."""
    from geo.gpx_write import write_gpx

    route = route_geojson(tour)
    waypoints = [
        {"lon": s["lon"], "lat": s["lat"], "name": f"{s['number']}. {s['title']}",
         "description": s["summary"] or s["note"], "link": f"{site}/places/{s['place_id']}"}
        for s in stop_points(tour) if s["available"]
    ]
    return write_gpx(
        tour.title, _plain(tour.intro), shape(route) if route else None, waypoints,
        link=f"{site}/tours/{tour.slug}", time=tour.updated_at,
    )


def _plain(markdown: str) -> str:
    from app.services.text import plain_text

    return plain_text(markdown)
