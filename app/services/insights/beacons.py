"""The phone's beacons: a batch of ``{offering, stop, metric, day}`` checked as a whole
(an unknown offering, a stop the tour does not have, a day outside the queue's 30 days: the
batch is refused and nothing of it counted), then written as counts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.models import Place, Theme, Tour, TourStop
from app.models.usage import WHOLE, Metric, OfferingKind, Source
from app.services import visibility
from app.services.insights import counting

# The offline queue drops what it could not send within this many days.
QUEUE_DAYS = 30
# Per stop: the others count the offering as a whole.
STOP_METRICS = frozenset({Metric.STOP_REACHED, Metric.AUDIO_PLAY, Metric.READ_ALOUD})


def _tours(slugs: set[str]) -> dict[str, tuple[int, int]]:
    """Reachable tours by slug: (id, number of stops)."""
    if not slugs:
        return {}
    rows = db.session.execute(
        select(Tour.slug, Tour.id, func.count(TourStop.id))
        .outerjoin(TourStop, TourStop.tour_id == Tour.id)
        .where(Tour.slug.in_(slugs), visibility.reachable_tour())
        .group_by(Tour.id)
    )
    return {slug: (tid, stops) for slug, tid, stops in rows}


def _themes(slugs: set[str]) -> dict[str, int]:
    if not slugs:
        return {}
    return dict(db.session.execute(
        select(Theme.slug, Theme.id).where(Theme.slug.in_(slugs))).all())


def _places(refs: set[str]) -> set[int]:
    ids = {int(r) for r in refs if r.isdigit() and int(r) < 2**63}
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Place.id).where(Place.id.in_(ids), visibility.public_place())))


def resolve(counts, today: date, source: Source) -> list[counting.Count]:
    """The beacon's counts as counter rows, or ValidationError naming the first that cannot
    be counted (``counts.<i>.<field>``)."""
    tours = _tours({c.ref for c in counts if c.kind == OfferingKind.TOUR})
    themes = _themes({c.ref for c in counts if c.kind == OfferingKind.THEME})
    places = _places({c.ref for c in counts if c.kind == OfferingKind.PLACE})
    rows = []
    for i, c in enumerate(counts):
        if not (today - timedelta(days=QUEUE_DAYS) <= c.day <= today + timedelta(days=1)):
            raise ValidationError(_("Counts are taken for the last %(n)d days only.",
                                    n=QUEUE_DAYS), field=f"counts.{i}.day")
        if c.kind == OfferingKind.TOUR and c.ref in tours:
            offering_id, stops = tours[c.ref]
        elif c.kind == OfferingKind.THEME and c.ref in themes:
            offering_id, stops = themes[c.ref], 0
        elif c.kind == OfferingKind.PLACE and c.ref.isdigit() and int(c.ref) in places:
            offering_id, stops = int(c.ref), 0
        else:
            raise ValidationError(_("There is nothing public to count by this name."),
                                  field=f"counts.{i}.offering", code="unknown_offering")
        per_stop = c.metric in STOP_METRICS and c.kind == OfferingKind.TOUR
        if per_stop and not 1 <= c.stop <= stops:
            raise ValidationError(_("This tour has no stop with this number."),
                                  field=f"counts.{i}.stop")
        if not per_stop and c.stop != WHOLE:
            raise ValidationError(_("This count is for the whole offering: send stop 0."),
                                  field=f"counts.{i}.stop")
        rows.append(counting.Count(c.kind, offering_id, c.metric, c.day, c.stop, source))
    return rows


def record(beacon, headers: Mapping[str, str]) -> int:
    """Check the beacon as a whole and count it (unless the request asks not to be counted or
    comes from a bot); the number of counts taken, 0 when none was or the database could not
    take them at once."""
    rows = resolve(beacon.counts, counting.today(current_app.config), beacon.source)
    if not counting.countable(headers):
        return 0
    ok = counting.write(counting.database_url(current_app.config), rows)
    return len(rows) if ok else 0
