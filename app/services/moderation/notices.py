"""Telling contributors what curators decided: each decision records a notice, which
app/notifications.py mails (in the contributor's language) once the decision is committed."""

from __future__ import annotations

from app.extensions import db
from app.models import Media, Place, PlaceRevision, User
from app.models.statuses import Delivery, NotificationKind
from app.services import inbox, notification_settings
from app.services.mail import Notice, record
from app.services.moderation.base import REASON_CODES


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


def notify(place: Place, rev: PlaceRevision | None, action: str, message: str,
            target: Place | None = None) -> None:
    """Owe the contributor a mail about ``action`` (approve, reject, request_changes or
    merge into ``target``) on their place, with the curators' ``message``."""
    user = _contributor(place, rev)
    if user is None:
        return
    shown = target if target is not None else place
    # A decision on their story is mailed as they chose for story decisions (at once, in a
    # digest, never; the notification shows in the app either way); a merge always is.
    at_once = action == "merge" or notification_settings.delivery_for(
        user.id, NotificationKind.STORY_DECISION) is Delivery.IMMEDIATE
    if at_once:
        unsubscribe = {} if action == "merge" else {
            "unsubscribe_token": notification_settings.unsubscribe_token(
                user.id, NotificationKind.STORY_DECISION)}
        _tell(user, "place_decision", action=action, title=place.title, message=message,
              target=target.title if target is not None else "",
              place_id=shown.id if action in ("approve", "merge") else None, **unsubscribe)
    inbox.note_place_decision(user, place, action, message=message, mailed=at_once)


def notify_media(medium: Media, decision: str, message: str, reason: str | None) -> None:
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
