"""Tours in the API: the published list, one tour as a FeatureCollection of its route and
numbered stops, its GPX 1.1, and a GPX upload that becomes a tour's route."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, abort, jsonify, request
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api import query_params
from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.geojson import (
    GEOJSON,
    TOUR_FEATURE_EXAMPLE,
    LinkSchema,
    TourCollectionSchema,
)
from app.api.http import public_read
from app.api.places import collection_body, geojson_response, site_root
from app.errors import ValidationError
from app.inputs.route_mode import RouteVariantArgs
from app.inputs.tours import version_from_form
from app.models.statuses import TourStatus
from app.models.usage import Metric, OfferingKind
from app.services import geodata
from app.services import tours as service
from app.services.insights import counting

blp = Blueprint(
    "api_tours",
    __name__,
    url_prefix="/api/v1",
    description="Published walking tours: routes, numbered stops, GPX. Tours CC BY-SA 4.0, "
    "credited to their author.",
)

GPX_MIME = "application/gpx+xml"


@blp.before_request
def _refuse_oversized_body():
    # Before authentication reads the form: a declared body over the limit is answered 413
    # without reading it.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


class TourListArgs(Schema):
    bbox = fields.String(
        validate=validate.Regexp(
            r"^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$",
            error="must be four numbers: minLon,minLat,maxLon,maxLat",
        ),
        metadata={"description": "only tours whose route crosses this box (WGS 84)",
                  "example": "8.72,47.49,8.735,47.505"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200),
                           metadata={"example": 50})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000),
                            metadata={"example": 0})


class StopPropertiesSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["stop"]))
    number = fields.Integer(required=True, metadata={"description": "position in the tour"})
    place_id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    note = fields.String(required=True, metadata={"description": "how to walk on from here"})
    accessibility = fields.String(required=True)
    dwell_min = fields.Integer(required=True, metadata={"description": "minutes at the stop"})
    url = fields.String(required=True)
    featured = fields.Boolean(required=True, metadata={
        "description": "true: the stories the tour's author featured here; false: the "
        "place's newest stories (when it is in the tour's theme)"})
    stories = fields.List(fields.Nested("StopStorySchema"), required=True)


class StopStorySchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    excerpt = fields.String(required=True, metadata={"description": "plain text, shortened"})
    kind = fields.String(required=True, metadata={"description": "memory, history or tip"})
    language = fields.String(required=True)
    credit = fields.String(required=True, metadata={"description": "the narrator"})
    licence = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "the story's page"})


class RoutePropertiesSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["route"]))
    source = fields.String(allow_none=True, required=True,
                           validate=validate.OneOf(["gpx", "drawn", "generated", "foot",
                                                    "step_free"]))
    attribution = fields.String(metadata={
        "description": "on the walking network: © OpenStreetMap contributors"})
    licence = fields.String(metadata={"description": "on the walking network: ODbL-1.0"})


class GeometrySchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Point", "LineString"]))
    coordinates = fields.Raw(required=True, metadata={"description": "lon, lat (WGS 84)"})


class TourPartSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.String(required=True, metadata={"example": "stop-1"})
    geometry = fields.Nested(GeometrySchema, required=True)
    properties = fields.Dict(required=True, metadata={
        "description": "a route (kind=route) or a stop (kind=stop, numbered)"})


class NetworkFactsSchema(Schema):
    steps = fields.Integer(metadata={"description": "steps counted on the foot route"})
    flights = fields.Integer(metadata={"description": "flights of steps on the foot route"})
    flights_uncounted = fields.Integer(metadata={
        "description": "flights whose number of steps is not mapped"})
    escalators = fields.Integer()
    foot_length_m = fields.Float()
    step_free_exists = fields.Boolean(metadata={
        "description": "every leg has a step-free way"})
    step_free_length_m = fields.Float()
    step_free_extra_m = fields.Float(allow_none=True, metadata={
        "description": "how much longer the step-free route is"})
    no_step_free = fields.List(fields.List(fields.Integer()), metadata={
        "description": "stop pairs with no step-free way between them"})
    no_route = fields.List(fields.List(fields.Integer()), metadata={
        "description": "stop pairs the network does not join at all"})
    off_network = fields.List(fields.List(fields.Integer()), metadata={
        "description": "legs with a stop more than 75 m from any way (drawn straight)"})
    attribution = fields.String()
    licence = fields.String()


class TourFactsSchema(Schema):
    slug = fields.String(required=True)
    title = fields.String(required=True)
    intro = fields.String(required=True, metadata={"description": "Markdown"})
    status = fields.String(required=True, validate=validate.OneOf(
        [TourStatus.PUBLISHED, TourStatus.RETIRED]))
    theme = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    accessibility = fields.String(required=True)
    length_m = fields.Float(allow_none=True, required=True)
    elevation_gain_m = fields.Float(allow_none=True, required=True)
    elevation_loss_m = fields.Float(allow_none=True, required=True)
    duration_min = fields.Integer(allow_none=True, required=True,
                                  metadata={"description": "at about 4.5 km/h, stops included"})
    duration_relaxed_min = fields.Integer(
        allow_none=True, required=True,
        metadata={"description": "at about 3 km/h, stops included"})
    stops = fields.Integer(required=True)
    url = fields.String(required=True)
    licence = fields.String(required=True)
    attribution = fields.String(required=True)
    published_at = fields.String(allow_none=True, required=True)
    updated_at = fields.String(required=True)
    route_source = fields.String(allow_none=True, metadata={
        "description": "generated (straight lines), gpx, drawn, foot or step_free (the walking "
        "network)"})
    network = fields.Nested(NetworkFactsSchema, allow_none=True, metadata={
        "description": "accessibility from the walking network (null without one)"})


class TourDetailSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    properties = fields.Nested(TourFactsSchema, required=True)
    features = fields.List(fields.Nested(TourPartSchema), required=True)
    links = fields.List(fields.Nested(LinkSchema), required=True)


class RouteUploadForm(Schema):
    """multipart/form-data"""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "a GPX 1.0/1.1 track or route"})
    version = fields.Integer(metadata={"description": "the tour version the upload is based "
                                       "on; 409 when the tour changed since"})


class OffRouteSchema(Schema):
    number = fields.Integer(required=True)
    place_id = fields.Integer(required=True)
    title = fields.String(required=True)
    distance_m = fields.Integer(required=True)


class RouteReportSchema(Schema):
    slug = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the tour's new version"})
    pending = fields.Boolean(required=True, metadata={
        "description": "true for a published tour: the change waits for a curator"})
    points = fields.Integer(required=True, metadata={"description": "after simplification"})
    length_m = fields.Float(required=True)
    elevation_gain_m = fields.Float(allow_none=True, required=True)
    elevation_loss_m = fields.Float(allow_none=True, required=True)
    noise_removed = fields.Integer(required=True, metadata={"description": "GPS spikes dropped"})
    off_route = fields.List(fields.Nested(OffRouteSchema), required=True, metadata={
        "description": "stops more than 50 m from the route"})


DETAIL_EXAMPLE = {
    "type": "FeatureCollection",
    "properties": {
        "slug": "altstadt", "title": "Durch die Altstadt", "intro": "A walk.",
        "status": "published", "theme": "seniors-memories", "language": "de", "accessibility": "",
        "length_m": 1850.0, "elevation_gain_m": None, "elevation_loss_m": None,
        "duration_min": 60, "duration_relaxed_min": 80, "stops": 2,
        "url": "https://example.org/tours/altstadt", "licence": "CC-BY-SA-4.0",
        "attribution": "Kurt Kurator", "published_at": "2026-05-01T10:00:00Z",
        "updated_at": "2026-05-01T10:00:00Z", "route_source": "foot",
        "network": {"steps": 46, "flights": 1, "flights_uncounted": 0, "escalators": 0,
                    "foot_length_m": 1850.0, "step_free_exists": True,
                    "step_free_length_m": 2010.5, "step_free_extra_m": 160.5,
                    "no_step_free": [], "no_route": [], "off_network": [],
                    "attribution": "© OpenStreetMap contributors", "licence": "ODbL-1.0"},
    },
    "features": [
        {"type": "Feature", "id": "route",
         "geometry": {"type": "LineString", "coordinates": [[8.729, 47.5], [8.731, 47.501]]},
         "properties": {"kind": "route", "source": "foot",
                        "attribution": "© OpenStreetMap contributors", "licence": "ODbL-1.0"}},
        {"type": "Feature", "id": "stop-1",
         "geometry": {"type": "Point", "coordinates": [8.729, 47.5]},
         "properties": {"kind": "stop", "number": 1, "place_id": 42, "title": "Alte Kaserne",
                        "summary": "", "note": "Walk down the Marktgasse.",
                        "accessibility": "", "dwell_min": 5,
                        "url": "https://example.org/places/42", "featured": True,
                        "stories": [{"id": 7, "title": "Der Milchmann",
                                     "excerpt": "Jeden Morgen kam der Milchmann …",
                                     "kind": "memory", "language": "de",
                                     "credit": "Rosa Keller", "licence": "CC-BY-SA-4.0",
                                     "url": "https://example.org/stories/7"}]}},
    ],
    "links": [{"rel": "alternate", "type": "application/gpx+xml",
               "href": "https://example.org/api/v1/tours/altstadt.gpx"}],
}

GPX_EXAMPLE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<gpx xmlns="http://www.topografix.com/GPX/1/1" '
    'version="1.1" creator="Stadtspur">...</gpx>\n'
)

REPORT_EXAMPLE = {
    "slug": "altstadt", "version": 4, "pending": False, "points": 120, "length_m": 1843.2,
    "elevation_gain_m": 31.0, "elevation_loss_m": 29.5, "noise_removed": 2,
    "off_route": [{"number": 3, "place_id": 17, "title": "Stadthaus", "distance_m": 74}],
}

@blp.route("/tours")
@blp.arguments(TourListArgs, location="query", as_kwargs=True)
@blp.response(200, TourCollectionSchema, content_type=GEOJSON, example={
    "type": "FeatureCollection", "numberReturned": 1,
    "links": [{"rel": "self", "type": GEOJSON, "href": "https://example.org/api/v1/tours"}],
    "features": [TOUR_FEATURE_EXAMPLE],
})
@public_read(max_age=60)
def list_tours(limit: int, offset: int, bbox: str | None = None):
    """Published tours (retired ones are left out) as a GeoJSON FeatureCollection: each route
    as a LineString with the tour's facts and stops; page with `limit` and `offset`."""
    box = query_params.parse_bbox(bbox) if bbox else None
    page = geodata.ogc_tours(box, None, limit, offset, site_root())
    base = site_root() + "/api/v1/tours"
    links = [{"rel": "self", "type": GEOJSON, "href": base + "?" + urlencode(request.args)}]
    if page.next_key:
        given = {k: v for k, v in request.args.items() if k != "offset"}
        links.append({"rel": "next", "type": GEOJSON,
                      "href": base + "?" + urlencode({**given, "offset": offset + limit})})
    return geojson_response(collection_body(page, links))


@blp.route("/tours/<slug:slug>")
@blp.arguments(RouteVariantArgs, location="query", as_kwargs=True)
@blp.response(200, TourDetailSchema, content_type=GEOJSON, example=DETAIL_EXAMPLE)
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No published or retired tour with this slug, or (with `route`) "
                  "the tour has no route on the walking network")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="`route` is neither foot nor step_free")
@public_read(max_age=60)
def get_tour(slug: str, route: str | None = None):
    """One tour as a GeoJSON FeatureCollection: the route and the stops as numbered points
    (stops whose place is no longer public are left out). A retired tour still answers, with
    `status: retired`. With `route=foot` or `route=step_free`, the route is that variant on
    the walking network (OpenStreetMap data, © OpenStreetMap contributors, ODbL), and legs it
    could not route are features of their own (`kind: leg`, `status` off_network or
    no_route)."""
    tour = service.get_public_tour(slug, include_retired=True)
    resp = jsonify(service.tour_collection(tour, site_root(), route))
    resp.mimetype = GEOJSON
    return resp


@blp.route("/tours/<slug:slug>.gpx")
@blp.response(200, {"type": "string"}, content_type=GPX_MIME, example=GPX_EXAMPLE,
              description="GPX 1.1: the route as a track, the stops as waypoints")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="No published or retired tour with this slug")
@public_read(max_age=300)
def get_tour_gpx(slug: str):
    """The tour as GPX 1.1 for GPS devices and hiking apps: the route as a track, the stops as
    waypoints with names, descriptions and links."""
    tour = service.get_public_tour(slug, include_retired=True)
    body = service.tour_gpx(tour, site_root())
    resp = Response(body.encode("utf-8"), mimetype=GPX_MIME)
    resp.headers["Content-Disposition"] = f'attachment; filename="{tour.slug}.gpx"'
    return counting.counted(resp, request.method, request.headers, OfferingKind.TOUR, tour.id,
                            Metric.GPX_DOWNLOAD)


@blp.route("/tours/<slug:slug>/route", methods=["POST"])
@blp.doc(
    security=[{"bearerAuth": []}, {"cookieAuth": []}],
    requestBody={"required": True,
                 "content": {"multipart/form-data": {"schema": RouteUploadForm}}},
)
@blp.response(200, RouteReportSchema, example=REPORT_EXAMPLE)
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the tour's author or a curator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such tour")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM,
                  description="the tour changed since `version`")
@blp.alt_response(413, schema="Problem", content_type=PROBLEM,
                  description="the upload is too large")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM, description=(
    "the file was refused; error.code names why (gpx_outside_area, gpx_not_xml, gpx_fit, "
    "gpx_no_route, ...) and nothing was stored"))
@require_user()
def upload_route(slug: str):
    """The tour's author or a curator: a GPX track or route (multipart field `file`) becomes
    the tour's route. It is checked (safe XML, valid coordinates, inside the service area),
    cleared of GPS spikes and simplified; the answer lists stops more than 50 m away. On a
    published tour the new route waits with the other pending changes for a curator."""
    user = api_user()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(_("Send the GPX file in the multipart field 'file'."),
                              field="file")
    version = version_from_form(request.form)
    report = service.set_route_from_gpx(user, slug, upload.read(), version)
    return report_body(service.get_for_edit(user, slug), report)


def report_body(tour, report: service.RouteReport) -> dict:
    """The answer to a new route: the tour's version now and what happened to the route."""
    return {
        "slug": tour.slug, "version": tour.version, "pending": bool(tour.pending_snapshot),
        "points": report.points, "length_m": report.length_m,
        "elevation_gain_m": report.elevation_gain_m, "elevation_loss_m": report.elevation_loss_m,
        "noise_removed": report.noise_removed, "off_route": report.off_route,
    }
