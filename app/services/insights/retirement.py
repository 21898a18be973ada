"""A retired tour's alternatives: where its address sends visitors (one: a 301; several: a
page listing them), and what saved offline copies show when the phone is next online."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Tour, User
from app.models.statuses import TourStatus
from app.models.usage import TourAlternative
from app.services import audit, visibility
from app.services.roles import require_curator
from app.services.tours import lifecycle

MAX_ALTERNATIVES = 5


def alternatives(tour: Tour) -> list[Tour]:
    """The published tours suggested instead of ``tour``, in the curator's order."""
    return list(db.session.scalars(
        select(Tour).join(TourAlternative, TourAlternative.alternative_id == Tour.id)
        .where(TourAlternative.tour_id == tour.id, visibility.public_tour())
        .order_by(TourAlternative.position)))


def state(slug: str) -> tuple[Tour, list[Tour]]:
    """A reachable tour and, when it is retired, its alternatives (NotFound otherwise)."""
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug, visibility.reachable_tour()))
    if tour is None:
        raise NotFound(_("There is no published tour at this address."))
    return tour, (alternatives(tour) if tour.status == TourStatus.RETIRED else [])


def redirect_target(tour: Tour) -> Tour | None:
    """The one alternative a retired tour's address answers with a 301, if it has exactly
    one."""
    if tour.status != TourStatus.RETIRED:
        return None
    found = alternatives(tour)
    return found[0] if len(found) == 1 else None


def set_alternatives(tour: Tour, slugs: list[str]) -> list[Tour]:
    """Replace ``tour``'s alternatives by the published tours ``slugs`` (in that order);
    ValidationError (field ``alternatives``) for one that is not published, or itself."""
    slugs = list(dict.fromkeys(s for s in slugs if s))
    if len(slugs) > MAX_ALTERNATIVES:
        raise ValidationError(_("Suggest at most %(n)d tours.", n=MAX_ALTERNATIVES),
                              field="alternatives")
    found = {t.slug: t for t in db.session.scalars(
        select(Tour).where(Tour.slug.in_(slugs), visibility.public_tour()))} if slugs else {}
    for slug in slugs:
        if slug not in found or found[slug].id == tour.id:
            raise ValidationError(_("Only another published tour can be suggested instead."),
                                  field="alternatives")
    db.session.execute(delete(TourAlternative).where(TourAlternative.tour_id == tour.id))
    for position, slug in enumerate(slugs, start=1):
        db.session.add(TourAlternative(tour_id=tour.id, alternative_id=found[slug].id,
                                       position=position))
    db.session.flush()
    return [found[s] for s in slugs]


def retire(user: User, slug: str, version: int | None, alternative_slugs: list[str],
           note: str = "") -> Tour:
    """Retire the tour (the lifecycle's move) with the tours suggested instead; the audit
    log records the alternatives with the move."""
    require_curator(user)
    tour = lifecycle.retire(user, slug, version)
    chosen = set_alternatives(tour, alternative_slugs)
    audit.log(user, "tour_alternatives_set", "tour", tour.id, None, None,
              message="; ".join([t.slug for t in chosen] + ([note] if note else [])))
    return tour


def retire_choices(tour: Tour) -> list[Tour]:
    """Published tours a curator may suggest instead of ``tour``."""
    return list(db.session.scalars(
        select(Tour).where(visibility.public_tour(), Tour.id != tour.id).order_by(Tour.title)))
