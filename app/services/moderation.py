"""Moderation: the curators' queue, their decisions, the audit log and reply templates.

The queue holds four kinds of items, oldest first:
- ``place``: a new place waiting for its first approval (its open revision),
- ``edit``: a pending revision of a public place (the public row is unchanged until approved),
- ``media``: a photo or recording added to a public place, waiting on its own,
- ``flag``: open reports about one public place or medium (one item per reported target).

Every decision is written to the append-only ``moderation_events`` log and, for contributed
content, recorded as a notice for the contributor, which app/notifications.py mails after
the transaction commits (a rolled-back decision sends nothing). The contributor also sees
the decision and message in /me/contributions, which reads ``PlaceRevision.review_message``
of the newest revision.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import selectinload

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import (
    Flag,
    Media,
    Place,
    PlaceRevision,
    ReplyTemplate,
    Theme,
    TourStop,
    User,
    place_themes,
)
from app.models.statuses import FlagStatus, MediaKind, MediaStatus, PlaceStatus, RevisionStatus
from app.models.user import ROLES
from app.services import revisions, visibility
from app.services.audit import log
from app.services.mail import Notice, record
from app.services.roles import require_curator
from app.services.search_index import refresh_search_vector

KINDS = ("place", "edit", "media", "flag")
DECISIONS = ("approve", "reject", "request_changes")
REASON_CODES = {
    "duplicate": _l("Duplicate of an existing place"),
    "not_local": _l("Not in the area we cover"),
    "inaccurate": _l("Wrong or unverifiable"),
    "offensive": _l("Offensive or hateful"),
    "private": _l("Private information"),
    "copyright": _l("Copyright"),
    "spam": _l("Advertising or spam"),
    "quality": _l("Too short or unclear"),
    "other": _l("Other"),
}
NEARBY_RADIUS_M = 100
# What curators review one by one (a consent scan is never shown to them).
REVIEWED_KINDS = (MediaKind.PHOTO, MediaKind.AUDIO)
MAX_MESSAGE = 4000


# --- telling contributors (mailed by app/notifications.py once the decision is committed) ---


def _active_user(user_id: int | None) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def _contributor(place: Place, rev: PlaceRevision | None) -> User | None:
    """Whom a decision is told to: the revision's author, else the place's author/helper."""
    for user_id in ((rev.author_id if rev else None), place.author_id, place.helper_id):
        user = _active_user(user_id)
        if user is not None:
            return user
    return None


def _tell(user: User, letter: str, **values) -> None:
    record(Notice(letter=letter, to=user.email, locale=user.locale, name=user.display_name,
                  values=values))


def _notify(place: Place, rev: PlaceRevision | None, action: str, message: str,
            target: Place | None = None) -> None:
    """Owe the contributor a mail about ``action`` (approve, reject, request_changes or
    merge into ``target``) on their place, with the curators' ``message``."""
    user = _contributor(place, rev)
    if user is None:
        return
    shown = target if target is not None else place
    _tell(user, "place_decision", action=action, title=place.title, message=message,
          target=target.title if target is not None else "",
          place_id=shown.id if action in ("approve", "merge") else None)


def _notify_media(medium: Media, decision: str, message: str, reason: str | None) -> None:
    """Owe whoever uploaded a photo or recording a mail saying a curator approved or
    rejected it (with the message, else the reason's label in their language)."""
    user = _active_user(medium.uploader_id)
    place = medium.place
    if user is None or place is None:
        return
    _tell(user, "media_decision", decision=decision, kind=medium.kind, title=place.title,
          place_id=place.id, message=message or REASON_CODES.get(reason or "", ""))


def notify_report_decision(place: Place | None, medium: Media | None, resolution: str,
                           reasons: list) -> None:
    """Owe the contributor a mail saying that after reports a curator hid (``resolution``
    "hide") or removed ("remove") their place, or the photo or recording they uploaded.
    ``reasons`` are the reports' reasons as (lazy) labels; who reported is never told, nor
    the curator's note, which is for the log."""
    if medium is not None:
        user = _active_user(medium.uploader_id)
        title = medium.place.title if medium.place is not None else None
    else:
        user, title = _contributor(place, None), place.title
    if user is None or title is None:
        return
    _tell(user, "report_decision", resolution=resolution, title=title, reasons=list(reasons),
          kind="place" if medium is None else medium.kind, message="")


# --- the queue --------------------------------------------------------------------------------


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
                   Place.title, User.display_name, Place.author_name)
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
            })
    if kind in (None, "media"):
        lon, lat = _lonlat(Place.geom)
        rows = db.session.execute(
            select(Media.id, Media.kind, Media.created_at, Media.caption, Place.id.label("pid"),
                   Place.title, User.display_name, lon, lat)
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
            })
    if kind in (None, "flag"):
        items.extend(_flag_items(theme))
    items.sort(key=lambda i: (i["created_at"], i["kind"], i["id"]))
    return items[:limit]


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
        .where(Flag.status == FlagStatus.OPEN, _theme_filter(target_place, theme))
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
        .where(Flag.status == FlagStatus.OPEN)
    )
    result = {"place": by_status.get(PlaceStatus.PENDING, 0),
              "edit": by_status.get(PlaceStatus.APPROVED, 0),
              "media": media or 0, "flag": flags or 0}
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


# --- one item ---------------------------------------------------------------------------------


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


def _load_place(place_id: int) -> Place:
    place = db.session.get(Place, place_id, options=[selectinload(Place.media),
                                                     selectinload(Place.themes)])
    if place is None:
        raise NotFound(_("This place does not exist."))
    return place


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
    if kind == "place":
        place = _load_place(item_id)
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
        place = _load_place(rev.place_id)
        snap = dict(rev.snapshot)
        changes = revisions.snapshot_diff(revisions.row_snapshot(place), snap)
    elif kind == "media":
        medium = db.session.get(Media, item_id)
        if medium is None or medium.status != MediaStatus.PENDING or medium.place_id is None:
            raise NotFound(_("This medium does not wait for review."))
        place = _load_place(medium.place_id)
        rev, snap, changes = None, revisions.row_snapshot(place), []
    else:
        flags = open_flags_of(item_id)
        first = flags[0]
        place = _load_place(first.place_id or db.session.get(Media, first.media_id).place_id)
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
    if kind == "media":
        result["medium"] = medium
    if kind == "flag":
        result["flags"] = flags
        result["medium"] = db.session.get(Media, flags[0].media_id) if flags[0].media_id else None
    return result


def open_flags_of(flag_id: int) -> list[Flag]:
    """The open flags on the same target as flag ``flag_id``, oldest first."""
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        raise NotFound(_("This report does not exist."))
    target = (Flag.place_id == flag.place_id) if flag.place_id else (Flag.media_id == flag.media_id)
    flags = list(db.session.scalars(
        select(Flag).where(target, Flag.status == FlagStatus.OPEN)
        .order_by(Flag.created_at, Flag.id)
    ))
    if not flags:
        raise NotFound(_("These reports have been dealt with already."))
    return flags


# --- decisions --------------------------------------------------------------------------------


def _check_version(place: Place, version: int | None) -> None:
    if version is not None and version != place.version:
        raise revisions.StaleEdit(revisions.working_snapshot(place), place.version, {})


def _clean_message(message: str | None) -> str:
    message = (message or "").strip().replace("\r\n", "\n")
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    return message


def _reason_label(reason: str | None) -> str:
    return str(REASON_CODES.get(reason, "")) if reason else ""


def decide(curator: User, kind: str, item_id: int, decision: str, *, message: str = "",
           reason: str | None = None, version: int | None = None,
           changes: revisions.EditInput | None = None) -> dict:
    """Approve, reject or ask for changes on a queue item of kind place, edit or media.

    ``version`` is the place version the curator looked at (409 when it moved on);
    ``changes`` are field edits made before approving (typos, position). Returns what
    happened, with the place it concerned."""
    require_curator(curator)
    if decision not in DECISIONS:
        raise ValidationError(_("Choose approve, reject or ask for changes."), field="decision")
    if kind == "flag":
        raise ValidationError(_("Reports are resolved, not approved."), field="decision")
    message = _clean_message(message)
    if decision == "reject" and reason not in REASON_CODES:
        raise ValidationError(_("Choose a reason for the rejection."), field="reason")
    if decision == "request_changes" and not message:
        raise ValidationError(_("Say what should be changed."), field="message")
    if reason is not None and reason != "" and reason not in REASON_CODES:
        raise ValidationError(_("Unknown reason."), field="reason")
    if kind == "media":
        return _decide_media(curator, item_id, decision, message, reason)
    found = item(kind, item_id)
    place, rev = found["place"], found["revision"]
    _check_version(place, version)
    if decision == "approve":
        _approve(curator, place, rev, message, changes, new=(kind == "place"))
    elif decision == "reject":
        _close(curator, place, rev, RevisionStatus.REJECTED, message, reason,
               new=(kind == "place"))
    else:
        _close(curator, place, rev, RevisionStatus.CHANGES_REQUESTED, message, reason,
               new=(kind == "place"))
    return {"decision": decision, "place_id": place.id, "status": place.status,
            "version": place.version}


def _approve(curator: User, place: Place, rev: PlaceRevision, message: str,
             changes: revisions.EditInput | None, *, new: bool) -> None:
    now = datetime.now(UTC)
    before = place.status
    snap = dict(rev.snapshot)
    if changes:
        edited = revisions.validate_edit(changes, snap)
        if not revisions.snap_equal(edited, snap):
            # Edit before approving: the curator's version is a revision of its own, so the
            # history shows what the contributor sent and what the curator changed.
            rev.status = RevisionStatus.SUPERSEDED
            rev.reviewer_id, rev.reviewed_at = curator.id, now
            rev = PlaceRevision(
                place_id=place.id, number=revisions.next_number(place.id),
                base_version=place.version, snapshot=edited, status=RevisionStatus.PENDING,
                author_id=curator.id, message=_("Corrected while reviewing"),
            )
            db.session.add(rev)
            snap = edited
    with revisions.guard_stale(place, snap):
        revisions.apply_snapshot(place, snap)
        place.status = PlaceStatus.APPROVED
        if new or place.published_at is None:
            place.published_at = now
        rev.status = RevisionStatus.APPROVED
        rev.reviewer_id, rev.reviewed_at, rev.review_message = curator.id, now, message
        if new:
            for m in place.media:
                if m.status == MediaStatus.PENDING:
                    m.status = MediaStatus.APPROVED
        db.session.flush()
    refresh_search_vector(place)
    log(curator, "approve", "place" if new else "revision", place.id if new else rev.id,
        before if new else RevisionStatus.PENDING, PlaceStatus.APPROVED, message=message)
    _notify(place, rev, "approve", message)


def _close(curator: User, place: Place, rev: PlaceRevision, status: str, message: str,
           reason: str | None, *, new: bool) -> None:
    now = datetime.now(UTC)
    before = place.status
    text_for_author = message or _reason_label(reason)
    rev.status = status
    rev.reviewer_id, rev.reviewed_at, rev.review_message = curator.id, now, text_for_author
    if new:
        with revisions.guard_stale(place, rev.snapshot):
            # Sent back for changes, the place is a draft its author may edit again.
            place.status = (PlaceStatus.REJECTED if status == RevisionStatus.REJECTED
                            else PlaceStatus.DRAFT)
            if status == RevisionStatus.REJECTED:
                for m in place.media:
                    if m.status == MediaStatus.PENDING:
                        m.status = MediaStatus.REJECTED
            db.session.flush()
    action = "reject" if status == RevisionStatus.REJECTED else "request_changes"
    log(curator, action, "place" if new else "revision", place.id if new else rev.id,
        before if new else RevisionStatus.PENDING, place.status if new else status, reason=reason,
        message=message)
    # The reason's label in the contributor's language, not the curator's.
    _notify(place, rev, action, message or REASON_CODES.get(reason or "", ""))


def _decide_media(curator: User, media_id: int, decision: str, message: str,
                  reason: str | None) -> dict:
    medium = db.session.get(Media, media_id)
    if medium is None or medium.status != MediaStatus.PENDING:
        raise NotFound(_("This medium does not wait for review."))
    if decision == "request_changes":
        raise ValidationError(_("A photo or recording is approved or rejected."),
                              field="decision")
    before = medium.status
    medium.status = MediaStatus.APPROVED if decision == "approve" else MediaStatus.REJECTED
    medium.review_reason = reason if decision == "reject" else None
    medium.review_message = message
    if medium.place is not None:
        medium.place.updated_at = datetime.now(UTC)
    db.session.flush()
    log(curator, decision, "media", medium.id, before, medium.status, reason=reason,
        message=message)
    _notify_media(medium, decision, message, reason)
    return {"decision": decision, "place_id": medium.place_id, "status": medium.status}


def merge(curator: User, duplicate_id: int, target_id: int, *, message: str = "",
          version: int | None = None) -> Place:
    """Merge a duplicate into an existing public place: its photos and recordings and its
    story move to the target (as a new approved revision there), tour stops follow, open
    reports on the duplicate become reports on the target (those on its media follow the
    media), and the duplicate's address redirects to the target from now on."""
    require_curator(curator)
    message = _clean_message(message)
    if duplicate_id == target_id:
        raise ValidationError(_("A place cannot be merged into itself."), field="target")
    dup = _load_place(duplicate_id)
    target = db.session.get(Place, target_id)
    if target is None or not target.is_public:
        raise ValidationError(_("Merge into a published place."), field="target")
    if dup.merged_into_id is not None:
        raise Conflict(_("This place was merged already."), code="merged")
    _check_version(dup, version)
    now = datetime.now(UTC)
    before = dup.status
    offset = max((m.position for m in target.media), default=-1) + 1
    for i, m in enumerate(list(dup.media)):
        m.place_id = target.id
        m.position = offset + i
        if m.status == MediaStatus.PENDING:
            m.status = MediaStatus.APPROVED
    db.session.execute(
        TourStop.__table__.update().where(TourStop.place_id == dup.id).values(place_id=target.id)
    )
    # Left for a curator to resolve on the target. Moving them hides nothing by itself:
    # reports saying "this is a duplicate" are answered by the merge.
    moved_flags = db.session.execute(
        update(Flag)
        .where(Flag.place_id == dup.id, Flag.status == FlagStatus.OPEN)
        .values(place_id=target.id)
    ).rowcount
    # The story moves as a new approved revision of the target, credited to its author.
    dup_rev = revisions.open_revision(dup)
    dup_snap = dup_rev.snapshot if dup_rev is not None else revisions.row_snapshot(dup)
    target_snap = revisions.row_snapshot(target)
    merged = dict(target_snap)
    extra = (dup_snap.get("body") or "").strip()
    if extra and extra not in (target_snap.get("body") or ""):
        credit = dup.author_name or dup.credit_name
        heading = f"\n\n---\n\n{extra}"
        if credit:
            heading += "\n\n— " + credit
        merged["body"] = ((target_snap.get("body") or "").rstrip() + heading).strip()
    merged["themes"] = sorted(set(target_snap.get("themes") or [])
                              | set(dup_snap.get("themes") or []))
    with revisions.guard_stale(target, merged):
        if not revisions.snap_equal(merged, target_snap):
            db.session.add(PlaceRevision(
                place_id=target.id, number=revisions.next_number(target.id),
                base_version=target.version, snapshot=merged, status=RevisionStatus.APPROVED,
                author_id=dup.author_id or (dup_rev.author_id if dup_rev else None),
                message=_("Merged from “%(title)s”", title=dup.title),
                reviewer_id=curator.id, reviewed_at=now, review_message=message,
            ))
            revisions.apply_snapshot(target, merged)
        target.updated_at = now
        dup.merged_into_id = target.id
        dup.status = PlaceStatus.ARCHIVED
        dup.updated_at = now
        if dup_rev is not None:
            dup_rev.status = RevisionStatus.APPROVED
            dup_rev.reviewer_id, dup_rev.reviewed_at = curator.id, now
            dup_rev.review_message = message or _(
                "Merged into “%(title)s”: your photos and story are part of it now.",
                title=target.title)
        db.session.flush()
    db.session.expire(target, ["media"])
    refresh_search_vector(target)
    log(curator, "merge", "place", dup.id, before, "merged",
        message=_("into #%(id)d", id=target.id) + (f": {message}" if message else ""))
    if moved_flags:
        log(curator, "flags_move", "place", dup.id, None, None,
            message=ngettext("%(num)d open report moved to #%(id)d",
                             "%(num)d open reports moved to #%(id)d", moved_flags,
                             id=target.id))
    _notify(dup, dup_rev, "merge", message, target=target)
    return target


def redirect_target(place_id: int) -> int | None:
    """Where a merged place's address leads now: the public place it was merged into
    (following merges of merges), or None."""
    seen: set[int] = set()
    current = db.session.get(Place, place_id)
    while current is not None and current.merged_into_id and current.id not in seen:
        seen.add(current.id)
        current = db.session.get(Place, current.merged_into_id)
        if current is not None and current.is_public:
            return current.id
    return None


def latest_reviews(place_ids: list[int]) -> dict[int, dict]:
    """Per place the newest revision's status and the curators' message, for
    /me/contributions."""
    if not place_ids:
        return {}
    rows = db.session.scalars(
        select(PlaceRevision).where(PlaceRevision.place_id.in_(place_ids))
        .order_by(PlaceRevision.place_id, PlaceRevision.number)
    ).all()
    out = {}
    for r in rows:
        out[r.place_id] = {"status": r.status, "message": r.review_message or "",
                           "reviewed_at": r.reviewed_at}
    return out


# --- reply templates --------------------------------------------------------------------------


def templates() -> list[ReplyTemplate]:
    return list(db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.name)))


def _template_values(name: str, body: str, reason: str | None) -> tuple[str, str, str | None]:
    name = " ".join((name or "").split())
    body = (body or "").strip().replace("\r\n", "\n")
    if not name:
        raise ValidationError(_("Give the template a name."), field="name")
    if len(name) > 80:
        raise ValidationError(_("Use at most %(n)d characters.", n=80), field="name")
    if not body:
        raise ValidationError(_("Write the reply."), field="body")
    if len(body) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="body")
    reason = reason or None
    if reason is not None and reason not in REASON_CODES:
        raise ValidationError(_("Unknown reason."), field="reason_code")
    return name, body, reason


def _unique_name(name: str, exclude: int | None = None) -> None:
    clash = db.session.scalar(
        select(ReplyTemplate.id).where(func.lower(ReplyTemplate.name) == name.lower(),
                                       ReplyTemplate.id != (exclude or 0))
    )
    if clash is not None:
        raise ValidationError(_("A template with this name exists already."), field="name")


def create_template(curator: User, name: str, body: str, reason: str | None) -> ReplyTemplate:
    require_curator(curator)
    name, body, reason = _template_values(name, body, reason)
    _unique_name(name)
    tpl = ReplyTemplate(name=name, body=body, reason_code=reason, created_by_id=curator.id)
    db.session.add(tpl)
    db.session.flush()
    log(curator, "template_create", "template", tpl.id, None, None, reason=reason, message=name)
    return tpl


def update_template(curator: User, template_id: int, name: str, body: str,
                    reason: str | None) -> ReplyTemplate:
    require_curator(curator)
    tpl = db.session.get(ReplyTemplate, template_id)
    if tpl is None:
        raise NotFound(_("This template does not exist."))
    name, body, reason = _template_values(name, body, reason)
    _unique_name(name, exclude=tpl.id)
    tpl.name, tpl.body, tpl.reason_code = name, body, reason
    db.session.flush()
    log(curator, "template_update", "template", tpl.id, None, None, reason=reason, message=name)
    return tpl


def delete_template(curator: User, template_id: int) -> None:
    require_curator(curator)
    tpl = db.session.get(ReplyTemplate, template_id)
    if tpl is None:
        raise NotFound(_("This template does not exist."))
    log(curator, "template_delete", "template", tpl.id, None, None, message=tpl.name)
    db.session.delete(tpl)
    db.session.flush()


# --- roles ------------------------------------------------------------------------------------


def users_for_roles(q: str = "", limit: int = 100) -> list[User]:
    stmt = select(User).order_by(User.role.desc(), User.display_name)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    return list(db.session.scalars(stmt.limit(limit)))


def change_role(actor: User, user_id: int, role: str) -> User:
    """An admin changes someone's role (logged). Curators change no roles, so nobody but an
    admin can touch an admin; nobody changes their own role (no locking oneself out)."""
    from app.services.accounts import set_role

    if actor is None or not actor.is_admin:
        raise Forbidden(_("Only admins change roles."))
    if role not in ROLES:
        raise ValidationError(_("Unknown role."), field="role")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("This account does not exist."))
    if user.id == actor.id:
        raise Forbidden(_("You cannot change your own role."))
    before = user.role
    if before == role:
        return user
    set_role(actor, user, role)
    db.session.flush()
    log(actor, "role_change", "user", user.id, before, role)
    return user


__all__ = [
    "DECISIONS", "KINDS", "REASON_CODES", "change_role", "counts", "create_template", "decide",
    "delete_template", "item", "latest_reviews", "merge", "next_item", "notify_report_decision",
    "queue", "redirect_target", "templates", "update_template",
]
