"""Every status and kind the data knows, as StrEnums.

Members are strings, so they compare equal to the stored values and bind as them in queries;
the CHECK constraints of the tables are written from these same enums.
"""

from __future__ import annotations

from enum import StrEnum


class PlaceStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class RevisionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    SUPERSEDED = "superseded"


class StoryStatus(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


class StoryKind(StrEnum):
    MEMORY = "memory"
    HISTORY = "history"
    TIP = "tip"


class SuggestionStatus(StrEnum):
    """A suggested edit of someone else's story, until its author or a curator decides."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    # The story changed or left before anyone decided (withdrawn, or the suggester took it back).
    CLOSED = "closed"


class EraPrecision(StrEnum):
    """How an era was given (``geo.era``'s forms)."""

    YEAR = "year"
    DECADE = "decade"
    CIRCA = "circa"
    RANGE = "range"


class MediaStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class MediaKind(StrEnum):
    PHOTO = "photo"
    AUDIO = "audio"
    CONSENT_SCAN = "consent_scan"


class TourStatus(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    RETIRED = "retired"


class FlagStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"


class ReplyStatus(StrEnum):
    """A reply on a story. Replies from people not yet trusted wait (``pending``); trusted
    people's replies are ``visible`` at once and moderated afterwards."""

    PENDING = "pending"
    VISIBLE = "visible"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    # Its author removed it, or it was turned into a story of its own.
    REMOVED = "removed"


class HoldReason(StrEnum):
    """Why a reply waits for a curator."""

    NEW_MEMBER = "new_member"
    LINK = "link"
    WATCHED_WORD = "watched_word"
    REMOTE = "remote"


class ReactionKind(StrEnum):
    THANKS = "thanks"
    REMEMBER = "remember"


class TalkKind(StrEnum):
    """A note about a place, kept apart from its stories."""

    QUESTION = "question"
    CORRECTION = "correction"


class TalkStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    FIXED = "fixed"
    DECLINED = "declined"
    HIDDEN = "hidden"


class NotificationKind(StrEnum):
    STORY_DECISION = "story_decision"
    REPLY = "reply"
    REACTION = "reaction"
    FEATURED = "featured"
    PLACE_QUESTION = "place_question"
    THEME_STORY = "theme_story"


class Delivery(StrEnum):
    """How a person wants to be mailed about one kind of event (always shown in the app)."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored values of an enum, in declaration order (for CHECK constraints)."""
    return tuple(member.value for member in enum)
