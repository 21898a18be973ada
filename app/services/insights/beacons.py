"""The phone's beacons: a batch of ``{offering, stop, metric, day}`` checked as a whole
(an unknown offering, a stop the tour does not have, a day outside the queue's 30 days: the
batch is refused and nothing of it counted), then written as counts.

A story's recording played or read aloud is ``story:<id>`` (a public story). Pages and
queues from before stories were counted one by one send ``place:<id>``: that counts for the
place's lead story, where the migration put the place's earlier figures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import ValidationError
from app.extensions import db
from app.models import Place, Story, Theme, Tour, TourStop
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


def _ids(refs: set[str]) -> set[int]:
    return {int(r) for r in refs if r.isdigit() and int(r) < 2**63}


def _stories(refs: set[str]) -> dict[str, int]:
    """Public stories by their id as sent."""
    ids = _ids(refs)
    if not ids:
        return {}
    found = db.session.scalars(
        select(Story.id).join(Place, Story.place_id == Place.id)
        .where(Story.id.in_(ids), visibility.public_story()))
    return {str(i): i for i in found}


def _lead_stories(refs: set[str]) -> dict[str, int]:
    """Public places by their id as sent -> their lead story, while it is public."""
    ids = _ids(refs)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Place.id, Story.id).join(Story, Story.place_id == Place.id)
        .where(Place.id.in_(ids), Story.is_lead, visibility.public_story()))
    return {str(pid): sid for pid, sid in rows}


def resolve(counts, today: date, source: Source) -> list[counting.Count]:
    """The beacon's counts as counter rows, or ValidationError naming the first that cannot
    be counted (``counts.<i>.<field>``)."""
    tours = _tours({c.ref for c in counts if c.kind == OfferingKind.TOUR})
    themes = _themes({c.ref for c in counts if c.kind == OfferingKind.THEME})
    stories = _stories({c.ref for c in counts if c.kind == OfferingKind.STORY})
    leads = _lead_stories({c.ref for c in counts if c.kind == OfferingKind.PLACE})
    rows = []
    for i, c in enumerate(counts):
        if not (today - timedelta(days=QUEUE_DAYS) <= c.day <= today + timedelta(days=1)):
            raise ValidationError(_("Counts are taken for the last %(n)d days only.",
                                    n=QUEUE_DAYS), field=f"counts.{i}.day")
        if c.kind == OfferingKind.TOUR and c.ref in tours:
            offering_id, stops = tours[c.ref]
        elif c.kind == OfferingKind.THEME and c.ref in themes:
            offering_id, stops = themes[c.ref], 0
        elif c.kind == OfferingKind.STORY and c.ref in stories:
            offering_id, stops = stories[c.ref], 0
        elif c.kind == OfferingKind.PLACE and c.ref in leads:
            offering_id, stops = leads[c.ref], 0
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
        kind = OfferingKind.STORY if c.kind == OfferingKind.PLACE else c.kind
        rows.append(counting.Count(kind, offering_id, c.metric, c.day, c.stop, source))
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
