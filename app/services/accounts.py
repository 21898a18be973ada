"""Accounts: creating users, passwords, roles, login ids, password resets, API tokens,
and what a person may do with their own account (export, deletion)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from zxcvbn import zxcvbn

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models.user import ROLES, ApiToken, User, new_login_token
from app.services.mail import Notice, record

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Long passphrases are welcome; the cap only stops hashing megabytes.
MAX_PASSWORD_LENGTH = 1024


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """True when ``password`` matches; rehashes transparently when parameters changed."""
    if not user.password_hash:
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def validate_password(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Raise ValidationError for a password that is too short, too long or too common.

    "Too common" is judged by zxcvbn (Dropbox's estimator, maintained Python port): it knows
    the frequency lists of leaked passwords, keyboard walks, dates and l33t spellings, and
    ``user_inputs`` (email, name) count as known words. A score below 2 means fewer than
    10^6 guesses, which an online attacker behind our rate limits could still try; long
    passphrases of ordinary words score high and are accepted.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            field="password",
            code="too_short",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(_("This password is too long."), field="password", code="too_long")
    # zxcvbn's matching is quadratic in the length (it refuses more than 72 characters); the
    # start of a long passphrase decides anyway.
    inputs = [part for value in user_inputs for part in value.lower().replace("@", " ").split()]
    if zxcvbn(password[:72], user_inputs=[*inputs, "stadtspur"])["score"] < 2:
        raise ValidationError(
            _(
                "This password is one of the most common ones (or close to your name or "
                "email). Try a few unrelated words."
            ),
            field="password",
            code="too_common",
        )


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str,
    display_name: str,
    password: str | None,
    *,
    role: str = "resident",
    locale: str = "de",
    check_strength: bool = True,
) -> User:
    """Create an account; raises Conflict when the email is taken."""
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    email = normalise_email(email)
    local, _at, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise ValidationError(_("Please enter a valid email address."), field="email")
    if get_by_email(email) is not None:
        raise Conflict(_("An account with this email address exists already."), field="email")
    if password is not None and check_strength:
        validate_password(password, (email, display_name))
    user = User(
        email=email,
        display_name=display_name.strip() or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
        role=role,
        locale=locale,
        login_token=new_login_token(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_role(actor: User | None, user: User, role: str) -> None:
    """Change ``user``'s role. ``actor`` None means the command line (trusted)."""
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}.", field="role")
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only admins change roles.")
    user.role = role
    db.session.flush()


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie issued for ``user`` (logout everywhere)."""
    user.login_token = new_login_token()
    db.session.flush()


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login user loader: the id carries the account's current session token."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not secrets.compare_digest(user.login_token, token):
        return None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_NAME_MAX = 80


def issue_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token; returns its row and the token itself, which exists only
    in this answer (only its hash is stored)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name."), field="name")
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationError(
            _("Use at most %(n)d characters.", n=TOKEN_NAME_MAX), field="name"
        )
    token = "sts_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, token_hash=_token_hash(token))
    db.session.add(row)
    db.session.flush()
    return row, token


def create_api_token(user: User, name: str) -> str:
    """Create a personal API token and return it; only its hash is stored."""
    return issue_api_token(user, name)[1]


def user_for_api_token(token: str) -> User | None:
    """The active user owning an unrevoked ``token``, or None."""
    row = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = datetime.now(UTC)
    return row.user


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (again is fine: the first revocation time stays).
    Someone else's token is NotFound, as if it did not exist."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("You have no token with this id."))
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    db.session.flush()


def list_api_tokens(user: User) -> list[ApiToken]:
    """The account's tokens, newest first, revoked ones included (they show as revoked)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


# --- registration, profile, password -------------------------------------------------------


def register(email: str, display_name: str, password: str, *, locale: str = "de") -> User:
    """A resident signs up: strength and common-password checks apply."""
    display_name = display_name.strip()
    if not display_name:
        raise ValidationError(
            _("Tell us the name to show with your stories."), field="display_name"
        )
    if len(display_name) > 80:
        raise ValidationError(_("Use at most 80 characters."), field="display_name")
    return create_user(email, display_name, password, role="resident", locale=locale)


def authenticate(email: str, password: str) -> User | None:
    """The active account for ``email`` when ``password`` matches, else None.

    An unknown email costs one hash as well, so response times do not reveal which
    addresses have accounts."""
    user = get_by_email(email)
    if user is None or not user.active or not user.password_hash:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    return user if check_password(user, password) else None


_DUMMY_HASH = _hasher.hash("not the password of anyone")


def update_profile(user: User, *, display_name: str, locale: str) -> None:
    """Change the name shown with one's stories and the language of pages and emails."""
    display_name = display_name.strip()
    if not display_name or len(display_name) > 80:
        raise ValidationError(_("Use between 1 and 80 characters."), field="display_name")
    if locale not in ("de", "en"):
        raise ValidationError(_("Choose German or English."), field="locale")
    user.display_name = display_name
    user.locale = locale
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; ends every session of the account
    (the caller logs the current browser in again with the new session token)."""
    if not check_password(user, current):
        raise ValidationError(_("The current password is not right."), field="current_password")
    validate_password(new, (user.email, user.display_name))
    user.password_hash = hash_password(new)
    end_all_sessions(user)


# --- password reset by email link ----------------------------------------------------------

RESET_SALT = "stadtspur.password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password (or session token) changes, old links stop working,
    # so a reset link can be used once.
    material = f"{user.password_hash or ''}|{user.login_token}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def password_reset_token(user: User) -> str:
    """A signed, expiring token for the reset link (valid until used or expired)."""
    return _reset_serializer().dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """The account a reset token was made for; ValidationError when expired, used or forged."""
    max_age = int(current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600))
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise ValidationError(
            _("This link has expired. Ask for a new one."), field="token", code="expired"
        ) from exc
    except BadSignature as exc:
        raise ValidationError(
            _("This link is not valid."), field="token", code="bad_token"
        ) from exc
    user = db.session.get(User, int(data.get("u", 0))) if isinstance(data, dict) else None
    if user is None or not user.active or not secrets.compare_digest(
        str(data.get("f", "")), _password_fingerprint(user)
    ):
        raise ValidationError(
            _("This link has been used already or is no longer valid. Ask for a new one."),
            field="token",
            code="used_token",
        )
    return user


def send_password_reset(email: str) -> bool:
    """Owe a reset link to the active account with this address, if there is one (mailed
    once the request's transaction commits). Returns whether one is owed; callers must not
    reveal it."""
    user = get_by_email(email)
    if user is None or not user.active:
        return False
    minutes = int(current_app.config.get("PASSWORD_RESET_MAX_AGE", 3600)) // 60
    record(Notice(letter="password_reset", to=user.email, locale=user.locale,
                  name=user.display_name,
                  values={"reset_token": password_reset_token(user), "minutes": minutes}))
    return True


def reset_password(token: str, new: str) -> User:
    """Set a new password from a reset link; ends every session of the account."""
    user = user_for_reset_token(token)
    validate_password(new, (user.email, user.display_name))
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    return user


# --- my data: export and deletion ----------------------------------------------------------


def export_user_data(user: User) -> bytes:
    """Everything stored about ``user`` as a zip: data.json plus the files they uploaded
    (the private originals, which only they and curators ever see)."""
    import io
    import json
    import zipfile

    from app.services.media import private_path

    data, media = _export_document(user)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for m, entry in zip(media, data["media"], strict=True):
            path = private_path(m.storage_key)
            if path.is_file():
                zf.write(path, entry["file"])
    return buf.getvalue()


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _export_document(user: User) -> tuple[dict, list]:
    """data.json of ``export_user_data`` and the media rows whose files go beside it."""
    from app.models import Flag, IdempotencyKey, Media, Place, PlaceRevision

    places = db.session.scalars(
        select(Place).where((Place.author_id == user.id) | (Place.helper_id == user.id))
        .order_by(Place.id)
    ).all()
    media = db.session.scalars(
        select(Media).where(Media.uploader_id == user.id).order_by(Media.id)
    ).all()
    revisions = db.session.scalars(
        select(PlaceRevision).where(PlaceRevision.author_id == user.id).order_by(PlaceRevision.id)
    ).all()
    flags = db.session.scalars(select(Flag).where(Flag.reporter_id == user.id)).all()
    keys = db.session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user.id)
    ).all()
    data = {
        "account": {
            "email": user.email, "display_name": user.display_name, "role": user.role,
            "is_helper": user.is_helper, "locale": user.locale,
            "created_at": _iso(user.created_at),
        },
        "places": [_place_export(p, user) for p in places],
        "revisions": [
            {"place_id": r.place_id, "number": r.number, "status": r.status,
             "snapshot": r.snapshot, "message": r.message, "review_message": r.review_message,
             "created_at": _iso(r.created_at)}
            for r in revisions
        ],
        "media": [
            {"id": m.id, "place_id": m.place_id, "kind": m.kind, "mime": m.mime,
             "size_bytes": m.size_bytes, "sha256": m.sha256, "caption": m.caption,
             "credit": m.credit, "licence": m.licence, "status": m.status,
             "file": f"media/{m.id}-{m.storage_key.rsplit('/', 1)[-1]}",
             "created_at": _iso(m.created_at)}
            for m in media
        ],
        "api_tokens": [
            {"name": t.name, "created_at": _iso(t.created_at),
             "last_used_at": _iso(t.last_used_at), "revoked_at": _iso(t.revoked_at)}
            for t in user.tokens
        ],
        "reports": [
            {"place_id": f.place_id, "media_id": f.media_id, "reason": f.reason,
             "message": f.message, "status": f.status, "created_at": _iso(f.created_at)}
            for f in flags
        ],
        "offline_submissions": [{"key": k.key, "place_id": k.place_id} for k in keys],
    }
    return data, list(media)


def _place_export(p, user: User) -> dict:
    from geoalchemy2.shape import to_shape

    point = to_shape(p.geom)
    return {
        "id": p.id, "title": p.title, "summary": p.summary, "body": p.body,
        "lon": point.x, "lat": point.y, "era_year": p.era_year,
        "era_precision": p.era_precision, "language": p.language, "status": p.status,
        "themes": [t.slug for t in p.themes], "credit_name": p.credit_name,
        "licence": p.licence, "author_name": p.author_name,
        "entered_by_me_for_someone_else": p.helper_id == user.id and p.author_id != user.id,
        "consent_method": p.consent_method, "consent_date": _iso(p.consent_date),
        "created_at": _iso(p.created_at), "published_at": _iso(p.published_at),
    }


DELETE_CHOICES = ("delete", "anonymise")
# What is left of a reply or place note its author asked to remove with their account (the
# table keeps no empty text; pages do not show removed ones).
REMOVED_TEXT = "—"


def _stories_of_deleted(user: User, contributions: str, kept_places: set[int]) -> None:
    """The stories ``user`` told themselves: deleted with "delete" (a lead story of a place
    kept for a tour stays, anonymised, like its place), else credited to nobody. Stories
    entered on someone else's behalf stay theirs."""
    from app.models import Story

    for story in db.session.scalars(select(Story).where(Story.author_id == user.id)).all():
        if contributions == "delete" and not (story.is_lead and story.place_id in kept_places):
            db.session.delete(story)
            continue
        story.author_id = None
        if not story.author_name:
            story.credit_name = ""
    db.session.flush()


def _conversation_of_deleted(user: User, remove_replies: bool) -> None:
    """Reactions go; replies and place notes are anonymised (the foreign keys set their
    author to NULL when the user row goes) or, asked for, erased first."""
    from app.models.conversation import PlaceTalk, Reaction, Reply
    from app.models.statuses import ReplyStatus, TalkStatus

    db.session.execute(Reaction.__table__.delete().where(Reaction.user_id == user.id))
    if remove_replies:
        # The text is the person's; the row stays so answers to it keep their place.
        db.session.execute(Reply.__table__.update().where(Reply.author_id == user.id).values(
            status=ReplyStatus.REMOVED, body=REMOVED_TEXT, official=False,
            version=Reply.version + 1))
        db.session.execute(PlaceTalk.__table__.update().where(PlaceTalk.author_id == user.id)
                           .values(status=TalkStatus.HIDDEN, body=REMOVED_TEXT))


def delete_account(user: User, password: str, contributions: str, *,
                   remove_replies: bool = False) -> None:
    """Delete ``user``'s account after checking the password.

    ``contributions`` is "delete" (their places and files go too) or "anonymise" (places
    stay, credited to nobody; the licences already granted cannot be withdrawn, so published
    copies elsewhere may still exist either way). Stories they entered on someone else's
    behalf belong to that person and stay. Files are removed only after the commit.

    In the conversation their reactions go; their replies and place notes stay, credited to
    "a former member", unless ``remove_replies``: then their text is erased and they leave
    every page (answers to them stay, as answers to a removed reply)."""
    from app.models import IdempotencyKey, Media, Place
    from app.services.media import delete_files_after_commit

    if contributions not in DELETE_CHOICES:
        raise ValidationError(
            _("Choose what happens to your contributions."), field="contributions"
        )
    if not check_password(user, password):
        raise ValidationError(_("The password is not right."), field="password")
    from app.models import TourStop

    own_places = db.session.scalars(select(Place).where(Place.author_id == user.id)).all()
    own_media = db.session.scalars(select(Media).where(Media.uploader_id == user.id)).all()
    kept: list[Place] = list(own_places)
    if contributions == "delete":
        # A place that is a stop of someone's tour cannot vanish from under the tour: it is
        # anonymised instead (the deletion page says so).
        in_tours = set(
            db.session.scalars(
                select(TourStop.place_id).where(TourStop.place_id.in_([p.id for p in own_places]))
            )
        )
        kept = [p for p in own_places if p.id in in_tours]
        doomed = {m.id: m for m in own_media if m.place_id not in in_tours}
        for place in own_places:
            if place.id not in in_tours:
                for m in place.media:
                    doomed[m.id] = m
        delete_files_after_commit(list(doomed.values()))
        for m in doomed.values():
            db.session.delete(m)
        db.session.flush()
        for place in own_places:
            if place.id not in in_tours:
                db.session.delete(place)
    for place in kept:
        place.author_id = None
        if not place.author_name:
            place.credit_name = ""
    for m in own_media:
        if contributions == "anonymise" or m.place_id in {p.id for p in kept}:
            m.uploader_id = None
            m.credit = ""
    _stories_of_deleted(user, contributions, {p.id for p in kept})
    _conversation_of_deleted(user, remove_replies)
    db.session.execute(IdempotencyKey.__table__.delete().where(IdempotencyKey.user_id == user.id))
    # Rotating first means a copied cookie is dead even if the delete below were to fail.
    end_all_sessions(user)
    db.session.delete(user)
    db.session.flush()
