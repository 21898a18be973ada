"""Stories at a shared place: adding one, the author's edit, the narrator's withdrawal, the
curators' decision per story, and the public list of a place's stories.

A place created by a contribution (or the seed) carries its first story, the "lead story",
whose text the place row still holds for the readers that show a place's own text; ``
mirror_lead`` keeps the two the same wherever a place's text or status is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.licences import STORY_LICENCE
from app.models import (
    Place,
    PlaceStatus,
    Story,
    StoryKind,
    StoryRevision,
    StoryStatus,
    StorySuggestion,
    User,
)
from app.models.place import CONSENT_METHODS
from app.models.statuses import RevisionStatus, SuggestionStatus
from app.models.story import MAX_BODY, MAX_TITLE
from app.services import inbox, visibility
from app.services.audit import log
from app.services.place_rules import story_era
from app.services.search_index import refresh_search_vector
from geo import era as geo_era

ON_BEHALF_METHODS = tuple(m for m in CONSENT_METHODS if m != "self")
# A place's status as its lead story's.
LEAD_STATUS = {PlaceStatus.DRAFT: StoryStatus.DRAFT, PlaceStatus.PENDING: StoryStatus.PENDING,
               PlaceStatus.APPROVED: StoryStatus.APPROVED,
               PlaceStatus.REJECTED: StoryStatus.REJECTED,
               PlaceStatus.ARCHIVED: StoryStatus.HIDDEN}
# What a narrator's withdrawal or a curator's hiding leaves as it is.
KEPT_STATUSES = (StoryStatus.WITHDRAWN, StoryStatus.HIDDEN)
REVIEWABLE = (StoryStatus.PENDING,)
DECISIONS = {"approve": StoryStatus.APPROVED, "reject": StoryStatus.REJECTED,
             "request_changes": StoryStatus.CHANGES_REQUESTED}


@dataclass
class StoryInput:
    """A story as the input layer loads it (text normalised); empty values take defaults."""

    title: str = ""
    body: str = ""
    kind: str = StoryKind.MEMORY.value
    language: str = ""
    era: str = ""
    licence: str = ""
    credit_name: str = ""
    licence_consent: bool = False
    # told on someone's behalf
    author_name: str = ""
    consent_method: str = ""
    consent_date: date | None = None


@dataclass(frozen=True)
class _Checked:
    era: geo_era.Era | None
    licence: str
    language: str
    kind: str
    on_behalf: bool


def era_text(story: Story) -> str:
    """A story's era in the grammar it was given in ("1965", "1960s", "ca. 1965",
    "1900/1950"), for forms."""
    if story.era_start is None:
        return ""
    if story.era_precision == "decade":
        return f"{story.era_start}s"
    if story.era_precision == "circa":
        return f"ca. {(story.era_start + story.era_end) // 2}"
    if story.era_precision == "range":
        return f"{story.era_start}/{story.era_end}"
    return str(story.era_start)


def _check(inp: StoryInput, *, new: bool) -> _Checked:
    """Every field's rule, before anything is written; the first refusal names its field."""
    if not (1 <= len(inp.title.strip()) <= MAX_TITLE):
        raise ValidationError(_("Give the story a title of at most %(n)d characters.",
                                n=MAX_TITLE), field="title")
    if len(inp.body) > MAX_BODY:
        raise ValidationError(_("The story is too long."), field="body")
    if inp.kind not in {k.value for k in StoryKind}:
        raise ValidationError(_("Choose memory, history or tip."), field="kind")
    language = inp.language or current_app.config["LANGUAGES"][0]
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("Choose a language Stadtspur offers."), field="language")
    licence = inp.licence or STORY_LICENCE
    if licence not in current_app.config["MEDIA_LICENCES"]:
        raise ValidationError(_("Choose one of the offered licences."), field="licence")
    era = story_era(inp.era, ranges=True)
    on_behalf = bool(inp.author_name.strip())
    if new and not inp.licence_consent:
        raise ValidationError(_("Please agree to publish your story under its licence."),
                              field="licence_consent")
    if on_behalf:
        if inp.consent_method not in ON_BEHALF_METHODS:
            raise ValidationError(
                _("Say how the person agreed to have their story published."),
                field="consent_method")
        if inp.consent_date is None or inp.consent_date > datetime.now(UTC).date():
            raise ValidationError(_("Give the date the person agreed."), field="consent_date")
    return _Checked(era, licence, language, inp.kind, on_behalf)


def check_story(inp: StoryInput) -> None:
    """A new story's field rules without writing anything (ValidationError naming the first
    refused field), for writers that check a story's files too before storing any of it."""
    _check(inp, new=True)


def _apply(story: Story, inp: StoryInput, checked: _Checked) -> None:
    story.title = inp.title.strip()
    story.body = inp.body
    story.kind = checked.kind
    story.language = checked.language
    story.licence = checked.licence
    if checked.era is None:
        story.era_start = story.era_end = story.era_precision = None
    else:
        story.era_start, story.era_end = checked.era.start, checked.era.end
        story.era_precision = checked.era.precision


def story_snapshot(story: Story) -> dict:
    """A story's fields as its revisions record them."""
    return {"title": story.title, "body": story.body, "kind": story.kind,
            "language": story.language, "era_start": story.era_start,
            "era_end": story.era_end, "era_precision": story.era_precision,
            "licence": story.licence, "author_name": story.author_name,
            "credit_name": story.credit_name}


def _revision(story: Story, user: User | None, *, base_version: int,
              status: str = RevisionStatus.PENDING, message: str = "") -> StoryRevision:
    number = (db.session.scalar(
        select(StoryRevision.number).where(StoryRevision.story_id == story.id)
        .order_by(StoryRevision.number.desc()).limit(1)) or 0) + 1
    rev = StoryRevision(story_id=story.id, number=number, base_version=base_version,
                        snapshot=story_snapshot(story), status=status,
                        author_id=user.id if user else None, message=message)
    db.session.add(rev)
    return rev


def open_place(place_id: int) -> Place:
    """The place a new story goes to: it must exist and be public (not merged or removed)."""
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound(_("This place does not exist."))
    if not visibility.is_public_place(place):
        raise ValidationError(_("Stories can only be added to a published place."),
                              field="place", code="place_closed")
    return place


def add_story(user: User, place_id: int, inp: StoryInput) -> Story:
    """A new pending story at an existing public place, with its first revision. Told on
    someone's behalf (``author_name``), the narrator is credited and ``user`` is the
    helper; the consent is required then."""
    place = open_place(place_id)
    checked = _check(inp, new=True)
    story = Story(
        place_id=place.id, status=StoryStatus.PENDING,
        author_id=None if checked.on_behalf else user.id,
        author_name=inp.author_name.strip() if checked.on_behalf else None,
        helper_id=user.id if checked.on_behalf else None,
        consent_method=inp.consent_method if checked.on_behalf else "self",
        consent_date=inp.consent_date if checked.on_behalf else datetime.now(UTC).date(),
        credit_name=inp.credit_name or (inp.author_name.strip() if checked.on_behalf
                                        else user.display_name),
    )
    _apply(story, inp, checked)
    db.session.add(story)
    db.session.flush()
    _revision(story, user, base_version=0)
    db.session.flush()
    return story


def get_story(story_id: int) -> Story:
    story = db.session.get(Story, story_id)
    if story is None:
        raise NotFound(_("This story does not exist."))
    return story


def get_story_or_none(story_id: int) -> Story | None:
    """The story with its place and media, or None."""
    return db.session.get(Story, story_id, options=[selectinload(Story.media),
                                                    selectinload(Story.place)])


def can_edit(user: User | None, story: Story) -> bool:
    """Its author, the helper who entered it for the narrator, and curators."""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_curator) or user.id in (story.author_id, story.helper_id)


def can_see(user: User | None, story: Story) -> bool:
    """Everyone sees a public story; its author, helper and curators see it in any state."""
    return visibility.is_public_story(story) or can_edit(user, story)


def edit_story(user: User, story_id: int, inp: StoryInput, *, version: int) -> Story:
    """The author's (helper's, a curator's) edit from ``version``: Forbidden for anyone
    else, Conflict (409, with the current story) when the story changed since. An approved
    story edited by its author waits for review again; a curator's edit stays approved."""
    story = get_story(story_id)
    if not can_edit(user, story):
        raise Forbidden(_("Only the story's author can change it; you can suggest an edit."))
    if story.status == StoryStatus.WITHDRAWN:
        raise Conflict(_("This story was withdrawn."), code="withdrawn")
    if version != story.version:
        raise Conflict(_("This story changed in the meantime. Reload it and try again."),
                       code="stale_version",
                       current={"snapshot": story_snapshot(story), "version": story.version})
    checked = _check(inp, new=False)
    base = story.version
    _apply(story, inp, checked)
    if inp.credit_name:
        story.credit_name = inp.credit_name
    story.updated_at = datetime.now(UTC)
    curator_edit = bool(user.is_curator)
    if not curator_edit and story.status in (StoryStatus.APPROVED, StoryStatus.REJECTED,
                                             StoryStatus.CHANGES_REQUESTED):
        story.status = StoryStatus.PENDING
    _revision(story, user, base_version=base,
              status=RevisionStatus.APPROVED if curator_edit else RevisionStatus.PENDING)
    db.session.flush()
    if story.status == StoryStatus.APPROVED:
        _mirror_to_place(story)
    refresh_search_vector(story.place)
    return story


def withdraw_story(user: User, story_id: int) -> Story:
    """The narrator (or the helper who entered it) withdraws their story, in any state: it
    leaves every public surface at once. Curators hide, they do not withdraw."""
    story = get_story(story_id)
    if user is None or user.id not in (story.author_id, story.helper_id):
        raise Forbidden(_("Only the story's narrator can withdraw it."))
    if story.status != StoryStatus.WITHDRAWN:
        before = story.status
        was_public = visibility.is_public_story(story)
        story.status, story.withdrawn_at = StoryStatus.WITHDRAWN, datetime.now(UTC)
        story.updated_at = story.withdrawn_at
        db.session.flush()
        refresh_search_vector(story.place)
        _close_suggestions(story.id)
        log(user, "withdraw", "story", story.id, before, StoryStatus.WITHDRAWN)
        if was_public:
            _tell_tour_authors(story, "withdrawn")
    return story


def _tell_tour_authors(story: Story, reason: str) -> None:
    """A public story left ("withdrawn" or "hidden"): the authors of tours that feature it
    are told (their stops fall back by themselves, readers filter at read time)."""
    from app.services.tours.featured import stories_left

    stories_left([story], reason)


def _close_suggestions(story_id: int) -> None:
    """A withdrawn story's open suggested edits close (nobody can accept them any more)."""
    db.session.execute(
        update(StorySuggestion)
        .where(StorySuggestion.story_id == story_id,
               StorySuggestion.status == SuggestionStatus.PENDING)
        .values(status=SuggestionStatus.CLOSED, decided_at=datetime.now(UTC))
        .execution_options(synchronize_session="fetch"))


def review_story(curator: User, story_id: int, decision: str, *, message: str = "",
                 reason: str | None = None, version: int | None = None,
                 changes: StoryInput | None = None) -> Story:
    """A curator's decision on one pending story; ``changes`` edit it before approving
    (recorded as the curator's own revision). ``version`` guards against a stale queue."""
    from app.services.roles import require_curator

    require_curator(curator)
    story = get_story(story_id)
    if decision not in DECISIONS:
        raise ValidationError(_("Approve, reject or ask for changes."), field="decision")
    checking = story.needs_check and not story.is_removed and story.status != StoryStatus.PENDING
    if story.status not in REVIEWABLE and not checking:
        raise Conflict(_("This story does not wait for review."), code="not_pending")
    if version is not None and version != story.version:
        raise Conflict(_("This story changed in the meantime. Reload it and try again."),
                       code="stale_version")
    now = datetime.now(UTC)
    was_public = visibility.is_public_story(story)
    if changes is not None and decision == "approve":
        _apply(story, changes, _check(changes, new=False))
        _revision(story, curator, base_version=story.version, status=RevisionStatus.APPROVED,
                  message=_("Corrected while reviewing"))
    before = story.status
    story.status = DECISIONS[decision]
    story.updated_at = now
    if decision == "approve":
        story.needs_check = False
        story.published_at = story.published_at or now
    open_rev = db.session.scalars(
        select(StoryRevision).where(StoryRevision.story_id == story.id,
                                    StoryRevision.status == RevisionStatus.PENDING)).all()
    for rev in open_rev:
        rev.status = (RevisionStatus.APPROVED if decision == "approve" else
                      RevisionStatus.REJECTED if decision == "reject"
                      else RevisionStatus.CHANGES_REQUESTED)
        rev.reviewer_id, rev.reviewed_at, rev.review_message = curator.id, now, message
    db.session.flush()
    if decision == "approve":
        _mirror_to_place(story)
    refresh_search_vector(story.place)
    log(curator, decision, "story", story.id, before, story.status, reason=reason,
        message=message)
    hidden = was_public and not visibility.is_public_story(story)
    if hidden:
        # a public story split from an older merge, rejected on its check
        _tell_tour_authors(story, "hidden")
    inbox.notify_story_decision(story, "hidden" if hidden else decision, message=message)
    return story


def move_story(curator: User, story_id: int, place_id: int) -> Story:
    """A curator splits a story off to another public place (it was told about somewhere
    else): its photos and recordings follow; it keeps its state, author and revisions. A
    place's lead story stays with its place (merge moves whole places)."""
    from app.services.roles import require_curator

    require_curator(curator)
    story = get_story(story_id)
    if story.is_lead:
        raise ValidationError(_("The first story of a place stays with it; merge the place "
                                "instead."), field="story")
    target = open_place(place_id)
    source = story.place
    if target.id == source.id:
        raise ValidationError(_("The story is at this place already."), field="place")
    story.place_id = target.id
    for medium in story.media:
        medium.place_id = target.id
    story.updated_at = datetime.now(UTC)
    db.session.flush()
    db.session.expire(source, ["stories", "media"])
    db.session.expire(target, ["stories", "media"])
    refresh_search_vector(source)
    refresh_search_vector(target)
    log(curator, "move", "story", story.id, str(source.id), str(target.id))
    return story


def public_stories(place_id: int) -> list[Story]:
    """The public stories of a place, newest first, in one query."""
    return list(db.session.scalars(
        select(Story).join(Place, Story.place_id == Place.id)
        .where(Story.place_id == place_id, visibility.public_story())
        .order_by(Story.created_at.desc(), Story.id.desc())))


# The place page's orders of its stories: newest first (the default), or by era, oldest
# first, undated last.
PAGE_ORDERS = ("newest", "era")


@dataclass
class PlacePageStories:
    """What the place page shows of its stories: the lead story (whatever its state: the
    page shows the place's own text only when it is public), the further public stories in
    the order and with the filters asked, and how many further public stories each filter
    value would show (``languages``, ``kinds``: value → count, of all of them; ``total``)."""

    lead: Story | None
    stories: list[Story]
    languages: dict[str, int]
    kinds: dict[str, int]
    total: int


def place_page_stories(place: Place, *, order: str = "newest", language: str = "",
                       kind: str = "") -> PlacePageStories:
    """A public place's lead story and its further public stories with their media, ordered
    (``PAGE_ORDERS``) and filtered by ``language`` and ``kind`` ("" for any). One query for
    the stories and one for their media, however many stories the place has: the counts per
    filter value need every public story of the place, so the filters are applied to what
    that query read (a place holds tens of stories, not thousands)."""
    newest = (Story.created_at.desc(), Story.id.desc())
    sort = ((Story.era_start.asc().nulls_last(), Story.era_end.asc().nulls_last(), *newest)
            if order == "era" else newest)
    rows = list(db.session.scalars(
        select(Story).join(Place, Story.place_id == Place.id)
        .where(Story.place_id == place.id, Story.is_lead | visibility.public_story())
        .options(selectinload(Story.media))
        .order_by(Story.is_lead.desc(), *sort)))
    lead = next((s for s in rows if s.is_lead), None)
    listed = [s for s in rows if not s.is_lead]
    return PlacePageStories(
        lead=lead,
        stories=[s for s in listed if (not language or s.language == language)
                 and (not kind or s.kind == kind)],
        languages=dict(Counter(s.language for s in listed)),
        kinds=dict(Counter(s.kind for s in listed)),
        total=len(listed),
    )


def is_public(story: Story) -> bool:
    """``visibility.is_public_story`` for the pages."""
    return visibility.is_public_story(story)


def is_public_medium(medium) -> bool:
    """``visibility.is_public_medium`` for the pages."""
    return visibility.is_public_medium(medium)


def pending_stories(limit: int = 200) -> list[Story]:
    """Stories that wait for a curator, one queue item each, oldest first (stories split
    from older merges, marked ``needs_check``, come first)."""
    return list(db.session.scalars(
        select(Story).where(Story.status == StoryStatus.PENDING)
        .order_by(Story.needs_check.desc(), Story.created_at, Story.id).limit(limit)))


def lead_story(place: Place) -> Story | None:
    """The story that came with the place."""
    return next((s for s in place.stories if s.is_lead), None)


def mirror_lead(place: Place) -> Story:
    """Keep the lead story the same as the place's own text and status (created when the
    place has none yet), and give the place's media without a story to it. A withdrawn or
    hidden lead story keeps that state."""
    db.session.flush()
    lead = lead_story(place)
    if lead is None:
        lead = Story(place=place, is_lead=True, consent_method=place.consent_method,
                     consent_date=place.consent_date, created_at=place.created_at)
        place.stories.append(lead)
    lead.title, lead.body, lead.language = place.title, place.body, place.language
    lead.licence = place.licence
    lead.author_id, lead.author_name, lead.helper_id = (place.author_id, place.author_name,
                                                        place.helper_id)
    lead.consent_method, lead.consent_date = place.consent_method, place.consent_date
    lead.credit_name = place.credit_name
    if place.era_year is None:
        lead.era_start = lead.era_end = lead.era_precision = None
    else:
        lead.era_start = place.era_year
        lead.era_end = place.era_year + (9 if place.era_precision == "decade" else 0)
        lead.era_precision = place.era_precision
    if lead.status not in KEPT_STATUSES:
        lead.status = LEAD_STATUS[PlaceStatus(place.status)]
        if lead.status == StoryStatus.HIDDEN and lead.id is not None:
            # the place was taken off: its lead story is hidden with it
            _tell_tour_authors(lead, "hidden")
    lead.published_at = place.published_at
    db.session.flush()
    for medium in place.media:
        if medium.story_id is None:
            medium.story_id = lead.id
    return lead


def _mirror_to_place(story: Story) -> None:
    """An edit of the lead story is the place's own text too (readers of the place row)."""
    place = story.place
    if lead_story(place) is not story:
        return
    place.title, place.body, place.language = story.title, story.body, story.language
    if story.era_precision in ("year", "decade"):
        place.era_year, place.era_precision = story.era_start, story.era_precision
    elif story.era_start is None:
        place.era_year = place.era_precision = None
    place.updated_at = datetime.now(UTC)
