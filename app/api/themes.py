"""GET /api/v1/themes: the themes places and tours belong to."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.http import public_read
from app.services.geodata import themes_with_counts

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
