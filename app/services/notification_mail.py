"""Notifications in words and as mail: the line each one reads as (in the app and in mails),
and the letters, one at once or a digest, owed to a person.

A letter records a ``Notice`` (app/services/mail.py) carrying plain values only: the lines in
the recipient's language, the links as endpoint and arguments, and the token of the one-click
unsubscribe (app/services/notification_settings.py) that app/notifications.py turns into the
List-Unsubscribe headers (RFC 2369, RFC 8058) and the settings link every such mail shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import force_locale, get_locale, gettext, ngettext

from app.extensions import db
from app.models import Place, Story, Theme, Tour, User
from app.models.notification import Notification
from app.models.statuses import NotificationKind, ReactionKind
from app.services import notification_settings
from app.services.mail import Notice, record


@dataclass(frozen=True)
class Line:
    """One notification as people read it: its words and where it leads."""

    id: int
    kind: str
    text: str
    endpoint: str
    args: dict
    created_at: datetime
    read: bool
    # The curators' own words with a decision (shown as they wrote them).
    message: str = ""


def _title(model, ident: int | None) -> str:
    row = db.session.get(model, ident) if ident else None
    return row.title if row is not None else ""


def _actor_name(note: Notification) -> str:
    actor = db.session.get(User, note.actor_id) if note.actor_id else None
    return actor.display_name if actor is not None else gettext("a former member")


def text_of(note: Notification) -> str:
    """What ``note`` says, in the current language."""
    kind = note.kind
    data = note.data or {}
    if kind == NotificationKind.REPLY:
        title = _title(Story, note.story_id)
        if data.get("to") == "reply":
            return gettext("%(name)s answered your reply on “%(title)s”.",
                           name=_actor_name(note), title=title)
        return gettext("%(name)s replied to your story “%(title)s”.",
                       name=_actor_name(note), title=title)
    if kind == NotificationKind.REACTION:
        title, count = _title(Story, note.story_id), int(data.get("count", 1))
        if data.get("reaction") == ReactionKind.REMEMBER:
            if count == 1:
                return gettext("%(name)s remembers “%(title)s” too.",
                               name=_actor_name(note), title=title)
            return ngettext("%(num)d person remembers “%(title)s” too.",
                            "%(num)d people remember “%(title)s” too.", count, title=title)
        if count == 1:
            return gettext("%(name)s thanked you for “%(title)s”.",
                           name=_actor_name(note), title=title)
        return ngettext("%(num)d person thanked you for “%(title)s” this week.",
                        "%(num)d people thanked you for “%(title)s” this week.", count,
                        title=title)
    if kind == NotificationKind.STORY_DECISION:
        title = _title(Story, note.story_id)
        decision = data.get("decision")
        if decision == "approve":
            return gettext("Your story “%(title)s” was approved and is now public.", title=title)
        if decision == "request_changes":
            return gettext("The curators ask for changes to your story “%(title)s”.",
                           title=title)
        if decision == "reject":
            return gettext("Your story “%(title)s” was not accepted.", title=title)
        return gettext("Your story “%(title)s” was hidden.", title=title)
    if kind == NotificationKind.FEATURED:
        return gettext("Your story “%(title)s” is featured in the tour “%(tour)s”.",
                       title=_title(Story, note.story_id), tour=_title(Tour, note.tour_id))
    if kind == NotificationKind.PLACE_QUESTION:
        if data.get("talk_kind") == "correction":
            return gettext("%(name)s suggested a correction about “%(place)s”.",
                           name=_actor_name(note), place=_title(Place, note.place_id))
        return gettext("%(name)s asked a question about “%(place)s”.",
                       name=_actor_name(note), place=_title(Place, note.place_id))
    if kind == NotificationKind.THEME_STORY:
        theme = db.session.get(Theme, data.get("theme_id") or 0)
        name = ""
        if theme is not None:
            name = theme.name_de if str(get_locale()) == "de" else theme.name_en
        return gettext("A new story in the theme “%(theme)s”: “%(title)s”.",
                       theme=name, title=_title(Story, note.story_id))
    return ""


def target_of(note: Notification) -> tuple[str, dict]:
    """Where ``note`` leads: an endpoint and its arguments."""
    if note.kind == NotificationKind.FEATURED and note.tour_id:
        tour = db.session.get(Tour, note.tour_id)
        if tour is not None:
            return "visitor.tour", {"slug": tour.slug}
    if note.kind == NotificationKind.STORY_DECISION and note.data.get("decision") != "approve":
        return "contribute.mine", {}
    if note.story_id:
        args = {"story_id": note.story_id}
        if note.reply_id:
            args["_anchor"] = f"reply-{note.reply_id}"
        return "stories.story", args
    if note.place_id:
        args = {"place_id": note.place_id}
        if note.data.get("talk_id"):
            args["_anchor"] = f"talk-{note.data['talk_id']}"
        return "visitor.place", args
    return "notifications.inbox", {}


def line_of(note: Notification) -> Line:
    """``note`` as a line in the current language."""
    endpoint, args = target_of(note)
    return Line(id=note.id, kind=note.kind, text=text_of(note), endpoint=endpoint, args=args,
                created_at=note.created_at, read=note.read_at is not None,
                message=str((note.data or {}).get("message", "")))


def _plain(lines: list[Line]) -> list[dict]:
    return [{"text": line.text, "endpoint": line.endpoint, "args": line.args,
             "message": line.message} for line in lines]


def mail_now(user: User, note: Notification) -> None:
    """Owe ``user`` a mail about ``note`` alone, and mark it mailed in this transaction."""
    with force_locale(user.locale):
        line = line_of(note)
    record(Notice(letter="notification", to=user.email, locale=user.locale,
                  name=user.display_name,
                  values={"items": _plain([line]), "kind": note.kind,
                          "unsubscribe_token": notification_settings.unsubscribe_token(
                              user.id, note.kind)}))
    note.mailed_at = datetime.now(UTC)


def mail_digest(user: User, notes: list[Notification], period: str) -> None:
    """Owe ``user`` one digest (``period``: daily or weekly) of ``notes``, oldest first; the
    caller marks them mailed in the same transaction. Its unsubscribe turns off the kind
    when all are of one kind, else every kind this digest carries."""
    with force_locale(user.locale):
        lines = [line_of(note) for note in notes]
    kinds = sorted({note.kind for note in notes})
    record(Notice(letter="notification_digest", to=user.email, locale=user.locale,
                  name=user.display_name,
                  values={"items": _plain(lines), "period": period, "kinds": kinds,
                          "unsubscribe_token": notification_settings.unsubscribe_token(
                              user.id, *kinds)}))
