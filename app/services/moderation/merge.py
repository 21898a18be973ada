"""Merging a duplicate into a public place, and where a merged place's address leads."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from app.errors import Conflict, ValidationError
from app.extensions import db
from app.models import Flag, Place, PlaceRevision, TourStop, User
from app.models.statuses import FlagStatus, MediaStatus, PlaceStatus, RevisionStatus, StoryStatus
from app.services import revisions, stories
from app.services.audit import log
from app.services.moderation.base import check_version, clean_message, load_place
from app.services.moderation.notices import notify
from app.services.roles import require_curator
from app.services.search_index import refresh_search_vector


def merge(curator: User, duplicate_id: int, target_id: int, *, message: str = "",
          version: int | None = None) -> Place:
    """Merge a duplicate into an existing public place: its stories with their photos and
    recordings move to the target as stories of their own (no text is concatenated; a
    pending story stays pending, the duplicate's own story is approved with the merge), the
    themes join the target's (as a new approved revision there), tour stops follow, open
    reports on the duplicate become reports on the target (those on its media follow the
    media), and the duplicate's address redirects to the target from now on."""
    require_curator(curator)
    message = clean_message(message)
    dup, target = _merge_pair(duplicate_id, target_id)
    check_version(dup, version)
    now = datetime.now(UTC)
    before = dup.status
    dup_rev = revisions.open_revision(dup)
    _move_stories(dup, target, dup_rev, now)
    moved_flags = _move_belongings(dup, target)
    target_snap = revisions.row_snapshot(target)
    merged = _merged_snapshot(dup, dup_rev, target_snap)
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
        dup.merged_into_id, dup.status, dup.updated_at = target.id, PlaceStatus.ARCHIVED, now
        if dup_rev is not None:
            dup_rev.status = RevisionStatus.APPROVED
            dup_rev.reviewer_id, dup_rev.reviewed_at = curator.id, now
            dup_rev.review_message = message or _(
                "Merged into “%(title)s”: your photos and story are part of it now.",
                title=target.title)
        db.session.flush()
    db.session.expire(target, ["media"])
    refresh_search_vector(target)
    _log_merge(curator, dup, target, before, message, moved_flags)
    notify(dup, dup_rev, "merge", message, target=target)
    return target


def _merge_pair(duplicate_id: int, target_id: int) -> tuple[Place, Place]:
    """The duplicate and the public place it may be merged into."""
    if duplicate_id == target_id:
        raise ValidationError(_("A place cannot be merged into itself."), field="target")
    dup = load_place(duplicate_id)
    target = db.session.get(Place, target_id)
    if target is None or not target.is_public:
        raise ValidationError(_("Merge into a published place."), field="target")
    if dup.merged_into_id is not None:
        raise Conflict(_("This place was merged already."), code="merged")
    return dup, target


def _move_belongings(dup: Place, target: Place) -> int:
    """Move the duplicate's media (after the target's), tour stops and open reports to the
    target; returns how many reports moved."""
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
    return db.session.execute(
        update(Flag)
        .where(Flag.place_id == dup.id, Flag.status == FlagStatus.OPEN)
        .values(place_id=target.id)
    ).rowcount


def _move_stories(dup: Place, target: Place, dup_rev: PlaceRevision | None,
                  now: datetime) -> None:
    """The duplicate's stories become stories of the target, each keeping its author, era,
    language, licence, media and revisions. The duplicate's lead story takes the text its
    open revision holds (what the contributor sent) and is approved by the merge, as the
    duplicate's story was before; other stories keep their own state."""
    lead = stories.lead_story(dup) or stories.mirror_lead(dup)
    if dup_rev is not None and lead.status not in stories.KEPT_STATUSES:
        snap = dup_rev.snapshot
        lead.title, lead.body = snap.get("title") or lead.title, snap.get("body") or ""
    for story in list(dup.stories):
        if story is lead and story.status not in stories.KEPT_STATUSES:
            story.status = StoryStatus.APPROVED
            story.published_at = story.published_at or now
        story.place_id, story.is_lead = target.id, False
        story.updated_at = now
    db.session.flush()
    db.session.expire(dup, ["stories"])
    db.session.expire(target, ["stories"])


def _merged_snapshot(dup: Place, dup_rev: PlaceRevision | None, target_snap: dict) -> dict:
    """The target's snapshot with both places' themes (the stories move as they are)."""
    dup_snap = dup_rev.snapshot if dup_rev is not None else revisions.row_snapshot(dup)
    merged = dict(target_snap)
    merged["themes"] = sorted(set(target_snap.get("themes") or [])
                              | set(dup_snap.get("themes") or []))
    return merged


def _log_merge(curator: User, dup: Place, target: Place, before: str, message: str,
               moved_flags: int) -> None:
    log(curator, "merge", "place", dup.id, before, "merged",
        message=_("into #%(id)d", id=target.id) + (f": {message}" if message else ""))
    if moved_flags:
        log(curator, "flags_move", "place", dup.id, None, None,
            message=ngettext("%(num)d open report moved to #%(id)d",
                             "%(num)d open reports moved to #%(id)d", moved_flags,
                             id=target.id))


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
