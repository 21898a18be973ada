"""Deliveries over HTTP on a database of their own (a real procrastinate worker reads
committed rows): a follower's inbox on loopback (allowed for the tests) receives our Create
signed draft-cavage over (request-target) host date digest, checked here with cryptography
alone; an inbox that is down is retried with back-off and, the job kept in the database, is
delivered by a worker started afterwards; a domain failing again and again is left alone."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select, text

from tests.conftest import make_test_app


class Inbox:
    """A follower's inbox on loopback: records what it is sent, answers 503 while down."""

    def __init__(self):
        self.received: list[dict] = []
        self.down = False
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if inbox.down:
                    self.send_response(503)
                else:
                    inbox.received.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body})
                    self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/inbox"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fed_app(clone_db):
    app = make_test_app(clone_db("federation"), FEDERATION_ALLOW_PRIVATE=True)
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture
def inbox():
    found = Inbox()
    yield found
    found.close()


def _follower(app, inbox_url: str, uri: str = "http://127.0.0.1/users/peer") -> None:
    with app.app_context():
        from app.extensions import db
        from app.models.federation import Follower, RemoteActor

        db.session.execute(text("TRUNCATE federation_followers, federation_remote_actors, "
                                "federation_outbox, federation_domains CASCADE"))
        who = RemoteActor(uri=uri, domain="127.0.0.1", inbox=inbox_url,
                          key_id=f"{uri}#key", public_pem="unused")
        db.session.add(who)
        db.session.flush()
        db.session.add(Follower(actor="city", remote_actor_id=who.id, follow_id=f"{uri}/f"))
        db.session.commit()
        db.session.remove()


def _run_worker(app, *defers) -> None:
    """A real worker run: the given (task, kwargs) deferred, then everything due worked off
    (it stops once nothing is due)."""
    from app import jobs

    async def work(job_app):
        async with job_app.open_async():
            for task, kwargs in defers:
                await job_app.configure_task(task).defer_async(**kwargs)
            await job_app.run_worker_async(wait=False, install_signal_handlers=False,
                                           listen_notify=False, queues=["federation"])

    with jobs.configured(app) as job_app:
        asyncio.run(work(job_app))


def _jobs(app, task="federation.deliver"):
    with app.app_context():
        from app.extensions import db

        rows = db.session.execute(text(
            "SELECT status, attempts, scheduled_at FROM procrastinate.procrastinate_jobs "
            "WHERE task_name = :t ORDER BY id"), {"t": task}).all()
        db.session.remove()
        return rows


def _check_signature(app, request: dict) -> None:
    """The request's draft-cavage signature, verified with the city actor's public key."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    parts = dict(p.split("=", 1) for p in headers["signature"].split(","))
    parts = {k: v.strip('"') for k, v in parts.items()}
    assert parts["algorithm"] == "rsa-sha256"
    assert parts["headers"].split() == ["(request-target)", "date", "host", "digest"]
    assert headers["digest"] == "SHA-256=" + base64.b64encode(
        hashlib.sha256(request["body"]).digest()).decode()
    lines = []
    for name in parts["headers"].split():
        value = f"post {request['path']}" if name == "(request-target)" else headers[name]
        lines.append(f"{name}: {value}")
    with app.app_context():
        from app.services.federation import keys

        public = serialization.load_pem_public_key(keys.key_of("city").public_pem.encode())
        assert parts["keyId"].endswith("/ap/actors/winterthur#main-key")
    public.verify(base64.b64decode(parts["signature"]), "\n".join(lines).encode(),
                  padding.PKCS1v15(), hashes.SHA256())


def test_approved_story_reaches_the_follower_signed(fed_app, inbox):
    from app.extensions import db
    from app.models import Place, Story, User
    from app.services import stories, visibility

    _follower(fed_app, inbox.url)
    with fed_app.app_context():
        story = db.session.scalars(select(Story).join(Place, Story.place_id == Place.id)
                                   .where(visibility.public_story()).order_by(Story.id)).first()
        story_id = story.id
        curator = db.session.scalar(select(User).where(User.role == "curator"))
        story.status = "pending"
        db.session.commit()
        db.session.execute(text("UPDATE federation_outbox SET fanned_out_at = now()"))
        stories.review_story(curator, story_id, "approve")
        db.session.commit()
        db.session.remove()
    _run_worker(fed_app, ("federation.pump", {"timestamp": 0}))
    creates = [json.loads(r["body"]) for r in inbox.received]
    assert [a["type"] for a in creates] == ["Create"]
    assert creates[0]["object"]["id"].endswith(f"/stories/{story_id}")
    _check_signature(fed_app, inbox.received[0])
    assert [s for s, _a, _t in _jobs(fed_app)] == ["succeeded"]


def test_inbox_down_is_retried_and_survives_a_restart(fed_app, inbox):
    from app.extensions import db
    from app.models.federation import FederationDomain

    _follower(fed_app, inbox.url)
    with fed_app.app_context():
        db.session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        db.session.execute(text("DELETE FROM procrastinate_jobs"))
        db.session.commit()
    inbox.down = True
    activity = {"id": "http://127.0.0.1:5000/test/1", "type": "Create",
                "actor": "http://127.0.0.1:5000/ap/actors/winterthur", "object": {}}
    _run_worker(fed_app, ("federation.deliver", {"actor": "city", "inbox": inbox.url,
                                                 "activity": activity}))
    [(status, attempts, scheduled)] = _jobs(fed_app)
    # failed once, waiting for its next attempt later (back-off), kept in the database
    assert status == "todo" and attempts == 1 and scheduled > datetime.now(UTC)
    assert inbox.received == []
    shown = fed_app.test_cli_runner().invoke(args=["jobs"]).output
    assert "federation.deliver" in shown and "waiting  1" in shown
    with fed_app.app_context():
        row = db.session.get(FederationDomain, "127.0.0.1")
        assert row.failures == 1 and "503" in row.last_error
        db.session.remove()

    # a new worker (the old one stopped), the inbox back up and the retry due: delivered
    inbox.down = False
    with fed_app.app_context():
        db.session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        db.session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now()"))
        db.session.commit()
    _run_worker(fed_app)
    assert [s for s, _a, _t in _jobs(fed_app)] == ["succeeded"]
    assert json.loads(inbox.received[0]["body"])["id"] == activity["id"]
    assert "No job waits" in fed_app.test_cli_runner().invoke(args=["jobs", "status"]).output
    with fed_app.app_context():  # a job that gave up is listed as failed
        db.session.execute(text("SET LOCAL search_path TO procrastinate, public"))
        db.session.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))
        db.session.commit()
    shown = fed_app.test_cli_runner().invoke(args=["jobs"]).output
    assert "failed   1" in shown and "Last failed:" in shown
    with fed_app.app_context():
        assert db.session.get(FederationDomain, "127.0.0.1").failures == 0
        db.session.remove()


def test_back_off_grows_exponentially():
    from types import SimpleNamespace

    from app.services.federation.tasks import deliver

    strategy = deliver.retry_strategy

    def wait(attempts):
        decision = strategy.get_retry_decision(exception=Exception("down"),
                                               job=SimpleNamespace(attempts=attempts))
        return decision and round((decision.retry_at - datetime.now(UTC)).total_seconds())

    assert [wait(n) for n in range(4)] == [4, 16, 64, 256]
    assert wait(9) is None  # given up after the ninth attempt, about a day after the first


def test_a_failing_domain_is_left_alone(fed_app, inbox, monkeypatch):
    from app.extensions import db
    from app.models.federation import FederationDomain
    from app.services.federation import delivery

    _follower(fed_app, inbox.url)
    monkeypatch.setitem(fed_app.config, "FEDERATION_DOMAIN_FAILURES", 2)
    inbox.down = True
    with fed_app.app_context():
        for _attempt in range(2):
            with pytest.raises(delivery.DeliveryFailed):
                delivery.deliver("city", inbox.url, {"type": "Create"})
            db.session.commit()
        assert db.session.get(FederationDomain, "127.0.0.1").unavailable_until is not None
        inbox.down = False
        assert delivery.deliver("city", inbox.url, {"type": "Create"}) == "dropped"
        assert inbox.received == []
        # and the fan-out leaves it out
        assert delivery._inboxes(["city"]) == []
        db.session.rollback()
        db.session.remove()


def test_private_addresses_are_not_reached_unless_allowed(fed_app, inbox, monkeypatch):
    from app.services.federation import delivery, remote

    monkeypatch.setitem(fed_app.config, "FEDERATION_ALLOW_PRIVATE", False)
    with fed_app.app_context():
        for url in (inbox.url, "https://127.0.0.1/inbox", "https://10.1.2.3/x",
                    "https://[::1]/x", "ftp://example.org/x", "https://localhost/x"):
            with pytest.raises(remote.Unreachable):
                remote.check_address(url)
        assert delivery.deliver("city", inbox.url, {"type": "Create"}).startswith("dropped")
        with pytest.raises(remote.Unreachable):
            remote.fetch("https://169.254.169.254/latest/meta-data")
    assert inbox.received == []
