"""The phone's beacons (POST /api/v1/usage): what happened on a follow run, as the offline
queue keeps it, ``{offering, stop, metric, day}``, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from marshmallow import fields, post_load, validate

from app.inputs.base import Strict
from app.models.usage import GoalPeriod, Metric, OfferingKind, ReviewDecision, Source

# What the phone reports; page views and downloads are counted by the server itself.
BEACON_METRICS = (Metric.FOLLOW_START, Metric.STOP_REACHED, Metric.COMPLETION,
                  Metric.AUDIO_PLAY, Metric.OFFLINE_SAVE, Metric.READ_ALOUD)
MAX_COUNTS = 100
MAX_STOP = 500
OFFERING = r"^(tour|theme|story|place):[A-Za-z0-9][A-Za-z0-9_-]{0,159}$"


@dataclass(frozen=True)
class BeaconCount:
    kind: OfferingKind
    ref: str  # a tour's or theme's slug, a story's id (a place's id in older pages)
    stop: int
    metric: Metric
    day: date


@dataclass(frozen=True)
class BeaconInput:
    source: Source
    counts: list[BeaconCount]


class BeaconCountSchema(Strict):
    offering = fields.String(
        required=True, validate=validate.Regexp(
            OFFERING, error=_l("Name the offering as tour:<slug>, theme:<slug> or story:<id>.")),
        metadata={"example": "tour:altstadt"})
    stop = fields.Integer(load_default=0, validate=validate.Range(0, MAX_STOP),
                          metadata={"description": "the stop's number; 0: the whole offering"})
    metric = fields.String(required=True,
                           validate=validate.OneOf([str(m) for m in BEACON_METRICS]))
    day = fields.Date(required=True, metadata={"description": "the phone's day, YYYY-MM-DD"})


class BeaconSchema(Strict):
    source = fields.String(
        load_default=str(Source.ONLINE),
        validate=validate.OneOf([str(Source.ONLINE), str(Source.OFFLINE)]),
        metadata={"description": "offline: sent from the queue kept while there was no "
                                 "connection"})
    counts = fields.List(fields.Nested(BeaconCountSchema), required=True,
                         validate=validate.Length(1, MAX_COUNTS))

    @post_load
    def _typed(self, data, **kwargs) -> BeaconInput:
        counts = []
        for c in data["counts"]:
            kind, _sep, ref = c["offering"].partition(":")
            counts.append(BeaconCount(OfferingKind(kind), ref, c["stop"], Metric(c["metric"]),
                                      c["day"]))
        return BeaconInput(Source(data["source"]), counts)


# --- the curators' forms (pages of /curate/insights) -------------------------------------------

GOAL_METRICS = (Metric.COMPLETION, Metric.FOLLOW_START, Metric.PAGE_VIEW, Metric.STOP_REACHED,
                Metric.OFFLINE_SAVE, Metric.QR_SCAN, Metric.PDF_DOWNLOAD, Metric.GPX_DOWNLOAD,
                Metric.AUDIO_PLAY)


class UsageGoalSchema(Strict):
    metric = fields.String(required=True, validate=validate.OneOf([str(m) for m in GOAL_METRICS]))
    target = fields.Integer(required=True, validate=validate.Range(1, 10_000_000),
                            error_messages={"invalid": _l("Give the target as a whole number.")})
    period = fields.String(required=True,
                           validate=validate.OneOf([str(p) for p in GoalPeriod]))
    hypothesis = fields.String(load_default="", validate=validate.Length(max=500))
    review_on = fields.Date(required=True,
                            error_messages={"invalid": _l("Give the review date as a date."),
                                            "required": _l("Give a review date.")})

    @post_load
    def _typed(self, data, **kwargs):
        from app.services.insights.reviews import GoalInput

        return GoalInput(Metric(data["metric"]), data["target"], GoalPeriod(data["period"]),
                         data["hypothesis"], data["review_on"])


class ReviewDecisionSchema(Strict):
    decision = fields.String(required=True,
                             validate=validate.OneOf([str(d) for d in ReviewDecision]))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    next_review_on = fields.Date(load_default=None, allow_none=True,
                                 error_messages={"invalid": _l("Give the date as a date.")})
    alternatives = fields.List(fields.String(validate=validate.Length(max=160)),
                               load_default=list)
    version = fields.Integer(load_default=None, allow_none=True)

    @post_load
    def _typed(self, data, **kwargs):
        from app.services.insights.reviews import DecisionInput

        return DecisionInput(ReviewDecision(data["decision"]), data["note"],
                             data["next_review_on"], data["alternatives"], data["version"])


def decision_from_form(form):
    """The review form: an empty date is none, the alternatives are a repeated field."""
    from app.inputs.base import from_form

    data = {k: v for k, v in form.to_dict().items() if k != "alternatives"}
    if not data.get("next_review_on"):
        data.pop("next_review_on", None)
    if not data.get("version"):
        data.pop("version", None)
    data["alternatives"] = [s for s in form.getlist("alternatives") if s]
    return from_form(ReviewDecisionSchema(), data)
