"""A tour's lifecycle: draft → review → published → retired, and a published tour's waiting
edit. ``TRANSITIONS`` is the one table of which status may go to which, by whom; every move
goes through ``transition``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _

from app.errors import Conflict, ValidationError
from app.models import Tour, User
from app.models.statuses import TourStatus
from app.services import audit, inbox
from app.services.roles import require_curator
from app.services.tours.access import check_version, get_for_edit
from app.services.tours.content import (
    apply_content,
    compute,
    flush,
    live_content,
    place_positions,
    working_content,
)

MIN_PUBLISH_STOPS = 2
MAX_RETURN_MESSAGE = 2000


@dataclass(frozen=True)
class Transition:
    """One move of the lifecycle: from which statuses (with or without a waiting edit), to
    which (None: the status stays), whether only curators may make it, what the audit log
    records, and the refusal when the tour is in another state."""

    sources: frozenset[TourStatus]
    target: TourStatus | None
    curators_only: bool
    event: str
    wrong_status: Callable[[], str]
    needs_pending_edit: bool = False


DRAFT, REVIEW = TourStatus.DRAFT, TourStatus.REVIEW
PUBLISHED, RETIRED = TourStatus.PUBLISHED, TourStatus.RETIRED
TRANSITIONS: dict[str, Transition] = {
    # The author asks the curators to publish a draft.
    "submit": Transition(frozenset({DRAFT}), REVIEW, False, "tour_submitted",
                         lambda: _("Only a draft can be sent for review.")),
    # A curator publishes a draft, a tour in review or a retired tour again …
    "publish": Transition(frozenset({DRAFT, REVIEW, RETIRED}), PUBLISHED, True,
                          "tour_published",
                          lambda: _("This tour is already published and has no changes waiting.")),
    # … or the waiting edit of a published one.
    "publish_changes": Transition(
        frozenset({PUBLISHED}), None, True, "tour_changes_published",
        lambda: _("This tour is already published and has no changes waiting."),
        needs_pending_edit=True),
    # A curator sends a tour in review back to its author.
    "return": Transition(frozenset({REVIEW}), DRAFT, True, "tour_returned",
                         lambda: _("Only a tour in review can be sent back.")),
    # A curator retires a published tour: its page stays with a notice and suggestions.
    "retire": Transition(frozenset({PUBLISHED}), RETIRED, True, "tour_retired",
                         lambda: _("Only a published tour can be retired.")),
    # The author or a curator drops the waiting edit of a published tour.
    "discard": Transition(frozenset(TourStatus), None, False, "tour_changes_discarded",
                          lambda: _("There are no changes waiting."), needs_pending_edit=True),
}
ACTIONS = ("submit", "publish", "retire", "discard", "return")


def _require_publishable(content: dict) -> None:
    positions = place_positions([s["place_id"] for s in content["stops"]])
    public = sum(1 for s in content["stops"] if positions.get(s["place_id"], (0, 0, False))[2])
    if public < MIN_PUBLISH_STOPS:
        raise ValidationError(
            _("A tour needs at least %(n)d published places as stops before it can be "
              "published.", n=MIN_PUBLISH_STOPS),
            field="stops", code="too_few_stops",
        )
    if not content.get("title"):
        raise ValidationError(_("Give the tour a title."), field="title")


def _allowed(tour: Tour, move: Transition) -> bool:
    return tour.status in move.sources and (
        bool(tour.pending_snapshot) or not move.needs_pending_edit)


def allowed_moves(user: User, tour: Tour) -> set[str]:
    """The moves of ``TRANSITIONS`` that ``user`` (who may edit ``tour``) can make now, for
    the editor's buttons (``publish_changes``: publish a published tour's waiting edit)."""
    return {action for action, move in TRANSITIONS.items()
            if (user.is_curator or not move.curators_only) and _allowed(tour, move)}


def _carry_out(tour: Tour, action: str, now: datetime) -> None:
    """What a move changes besides the status."""
    if action == "submit":
        _require_publishable(working_content(tour))
    elif action == "publish_changes":
        content = working_content(tour)
        _require_publishable(content)
        tour.pending_snapshot = None
        apply_content(tour, content)
    elif action == "publish":
        content = live_content(tour)
        _require_publishable(content)
        if tour.route is None:
            apply_content(tour, compute(content), replace_stops=False)
        tour.published_at = tour.published_at or now
        tour.retired_at = None
    elif action == "retire":
        tour.retired_at = now
        tour.pending_snapshot = None
    elif action == "discard":
        tour.pending_snapshot = None


def transition(user: User, slug: str, action: str, version: int | None,
               message: str = "") -> Tour:
    """Move the tour ``slug`` by ``action`` (one of ``ACTIONS``; ``publish`` of a published
    tour publishes its waiting edit), checking who may, the version the caller saw and the
    tour's status against ``TRANSITIONS``; the audit log records the move (with ``message``
    for ``return``). Publishing, and sending for review, need at least two published places
    as stops.

    Retiring asks which tours to suggest instead (``insights.retirement.retire``, the
    review's decision): here it is refused, after the checks of who may and from which
    status, with a message naming the way that asks."""
    return _transition(user, slug, action, version, message, retiring=False)


class RetireAsksAlternatives(ValidationError):
    code = "retire_asks_alternatives"

    def __init__(self, slug: str):
        super().__init__(_(
            "Retiring a tour asks which tours to suggest instead. Retire it on its usage "
            "figures page, or send the decision retire with its alternatives to "
            "POST /api/v1/usage/tours/%(slug)s/review.", slug=slug))
        self.slug = slug

    def problem_members(self) -> dict:
        return {"review": f"/api/v1/usage/tours/{self.slug}/review"}


def _transition(user: User, slug: str, action: str, version: int | None, message: str = "",
                *, retiring: bool) -> Tour:
    tour = get_for_edit(user, slug)
    if action == "publish" and tour.status == PUBLISHED:
        action = "publish_changes"
    move = TRANSITIONS[action]
    if move.curators_only:
        require_curator(user)
    check_version(tour, version)
    if not _allowed(tour, move):
        raise Conflict(move.wrong_status(), code="wrong_status")
    if action == "retire" and not retiring:
        raise RetireAsksAlternatives(tour.slug)
    before, now = tour.status, datetime.now(UTC)
    _carry_out(tour, action, now)
    if move.target is not None:
        tour.status = move.target
    tour.updated_at = now
    flush()
    note = (message or "").strip()[:MAX_RETURN_MESSAGE] if action == "return" else ""
    audit.log(user, move.event, "tour", tour.id, before, tour.status, message=note)
    if tour.status == PUBLISHED and action in ("publish", "publish_changes"):
        inbox.notify_featured(tour)
    return tour


def submit_for_review(user: User, slug: str, version: int | None) -> Tour:
    """The author asks the curators to publish a draft."""
    return transition(user, slug, "submit", version)


def publish(user: User, slug: str, version: int | None) -> Tour:
    """A curator publishes a draft, a tour in review, a retired tour again, or the pending
    edit of a published tour. Needs at least two published places as stops."""
    return transition(user, slug, "publish", version)


def return_to_draft(user: User, slug: str, version: int | None, message: str = "") -> Tour:
    """A curator sends a tour in review back to its author."""
    return transition(user, slug, "return", version, message)


def discard_changes(user: User, slug: str, version: int | None) -> Tour:
    """Drop the pending edit of a published tour (author or curator)."""
    return transition(user, slug, "discard", version)


def retire(user: User, slug: str, version: int | None) -> Tour:
    """A curator retires a published tour: it keeps its URL with a notice and suggestions,
    and leaves lists, feeds and the API listing. Only for ``insights.retirement.retire``,
    which sets the alternatives in the same unit of work."""
    return _transition(user, slug, "retire", version, retiring=True)
