"""A story's input, one schema for the add-your-memory page and the API's story endpoints:
a new story with its photos and recording, an edit, a curator's review. Shapes checked
here; the rules (era, language, licence, consent, files that decode) in
``app.services.stories`` and ``app.services.story_media``."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import ValidationError as SchemaError
from marshmallow import fields, post_load, pre_load, validate, validates_schema

from app.errors import FormErrors, errors_by_field
from app.inputs.base import Strict
from app.inputs.contribution import Flag, Licence
from app.inputs.edits import EditFieldsSchema
from app.inputs.moderation import ReviewSchema
from app.models.statuses import StoryKind
from app.models.story import MAX_TITLE
from app.services.contribute import Upload
from app.services.media import setting
from app.services.stories import StoryInput, era_text
from app.services.story_media import MAX_TRANSCRIPT, StoryUpload

MAX_NAME = 120
MAX_CAPTION = 2000


def _text(value):
    return value.strip().replace("\r\n", "\n") if isinstance(value, str) else value


class StorySchema(Strict):
    """A new story at a place, or an edit of one (then ``licence_consent`` is not needed)."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE))
    body = fields.String(load_default="")
    kind = fields.String(load_default=StoryKind.MEMORY.value,
                         validate=validate.OneOf([k.value for k in StoryKind]))
    language = fields.String(load_default="")
    era = fields.String(load_default="")
    licence = fields.String(load_default="")
    credit_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    licence_consent = fields.Boolean(load_default=False)
    author_name = fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    consent_method = fields.String(load_default="")
    consent_date = fields.Date(load_default=None, allow_none=True)

    @pre_load
    def _normalise(self, data, **kwargs):
        data = {k: _text(v) for k, v in dict(data).items()}
        if data.get("consent_date") == "":
            data["consent_date"] = None
        if data.get("kind") == "":
            data.pop("kind")
        return data

    @post_load
    def _story(self, data: dict, **kwargs) -> StoryInput:
        return StoryInput(**data)


# --- a new story with its files (the add-a-story page, POST /api/v1/places/<id>/stories) ---

_REPEATED = ("photo_licences", "photo_captions")
# Sent by the page's form, which an API client may post as it is: the API takes the key as a
# header, and cookie sessions send the CSRF token as one too.
_FORM_EXTRAS = {"csrf_token", "idempotency_key"}


def _binary(**kw):
    metadata = {"type": "string", "format": "binary", **kw.pop("metadata", {})}
    return fields.Raw(metadata=metadata, **kw)


class StoryUploadForm(StorySchema):
    """multipart/form-data: the story's fields and its files (``photo`` repeatable, up to
    MAX_PHOTOS; ``audio`` one recording with its ``transcript``).

    Each photo may carry its own caption (its text alternative for people who cannot see
    it) and licence: repeat ``photo_captions`` and ``photo_licences`` once per photo, in the
    order of the ``photo`` parts; without them ``photo_caption`` and ``photo_licence``
    apply to every photo."""

    # A form sends nothing for an unticked box; the service names the missing consent.
    licence_consent = Flag(load_default=False, metadata={
        "description": "1: I may publish this story and agree to its licence"})
    photo = fields.List(_binary(), load_default=list, metadata={
        "description": "photos (repeat the part): JPEG, PNG, WebP or HEIC; re-encoded "
        "without metadata for the public"})
    photo_caption = fields.String(load_default="", validate=validate.Length(max=MAX_CAPTION),
                                  metadata={"description": "caption and text alternative of "
                                            "the photos without one of their own"})
    photo_captions = fields.List(fields.String(validate=validate.Length(max=MAX_CAPTION)),
                                 load_default=list, metadata={
        "description": "one caption per photo, in the order of the photo parts (repeat the "
        "field; an empty value takes photo_caption)"})
    photo_licence = Licence(load_default="", metadata={
        "description": "licence of the photos without one of their own (default: the "
        "site's default media licence)", "example": "CC-BY-SA-4.0"})
    photo_licences = fields.List(Licence(), load_default=list, metadata={
        "description": "one licence per photo, in the order of the photo parts (repeat the "
        "field; an empty value takes photo_licence)"})
    audio = _binary(load_default=None, metadata={
        "description": "a recording: m4a, mp3, ogg, webm or wav; re-encoded without "
        "metadata"})
    audio_licence = Licence(load_default="")
    transcript = fields.String(load_default="", validate=validate.Length(max=MAX_TRANSCRIPT),
                               metadata={"description": "what the recording says: its text "
                                         "alternative for people who cannot hear it"})

    @validates_schema(skip_on_field_errors=False)
    def _counts(self, data, **kwargs):
        photos = data.get("photo", [])
        if len(photos) > setting("MAX_PHOTOS"):
            raise SchemaError(_("Add at most %(n)d photos.", n=setting("MAX_PHOTOS")),
                              field_name="photo")
        for name in _REPEATED:
            given = data.get(name)
            if given and len(given) != len(photos):
                raise SchemaError(_("Give one value for each photo, in the order of the "
                                    "photos (or none)."), field_name=name)

    @post_load
    def _story(self, data: dict, **kwargs) -> StoryUpload:
        files = {name: data.pop(name) for name in (
            "photo", "photo_caption", "photo_captions", "photo_licence", "photo_licences",
            "audio", "audio_licence", "transcript")}
        default = current_app.config["DEFAULT_MEDIA_LICENCE"]
        return StoryUpload(
            story=StoryInput(**data), photos=files["photo"],
            photo_caption=files["photo_caption"], photo_captions=files["photo_captions"],
            photo_licence=files["photo_licence"] or default,
            photo_licences=files["photo_licences"], audio=files["audio"],
            audio_licence=files["audio_licence"] or default,
            transcript=files["transcript"])


def _parts(form, files) -> dict:
    data: dict = {name: form.get(name) for name in form if name not in _REPEATED}
    for name in _REPEATED:
        if name in form:
            data[name] = form.getlist(name)
    data["photo"] = [_upload(f) for f in files.getlist("photo") if f and f.filename]
    if (f := files.get("audio")) and f.filename:
        data["audio"] = _upload(f)
    return data


def _upload(storage) -> Upload:
    return Upload(filename=storage.filename or "", data=storage.read())


def story_upload_from(form, files, *, page: bool = False) -> StoryUpload:
    """A new story with its files from a multipart request (werkzeug MultiDicts); raises
    ``FormErrors`` naming every refused field ("photo_licences.1" is named
    ``photo_licences``). The page's form also carries its CSRF token and idempotency key;
    from an API client any field the request does not take is refused, named."""
    data = _parts(form, files)
    if page:
        data = {k: v for k, v in data.items() if k not in _FORM_EXTRAS}
    else:
        for name in _FORM_EXTRAS:
            data.pop(name, None)
        unknown = set(files) - {"photo", "audio"}
        if unknown:
            data.update(dict.fromkeys(unknown, ""))  # named by the strict check
    try:
        return StoryUploadForm().load(data)
    except SchemaError as exc:
        messages: dict[str, list[str]] = {}
        for name, texts in errors_by_field(exc).items():
            shown = messages.setdefault(name.split(".")[0], [])
            shown.extend(t for t in texts if t not in shown)
        raise FormErrors(messages) from exc


# --- an edit (PATCH /api/v1/stories/<id>) and a curator's review ---------------------------


class StoryEditSchema(Strict):
    """The fields an edit changes (the others keep their value) and the version it started
    from."""

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE))
    body = fields.String()
    kind = fields.String(validate=validate.OneOf([k.value for k in StoryKind]))
    language = fields.String(metadata={"example": "de"})
    era = fields.String(metadata={"description": "a year (1965), a decade (1960s), about a "
                                  "year (ca. 1965) or a range (1900/1950); empty: unknown"})
    licence = fields.String(metadata={"example": "CC-BY-SA-4.0"})
    credit_name = fields.String(validate=validate.Length(max=MAX_NAME))
    version = fields.Integer(required=True, strict=True, metadata={
        "description": "the story's version the edit started from (GET /api/v1/stories/{id} "
        "as its author or a curator)"})

    @pre_load
    def _normalise(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        return {k: _text(v) for k, v in data.items()}


def edit_of(story, changes: dict) -> StoryInput:
    """``story`` as a StoryInput with the edit's ``changes`` (StoryEditSchema's data but
    ``version``) applied: a PATCH names only what it changes."""
    current = StoryInput(title=story.title, body=story.body, kind=story.kind,
                         language=story.language, era=era_text(story), licence=story.licence)
    return replace(current, **{k: v for k, v in changes.items() if k != "version"})


class StoryReviewSchema(ReviewSchema):
    """A curator's decision on one story, on the story version they looked at."""

    version = fields.Integer(required=True, error_messages={
        "invalid": lazy_gettext("The version must be a whole number."),
        "required": lazy_gettext("The version must be a whole number.")},
        metadata={"description": "the story version you reviewed"})
    changes = fields.Nested(EditFieldsSchema, metadata={
        "description": "approve only: title, body, era or language corrected first (the "
        "correction is the curator's own revision of the story)"})
