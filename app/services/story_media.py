"""Adding a story with its photos and recording, for the add-a-story page and ``POST
/api/v1/places/<id>/stories`` alike.

All or nothing, as a contribution: every field and file is checked before anything is
written (the refusal names every field at once); the story, its media rows and files are
written in the request's one transaction, and files of a transaction that does not commit
are removed by ``app.services.media``. Photos are re-encoded without metadata for the public
and, as the story's position is its place's, their GPS is never kept, not even privately.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, FormErrors, ValidationError
from app.extensions import db
from app.models import IdempotencyKey, Story, User
from app.services import media as media_service
from app.services import stories
from app.services.contribute import Upload
from app.services.stories import StoryInput

# A recording's text alternative: long enough for ten minutes of speech several times over.
MAX_TRANSCRIPT = 50_000
# Keys of stories are kept apart from keys of contributions (a client may use one series
# for both); hashed, so that a client's key of up to 100 characters fits the column.
_KEY_PREFIX = "story:"


@dataclass
class StoryUpload:
    """A new story with its files as ``app.inputs.stories`` loads it: the story's fields, the
    photos with their captions (each photo's text alternative) and licences, the recording
    with its licence and transcript."""

    story: StoryInput
    photos: list[Upload] = field(default_factory=list)
    photo_caption: str = ""
    photo_captions: list[str] = field(default_factory=list)
    photo_licence: str = ""
    photo_licences: list[str] = field(default_factory=list)
    audio: Upload | None = None
    audio_licence: str = ""
    transcript: str = ""

    def caption_of(self, index: int) -> str:
        """The caption of the photo at ``index``: its own, or the photos' shared one."""
        own = self.photo_captions[index] if index < len(self.photo_captions) else ""
        return own or self.photo_caption

    def licence_of(self, index: int) -> str:
        """The licence of the photo at ``index``: its own, or the photos' default."""
        own = self.photo_licences[index] if index < len(self.photo_licences) else ""
        return own or self.photo_licence


def request_fingerprint(place_id: int, upload: StoryUpload) -> str:
    """What makes two requests "the same story" for an idempotency key."""
    s = upload.story
    payload = {
        "place": place_id, "title": s.title.strip(), "body": s.body.strip(), "kind": s.kind,
        "language": s.language, "era": s.era.strip(), "licence": s.licence,
        "author_name": s.author_name.strip(),
        "photos": [hashlib.sha256(p.data).hexdigest() for p in upload.photos],
        "photo_licences": [upload.licence_of(i) for i in range(len(upload.photos))],
        "audio": hashlib.sha256(upload.audio.data).hexdigest() if upload.audio else None,
        "transcript": upload.transcript.strip(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _stored_key(key: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


def _story_for_key(user: User, stored: str, fingerprint: str) -> Story | None:
    row = db.session.get(IdempotencyKey, (user.id, stored))
    if row is None:
        return None
    # By prefix: keys stored before the story had its own column kept 48 digits.
    if not fingerprint.startswith(row.request_hash):
        raise Conflict(_("This idempotency key was used for a different story."),
                       field="idempotency_key", code="idempotency_mismatch")
    story = db.session.get(Story, row.story_id) if row.story_id is not None else None
    if story is None:  # deleted meanwhile (its narrator's account, say)
        raise Conflict(_("This story was deleted."), code="idempotency_gone")
    return story


def _checked_key(user: User, key: str | None, fingerprint: str) -> tuple[str | None, Story | None]:
    """The key as stored, and the story a first request with it created."""
    if key is None:
        return None, None
    key = key.strip()
    if not (1 <= len(key) <= 100):
        raise ValidationError(
            _("The idempotency key must have 1 to 100 characters."), field="idempotency_key")
    stored = _stored_key(key)
    return stored, _story_for_key(user, stored, fingerprint)


def _claim_key(user: User, place_id: int, stored: str, fingerprint: str) -> Story | None:
    """Claim the key before writing: a concurrent retry waits on the primary key and then
    finds the story this request created."""
    try:
        with db.session.begin_nested():
            db.session.add(IdempotencyKey(
                user_id=user.id, key=stored, place_id=place_id,
                request_hash=fingerprint))
    except IntegrityError:
        existing = _story_for_key(user, stored, fingerprint)
        if existing is not None:
            return existing
        raise
    return None


@dataclass
class _CheckedFiles:
    photos: list  # media_service.CheckedPhoto, in the order sent
    audio: object | None  # media_service.CheckedAudio


def _check_files(upload: StoryUpload, errors: dict[str, str]) -> _CheckedFiles:
    """Every file decoded and every licence and transcript checked; messages into
    ``errors`` by field."""
    photos = []
    if len(upload.photos) > media_service.setting("MAX_PHOTOS"):
        errors.setdefault("photo", _("Add at most %(n)d photos.",
                                     n=media_service.setting("MAX_PHOTOS")))
    for upload_file in upload.photos:
        try:
            photos.append(media_service.check_photo(upload_file.data, "photo"))
        except ValidationError as exc:
            errors.setdefault("photo", _("%(file)s: %(problem)s",
                                         file=upload_file.filename or "?",
                                         problem=exc.message))
    for name, code in (("photo_licence", upload.photo_licence),
                       ("audio_licence", upload.audio_licence),
                       *(("photo_licences", c) for c in upload.photo_licences)):
        try:
            media_service.check_licence(code, name)
        except ValidationError as exc:
            errors.setdefault(exc.field, exc.message)
    audio = None
    if upload.audio is not None:
        try:
            audio = media_service.check_audio(upload.audio.data, "audio")
        except ValidationError as exc:
            errors.setdefault("audio", exc.message)
    if len(upload.transcript) > MAX_TRANSCRIPT:
        errors.setdefault("transcript", _("Use at most %(n)d characters.", n=MAX_TRANSCRIPT))
    elif upload.transcript.strip() and upload.audio is None:
        errors.setdefault("transcript", _(
            "A transcript belongs to a recording: add the recording, or leave it empty."))
    return _CheckedFiles(photos, audio)


def add_story_with_media(user: User, place_id: int, upload: StoryUpload, *,
                         idempotency_key: str | None = None) -> tuple[Story, bool]:
    """A new pending story at the public place ``place_id`` with its photos and recording
    (pending too); returns (story, created).

    A missing place is NotFound; a merged or removed one a ValidationError naming
    ``place``; a story told on someone's behalf by anyone but a curator or helper is
    Forbidden; every refused field and file at once a FormErrors; nothing is stored then.
    With an ``idempotency_key`` a retry of the same story answers the story created the
    first time (created False); the same key with other content is a Conflict."""
    fingerprint = request_fingerprint(place_id, upload)
    stored, existing = _checked_key(user, idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    place = stories.open_place(place_id)
    if upload.story.author_name.strip() and not (user.is_curator or user.is_helper):
        # As for contributions: a role, not a form error (the page offers these fields only
        # to curators and helpers).
        raise Forbidden(_("Only curators and helpers may enter a story for someone else."))
    errors: dict[str, str] = {}
    try:
        stories.check_story(upload.story)
    except ValidationError as exc:
        errors[exc.field or ""] = exc.message
    checked = _check_files(upload, errors)
    if errors:
        raise FormErrors(errors)
    if stored is not None and (existing := _claim_key(user, place.id, stored,
                                                      fingerprint)) is not None:
        return existing, False

    story = stories.add_story(user, place.id, upload.story)
    credit = story.credit_name
    for i, photo in enumerate(checked.photos):
        medium = media_service.store_photo(
            photo, uploader=user, place=place, keep_gps=False, caption=upload.caption_of(i),
            credit=credit, licence=upload.licence_of(i), position=i)
        medium.story = story
    if checked.audio is not None:
        medium = media_service.store_audio(
            checked.audio, uploader=user, place=place, credit=credit,
            licence=upload.audio_licence, position=len(checked.photos))
        medium.story = story
        if upload.transcript.strip():
            medium.transcript = upload.transcript.strip()
            medium.transcript_by_id = user.id
            medium.transcript_at = datetime.now(UTC)
    db.session.flush()
    if stored is not None:
        row = db.session.get(IdempotencyKey, (user.id, stored))
        row.story_id = story.id
        db.session.flush()
    return story, True
