"""Moderating the conversation: replies and place notes that wait for a curator, as items of
the curators' queue (kinds ``reply`` and ``talk``), and what curators decide about them.

A reply waits when ``conversation.rules.hold_reason`` held it (``pending``), when the
story's narrator hid it pending a curator's look (``narrator_hidden_at``) or while it has
open reports (resolved by ``services/flags.resolve_reply_flags``). Curators
- approve (it appears, its narrator is told) or reject a waiting reply, with a reason and a
  message (a reply template fills it on the page);
- hide (reversible: ``show`` brings it back) or remove (for good) a reply already shown;
- approve or reject a waiting place note.
Every decision is logged (services/audit.py); the author of a reply is mailed about a
rejection, hiding or removal in their own language, with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Flag, Place, Story, User
from app.models.conversation import PlaceTalk, Reply
from app.models.statuses import FlagStatus, HoldReason, ReplyStatus, TalkStatus
from app.services import audit, inbox
from app.services.conversation.rules import approved_contributions, is_muted
from app.services.mail import Notice, record
from app.services.moderation.base import REASON_CODES, clean_message
from app.services.roles import require_curator

REPLY_DECISIONS = ("approve", "reject")
REPLY_ACTIONS = ("hide", "remove", "show")
TALK_DECISIONS = ("approve", "reject")
HOLD_LABELS = {
    HoldReason.NEW_MEMBER: _l("New member"),
    HoldReason.LINK: _l("Contains a link"),
    HoldReason.WATCHED_WORD: _l("Contains a watched word"),
    HoldReason.REMOTE: _l("From another site"),
}
NARRATOR_HIDDEN = "narrator"


def _reported():
    return select(Flag.id).where(Flag.reply_id == Reply.id,
                                 Flag.status == FlagStatus.OPEN).exists()


def _waiting_replies():
    """Held, hidden by the narrator, or reported (``services/flags.py`` resolves those)."""
    return or_(Reply.status == ReplyStatus.PENDING,
               (Reply.status == ReplyStatus.VISIBLE) & Reply.narrator_hidden_at.is_not(None),
               _reported())


def hold_label(reply: Reply) -> str:
    """Why ``reply`` waits, as curators read it."""
    if reply.status != ReplyStatus.PENDING and db.session.scalar(
            select(func.count(Flag.id)).where(Flag.reply_id == reply.id,
                                              Flag.status == FlagStatus.OPEN)):
        return _("Reported")
    if reply.status == ReplyStatus.VISIBLE and reply.narrator_hidden_at is not None:
        return _("Hidden by the narrator")
    return str(HOLD_LABELS.get(reply.held_reason, "")) if reply.held_reason else ""


def queue_items() -> list[dict]:
    """Waiting replies and place notes as queue items (the fields ``moderation.queue``
    gives every item), oldest first."""
    lon, lat = func.ST_X(Place.geom).label("lon"), func.ST_Y(Place.geom).label("lat")
    items: list[dict] = []
    rows = db.session.execute(
        select(Reply, Story.title, Story.place_id, User.display_name, lon, lat)
        .join(Story, Story.id == Reply.story_id)
        .join(Place, Place.id == Story.place_id)
        .outerjoin(User, User.id == Reply.author_id)
        .where(_waiting_replies())).all()
    for r in rows:
        items.append({
            "kind": "reply", "id": r.Reply.id, "place_id": r.place_id,
            "title": _("Reply to “%(title)s”", title=r.title),
            "created_at": r.Reply.narrator_hidden_at or r.Reply.created_at,
            "who": r.display_name or "", "lon": r.lon, "lat": r.lat,
            "detail": hold_label(r.Reply), "transcript_missing": False})
    rows = db.session.execute(
        select(PlaceTalk, Place.title, User.display_name, lon, lat)
        .join(Place, Place.id == PlaceTalk.place_id)
        .outerjoin(User, User.id == PlaceTalk.author_id)
        .where(PlaceTalk.status == TalkStatus.PENDING)).all()
    for r in rows:
        items.append({
            "kind": "talk", "id": r.PlaceTalk.id, "place_id": r.PlaceTalk.place_id,
            "title": _("Note about “%(title)s”", title=r.title),
            "created_at": r.PlaceTalk.created_at, "who": r.display_name or "",
            "lon": r.lon, "lat": r.lat, "detail": "", "transcript_missing": False})
    items.sort(key=lambda i: (i["created_at"], i["kind"], i["id"]))
    return items


def counts() -> dict[str, int]:
    """How many replies and place notes wait."""
    replies = db.session.scalar(select(func.count(Reply.id)).where(_waiting_replies()))
    talk = db.session.scalar(select(func.count(PlaceTalk.id))
                             .where(PlaceTalk.status == TalkStatus.PENDING))
    return {"reply": replies or 0, "talk": talk or 0}


def get_reply(reply_id: int) -> Reply:
    reply = db.session.get(Reply, reply_id)
    if reply is None:
        raise NotFound(_("This reply does not exist."))
    return reply


def reply_item(reply_id: int) -> dict:
    """A reply with everything a curator needs to decide it: its story, the reply it
    answers, why it waits and what its author has contributed."""
    reply = get_reply(reply_id)
    author = db.session.get(User, reply.author_id) if reply.author_id else None
    return {
        "kind": "reply", "reply": reply, "story": reply.story,
        "parent": db.session.get(Reply, reply.parent_id) if reply.parent_id else None,
        "author": author,
        # Decided here (approve / reject); reports are resolved by their own form.
        "waiting": reply.status == ReplyStatus.PENDING or (
            reply.status == ReplyStatus.VISIBLE and reply.narrator_hidden_at is not None),
        "hold": hold_label(reply),
        "approved_contributions": approved_contributions(author) if author else 0,
        "muted": is_muted(author),
        "flags": list(db.session.scalars(
            select(Flag).where(Flag.reply_id == reply.id, Flag.status == FlagStatus.OPEN)
            .order_by(Flag.created_at, Flag.id))),
    }


def _reason(reason: str | None) -> str | None:
    reason = reason or None
    if reason is not None and reason not in REASON_CODES:
        raise ValidationError(_("Choose a reason from the list."), field="reason")
    return reason


def _labels(reason: str | None) -> list:
    return [REASON_CODES[reason]] if reason in REASON_CODES else []


def tell_reply_author(reply: Reply, action: str, reasons: list, message: str) -> None:
    """Owe a reply's author a mail saying a curator rejected, hid or removed it (``action``),
    with the reasons as (lazy) labels, read in the author's language, and the curator's
    message."""
    author = db.session.get(User, reply.author_id) if reply.author_id else None
    if author is None or not author.active:
        return
    story = reply.story
    record(Notice(letter="reply_decision", to=author.email, locale=author.locale,
                  name=author.display_name,
                  values={"action": action, "title": story.title, "message": message,
                          "reasons": list(reasons), "story_id": story.id}))


def decide_reply(curator: User | None, reply_id: int, decision: str, *,
                 reason: str | None = None, message: str = "") -> Reply:
    """Approve or reject a waiting reply (see the module's docstring)."""
    require_curator(curator)
    if decision not in REPLY_DECISIONS:
        raise ValidationError(_("Choose approve or reject."), field="decision")
    reason, message = _reason(reason), clean_message(message)
    if decision == "reject" and not reason:
        raise ValidationError(_("Choose a reason for the rejection."), field="reason")
    reply = get_reply(reply_id)
    now = datetime.now(UTC)
    before = _state(reply)
    if reply.status == ReplyStatus.PENDING:
        if decision == "approve":
            reply.status = ReplyStatus.VISIBLE
            reply.published_at = now
        else:
            reply.status = ReplyStatus.REJECTED
            reply.hidden_reason = reason
    elif reply.status == ReplyStatus.VISIBLE and reply.narrator_hidden_at is not None:
        # The narrator hid it: approving shows it again, rejecting hides it for good.
        if decision == "approve":
            reply.narrator_hidden_at = None
        else:
            reply.status = ReplyStatus.HIDDEN
            reply.hidden_reason = reason
    else:
        raise ValidationError(_("This reply does not wait for review."), field="decision",
                              code="not_waiting")
    reply.updated_at = now
    db.session.flush()
    audit.log(curator, f"reply_{decision}", "reply", reply.id, before, _state(reply),
              reason=reason, message=message)
    if decision == "approve":
        inbox.notify_reply(reply)
    else:
        tell_reply_author(reply, "reject", _labels(reason), message)
    return reply


def act_on_reply(curator: User | None, reply_id: int, action: str, *,
                 reason: str | None = None, message: str = "") -> Reply:
    """Hide (reversible), remove (for good) or show again a reply already decided; hiding
    and removing need a reason and are mailed to its author."""
    require_curator(curator)
    if action not in REPLY_ACTIONS:
        raise ValidationError(_("Choose hide, remove or show."), field="action")
    reason, message = _reason(reason), clean_message(message)
    if action != "show" and not reason:
        raise ValidationError(_("Choose a reason."), field="reason")
    reply = get_reply(reply_id)
    before = _state(reply)
    if action == "show":
        if reply.status != ReplyStatus.HIDDEN and reply.narrator_hidden_at is None:
            raise ValidationError(_("This reply is not hidden."), field="action")
        reply.status, reply.hidden_reason = ReplyStatus.VISIBLE, None
        reply.narrator_hidden_at = None
    elif reply.status in (ReplyStatus.REJECTED, ReplyStatus.REMOVED) or (
            action == "hide" and reply.status == ReplyStatus.HIDDEN):
        raise ValidationError(_("This reply is not shown any more."), field="action")
    else:
        reply.status = ReplyStatus.HIDDEN if action == "hide" else ReplyStatus.REJECTED
        reply.hidden_reason = reason
    reply.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.log(curator, f"reply_{action}", "reply", reply.id, before, _state(reply),
              reason=reason, message=message)
    if action != "show":
        tell_reply_author(reply, action, _labels(reason), message)
    return reply


def _state(reply: Reply) -> str:
    if reply.status == ReplyStatus.VISIBLE and reply.narrator_hidden_at is not None:
        return NARRATOR_HIDDEN
    return reply.status


def talk_item(talk_id: int) -> dict:
    """A place note with its place and author, for the curator's page."""
    talk = db.session.get(PlaceTalk, talk_id)
    if talk is None:
        raise NotFound(_("This question or correction does not exist."))
    author = db.session.get(User, talk.author_id) if talk.author_id else None
    return {"kind": "talk", "talk": talk, "place": talk.place, "author": author,
            "waiting": talk.status == TalkStatus.PENDING}


def decide_talk(curator: User | None, talk_id: int, decision: str, *,
                reason: str | None = None, message: str = "") -> PlaceTalk:
    """Approve (open, and the people who wrote about the place are told) or reject
    (hidden) a waiting place note."""
    require_curator(curator)
    if decision not in TALK_DECISIONS:
        raise ValidationError(_("Choose approve or reject."), field="decision")
    reason, message = _reason(reason), clean_message(message)
    talk = db.session.get(PlaceTalk, talk_id)
    if talk is None:
        raise NotFound(_("This question or correction does not exist."))
    if talk.status != TalkStatus.PENDING:
        raise ValidationError(_("This question or correction does not wait for review."),
                              field="decision", code="not_waiting")
    talk.status = TalkStatus.OPEN if decision == "approve" else TalkStatus.HIDDEN
    db.session.flush()
    audit.log(curator, f"talk_{decision}", "place_talk", talk.id, TalkStatus.PENDING,
              talk.status, reason=reason, message=message)
    if decision == "approve":
        inbox.notify_place_question(talk)
    return talk
