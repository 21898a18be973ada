"""Log in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from app.extensions import db
from app.services import accounts
from app.web.i18n import safe_next

bp = Blueprint("account", __name__)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.get_by_email(form.email.data)
        if user and user.active and accounts.check_password(user, form.password.data):
            lang = session.get("lang")
            # A fresh session at login: nothing from before survives (session fixation).
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            session.permanent = True
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("visitor.home")), code=303)
        form.password.errors.append(_("Email or password is not right."))
    return render_template("account/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
@login_required
def logout():
    accounts.end_all_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("visitor.home"), code=303)
