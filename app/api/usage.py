"""The phone's anonymous beacons (POST /api/v1/usage), a retired tour's alternatives for saved
copies, and the monthly figures of published tours as open data (CC0)."""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.docs import PROBLEM
from app.api.http import public_read
from app.extensions import limiter
from app.inputs.usage import BeaconSchema
from app.services.insights import beacons, counting, open_data
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
    return {"status": tour.status, "message": message, "alternatives": [
        {"slug": t.slug, "title": t.title,
         "url": url_for("visitor.tour", slug=t.slug, _external=True)} for t in alternatives]}


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
