"""Writing tours through the API: everything the tour editor pages do, for scripts and other
apps — create, edit (with the version the edit started from; 409 when stale), reorder, ask
for a walking order, and the lifecycle draft → review → published → retired.

The rules live in app/services/tours/; the request bodies are read by the schemas of
app/inputs/tours.py, which the editor pages share, into the services' typed inputs; this module
turns tours back into JSON. Reading a published tour stays in app/api/tours.py."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import write_limit
from app.api.tours import REPORT_EXAMPLE, NetworkFactsSchema, RouteReportSchema, report_body
from app.inputs.route_mode import RouteModeSchema
from app.inputs.tours import (
    DrawnRouteSchema,
    OrderSchema,
    RouteResetArgs,
    StopSchema,
    SuggestSchema,
    TourCreateSchema,
    TourEdit,
    TourEditSchema,
    TransitionSchema,
)
from app.models import Tour
from app.services import tours as service
from app.services import walknet

blp = Blueprint(
    "api_tour_authoring", __name__, url_prefix="/api/v1",
    description="Assembling tours: any logged-in person drafts a tour and sends it for "
    "review; curators publish and retire. Every write names the `version` it started from.",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
class DraftStopSchema(StopSchema):
    number = fields.Integer()
    title = fields.String()
    available = fields.Boolean(metadata={"description": "false once the place is hidden"})
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)


class DraftSchema(Schema):
    slug = fields.String()
    status = fields.String(metadata={"description": "draft, review, published or retired"})
    version = fields.Integer()
    pending_changes = fields.Boolean(metadata={
        "description": "a published tour's edit waits for a curator"})
    url = fields.String(metadata={"description": "the public page (once published)"})
    title = fields.String()
    intro = fields.String()
    theme = fields.String(allow_none=True)
    language = fields.String()
    accessibility = fields.String()
    cover_media_id = fields.Integer(allow_none=True)
    stops = fields.List(fields.Nested(DraftStopSchema))
    route = fields.Dict(allow_none=True, metadata={"description": "GeoJSON LineString"})
    route_source = fields.String(allow_none=True, metadata={
        "description": "generated (straight lines), gpx, drawn, foot or step_free"})
    network = fields.Nested(NetworkFactsSchema, allow_none=True, metadata={
        "description": "accessibility from the walking network (null without one)"})
    length_m = fields.Float(allow_none=True)
    elevation_gain_m = fields.Float(allow_none=True)
    elevation_loss_m = fields.Float(allow_none=True)
    duration_normal_min = fields.Integer(allow_none=True)
    duration_relaxed_min = fields.Integer(allow_none=True)


class ProposalSchema(Schema):
    order = fields.List(fields.Integer())
    length_before_m = fields.Float()
    length_after_m = fields.Float()
    changed = fields.Boolean()


DRAFT_EXAMPLE = {
    "slug": "mein-lieblingsweg", "status": "draft", "version": 1, "pending_changes": False,
    "url": "https://stadtspur.example/tours/mein-lieblingsweg", "title": "Mein Lieblingsweg",
    "intro": "Vom Bahnhof in die Altstadt.", "theme": "seniors-memories", "language": "de",
    "accessibility": "", "cover_media_id": None,
    "stops": [
        {"number": 1, "place_id": 3, "title": "Hauptbahnhof", "transition_note": "",
         "accessibility": "", "dwell_min": 5, "featured_story_ids": [5, 4], "available": True,
         "lon": 8.7237, "lat": 47.5003},
        {"number": 2, "place_id": 7, "title": "Stadthaus",
         "transition_note": "Durch die Stadthausstrasse.", "accessibility": "step-free",
         "dwell_min": 10, "featured_story_ids": [], "available": True, "lon": 8.7262,
         "lat": 47.4998},
    ],
    "route": {"type": "LineString", "coordinates": [[8.7237, 47.5003], [8.7262, 47.4998]]},
    "route_source": "generated", "length_m": 196.4, "elevation_gain_m": None,
    "elevation_loss_m": None, "duration_normal_min": 18, "duration_relaxed_min": 19,
}
ERRORS = {
    401: "not logged in (send a personal API token)",
    403: "not the tour's author or a curator, or an action for curators",
    404: "no such tour (others' drafts are not revealed)",
    409: "stale version (error.current holds the version now there), or the tour's status "
         "does not allow this (error.code wrong_status)",
    422: "a field is not acceptable: error.field names the first, error.fields all of them",
}


def _authoring(*codes: int, write: bool = True):
    """The caller must be logged in; document the problem+json answers ``codes`` (all by
    default) and, for writes, apply the API's write rate limit."""

    def decorator(view):
        view = require_user()(view)
        if write:
            view = write_limit()(view)
        for code in codes or ALL_ERRORS:
            view = blp.alt_response(code, schema="Problem", content_type=PROBLEM,
                                    description=ERRORS[code])(view)
        return blp.doc(security=SECURITY)(view)

    return decorator


ALL_ERRORS = (401, 403, 404, 409, 422)


def _draft(tour: Tour) -> dict:
    content = service.working_content(tour)
    stops = [
        {key: stop[key] for key in ("number", "place_id", "title", "transition_note",
                                    "accessibility", "dwell_min", "featured_story_ids",
                                    "available", "lon", "lat")}
        for stop in service.editor_stops(content)
    ]
    out = {
        "slug": tour.slug, "status": tour.status, "version": tour.version,
        "pending_changes": bool(tour.pending_snapshot),
        "url": url_for("visitor.tour", slug=tour.slug, _external=True),
        "title": content["title"], "intro": content.get("intro") or "",
        "theme": service.theme_slug(content.get("theme_id")),
        "language": content.get("language") or "",
        "accessibility": content.get("accessibility") or "",
        "cover_media_id": content.get("cover_media_id"),
        "stops": stops, "route": content.get("route"),
        "route_source": content.get("route_source"),
        "network": walknet.accessibility_facts(content.get("network_routes")),
    }
    for name in service.METRIC_FIELDS:
        out[name] = content.get(name)
    return out


def _saved(tour: Tour, status: int = 200):
    # Read back as the editor will see it (the unit of work commits after the answer).
    tour = service.get_for_edit(api_user(), tour.slug)
    resp = jsonify(_draft(tour))
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/tours", methods=["POST"])
@blp.arguments(TourCreateSchema, example={
    "title": "Mein Lieblingsweg", "theme": "seniors-memories",
    "intro": "Vom Bahnhof in die Altstadt.",
    "stops": [{"place_id": 3, "featured_story_ids": [5, 4]},
              {"place_id": 7, "transition_note": "Durch die Stadthausstrasse."},
              {"place_id": 12}],
})
@blp.response(201, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring(401, 422)
def create_tour(data: service.TourInput):
    """Start a tour (any logged-in person): a draft with its stops and, until a route is
    uploaded or drawn, straight lines between them."""
    tour = service.create_tour(api_user(), data)
    resp = _saved(tour, 201)
    resp.headers["Location"] = url_for("api_tour_authoring.get_draft", slug=tour.slug)
    return resp


@blp.route("/tours/<slug:slug>/draft")
@blp.response(200, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring(401, 403, 404, write=False)
def get_draft(slug: str):
    """What the editor shows (the tour's author or a curator): a draft as it is, or a
    published tour with the changes that wait for a curator."""
    resp = jsonify(_draft(service.get_for_edit(api_user(), slug)))
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@blp.route("/tours/<slug:slug>", methods=["PATCH"])
@blp.arguments(TourEditSchema, example={"version": 3, "title": "Mein liebster Weg"})
@blp.response(200, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring()
def edit_tour(data: TourEdit, slug: str):
    """Change a tour, naming the `version` you started from; fields left out stay as they
    are, `stops` replaces all stops (each with the `featured_story_ids` it shows, in order:
    published stories of that stop's place, else 422 naming `featured_story_ids`), and any
    other field is refused (422, naming it). A published tour's edit waits for a curator."""
    tour = service.update_tour(api_user(), slug, data.tour, data.version)
    return _saved(tour)


@blp.route("/tours/<slug:slug>/order", methods=["POST"])
@blp.arguments(OrderSchema, example={"version": 3, "order": [7, 3, 12]})
@blp.response(200, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring()
def reorder(data, slug: str):
    """Put the stops in a new order (every stop's place id, each once)."""
    tour = service.reorder_stops(api_user(), slug, data["order"], data["version"])
    return _saved(tour)


@blp.route("/tours/<slug:slug>/suggest-order", methods=["POST"])
@blp.arguments(SuggestSchema, example={"keep_start": True})
@blp.response(200, ProposalSchema, example={
    "order": [3, 12, 7], "length_before_m": 1840.2, "length_after_m": 1210.7, "changed": True})
@_authoring(401, 403, 404, 422)
def suggest_order(data, slug: str):
    """A short walking order through the stops, as a proposal: nothing is stored (send it
    to `order` to accept it). Optionally keep the first and/or last stop in place."""
    proposal = service.propose_order(api_user(), slug, keep_start=data["keep_start"],
                                     keep_end=data["keep_end"], place_ids=data.get("order"))
    resp = jsonify(proposal)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/tours/<slug:slug>/transition", methods=["POST"])
@blp.arguments(TransitionSchema, example={"action": "submit", "version": 4})
@blp.response(200, DraftSchema, example={**DRAFT_EXAMPLE, "status": "review", "version": 5})
@_authoring()
def transition(data, slug: str):
    """Move a tour through its lifecycle. Publishing needs a curator and at least two
    published places as stops; a retired tour keeps its address with a notice."""
    tour = service.transition(api_user(), slug, data["action"], data["version"],
                              data["message"])
    return _saved(tour)


@blp.route("/tours/<slug:slug>/route", methods=["PUT"])
@blp.arguments(DrawnRouteSchema, example={"version": 4, "geometry": {
    "type": "LineString", "coordinates": [[8.7237, 47.5003], [8.7250, 47.5001],
                                          [8.7262, 47.4998]]}})
@blp.response(200, RouteReportSchema, example=REPORT_EXAMPLE)
@_authoring()
def put_route(data, slug: str):
    """A route drawn on a map (a GeoJSON LineString) becomes the tour's route; the answer
    lists stops more than 50 m from it. (A GPX file goes to POST on this address.)"""
    user = api_user()
    report = service.set_route_drawn(user, slug, data["geometry"], data["version"])
    resp = jsonify(report_body(service.get_for_edit(user, slug), report))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/tours/<slug:slug>/route/network", methods=["PUT"])
@blp.arguments(RouteModeSchema)
@blp.response(200, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring()
def put_route_network(data, slug: str):
    """Route the tour on the walking network (OpenStreetMap data, © OpenStreetMap
    contributors, ODbL): `foot`, or `step_free` (no steps, escalators, steep inclines, raised
    kerbs or rough surfaces). The route then follows the stops as they change; the draft's
    `network` tells the steps and the legs without a step-free way. 422 (field `route_mode`)
    when the site has no walking network or the tour fewer than two stops."""
    tour = service.set_route_network(api_user(), slug, data["mode"], data["version"])
    return _saved(tour)


@blp.route("/tours/<slug:slug>/route", methods=["DELETE"])
@blp.arguments(RouteResetArgs, location="query")
@blp.response(200, DraftSchema, example=DRAFT_EXAMPLE)
@_authoring()
def delete_route(data, slug: str):
    """Drop an uploaded, drawn or network route: the tour runs in straight lines from stop to
    stop."""
    tour = service.reset_route(api_user(), slug, data["version"])
    return _saved(tour)
