"""/api/v1/tokens: list my personal API tokens, create one (its secret shown once), revoke
one; only my own, 401 without a login or token, CSRF for cookie sessions, rate limited."""

import pytest
from sqlalchemy import func, select

from tests.conftest import create_user, login, rate_limited_app

TOKENS = "/api/v1/tokens"


def token_rows(db_session, user=None):
    from app.models import ApiToken

    query = select(func.count(ApiToken.id))
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return db_session.scalar(query)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_create_list_use_and_revoke_my_token(app, client, resident, db_session):
    login(client, resident.email)
    resp = client.post(TOKENS, json={"name": "  photo uploader "})
    assert resp.status_code == 201, resp.get_json()
    assert resp.headers["Cache-Control"] == "no-store"
    created = resp.get_json()
    secret = created["token"]
    assert secret.startswith("sts_") and created["name"] == "photo uploader"
    assert created["last_used_at"] is None and created["revoked_at"] is None
    from app.models import ApiToken

    row = db_session.get(ApiToken, created["id"])
    assert row.user_id == resident.id and row.token_hash != secret and len(row.token_hash) == 64

    # The token works on its own, without a session; the list never shows a secret.
    script = app.test_client()
    listed = script.get(TOKENS, headers=bearer(secret))
    assert listed.status_code == 200
    assert secret not in listed.get_data(as_text=True)
    [item] = listed.get_json()["tokens"]
    assert set(item) == {"id", "name", "created_at", "last_used_at", "revoked_at"}
    assert item["id"] == created["id"] and item["last_used_at"] is not None
    # The account page shows the same token (one service for both).
    assert b"photo uploader" in client.get("/account").data

    gone = script.delete(f"{TOKENS}/{created['id']}", headers=bearer(secret))
    assert gone.status_code == 204 and gone.data == b""
    assert script.get(TOKENS, headers=bearer(secret)).status_code == 401
    [item] = client.get(TOKENS).get_json()["tokens"]
    assert item["revoked_at"] is not None
    first_revocation = row.revoked_at
    # Revoking again is no error and keeps the first time.
    assert client.delete(f"{TOKENS}/{created['id']}").status_code == 204
    assert row.revoked_at == first_revocation


def test_someone_elses_token_is_not_found(client, resident, db_session):
    from app.services.accounts import create_api_token, user_for_api_token

    other = create_user("other@example.org")
    theirs = create_api_token(other, "theirs")
    from app.models import ApiToken

    row = db_session.scalar(select(ApiToken).where(ApiToken.user_id == other.id))
    login(client, resident.email)
    for token_id in (row.id, row.id + 1000):
        resp = client.delete(f"{TOKENS}/{token_id}")
        assert resp.status_code == 404
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["error"]["code"] == "not_found"
    assert row.revoked_at is None and user_for_api_token(theirs) == other
    assert client.get(TOKENS).get_json() == {"tokens": []}


def test_without_login_or_with_a_bad_token_401(app, resident, db_session):
    from app.services.accounts import create_api_token

    create_api_token(resident, "mine")
    anonymous = app.test_client()
    before = token_rows(db_session)
    for headers in ({}, bearer("sts_not-a-token"), {"Authorization": "Basic abc"}):
        assert anonymous.get(TOKENS, headers=headers).status_code == 401
        resp = anonymous.post(TOKENS, json={"name": "x"}, headers=headers)
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
        assert anonymous.delete(f"{TOKENS}/1", headers=headers).status_code == 401
    assert token_rows(db_session) == before


@pytest.mark.parametrize("body,field", [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 81}, "name"),
    ({}, "name"),
    ({"name": 42}, "name"),
])
def test_bad_names_are_refused_and_nothing_stored(client, resident, db_session, body, field):
    login(client, resident.email)
    before = token_rows(db_session)
    resp = client.post(TOKENS, json=body)
    assert resp.status_code == 422, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["error"]["field"] == field
    assert token_rows(db_session) == before


def test_body_that_is_not_json_is_refused(client, resident, db_session):
    login(client, resident.email)
    before = token_rows(db_session)
    resp = client.post(TOKENS, data="name=x", content_type="application/x-www-form-urlencoded")
    assert 400 <= resp.status_code < 500 and resp.mimetype == "application/problem+json"
    assert token_rows(db_session) == before


def _login_with_csrf(client, email):
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"email": email, "password": "a long passphrase 42",
                                       "csrf_token": csrf})
    assert resp.status_code == 303
    return client.get("/contribute/csrf").get_json()["csrf_token"]


def test_cookie_sessions_need_the_csrf_header_bearer_tokens_do_not(clone_db):
    from tests.conftest import make_test_app

    strict = make_test_app(clone_db("tokens_csrf"), WTF_CSRF_ENABLED=True)
    with strict.app_context():
        from app.extensions import db
        from app.services.accounts import create_api_token

        user = create_user("csrf-tokens@example.org")
        script_token = create_api_token(user, "script")
        db.session.commit()
        browser = strict.test_client()
        csrf = _login_with_csrf(browser, user.email)
        # Reading needs no CSRF token.
        assert browser.get(TOKENS).status_code == 200
        refused = browser.post(TOKENS, json={"name": "from a page elsewhere"})
        assert refused.status_code == 401 and "CSRF" in refused.get_json()["error"]["message"]
        assert token_rows(db.session, user) == 1
        made = browser.post(TOKENS, json={"name": "from my page"}, headers={"X-CSRFToken": csrf})
        assert made.status_code == 201
        new_id = made.get_json()["id"]
        assert browser.delete(f"{TOKENS}/{new_id}").status_code == 401
        assert browser.delete(f"{TOKENS}/{new_id}",
                              headers={"X-CSRFToken": csrf}).status_code == 204
        # A script with a bearer token has no session and needs no CSRF token, but it
        # cannot mint tokens: a leaked one could otherwise outlive its revocation.
        script = strict.test_client()
        assert script.get(TOKENS, headers=bearer(script_token)).status_code == 200
        minted = script.post(TOKENS, json={"name": "rotated"}, headers=bearer(script_token))
        assert minted.status_code == 403 and "token cannot create" in minted.get_json()[
            "error"]["message"]
        assert token_rows(db.session, user) == 2
    with strict.app_context():
        db.engine.dispose()


def test_token_writes_are_rate_limited(clone_db):
    with rate_limited_app(clone_db("tokens_limit"), API_WRITE_LIMIT="2 per minute") as app:
        with app.app_context():
            from app.extensions import db
            from app.services.accounts import create_api_token

            user = create_user("limit-tokens@example.org")
            token = create_api_token(user, "script")
            db.session.commit()
        script = app.test_client()
        for _ in range(2):  # refused (a token cannot mint tokens), but counted
            assert script.post(TOKENS, json={"name": "n"}, headers=bearer(token)).status_code == 403
        over = script.post(TOKENS, json={"name": "n"}, headers=bearer(token))
        assert over.status_code == 429 and int(over.headers["Retry-After"]) > 0
        # Each write endpoint counts on its own.
        for _ in range(2):
            assert script.delete(f"{TOKENS}/999", headers=bearer(token)).status_code == 404
        assert script.delete(f"{TOKENS}/999", headers=bearer(token)).status_code == 429
        # Reads are not counted.
        assert script.get(TOKENS, headers=bearer(token)).status_code == 200
