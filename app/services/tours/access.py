"""Who may change a tour, and the version an edit started from."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import Forbidden, NotFound
from app.extensions import db
from app.models import Tour, TourStop, User
from app.models.statuses import TourStatus
from app.services import visibility
from app.services.tours.content import stale


def can_edit(user: User | None, tour: Tour) -> bool:
    """Curators edit every tour; authors their own until it is retired."""
    if user is None or not getattr(user, "is_authenticated", True):
        return False
    if user.is_curator:
        return True
    return tour.author_id == user.id and tour.status != TourStatus.RETIRED


def get_for_edit(user: User, slug: str) -> Tour:
    """The tour with its stops, if ``user`` may edit it (NotFound for others' drafts: they
    are not public, so their existence is not revealed)."""
    tour = db.session.scalar(
        select(Tour)
        .where(Tour.slug == slug)
        .options(selectinload(Tour.stops).selectinload(TourStop.place), selectinload(Tour.theme))
    )
    if tour is None:
        raise NotFound(_("There is no tour at this address."))
    if not can_edit(user, tour):
        if visibility.is_reachable_tour(tour):
            raise Forbidden(_("Only the tour's author and curators may change it."))
        raise NotFound(_("There is no tour at this address."))
    return tour


def check_version(tour: Tour, version: int | None) -> None:
    """Refuse (409, with the current version) an edit that started from another version than
    the tour's; ``None`` (a form without a version) checks nothing."""
    if version is not None and version != tour.version:
        refusal = stale()
        refusal.current = tour.version
        raise refusal
