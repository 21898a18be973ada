"""Health check, error answers, security headers and the database-outage path."""

import json

from tests.conftest import make_test_app


def test_healthz_reports_database_and_postgis(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["postgis"].startswith("3.")


def test_security_headers_on_pages(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts(client, demo):
    from html.parser import HTMLParser

    class Scripts(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inline = []
            self._in = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            # data blocks, and the import map (no code; the CSP allows it by its hash alone)
            if tag == "script" and "src" not in a and a.get("type") not in ("application/json", "importmap"):
                self._in = tag
                self.inline.append(a)
            for name in a:
                assert not name.startswith("on"), f"inline handler {name}"

    for path in ["/", "/tours/altstadt-erinnerungen", "/login"]:
        parser = Scripts()
        parser.feed(client.get(path).get_data(as_text=True))
        assert parser.inline == [], path


def test_api_errors_are_json_and_pages_are_html(client):
    api = client.get("/api/v1/does-not-exist")
    assert api.status_code == 404
    assert api.mimetype == "application/problem+json"
    assert api.get_json()["error"]["code"] == "not_found"
    page = client.get("/does-not-exist")
    assert page.status_code == 404
    assert page.mimetype == "text/html"


def test_request_size_limit_answers_413(app, client):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = client.post("/login", data=big, content_type="application/octet-stream")
    assert resp.status_code == 413


def test_session_cookie_flags(server_url, clone_db):
    app = make_test_app(clone_db("cookies"), SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    resp = client.post("/language", data={"lang": "en", "next": "/"})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # bounded lifetime


def test_database_outage_answers_503_without_traceback(server_url):
    # A port nobody listens on: every query fails to connect.
    broken = make_test_app("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    client = broken.test_client()
    page = client.get("/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "30"
    assert b"Traceback" not in page.data
    api = client.get("/healthz")
    assert api.status_code == 503
    assert json.loads(api.data)["database"] == "unavailable"


def test_open_redirect_is_refused(client):
    resp = client.post("/language", data={"lang": "en", "next": "https://evil.example/"})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"


def test_restarted_database_connections_are_survived(clone_db, server_url):
    """Connections the server dropped (as after a restart) are replaced: by pool_pre_ping
    for the session, by one retry for public reads on their own engine."""
    from sqlalchemy.engine import make_url

    from tests.conftest import _admin_connect

    url = clone_db("preping")
    app = make_test_app(url)
    client = app.test_client()
    reads = ("/healthz", "/api/v1/places?limit=5", "/tiles/places/0/0/0.mvt")
    assert [client.get(path).status_code for path in reads] == [200, 200, 204]
    conn = _admin_connect(server_url)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (make_url(url).database,),
        )
        assert cur.fetchone()[0] >= 1
    conn.close()
    assert [client.get(path).status_code for path in reads] == [200, 200, 204]
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()
        app.extensions["stadtspur_read_engine"].dispose()
