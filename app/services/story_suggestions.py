"""Suggested edits of a story: someone who may not edit a story (``stories.can_edit``)
suggests a new title, body or era, from the version they read, with a message; its author,
the helper who entered it or a curator accepts the suggestion (it becomes the story's next
revision through ``stories.edit_story``, with that function's rules) or declines it with a
message; the suggester can take it back; a withdrawn story's suggestions close
(``stories.withdraw_story``).

The author (or helper) is told of a new suggestion by mail, the suggester of the decision,
each in their own language (``services/mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Story, StoryRevision, StorySuggestion, User
from app.models.statuses import SuggestionStatus
from app.models.story import MAX_BODY, MAX_TITLE
from app.services import stories, visibility
from app.services.audit import log
from app.services.mail import Notice, record
from app.services.place_rules import story_era
from app.services.revisions import text_diff

# The fields a suggestion may change, in the order pages show them.
FIELDS = ("title", "body", "era")
MAX_MESSAGE = 2000
# Per suggester and hour (config ``SUGGESTIONS_PER_HOUR``): enough for a careful reader
# correcting several stories, too few to flood an author's mailbox.
DEFAULT_PER_HOUR = 10


class TooManySuggestions(DomainError):
    status = 429
    code = "too_many_suggestions"


@dataclass
class SuggestionInput:
    """A suggested edit as the input layer loads it: the story's fields as the suggester
    would have them (a field left as it is, or empty, is no change) and their message."""

    title: str = ""
    body: str = ""
    era: str = ""
    message: str = ""


def get_suggestion(suggestion_id: int) -> StorySuggestion:
    found = db.session.get(StorySuggestion, suggestion_id,
                           options=[selectinload(StorySuggestion.story)])
    if found is None:
        raise NotFound(_("This suggestion does not exist."))
    return found


def can_suggest(user: User | None, story: Story) -> bool:
    """A logged-in person who sees the public story and may not edit it themselves."""
    return (user is not None and user.is_authenticated and not stories.can_edit(user, story)
            and visibility.is_public_story(story))


def check_may_suggest(user: User | None, story: Story) -> None:
    """Forbidden for the story's author, helper and curators (they edit it) and for anyone
    not logged in; NotFound for a story that is not public."""
    if user is None or not user.is_authenticated:
        raise Forbidden(_("Please log in to suggest an edit."))
    if stories.can_edit(user, story):
        raise Forbidden(_("You can edit this story yourself."), code="edit_instead")
    if not visibility.is_public_story(story):
        raise NotFound(_("This story does not exist."))


def current_fields(story: Story) -> dict:
    """The story's fields a suggestion may change, as forms show them."""
    return {"title": story.title, "body": story.body, "era": stories.era_text(story)}


def _changes(story: Story, inp: SuggestionInput) -> dict:
    """What ``inp`` changes of ``story``, each field checked by the story's own rules."""
    now = current_fields(story)
    changes: dict = {}
    title = inp.title.strip()
    if title and title != now["title"]:
        if len(title) > MAX_TITLE:
            raise ValidationError(_("Give the story a title of at most %(n)d characters.",
                                    n=MAX_TITLE), field="title")
        changes["title"] = title
    if inp.body.strip() and inp.body != now["body"]:
        if len(inp.body) > MAX_BODY:
            raise ValidationError(_("The story is too long."), field="body")
        changes["body"] = inp.body
    era = inp.era.strip()
    if era and era != now["era"]:
        parsed = story_era(era, ranges=True)
        if parsed is None or (parsed.start, parsed.end, parsed.precision) != (
                story.era_start, story.era_end, story.era_precision):
            changes["era"] = era
    if not changes:
        raise ValidationError(_("Change the title, the story or its time before you send "
                                "the suggestion."), field="body", code="no_change")
    return changes


def _check_rate(user: User) -> None:
    limit = current_app.config.get("SUGGESTIONS_PER_HOUR", DEFAULT_PER_HOUR)
    recent = db.session.scalar(
        select(func.count(StorySuggestion.id)).where(
            StorySuggestion.author_id == user.id,
            StorySuggestion.created_at > datetime.now(UTC) - timedelta(hours=1)))
    if recent >= limit:
        raise TooManySuggestions(_("You sent many suggestions in the last hour. Please try "
                                   "again later."))


def suggest(user: User, story_id: int, inp: SuggestionInput, *, version: int) -> StorySuggestion:
    """``user`` suggests ``inp`` for the story they read at ``version``. Forbidden for its
    author, helper and curators (they edit), for anyone not logged in and for a story that
    is not public; Conflict when the story changed since ``version``; 429 past the hourly
    limit. The story's author (else its helper) is told by mail."""
    story = stories.get_story(story_id)
    check_may_suggest(user, story)
    if len(inp.message) > MAX_MESSAGE:
        raise ValidationError(_("Keep the message under %(n)d characters.", n=MAX_MESSAGE),
                              field="message")
    if version != story.version:
        raise Conflict(_("This story changed in the meantime. Reload it and try again."),
                       code="stale_version",
                       current={"fields": current_fields(story), "version": story.version})
    changes = _changes(story, inp)
    _check_rate(user)
    suggestion = StorySuggestion(story_id=story.id, author_id=user.id,
                                 base_version=story.version, changes=changes,
                                 message=inp.message.strip())
    db.session.add(suggestion)
    db.session.flush()
    _tell_author(story, suggestion, user)
    return suggestion


def can_decide(user: User | None, suggestion: StorySuggestion) -> bool:
    """The story's author, its helper and curators decide on a suggestion."""
    return stories.can_edit(user, suggestion.story)


def _open_for_decision(user: User, suggestion_id: int) -> StorySuggestion:
    suggestion = get_suggestion(suggestion_id)
    if not can_decide(user, suggestion):
        raise Forbidden(_("Only the story's author or a curator can decide on a suggestion."))
    if suggestion.status != SuggestionStatus.PENDING:
        raise Conflict(_("This suggestion was decided already."), code="not_pending")
    return suggestion


def _decided(user: User, suggestion: StorySuggestion, status: str, message: str) -> None:
    suggestion.status = status
    suggestion.decided_by_id = user.id
    suggestion.decided_at = datetime.now(UTC)
    suggestion.decision_message = message.strip()


def accept(user: User, suggestion_id: int, *, message: str = "",
           version: int | None = None) -> StorySuggestion:
    """The author, helper or a curator accepts a suggestion: its changes become the story's
    next revision through ``stories.edit_story`` (an author's change of an approved story
    waits for review again, a curator's stays approved). Conflict (409) when the story
    changed since the suggestion was made, or since ``version`` the decider read: the
    suggestion stays open."""
    suggestion = _open_for_decision(user, suggestion_id)
    story = suggestion.story
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Keep the message under %(n)d characters.", n=MAX_MESSAGE),
                              field="message")
    if version is not None and version != story.version:
        raise Conflict(_("This story changed in the meantime. Reload it and try again."),
                       code="stale_version",
                       current={"fields": current_fields(story), "version": story.version})
    if suggestion.base_version != story.version:
        raise Conflict(_("The story changed after this suggestion was made. Edit the story "
                         "yourself, or decline the suggestion."), code="stale_suggestion",
                       current={"fields": current_fields(story), "version": story.version})
    fields = current_fields(story) | suggestion.changes
    # The narrator and their consent are the story's and stay as they are (edit_story does
    # not change them), so the input names no narrator.
    inp = stories.StoryInput(title=fields["title"], body=fields["body"], era=fields["era"],
                             kind=story.kind, language=story.language, licence=story.licence)
    stories.edit_story(user, story.id, inp, version=story.version)
    revision = db.session.scalar(
        select(StoryRevision).where(StoryRevision.story_id == story.id)
        .order_by(StoryRevision.number.desc()).limit(1))
    suggester = suggestion.author.display_name if suggestion.author else ""
    revision.message = _("Suggested by %(name)s", name=suggester) if suggester else _(
        "Suggested edit")
    _decided(user, suggestion, SuggestionStatus.ACCEPTED, message)
    db.session.flush()
    log(user, "accept_suggestion", "story", story.id, SuggestionStatus.PENDING,
        SuggestionStatus.ACCEPTED, message=message)
    _tell_suggester(suggestion, "accept")
    return suggestion


def decline(user: User, suggestion_id: int, *, message: str = "") -> StorySuggestion:
    """The author, helper or a curator declines a suggestion, with a message for the
    suggester; the story stays as it is."""
    suggestion = _open_for_decision(user, suggestion_id)
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Keep the message under %(n)d characters.", n=MAX_MESSAGE),
                              field="message")
    _decided(user, suggestion, SuggestionStatus.DECLINED, message)
    db.session.flush()
    log(user, "decline_suggestion", "story", suggestion.story_id, SuggestionStatus.PENDING,
        SuggestionStatus.DECLINED, message=message)
    _tell_suggester(suggestion, "decline")
    return suggestion


def take_back(user: User, suggestion_id: int) -> StorySuggestion:
    """The suggester takes their open suggestion back (it closes)."""
    suggestion = get_suggestion(suggestion_id)
    if user is None or suggestion.author_id != user.id:
        raise Forbidden(_("Only the person who made a suggestion can take it back."))
    if suggestion.status != SuggestionStatus.PENDING:
        raise Conflict(_("This suggestion was decided already."), code="not_pending")
    suggestion.status = SuggestionStatus.CLOSED
    suggestion.decided_at = datetime.now(UTC)
    db.session.flush()
    return suggestion


def open_suggestions(story_id: int) -> list[StorySuggestion]:
    """A story's open suggestions, oldest first, with their authors."""
    return list(db.session.scalars(
        select(StorySuggestion)
        .where(StorySuggestion.story_id == story_id,
               StorySuggestion.status == SuggestionStatus.PENDING)
        .options(selectinload(StorySuggestion.author))
        .order_by(StorySuggestion.created_at, StorySuggestion.id)))


def visible_suggestions(user: User | None, story: Story) -> list[StorySuggestion]:
    """The open suggestions ``user`` may see: all for those who decide, their own for a
    suggester, none for anyone else."""
    if user is None or not user.is_authenticated:
        return []
    found = open_suggestions(story.id)
    if stories.can_edit(user, story):
        return found
    return [s for s in found if s.author_id == user.id]


def open_count(story_id: int) -> int:
    """How many suggestions of the story wait for a decision."""
    return db.session.scalar(
        select(func.count(StorySuggestion.id)).where(
            StorySuggestion.story_id == story_id,
            StorySuggestion.status == SuggestionStatus.PENDING)) or 0


def is_stale(suggestion: StorySuggestion) -> bool:
    """The story changed after the suggestion was made (accepting it answers 409)."""
    return suggestion.base_version != suggestion.story.version


def suggestion_diff(suggestion: StorySuggestion) -> list[dict]:
    """The suggestion's changes against the story as it is now, in the form of
    ``revisions.snapshot_diff`` (the curator pages' diff): words for title and body, the
    era as before → after."""
    now = current_fields(suggestion.story)
    out: list[dict] = []
    for name in FIELDS:
        if name not in suggestion.changes:
            continue
        new = suggestion.changes[name]
        if name == "era":
            out.append({"field": "era", "kind": "value", "old": now["era"], "new": new})
        else:
            out.append({"field": name, "kind": "text", "parts": text_diff(now[name], new)})
    return out


def _active(user_id: int | None) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def _tell_author(story: Story, suggestion: StorySuggestion, suggester: User) -> None:
    to = _active(story.author_id) or _active(story.helper_id)
    if to is None:
        return
    record(Notice(letter="story_suggestion", to=to.email, locale=to.locale,
                  name=to.display_name,
                  values={"title": story.title, "suggester": suggester.display_name,
                          "message": suggestion.message, "story_id": story.id}))


def _tell_suggester(suggestion: StorySuggestion, action: str) -> None:
    to = _active(suggestion.author_id)
    if to is None:
        return
    record(Notice(letter="suggestion_decision", to=to.email, locale=to.locale,
                  name=to.display_name,
                  values={"action": action, "title": suggestion.story.title,
                          "message": suggestion.decision_message,
                          "story_id": suggestion.story_id}))

