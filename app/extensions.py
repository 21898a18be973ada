"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

import flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app import ratelimit_store  # noqa: F401  (registers the PostgreSQL counter storage)

# A naming convention lets Alembic name (and later drop) constraints predictably.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# create_savepoint lets tests bind the session to an outer transaction that is rolled back;
# with an ordinary engine bind it changes nothing.
db = SQLAlchemy(model_class=Base, session_options={"join_transaction_mode": "create_savepoint"})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()


class CachedPolicyTalisman(Talisman):
    """Talisman with each policy header value worked out once instead of on every response:
    the policies are fixed when the app starts (the embed page has its own, also fixed) and
    no nonces are used. Re-joining them per response cost as much as routing a request."""

    def __init__(self, *args, **kwargs):
        self._policy_text: dict[int, tuple[object, str]] = {}
        super().__init__(*args, **kwargs)

    def _cached(self, policy, parse) -> str:
        if isinstance(policy, str) or getattr(flask.request, "csp_nonce", None):
            return parse(policy)
        hit = self._policy_text.get(id(policy))
        if hit is None or hit[0] is not policy:
            hit = (policy, parse(policy))
            self._policy_text[id(policy)] = hit
        return hit[1]

    def _parse_policy(self, policy):
        return self._cached(policy, super()._parse_policy)

    def _parse_structured_header_policy(self, policy):
        return self._cached(policy, super()._parse_structured_header_policy)


talisman = CachedPolicyTalisman()
api = Api()
