"""Accounts: registration, sessions that really end, password change and reset, the account
page (tokens, export, deletion) and login rate limits."""

import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from tests.conftest import create_user, login, rate_limited_app

PASSWORD = "a long passphrase 42"


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})  # an explicit choice beats the account's


def _models():
    from app.models import ApiToken, Place, User

    return ApiToken, Place, User


def test_register_logs_in_and_lands_on_contribute(client, db_session):
    resp = client.post("/register", data={
        "display_name": "Vreni Muster", "email": "Vreni@Example.org", "password": PASSWORD,
    })
    assert resp.status_code == 303
    assert resp.location.endswith("/contribute")
    _, _, User = _models()
    user = db_session.scalar(select(User).where(User.email == "vreni@example.org"))
    assert user is not None and user.role == "resident"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("password", ["password1234", "qwertyuiop", "iloveyou12345", "1234567890"])
def test_register_refuses_common_passwords(client, db_session, password):
    resp = client.post("/register", data={
        "display_name": "Vreni", "email": "vreni@example.org", "password": password,
    })
    assert resp.status_code == 400
    assert b"most common" in resp.data
    _, _, User = _models()
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_register_accepts_a_long_passphrase_and_refuses_a_short_one(client, db_session):
    long_phrase = "the old tram depot smelled of oil and rain " * 10
    resp = client.post("/register", data={
        "display_name": "Hans", "email": "hans@example.org", "password": long_phrase,
    })
    assert resp.status_code == 303
    client.post("/logout")
    resp = client.post("/register", data={
        "display_name": "Kurz", "email": "kurz@example.org", "password": "Xy7$",
    })
    assert resp.status_code == 400
    assert b"at least 10 characters" in resp.data


def test_register_twice_with_the_same_email(client, db_session):
    create_user("taken@example.org")
    resp = client.post("/register", data={
        "display_name": "Other", "email": "TAKEN@example.org", "password": PASSWORD,
    })
    assert resp.status_code == 400
    assert b"exists already" in resp.data


def test_wrong_password_is_refused_without_saying_which_part(client, resident):
    resp = client.post("/login", data={"email": resident.email, "password": "wrong password 1"})
    assert resp.status_code == 400
    assert b"Email or password is not right" in resp.data
    resp = client.post("/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert resp.status_code == 400
    assert b"Email or password is not right" in resp.data


def test_session_cookie_changes_at_login(app, client, resident):
    client.get("/login")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    login(client, resident.email)
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert after is not None
    assert before is None or before.value != after.value
    assert after.http_only and after.same_site == "Lax"


def test_answers_that_do_not_change_the_session_set_no_cookie(app, client, resident):
    """A late answer to a request sent before login must not put the old session back."""
    name = app.config["SESSION_COOKIE_NAME"]
    login(client, resident.email)
    for path in ("/", "/account"):  # the welcome message is shown once, a form token made
        client.get(path)
    for path in ("/", "/account", "/offline", "/static/manifest.webmanifest"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        cookies = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
        assert cookies == [], path
    # A stale cookie (from before login) answered late would only carry the old session:
    # the logged-in one stays.
    assert client.get("/account").status_code == 200


def fresh(app, call, *args, **kwargs):
    """Run one request in its own app context. The db_session fixture keeps an app context
    pushed for the whole test, so without this Flask's ``g`` (where Flask-Login and
    api_user() cache the caller) would carry over from the previous request."""
    with app.app_context():
        return call(*args, **kwargs)


def _copy_session(app, source, target):
    name = app.config["SESSION_COOKIE_NAME"]
    target.set_cookie(name, source.get_cookie(name).value)


def test_logout_ends_every_session_even_copied_cookies(app, client, resident):
    login(client, resident.email)
    other_device = app.test_client()
    _copy_session(app, client, other_device)
    assert other_device.get("/account").status_code == 200
    client.post("/logout")
    resp = fresh(app, other_device.get, "/account")
    assert resp.status_code == 302 and "/login" in resp.location
    # The API refuses the old cookie too.
    assert fresh(app, other_device.post, "/api/v1/places").status_code == 401


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, resident):
    login(client, resident.email)
    other_device = app.test_client()
    _copy_session(app, client, other_device)
    resp = client.post("/account/password", data={
        "current_password": PASSWORD, "password": "a brand new passphrase 77",
    })
    assert resp.status_code == 303
    assert fresh(app, client.get, "/account").status_code == 200
    assert fresh(app, other_device.get, "/account").status_code == 302
    client.post("/logout")
    login(client, resident.email, "a brand new passphrase 77")


def test_password_change_checks_the_current_password(client, resident):
    login(client, resident.email)
    resp = client.post("/account/password", data={
        "current_password": "not my password", "password": "a brand new passphrase 77",
    })
    assert resp.status_code == 400
    assert b"current password is not right" in resp.data


def _reset_link(app):
    from app.services.mail import sent_messages

    with app.app_context():
        body = sent_messages()[-1].get_content()
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_password_reset_by_email_link_works_once(app, client, resident):
    from app.services.mail import sent_messages

    with app.app_context():
        sent_messages().clear()
    resp = client.post("/password/forgot", data={"email": resident.email})
    assert resp.status_code == 303
    link = _reset_link(app)
    assert client.get(link).status_code == 200
    resp = client.post(link, data={"password": "reset to something long 9"})
    assert resp.status_code == 303
    client.post("/logout")
    login(client, resident.email, "reset to something long 9")
    client.post("/logout")
    # Used once: the password changed, so the link is dead.
    resp = client.get(link)
    assert resp.status_code == 400
    assert b"used already" in resp.data


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(app, client, db_session):
    from app.services.mail import sent_messages

    with app.app_context():
        sent_messages().clear()
    resp = client.post("/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True)
    assert b"If an account uses this address" in resp.data
    with app.app_context():
        assert sent_messages() == []


def test_expired_or_forged_reset_link_is_refused(app, client, resident, monkeypatch):
    from app.services import accounts

    with app.test_request_context():
        token = accounts.password_reset_token(resident)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    resp = client.get(f"/password/reset/{token}")
    assert resp.status_code == 400 and b"expired" in resp.data
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 3600)
    resp = client.get(f"/password/reset/{token[:-3]}abc")
    assert resp.status_code == 400 and b"not valid" in resp.data


def test_account_page_creates_lists_and_revokes_api_tokens(client, resident, db_session):
    login(client, resident.email)
    resp = client.post("/account/tokens", data={"name": "my script"})
    assert resp.status_code == 201
    token = re.search(rb'id="new-token">(sts_[^<]+)<', resp.data).group(1).decode()
    assert resp.headers["Cache-Control"] == "no-store"
    ApiToken, _, _ = _models()
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == resident.id))
    assert row.token_hash != token and len(row.token_hash) == 64
    page = client.get("/account")
    assert b"my script" in page.data and token.encode() not in page.data

    api = client.application.test_client()
    ok = api.post("/api/v1/places", headers={"Authorization": f"Bearer {token}"},
                  data={"title": ""})
    assert ok.status_code == 422  # authenticated, then refused for the missing title

    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 303
    resp = fresh(client.application, api.post, "/api/v1/places",
                 headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401


def test_cannot_revoke_someone_elses_token(client, resident, db_session):
    from app.services.accounts import create_api_token

    other = create_user("other@example.org")
    create_api_token(other, "theirs")
    ApiToken, _, _ = _models()
    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == other.id))
    login(client, resident.email)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert row.revoked_at is None


def test_profile_change_sets_name_and_language(client, resident):
    login(client, resident.email)
    resp = client.post("/account/profile", data={"display_name": "Rosa R.", "locale": "en"})
    assert resp.status_code == 303
    assert resident.display_name == "Rosa R." and resident.locale == "en"
    assert b"My account" in client.get("/account").data


def test_export_is_a_zip_with_json_and_my_files(app, client, resident, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    login(client, resident.email)
    resp = client.post("/account/export")
    assert resp.status_code == 200
    assert resp.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        data = json.loads(zf.read("data.json"))
    assert data["account"]["email"] == resident.email
    assert data["places"] == [] and data["media"] == []


def test_delete_account_needs_the_password(client, resident):
    login(client, resident.email)
    resp = client.post("/account/delete", data={
        "contributions": "delete", "password": "wrong", "confirm": "y",
    })
    assert resp.status_code == 400
    assert b"password is not right" in resp.data


def test_rate_limited_login_answers_429_with_a_clear_message(clone_db):
    """Too many attempts on one account: 429, even from several addresses."""
    from app.extensions import db

    with rate_limited_app(clone_db("ratelimit"), RATELIMIT_LOGIN_ACCOUNT="3 per 15 minutes",
                          RATELIMIT_LOGIN="5 per minute") as rl_app:
        with rl_app.app_context():
            create_user("target@example.org")
            db.session.commit()
        client = rl_app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        statuses = []
        for i in range(4):
            statuses.append(client.post(
                "/login", data={"email": "target@example.org", "password": f"guess number {i}"},
                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
            ).status_code)
        assert statuses == [400, 400, 400, 429]
        resp = client.post("/login", data={"email": "target@example.org", "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert resp.status_code == 429
        assert b"Too many attempts" in resp.data
        # Per address: another account from one address is limited too.
        codes = [client.post("/login", data={"email": f"u{i}@example.org", "password": "x"},
                             environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code
                 for i in range(6)]
        assert codes[-1] == 429
        api = client.post("/login", data={"email": "u0@example.org", "password": "x"},
                          environ_base={"REMOTE_ADDR": "10.1.1.1"},
                          headers={"Accept": "application/json"})
        assert api.status_code == 429
        assert api.get_json()["error"]["message"].startswith("Too many attempts")
