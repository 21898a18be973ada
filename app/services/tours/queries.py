"""Reads of tours for visitors, authors and curators: lists, one tour, its stops and route,
and the places an editor may choose from."""

from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Media, Place, Theme, Tour, TourStop, User
from app.models.statuses import MediaKind, TourStatus
from app.services import visibility
from app.services.tours.content import place_positions
from app.services.tours.featured import story_choices, tour_stop_stories

# --- visitors ---------------------------------------------------------------------------------


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


def stop_points(tour: Tour, *, stories: bool = False) -> list[dict]:
    """The tour's stops with position and availability (a hidden place is unavailable); with
    ``stories``, also the stories each available stop shows (``featured``: chosen by the
    author; ``stories``: ``StopStory``s, see app/services/tours/featured.py), in one more
    query."""
    coords = place_positions([s.place_id for s in tour.stops])
    shown = tour_stop_stories(tour) if stories else None
    # A hidden, rejected or withdrawn stop keeps its number and position on the route but
    # shows nothing of the place: its text must leave every surface with it.
    points = [
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
    if shown is not None:
        for point in points:
            featured, told = shown.get(point["place_id"], (False, []))
            point["featured"] = featured and point["available"]
            point["stories"] = told if point["available"] else []
    return points


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


# --- authors and curators ---------------------------------------------------------------------


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
            .where(or_(Tour.status == TourStatus.REVIEW,
                       and_(Tour.status == TourStatus.PUBLISHED,
                            Tour.pending_snapshot.is_not(None))))
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
        .where(Tour.status.in_((TourStatus.PUBLISHED, TourStatus.REVIEW)),
               ~visibility.public_place())
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
    """Every tour by status, for /curate/tours: in review first, then drafts, published and
    retired tours."""
    tours = db.session.scalars(
        select(Tour).options(selectinload(Tour.author), selectinload(Tour.stops),
                             selectinload(Tour.theme))
        .order_by(Tour.updated_at.desc(), Tour.id.desc())
    )
    order = (TourStatus.REVIEW, TourStatus.DRAFT, TourStatus.PUBLISHED, TourStatus.RETIRED)
    groups: dict[str, list[Tour]] = {status.value: [] for status in order}
    for tour in tours:
        groups.setdefault(tour.status, []).append(tour)
    return groups


def theme_slug(theme_id: int | None) -> str | None:
    """The slug of the theme ``theme_id``, or None (no theme, or one since removed)."""
    if theme_id is None:
        return None
    return db.session.scalar(select(Theme.slug).where(Theme.id == theme_id))


def theme_id(slug: str) -> int | None:
    """The id of the theme with ``slug``, or None."""
    if not slug:
        return None
    return db.session.scalar(select(Theme.id).where(Theme.slug == slug))


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
    position, whether the place is still public, and the stories that may be featured there
    (``story_choices``: its public stories, and those featured before that are no longer
    public, marked ``"available": False``)."""
    ids = [s["place_id"] for s in content["stops"]]
    positions = place_positions(ids)
    choices = story_choices(ids)
    rows = db.session.execute(
        select(Place.id, Place.title, Place.summary).where(Place.id.in_(set(ids)))
    ).all() if ids else []
    info = {r.id: r for r in rows}
    out = []
    for i, s in enumerate(content["stops"], start=1):
        lon, lat, public = positions.get(s["place_id"], (None, None, False))
        place = info.get(s["place_id"])
        offered = [{**c, "available": True} for c in choices.get(s["place_id"], [])]
        known = {c["id"] for c in offered}
        featured = list(s.get("featured_story_ids") or [])
        offered += [{"id": sid, "title": "", "credit": "", "available": False}
                    for sid in featured if sid not in known]
        out.append({**s, "featured_story_ids": featured, "number": i,
                    "title": place.title if place else "",
                    "summary": place.summary if place else "", "lon": lon, "lat": lat,
                    "available": public, "story_choices": offered})
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
            Media.kind == MediaKind.PHOTO,
            visibility.public_media(),
            visibility.public_place(),
        )
        .order_by(Media.place_id, Media.position, Media.id)
    )
    return [{"id": m.id, "media": m, "place_id": m.place_id, "caption": m.caption} for m in rows]
