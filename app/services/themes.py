"""Themes for visitors: lists, one theme's places and tours, and following themes.

A logged-in person may follow themes (table ``theme_follows``); new stories of the themes they
follow are shown to them first on the home page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from app.errors import NotFound
from app.extensions import db
from app.models import Place, Theme, Tour
from app.models.theme import place_themes, theme_follows
from app.services import visibility

# "New" on the home page: published within this many days.
NEW_STORY_DAYS = 60


def all_themes() -> list[dict]:
    """Every theme with the number of public places in it, by slug."""
    counts = (
        select(place_themes.c.theme_id, func.count().label("n"))
        .join(Place, Place.id == place_themes.c.place_id)
        .where(visibility.public_place())
        .group_by(place_themes.c.theme_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Theme, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.theme_id == Theme.id)
        .order_by(Theme.slug)
    ).all()
    return [{"theme": theme, "place_count": n} for theme, n in rows]


def theme_choices(locale: str) -> list[dict]:
    """Every theme by slug as ``{"id", "slug", "name"}`` with its name in ``locale``: for
    forms and labels (no place counts, which cost a join over every public place)."""
    return [{"id": t.id, "slug": t.slug, "name": t.name(locale)}
            for t in db.session.scalars(select(Theme).order_by(Theme.slug))]


def get_theme(slug: str) -> Theme:
    theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
    if theme is None:
        raise NotFound("No such theme.", field="slug")
    return theme


def theme_places(theme: Theme, limit: int = 500) -> list[dict]:
    """The theme's public places, newest first, as small dicts for the map and the list."""
    rows = db.session.execute(
        select(
            Place.id,
            Place.title,
            Place.summary,
            Place.published_at,
            func.ST_X(Place.geom).label("lon"),
            func.ST_Y(Place.geom).label("lat"),
        )
        .join(place_themes, place_themes.c.place_id == Place.id)
        .where(place_themes.c.theme_id == theme.id, visibility.public_place())
        .order_by(Place.published_at.desc().nulls_last(), Place.id.desc())
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]


def theme_tours(theme: Theme) -> list[Tour]:
    return list(
        db.session.scalars(
            select(Tour)
            .where(Tour.theme_id == theme.id, visibility.public_tour())
            .order_by(Tour.featured.desc(), Tour.published_at.desc().nulls_last(), Tour.id)
        )
    )


def followed_theme_ids(user) -> set[int]:
    """Ids of the themes ``user`` follows (empty for anonymous visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(theme_follows.c.theme_id).where(theme_follows.c.user_id == user.id)
        )
    )


def followed_theme_slugs(user) -> list[str]:
    """Slugs of the themes ``user`` follows, in slug order."""
    return list(db.session.scalars(
        select(Theme.slug)
        .join(theme_follows, theme_follows.c.theme_id == Theme.id)
        .where(theme_follows.c.user_id == user.id)
        .order_by(Theme.slug)
    ))


def follow(user, theme: Theme) -> bool:
    """``user`` follows ``theme``; True if this is new. Following twice is harmless."""
    if theme.id in followed_theme_ids(user):
        return False
    db.session.execute(insert(theme_follows).values(user_id=user.id, theme_id=theme.id))
    db.session.flush()
    return True


def unfollow(user, theme: Theme) -> bool:
    """``user`` stops following ``theme``; True if they did follow it."""
    result = db.session.execute(
        delete(theme_follows).where(
            theme_follows.c.user_id == user.id, theme_follows.c.theme_id == theme.id
        )
    )
    db.session.flush()
    return bool(result.rowcount)


def new_in_followed(user, limit: int = 8, now: datetime | None = None) -> list[dict]:
    """The newest public stories in the themes ``user`` follows, published within
    NEW_STORY_DAYS, newest first, each with the followed theme names it belongs to."""
    ids = followed_theme_ids(user)
    if not ids:
        return []
    since = (now or datetime.now(UTC)) - timedelta(days=NEW_STORY_DAYS)
    rows = db.session.execute(
        select(
            Place.id,
            Place.title,
            Place.summary,
            Place.published_at,
            func.array_agg(place_themes.c.theme_id).label("theme_ids"),
        )
        .join(place_themes, place_themes.c.place_id == Place.id)
        .where(
            visibility.public_place(),
            place_themes.c.theme_id.in_(ids),
            Place.published_at >= since,
        )
        .group_by(Place.id)
        .order_by(Place.published_at.desc(), Place.id.desc())
        .limit(limit)
    ).all()
    return [dict(r._mapping) for r in rows]
