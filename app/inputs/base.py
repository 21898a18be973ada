"""What every input schema shares: refusing fields a request does not take, and loading a
page's form."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import EXCLUDE, Schema, validates_schema
from marshmallow import ValidationError as SchemaError

from app.errors import FormErrors, errors_by_field


class Strict(Schema):
    """A request body that takes only its own fields: any other is refused (422), each named,
    with the fields the request does take."""

    class Meta:
        # Checked by ``_only_known`` instead of marshmallow's "Unknown field." so the message
        # can say what the request takes.
        unknown = EXCLUDE

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _only_known(self, data, original_data, **kwargs) -> None:
        if isinstance(original_data, dict):
            refuse_unknown(set(original_data),
                           {f.data_key or name for name, f in self.load_fields.items()})


def refuse_unknown(sent: set, known: set) -> None:
    """Raise the schema error naming every name of ``sent`` that is not ``known``, each with
    a message that says what the request does take."""
    unknown = sorted(str(name) for name in sent - known)
    if not unknown:
        return
    if known:
        message = _("Unknown field: %(names)s. This request takes %(known)s.",
                    names=", ".join(unknown), known=", ".join(sorted(known)))
    else:
        message = _("Unknown field: %(names)s. This request takes no fields.",
                    names=", ".join(unknown))
    raise SchemaError({name: [message] for name in unknown})


class Nothing(Strict):
    """A request that carries nothing (following a theme): any field sent is refused."""


def from_form(schema: Schema, form):
    """A page's form (a MultiDict) loaded by ``schema``: the fields it does not take (the
    CSRF token, the queue's filters) are left aside; a refusal is a ``FormErrors``."""
    data = form if isinstance(form, dict) else form.to_dict()
    try:
        return schema.load(data, unknown=EXCLUDE)
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc
