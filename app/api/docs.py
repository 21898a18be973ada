"""The OpenAPI document's setup and its viewer at /api/docs.

flask-smorest generates /api/openapi.json from the blueprints' schemas; here its error
responses are made to describe what the API really answers (problem+json with our ``error``
object), and Swagger UI (vendored from npm, started by static/js/api-docs.js because the
CSP allows no inline script) shows it.
"""

from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_smorest import Api
from marshmallow import Schema, fields

PROBLEM = "application/problem+json"
# The request body of an operation that takes none (PUT a state, POST an action): nothing, or
# an empty JSON object.
NO_BODY = {"required": False, "description": "nothing to send",
           "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0},
                                            "example": {}}}}

bp = Blueprint("api_viewer", __name__)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "invalid"})
    message = fields.String(required=True, metadata={"example": "bbox must be four numbers."})
    field = fields.String(metadata={"example": "bbox"})
    refused_fields = fields.Dict(
        keys=fields.String(), values=fields.String(), data_key="fields",
        metadata={"description": "422 on a form-like write: every refused field with its "
                  "message (`field` names the first)"})
    current = fields.Raw(metadata={
        "description": "409 on a stale write: what is there now (the tour's version; the "
        "place's current snapshot for place edits)"})
    yours = fields.Dict(metadata={"description": "409 on a stale place edit: your refused edit"})
    candidates = fields.List(fields.Dict(), metadata={
        "description": "409 on a contribution: the published places within 50 m (id, title, "
        "distance_m, similar_title, story_count), a title like the one sent first"})


class ProblemSchema(Schema):
    """RFC 9457 problem details plus our ``error`` object."""

    error = fields.Nested(ErrorDetailSchema, required=True)
    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "invalid"})
    status = fields.Integer(metadata={"example": 422})
    detail = fields.String()


def prepare_api(api: Api) -> None:
    """Before ``api.init_app``: our error schema for the generated error responses."""
    api.ERROR_SCHEMA = ProblemSchema


def finish_api(api: Api) -> None:
    """After ``api.init_app``: errors are problem+json, and ``Problem`` can be referenced."""
    for response in api.spec.components.responses_lazy.values():
        content = response.get("content") or {}
        if "application/json" in content:
            content[PROBLEM] = content.pop("application/json")
    if "Problem" not in api.spec.components.schemas:
        api.spec.components.schema("Problem", schema=ProblemSchema)


@bp.get("/api/docs")
def viewer():
    """Swagger UI for /api/openapi.json."""
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
