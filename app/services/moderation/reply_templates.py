"""Reply templates: the curators' prepared answers, by reason."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import NotFound, ValidationError
from app.extensions import db
from app.models import ReplyTemplate, User
from app.services.audit import log
from app.services.moderation.base import MAX_MESSAGE, REASON_CODES
from app.services.roles import require_curator


def templates() -> list[ReplyTemplate]:
    """Every reply template, by name."""
    return list(db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.name)))


def _template_values(name: str, body: str, reason: str | None) -> tuple[str, str, str | None]:
    name = " ".join((name or "").split())
    body = (body or "").strip().replace("\r\n", "\n")
    if not name:
        raise ValidationError(_("Give the template a name."), field="name")
    if len(name) > 80:
        raise ValidationError(_("Use at most %(n)d characters.", n=80), field="name")
    if not body:
        raise ValidationError(_("Write the reply."), field="body")
    if len(body) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="body")
    reason = reason or None
    if reason is not None and reason not in REASON_CODES:
        raise ValidationError(_("Unknown reason."), field="reason_code")
    return name, body, reason


def _unique_name(name: str, exclude: int | None = None) -> None:
    clash = db.session.scalar(
        select(ReplyTemplate.id).where(func.lower(ReplyTemplate.name) == name.lower(),
                                       ReplyTemplate.id != (exclude or 0))
    )
    if clash is not None:
        raise ValidationError(_("A template with this name exists already."), field="name")


def create_template(curator: User, name: str, body: str, reason: str | None) -> ReplyTemplate:
    """A new reply template (logged); its name must be free (in any case)."""
    require_curator(curator)
    name, body, reason = _template_values(name, body, reason)
    _unique_name(name)
    tpl = ReplyTemplate(name=name, body=body, reason_code=reason, created_by_id=curator.id)
    db.session.add(tpl)
    db.session.flush()
    log(curator, "template_create", "template", tpl.id, None, None, reason=reason, message=name)
    return tpl


def update_template(curator: User, template_id: int, name: str, body: str,
                    reason: str | None) -> ReplyTemplate:
    """Change a reply template (logged)."""
    require_curator(curator)
    tpl = db.session.get(ReplyTemplate, template_id)
    if tpl is None:
        raise NotFound(_("This template does not exist."))
    name, body, reason = _template_values(name, body, reason)
    _unique_name(name, exclude=tpl.id)
    tpl.name, tpl.body, tpl.reason_code = name, body, reason
    db.session.flush()
    log(curator, "template_update", "template", tpl.id, None, None, reason=reason, message=name)
    return tpl


def delete_template(curator: User, template_id: int) -> None:
    """Delete a reply template (logged)."""
    require_curator(curator)
    tpl = db.session.get(ReplyTemplate, template_id)
    if tpl is None:
        raise NotFound(_("This template does not exist."))
    log(curator, "template_delete", "template", tpl.id, None, None, message=tpl.name)
    db.session.delete(tpl)
    db.session.flush()
