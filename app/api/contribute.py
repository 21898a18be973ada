"""POST /api/v1/places: a contribution from a script, an app or the page's offline queue."""

from __future__ import annotations

from flask import abort, jsonify, request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.auth import api_user, require_user
from app.extensions import limiter
from app.inputs.contribution import ContributionForm, api_contribution_from
from app.services import contribute as service
from app.services.media import public_url as media_url

blp = Blueprint(
    "api_contribute", __name__, url_prefix="/api/v1", description="Contribute places"
)


@blp.before_request
def _refuse_oversized_body():
    # Before authentication reads the form: a declared body over MAX_CONTENT_LENGTH is
    # answered 413 without reading a byte of it.
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


class ContributionFeatureSchema(Schema):
    """The contributed place as a GeoJSON Feature (RFC 7946) with its review state."""

    type = fields.String(required=True, metadata={"example": "Feature"})
    id = fields.Integer(required=True)
    geometry = fields.Dict(required=True)
    properties = fields.Dict(required=True)


CONTRIBUTION_EXAMPLE = {
    "type": "Feature",
    "id": 412,
    "geometry": {"type": "Point", "coordinates": [8.72403, 47.49957]},
    "properties": {
        "title": "Das Kino am Graben",
        "status": "pending",
        "version": 1,
        "licence": "CC-BY-SA-4.0",
        "data_licence": "CC0-1.0",
        "media": [
            {"kind": "photo", "status": "pending", "licence": "CC-BY-4.0", "credit": "Rosa",
             "url": "https://example.org/media/4f/4f2a-large.jpg"},
            {"kind": "photo", "status": "pending", "licence": "CC0-1.0", "credit": "Rosa",
             "url": "https://example.org/media/9c/9c1e-large.jpg"},
        ],
    },
}
_FEATURE_CONTENT = {
    "application/json": {"schema": ContributionFeatureSchema, "example": CONTRIBUTION_EXAMPLE}
}


def _api_user_key() -> str:
    user = api_user()
    return f"user:{user.id}" if user else request.remote_addr or "unknown"


@blp.route("/places", methods=["POST"])
@blp.doc(
    security=[{"bearerAuth": []}, {"cookieAuth": []}],
    # Documented here, parsed by app.inputs.contribution with the same schema (not by
    # webargs), so every refused field is answered at once in our own error format.
    requestBody={"required": True,
                 "content": {"multipart/form-data": {"schema": ContributionForm}}},
    parameters=[{
        "in": "header", "name": "Idempotency-Key", "required": False,
        "schema": {"type": "string", "maxLength": 100},
        "description": "One key per contribution: a retry with the same key and content "
        "answers with the place created the first time; different content gives 409.",
    }],
    responses={
        "201": {"description": "the pending place as a GeoJSON Feature",
                "content": _FEATURE_CONTENT},
        "200": {"description": "a retry: the place created the first time",
                "content": _FEATURE_CONTENT},
        "409": {"description": "idempotency key reused, or \"is it one of these?\": "
                "error.code possible_duplicate, error.candidates lists the published places "
                "within 50 m; add the story there (POST /api/v1/places/<id>/stories) or send "
                "again with not_duplicate"},
        "413": {"description": "the upload is too large"},
        "422": {"description": "a field or file is not acceptable (error.field names it)"},
    },
)
@limiter.limit(lambda: _limit("RATELIMIT_CONTRIBUTE", "30 per hour"), key_func=_api_user_key)
@require_user()
def create_place():
    """Contribute a place (multipart/form-data with files); it waits for a curator."""
    user = api_user()
    inp = api_contribution_from(request.form, request.files)
    place, created = service.create_contribution(
        user, inp, idempotency_key=request.headers.get("Idempotency-Key")
    )
    resp = jsonify(service.place_feature(place, media_url, request.url_root.rstrip("/")))
    resp.status_code = 201 if created else 200
    resp.headers["Location"] = url_for("contribute.mine", _anchor=f"place-{place.id}")
    return resp


def _limit(name: str, default: str) -> str:
    from flask import current_app

    return current_app.config.get(name, default)
