"""A contribution as a request carries it: one schema for the /contribute page, its edit
page and ``POST /api/v1/places`` (which documents its request body with it).

The schema checks the shape of every field (lengths, numbers, choices, licence codes, the
era's grammar, the number of photos and of their licences) and loads a ``ContributionInput``
with the files as ``Upload``s; what needs the database, the service area or the user's role
(themes that exist, the position, duplicates, consent, photos that decode) is the service's.
A refusal is a ``FormErrors`` with every field's message, answered by the boundary as for a
service's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, fields, post_load, validates_schema
from marshmallow import ValidationError as SchemaError

from app.errors import DomainError, FormErrors, errors_by_field
from app.inputs.base import refuse_unknown
from app.models.story import MAX_BODY, MAX_TITLE
from app.services.contribute import ON_BEHALF_METHODS, ContributionInput, Upload
from app.services.media import setting
from app.services.place_rules import story_era

MAX_NAME = 120  # a credit or a storyteller's name; longer ones are cut, not refused
_YES = {"1", "true", "yes", "on"}
# Fields whose refusal the page and the API show at the position widget, not at the field.
_SHOWN_AS = {"lon": "position", "lat": "position", "accuracy": "position"}


class Flag(fields.Boolean):
    """A checkbox: "1", "true", "yes" or "on" (any case) is yes, anything else no. A form
    sends nothing for an unticked box, so a word it does not know is no, not an error."""

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        return str(value).strip().lower() in _YES


class Number(fields.Float):
    """A finite number; an empty value is none."""

    def _deserialize(self, value, attr, data, **kwargs) -> float | None:
        if value in ("", None):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise SchemaError(_("This is not a number.")) from None
        if not math.isfinite(number):
            raise SchemaError(_("This is not a number."))
        return number


class Line(fields.String):
    """One line of text: runs of white space become one space. ``required`` is the message
    for an empty line; longer than ``max_length`` is refused, or cut when ``cut``."""

    def __init__(self, *, max_length: int, required_message=None, cut: bool = False, **kw):
        super().__init__(**kw)
        self.max_length, self.required_message, self.cut = max_length, required_message, cut

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        line = " ".join(super()._deserialize(value, attr, data, **kwargs).split())
        if not line and self.required_message:
            raise SchemaError(str(self.required_message))
        if len(line) > self.max_length:
            if not self.cut:
                raise SchemaError(_("Use at most %(n)d characters.", n=self.max_length))
            line = line[: self.max_length]
        return line


class Story(fields.String):
    """The story's text: kept as typed, without surrounding space and with ``\\n`` lines."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().replace("\r\n", "\n")
        if len(text) > MAX_BODY:
            raise SchemaError(_("Use at most %(n)d characters.", n=MAX_BODY))
        return text


class Choice(fields.String):
    """One of ``choices()`` (read when a request is loaded: they come from the settings) or
    empty; ``message`` says what to do instead."""

    def __init__(self, choices, message, **kw):
        super().__init__(**kw)
        self.choices, self.message = choices, message

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        if value and value not in self.choices():
            raise SchemaError(str(self.message))
        return value


def _licences():
    return tuple(setting("MEDIA_LICENCES"))


class Licence(Choice):
    """A media licence from the configured short list, or empty for the default."""

    def __init__(self, **kw):
        super().__init__(_licences, lazy_gettext("Choose one of the offered licences."), **kw)


class Era(fields.String):
    """A story's "when was this?" in ``geo.era``'s grammar (a year or a decade)."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        value = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            story_era(value)
        except DomainError as exc:
            raise SchemaError(exc.message) from None
        return value


class ConsentDate(fields.Date):
    """The day the storyteller gave their consent: not in the future; empty is none."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("", None):
            return None
        try:
            day = super()._deserialize(value, attr, data, **kwargs)
        except SchemaError:
            raise SchemaError(_("Give the date the consent was given.")) from None
        if day > datetime.now(UTC).date():
            raise SchemaError(_("The date of consent cannot be in the future."))
        return day


class Themes(fields.String):
    """Theme slugs, comma-separated (the page's checkboxes are joined the same way)."""

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        text = super()._deserialize(value, attr, data, **kwargs)
        return [slug.strip() for slug in text.split(",") if slug.strip()]


def _binary(**kw):
    return fields.Raw(metadata={"type": "string", "format": "binary"}, **kw)


class ContributionForm(Schema):
    """multipart/form-data fields (files: ``photo`` repeatable, ``audio``, ``consent_scan``).

    Each photo may carry its own licence: repeat ``photo_licences`` once per photo, in the
    order of the ``photo`` parts; without it ``photo_licence`` applies to every photo."""

    class Meta:
        unknown = EXCLUDE  # the page's CSRF token and idempotency key, a client's extras

    title = Line(required=True, max_length=MAX_TITLE,
                 required_message=lazy_gettext("Give the place a title."),
                 error_messages={"required": lazy_gettext("Give the place a title.")},
                 metadata={"description": "1 to 140 characters"})
    body = Story(load_default="", metadata={"description": "the story, Markdown"})
    lon = Number(load_default=None, metadata={"description": "WGS 84 longitude"})
    lat = Number(load_default=None, metadata={"description": "WGS 84 latitude"})
    accuracy = Number(load_default=None,
                      metadata={"description": "the position's accuracy in metres"})
    position_from_photo = Flag(load_default=False, metadata={
        "description": "without lon/lat: the first photo's EXIF GPS is the position"})
    position_source = fields.String(load_default="",
                                    metadata={"description": "gps, photo or map"})
    themes = Themes(load_default=list, metadata={"description": "comma-separated theme slugs"})
    era = Era(load_default="", metadata={"description": "a year (1965) or a decade (1960s)"})
    language = Choice(lambda: current_app.config["LANGUAGES"],
                      lazy_gettext("Choose one of the offered languages."),
                      load_default="", metadata={"description": "de or en"})
    licence_consent = Flag(
        required=True,
        error_messages={"required": lazy_gettext(
            "Please agree to the licences so that your story can be published.")},
        metadata={"description": "place data CC0, story CC BY-SA 4.0, media as chosen"},
    )
    credit_name = Line(max_length=MAX_NAME, cut=True, load_default="",
                       metadata={"description": "name to credit (default: yours)"})
    photo_licence = Licence(load_default="", metadata={
        "description": "licence of every photo without one of its own: CC-BY-SA-4.0, "
        "CC-BY-4.0 or CC0-1.0 (default: the site's default media licence)",
        "example": "CC-BY-SA-4.0"})
    photo_licences = fields.List(Licence(), load_default=list, metadata={
        "description": "one licence per photo, in the order of the photo parts (repeat the "
        "field; an empty value takes photo_licence). A different count than photos, or a "
        "licence not offered, is refused with 422 and nothing is stored.",
        "example": ["CC-BY-4.0", "CC0-1.0"]})
    photo_caption = fields.String(load_default="",
                                  metadata={"description": "a caption for the photos"})
    audio_licence = Licence(load_default="",
                            metadata={"description": "CC-BY-SA-4.0, CC-BY-4.0, CC0-1.0"})
    not_duplicate = Flag(load_default=False, metadata={
        "description": "confirm that the published places within 50 m are other places"})
    author_name = Line(max_length=MAX_NAME, cut=True, load_default="",
                       metadata={"description": "curators/helpers: the storyteller"})
    consent_method = Choice(lambda: ON_BEHALF_METHODS,
                            lazy_gettext("Say how the person gave their consent."),
                            load_default="",
                            metadata={"description": "paper_form, spoken or email"})
    consent_date = ConsentDate(load_default=None)
    photo = fields.List(_binary(), load_default=list, metadata={
        "description": "photos (repeat the part), up to MAX_PHOTOS (8 by default)"})
    audio = _binary(load_default=None)
    consent_scan = _binary(load_default=None)

    @validates_schema(skip_on_field_errors=False)
    def _counts(self, data, **kwargs):
        photos = data.get("photo", [])
        if len(photos) > setting("MAX_PHOTOS"):
            raise SchemaError(_("Add at most %(n)d photos.", n=setting("MAX_PHOTOS")),
                              field_name="photo")
        licences = data.get("photo_licences")
        if licences and len(licences) != len(photos):
            raise SchemaError(
                _("Give one licence for each photo, in the order of the photos (or none, "
                  "and the photos' licence applies to all of them)."),
                field_name="photo_licences",
            )

    def handle_error(self, error: SchemaError, data, **kwargs):
        # One entry per field as the page and the API name them: "photo_licences.1" (the
        # second photo's) is shown at photo_licences, each message once.
        messages: dict[str, list[str]] = {}
        for name, texts in errors_by_field(error).items():
            shown = messages.setdefault(_SHOWN_AS.get(name, name.split(".")[0]), [])
            shown.extend(text for text in texts if text not in shown)
        raise FormErrors(messages)

    @post_load
    def _input(self, data, **kwargs) -> ContributionInput:
        default_licence = current_app.config["DEFAULT_MEDIA_LICENCE"]
        return ContributionInput(
            title=data["title"], body=data["body"], lon=data["lon"], lat=data["lat"],
            accuracy_m=data["accuracy"], position_source=data["position_source"],
            position_from_photo=data["position_from_photo"], themes=data["themes"],
            era=data["era"],
            language=data["language"] or current_app.config["DEFAULT_LOCALE"],
            licence_consent=data.get("licence_consent", False),
            credit_name=data["credit_name"], photos=data["photo"],
            photo_licence=data["photo_licence"] or default_licence,
            photo_licences=data["photo_licences"], photo_caption=data["photo_caption"],
            audio=data["audio"], audio_licence=data["audio_licence"] or default_licence,
            not_duplicate=data["not_duplicate"], author_name=data["author_name"],
            consent_method=data["consent_method"], consent_date=data["consent_date"],
            consent_scan=data["consent_scan"],
        )


@dataclass
class ContributionEdit:
    """An edit of one's own pending contribution: the same fields, the version the edit
    started from and the media to remove."""

    contribution: ContributionInput
    version: int = 0
    remove_media: list[int] = field(default_factory=list)


class ContributionEditForm(ContributionForm):
    """The edit page's fields: the licences were agreed to when the place was contributed."""

    licence_consent = Flag(load_default=False)
    version = fields.Integer(load_default=0, error_messages={
        "invalid": lazy_gettext("This is not a number.")})
    remove_media = fields.List(fields.Integer(), load_default=list)

    @post_load
    def _input(self, data, **kwargs) -> ContributionEdit:
        version, remove = data.pop("version"), data.pop("remove_media")
        return ContributionEdit(super()._input(data, **kwargs), version, remove)


_REPEATED = ("themes", "photo_licences", "remove_media")
_FILES = ("audio", "consent_scan")


def _fields(form, files) -> dict:
    """The request's parts as the schema reads them (``form``/``files`` are werkzeug
    MultiDicts): repeated fields as lists, files read into ``Upload``s, the theme
    checkboxes joined as the API sends them."""
    data: dict = {name: form.get(name) for name in form if name not in _REPEATED}
    if "themes" in form:
        data["themes"] = ",".join(form.getlist("themes"))
    if "photo_licences" in form:
        data["photo_licences"] = [value.strip() for value in form.getlist("photo_licences")]
    # The edit page's checkboxes; a value that is not an id names no medium of the place.
    data["remove_media"] = [int(v) for v in form.getlist("remove_media") if v.isdigit()]
    data["photo"] = [_upload(f) for f in files.getlist("photo") if f and f.filename]
    for name in _FILES:
        if (f := files.get(name)) and f.filename:
            data[name] = _upload(f)
    return data


def _upload(storage) -> Upload:
    return Upload(filename=storage.filename or "", data=storage.read())


class SimilarQuery(Schema):
    """``GET /contribute/similar``: the hint while typing asks with a title and a position."""

    class Meta:
        unknown = EXCLUDE

    title = fields.String(load_default="")
    lon = Number(load_default=None)
    lat = Number(load_default=None)


def similar_query(args) -> tuple[str, float, float] | None:
    """(title, lon, lat) from the hint's query string; None without a usable position (the
    hint then shows nothing rather than an error)."""
    try:
        query = SimilarQuery().load(dict(args.items()))
    except SchemaError:
        return None
    if query["lon"] is None or query["lat"] is None:
        return None
    return query["title"], query["lon"], query["lat"]


def contribution_from(form, files) -> ContributionInput:
    """A new contribution from a page's or an API client's multipart request; raises
    ``FormErrors`` naming every refused field."""
    return ContributionForm().load(_fields(form, files))


# Sent by the contribution page's form, which an API client may post as it is: the API takes
# the idempotency key as a header, and cookie sessions send the CSRF token as one too.
_FORM_EXTRAS = {"csrf_token", "idempotency_key"}


def api_contribution_from(form, files) -> ContributionInput:
    """``contribution_from`` for ``POST /api/v1/places``: a field the request does not take
    is refused, named, rather than dropped (a client's typo would lose what it meant)."""
    known = {f.data_key or name for name, f in ContributionForm().load_fields.items()}
    try:
        refuse_unknown(set(form) | set(files), known | _FORM_EXTRAS)
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc
    return contribution_from(form, files)


def contribution_edit_from(form, files) -> ContributionEdit:
    """An edit of a pending contribution from the edit page's request (``FormErrors`` as
    ``contribution_from``)."""
    return ContributionEditForm().load(_fields(form, files))
