"""Transcripts: every recording's text alternative (WCAG 2.1, 1.2.1: audio-only content
needs one). The recording's uploader, its story's author or helper and curators set or
correct it; it is plain text (pages show it escaped), kept on the medium with who wrote it
and when, and searched with its place (the place's search vector is refreshed on change).

A story with a recording and no transcript can still be approved: the curators' queue marks
it (``missing_transcript``) and the pages offer "Add a transcript" to those who may.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import selectinload

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Media, User
from app.models.statuses import MediaKind, MediaStatus
from app.services.audit import log
from app.services.search_index import refresh_search_vector

# About an hour of speech; a longer recording is better cut into several.
MAX_TRANSCRIPT = 50_000
# Control characters other than tab and newline have no place in plain text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def can_transcribe(user: User | None, medium: Media) -> bool:
    """The recording's uploader, its story's author or helper, and curators."""
    if user is None or not user.is_authenticated or medium.kind != MediaKind.AUDIO:
        return False
    if user.is_curator:
        return True
    story = medium.story
    owners = {medium.uploader_id}
    if story is not None:
        owners |= {story.author_id, story.helper_id}
    owners.discard(None)
    return user.id in owners


def get_recording(media_id: int) -> Media:
    """A recording (any state) with its story and place; NotFound for anything else."""
    medium = db.session.get(Media, media_id, options=[selectinload(Media.story),
                                                      selectinload(Media.place)])
    if medium is None or medium.kind != MediaKind.AUDIO or medium.status == MediaStatus.REJECTED:
        raise NotFound(_("This recording does not exist."))
    return medium


def clean(text: str) -> str:
    """The transcript as stored: line breaks as newlines, no control characters, no
    surrounding blank space."""
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def set_transcript(user: User, media_id: int, text: str) -> Media:
    """``user`` sets (or corrects, or with empty ``text`` removes) a recording's
    transcript. Forbidden for anyone but its uploader, its story's author or helper and
    curators (checked before the text); 422 naming ``transcript`` past ``MAX_TRANSCRIPT``."""
    medium = get_recording(media_id)
    if not can_transcribe(user, medium):
        raise Forbidden(_("Only the person who recorded it, the story's author and curators "
                          "can write its transcript."))
    value = clean(text)
    if len(value) > MAX_TRANSCRIPT:
        raise ValidationError(_("A transcript can have at most %(n)d characters.",
                                n=MAX_TRANSCRIPT), field="transcript", code="too_long")
    if value == medium.transcript:
        return medium
    before = "set" if medium.transcript else "empty"
    medium.transcript = value
    medium.transcript_by_id = user.id
    medium.transcript_at = datetime.now(UTC)
    db.session.flush()
    if medium.place is not None:
        refresh_search_vector(medium.place)
    log(user, "transcript", "media", medium.id, before, "set" if value else "empty")
    return medium


def missing_transcript(story_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: the story ``story_id`` has a recording (not rejected) without a transcript."""
    return exists(select(Media.id).where(and_(
        Media.story_id == story_id, Media.kind == MediaKind.AUDIO,
        Media.status != MediaStatus.REJECTED, Media.transcript == "")))


def place_missing_transcript(place_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: the place ``place_id`` has a recording (not rejected) without a transcript."""
    return exists(select(Media.id).where(and_(
        Media.place_id == place_id, Media.kind == MediaKind.AUDIO,
        Media.status != MediaStatus.REJECTED, Media.transcript == "")))


def medium_missing_transcript(medium: Media) -> bool:
    """A loaded recording that has no transcript yet."""
    return medium.kind == MediaKind.AUDIO and not medium.transcript


def loaded_recording(media_id: int) -> Media | None:
    """A recording already loaded in this session (pages that show it have), else read."""
    medium = db.session.get(Media, media_id)
    return medium if medium is not None and medium.kind == MediaKind.AUDIO else None


def transcript_author(medium: Media) -> str | None:
    """The display name of whoever wrote the transcript last, if the account remains."""
    user = db.session.get(User, medium.transcript_by_id) if medium.transcript_by_id else None
    return user.display_name if user is not None else None
