"""Who may do what: the role checks services make before they change anything."""

from __future__ import annotations

from flask_babel import gettext as _

from app.errors import Forbidden
from app.models import User


def require_curator(user: User | None) -> None:
    """Refuse (403) anyone who is not a curator, the logged-out caller included."""
    if user is None or not user.is_curator:
        raise Forbidden(_("Only curators may do this."))
