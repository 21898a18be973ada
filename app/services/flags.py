"""Reports ("flags") about public places, photos and recordings, and replies on stories.

Anyone may report, logged in or not. Reporters are counted by a key: ``user:<id>`` for
accounts, else an HMAC of the address with the app's SECRET_KEY, so distinct people can be
counted without storing anyone's IP address (and the key cannot be reversed by whoever reads
the database without the secret). Anonymous reports are rate limited per key.

When ``FLAG_HIDE_THRESHOLD`` (default 3) different reporters have open reports on the same
content, it is hidden at once (soft: ``hidden_at``; logged) until a curator resolves the
reports: dismiss (shown again), edit (shown again once corrected), hide or remove. A reply
hidden so waits in the curators' queue as a reply item (services/moderation/conversation.py),
whose page resolves its reports; hiding or removing it is mailed to its author.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.errors import DomainError, NotFound, ValidationError
from app.extensions import db
from app.models import Flag, Media, Place, User
from app.models.conversation import Reply
from app.models.moderation import FLAG_REASONS
from app.models.statuses import FlagStatus, MediaStatus, PlaceStatus, ReplyStatus
from app.services import audit, moderation, visibility
from app.services.revisions import FLAGS_EDIT
from app.services.roles import require_curator
from app.services.search_index import refresh_search_vector

MAX_MESSAGE = 2000
RESOLUTIONS = ("dismiss", "edit", "hide", "remove")
HIDDEN_BY_FLAGS = "flags"
# As the report form words them (templates/visitor/_report.html), for the contributor's mail.
REASON_LABELS = {
    "wrong": _l("Something is wrong or outdated"),
    "offensive": _l("It is offensive"),
    "private": _l("It shows private information"),
    "copyright": _l("It breaks copyright"),
    "other": _l("Something else"),
}


class TooManyReports(DomainError):
    status = 429
    code = "too_many_reports"


def reporter_key(user: User | None, remote_addr: str) -> str:
    """Who is reporting, as a stable key that stores no address."""
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.id}"
    secret = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(secret, (remote_addr or "unknown").encode(), hashlib.sha256).hexdigest()
    return digest  # 64 hex characters: fits the column, never a "user:" key


def _reply_target(reply_id: int) -> Reply:
    reply = db.session.get(Reply, reply_id)
    if not visibility.is_public_reply(reply):
        raise NotFound(_("There is no public reply with this id."))
    return reply


def _target(place_id: int | None, media_id: int | None) -> tuple[Place | None, Media | None]:
    """The reported content, which must be public."""
    if (place_id is None) == (media_id is None):
        raise ValidationError(_("Report a place, a photo or recording, or a reply."),
                              field="place_id")
    if place_id is not None:
        place = db.session.get(Place, place_id)
        if not visibility.is_public_place(place):
            raise NotFound(_("There is no public place with this id."))
        return place, None
    medium = db.session.get(Media, media_id)
    if not visibility.is_public_medium(medium):
        raise NotFound(_("There is no public photo or recording with this id."))
    return None, medium


def _target_clause(place_id: int | None, media_id: int | None, reply_id: int | None = None):
    if reply_id is not None:
        return Flag.reply_id == reply_id
    return (Flag.place_id == place_id) if place_id is not None else (Flag.media_id == media_id)


def create_flag(user: User | None, *, place_id: int | None = None, media_id: int | None = None,
                reply_id: int | None = None, reason: str = "", message: str = "",
                remote_addr: str = "") -> Flag:
    """Record a report about one of a public place, medium or reply. The same person
    reporting the same content again updates their open report instead of counting twice."""
    if reason not in FLAG_REASONS:
        raise ValidationError(_("Choose what is wrong."), field="reason")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    if reply_id is not None and place_id is None and media_id is None:
        reply, place, medium = _reply_target(reply_id), None, None
    elif reply_id is not None:
        raise ValidationError(_("Report a place, a photo or recording, or a reply."),
                              field="place_id")
    else:
        reply = None
        place, medium = _target(place_id, media_id)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    key = reporter_key(user, remote_addr)
    if user is None:
        limit = current_app.config.get("FLAG_ANONYMOUS_PER_HOUR", 10)
        recent = db.session.scalar(
            select(func.count(Flag.id)).where(
                Flag.reporter_key == key,
                Flag.created_at > datetime.now(UTC) - timedelta(hours=1),
            )
        )
        if recent >= limit:
            raise TooManyReports(
                _("Too many reports from here in the last hour. Please try again later or "
                  "log in.")
            )
    existing = db.session.scalar(
        select(Flag).where(_target_clause(place_id, media_id, reply_id),
                           Flag.reporter_key == key,
                           Flag.status == FlagStatus.OPEN)
    )
    if existing is not None:
        existing.reason, existing.message = reason, message or existing.message
        db.session.flush()
        return existing
    flag = Flag(place_id=place_id, media_id=media_id, reply_id=reply_id,
                reporter_id=user.id if user else None, reporter_key=key, reason=reason,
                message=message)
    db.session.add(flag)
    db.session.flush()
    if reply is not None:
        _hide_reply_when_many(reply)
    else:
        _hide_when_many(place, medium)
    return flag


def open_reporters(place_id: int | None, media_id: int | None,
                   reply_id: int | None = None) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(Flag.reporter_key)))
        .where(_target_clause(place_id, media_id, reply_id), Flag.status == FlagStatus.OPEN)
    )


def _hide_reply_when_many(reply: Reply) -> None:
    """A reply reported by ``FLAG_HIDE_THRESHOLD`` people is hidden until a curator looks,
    as places are (the notifications about it go with it: the inbox shows public replies
    only)."""
    if reply.status != ReplyStatus.VISIBLE:
        return
    threshold = current_app.config.get("FLAG_HIDE_THRESHOLD", 3)
    reporters = open_reporters(None, None, reply.id)
    if reporters < threshold:
        return
    reply.status, reply.hidden_reason = ReplyStatus.HIDDEN, HIDDEN_BY_FLAGS
    reply.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.log(None, "auto_hide", "reply", reply.id, "visible", "hidden",
              message=_("%(n)d people reported it", n=reporters))


def open_reply_flags(reply_id: int) -> list[Flag]:
    """The open reports on a reply, oldest first."""
    return list(db.session.scalars(
        select(Flag).where(Flag.reply_id == reply_id, Flag.status == FlagStatus.OPEN)
        .order_by(Flag.created_at, Flag.id)))


def resolve_reply_flags(curator: User, reply_id: int, resolution: str, *,
                        message: str = "") -> dict:
    """Resolve every open report on a reply: dismiss (a reply hidden by the reports is
    shown again), hide (hidden, reversible) or remove (for good). Hide and remove are
    mailed to the reply's author with the reports' reasons; who reported is never told."""
    require_curator(curator)
    if resolution not in ("dismiss", "hide", "remove"):
        raise ValidationError(_("Choose dismiss, hide or remove."), field="resolution")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    flags = open_reply_flags(reply_id)
    if not flags:
        raise NotFound(_("These reports have been dealt with already."))
    reply = db.session.get(Reply, reply_id)
    before = reply.status
    now = datetime.now(UTC)
    if resolution == "dismiss":
        if reply.status == ReplyStatus.HIDDEN and reply.hidden_reason == HIDDEN_BY_FLAGS:
            reply.status, reply.hidden_reason = ReplyStatus.VISIBLE, None
    elif reply.status in (ReplyStatus.VISIBLE, ReplyStatus.HIDDEN):
        reply.status = ReplyStatus.HIDDEN if resolution == "hide" else ReplyStatus.REJECTED
        reply.hidden_reason = "curator" if resolution == "hide" else "removed"
    reply.updated_at = now
    for flag in flags:
        flag.status = FlagStatus.DISMISSED if resolution == "dismiss" else FlagStatus.RESOLVED
        flag.resolution = resolution
        flag.resolved_by_id = curator.id
        flag.resolved_at = now
    db.session.flush()
    audit.log(curator, f"flags_{resolution}", "reply", reply.id, before, reply.status,
              reason=flags[0].reason, message=message)
    if resolution in ("hide", "remove"):
        reported = {f.reason for f in flags}
        moderation.tell_reply_author(
            reply, resolution, [REASON_LABELS.get(r, r) for r in FLAG_REASONS if r in reported],
            "")
    return {"resolution": resolution, "reply_id": reply.id,
            "place_id": reply.story.place_id, "flags": len(flags)}


def _hide_when_many(place: Place | None, medium: Media | None) -> None:
    content = place or medium
    if content.hidden_at is not None:
        return
    threshold = current_app.config.get("FLAG_HIDE_THRESHOLD", 3)
    reporters = open_reporters(place.id if place else None, medium.id if medium else None)
    if reporters < threshold:
        return
    now = datetime.now(UTC)
    was_public = visibility.is_public_place(place)
    content.hidden_at = now
    if place is not None:
        place.hidden_reason = HIDDEN_BY_FLAGS
    else:
        medium.status = MediaStatus.HIDDEN
        medium.place.updated_at = now
    db.session.flush()
    # A hidden recording's transcript leaves search at once.
    refresh_search_vector(place or medium.place)
    audit.log(None, "auto_hide", "place" if place else "media", content.id,
                   "visible", "hidden",
                   message=_("%(n)d people reported it", n=reporters))
    if was_public:
        _tell_tour_authors(place)


def resolve(curator: User, flag_id: int, resolution: str, *, message: str = "") -> dict:
    """Resolve every open report on the content flag ``flag_id`` is about:
    - dismiss: nothing is wrong; content hidden by reports is shown again,
    - edit: the curator corrects the place; shown again once the edit is saved,
    - hide: hidden until a curator shows it again (soft, reversible),
    - remove: taken off for good (place archived, medium rejected).
    Hide and remove are mailed to the contributor once the transaction commits."""
    require_curator(curator)
    if resolution not in RESOLUTIONS:
        raise ValidationError(_("Choose dismiss, edit, hide or remove."), field="resolution")
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    reported = db.session.get(Flag, flag_id)
    if reported is not None and reported.reply_id is not None:
        return resolve_reply_flags(curator, reported.reply_id, resolution, message=message)
    flags = moderation.open_flags_of(flag_id)
    first = flags[0]
    place = db.session.get(Place, first.place_id) if first.place_id else None
    medium = db.session.get(Media, first.media_id) if first.media_id else None
    if resolution == "edit" and place is None:
        raise ValidationError(_("Only a place's text can be edited."), field="resolution")
    now = datetime.now(UTC)
    content = place or medium
    before = _state(place, medium)
    was_public = visibility.is_public_place(place)
    _apply(resolution, place, medium, now)
    (place or medium.place).updated_at = now
    for flag in flags:
        flag.status = FlagStatus.DISMISSED if resolution == "dismiss" else FlagStatus.RESOLVED
        flag.resolution = resolution
        flag.resolved_by_id = curator.id
        flag.resolved_at = now
    db.session.flush()
    refresh_search_vector(place or medium.place)
    audit.log(curator, f"flags_{resolution}", "place" if place else "media", content.id,
                   before, _state(place, medium), reason=first.reason, message=message)
    if was_public and not visibility.is_public_place(place):
        _tell_tour_authors(place)
    if resolution in ("hide", "remove"):
        reported = {f.reason for f in flags}
        moderation.notify_report_decision(
            place, medium, resolution,
            [REASON_LABELS.get(r, r) for r in FLAG_REASONS if r in reported],
        )
    return {"resolution": resolution, "place_id": place.id if place else medium.place_id,
            "flags": len(flags)}


def _tell_tour_authors(place: Place) -> None:
    """A place hidden or removed takes its stories off every tour stop: the authors of tours
    that featured them are told (app/services/tours/featured.py)."""
    from app.services.tours.featured import place_left

    place_left(place)


def _apply(resolution: str, place: Place | None, medium: Media | None, now: datetime) -> None:
    """What ``resolution`` does to the reported place or medium (see ``resolve``)."""
    content = place or medium
    if resolution == "dismiss":
        if content.hidden_at is not None and (
            (place is not None and place.hidden_reason in (HIDDEN_BY_FLAGS, FLAGS_EDIT))
            or (medium is not None and medium.status == MediaStatus.HIDDEN)
        ):
            _show(place, medium)
    elif resolution == "edit":
        if place.hidden_at is not None and place.hidden_reason == HIDDEN_BY_FLAGS:
            place.hidden_reason = FLAGS_EDIT
    elif resolution == "hide":
        content.hidden_at = content.hidden_at or now
        if place is not None:
            place.hidden_reason = "curator"
        else:
            medium.status = MediaStatus.HIDDEN
    else:  # remove
        content.hidden_at = content.hidden_at or now
        if place is not None:
            place.status = PlaceStatus.ARCHIVED
            place.hidden_reason = "removed"
        else:
            medium.status = MediaStatus.REJECTED


def _state(place: Place | None, medium: Media | None) -> str:
    content = place or medium
    if place is not None and place.status != PlaceStatus.APPROVED:
        return place.status
    if medium is not None and medium.status not in (MediaStatus.APPROVED, MediaStatus.HIDDEN):
        return medium.status
    return "hidden" if content.hidden_at is not None else "visible"


def _show(place: Place | None, medium: Media | None) -> None:
    if place is not None:
        place.hidden_at, place.hidden_reason = None, None
    else:
        medium.hidden_at = None
        medium.status = MediaStatus.APPROVED


def unhide(curator: User, target_type: str, target_id: int, *, message: str = "") -> None:
    """Show hidden content again (a curator's decision; logged)."""
    require_curator(curator)
    place = db.session.get(Place, target_id) if target_type == "place" else None
    medium = db.session.get(Media, target_id) if target_type == "media" else None
    content = place or medium
    if content is None or content.hidden_at is None:
        raise NotFound(_("Nothing hidden with this id."))
    before = _state(place, medium)
    _show(place, medium)
    (place or medium.place).updated_at = datetime.now(UTC)
    db.session.flush()
    refresh_search_vector(place or medium.place)
    audit.log(curator, "unhide", target_type, target_id, before, _state(place, medium),
                   message=message)


def hidden_content(limit: int = 200) -> list[dict]:
    """Places and media currently hidden, newest first (for /curate/flags)."""
    places = db.session.scalars(
        select(Place).where(Place.hidden_at.isnot(None), Place.status == PlaceStatus.APPROVED,
                            Place.merged_into_id.is_(None))
        .order_by(Place.hidden_at.desc()).limit(limit)
    ).all()
    media = db.session.scalars(
        select(Media).where(Media.hidden_at.isnot(None), Media.status == MediaStatus.HIDDEN)
        .order_by(Media.hidden_at.desc()).limit(limit)
    ).all()
    out = [{"type": "place", "id": p.id, "title": p.title, "hidden_at": p.hidden_at,
            "reason": p.hidden_reason or "", "place_id": p.id} for p in places]
    out += [{"type": "media", "id": m.id, "title": m.place.title if m.place else "",
             "hidden_at": m.hidden_at, "reason": m.kind, "place_id": m.place_id} for m in media]
    out.sort(key=lambda r: r["hidden_at"], reverse=True)
    return out


def recent_resolved(limit: int = 50) -> list[Flag]:
    return list(db.session.scalars(
        select(Flag).where(Flag.status != FlagStatus.OPEN)
        .order_by(Flag.resolved_at.desc()).limit(limit)
    ))
