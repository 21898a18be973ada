"""What everyone may see: the one definition of a public place, story, media and tour.

Every reader uses these, whichever way it queries: the ORM expressions for SQLAlchemy
queries, the SQL fragments (compiled from the same expressions) for the hand-written SQL of
the read engine, tiles, feeds, search and offline packs. A new rule is added here once and
holds on every surface.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import ColumnElement, and_, exists, inspect, literal_column, or_
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from app.models import Media, MediaKind, MediaStatus, Place, Story, Tour, TourStatus
from app.models.conversation import Reply
from app.models.statuses import ReplyStatus

# Kinds of media anyone may see; consent scans are never public.
PUBLIC_MEDIA_KINDS = (MediaKind.PHOTO, MediaKind.AUDIO)
# A published tour is listed and followed; a retired one keeps its address with a notice.
REACHABLE_TOUR_STATUSES = (TourStatus.PUBLISHED, TourStatus.RETIRED)


def public_place(entity=Place) -> ColumnElement[bool]:
    """Approved, not hidden, not merged into another place.

    The rule itself is ``Place.is_public`` (a hybrid: the model cannot import services, yet
    templates and services ask a loaded place the same question); this is its expression
    over ``entity`` (``Place`` or an alias of it)."""
    return entity.is_public


def is_public_place(place: Place | None) -> bool:
    """``public_place`` for a loaded place."""
    return place is not None and bool(place.is_public)


def public_story(entity=Story, place=Place) -> ColumnElement[bool]:
    """An approved story, neither hidden nor withdrawn, at a public place (``place`` is the
    entity its ``place_id`` is joined to; the caller joins it)."""
    return and_(entity.is_approved_visible, entity.place_id == place.id, public_place(place))


def is_public_story(story: Story | None) -> bool:
    """``public_story`` for a loaded story."""
    return (story is not None and bool(story.is_approved_visible)
            and is_public_place(story.place))


def public_reply(entity=Reply) -> ColumnElement[bool]:
    """A reply shown to everyone: visible (approved, or posted by a trusted person) and not
    hidden by the story's narrator pending a curator. Whether its story is public is a
    separate condition (``public_story``), as for media."""
    return and_(entity.status == ReplyStatus.VISIBLE, entity.narrator_hidden_at.is_(None))


def is_public_reply(reply: Reply | None) -> bool:
    """``public_reply`` for a loaded reply, and its story public (``is_public_story``)."""
    return (reply is not None and reply.status == ReplyStatus.VISIBLE
            and reply.narrator_hidden_at is None and is_public_story(reply.story))


def public_media(entity=Media) -> ColumnElement[bool]:
    """An approved, visible photo or recording with a re-encoded public file. Whether its
    place is public is a separate condition (``public_place``)."""
    return and_(
        entity.status == MediaStatus.APPROVED,
        entity.hidden_at.is_(None),
        entity.kind.in_(PUBLIC_MEDIA_KINDS),
        entity.variants.has_key("public"),
        _story_allows(entity),
    )


def _story_allows(entity) -> ColumnElement[bool]:
    """A medium without a story, or one whose story is approved and neither hidden nor
    withdrawn. The outer medium is named by its table or alias name so that the condition
    stays correlated when compiled on its own for hand-written SQL."""
    name = inspect(entity).name if entity is not Media else "media"
    _check_alias(name)
    outer = literal_column(f"{name}.story_id")
    return or_(outer.is_(None), exists().where(Story.id == outer, _story_shows_media()))


def _story_shows_media() -> ColumnElement[bool]:
    """A story whose media may be public: approved and visible, or the lead story while it is
    not removed (its place's own rule decides then, as for the place's text)."""
    return or_(Story.is_approved_visible, and_(Story.is_lead, ~Story.is_removed))


def story_shows_media(story: Story) -> bool:
    """``_story_shows_media`` for a loaded story."""
    return bool(story.is_approved_visible) or (story.is_lead and not story.is_removed)


def is_public_medium(medium: Media | None) -> bool:
    """Whether everyone may see a loaded medium: ``public_media`` in Python, and its place
    public (``is_public_place``)."""
    return (
        medium is not None
        and medium.status == MediaStatus.APPROVED
        and medium.hidden_at is None
        and medium.kind in PUBLIC_MEDIA_KINDS
        and "public" in (medium.variants or {})
        and is_public_place(medium.place)
        and (medium.story is None or story_shows_media(medium.story))
    )


def public_tour(entity=Tour) -> ColumnElement[bool]:
    """Published: listed, searchable, followed, in feeds and sitemaps."""
    return entity.status == TourStatus.PUBLISHED


def reachable_tour(entity=Tour) -> ColumnElement[bool]:
    """Published or retired: the tour's own page, data and downloads still answer."""
    return entity.status.in_(REACHABLE_TOUR_STATUSES)


def is_public_tour(tour: Tour | None) -> bool:
    """``public_tour`` for a loaded tour."""
    return tour is not None and tour.status == TourStatus.PUBLISHED


def is_reachable_tour(tour: Tour | None) -> bool:
    """``reachable_tour`` for a loaded tour."""
    return tour is not None and tour.status in REACHABLE_TOUR_STATUSES


def _sql(expression: ColumnElement[bool]) -> str:
    compiled = expression.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return f"({compiled})"


@cache
def place_sql(alias: str = "places") -> str:
    """``public_place`` as SQL over the places table named ``alias`` in the query."""
    return _sql(public_place(aliased(Place, name=alias) if alias != "places" else Place))


@cache
def media_sql(alias: str = "media") -> str:
    """``public_media`` as SQL over the media table named ``alias`` in the query."""
    return _sql(public_media(aliased(Media, name=alias) if alias != "media" else Media))


@cache
def tour_sql(alias: str = "tours") -> str:
    """``public_tour`` as SQL over the tours table named ``alias`` in the query."""
    return _sql(public_tour(aliased(Tour, name=alias) if alias != "tours" else Tour))


@cache
def reachable_tour_sql(alias: str = "tours") -> str:
    """``reachable_tour`` as SQL over the tours table named ``alias`` in the query."""
    return _sql(reachable_tour(aliased(Tour, name=alias) if alias != "tours" else Tour))


@cache
def story_sql(alias: str = "stories", place_alias: str = "places") -> str:
    """``public_story`` as SQL over the stories ``alias`` and their places ``place_alias``."""
    story = aliased(Story, name=alias) if alias != "stories" else Story
    place = aliased(Place, name=place_alias) if place_alias != "places" else Place
    return _sql(public_story(story, place))


@cache
def story_visible_sql(alias: str = "stories") -> str:
    """The story's own part of ``public_story`` (approved, neither hidden nor withdrawn) as
    SQL over the stories ``alias``, for readers that already hold only public places (a
    tile's places): joining the place again would only repeat its rule."""
    return _sql((aliased(Story, name=alias) if alias != "stories" else Story).is_approved_visible)


@cache
def lead_text_sql(place_alias: str = "places", story_alias: str = "ls") -> str:
    """Whether the place ``place_alias``'s own text (its lead story's, kept on the row) is
    public: unless its lead story was withdrawn or hidden (``Story.is_removed``). A place
    without stories shows its text as before."""
    _check_alias(place_alias, story_alias)
    story = aliased(Story, name=story_alias)
    removed = _sql(story.is_removed)
    return (f"(NOT EXISTS (SELECT 1 FROM stories {story_alias} "  # noqa: S608  (identifiers)
            f"WHERE {story_alias}.place_id = {place_alias}.id AND {story_alias}.is_lead "
            f"AND {removed}))")


def _check_alias(*aliases: str) -> None:
    """Aliases are written into SQL text: only plain identifiers of the calling code."""
    for alias in aliases:
        if not alias.isidentifier():
            raise ValueError(f"not an SQL alias: {alias!r}")


@cache
def place_media_sql(place_alias: str = "places", media_alias: str = "m",
                    kind: MediaKind | None = None) -> str:
    """The public media of the place ``place_alias``, as a condition on ``media_alias``:
    ``media_sql`` and the medium belongs to that place (optionally only of ``kind``). Whether
    the place itself is public is the caller's ``place_sql``."""
    _check_alias(place_alias, media_alias)
    parts = [f"{media_alias}.place_id = {place_alias}.id", media_sql(media_alias)]
    if kind is not None:
        parts.append(f"{media_alias}.kind = '{MediaKind(kind).value}'")
    return "(" + " AND ".join(parts) + ")"


@cache
def has_public_audio_sql(place_alias: str = "places", media_alias: str = "m") -> str:
    """``EXISTS`` a public recording of the place ``place_alias``: the one "has audio" of the
    map, the search filter, tiles and feeds alike."""
    _check_alias(place_alias, media_alias)
    return (f"EXISTS (SELECT 1 FROM media {media_alias} "  # noqa: S608  (identifiers only)
            f"WHERE {place_media_sql(place_alias, media_alias, MediaKind.AUDIO)})")
