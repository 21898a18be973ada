"""The pages' side of refused input: a service's or a schema's messages by field, shown next
to the fields of a WTForms form (Flask-WTF gives the pages their CSRF protection)."""

from __future__ import annotations

from flask_wtf import FlaskForm


def show_errors(form: FlaskForm, errors: dict[str, list[str]], default: str) -> FlaskForm:
    """Put ``errors`` (field name to messages) on ``form``'s fields; messages for a field the
    form does not have, or for the form as a whole, go to the field named ``default``."""
    for name, messages in errors.items():
        target = getattr(form, name, None) if name else None
        if target is None or not hasattr(target, "errors"):
            target = getattr(form, default)
        target.errors = [*list(target.errors or []), *messages]
    return form


def messages_by_field(errors: dict[str, list[str]], whole: str = "form") -> dict[str, str]:
    """``errors`` for templates that show one message per field: several messages of a field
    are joined, and the form's own (key "") are named ``whole``."""
    return {(name or whole): " ".join(texts) for name, texts in errors.items()}
