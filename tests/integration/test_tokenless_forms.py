"""The public forms that carry no CSRF token (language, text size, a visitor's report: a token
would give every visitor a session cookie) refuse a POST another site made the browser send,
by its Fetch Metadata or Origin header, and change nothing; a logged-in person's report needs
the token as every other form of theirs does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Flag, Place
from tests.conftest import create_user, make_test_app

CROSS_SITE = [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
              {"Origin": "https://elsewhere.example"}, {"Origin": "null"}]


@pytest.fixture
def place_id(demo, db_session):
    return db_session.scalar(select(Place.id).where(Place.title == "Waaghaus"))


def _flags(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Flag))


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_sites_language_switch_is_refused(client, db_session, headers):
    resp = client.post("/language", data={"lang": "en", "next": "/"}, headers=headers)
    assert resp.status_code == 403
    assert "Set-Cookie" not in resp.headers
    assert 'lang="de"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "same-origin"},
                                     {"Origin": "http://localhost"}, {}])
def test_the_sites_own_language_switch_works(client, db_session, headers):
    resp = client.post("/language", data={"lang": "en", "next": "/search"}, headers=headers)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/search")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_sites_text_size_is_refused(client, db_session, headers):
    resp = client.post("/settings/text-size", data={"size": "large"}, headers=headers)
    assert resp.status_code == 403
    assert "Set-Cookie" not in resp.headers
    ok = client.post("/settings/text-size", data={"size": "large"},
                     headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 303 and "text_size=large" in ok.headers["Set-Cookie"]


@pytest.mark.parametrize("headers", CROSS_SITE)
def test_another_sites_report_is_refused_and_stores_nothing(client, db_session, place_id,
                                                            headers):
    before = _flags(db_session)
    resp = client.post(f"/places/{place_id}/report", data={"reason": "wrong"}, headers=headers)
    assert resp.status_code == 403
    assert _flags(db_session) == before
    ok = client.post(f"/places/{place_id}/report", data={"reason": "wrong"},
                     headers={"Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 303 and _flags(db_session) == before + 1


def test_a_logged_in_report_needs_the_csrf_token(clone_db):
    strict = make_test_app(clone_db("tokenless_forms"), WTF_CSRF_ENABLED=True)
    with strict.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo
        from tests.integration.test_api_tokens import _login_with_csrf

        seed_demo()
        user = create_user("reporter@example.org")
        db.session.commit()
        place_id = db.session.scalar(select(Place.id).where(Place.title == "Waaghaus"))
        browser = strict.test_client()
        csrf = _login_with_csrf(browser, user.email)
        url = f"/places/{place_id}/report"
        refused = browser.post(url, data={"reason": "wrong"},
                               headers={"Sec-Fetch-Site": "same-origin"})
        assert refused.status_code == 400
        assert _flags(db.session) == 0
        sent = browser.post(url, data={"reason": "wrong", "csrf_token": csrf},
                            headers={"Sec-Fetch-Site": "same-origin"})
        assert sent.status_code == 303 and _flags(db.session) == 1
        anonymous = strict.test_client()  # a visitor's form has no token and needs none
        assert anonymous.post(url, data={"reason": "wrong"}).status_code == 303
        assert _flags(db.session) == 2
        db.engine.dispose()
