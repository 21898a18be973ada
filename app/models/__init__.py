"""SQLAlchemy models. Importing this package registers every table on the metadata."""

from app.models.media import Media
from app.models.moderation import Flag, IdempotencyKey, ModerationEvent, ReplyTemplate
from app.models.place import Place, PlaceRevision
from app.models.theme import Theme, place_themes, theme_follows
from app.models.tour import Tour, TourStop, TourUsage
from app.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "Flag",
    "IdempotencyKey",
    "Media",
    "ModerationEvent",
    "Place",
    "PlaceRevision",
    "ReplyTemplate",
    "Theme",
    "Tour",
    "TourStop",
    "TourUsage",
    "User",
    "place_themes",
    "theme_follows",
]
