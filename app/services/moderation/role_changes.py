"""Roles: admins find accounts and change their role (logged)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import User
from app.models.user import ROLES
from app.services.audit import log


def users_for_roles(q: str = "", limit: int = 100) -> list[User]:
    """Accounts for the roles page, admins and curators first; ``q`` narrows by email or
    name."""
    stmt = select(User).order_by(User.role.desc(), User.display_name)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.email.ilike(like), User.display_name.ilike(like)))
    return list(db.session.scalars(stmt.limit(limit)))


def change_role(actor: User, user_id: int, role: str) -> User:
    """An admin changes someone's role (logged). Curators change no roles, so nobody but an
    admin can touch an admin; nobody changes their own role (no locking oneself out)."""
    from app.services.accounts import set_role

    if actor is None or not actor.is_admin:
        raise Forbidden(_("Only admins change roles."))
    if role not in ROLES:
        raise ValidationError(_("Unknown role."), field="role")
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("This account does not exist."))
    if user.id == actor.id:
        raise Forbidden(_("You cannot change your own role."))
    before = user.role
    if before == role:
        return user
    set_role(actor, user, role)
    db.session.flush()
    log(actor, "role_change", "user", user.id, before, role)
    return user
