"""The service worker installs its precache without the visitor's cookies: those files are
the same for everyone, and a late answer must never touch the session of someone who has
logged in meanwhile."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer

RESIDENT = "resident@demo.stadtspur.ch"


class CookieLog:
    """WSGI middleware noting, per path and query, whether a request carried cookies."""

    def __init__(self, app):
        self.app = app
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, environ, start_response):
        target = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        self.seen.append((target, bool(environ.get("HTTP_COOKIE"))))
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def live_server(e2e_app):
    log = CookieLog(e2e_app.wsgi_app)
    e2e_app.wsgi_app = log
    with LiveServer(e2e_app) as server:
        server.cookie_log = log
        yield server


def test_precache_is_fetched_without_cookies(page, e2e_app, live_server):
    page.goto(page.base_url + "/login")
    page.fill("#email", RESIDENT)
    page.fill("#password", e2e_app.demo_accounts[RESIDENT][1])
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))
    page.goto(page.base_url + "/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    precache = {t: c for t, c in live_server.cookie_log.seen if t.startswith("/offline?lang=")}
    assert set(precache) >= {"/offline?lang=de", "/offline?lang=en"}
    assert not any(precache.values()), precache
    # The visitor's own pages still carry the session: still logged in.
    page.goto(page.base_url + "/account")
    expect(page).to_have_url(re.compile("/account$"))
