"""The phone's anonymous beacons (POST /api/v1/usage), a retired tour's alternatives for saved
copies, and the monthly figures of published tours as open data (CC0)."""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import public_read
from app.extensions import limiter
from app.inputs.usage import BeaconSchema, ReviewDecisionSchema, UsageGoalSchema
from app.models.usage import OfferingKind
from app.services import themes as theme_service
from app.services import tours as tour_service
from app.services.insights import beacons, counting, figures, open_data, reviews
from app.services.insights import retirement as retirement_service

blp = Blueprint("api_usage", __name__, url_prefix="/api/v1", description="Usage figures")


def _beacon_key() -> str:
    """The rate limit's key: a keyed hash of the address that changes every day, so the
    limiter's counters hold no address."""
    day = counting.today(current_app.config).isoformat()
    secret = current_app.config["SECRET_KEY"].encode()
    raw = f"{day}|{request.remote_addr or 'unknown'}".encode()
    return "beacon:" + hmac.new(secret, raw, hashlib.sha256).hexdigest()[:32]


class CountedSchema(Schema):
    counted = fields.Integer(required=True, metadata={
        "description": "counts taken (0 for requests with DNT or Sec-GPC, bots, or when the "
                       "database could not take them at once)"})


@blp.route("/usage", methods=["POST"])
@blp.arguments(BeaconSchema, example={"source": "offline", "counts": [
    {"offering": "tour:altstadt", "stop": 3, "metric": "stop_reached", "day": "2026-12-03"}]})
@blp.response(202, CountedSchema, example={"counted": 1})
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a field the beacon does not take, an unknown offering or stop, "
                              "a day outside the last 30: nothing of the batch is counted")
@blp.doc(security=[{}])
@limiter.limit(lambda: current_app.config.get("RATELIMIT_BEACON", "120 per minute"),
               key_func=_beacon_key)
def post_usage(beacon):
    """Anonymous counts from the phone (follow mode): stop reached, completion, audio
    played, saved for offline. No account, cookie or CSRF token; the phone dedupes (a stop
    once per follow run) and sends queued counts with `source: offline`."""
    return jsonify({"counted": beacons.record(beacon, request.headers)}), 202


class AlternativeSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    url = fields.String(required=True)


class TourStateSchema(Schema):
    status = fields.String(required=True, metadata={"example": "retired"})
    message = fields.String(required=True, metadata={
        "description": "what a saved copy says above the alternatives, in the asked language"})
    alternatives = fields.List(fields.Nested(AlternativeSchema), required=True)


@blp.route("/tours/<slug:slug>/alternatives")
@blp.response(200, TourStateSchema, example={
    "status": "retired", "message": "This tour is no longer offered. Its curators suggest "
                                    "these tours instead:", "alternatives": [
    {"slug": "gassen", "title": "Gassen", "url": "https://example.org/tours/gassen"}]})
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No published or retired tour with this slug")
@public_read(max_age=300)
def tour_alternatives(slug: str):
    """A tour's status and, once it is retired, the tours its curators suggest instead (saved
    offline copies show them when the phone is next online)."""
    tour, alternatives = retirement_service.state(slug)
    message = _("This tour is no longer offered. Its curators suggest these tours instead:")
    body = {"status": tour.status, "message": message, "alternatives": [
        {"slug": t.slug, "title": t.title,
         "url": url_for("visitor.tour", slug=t.slug, _external=True)} for t in alternatives]}
    # The message is in the asker's language (the language switch's cookie, else the header).
    return body, 200, {"Vary": "Accept-Language, Cookie"}


@blp.route("/usage/tours.json")
@blp.response(200, {"type": "object"}, description="monthly figures per published tour",
              example={"licence": "CC0-1.0",
                       "licence_url": "https://creativecommons.org/publicdomain/zero/1.0/",
                       "columns": ["tour", "title", "month", "views", "follows", "completions"],
                       "rows": [{"tour": "altstadt", "title": "Altstadt", "month": "2026-11",
                                 "views": "212", "follows": "38", "completions": "<5"}]})
@public_read(max_age=3600)
def open_figures_json():
    """Monthly figures per published tour (views, follows, completions), CC0. A count under
    5 is given as "<5"."""
    return jsonify(open_data.document(url_for("api_usage.open_figures_csv", _external=True)))


@blp.route("/usage/tours.csv")
@blp.response(200, {"type": "string"}, content_type="text/csv",
              description="the same figures as CSV",
              example="tour,title,month,views,follows,completions\n"
                      "altstadt,Altstadt,2026-11,212,38,<5\n")
@public_read(max_age=3600)
def open_figures_csv():
    """The figures of /api/v1/usage/tours.json as CSV (CC0)."""
    resp = Response(open_data.csv_text(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'inline; filename="stadtspur-tour-usage.csv"'
    return resp


# --- curators: the figures, the goal and the review decision (what /curate/insights does) ----

SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
CURATORS = ("curator", "admin")


class GoalOutSchema(Schema):
    metric = fields.String(required=True)
    target = fields.Integer(required=True)
    period = fields.String(required=True)
    hypothesis = fields.String(required=True)
    review_on = fields.Date(required=True)
    this_period = fields.String(required=True, metadata={"description": "the count so far, "
                                                         "\"<5\" under 5"})
    colour = fields.String(required=True, metadata={"example": "amber"})


GOAL_EXAMPLE = {"metric": "completion", "target": 200, "period": "month",
                "hypothesis": "Families walk it on Sundays.", "review_on": "2027-03-01",
                "this_period": "<5", "colour": "red"}


def _goal_out(goal) -> dict:
    progress = reviews.progress(goal, counting.today(current_app.config))
    return {"metric": goal.metric, "target": goal.target, "period": goal.period,
            "hypothesis": goal.hypothesis, "review_on": goal.review_on,
            "this_period": figures.shown(progress["n"]), "colour": progress["colour"]}


@blp.route("/usage/tours/<slug:slug>/goal", methods=["PUT"])
@blp.arguments(UsageGoalSchema, example={k: GOAL_EXAMPLE[k] for k in
                                    ("metric", "target", "period", "hypothesis", "review_on")})
@blp.response(200, GoalOutSchema, example=GOAL_EXAMPLE)
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def put_goal(goal, slug: str):
    """Set or change a tour's goal: a metric, a target per period, a hypothesis, a review
    date in the future (curators; written to the audit log)."""
    row = reviews.set_goal(api_user(), reviews.tour_by_slug(slug), goal,
                           counting.today(current_app.config))
    return _goal_out(row)


class ReviewOutSchema(Schema):
    decision = fields.String(required=True)
    note = fields.String(required=True)
    next_review_on = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"description": "the tour's status after"})


@blp.route("/usage/tours/<slug:slug>/review", methods=["POST"])
@blp.arguments(ReviewDecisionSchema, example={
    "decision": "adapt", "note": "Shorter: drop the hill.", "next_review_on": "2027-06-01"})
@blp.response(201, ReviewOutSchema, example={"decision": "adapt",
                                             "note": "Shorter: drop the hill.",
                                             "next_review_on": "2027-06-01",
                                             "status": "published"})
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def post_review(decision, slug: str):
    """A curator's decision on a published tour: keep, adapt (a note and a new review date)
    or retire (with `alternatives`, slugs of published tours to suggest instead; one: the
    tour's address answers 301 to it). Written to the audit log."""
    tour = reviews.tour_by_slug(slug)
    review = reviews.decide(api_user(), tour, decision, counting.today(current_app.config))
    return {"decision": review.decision, "note": review.note,
            "next_review_on": review.next_review_on, "status": tour.status}, 201


class FiguresSchema(Schema):
    tour = fields.String(required=True)
    status = fields.String(required=True)
    goal = fields.Nested(GoalOutSchema, allow_none=True, required=True)
    months = fields.List(fields.Dict(), required=True)
    funnel = fields.List(fields.Dict(), required=True)
    stops = fields.List(fields.Dict(), required=True)
    downloads = fields.Dict(required=True)
    offline_share = fields.String(required=True)


@blp.route("/usage/tours/<slug:slug>")
@blp.response(200, FiguresSchema, example={
    "tour": "altstadt", "status": "published", "goal": GOAL_EXAMPLE,
    "months": [{"month": "2026-11", "page_view": "212", "follow_start": "38",
                "completion": "<5"}],
    "funnel": [{"step": "follows", "n": "38", "drop": ""},
               {"step": "stop:1", "n": "30", "drop": "8"}],
    "stops": [{"number": 1, "audio_play": "<5", "qr_scan": "12"}],
    "downloads": {"gpx_download": "<5", "pdf_download": "9"}, "offline_share": "40 %"})
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def tour_usage(slug: str):
    """A tour's figures of the last 12 months as the curators' page shows them (counts under
    5, and drop-offs that would reveal one, as "<5")."""
    tour = reviews.tour_by_slug(slug)
    figs = figures.tour_figures(tour, tour_service.stop_points(tour),
                                counting.today(current_app.config))
    goal = reviews.goal_of(OfferingKind.TOUR, tour.id)
    phone = figs.phone_online + figs.phone_offline
    return {
        "tour": tour.slug, "status": tour.status, "goal": _goal_out(goal) if goal else None,
        "months": [{"month": m.strftime("%Y-%m"),
                    **{k: figures.shown(v[i]) for k, v in figs.lines.items()}}
                   for i, m in enumerate(figs.months)],
        "funnel": [{"step": r["label"], "n": r["n"], "drop": r["drop"]}
                   for r in figures.funnel_rows(figs)],
        "stops": [{"number": s["number"],
                   **{k: figures.shown(v[i]) for k, v in figs.per_stop.items()}}
                  for i, s in enumerate(figs.stops)],
        "downloads": {k: figures.shown(n) for k, n in figs.downloads.items()},
        "offline_share": figures.shown_share(figs.phone_offline, phone),
    }


class StoryFiguresSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    place_id = fields.Integer(required=True)
    page_view = fields.String(required=True, metadata={
        "description": "views of every page that shows the story in full (its own, its "
                       "place's); \"<5\" under 5"})
    audio_play = fields.String(required=True)
    read_aloud = fields.String(required=True)


class ThemeFiguresSchema(Schema):
    theme = fields.String(required=True)
    views = fields.String(required=True)
    follows = fields.String(required=True)
    tours = fields.Dict(required=True, metadata={
        "description": "the sums of its tours per metric over the 12 months"})
    least_used_tours = fields.List(fields.Dict(), required=True)
    least_used_stories = fields.List(fields.Nested(StoryFiguresSchema), required=True)


def _story_out(row: dict) -> dict:
    return {"id": row["id"], "title": row["title"], "place_id": row["place_id"],
            **{str(m): figures.shown(row[m]) for m in figures.STORY_METRICS}}


@blp.route("/usage/themes/<slug:slug>")
@blp.response(200, ThemeFiguresSchema, example={
    "theme": "industrie", "views": "48", "follows": "<5",
    "tours": {"page_view": "212", "follow_start": "38", "completion": "≥12"},
    "least_used_tours": [{"tour": "sulzer", "page_view": "9", "follow_start": "<5",
                          "completion": "<5"}],
    "least_used_stories": [{"id": 31, "title": "Die Kantine", "place_id": 12,
                            "page_view": "7", "audio_play": "<5", "read_aloud": "<5"}]})
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No theme with this slug")
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def theme_usage(slug: str):
    """A theme's figures of the last 12 months as the curators' page shows them: its own
    page views and follows, the sums of its tours, its least-used tours and its least-used
    stories with their views, recordings played and read-aloud uses (counts under 5 as
    "<5")."""
    data = figures.theme_figures(theme_service.get_theme(slug),
                                 counting.today(current_app.config))
    return {
        "theme": slug, "views": figures.shown(data["views"]),
        "follows": figures.shown(data["follows"]),
        "tours": {m: figures.shown_sum(parts) for m, parts in data["sums"].items()},
        "least_used_tours": [{"tour": r["slug"],
                              **{str(m): r[f"{m}_year_text"] for m in figures.LINE_METRICS}}
                             for r in data["least_tours"]],
        "least_used_stories": [_story_out(r) for r in data["least_stories"]],
    }


class StoryUsageSchema(StoryFiguresSchema):
    months = fields.List(fields.Dict(), required=True)


@blp.route("/usage/stories/<int:story_id>")
@blp.response(200, StoryUsageSchema, example={
    "id": 31, "title": "Die Kantine", "place_id": 12, "page_view": "7", "audio_play": "<5",
    "read_aloud": "<5", "months": [{"month": "2026-11", "page_view": "7", "audio_play": "<5",
                                    "read_aloud": "<5"}]})
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No story with this id")
@blp.doc(security=SECURITY)
@require_user(*CURATORS)
def story_usage(story_id: int):
    """A story's figures (also once it is withdrawn or hidden): the last 12 months together
    and month by month (views, recordings played, read-aloud uses; counts under 5 as
    "<5")."""
    today = counting.today(current_app.config)
    row, months = figures.one_story(story_id, today)
    out = _story_out(row)
    out["months"] = [{"month": m.strftime("%Y-%m"),
                      **{str(k): figures.shown(v[i]) for k, v in months["lines"].items()}}
                     for i, m in enumerate(months["months"])]
    return out
