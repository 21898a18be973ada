"""What every part of moderation shares: the kinds of queue items, the decisions and the
reasons a curator gives, the limits on a message, and the small checks they all make."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Place
from app.models.statuses import MediaKind
from app.services import revisions

KINDS = ("place", "edit", "media", "flag", "story", "reply", "talk")
# Kinds decided on their own pages (services/moderation/conversation.py), not by ``decide``.
CONVERSATION_KINDS = ("reply", "talk")
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


def load_place(place_id: int) -> Place:
    """The place with its media and themes loaded; NotFound when there is none."""
    place = db.session.get(Place, place_id, options=[selectinload(Place.media),
                                                     selectinload(Place.themes)])
    if place is None:
        raise NotFound(_("This place does not exist."))
    return place


def check_version(place: Place, version: int | None) -> None:
    """Refuse (409, with what is current) a decision on a version the place moved on from."""
    if version is not None and version != place.version:
        raise revisions.StaleEdit(revisions.working_snapshot(place), place.version, {})


def clean_message(message: str | None) -> str:
    """A curator's message, trimmed and with plain newlines; refused when too long."""
    message = (message or "").strip().replace("\r\n", "\n")
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    return message


def reason_label(reason: str | None) -> str:
    """The reason code as people read it (in the current language), or ""."""
    return str(REASON_CODES.get(reason, "")) if reason else ""
