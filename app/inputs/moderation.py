"""A curator's decisions as a request carries them: one schema per input for the curator
pages (app/web/curate.py) and the moderation API (app/api/moderation.py, which documents its
request bodies with them): a review, a merge, a restore, a resolution of reports, a reply
template.

The schemas check the shape (choices, whole numbers, corrections before approving as an
``EditInput``) and load typed inputs; what needs the database (the item still waits, the
version is current, the target is public, a template name is free) is the service's. The
API refuses a field it does not take (422, naming it); a page's form carries more (its CSRF
token, the queue's filters), which ``from_form`` leaves aside. A page's refusal is a
``FormErrors`` naming each field, answered by the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, fields, post_load, pre_load, validate
from marshmallow import ValidationError as SchemaError

from app.inputs.base import from_form
from app.inputs.edits import EditFieldsSchema, load_edit
from app.models.moderation import FLAG_REASONS
from app.services.audit import LogFilter
from app.services.flags import MAX_MESSAGE as MAX_REPORT
from app.services.flags import RESOLUTIONS
from app.services.moderation import DECISIONS, REASON_CODES
from app.services.revisions import EditInput

_BAD_VERSION = lazy_gettext("The version must be a whole number.")
_NOT_PUBLISHED = lazy_gettext("Merge into a published place.")
# What a curator may correct on the item page before approving (the rest stays as sent).
CORRECTABLE = ("title", "summary", "body", "lon", "lat", "era")


def _version(**kw) -> fields.Integer:
    return fields.Integer(error_messages={"invalid": _BAD_VERSION, "required": _BAD_VERSION},
                          **kw)


class _Base(Schema):
    @pre_load
    def _blank_is_none(self, data, **kwargs):
        # A form's empty choice ("no reason", "any") means none, as a JSON null does.
        if not isinstance(data, dict):
            return data
        return {k: (None if v == "" and k in ("reason", "reason_code") else v)
                for k, v in data.items()}


@dataclass
class Review:
    """Approve, reject (with a reason code) or ask for changes, on the version looked at."""

    decision: str
    message: str = ""
    reason: str | None = None
    version: int | None = None
    changes: EditInput | None = None


class ReviewSchema(_Base):
    decision = fields.String(required=True, validate=validate.OneOf(
        DECISIONS, error=lazy_gettext("Choose approve, reject or ask for changes.")))
    message = fields.String(load_default="", metadata={"description": "to the contributor"})
    reason = fields.String(allow_none=True, validate=validate.OneOf(
        list(REASON_CODES), error=lazy_gettext("Unknown reason.")),
        metadata={"description": "required for reject"})
    version = _version(required=True,
                       metadata={"description": "the place version you reviewed"})
    changes = fields.Nested(EditFieldsSchema, metadata={
        "description": "approve only: fields corrected first (title, summary, body, lon, lat, "
        "era, themes, …)"})

    @post_load
    def _review(self, data: dict, **kwargs) -> Review:
        return Review(**data)


class MediaReviewSchema(ReviewSchema):
    decision = fields.String(required=True, validate=validate.OneOf(
        ("approve", "reject"), error=lazy_gettext("A photo or recording is approved or "
                                                  "rejected.")))
    class Meta:
        exclude = ("changes", "version")


class ReviewFormSchema(ReviewSchema):
    """The item page's decision form: without a version it decides on what is current."""

    version = _version(load_default=None, allow_none=True)


@dataclass
class Merge:
    """Merge a duplicate into the public place ``into``."""

    into: int
    message: str = ""
    version: int | None = None


class MergeSchema(_Base):
    into = fields.Integer(required=True, metadata={"description": "id of the public place"},
                          error_messages={"invalid": _NOT_PUBLISHED, "required": _NOT_PUBLISHED})
    message = fields.String(load_default="")
    version = _version(required=True)

    @post_load
    def _merge(self, data: dict, **kwargs) -> Merge:
        return Merge(**data)


class MergeFormSchema(MergeSchema):
    """The item page's merge form: without a version it merges what is current."""

    version = _version(load_default=None, allow_none=True)


@dataclass
class Restore:
    """Make an earlier revision current again, from the version looked at."""

    version: int
    message: str = ""


class RestoreSchema(_Base):
    version = _version(required=True)
    message = fields.String(load_default="")

    @post_load
    def _restore(self, data: dict, **kwargs) -> Restore:
        return Restore(**data)


@dataclass
class Resolution:
    """Resolve every open report on the same content."""

    resolution: str
    message: str = ""


class ResolveSchema(_Base):
    resolution = fields.String(required=True, validate=validate.OneOf(
        RESOLUTIONS, error=lazy_gettext("Choose dismiss, edit, hide or remove.")))
    message = fields.String(load_default="")

    @post_load
    def _resolution(self, data: dict, **kwargs) -> Resolution:
        return Resolution(**data)


@dataclass
class ReplyTemplateInput:
    """A reply template: its name, the text, and the reason it answers (or any)."""

    name: str
    body: str
    reason_code: str | None = None


class ReplyTemplateSchema(_Base):
    name = fields.String(load_default="")
    body = fields.String(load_default="")
    reason_code = fields.String(allow_none=True, load_default=None)

    @post_load
    def _template(self, data: dict, **kwargs) -> ReplyTemplateInput:
        return ReplyTemplateInput(**data)


@dataclass
class Report:
    """A report about a public place, a photo or recording, or a reply (exactly one)."""

    reason: str
    place_id: int | None = None
    media_id: int | None = None
    reply_id: int | None = None
    message: str = ""


class ReportSchema(_Base):
    """A report, from anyone: the API's ``POST /api/v1/flags`` and the place page's form."""

    place_id = fields.Integer()
    media_id = fields.Integer()
    reply_id = fields.Integer(metadata={"description": "a public reply on a story"})
    reason = fields.String(required=True, validate=validate.OneOf(
        FLAG_REASONS, error=lazy_gettext("Choose what is wrong.")))
    message = fields.String(load_default="", validate=validate.Length(max=MAX_REPORT))

    @post_load
    def _report(self, data: dict, **kwargs) -> Report:
        return Report(**data)


class Lenient(fields.Field):
    """A filter's value that is ignored (None) when it is not what it should be, as a search
    form's is: a log filtered by a half-typed date or id still shows the log."""

    def __init__(self, inner: fields.Field, **kw):
        super().__init__(load_default=None, allow_none=True, **kw)
        self.inner = inner

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("", None):
            return None
        try:
            return self.inner.deserialize(value)
        except SchemaError:
            return None


class LogArgs(Schema):
    """Filters of the moderation log (the curator page and ``GET /api/v1/moderation/log``);
    ``until`` includes the day it names."""

    class Meta:
        unknown = EXCLUDE

    actor = fields.String(load_default="", metadata={"description": "part of a name"})
    action = fields.String(load_default="", metadata={"description": "e.g. approve"})
    target_type = fields.String(load_default="",
                                metadata={"description": "place, revision, media, …"})
    target_id = Lenient(fields.Integer(), metadata={"type": "integer"})
    since = Lenient(fields.Date(), metadata={"format": "date", "description": "from this day"})
    until = Lenient(fields.Date(), metadata={"format": "date",
                                             "description": "up to and with this day"})

    @post_load
    def _filter(self, data: dict, **kwargs) -> LogFilter:
        def start(day, days=0):
            return datetime.combine(day, time(), UTC) + timedelta(days=days) if day else None

        return LogFilter(actor=data["actor"].strip(), action=data["action"],
                         target_type=data["target_type"], target_id=data["target_id"],
                         since=start(data["since"]), until=start(data["until"], 1))


def review_from_form(form) -> Review:
    """The item page's decision form; "correct before approving" sends the corrections."""
    review = from_form(ReviewFormSchema(), {
        k: v for k, v in form.to_dict().items() if k not in CORRECTABLE})
    if form.get("edit_before_approve") and review.decision == "approve":
        review.changes = load_edit({name: form.get(name, "") for name in CORRECTABLE})
    return review
