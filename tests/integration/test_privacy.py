"""Nothing personal is stored or logged, anywhere.

A real gunicorn (the access log format of gunicorn.conf.py, JSON app logs, rate limits counted
in the database, one proxy trusted so the forwarded address is the one the app believes) is
driven with a sentinel address in X-Forwarded-For and a sentinel token in the User-Agent:
page views, beacons, QR scans, refused beacons and forced server errors. Then the database is
dumped (pg_dump --data-only) and every log line the server wrote is read: neither sentinel,
nor any IP address, appears; the counts equal what was sent. The schema has no inet/cidr
column and no column named like ip, agent or session, and public pages set no cookie.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ROOT

SENTINEL_IP = "203.0.113.77"
SENTINEL_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 7) SentinelToken-q7Zx3 Mobile Safari/537.36"
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# A full address (8 groups) or a shortened one (with "::"); a time like 2026:14:43:18 is not.
IPV6 = re.compile(r"(?<![0-9a-fA-F:])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
                  r"|(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?"
                  r"|::1|::ffff:[0-9.]+)(?![0-9a-fA-F:])")
# Nothing is exempt: even an account's sign-in token is called login_token, not session.
ALLOWED: set[tuple[str, str]] = set()


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the server's unix socket: no TCP, so no client address of ours either."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


def _db_params(url: str) -> dict:
    u = make_url(url)
    q = dict(u.query)
    return {"dbname": u.database, "user": u.username, "host": q.get("host", u.host),
            "port": q.get("port", u.port)}


@pytest.fixture(scope="module")
def privacy_db(clone_db):
    from tests.conftest import make_test_app

    url = clone_db("privacy")
    app = make_test_app(url)
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.engine.dispose()
    return url


@pytest.fixture(scope="module")
def server(privacy_db, tmp_path_factory):
    logs = tmp_path_factory.mktemp("privacy-logs")
    sock = str(logs / "gunicorn.sock")
    out, err = open(logs / "stdout.log", "wb"), open(logs / "stderr.log", "wb")  # noqa: SIM115
    env = {**os.environ, "DATABASE_URL": privacy_db, "SECRET_KEY": "privacy-test",
           "MAIL_BACKEND": "memory", "PROXY_COUNT": "1", "LOG_JSON": "1",
           "LOG_LEVEL": "INFO", "STADTSPUR_ENV": "development"}
    env.pop("RATELIMIT_ENABLED", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind",
         f"unix:{sock}", "--workers", "1", "--threads", "2", "--access-logfile", "-",
         "--error-logfile", "-", "tests.integration.privacy_app:create()"],
        cwd=ROOT, env=env, stdout=out, stderr=err)
    deadline = time.monotonic() + 60
    while True:
        conn = UnixHTTPConnection(sock)
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail((logs / "stderr.log").read_text()[-2000:])
            time.sleep(0.1)  # polling a condition: the server is up when it answers
        finally:
            conn.close()
    yield {"sock": sock, "logs": logs, "db": privacy_db}
    proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing is in flight
    proc.wait(timeout=30)
    out.close()
    err.close()


def _send(server, method, path, body=None, **headers):
    conn = UnixHTTPConnection(server["sock"])
    headers = {"X-Forwarded-For": SENTINEL_IP, "User-Agent": SENTINEL_UA, **headers}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def _tour(db_url):
    with psycopg2.connect(**_db_params(db_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT t.id, t.slug, min(s.position) FROM tours t JOIN tour_stops s "
                    "ON s.tour_id = t.id WHERE t.status = 'published' GROUP BY t.id "
                    "ORDER BY t.id LIMIT 1")
        return cur.fetchone()


def _counts(db_url, tour_id):
    with psycopg2.connect(**_db_params(db_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT metric, stop, sum(n) FROM usage_counters WHERE offering_kind = "
                    "'tour' AND offering_id = %s GROUP BY metric, stop", (tour_id,))
        return {(m, s): int(n) for m, s, n in cur.fetchall()}


def _story(db_url):
    """A public story (approved, at an approved place) and what is counted for it so far."""
    with psycopg2.connect(**_db_params(db_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT s.id FROM stories s JOIN places p ON p.id = s.place_id "
                    "WHERE s.status = 'approved' AND p.status = 'approved' "
                    "AND p.hidden_at IS NULL AND p.merged_into_id IS NULL "
                    "ORDER BY s.id LIMIT 1")
        return cur.fetchone()[0]


def _story_counts(db_url, story_id):
    with psycopg2.connect(**_db_params(db_url)) as conn, conn.cursor() as cur:
        cur.execute("SELECT metric, sum(n) FROM usage_counters WHERE offering_kind = 'story' "
                    "AND offering_id = %s GROUP BY metric", (story_id,))
        return {m: int(n) for m, n in cur.fetchall()}


def _wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)  # polling a condition: counts are written after the response


def test_nothing_personal_is_stored_or_logged(server):
    tour_id, slug, first_stop = _tour(server["db"])
    today = date.today().isoformat()
    for _ in range(3):
        assert _send(server, "GET", f"/tours/{slug}").status == 200
    assert _send(server, "GET", f"/tours/{slug}?utm_source={SENTINEL_IP}").status == 200
    for _ in range(2):
        assert _send(server, "GET", f"/t/{slug}/{first_stop}").status == 302
    story = _story(server["db"])
    for _ in range(2):
        assert _send(server, "GET", f"/stories/{story}").status == 200
    beacon = {"source": "online", "counts": [
        {"offering": f"tour:{slug}", "stop": first_stop, "metric": "stop_reached", "day": today},
        {"offering": f"tour:{slug}", "metric": "completion", "day": today},
        {"offering": f"story:{story}", "metric": "read_aloud", "day": today},
        {"offering": f"story:{story}", "metric": "audio_play", "day": today}]}
    assert _send(server, "POST", "/api/v1/usage", beacon).status == 202
    # refused beacons, and forced server errors
    bad = {"counts": [{"offering": f"tour:{slug}", "metric": "completion", "day": today,
                       "ip": SENTINEL_IP, "agent": SENTINEL_UA}]}
    assert _send(server, "POST", "/api/v1/usage", bad).status == 422
    assert _send(server, "POST", "/api/v1/usage", {"counts": "nope"}).status == 422
    assert _send(server, "GET", "/__privacy-test/boom").status == 500
    assert _send(server, "GET", f"/__privacy-test/boom?who={SENTINEL_IP}",
                 Referer=f"https://{SENTINEL_IP}/").status == 500

    expected = {("page_view", 0): 4, ("qr_scan", first_stop): 2,
                ("stop_reached", first_stop): 1, ("completion", 0): 1}
    _wait_for(lambda: _counts(server["db"], tour_id) == expected)
    assert _counts(server["db"], tour_id) == expected
    story_expected = {"page_view": 2, "read_aloud": 1, "audio_play": 1}
    _wait_for(lambda: _story_counts(server["db"], story) == story_expected)

    pg_dump = shutil.which("pg_dump") or next(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    params = _db_params(server["db"])
    dump = subprocess.run(
        [str(pg_dump), "--data-only", "--no-owner", "-d", params["dbname"], "-h",
         str(params["host"]), "-p", str(params["port"]), "-U", params["user"]],
        capture_output=True, text=True, check=True).stdout
    assert "usage_counters" in dump
    logs = "".join(p.read_text() for p in sorted(server["logs"].glob("*.log")))
    assert "forced server error" in logs and "/api/v1/usage" in logs  # the logs were read
    for where, text in (("database dump", dump), ("logs", logs)):
        assert SENTINEL_IP not in text, where
        assert "SentinelToken" not in text, where
        assert IPV4.findall(text) == [], (where, IPV4.findall(text)[:5])
        assert IPV6.findall(text) == [], (where, IPV6.findall(text)[:5])


def test_no_column_could_hold_an_address_agent_or_session(server):
    with psycopg2.connect(**_db_params(server["db"])) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_schema, table_name, column_name, data_type, udt_name "
                    "FROM information_schema.columns WHERE table_schema NOT IN "
                    "('pg_catalog', 'information_schema')")
        columns = cur.fetchall()
    assert columns
    assert [c for c in columns if c[4] in ("inet", "cidr")] == []
    suspicious = {"ip", "ips", "addr", "agent", "useragent", "ua", "session", "sessions",
                  "referrer", "referer", "device", "fingerprint"}
    named = [(t, c) for _s, t, c, _d, _u in columns
             if suspicious & set(re.split(r"[_\W]+", c.lower())) and (t, c) not in ALLOWED]
    assert named == []


@pytest.mark.parametrize("path", ["/", "/tours/{slug}", "/tours/{slug}/follow", "/themes",
                                  "/t/{slug}/1", "/api/v1/tours",
                                  "/places/{place}", "/stories/{story}", "/themes/{theme}",
                                  "/search?q=haus"])
def test_public_pages_set_no_cookie(server, path):
    _tour_id, slug, _stop = _tour(server["db"])
    with psycopg2.connect(**_db_params(server["db"])) as db, db.cursor() as cur:
        cur.execute("SELECT (SELECT min(id) FROM places WHERE status = 'approved'), "
                    "(SELECT min(slug) FROM themes)")
        place, theme = cur.fetchone()
    conn = UnixHTTPConnection(server["sock"])
    conn.request("GET", path.format(slug=slug, place=place, theme=theme,
                                    story=_story(server["db"])),
                 headers={"User-Agent": SENTINEL_UA})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    assert resp.status in (200, 302)
    assert resp.getheader("Set-Cookie") is None
