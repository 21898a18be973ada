"""Accounts: register, log in and out, reset a forgotten password, and the account page
(name, language, password, API tokens, my data, deleting the account).

Login, registration and reset requests are rate limited (Flask-Limiter, counted in the
database or in Redis, shared by every worker). Login attempts count per account and address
together (a guesser is stopped early) and, with a higher limit, per account from anywhere;
the browser an account logged in from before carries a signed "known device" cookie that
the per-account limit does not apply to, so a stranger failing on purpose cannot lock the
owner out (and a mailed reset link always works). Every session of an account ends at logout, at
a password change and at deletion: the account's session token is part of the login id in
the cookie (``User.get_id``), so rotating it invalidates every copy of every cookie.
"""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from app.errors import DomainError, rerenders_form
from app.extensions import limiter
from app.services import accounts
from app.web.forms import show_errors
from app.web.i18n import safe_next

bp = Blueprint("account", __name__)
log = logging.getLogger("stadtspur.account")


def _limit(name: str, default: str):
    return lambda: current_app.config.get(name, default)


def _email_key() -> str:
    """Rate-limit key per account: the normalised email the form names."""
    return "account:" + accounts.normalise_email(request.form.get("email", ""))


def _email_and_source_key() -> str:
    """Rate-limit key per account and address together."""
    return f"{_email_key()}|{get_remote_address()}"


DEVICE_COOKIE = "stadtspur_device"
DEVICE_DAYS = 365


def _device_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="known-login-device")


def _known_device() -> bool:
    """Whether this browser logged in to the account the form names before (its signed
    cookie names that account): then the per-account limit does not apply to it."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if not cookie:
        return False
    try:
        email = _device_signer().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return False
    return email == accounts.normalise_email(request.form.get("email", ""))


def _remember_device(response, email: str):
    response.set_cookie(
        DEVICE_COOKIE, _device_signer().dumps(accounts.normalise_email(email)),
        max_age=DEVICE_DAYS * 86400, path=url_for("account.login"), httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax",
    )
    return response


def _log_refused_login(limit) -> None:
    # Who was refused and from where, never what they typed as a password.
    log.warning("login refused by rate limit %s for %s from %s", limit.limit,
                accounts.normalise_email(request.form.get("email", "")), get_remote_address())


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name as shown with your stories"), validators=[DataRequired(), Length(max=80)]
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password (at least 10 characters; a few unrelated words work well)"),
        validators=[DataRequired(), Length(max=1024)],
    )


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Name shown with your stories"),
                               validators=[DataRequired(), Length(max=80)])
    locale = SelectField(
        _l("Language"), choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")]
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class TokenForm(FlaskForm):
    name = StringField(_l("What is the token for?"), validators=[DataRequired(), Length(max=80)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)])


class DeleteForm(FlaskForm):
    contributions = RadioField(
        _l("What should happen to your contributions?"),
        choices=[
            SelectChoice("anonymise", _l("Keep them, without my name")),
            SelectChoice("delete", _l("Delete them with my account")),
        ],
        validators=[DataRequired()],
    )
    remove_replies = BooleanField(_l("Also remove my replies and my notes about places"))
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired()])
    confirm = BooleanField(_l("Yes, delete my account"), validators=[DataRequired()])


def _start_session(user) -> None:
    """A fresh session at login: nothing from before survives (session fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_LOGIN", "20 per minute; 200 per day"), methods=["POST"],
               on_breach=_log_refused_login)
# Every attempt is counted as it arrives, in one atomic step: counting only failures after
# the answer would let attempts sent in parallel all pass the check before any is counted.
@limiter.limit(
    _limit("RATELIMIT_LOGIN_ACCOUNT_SOURCE", "10 per 15 minutes"),
    key_func=_email_and_source_key, methods=["POST"],
    scope="login-account-source", on_breach=_log_refused_login,
)
@limiter.limit(
    _limit("RATELIMIT_LOGIN_ACCOUNT", "50 per hour"),
    key_func=_email_key, methods=["POST"], exempt_when=_known_device,
    scope="login-account", on_breach=_log_refused_login,
)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user)
            return _remember_device(
                redirect(safe_next(request.args.get("next"), url_for("visitor.home")), code=303),
                form.email.data,
            )
        log.info("login failed for %s from %s", accounts.normalise_email(form.email.data),
                 get_remote_address())
        form.password.errors.append(_("Email or password is not right."))
    return render_template("account/login.html", form=form), 200 if not form.errors else 400


def _form_page(template: str, form_class, default: str, **context):
    """``render(errors)`` for ``rerenders_form``: the submitted form again, the refusal's
    messages by its fields, answered 400 as every refused form of these pages is."""

    def render(errors, *_args, **_kwargs):
        form = show_errors(form_class(), errors, default)
        return render_template(template, form=form, **context), 400

    return render


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_REGISTER", "10 per hour"), methods=["POST"])
@rerenders_form(_form_page("account/register.html", lambda: RegisterForm(), "email"))
def register():
    if current_user.is_authenticated:
        return redirect(url_for("account.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = accounts.register(
            form.email.data, form.display_name.data, form.password.data,
            locale=session.get("lang") or str(_current_locale()),
        )
        _start_session(user)
        flash(_("Welcome! Your account is ready."), "info")
        return redirect(safe_next(request.args.get("next"), url_for("contribute.form")),
                        code=303)
    return render_template("account/register.html", form=form), 200 if not form.errors else 400


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


@bp.post("/logout")
@login_required
def logout():
    accounts.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("visitor.home"), code=303)


# --- forgotten password ---------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_RESET", "5 per hour"), methods=["POST"])
@limiter.limit(_limit("RATELIMIT_RESET_ACCOUNT", "3 per hour"), key_func=_email_key,
               methods=["POST"], scope="reset-account")
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.send_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. The link works for one hour."), "info")
        return redirect(url_for("account.login"), code=303)
    return render_template("account/forgot.html", form=form), 200 if not form.errors else 400


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATELIMIT_RESET", "5 per hour"), methods=["POST"])
@rerenders_form(_form_page("account/reset.html", lambda: ResetForm(), "password", problem=None))
def reset_password(token: str):
    form = ResetForm()
    try:
        accounts.user_for_reset_token(token)
    except DomainError as exc:
        # Not a refused form: the link itself is spent or wrong, and there is no form to show.
        return render_template("account/reset.html", form=None, problem=exc.message), 400
    if form.validate_on_submit():
        user = accounts.reset_password(token, form.password.data)
        _start_session(user)
        flash(_("Your new password is set. Other devices have been logged out."), "info")
        return redirect(url_for("account.account"), code=303)
    return render_template("account/reset.html", form=form, problem=None), \
        200 if not form.errors else 400


# --- the account page -----------------------------------------------------------------------


def _account_page(status: int = 200, **forms):
    user = current_user._get_current_object()
    profile = forms.get("profile") or ProfileForm(
        formdata=None, display_name=user.display_name, locale=user.locale
    )
    return render_template(
        "account/account.html",
        profile_form=profile,
        password_form=forms.get("password") or PasswordForm(formdata=None),
        token_form=forms.get("token") or TokenForm(formdata=None),
        tokens=accounts.list_api_tokens(user),
        new_token=forms.get("new_token"),
    ), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


def _account_form_page(key: str, form_class, default: str):
    """``render(errors)`` for ``rerenders_form``: the account page, the refused form again
    with its messages."""

    def render(errors, *_args, **_kwargs):
        return _account_page(400, **{key: show_errors(form_class(), errors, default)})

    return render


@bp.post("/account/profile")
@login_required
@rerenders_form(_account_form_page("profile", lambda: ProfileForm(), "display_name"))
def update_profile():
    form = ProfileForm()
    if form.validate_on_submit():
        accounts.update_profile(current_user._get_current_object(),
                                display_name=form.display_name.data, locale=form.locale.data)
        session["lang"] = form.locale.data
        flash(_("Saved."), "info")
        return redirect(url_for("account.account"), code=303)
    return _account_page(400, profile=form)


@bp.post("/account/password")
@login_required
@rerenders_form(_account_form_page("password", lambda: PasswordForm(), "password"))
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.change_password(user, form.current_password.data, form.password.data)
        # Every other session has ended with the old session token; this one continues.
        _start_session(user)
        flash(_("Your password is changed. Other devices have been logged out."), "info")
        return redirect(url_for("account.account"), code=303)
    return _account_page(400, password=form)


@bp.post("/account/tokens")
@login_required
@rerenders_form(_account_form_page("token", lambda: TokenForm(), "name"))
def create_token():
    form = TokenForm()
    if form.validate_on_submit():
        token = accounts.create_api_token(current_user._get_current_object(), form.name.data)
        # Shown once, on this response only; never stored in the session cookie.
        page, _status = _account_page(201, new_token=token)
        return page, 201, {"Cache-Control": "no-store"}
    return _account_page(400, token=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    accounts.revoke_api_token(current_user._get_current_object(), token_id)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("account.account", _anchor="tokens"), code=303)


@bp.post("/account/export")
@login_required
def export_data():
    import io

    data = accounts.export_user_data(current_user._get_current_object())
    resp = send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name="stadtspur-my-data.zip")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
@rerenders_form(_form_page("account/delete.html", lambda: DeleteForm(), "password"))
def delete_account():
    form = DeleteForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        accounts.delete_account(user, form.password.data, form.contributions.data,
                                remove_replies=bool(form.remove_replies.data))
        logout_user()
        session.clear()
        flash(_("Your account is deleted. Thank you for your stories."), "info")
        return redirect(url_for("visitor.home"), code=303)
    return render_template("account/delete.html", form=form), 200 if not form.errors else 400
