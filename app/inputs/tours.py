"""A tour as a request carries it: one set of schemas for the tour editor's pages
(app/web/tours.py) and the tour-authoring API (app/api/tour_authoring.py, which documents its
request bodies with them).

The schemas check the shape of every field (whole numbers, minutes at a stop, a drawn route
that is JSON) and load the services' typed inputs: a ``TourInput`` with ``StopInput``s, the
version an edit started from, a new order, a lifecycle action. What needs the database or the
settings (places and themes that exist, lengths, languages, the service area) is the
service's. The pages' forms send the stops as parallel lists (``stop_place``, ``stop_note``,
``stop_access``, ``stop_dwell``); ``tour_from_form`` turns them into the API's shape first, so
both go through the same schema. A form's refusal is a ``FormErrors`` naming each field; the
API's is the 422 of the request boundary, naming the fields too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import Schema, fields, post_load, validate
from marshmallow import ValidationError as SchemaError

from app.errors import FormErrors
from app.inputs.base import Strict
from app.services.tours import (
    ACTIONS,
    DEFAULT_DWELL_MIN,
    EDITABLE,
    MAX_DWELL_MIN,
    StopInput,
    TourInput,
)

_NOT_A_PLACE = lazy_gettext("A stop refers to an unknown place.")
_BAD_MINUTES = lazy_gettext("Minutes at a stop must be a whole number from 0 to %(max)d.",
                            max=MAX_DWELL_MIN)
_BAD_VERSION = lazy_gettext("The version must be a whole number.")
_BAD_ORDER = lazy_gettext("The new order must list every stop of the tour exactly once.")
_BAD_COVER = lazy_gettext("Choose a photo from the list.")
_BAD_STORY = lazy_gettext("Choose the featured stories from the list.")


class Whole(fields.Integer):
    """A whole number whose refusal (not a number, or outside its ``validate`` range) reads
    ``message``, translated when the request is read."""

    def __init__(self, message, **kw):
        super().__init__(**kw)
        self.message = message

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except SchemaError:
            raise SchemaError(str(self.message)) from None

    def _validate(self, value) -> None:
        try:
            super()._validate(value)
        except SchemaError:
            raise SchemaError(str(self.message)) from None


class StopSchema(Strict):
    place_id = Whole(_NOT_A_PLACE, required=True, metadata={"description": "an approved place"})
    transition_note = fields.String(load_default="", metadata={
        "description": "how to walk here from the previous stop"})
    accessibility = fields.String(load_default="", metadata={
        "description": "step-free, stairs, benches, toilets, shade …"})
    dwell_min = Whole(_BAD_MINUTES, load_default=DEFAULT_DWELL_MIN,
                      validate=validate.Range(0, MAX_DWELL_MIN),
                      metadata={"description": "minutes spent at the stop"})
    featured_story_ids = fields.List(Whole(_BAD_STORY), load_default=list, metadata={
        "description": "the stories to feature at this stop, in order: published stories of "
        "its place, at most three (default none: the stop shows the place's newest stories "
        "in the tour's theme)"})

    @post_load
    def _stop(self, data: dict, **kwargs) -> StopInput:
        return StopInput(**data)


class TourFieldsSchema(Strict):
    """The fields of a tour every writer of one takes; fields left out keep their value."""

    intro = fields.String(metadata={"description": "Markdown"})
    theme = fields.String(allow_none=True, metadata={"description": "theme slug, or null"})
    language = fields.String(metadata={"description": "de or en"})
    accessibility = fields.String(metadata={"description": "notes for the whole tour"})
    cover_media_id = Whole(_BAD_COVER, allow_none=True, metadata={
        "description": "a published photo of one of the stops"})
    stops = fields.List(fields.Nested(StopSchema), metadata={
        "description": "all stops in walking order (replaces the stops)"})

    @post_load
    def _tour(self, data: dict, **kwargs) -> TourInput:
        return _tour_input(data)


def _tour_input(data: dict) -> TourInput:
    """A TourInput of the loaded ``data``: a theme of null is no theme, the editable fields
    it does not name stay as they are."""
    values: dict[str, Any] = {name: data[name] for name in EDITABLE if name in data}
    if "theme" in values:
        values["theme"] = values["theme"] or ""
    return TourInput(**values, stops=data.get("stops"),
                     unchanged=frozenset(name for name in EDITABLE if name not in data))


class TourCreateSchema(TourFieldsSchema):
    title = fields.String(required=True)


@dataclass
class TourEdit:
    """A PATCH of a tour: the fields it changes and the version it started from."""

    tour: TourInput
    version: int


class TourEditSchema(TourFieldsSchema):
    version = Whole(_BAD_VERSION, required=True,
                    metadata={"description": "the version you edited"})
    title = fields.String()

    @post_load
    def _tour(self, data: dict, **kwargs) -> TourEdit:
        version = data.pop("version")
        return TourEdit(tour=_tour_input(data), version=version)


class VersionSchema(Strict):
    version = Whole(_BAD_VERSION, required=True)


class OrderSchema(VersionSchema):
    order = fields.List(Whole(_BAD_ORDER), required=True, metadata={
        "description": "every stop's place id, each once, in the new order"})


class SuggestSchema(Strict):
    keep_start = fields.Boolean(load_default=False)
    keep_end = fields.Boolean(load_default=False)
    order = fields.List(Whole(_NOT_A_PLACE), metadata={
        "description": "the order to improve (default: the tour's stops as saved)"})


class TransitionSchema(VersionSchema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS), metadata={
        "description": "submit (author: ask for review), publish (curator; also publishes "
        "waiting changes of a published tour), retire (curator), discard (drop waiting "
        "changes), return (curator: send a tour in review back to its author)"})
    message = fields.String(load_default="", metadata={
        "description": "for return: what the author should change"})


class DrawnRouteSchema(VersionSchema):
    geometry = fields.Dict(required=True, metadata={
        "description": "a GeoJSON LineString (lon, lat) inside the service area"})


class RouteResetArgs(Schema):
    """Query arguments: other arguments (a cache breaker) are ignored, as for every query."""

    version = Whole(_BAD_VERSION, required=True)


# --- the editor's forms -----------------------------------------------------------------------


def _form_data(form) -> dict:
    """The editor's form (a MultiDict) in the API's shape: every field, the stops as a list
    (only when the form shows them: ``stops_present``, or any ``stop_place``)."""
    data: dict[str, Any] = {
        name: form.get(name, "") for name in ("title", "intro", "theme", "language",
                                              "accessibility")
    }
    data["cover_media_id"] = form.get("cover_media_id") or None
    places = form.getlist("stop_place")
    if "stops_present" in form or places:
        notes, access = form.getlist("stop_note"), form.getlist("stop_access")
        dwell = form.getlist("stop_dwell")
        featured = _featured_by_place(form.getlist("stop_featured"))
        data["stops"] = [
            {"place_id": place,
             "transition_note": notes[i] if i < len(notes) else "",
             "accessibility": access[i] if i < len(access) else "",
             "dwell_min": dwell[i] if i < len(dwell) else DEFAULT_DWELL_MIN,
             "featured_story_ids": featured.get(str(place).strip(), [])}
            for i, place in enumerate(places)
        ]
    return data


def _featured_by_place(values: list[str]) -> dict[str, list[str]]:
    """The editor's featured-story choices (``stop_featured``: "<place id>:<story id>" per
    chosen slot, "" for an empty slot, in slot order) as each stop's list of story ids, by
    place id as sent. A choice at a place that is no stop any more is dropped with its stop;
    a story id that is no number goes on to the schema, which refuses it."""
    out: dict[str, list[str]] = {}
    for value in values:
        if not value:
            continue
        place, _sep, story = value.partition(":")
        out.setdefault(place.strip(), []).append(story.strip())
    return out


def _by_field(messages: dict) -> dict[str, list[str]]:
    """The schema's messages, one entry per form field: a stop's are the ``stops`` field's."""
    out: dict[str, list[str]] = {}
    for name, problem in messages.items():
        texts = _texts(problem)
        out.setdefault(str(name), [])
        out[str(name)] += [t for t in texts if t not in out[str(name)]]
    return out


def _texts(problem) -> list[str]:
    if isinstance(problem, dict):
        return [t for value in problem.values() for t in _texts(value)]
    if isinstance(problem, list | tuple):
        return [t for value in problem for t in _texts(value)]
    return [str(problem)]


_TOUR_FORM = TourCreateSchema()


def tour_from_form(form) -> TourInput:
    """The tour the editor's form sends. Raises ``FormErrors`` (each field's messages; a
    stop's under ``stops``) when a field is not acceptable."""
    try:
        return _TOUR_FORM.load(_form_data(form))
    except SchemaError as exc:
        raise FormErrors(_by_field(exc.normalized_messages())) from None


def typed_tour(form) -> TourInput:
    """What the editor's form sends, for showing it again after a refusal: a field the
    schema refuses is left empty, a stop it refuses is left out."""
    data = _form_data(form)
    try:
        return _TOUR_FORM.load(data)
    except SchemaError as exc:
        messages = exc.normalized_messages()
    for name, problem in messages.items():
        if name == "stops" and isinstance(problem, dict):
            data["stops"] = [s for i, s in enumerate(data["stops"]) if i not in problem]
        else:
            data[name] = None if name == "cover_media_id" else ""
    return _TOUR_FORM.load(data)


_VERSION = Whole(_BAD_VERSION, allow_none=True)


def version_from_form(form) -> int | None:
    """The version a form's edit started from; None when the form has none (a new tour)."""
    raw = form.get("version") or None
    try:
        return _VERSION.deserialize(raw)
    except SchemaError as exc:
        raise FormErrors({"version": exc.messages}) from None


def order_from_form(form) -> list[int]:
    """The new order the order form sends (``order``: every stop's place id, in order)."""
    field = Whole(_BAD_ORDER)
    try:
        return [field.deserialize(value) for value in form.getlist("order")]
    except SchemaError as exc:
        raise FormErrors({"order": exc.messages}) from None


_SUGGEST = SuggestSchema()


def suggestion_from_form(values) -> dict:
    """What the editor's "suggest an order" form asks, as ``SuggestSchema`` loads it:
    ``keep_start``, ``keep_end`` (ticked or not) and, when sent, ``order``, the place ids in
    the order shown (``place``; else the tour's order as saved)."""
    data: dict[str, Any] = {"keep_start": bool(values.get("keep_start")),
                            "keep_end": bool(values.get("keep_end"))}
    if "place" in values:
        data["order"] = values.getlist("place")
    try:
        return _SUGGEST.load(data)
    except SchemaError as exc:
        raise FormErrors(_by_field(exc.normalized_messages())) from None


def drawn_route_from_form(form) -> dict:
    """The route drawn on the editor's map: a GeoJSON geometry sent as JSON text."""
    try:
        geometry = json.loads(form.get("route", ""))
    except ValueError:
        raise FormErrors({"route": [_("The drawn route could not be read.")]}) from None
    if not isinstance(geometry, dict):
        raise FormErrors({"route": [_("Draw the route as one line.")]})
    return geometry
