"""Questions and corrections about a place ("the plaque is on the other corner"), kept as
the place's own list so they do not bury its stories.

Logged-in people who are not muted post them (``rules``: the same hold reasons and an
hourly limit as replies; a held note waits for a curator in the queue, see
``services/moderation/conversation.py``). Curators resolve an open note as fixed or
declined, with a note the page shows; its author is mailed the outcome. Notes are shown as
plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Place, User
from app.models.conversation import MAX_TALK, PlaceTalk
from app.models.statuses import TalkKind, TalkStatus
from app.services import audit, inbox, visibility
from app.services.conversation import rules
from app.services.mail import Notice, record
from app.services.roles import require_curator

MAX_NOTE = 2000
# What everyone sees of a place's talk: open notes and resolved ones (with their note).
SHOWN = (TalkStatus.OPEN, TalkStatus.FIXED, TalkStatus.DECLINED)
RESOLUTIONS = (TalkStatus.FIXED, TalkStatus.DECLINED)


@dataclass
class TalkInput:
    """A question or correction as the input layer loads it."""

    kind: str = TalkKind.QUESTION.value
    body: str = ""


def _public_place(place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if not visibility.is_public_place(place):
        raise NotFound(_("There is no public place with this id."))
    return place


def clean_body(body: str | None) -> str:
    """The note as stored: trimmed, plain newlines; refused when empty or too long."""
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError(_("Write your question or correction."), field="body")
    if len(body) > MAX_TALK:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_TALK), field="body")
    return body


def post(user: User | None, place_id: int, inp: TalkInput) -> PlaceTalk:
    """Post ``user``'s question or correction about a public place. It is open at once,
    or waits for a curator for the reasons replies wait (``rules.hold_reason``); the people
    who wrote about the place are told once it is open."""
    rules.check_may_talk(user)
    place = _public_place(place_id)
    if inp.kind not in (TalkKind.QUESTION, TalkKind.CORRECTION):
        raise ValidationError(_("Choose a question or a correction."), field="kind")
    body = clean_body(inp.body)
    rules.check_talk_rate(user)
    held = rules.hold_reason(user, body)
    talk = PlaceTalk(place_id=place.id, author_id=user.id, kind=str(inp.kind), body=body,
                     status=TalkStatus.PENDING if held else TalkStatus.OPEN)
    db.session.add(talk)
    db.session.flush()
    if talk.status == TalkStatus.OPEN:
        inbox.notify_place_question(talk)
    return talk


def place_talk(place_id: int, viewer: User | None = None, limit: int = 200) -> list[PlaceTalk]:
    """A public place's questions and corrections, newest first: open and resolved ones,
    and the viewer's own that still wait for a curator."""
    _public_place(place_id)
    shown = PlaceTalk.status.in_(SHOWN)
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        shown = or_(shown, (PlaceTalk.status == TalkStatus.PENDING)
                    & (PlaceTalk.author_id == viewer.id))
    return list(db.session.scalars(
        select(PlaceTalk).where(PlaceTalk.place_id == place_id, shown)
        .order_by(PlaceTalk.created_at.desc(), PlaceTalk.id.desc()).limit(limit)))


def get_talk(talk_id: int) -> PlaceTalk:
    found = db.session.get(PlaceTalk, talk_id)
    if found is None:
        raise NotFound(_("This question or correction does not exist."))
    return found


def resolve(curator: User | None, talk_id: int, status: str, note: str = "") -> PlaceTalk:
    """A curator marks an open question or correction fixed or declined, with a note for
    everyone (logged); its author is told by mail."""
    require_curator(curator)
    if status not in RESOLUTIONS:
        raise ValidationError(_("Choose fixed or declined."), field="status")
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_NOTE), field="note")
    talk = get_talk(talk_id)
    if talk.status != TalkStatus.OPEN:
        raise ValidationError(_("Only an open question or correction can be resolved."),
                              field="status", code="not_open")
    before = talk.status
    talk.status = str(status)
    talk.resolution_note = note
    talk.resolved_by_id = curator.id
    talk.resolved_at = datetime.now(UTC)
    db.session.flush()
    audit.log(curator, f"talk_{status}", "place_talk", talk.id, before, talk.status,
              message=note)
    _tell_author(talk)
    return talk


def _tell_author(talk: PlaceTalk) -> None:
    """Owe the note's author a mail, in their language, saying how it was resolved."""
    author = db.session.get(User, talk.author_id) if talk.author_id else None
    if author is None or not author.active or author.id == talk.resolved_by_id:
        return
    record(Notice(letter="talk_resolved", to=author.email, locale=author.locale,
                  name=author.display_name,
                  values={"status": talk.status, "kind": talk.kind, "title": talk.place.title,
                          "note": talk.resolution_note, "place_id": talk.place_id}))
