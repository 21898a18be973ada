"""Personal API tokens over the API: list mine, create one (its secret is in that answer
only), revoke one. The same service functions as the account page do the work."""

from __future__ import annotations

from flask import Response, jsonify, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.auth import api_user, require_user
from app.api.docs import PROBLEM
from app.api.http import write_limit
from app.errors import Forbidden
from app.services import accounts

blp = Blueprint(
    "api_tokens", __name__, url_prefix="/api/v1",
    description="Personal API tokens: a script or another app acts as you with "
    "`Authorization: Bearer <token>`.",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]


class TokenCreateSchema(Schema):
    name = fields.String(
        required=True, validate=validate.Length(min=1, max=accounts.TOKEN_NAME_MAX),
        metadata={"description": "what the token is for", "example": "my photo uploader"},
    )


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    last_used_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    revoked_at = fields.String(
        allow_none=True,
        metadata={"format": "date-time", "description": "null while the token works"},
    )


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema), required=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(
        required=True,
        metadata={"description": "the secret: shown in this answer only, store it now"},
    )


TOKEN_EXAMPLE = {"id": 7, "name": "my photo uploader", "created_at": "2026-05-01T10:00:00+00:00",
                 "last_used_at": "2026-05-03T08:12:40+00:00", "revoked_at": None}
NEW_TOKEN_EXAMPLE = {**TOKEN_EXAMPLE, "id": 8, "last_used_at": None,
                     "token": "sts_3q2-7wqR0bX9kH1mZpLr5uVyT8eN4cAa6dFgJhKsLoP"}


def _iso(value):
    return value.isoformat() if value else None


def _token_dict(row) -> dict:
    return {"id": row.id, "name": row.name, "created_at": _iso(row.created_at),
            "last_used_at": _iso(row.last_used_at), "revoked_at": _iso(row.revoked_at)}


@blp.route("/tokens")
@blp.response(200, TokenListSchema, example={"tokens": [TOKEN_EXAMPLE]})
@blp.doc(security=SECURITY)
@require_user()
def list_tokens():
    """My personal API tokens.

    Newest first, revoked ones included (with `revoked_at`); their secrets are never shown
    again."""
    return jsonify({"tokens": [_token_dict(t) for t in accounts.list_api_tokens(api_user())]})


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenCreateSchema, example={"name": "my photo uploader"})
@blp.response(201, NewTokenSchema, example=NEW_TOKEN_EXAMPLE)
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="called with a token: tokens are made with a logged-in session")
@blp.doc(security=[{"cookieAuth": []}])
@write_limit()
@require_user()
def create_token(data):
    """Create a personal API token.

    The answer is the only place its secret (`token`) ever appears: only a hash of it is
    stored."""
    if request.headers.get("Authorization"):
        # Otherwise a leaked token could mint a successor that outlives its revocation.
        raise Forbidden("A token cannot create tokens: make new ones while logged in "
                        "(the account page, or this endpoint with the session).")
    row, token = accounts.issue_api_token(api_user(), data["name"])
    resp = jsonify({**_token_dict(row), "token": token})
    resp.status_code = 201
    resp.headers["Cache-Control"] = "no-store"
    return resp


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=SECURITY, responses={
    "404": {"description": "you have no token with this id", "content": {PROBLEM: {}}}})
@write_limit()
@require_user()
def revoke_token(token_id: int):
    """Revoke one of my tokens.

    From now on the token is refused. Revoking it again changes nothing; another person's
    token is 404."""
    accounts.revoke_api_token(api_user(), token_id)
    return Response(status=204)
