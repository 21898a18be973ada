"""What /me/contributions and /me/tours show, for apps: my contributions with their review
state and the curators' message, and the tours I assembled."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.contribute import CONTRIBUTION_EXAMPLE, ContributionFeatureSchema
from app.api.docs import PROBLEM
from app.api.places import site_root
from app.services import contribute as contributions
from app.services import tours as tour_service
from app.services.media import public_url as media_url

blp = Blueprint("api_me", __name__, url_prefix="/api/v1",
                description="My contributions and my tours (the caller's own)")
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class MyContributionSchema(ContributionFeatureSchema):
    review = fields.Dict(metadata={"description": "`status`: the latest revision's (pending, "
                                   "approved, rejected, changes_requested …) unless the place "
                                   "itself was merged, hidden or removed (merged, hidden, "
                                   "archived); the curators' `message`; whether I may still "
                                   "`edit` it"})


class MyContributionsSchema(Schema):
    type = fields.String(metadata={"example": "FeatureCollection"})
    features = fields.List(fields.Nested(MyContributionSchema))


class MyTourSchema(Schema):
    slug = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "draft, review, published or retired"})
    version = fields.Integer()
    pending_changes = fields.Boolean()
    draft = fields.String(metadata={"description": "the editor's view in the API"})


class MyToursSchema(Schema):
    tours = fields.List(fields.Nested(MyTourSchema))


def _private(body: dict):
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@blp.route("/me/contributions")
@blp.response(200, MyContributionsSchema, example={"type": "FeatureCollection", "features": [
    {**CONTRIBUTION_EXAMPLE, "review": {"status": "changes_requested",
                                        "message": "Bitte ein Foto dazu.", "edit": True}}]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.doc(security=SECURITY)
@require_user()
def my_contributions():
    """The places I contributed or entered for someone, newest first, with the state of
    their review."""
    features = []
    for item in contributions.my_contributions(api_user()):
        feature = contributions.place_feature(item["place"], media_url, site_root())
        feature["review"] = {"status": item["state"], "message": item["message"],
                             "edit": item["editable"]}
        for medium in feature["properties"]["media"]:
            medium["review_message"] = item["media_notes"].get(medium["id"], "")
        features.append(feature)
    return _private({"type": "FeatureCollection", "features": features})


@blp.route("/me/tours")
@blp.response(200, MyToursSchema, example={"tours": [{
    "slug": "mein-lieblingsweg", "title": "Mein Lieblingsweg", "status": "review", "version": 5,
    "pending_changes": False,
    "draft": "https://stadtspur.example/api/v1/tours/mein-lieblingsweg/draft"}]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.doc(security=SECURITY)
@require_user()
def my_tours():
    """The tours I assembled, the last changed first."""
    return _private({"tours": [
        {"slug": t.slug, "title": t.title, "status": t.status, "version": t.version,
         "pending_changes": bool(t.pending_snapshot),
         "draft": url_for("api_tour_authoring.get_draft", slug=t.slug, _external=True)}
        for t in tour_service.my_tours(api_user())
    ]})
