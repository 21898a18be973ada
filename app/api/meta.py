"""/api/v1 root: what the API is and where its documentation lives."""

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

blp = Blueprint("api_meta", __name__, url_prefix="/api/v1", description="About this API")


class ApiIndexSchema(Schema):
    name = fields.String(metadata={"example": "Stadtspur API"})
    version = fields.String(metadata={"example": "v1"})
    openapi = fields.Url(metadata={"example": "https://example.org/api/openapi.json"})
    licence = fields.String(metadata={"example": "Place data CC0 1.0; stories CC BY-SA 4.0"})


@blp.route("/")
@blp.response(
    200,
    ApiIndexSchema,
    example={
        "name": "Stadtspur API",
        "version": "v1",
        "openapi": "https://example.org/api/openapi.json",
        "licence": "Place data CC0 1.0; stories CC BY-SA 4.0 unless a feature says otherwise",
    },
)
def index():
    """Entry point of the API with a link to its OpenAPI document."""
    return {
        "name": "Stadtspur API",
        "version": "v1",
        "openapi": url_for("api-docs.openapi_json", _external=True),
        "licence": "Place data CC0 1.0; stories CC BY-SA 4.0 unless a feature says otherwise",
    }
