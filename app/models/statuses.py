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


def values(enum: type[StrEnum]) -> tuple[str, ...]:
    """The stored values of an enum, in declaration order (for CHECK constraints)."""
    return tuple(member.value for member in enum)
