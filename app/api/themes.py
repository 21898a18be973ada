"""The themes places and tours belong to, and the themes a logged-in person follows."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.api.docs import NO_BODY, PROBLEM
from app.api.http import public_read, write_limit
from app.inputs.base import Nothing, from_form
from app.models.usage import Metric, OfferingKind
from app.services import themes as theme_service
from app.services.geodata import themes_with_counts
from app.services.insights import counting

blp = Blueprint("api_themes", __name__, url_prefix="/api/v1", description="Themes")


class LocalisedSchema(Schema):
    de = fields.String(required=True, metadata={"example": "Altstadt"})
    en = fields.String(required=True, metadata={"example": "Old town"})


class ThemeSchema(Schema):
    slug = fields.String(required=True, metadata={"example": "old-town"})
    name = fields.Nested(LocalisedSchema, required=True)
    description = fields.Nested(LocalisedSchema, required=True)
    colour = fields.String(required=True, metadata={"example": "#2b6cb0"})
    icon = fields.String(required=True, metadata={"example": "pin"})
    places = fields.Integer(required=True, metadata={"description": "approved places"})
    feed = fields.String(required=True, metadata={"description": "Atom feed of new places"})


THEME_EXAMPLE = {
    "slug": "old-town",
    "name": {"de": "Altstadt", "en": "Old town"},
    "description": {"de": "Gassen und Häuser", "en": "Lanes and houses"},
    "colour": "#2b6cb0",
    "icon": "pin",
    "places": 12,
    "feed": "https://example.org/feeds/themes/old-town.atom",
}


@blp.route("/themes")
@blp.response(200, ThemeSchema(many=True), example=[THEME_EXAMPLE])
@public_read(max_age=300)
def list_themes():
    """All themes in both languages, each with its number of approved places and its feed."""
    return [
        {**row, "feed": url_for("feeds.theme_feed", slug=row["slug"], _external=True)}
        for row in themes_with_counts()
    ]


class FollowedSchema(Schema):
    following = fields.List(fields.String(), required=True,
                            metadata={"description": "slugs of the themes I follow"})


SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


def _followed():
    resp = jsonify({"following": theme_service.followed_theme_slugs(api_user())})
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/themes/following")
@blp.response(200, FollowedSchema, example={"following": ["fotografie", "gaerten"]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.doc(security=SECURITY)
@require_user()
def following():
    """The themes I follow: their new stories come first for me."""
    return _followed()


@blp.route("/themes/<slug>/follow", methods=["PUT"])
@blp.response(200, FollowedSchema, example={"following": ["fotografie", "gaerten"]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such theme")
@blp.doc(security=SECURITY, requestBody=NO_BODY)
@write_limit()
@require_user()
def follow(slug: str):
    """Follow a theme (repeating it is harmless): its new stories come first for me. The
    answer lists the themes I follow now."""
    body = request.get_json(silent=True)
    from_form(Nothing(), body if isinstance(body, dict) else {})
    theme = theme_service.get_theme(slug)
    theme_service.follow(api_user(), theme)
    counting.count_now(request.headers, [counting.one(OfferingKind.THEME, theme.id,
                                                      Metric.FOLLOW_START)])
    return _followed()


@blp.route("/themes/<slug>/follow", methods=["DELETE"])
@blp.response(200, FollowedSchema, example={"following": ["fotografie"]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such theme")
@blp.doc(security=SECURITY)
@write_limit()
@require_user()
def unfollow(slug: str):
    """Stop following a theme (repeating it is harmless). The answer lists the themes I
    follow now."""
    theme_service.unfollow(api_user(), theme_service.get_theme(slug))
    return _followed()
