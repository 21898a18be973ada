"""Goals and reviews: a curator sets an offering's goal (a metric, a target per period, a
hypothesis in a sentence, a review date); on that date the curators are told and the offering
is listed as due; the decision (keep, adapt with a note and a new date, retire with the tours
suggested instead) is stored and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import Tour, User
from app.models.usage import (
    GoalPeriod,
    Metric,
    OfferingKind,
    ReviewDecision,
    UsageGoal,
    UsageReview,
)
from app.services import audit, mail, visibility
from app.services.insights import retirement
from app.services.insights.figures import period_bounds, total
from app.services.roles import require_curator

MAX_HYPOTHESIS = 500
MAX_NOTE = 2000
# The bar: green from the target on, amber from half of it, red below.
AMBER_FROM = 0.5


@dataclass(frozen=True)
class GoalInput:
    metric: Metric
    target: int
    period: GoalPeriod
    hypothesis: str
    review_on: date


@dataclass(frozen=True)
class DecisionInput:
    decision: ReviewDecision
    note: str
    next_review_on: date | None
    alternatives: list[str]
    version: int | None = None


def tour_by_slug(slug: str) -> Tour:
    """A published or retired tour (figures stay readable after retiring), else NotFound."""
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug, visibility.reachable_tour()))
    if tour is None:
        raise NotFound(_("There is no published tour at this address."))
    return tour


def goal_of(kind: OfferingKind, offering_id: int) -> UsageGoal | None:
    return db.session.scalar(select(UsageGoal).where(
        UsageGoal.offering_kind == kind, UsageGoal.offering_id == offering_id))


def goals_of(kind: OfferingKind, ids: list[int]) -> dict[int, UsageGoal]:
    """The goals of many offerings at once, by offering id."""
    if not ids:
        return {}
    return {g.offering_id: g for g in db.session.scalars(select(UsageGoal).where(
        UsageGoal.offering_kind == kind, UsageGoal.offering_id.in_(ids)))}


def set_goal(user: User, tour: Tour, goal: GoalInput, today: date) -> UsageGoal:
    """Set (or change) the tour's goal; the audit log records it."""
    require_curator(user)
    if goal.review_on <= today:
        raise ValidationError(_("The review date must lie in the future."), field="review_on")
    row = goal_of(OfferingKind.TOUR, tour.id)
    before = None
    if row is None:
        row = UsageGoal(offering_kind=OfferingKind.TOUR, offering_id=tour.id)
        db.session.add(row)
    else:
        before = f"{row.target} {row.metric}/{row.period}"
    row.metric, row.target, row.period = goal.metric, goal.target, goal.period
    row.hypothesis = goal.hypothesis.strip()[:MAX_HYPOTHESIS]
    row.review_on, row.notified_on, row.set_by_id = goal.review_on, None, user.id
    row.updated_at = datetime.now(UTC)
    db.session.flush()
    audit.log(user, "tour_goal_set", "tour", tour.id, before,
              f"{row.target} {row.metric}/{row.period}",
              message=f"{row.hypothesis} (review {row.review_on.isoformat()})".strip())
    return row


def progress(goal: UsageGoal, today: date) -> dict:
    """This period's count of the goal's metric against its target, and the bar's colour."""
    start, end = period_bounds(GoalPeriod(goal.period), today)
    n = total(OfferingKind(goal.offering_kind), goal.offering_id, Metric(goal.metric), start,
              min(end, today))
    ratio = n / goal.target if goal.target else 0.0
    colour = "green" if ratio >= 1 else "amber" if ratio >= AMBER_FROM else "red"
    return {"n": n, "target": goal.target, "ratio": ratio, "colour": colour,
            "start": start, "end": end}


def due(today: date) -> list[tuple[Tour, UsageGoal]]:
    """Tours whose review date has come, oldest date first (retired ones are decided)."""
    rows = db.session.execute(
        select(Tour, UsageGoal)
        .join(UsageGoal, (UsageGoal.offering_id == Tour.id)
              & (UsageGoal.offering_kind == OfferingKind.TOUR))
        .where(UsageGoal.review_on <= today, visibility.public_tour())
        .order_by(UsageGoal.review_on, Tour.title))
    return [(t, g) for t, g in rows]


def curators() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_(("curator", "admin")), User.active).order_by(User.id)))


def notify_due(today: date) -> int:
    """Tell every curator, once per review date, of the tours that have come due; the number
    of tours newly due. Run daily by the job queue (app/jobs.py)."""
    fresh = [(t, g) for t, g in due(today) if g.notified_on is None or g.notified_on < g.review_on]
    if not fresh:
        return 0
    titles = [t.title for t, _g in fresh]
    for person in curators():
        mail.record(mail.Notice("review_due", person.email, person.locale, person.display_name,
                                {"titles": titles, "count": len(titles)}))
    for _t, g in fresh:
        g.notified_on = today
    db.session.flush()
    return len(fresh)


def decide(user: User, tour: Tour, asked: DecisionInput, today: date) -> UsageReview:
    """A curator's decision at the review: keep (the goal's review date moves to the next
    one given, or a period later), adapt (a note and a new date are needed) or retire (with
    the tours suggested instead). Stored, and written to the audit log with its note."""
    require_curator(user)
    note = asked.note.strip()[:MAX_NOTE]
    goal = goal_of(OfferingKind.TOUR, tour.id)
    if asked.decision == ReviewDecision.ADAPT:
        if not note:
            raise ValidationError(_("Say what changes."), field="note")
        if asked.next_review_on is None:
            raise ValidationError(_("Give a new review date."), field="next_review_on")
    if asked.next_review_on is not None and asked.next_review_on <= today:
        raise ValidationError(_("The review date must lie in the future."),
                              field="next_review_on")
    if asked.decision == ReviewDecision.RETIRE:
        retirement.retire(user, tour.slug, asked.version, asked.alternatives, note)
    elif goal is not None:
        if asked.next_review_on is not None:
            goal.review_on = asked.next_review_on
        elif asked.decision == ReviewDecision.KEEP:
            goal.review_on = _a_period_later(GoalPeriod(goal.period), today)
        goal.notified_on = None
    review = UsageReview(offering_kind=OfferingKind.TOUR, offering_id=tour.id,
                         decision=asked.decision, note=note,
                         next_review_on=goal.review_on if goal is not None and
                         asked.decision != ReviewDecision.RETIRE else None,
                         decided_by_id=user.id, decided_at=datetime.now(UTC))
    db.session.add(review)
    db.session.flush()
    audit.log(user, f"tour_review_{asked.decision}", "tour", tour.id, None,
              str(asked.decision), message=note)
    return review


def _a_period_later(period: GoalPeriod, today: date) -> date:
    _start, end = period_bounds(period, today)
    after = period_bounds(period, end.fromordinal(end.toordinal() + 1))
    return after[1]


def history(tour: Tour) -> list[UsageReview]:
    """The tour's review decisions, newest first."""
    return list(db.session.scalars(
        select(UsageReview).where(UsageReview.offering_kind == OfferingKind.TOUR,
                                  UsageReview.offering_id == tour.id)
        .order_by(UsageReview.decided_at.desc(), UsageReview.id.desc())))
