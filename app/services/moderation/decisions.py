"""A curator's decisions on a queue item: approve (with corrections first, if any), reject
with a reason, ask for changes; photos and recordings are approved or rejected. Each is
logged (services/audit.py) and told to the contributor (notices.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Media, Place, PlaceRevision, User
from app.models.statuses import MediaStatus, PlaceStatus, RevisionStatus, StoryStatus
from app.services import revisions, stories
from app.services.audit import log
from app.services.moderation.base import (
    DECISIONS,
    REASON_CODES,
    check_version,
    clean_message,
    reason_label,
)
from app.services.moderation.notices import notify, notify_media
from app.services.moderation.queue import item
from app.services.roles import require_curator
from app.services.search_index import refresh_search_vector


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
    message = clean_message(message)
    if decision == "reject" and reason not in REASON_CODES:
        raise ValidationError(_("Choose a reason for the rejection."), field="reason")
    if decision == "request_changes" and not message:
        raise ValidationError(_("Say what should be changed."), field="message")
    if reason is not None and reason != "" and reason not in REASON_CODES:
        raise ValidationError(_("Unknown reason."), field="reason")
    if kind == "media":
        return _decide_media(curator, item_id, decision, message, reason)
    if kind == "story":
        story = stories.review_story(
            curator, item_id, decision, message=message, reason=reason, version=version,
            changes=_story_changes(stories.get_story(item_id), changes))
        return {"decision": decision, "place_id": story.place_id, "story_id": story.id,
                "status": story.status, "version": story.version}
    found = item(kind, item_id)
    place, rev = found["place"], found["revision"]
    check_version(place, version)
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


def _story_changes(story, changes: revisions.EditInput | None) -> stories.StoryInput | None:
    """The review form's corrections (title, story, era, language) as a story's input; the
    fields the form leaves unchanged keep the story's own."""
    if changes is None:
        return None
    kept = changes.unchanged

    def pick(name: str, own: str) -> str:
        return own if name in kept else (getattr(changes, name) or "")

    return stories.StoryInput(
        title=pick("title", story.title), body=pick("body", story.body), kind=story.kind,
        language=pick("language", story.language),
        era=pick("era", stories.era_text(story)), licence=story.licence)


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
        stories.mirror_lead(place)
    refresh_search_vector(place)
    log(curator, "approve", "place" if new else "revision", place.id if new else rev.id,
        before if new else RevisionStatus.PENDING, PlaceStatus.APPROVED, message=message)
    notify(place, rev, "approve", message)


def _close(curator: User, place: Place, rev: PlaceRevision, status: str, message: str,
           reason: str | None, *, new: bool) -> None:
    now = datetime.now(UTC)
    before = place.status
    text_for_author = message or reason_label(reason)
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
            lead = stories.mirror_lead(place)
            if status == RevisionStatus.CHANGES_REQUESTED and lead.status == StoryStatus.DRAFT:
                lead.status = StoryStatus.CHANGES_REQUESTED
    action = "reject" if status == RevisionStatus.REJECTED else "request_changes"
    log(curator, action, "place" if new else "revision", place.id if new else rev.id,
        before if new else RevisionStatus.PENDING, place.status if new else status, reason=reason,
        message=message)
    # The reason's label in the contributor's language, not the curator's.
    notify(place, rev, action, message or REASON_CODES.get(reason or "", ""))


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
    notify_media(medium, decision, message, reason)
    return {"decision": decision, "place_id": medium.place_id, "status": medium.status}


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
