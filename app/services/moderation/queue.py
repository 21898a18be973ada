"""The curators' queue, oldest first, and everything a curator needs to decide one item.

Seven kinds of items: ``place`` (a new place waiting for its first approval), ``edit`` (a
pending revision of a public place), ``media`` (a photo or recording added to a public
place), ``flag`` (open reports about one public place or medium, one item per target) and
``story`` (a further story of a public place waiting for review, or one an older merge had
appended to another's text and that a curator should check: one item per story); and the
conversation's ``reply`` and ``talk`` (replies and place notes waiting for a curator, from
``moderation/conversation.py``, which also decides them).

An item whose recording has no transcript yet carries ``transcript_missing`` (it can still
be approved; the queue and the item page say so and offer to add one).
"""

from __future__ import annotations

import math

from flask_babel import gettext as _
from sqlalchemy import func, select, text

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Flag, Media, Place, PlaceRevision, Story, Theme, User, place_themes
from app.models.statuses import (
    FlagStatus,
    MediaKind,
    MediaStatus,
    PlaceStatus,
    RevisionStatus,
    StoryStatus,
)
from app.services import revisions, transcripts, visibility
from app.services.moderation import conversation
from app.services.moderation.base import (
    CONVERSATION_KINDS,
    KINDS,
    NEARBY_RADIUS_M,
    REVIEWED_KINDS,
    load_place,
)


def _theme_filter(place_id_col, theme: str | None):
    if not theme:
        return True
    return place_id_col.in_(
        select(place_themes.c.place_id)
        .join(Theme, Theme.id == place_themes.c.theme_id)
        .where(Theme.slug == theme)
    )


def _lonlat(geom_col):
    return func.ST_X(geom_col).label("lon"), func.ST_Y(geom_col).label("lat")


def queue(kind: str | None = None, theme: str | None = None, limit: int = 500) -> list[dict]:
    """Everything waiting for a curator, oldest first, as plain dicts for lists and maps."""
    kind, theme = kind or None, theme or None  # empty form fields mean "all"
    if kind and kind not in KINDS:
        raise ValidationError(_("Unknown kind of item."), field="kind")
    items: list[dict] = []
    if kind in (None, "place", "edit"):
        rows = db.session.execute(
            select(PlaceRevision.id, PlaceRevision.created_at, PlaceRevision.number,
                   PlaceRevision.snapshot, Place.id.label("place_id"), Place.status,
                   Place.title, User.display_name, Place.author_name,
                   transcripts.place_missing_transcript(Place.id).label("no_transcript"))
            .join(Place, Place.id == PlaceRevision.place_id)
            .outerjoin(User, User.id == PlaceRevision.author_id)
            .where(PlaceRevision.status == RevisionStatus.PENDING, Place.merged_into_id.is_(None),
                   Place.status.in_((PlaceStatus.PENDING, PlaceStatus.APPROVED)),
                   _theme_filter(Place.id, theme))
        ).all()
        for r in rows:
            item_kind = "edit" if r.status == PlaceStatus.APPROVED else "place"
            if kind and item_kind != kind:
                continue
            snap = r.snapshot or {}
            items.append({
                "kind": item_kind, "id": r.place_id if item_kind == "place" else r.id,
                "place_id": r.place_id, "title": snap.get("title") or r.title,
                "created_at": r.created_at, "who": r.author_name or r.display_name or "",
                "lon": snap.get("lon"), "lat": snap.get("lat"), "detail": "",
                "transcript_missing": bool(r.no_transcript),
            })
    if kind in (None, "media"):
        lon, lat = _lonlat(Place.geom)
        rows = db.session.execute(
            select(Media.id, Media.kind, Media.created_at, Media.caption, Place.id.label("pid"),
                   Place.title, User.display_name, lon, lat, Media.transcript)
            .join(Place, Place.id == Media.place_id)
            .outerjoin(User, User.id == Media.uploader_id)
            .where(Media.status == MediaStatus.PENDING, Media.kind.in_(REVIEWED_KINDS),
                   visibility.public_place(), _theme_filter(Place.id, theme))
        ).all()
        for r in rows:
            items.append({
                "kind": "media", "id": r.id, "place_id": r.pid, "title": r.title,
                "created_at": r.created_at, "who": r.display_name or "", "lon": r.lon,
                "lat": r.lat, "detail": r.kind,
                "transcript_missing": r.kind == MediaKind.AUDIO and not r.transcript,
            })
    if kind in (None, "flag"):
        items.extend(_flag_items(theme))
    if kind in (None, "story"):
        items.extend(_story_items(theme))
    if kind in (None, *CONVERSATION_KINDS):
        items.extend(i for i in conversation.queue_items()
                     if (kind in (None, i["kind"])) and _in_theme(i["place_id"], theme))
    items.sort(key=lambda i: (i["created_at"], i["kind"], i["id"]))
    return items[:limit]


def _in_theme(place_id: int, theme: str | None) -> bool:
    if not theme:
        return True
    return bool(db.session.scalar(select(func.count()).select_from(place_themes)
                                  .join(Theme, Theme.id == place_themes.c.theme_id)
                                  .where(place_themes.c.place_id == place_id,
                                         Theme.slug == theme)))


def _waiting_stories():
    """Further stories that wait for a curator: pending, or marked to check after the split
    of an older merge (and not withdrawn). A lead story is reviewed with its place."""
    return (Story.is_lead.is_(False)
            & ((Story.status == StoryStatus.PENDING)
               | (Story.needs_check & ~Story.is_removed)))


def _story_items(theme: str | None) -> list[dict]:
    lon, lat = _lonlat(Place.geom)
    rows = db.session.execute(
        select(Story.id, Story.title, Story.created_at, Story.needs_check, Story.author_name,
               Story.place_id, User.display_name, lon, lat,
               transcripts.missing_transcript(Story.id).label("no_transcript"))
        .join(Place, Place.id == Story.place_id)
        .outerjoin(User, User.id == Story.author_id)
        .where(_waiting_stories(), visibility.public_place(), _theme_filter(Place.id, theme))
    ).all()
    return [{"kind": "story", "id": r.id, "place_id": r.place_id, "title": r.title,
             "created_at": r.created_at, "who": r.author_name or r.display_name or "",
             "lon": r.lon, "lat": r.lat,
             "detail": _("to check: split from an older merge") if r.needs_check else "",
             "transcript_missing": bool(r.no_transcript)}
            for r in rows]


def _flag_items(theme: str | None) -> list[dict]:
    media_place = select(Media.place_id).where(Media.id == Flag.media_id).scalar_subquery()
    target_place = func.coalesce(Flag.place_id, media_place)
    groups = db.session.execute(
        select(
            func.min(Flag.id).label("first_id"),
            Flag.place_id, Flag.media_id,
            func.min(Flag.created_at).label("created_at"),
            func.count(func.distinct(Flag.reporter_key)).label("reporters"),
            func.array_agg(func.distinct(Flag.reason)).label("reasons"),
        )
        # Reports on replies wait as reply items (moderation/conversation.py).
        .where(Flag.status == FlagStatus.OPEN, Flag.reply_id.is_(None),
               _theme_filter(target_place, theme))
        .group_by(Flag.place_id, Flag.media_id)
    ).all()
    out = []
    for g in groups:
        place = db.session.get(Place, g.place_id) if g.place_id else None
        medium = db.session.get(Media, g.media_id) if g.media_id else None
        if medium is not None:
            place = medium.place
        if place is None:
            continue
        lon, lat = revisions.row_snapshot(place)["lon"], revisions.row_snapshot(place)["lat"]
        out.append({
            "kind": "flag", "id": g.first_id, "place_id": place.id, "title": place.title,
            "created_at": g.created_at, "who": "", "lon": lon, "lat": lat,
            "detail": ", ".join(sorted(g.reasons or [])), "reporters": g.reporters,
            "target": "media" if medium is not None else "place",
            "hidden": (medium or place).hidden_at is not None,
        })
    return out


def counts() -> dict[str, int]:
    """How many items of each kind wait (for the navigation)."""
    pending = db.session.execute(
        select(Place.status, func.count(PlaceRevision.id))
        .join(Place, Place.id == PlaceRevision.place_id)
        .where(PlaceRevision.status == RevisionStatus.PENDING, Place.merged_into_id.is_(None),
               Place.status.in_((PlaceStatus.PENDING, PlaceStatus.APPROVED)))
        .group_by(Place.status)
    ).all()
    by_status = dict(pending)
    media = db.session.scalar(
        select(func.count(Media.id)).join(Place, Place.id == Media.place_id)
        .where(Media.status == MediaStatus.PENDING, Media.kind.in_(REVIEWED_KINDS),
               visibility.public_place())
    )
    flags = db.session.scalar(
        select(func.count(func.distinct(func.coalesce(Flag.place_id, -Flag.media_id))))
        .where(Flag.status == FlagStatus.OPEN, Flag.reply_id.is_(None))
    )
    waiting_stories = db.session.scalar(
        select(func.count(Story.id)).join(Place, Place.id == Story.place_id)
        .where(_waiting_stories(), visibility.public_place()))
    result = {"place": by_status.get(PlaceStatus.PENDING, 0),
              "edit": by_status.get(PlaceStatus.APPROVED, 0),
              "media": media or 0, "flag": flags or 0, "story": waiting_stories or 0,
              **conversation.counts()}
    result["total"] = sum(result.values())
    return result


def next_item(after_kind: str | None = None, after_id: int | None = None,
              kind: str | None = None, theme: str | None = None) -> dict | None:
    """The oldest waiting item other than the one just decided."""
    for item in queue(kind, theme, limit=50):
        if (item["kind"], item["id"]) != (after_kind, after_id):
            return item
    return None


def neighbours(kind: str, item_id: int, queue_kind: str | None = None,
               theme: str | None = None) -> tuple[dict | None, dict | None]:
    """The items before and after this one in the queue (for j/k)."""
    items = queue(queue_kind, theme)
    keys = [(i["kind"], i["id"]) for i in items]
    try:
        at = keys.index((kind, item_id))
    except ValueError:
        return None, (items[0] if items else None)
    return (items[at - 1] if at > 0 else None), (items[at + 1] if at + 1 < len(items) else None)


_NEARBY_SQL = text(
    f"""
    SELECT p.id, p.title,
           ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
           ST_Distance(p.geom::geography, here::geography) AS distance_m,
           similarity(f_unaccent(lower(p.title)), f_unaccent(lower(:title))) AS similarity
    FROM places p, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS here
    WHERE {visibility.place_sql("p")}
      AND p.id <> :id
      -- the degree box lets the GiST index narrow first; the geography test is exact
      AND ST_DWithin(p.geom, here, :deg)
      AND ST_DWithin(p.geom::geography, here::geography, :radius)
    ORDER BY distance_m
    LIMIT 20
    """  # noqa: S608  (the visibility fragment is constant; every value is bound)
)


def nearby_places(place_id: int, title: str, lon: float, lat: float,
                  radius_m: float = NEARBY_RADIUS_M) -> list[dict]:
    """Public places within ``radius_m`` of a position: possible duplicates of it (a
    similar title makes one likelier)."""
    deg = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.1
    rows = db.session.execute(_NEARBY_SQL, {
        "id": place_id, "title": title or "", "lon": lon, "lat": lat, "deg": deg,
        "radius": radius_m,
    }).all()
    return [{"id": r.id, "title": r.title, "lon": r.lon, "lat": r.lat,
             "distance_m": round(r.distance_m, 1), "similar": r.similarity >= 0.3}
            for r in rows]


def _contributor_summary(user_id: int | None, fallback: str | None) -> dict:
    if not user_id:
        return {"name": fallback or "", "id": None, "approved": 0, "rejected": 0}
    user = db.session.get(User, user_id)
    stats = dict(db.session.execute(
        select(PlaceRevision.status, func.count())
        .where(PlaceRevision.author_id == user_id,
               PlaceRevision.status.in_((RevisionStatus.APPROVED, RevisionStatus.REJECTED)))
        .group_by(PlaceRevision.status)
    ).all())
    return {"name": (user.display_name if user else fallback) or "", "id": user_id,
            "email": user.email if user else "", "role": user.role if user else "",
            "since": user.created_at if user else None,
            "approved": stats.get(RevisionStatus.APPROVED, 0),
            "rejected": stats.get(RevisionStatus.REJECTED, 0)}


def item(kind: str, item_id: int) -> dict:
    """Everything a curator needs to decide one item."""
    if kind not in KINDS:
        raise NotFound(_("Unknown kind of item."))
    if kind == "reply":
        return conversation.reply_item(item_id)
    if kind == "talk":
        return conversation.talk_item(item_id)
    if kind == "place":
        place = load_place(item_id)
        rev = revisions.open_revision(place)
        if (rev is None or rev.status != RevisionStatus.PENDING
                or place.status == PlaceStatus.APPROVED):
            raise NotFound(_("This place does not wait for review."))
        snap = dict(rev.snapshot)
        changes = []
    elif kind == "edit":
        rev = db.session.get(PlaceRevision, item_id)
        if rev is None or rev.status != RevisionStatus.PENDING:
            raise NotFound(_("This edit does not wait for review."))
        place = load_place(rev.place_id)
        snap = dict(rev.snapshot)
        changes = revisions.snapshot_diff(revisions.row_snapshot(place), snap)
    elif kind == "story":
        return _story_item(item_id)
    elif kind == "media":
        medium = db.session.get(Media, item_id)
        if medium is None or medium.status != MediaStatus.PENDING or medium.place_id is None:
            raise NotFound(_("This medium does not wait for review."))
        place = load_place(medium.place_id)
        rev, snap, changes = None, revisions.row_snapshot(place), []
    else:
        flags = open_flags_of(item_id)
        first = flags[0]
        place = load_place(first.place_id or db.session.get(Media, first.media_id).place_id)
        rev, snap, changes = None, revisions.row_snapshot(place), []
    who = _contributor_summary(
        rev.author_id if rev else (place.author_id or place.helper_id), place.author_name
    )
    result = {
        "kind": kind, "id": item_id, "place": place, "revision": rev, "snapshot": snap,
        "changes": changes, "contributor": who,
        "media": [m for m in place.media if m.kind in REVIEWED_KINDS],
        "nearby": nearby_places(place.id, snap.get("title", ""), snap["lon"], snap["lat"]),
        "version": place.version,
    }
    result["transcript_missing"] = [m for m in result["media"]
                                    if transcripts.medium_missing_transcript(m)
                                    and m.status != MediaStatus.REJECTED]
    if kind == "media":
        result["medium"] = medium
    if kind == "flag":
        result["flags"] = flags
        result["medium"] = db.session.get(Media, flags[0].media_id) if flags[0].media_id else None
    return result


def _story_item(story_id: int) -> dict:
    """One waiting story with its place and the place's other public stories beside it."""
    story = db.session.get(Story, story_id)
    if story is None or not db.session.scalar(
            select(func.count(Story.id)).where(Story.id == story_id, _waiting_stories())):
        raise NotFound(_("This story does not wait for review."))
    place = load_place(story.place_id)
    snap = revisions.row_snapshot(place) | {"title": story.title, "body": story.body,
                                            "language": story.language}
    return {
        "kind": "story", "id": story.id, "place": place, "revision": None, "snapshot": snap,
        "changes": [], "story": story, "version": story.version,
        "contributor": _contributor_summary(story.author_id or story.helper_id,
                                            story.author_name),
        "media": [m for m in story.media if m.kind in REVIEWED_KINDS],
        "other_stories": [s for s in place.stories if s.id != story.id
                          and visibility.is_public_story(s)],
        "nearby": [],
        "transcript_missing": [m for m in story.media
                               if transcripts.medium_missing_transcript(m)
                               and m.status != MediaStatus.REJECTED],
    }


def open_flags_of(flag_id: int) -> list[Flag]:
    """The open flags on the same target as flag ``flag_id``, oldest first."""
    flag = db.session.get(Flag, flag_id)
    if flag is None or flag.reply_id is not None:
        raise NotFound(_("This report does not exist."))
    target = (Flag.place_id == flag.place_id) if flag.place_id else (Flag.media_id == flag.media_id)
    flags = list(db.session.scalars(
        select(Flag).where(target, Flag.status == FlagStatus.OPEN)
        .order_by(Flag.created_at, Flag.id)
    ))
    if not flags:
        raise NotFound(_("These reports have been dealt with already."))
    return flags
