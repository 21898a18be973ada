"""A curator's block or trust of a remote account or instance as the curator page carries
it."""

from __future__ import annotations

from flask_babel import lazy_gettext
from marshmallow import fields, validate

from app.inputs.base import Strict
from app.models.federation import MAX_URI


class BlockSchema(Strict):
    target = fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_URI, error=lazy_gettext("Give an account's address or a host name.")))
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class TrustSchema(Strict):
    target = fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_URI, error=lazy_gettext("Give an account's address or a host name.")))
