"""Federation with an independent peer: a second fediverse server built on bovine (its
WebFinger client, its HTTP signatures and its signature checker; tests/peers/bovine_peer.py)
runs on loopback in its own virtual environment (``make test`` installs it pinned), against
our app served on loopback with its own database and a real job worker.

The peer finds the city actor by WebFinger and follows it (our Accept reaches it, signed as
bovine's checker wants); it receives our signed Create when a story is approved and the
Delete when it is withdrawn; its Like counts as a thank-you; its reply arrives pending and is
in the story's replies once a curator approves it."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select, text
from werkzeug.serving import make_server

from tests.conftest import make_test_app
from tests.integration.test_federation_delivery import _run_worker

ROOT = Path(__file__).resolve().parents[2]
PEER_PYTHON = ROOT / ".venv-peers" / "bovine" / "bin" / "python"
PEER_SCRIPT = ROOT / "tests" / "peers" / "bovine_peer.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ours(clone_db):
    if not PEER_PYTHON.exists():
        pytest.fail("the bovine peer is not installed: run make peers (make test does)")
    port = _free_port()
    app = make_test_app(clone_db("fedpeer"), FEDERATION_ALLOW_PRIVATE=True,
                        FEDERATION_BASE_URL=f"http://127.0.0.1:{port}")
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("peer") / "bovine.log"
    with log.open("w") as errors:
        process = subprocess.Popen([str(PEER_PYTHON), str(PEER_SCRIPT), str(port)],
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        pytest.fail(f"the bovine peer did not start: {line} {log.read_text()[-2000:]}")
    yield f"http://127.0.0.1:{port}", log
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def _received(peer: str) -> list[dict]:
    return requests.get(f"{peer}/control/received", timeout=10).json()


def _story_and_curator(app):
    from app.extensions import db
    from app.models import Place, Story, User
    from app.services import visibility

    with app.app_context():
        story = db.session.scalars(select(Story).join(Place, Story.place_id == Place.id)
                                   .where(visibility.public_story(), Story.author_id.is_not(None))
                                   .order_by(Story.id)).first()
        curator = db.session.scalar(select(User.id).where(User.role == "curator"))
        found = story.id, story.author_id, curator
        db.session.remove()
        return found


def test_bovine_peer_follows_receives_likes_and_replies(ours, peer):
    from app.extensions import db
    from app.models import User
    from app.models.conversation import Reply
    from app.services import stories
    from app.services.federation.inbox import thanks_count
    from app.services.moderation.conversation import decide_reply

    app, base = ours
    peer, log = peer
    city = f"{base}/ap/actors/winterthur"
    peer_actor = f"{peer}/actor"

    # WebFinger by bovine's client, then its signed Follow: 202, and our Accept verified
    found = requests.post(f"{peer}/control/follow",
                          json={"handle": f"winterthur@{base.split('://')[1]}"},
                          timeout=30).json()
    assert found == {"actor": city, "inbox": f"{city}/inbox", "status": 202}
    _run_worker(app, ("federation.pump", {"timestamp": 0}))
    accepts = [r for r in _received(peer) if r["activity"]["type"] == "Accept"]
    assert len(accepts) == 1 and accepts[0]["signer"] == city, log.read_text()[-3000:]
    assert accepts[0]["activity"]["object"]["actor"] == peer_actor
    assert requests.get(f"{city}/followers", timeout=10).json()["totalItems"] == 1

    # a story approved: our Create reaches the peer, signed
    story_id, author_id, curator_id = _story_and_curator(app)
    with app.app_context():
        db.session.execute(text("UPDATE stories SET status = 'pending' WHERE id = :i"),
                           {"i": story_id})
        db.session.commit()
        stories.review_story(db.session.get(User, curator_id), story_id, "approve")
        db.session.commit()
        db.session.remove()
    _run_worker(app, ("federation.pump", {"timestamp": 0}))
    creates = [r for r in _received(peer) if r["activity"]["type"] == "Create"]
    assert len(creates) == 1 and creates[0]["signer"] == city
    note = creates[0]["activity"]["object"]
    assert note["id"] == f"{base}/stories/{story_id}" and "summary" not in note

    # the peer's Like counts; its reply waits, then shows once approved
    like = {"id": f"{peer}/likes/1", "type": "Like", "actor": peer_actor,
            "object": f"{base}/stories/{story_id}"}
    reply = {"id": f"{peer}/notes/1/create", "type": "Create", "actor": peer_actor,
             "object": {"id": f"{peer}/notes/1", "type": "Note", "attributedTo": peer_actor,
                        "inReplyTo": f"{base}/stories/{story_id}",
                        "content": "<p>I was there in <b>1968</b>.</p>"}}
    for activity in (like, reply):
        sent = requests.post(f"{peer}/control/send", json={
            "inbox": f"{base}/ap/inbox", "activity": activity}, timeout=30).json()
        assert sent == {"status": 202}
    _run_worker(app, ("federation.pump", {"timestamp": 0}))
    replies_url = f"{base}/ap/stories/{story_id}/replies"
    assert requests.get(replies_url, timeout=10).json()["totalItems"] == 0
    with app.app_context():
        assert thanks_count(story_id) == 1
        waiting = db.session.scalar(select(Reply).where(Reply.story_id == story_id,
                                                        Reply.held_reason == "remote"))
        assert waiting.status == "pending" and waiting.body == "I was there in 1968."
        decide_reply(db.session.get(User, curator_id), waiting.id, "approve")
        db.session.commit()
        db.session.remove()
    shown = requests.get(replies_url, timeout=10).json()
    assert shown["totalItems"] == 1 and "1968" in shown["orderedItems"][0]["content"]

    # withdrawn: the peer gets the Delete, and the address answers a Tombstone
    with app.app_context():
        stories.withdraw_story(db.session.get(User, author_id), story_id)
        db.session.commit()
        db.session.remove()
    _run_worker(app, ("federation.pump", {"timestamp": 0}))
    deletes = [r for r in _received(peer) if r["activity"]["type"] == "Delete"]
    assert len(deletes) == 1 and deletes[0]["signer"] == city
    assert deletes[0]["activity"]["object"]["type"] == "Tombstone"
    gone = requests.get(f"{base}/stories/{story_id}", headers={"Accept":
                                                               "application/activity+json"},
                        timeout=10)
    assert gone.status_code == 410 and gone.json()["type"] == "Tombstone"
    assert all(r["signer"] for r in _received(peer)), json.dumps(_received(peer))[:2000]
