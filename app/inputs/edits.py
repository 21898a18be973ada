"""An edit of a place as a request carries it: one schema for the edit page
(/places/<id>/edit), ``PATCH /api/v1/places/<id>`` (which documents its body with it) and a
curator's corrections while approving.

The schema checks the shape of every field (text, numbers, a list of theme slugs, yes / no /
unknown) and loads the service's ``EditInput``; the fields a request does not name are listed
in ``EditInput.unchanged`` and keep their value (a PATCH names only what it changes). What
needs the database or the settings (lengths, the era's grammar, the service area, themes and
languages that exist) is the service's (services/revisions.py). The API refuses a field it
does not take (``status``, ``author_id``, …) with 422 naming each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, fields, post_load
from marshmallow import ValidationError as SchemaError

from app.errors import FormErrors, errors_by_field
from app.inputs.base import Strict
from app.services.revisions import EDIT_FIELDS, EditInput

_YES = {"1", "true", "yes", "on"}
_NO = {"0", "false", "no", "off"}
_NOT_A_NUMBER = lazy_gettext("This is not a number.")
_YES_NO_UNKNOWN = lazy_gettext("Say yes, no or unknown.")


class Number(fields.Float):
    """A finite number (a form sends it as text); its refusal reads "This is not a number."."""

    def __init__(self, **kw):
        super().__init__(allow_nan=False, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except SchemaError:
            raise SchemaError(str(_NOT_A_NUMBER)) from None


class YesNoUnknown(fields.Field):
    """Step-free access: yes, no, or not known (empty, null or "unknown")."""

    def __init__(self, **kw):
        super().__init__(allow_none=True, **kw)

    def _deserialize(self, value, attr, data, **kwargs) -> bool | None:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in ("", "unknown"):
            return None
        if word in _YES:
            return True
        if word in _NO:
            return False
        raise SchemaError(str(_YES_NO_UNKNOWN))


class Slugs(fields.Field):
    """Theme slugs: a list (JSON, a form's repeated field) or one comma-separated text."""

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise SchemaError(str(lazy_gettext("Choose themes from the list.")))
        return [s.strip() for item in items for s in str(item).split(",") if s.strip()]


class EditFieldsSchema(Schema):
    """The fields of a place an edit may change, and why (for the history)."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String()
    summary = fields.String()
    body = fields.String(metadata={"description": "Markdown"})
    lon = Number()
    lat = Number()
    era = fields.String(metadata={"description": "1965, 1960s or empty"})
    language = fields.String()
    themes = Slugs(metadata={"description": "theme slugs (a list)"})
    step_free = YesNoUnknown(metadata={"description": "true, false or null (not known)"})
    message = fields.String(metadata={"description": "why (shown in the history)"})

    @post_load
    def _edit(self, data: dict, **kwargs) -> EditInput:
        return edit_of(data)


def edit_of(data: dict) -> EditInput:
    """An EditInput of loaded ``data``: the fields it does not name stay as they are."""
    return EditInput(**{k: v for k, v in data.items() if k in EDIT_FIELDS or k == "message"},
                     unchanged=frozenset(name for name in EDIT_FIELDS if name not in data))


@dataclass
class PlaceEdit:
    """A PATCH of a place: the edit and the version it started from (None: If-Match)."""

    edit: EditInput
    version: int | None


class PlaceEditSchema(Strict, EditFieldsSchema):
    """``PATCH /api/v1/places/<id>``: only the fields an edit may change, and ``version``."""

    version = fields.Integer(metadata={"description": "the version you edited (required "
                                       "unless If-Match carries the place's ETag)"})

    @post_load
    def _edit(self, data: dict, **kwargs) -> PlaceEdit:
        version = data.pop("version", None)
        return PlaceEdit(edit=edit_of(data), version=version)


# Refusals the edit page shows at the position widget, not at the field.
_SHOWN_AS = {"lon": "position", "lat": "position"}


def edit_from_form(form) -> EditInput:
    """The edit page's form (a MultiDict) as an EditInput. Every field is on the page, so
    none stays unchanged; unticked theme boxes are not sent, so no ``themes`` means none."""
    data = {name: form.get(name) for name in EditFieldsSchema._declared_fields if name in form}
    data["themes"] = form.getlist("themes")
    return load_edit(data)


def load_edit(data: dict) -> EditInput:
    """``data`` (a form's fields, or a curator's corrections) as an EditInput; a refusal is a
    ``FormErrors`` naming each field (the position for lon and lat)."""
    try:
        return EditFieldsSchema().load(data)
    except SchemaError as exc:
        errors: dict[str, list[str]] = {}
        for name, messages in errors_by_field(exc).items():
            errors.setdefault(_SHOWN_AS.get(name, name), []).extend(messages)
        raise FormErrors(errors) from exc
