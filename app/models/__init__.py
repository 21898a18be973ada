"""SQLAlchemy models. Importing this package registers every table on the metadata."""

from app.models.conversation import ConversationMute, PlaceTalk, Reaction, Reply, WatchedWord
from app.models.federation import (
    FederationBlock,
    FederationDomain,
    FederationKey,
    FederationTrust,
    Follower,
    OutboxEntry,
    ReceivedActivity,
    RemoteActor,
    RemoteReply,
    RemoteThanks,
)
from app.models.media import Media
from app.models.moderation import Flag, IdempotencyKey, ModerationEvent, ReplyTemplate
from app.models.notification import Notification, NotificationSetting
from app.models.place import Place, PlaceRevision
from app.models.rate_limit import rate_limit_counters
from app.models.statuses import (
    FlagStatus,
    MediaKind,
    MediaStatus,
    PlaceStatus,
    RevisionStatus,
    StoryKind,
    StoryStatus,
    SuggestionStatus,
    TourStatus,
)
from app.models.story import Story, StoryRevision, StorySuggestion
from app.models.theme import Theme, place_themes, theme_follows
from app.models.tour import Tour, TourStop
from app.models.usage import (
    Metric,
    OfferingKind,
    TourAlternative,
    UsageCounter,
    UsageGoal,
    UsageReview,
)
from app.models.user import ApiToken, User
from app.models.walknet import WalkLeg, WalkNetwork

__all__ = [
    "FederationBlock",
    "FederationDomain",
    "FederationKey",
    "FederationTrust",
    "Follower",
    "OutboxEntry",
    "ReceivedActivity",
    "RemoteActor",
    "RemoteReply",
    "RemoteThanks",
    "ConversationMute",
    "Notification",
    "NotificationSetting",
    "PlaceTalk",
    "Reaction",
    "Reply",
    "WatchedWord",
    "ApiToken",
    "Flag",
    "FlagStatus",
    "IdempotencyKey",
    "Metric",
    "Media",
    "MediaKind",
    "MediaStatus",
    "ModerationEvent",
    "OfferingKind",
    "Place",
    "PlaceStatus",
    "PlaceRevision",
    "ReplyTemplate",
    "RevisionStatus",
    "Story",
    "StoryKind",
    "StoryRevision",
    "StoryStatus",
    "StorySuggestion",
    "SuggestionStatus",
    "Theme",
    "Tour",
    "TourStatus",
    "TourStop",
    "TourAlternative",
    "UsageCounter",
    "UsageGoal",
    "UsageReview",
    "User",
    "WalkLeg",
    "WalkNetwork",
    "place_themes",
    "rate_limit_counters",
    "theme_follows",
]
