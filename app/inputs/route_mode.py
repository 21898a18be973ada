"""A tour's route mode as requests carry it: the editor's choice (straight lines, the drawn or
imported track, or the walking network on foot or step-free) and the API's ``?route=`` query
for a tour's variant on the network."""

from __future__ import annotations

from flask_babel import lazy_gettext
from marshmallow import Schema, fields, validate

from app.inputs.base import Strict, from_form
from app.inputs.tours import _BAD_VERSION, Whole

NETWORK_MODES = ("foot", "step_free")
_BAD_MODE = lazy_gettext("Choose on foot or step-free.")


class RouteModeSchema(Strict):
    mode = fields.String(required=True, validate=validate.OneOf(NETWORK_MODES, error=_BAD_MODE),
                         metadata={"description": "foot, or step_free (no steps, escalators, "
                                   "steep inclines, raised kerbs or rough surfaces)"})
    version = Whole(_BAD_VERSION, required=True)


class RouteVariantArgs(Schema):
    """Query arguments of one tour: other arguments (a cache breaker) are ignored."""

    route = fields.String(
        validate=validate.OneOf(NETWORK_MODES, error=_BAD_MODE),
        metadata={"description": "the tour's route on the walking network instead of its own: "
                  "foot or step_free (404 when the tour has none)", "example": "step_free"})


def route_mode_from_form(form) -> dict:
    """The editor's route-mode form: ``{"mode", "version"}``; a refusal is a FormErrors. The
    page's other fields (its CSRF token) are not the schema's to judge."""
    return from_form(RouteModeSchema(), {k: form.get(k, "") for k in ("mode", "version")})
