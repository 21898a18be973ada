"""Login throttling: per account and address together, plus a higher per-account limit that
the owner's known browser is not held to; counted once for every gunicorn worker."""

from __future__ import annotations

import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.conftest import create_user, rate_limited_app
from tests.integration.gunicorn_server import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long passphrase 42"


def _attempt(client, email, password, source):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": source}).status_code


def test_a_guesser_is_stopped_per_address_and_the_owner_elsewhere_logs_in(clone_db):
    from app.extensions import db

    with rate_limited_app(clone_db("throttle"), RATELIMIT_LOGIN="100 per minute") as app:
        with app.app_context():
            create_user("owner@example.org")
            db.session.commit()
        client = app.test_client()
        codes = [_attempt(client, "owner@example.org", f"guess {i}", "10.9.0.1")
                 for i in range(11)]
        assert codes == [400] * 10 + [429]
        # The right password from the guesser's address is refused too ...
        assert _attempt(client, "owner@example.org", PASSWORD, "10.9.0.1") == 429
        # ... while the owner, somewhere else, logs in.
        assert _attempt(app.test_client(), "owner@example.org", PASSWORD, "10.9.0.2") == 303


def test_a_known_browser_is_not_locked_out_by_strangers_failing_on_purpose(clone_db):
    from app.extensions import db

    with rate_limited_app(clone_db("throttle"), RATELIMIT_LOGIN="100 per minute",
                          RATELIMIT_LOGIN_ACCOUNT="5 per hour") as app:
        with app.app_context():
            create_user("owner@example.org")
            db.session.commit()
        owner = app.test_client()
        assert _attempt(owner, "owner@example.org", PASSWORD, "10.8.0.1") == 303
        owner.post("/logout")
        strangers = app.test_client()
        codes = [_attempt(strangers, "owner@example.org", "guess", f"10.7.0.{i}")
                 for i in range(7)]
        # The owner's own first login counted: that browser was not known yet.
        assert codes == [400] * 4 + [429] * 3
        # A new browser with the right password waits (or uses the mailed reset link) ...
        assert _attempt(app.test_client(), "owner@example.org", PASSWORD, "10.6.0.1") == 429
        # ... the browser that logged in before does not, even from another address.
        assert _attempt(owner, "owner@example.org", PASSWORD, "10.5.0.1") == 303
        # Its cookie names that account only.
        assert _attempt(owner, "other@example.org", "guess", "10.5.0.1") == 400


def test_refused_attempts_are_logged_without_the_password(clone_db, caplog):
    import logging

    from app.extensions import db


    with rate_limited_app(clone_db("throttle"), RATELIMIT_LOGIN_ACCOUNT_SOURCE="1 per hour") as app:
        # The app's loggers do not propagate to the root (their own JSON handler): listen
        # there, once the app has set them up.
        logging.getLogger("stadtspur").addHandler(caplog.handler)
        with app.app_context():
            create_user("owner@example.org")
            db.session.commit()
        client = app.test_client()
        _attempt(client, "owner@example.org", "secret-guess-1", "10.4.0.1")
        assert _attempt(client, "owner@example.org", "secret-guess-2", "10.4.0.1") == 429
    logging.getLogger("stadtspur").removeHandler(caplog.handler)
    text = caplog.text
    assert "login refused by rate limit" in text and "owner@example.org" in text
    assert "secret-guess" not in text


# --- two gunicorn workers ------------------------------------------------------------------


@pytest.fixture
def two_workers(clone_db, tmp_path):
    """gunicorn with two workers on a database of its own, trusting one proxy hop so that a
    test can speak from several addresses (X-Forwarded-For)."""
    url = clone_db("workers")
    from app.services import accounts
    from tests.conftest import make_test_app

    app = make_test_app(url)
    with app.app_context():
        from app.extensions import db

        accounts.create_user("owner@example.org", "Owner", PASSWORD)
        db.session.commit()
        db.engine.dispose()
    port = free_port()
    log = tmp_path / "access.log"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "two-workers-test",
           "STADTSPUR_ENV": "development", "PROXY_COUNT": "1", "MAIL_BACKEND": "memory"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", str(log),
               "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "app:create_app()"]
    with serving(command, env, port) as base:
        _until_both_workers_answer(base, log)
        yield base, log


def _until_both_workers_answer(base: str, log: Path) -> None:
    """The first worker can answer while the second still boots: the test's requests would
    then all meet one worker. Send pairs of requests until the access log shows two."""
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=2) as pool:
        while True:
            list(pool.map(lambda _: urllib.request.urlopen(base + "/healthz", timeout=5).close(),
                          range(2)))
            pids = {line.split()[0] for line in log.read_text().splitlines() if "/healthz" in line}
            if len(pids) == 2:
                return
            assert time.monotonic() < deadline, "the second worker never answered"
            time.sleep(0.1)  # polling a condition: both workers have answered


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(base: str, source: str, password: str) -> int:
    """One login attempt as a browser makes it: the form (for its CSRF token), then the post."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                         _NoRedirect())
    headers = {"X-Forwarded-For": source, "Accept-Language": "en"}
    with opener.open(urllib.request.Request(base + "/login", headers=headers)) as resp:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', resp.read().decode())[1]
    body = urllib.parse.urlencode({"email": "owner@example.org", "password": password,
                                   "csrf_token": token}).encode()
    try:
        with opener.open(urllib.request.Request(base + "/login", data=body, headers=headers)) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        if exc.code == 400 and "Email or password is not right" not in exc.read().decode():
            raise AssertionError("the attempt was refused before the password was checked")
        return exc.code


def test_two_gunicorn_workers_count_one_limit(two_workers):
    base, log = two_workers
    # Two at a time, so that both workers answer attempts.
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(lambda i: _login(base, "203.0.113.7", f"guess {i}"), range(11)))
    assert sorted(codes) == [400] * 10 + [429]
    assert _login(base, "203.0.113.7", "guess again") == 429
    # Another source still logs in to the same account with the right password.
    assert _login(base, "198.51.100.4", PASSWORD) == 303
    posts = [line.split() for line in log.read_text().splitlines() if " POST /login " in line]
    assert len({pid for pid, *_ in posts}) == 2, "both workers should have answered"
