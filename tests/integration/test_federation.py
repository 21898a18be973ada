"""Federation (ActivityPub) against our own app: discovery (WebFinger, NodeInfo, actors,
outbox), a story's Note by content negotiation and its Tombstone, the inbox's signature
checks (unsigned, badly signed, wrong digest, old date, another actor's key: refused), blocks,
size and rate limits, and what the inbox job makes of Follow, Undo, Like, a reply, its edit
and its author's deletion; story changes in the outbox and their fan-out to one inbox per
server. Deliveries over HTTP and a real worker: test_federation_delivery.py."""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest
from apsig.draft.sign import Signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from tests.conftest import create_user

BASE = "http://127.0.0.1:5000"
CITY = f"{BASE}/ap/actors/winterthur"
PEER = "https://peer.example"
AP = "application/activity+json"


@pytest.fixture(scope="module")
def peer_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture
def alice(db_session, peer_key):
    """A remote actor we already know (its key stored: nothing is fetched)."""
    from app.extensions import db
    from app.models.federation import RemoteActor

    who = RemoteActor(uri=f"{PEER}/users/alice", domain="peer.example",
                      inbox=f"{PEER}/users/alice/inbox", shared_inbox=f"{PEER}/inbox",
                      key_id=f"{PEER}/users/alice#main-key", public_pem=_pem(peer_key),
                      username="alice")
    db.session.add(who)
    db.session.flush()
    return who


def _signed(activity: dict, key, *, key_id=f"{PEER}/users/alice#main-key", path="/ap/inbox",
            date=None, body=None, headers=None) -> tuple[bytes, dict]:
    body = body if body is not None else json.dumps(activity).encode()
    sent = {"Date": date or formatdate(usegmt=True), "Host": "localhost",
            "Content-Type": AP}
    signed = Signer(headers=sent, private_key=key, method="POST", url=f"{BASE}{path}",
                    key_id=key_id, body=body,
                    signed_headers=headers).sign()
    signed.pop("Authorization", None)
    return body, signed


def _post(client, activity, key, **kw):
    path = kw.pop("path", "/ap/inbox")
    tamper = kw.pop("tamper", None)
    body, headers = _signed(activity, key, path=path, **kw)
    if tamper:
        body = tamper(body)
    return client.post(path, data=body, headers=headers)


def _public_story(demo):
    from app.extensions import db
    from app.models import Place, Story
    from app.services import visibility

    return db.session.scalars(select(Story).join(Place, Story.place_id == Place.id)
                              .where(visibility.public_story()).order_by(Story.id)).first()


def _follow(n=1):
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{PEER}/follows/{n}",
            "type": "Follow", "actor": f"{PEER}/users/alice", "object": CITY}


def app_template_global_of(client):
    return client.application.jinja_env.globals["remote_author"]


def _work_off():
    from app.services.federation import inbox

    queued = []
    inbox.process_pending(lambda actor, to, activity: queued.append((actor, to, activity)))
    return queued


# Discovery ------------------------------------------------------------------------------

def test_webfinger_actor_and_nodeinfo(client, demo):
    resp = client.get("/.well-known/webfinger?resource=acct:winterthur@127.0.0.1:5000")
    assert resp.status_code == 200 and resp.mimetype == "application/jrd+json"
    assert resp.json["links"][0] == {"rel": "self", "type": AP, "href": CITY}
    assert client.get("/.well-known/webfinger?resource=acct:nobody@127.0.0.1:5000"
                      ).status_code == 404
    assert client.get("/.well-known/webfinger?resource=acct:winterthur@elsewhere.example"
                      ).status_code == 404
    assert client.get("/.well-known/webfinger").status_code == 404

    actor = client.get("/ap/actors/winterthur").json
    assert actor["type"] == "Service" and actor["id"] == CITY
    assert actor["publicKey"]["owner"] == CITY
    assert actor["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert actor["endpoints"]["sharedInbox"] == f"{BASE}/ap/inbox"
    # the same key the next time: it is stored
    assert client.get("/ap/actors/winterthur").json["publicKey"] == actor["publicKey"]
    assert client.get("/ap/actors/winterthur/followers").json["totalItems"] == 0

    links = client.get("/.well-known/nodeinfo").json["links"]
    assert links[0]["href"] == f"{BASE}/nodeinfo/2.1"
    info = client.get("/nodeinfo/2.1").json
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["usage"]["localPosts"] > 0
    assert client.get("/ap/actors/nobody").status_code == 404


def test_theme_and_tour_actors(client, demo):
    from app.extensions import db
    from app.models import Theme, Tour
    from app.services import visibility

    theme = db.session.scalars(select(Theme).order_by(Theme.id)).first()
    tour = db.session.scalars(select(Tour).where(visibility.public_tour())).first()
    for name in (f"theme-{theme.slug}", f"tour-{tour.slug}"):
        actor = client.get(f"/ap/actors/{name}").json
        assert actor["type"] == "Service" and actor["preferredUsername"] == name
        outbox = client.get(f"/ap/actors/{name}/outbox").json
        assert outbox["type"] == "OrderedCollection"
        page = client.get(outbox["first"].replace(BASE, "")).json
        assert page["type"] == "OrderedCollectionPage"
        assert all(i["type"] == "Announce" for i in page["orderedItems"])
    assert client.get("/ap/actors/theme-no-such-theme").status_code == 404
    assert client.get("/ap/actors/tour-no-such-tour").status_code == 404


def test_city_outbox_is_paged(client, demo):
    outbox = client.get("/ap/actors/winterthur/outbox").json
    assert outbox["totalItems"] > 20
    first = client.get("/ap/actors/winterthur/outbox?page=1").json
    assert len(first["orderedItems"]) == 20 and first["next"].endswith("page=2")
    second = client.get("/ap/actors/winterthur/outbox?page=2").json
    assert second["prev"].endswith("page=1")
    ids = {i["object"]["id"] for i in first["orderedItems"]}
    assert not ids & {i["object"]["id"] for i in second["orderedItems"]}
    assert all(i["type"] == "Create" for i in first["orderedItems"])
    for bad in ("0", "x", "99999999"):
        assert client.get(f"/ap/actors/winterthur/outbox?page={bad}").status_code == 404


def test_story_note_by_content_negotiation(client, demo):
    story = _public_story(demo)
    page = client.get(f"/stories/{story.id}")
    assert page.mimetype == "text/html" and "Accept" in page.headers["Vary"]
    for accept in (AP, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'):
        resp = client.get(f"/stories/{story.id}", headers={"Accept": accept})
        assert resp.status_code == 200 and resp.mimetype == AP
        note = resp.json
        assert note["type"] == "Note" and note["id"] == f"{BASE}/stories/{story.id}"
        assert "summary" not in note
        assert note["url"] == note["id"] and note["attributedTo"] == CITY
        assert note["location"]["type"] == "Place"
        assert note["location"]["name"] == story.place.title
        assert story.title in note["content"] and note["published"].endswith("Z")
        assert note["replies"] == f"{BASE}/ap/stories/{story.id}/replies"
        assert all(t["type"] == "Hashtag" for t in note["tag"])
    # a browser's Accept keeps the page
    resp = client.get(f"/stories/{story.id}",
                      headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.mimetype == "text/html"
    replies = client.get(f"/ap/stories/{story.id}/replies").json
    assert replies["type"] == "OrderedCollection"


def test_story_note_attachment_and_decade(client, demo):
    from app.extensions import db
    from app.models import Media

    story = _public_story(demo)
    story.era_start, story.era_end, story.era_precision = 1963, 1963, "year"
    for n in range(6):
        db.session.add(Media(place_id=story.place_id, story_id=story.id, kind="photo",
                             storage_key=f"fed-test-{n}", mime="image/jpeg", size_bytes=1,
                             sha256="0" * 64, variants={"public": f"fed-test-{n}.jpg"},
                             caption=f"Photo {n}", status="approved", position=n))
    db.session.flush()
    db.session.expire(story)
    note = client.get(f"/stories/{story.id}", headers={"Accept": AP}).json
    photos = [a for a in note["attachment"] if a["url"].endswith(".jpg")
              and "fed-test-" in a["url"]]
    assert len(note["attachment"]) == 4 and len(photos) <= 4 and photos
    assert all(a["type"] == "Image" and a["name"].startswith("Photo") for a in photos)
    assert any(t["name"] in ("#1960er", "#1960s") for t in note["tag"])
    assert "#<span>1960" in note["content"]


def test_withdrawn_story_is_a_tombstone(client, demo):
    from app.extensions import db
    from app.services import stories

    story = _public_story(demo)
    story_id = story.id
    author = story.author or create_user("narrator@example.org")
    if story.author is None:
        story.author_id = author.id
        db.session.flush()
    stories.withdraw_story(author, story_id)
    db.session.flush()
    resp = client.get(f"/stories/{story_id}", headers={"Accept": AP})
    assert resp.status_code == 410 and resp.json["type"] == "Tombstone"
    assert resp.json["id"] == f"{BASE}/stories/{story_id}"
    assert client.get(f"/ap/stories/{story_id}/replies").status_code == 404
    assert client.get("/stories/999999999", headers={"Accept": AP}).status_code == 404


def test_federation_off_answers_nothing(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "FEDERATION", False)
    story = _public_story(demo)
    assert client.get("/ap/actors/winterthur").status_code == 404
    assert client.get("/.well-known/webfinger?resource=acct:winterthur@127.0.0.1:5000"
                      ).status_code == 404
    assert client.get("/nodeinfo/2.1").status_code == 404
    assert client.post("/ap/inbox", data=b"{}").status_code == 404
    assert client.get(f"/stories/{story.id}", headers={"Accept": AP}).mimetype == "text/html"


# Inbox: who may post ---------------------------------------------------------------------

def test_unsigned_and_badly_signed_posts_get_401(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models.federation import ReceivedActivity

    body = json.dumps(_follow()).encode()
    assert client.post("/ap/inbox", data=body, headers={"Content-Type": AP}).status_code == 401
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _post(client, _follow(), other).status_code == 401  # someone else's key
    # the body changed after signing: the Digest no longer matches
    assert _post(client, _follow(), peer_key,
                 tamper=lambda b: b.replace(b"follows/1", b"follows/2")).status_code == 401
    # an old Date, and a signature that leaves the digest out
    assert _post(client, _follow(), peer_key,
                 date="Mon, 01 Jan 2024 00:00:00 GMT").status_code == 401
    assert _post(client, _follow(), peer_key,
                 headers=["(request-target)", "host", "date"]).status_code == 401
    # signed for another inbox
    body, headers = _signed(_follow(), peer_key, path="/ap/actors/winterthur/inbox")
    assert client.post("/ap/inbox", data=body, headers=headers).status_code == 401
    # a key we do not know and cannot fetch (the example host has no such document)
    assert _post(client, _follow(), peer_key,
                 key_id="https://127.0.0.1/actor#main-key").status_code == 401
    assert db.session.scalar(select(ReceivedActivity.id)) is None


def test_a_server_cannot_put_its_key_on_another_servers_actor(client, demo, alice, peer_key,
                                                              monkeypatch):
    from app.extensions import db
    from app.models.federation import RemoteActor
    from app.services.federation import remote

    evil = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    # evil.example serves a document claiming to be alice, with alice's key id and its key
    forged = {"id": f"{PEER}/users/alice", "inbox": f"{PEER}/users/alice/inbox",
              "publicKey": {"id": f"{PEER}/users/alice#main-key",
                            "owner": f"{PEER}/users/alice", "publicKeyPem": _pem(evil)}}
    served = {"https://evil.example/actor": forged,
              "https://evil.example/key": {"id": "https://evil.example/key",
                                           "owner": f"{PEER}/users/alice"},
              f"{PEER}/users/alice": forged}
    monkeypatch.setattr(remote, "fetch", lambda url: served[url])
    activity = {**_follow(), "id": "https://evil.example/follows/1"}
    for key_id in ("https://evil.example/actor#key", "https://evil.example/key"):
        assert _post(client, activity, evil, key_id=key_id).status_code == 401
    # a document naming a key other than the one asked for
    served["https://evil.example/actor"] = {
        "id": "https://evil.example/actor", "inbox": "https://evil.example/inbox",
        "publicKey": {"id": "https://evil.example/actor#other",
                      "owner": "https://evil.example/actor", "publicKeyPem": _pem(evil)}}
    assert _post(client, {**activity, "actor": "https://evil.example/actor"}, evil,
                 key_id="https://evil.example/actor#key").status_code == 401
    stored = db.session.scalar(select(RemoteActor).where(
        RemoteActor.uri == f"{PEER}/users/alice"))
    assert stored.public_pem == _pem(peer_key)
    assert db.session.scalar(select(db.func.count()).select_from(RemoteActor)) == 1


def test_signer_must_be_the_actor(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models.federation import RemoteActor

    bob = RemoteActor(uri=f"{PEER}/users/bob", domain="peer.example",
                      inbox=f"{PEER}/users/bob/inbox", key_id=f"{PEER}/users/bob#main-key",
                      public_pem=_pem(peer_key))
    db.session.add(bob)
    db.session.flush()
    forged = {**_follow(), "actor": f"{PEER}/users/bob"}
    assert _post(client, forged, peer_key).status_code == 403


def test_not_an_activity_too_large_and_too_many(app, client, demo, alice, peer_key,
                                                monkeypatch):
    assert _post(client, {"type": "Follow"}, peer_key).status_code == 422
    assert _post(client, None, peer_key, body=b"not json").status_code == 422
    monkeypatch.setitem(app.config, "FEDERATION_MAX_BODY", 100)
    assert _post(client, _follow(), peer_key).status_code == 413
    monkeypatch.setitem(app.config, "FEDERATION_MAX_BODY", 256 * 1024)
    monkeypatch.setitem(app.config, "FEDERATION_HOST_RATE", 2)
    assert _post(client, _follow(1), peer_key).status_code == 202
    assert _post(client, _follow(2), peer_key).status_code == 202
    assert _post(client, _follow(3), peer_key).status_code == 429


def test_blocked_instance_and_account_get_403(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models import User
    from app.models.federation import Follower
    from app.services.federation import blocks

    curator = db.session.scalar(select(User).where(User.role == "curator"))
    assert _post(client, _follow(), peer_key).status_code == 202
    _work_off()
    assert db.session.scalar(select(Follower.id)) is not None
    blocks.block(curator, "peer.example", "spam")
    db.session.flush()
    assert db.session.scalar(select(Follower.id)) is None  # followers removed
    assert _post(client, _follow(2), peer_key).status_code == 403
    blocks.unblock(curator, blocks.all_blocks()[0].id)
    blocks.block(curator, f"{PEER}/users/alice")
    assert _post(client, _follow(3), peer_key).status_code == 403
    resident = create_user("resident@example.org")
    from app.errors import Forbidden, ValidationError

    with pytest.raises(Forbidden):
        blocks.block(resident, "other.example")
    with pytest.raises(ValidationError):
        blocks.block(curator, "not a/host")


# Inbox: what the job does ----------------------------------------------------------------

def test_follow_is_accepted_once_and_undone(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models.federation import Follower

    assert _post(client, _follow(), peer_key).status_code == 202
    # the same activity again: accepted, stored once
    assert _post(client, _follow(), peer_key).status_code == 202
    queued = _work_off()
    assert len(queued) == 1
    actor, inbox, accept = queued[0]
    assert (actor, inbox) == ("city", f"{PEER}/users/alice/inbox")
    assert accept["type"] == "Accept" and accept["object"]["id"] == f"{PEER}/follows/1"
    assert accept["actor"] == CITY
    assert client.get("/ap/actors/winterthur/followers").json["totalItems"] == 1
    assert _work_off() == []  # nothing twice

    undo = {"id": f"{PEER}/undo/1", "type": "Undo", "actor": f"{PEER}/users/alice",
            "object": _follow()}
    assert _post(client, undo, peer_key, path="/ap/actors/winterthur/inbox").status_code == 202
    _work_off()
    assert db.session.scalar(select(Follower.id)) is None


def test_like_and_announce_count_as_thanks(client, demo, alice, peer_key):
    from app.services.federation.inbox import thanks_count

    story = _public_story(demo)
    for n, kind in enumerate(("Like", "Announce", "Like")):
        activity = {"id": f"{PEER}/activities/{n}", "type": kind,
                    "actor": f"{PEER}/users/alice", "object": f"{BASE}/stories/{story.id}"}
        assert _post(client, activity, peer_key).status_code == 202
    ignored = {"id": f"{PEER}/activities/x", "type": "Move",
               "actor": f"{PEER}/users/alice", "object": "x"}
    assert _post(client, ignored, peer_key).status_code == 202
    _work_off()
    assert thanks_count(story.id) == 2  # a second Like of the same person counts once
    # The story page's count of thanks includes them.
    from app.services.conversation import reactions

    assert reactions.counts(story.id)["thanks"] == 2
    undo = {"id": f"{PEER}/undo/like", "type": "Undo", "actor": f"{PEER}/users/alice",
            "object": {"type": "Like", "actor": f"{PEER}/users/alice",
                       "object": f"{BASE}/stories/{story.id}"}}
    _post(client, undo, peer_key)
    _work_off()
    assert thanks_count(story.id) == 1


def _note(story_id, text, n=1):
    return {"id": f"{PEER}/notes/{n}", "type": "Note", "attributedTo": f"{PEER}/users/alice",
            "inReplyTo": f"{BASE}/stories/{story_id}", "content": text,
            "attachment": [{"type": "Image", "url": "http://10.0.0.1/secret.png"}]}


def test_reply_waits_is_edited_and_leaves_with_its_author(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models.conversation import Reply
    from app.models.federation import RemoteActor, RemoteReply

    story = _public_story(demo)
    create = {"id": f"{PEER}/notes/1/create", "type": "Create",
              "actor": f"{PEER}/users/alice",
              "object": _note(story.id, '<p>I remember <script>alert(1)</script>'
                                        '<a href="javascript:x()">this</a>!</p>')}
    assert _post(client, create, peer_key).status_code == 202
    _work_off()
    reply = db.session.scalar(select(Reply).where(Reply.story_id == story.id,
                                                  Reply.held_reason == "remote"))
    assert reply.status == "pending" and reply.author_id is None
    assert "<" not in reply.body and "javascript" not in reply.body
    assert reply.body.startswith("I remember") and "this!" in reply.body
    # not on the public replies collection while it waits
    assert client.get(f"/ap/stories/{story.id}/replies").json["totalItems"] == 0

    # markup written as text loses its brackets; a javascript: link written as text, or
    # nothing but markup, makes no reply
    for n, content in ((3, "<p>&lt;b&gt;bold&lt;/b&gt; text</p>"),
                       (4, "<p>see javascript:alert(1)</p>"), (5, "<p><img src=x></p>")):
        _post(client, {"id": f"{PEER}/notes/{n}/create", "type": "Create",
                       "actor": f"{PEER}/users/alice",
                       "object": _note(story.id, content, n)}, peer_key)
    _work_off()
    bodies = db.session.scalars(select(Reply.body).where(
        Reply.story_id == story.id, Reply.held_reason == "remote").order_by(Reply.id)).all()
    assert bodies[1:] == ["‹b›bold‹/b› text"]
    # a reply to something that is not our story is ignored
    stray = {"id": f"{PEER}/notes/2/create", "type": "Create",
             "actor": f"{PEER}/users/alice",
             "object": {**_note(story.id, "hi", 2), "inReplyTo": f"{PEER}/notes/9"}}
    _post(client, stray, peer_key)
    update = {"id": f"{PEER}/notes/1/update", "type": "Update",
              "actor": f"{PEER}/users/alice", "object": _note(story.id, "<p>Edited</p>")}
    _post(client, update, peer_key)
    _work_off()
    db.session.refresh(reply)
    assert reply.body == "Edited" and reply.status == "pending"
    assert db.session.scalar(select(RemoteReply.object_id)) == f"{PEER}/notes/1"
    from app.services.federation.inbox import remote_author

    assert remote_author(reply.id) == {"handle": "alice@peer.example",
                                       "uri": f"{PEER}/users/alice"}
    assert app_template_global_of(client)(reply)["handle"] == "alice@peer.example"

    gone = {"id": f"{PEER}/users/alice#delete", "type": "Delete",
            "actor": f"{PEER}/users/alice", "object": f"{PEER}/users/alice"}
    reply_id = reply.id
    _post(client, gone, peer_key)
    _work_off()
    db.session.expire_all()
    assert db.session.get(Reply, reply_id) is None
    assert db.session.scalar(select(RemoteActor.id).where(
        RemoteActor.uri == f"{PEER}/users/alice")) is None


def test_reply_deleted_by_its_author(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models.conversation import Reply

    story = _public_story(demo)
    _post(client, {"id": f"{PEER}/c/1", "type": "Create", "actor": f"{PEER}/users/alice",
                   "object": _note(story.id, "<p>Hello</p>")}, peer_key)
    _work_off()
    reply_id = db.session.scalar(select(Reply.id).where(Reply.held_reason == "remote"))
    _post(client, {"id": f"{PEER}/d/1", "type": "Delete", "actor": f"{PEER}/users/alice",
                   "object": {"id": f"{PEER}/notes/1", "type": "Tombstone"}}, peer_key)
    _work_off()
    db.session.expire_all()
    assert db.session.get(Reply, reply_id) is None


def test_flag_of_a_reply_is_a_report(client, demo, alice, peer_key):
    from app.extensions import db
    from app.models import Flag
    from app.models.conversation import Reply

    story = _public_story(demo)
    author = create_user("replier@example.org")
    reply = Reply(story_id=story.id, author_id=author.id, body="Rude words",
                  status="visible")
    db.session.add(reply)
    db.session.flush()
    assert app_template_global_of(client)(reply) is None  # a local reply has its author
    flag = {"id": f"{PEER}/flags/1", "type": "Flag", "actor": f"{PEER}/users/alice",
            "content": "<p>Forwarded: <b>insulting</b></p>",
            "object": [f"{BASE}/stories/{story.id}#reply-{reply.id}", CITY,
                       f"{BASE}/stories/{story.id}#reply-999999999"]}
    assert _post(client, flag, peer_key).status_code == 202
    _work_off()
    [found] = db.session.scalars(select(Flag)).all()
    assert found.reply_id == reply.id and found.reason == "other"
    assert found.message == "Forwarded: insulting" and found.reporter_id is None
    # the same instance reporting again updates its report instead of counting twice
    _post(client, {**flag, "id": f"{PEER}/flags/2"}, peer_key)
    _work_off()
    assert db.session.scalar(select(db.func.count()).select_from(Flag)) == 1


# Outbox ----------------------------------------------------------------------------------

def _follower(actor, uri, inbox, shared=None):
    from app.extensions import db
    from app.models.federation import Follower, RemoteActor
    from app.services.federation.remote import domain_of

    who = RemoteActor(uri=uri, domain=domain_of(uri), inbox=inbox, shared_inbox=shared,
                      key_id=f"{uri}#key", public_pem="unused")
    db.session.add(who)
    db.session.flush()
    db.session.add(Follower(actor=actor, remote_actor_id=who.id, follow_id=f"{uri}/follow"))
    db.session.flush()
    return who


def test_story_changes_are_fanned_out_once_per_inbox(demo, db_session):
    from app.extensions import db
    from app.models import User
    from app.models.federation import OutboxEntry
    from app.services import stories
    from app.services.federation import blocks, delivery

    story = _public_story(demo)
    curator = db.session.scalar(select(User).where(User.role == "curator"))
    _follower("city", f"{PEER}/users/a", f"{PEER}/users/a/inbox", f"{PEER}/inbox")
    _follower("city", f"{PEER}/users/b", f"{PEER}/users/b/inbox", f"{PEER}/inbox")
    _follower("city", "https://solo.example/u/c", "https://solo.example/u/c/inbox")
    _follower("city", "https://blocked.example/u/d", "https://blocked.example/u/d/inbox")
    blocks.block(curator, "blocked.example")

    story.status = "pending"
    db.session.flush()
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    kinds = db.session.scalars(select(OutboxEntry.kind).where(
        OutboxEntry.story_id == story.id).order_by(OutboxEntry.id)).all()
    assert kinds == ["delete", "create"]
    db.session.execute(OutboxEntry.__table__.update().where(OutboxEntry.kind == "delete")
                       .values(fanned_out_at=db.func.now()))
    sent = []
    delivery.fan_out_pending(lambda actor, inbox, activity: sent.append((actor, inbox,
                                                                         activity)))
    city = [(inbox, a) for actor, inbox, a in sent if actor == "city"]
    assert sorted(inbox for inbox, _a in city) == [f"{PEER}/inbox",
                                                   "https://solo.example/u/c/inbox"]
    assert {a["type"] for _i, a in city} == {"Create"}
    assert city[0][1]["object"]["id"] == f"{BASE}/stories/{story.id}"
    assert delivery.fan_out_pending(lambda *a: sent.append(a)) == 0  # once

    story.title = "A corrected title"
    db.session.flush()
    stories.withdraw_story(story.author, story.id) if story.author else None
    db.session.flush()
    kinds = db.session.scalars(select(OutboxEntry.kind).where(
        OutboxEntry.story_id == story.id, OutboxEntry.fanned_out_at.is_(None))
        .order_by(OutboxEntry.id)).all()
    assert kinds[0] == "update"
    if story.author:
        assert kinds[1] == "delete"
        sent.clear()
        delivery.fan_out_pending(lambda actor, inbox, activity: sent.append(activity))
        assert sent[-1]["type"] == "Delete" and sent[-1]["object"]["type"] == "Tombstone"


def test_theme_followers_get_an_announce(demo, db_session):
    from app.extensions import db
    from app.models import Theme, User, place_themes
    from app.models.federation import OutboxEntry
    from app.services import stories
    from app.services.federation import delivery

    story = _public_story(demo)
    slug = db.session.scalar(select(Theme.slug).join(
        place_themes, place_themes.c.theme_id == Theme.id).where(
        place_themes.c.place_id == story.place_id))
    if slug is None:
        pytest.skip("the first public story's place has no theme")
    curator = db.session.scalar(select(User).where(User.role == "curator"))
    _follower(f"theme:{slug}", f"{PEER}/users/t", f"{PEER}/users/t/inbox")
    story.status = "pending"
    db.session.flush()
    db.session.execute(OutboxEntry.__table__.update().values(fanned_out_at=db.func.now()))
    stories.review_story(curator, story.id, "approve")
    db.session.flush()
    sent = []
    delivery.fan_out_pending(lambda actor, inbox, activity: sent.append((actor, activity)))
    assert [(actor, a["type"]) for actor, a in sent] == [(f"theme:{slug}", "Announce")]
    assert sent[0][1]["object"] == f"{BASE}/stories/{story.id}"


# Curator page ----------------------------------------------------------------------------

def test_curator_page_blocks_and_lifts(client, demo, alice):
    from app.extensions import db
    from app.models import ModerationEvent
    from app.models.federation import FederationBlock, Follower
    from tests.conftest import login

    db.session.add(Follower(actor="city", remote_actor_id=alice.id, follow_id="f"))
    db.session.flush()
    assert client.get("/curate/federation").status_code == 302  # visitors log in first
    create_user("res@example.org")
    login(client, "res@example.org")
    assert client.get("/curate/federation").status_code == 403
    assert client.post("/curate/federation/blocks",
                       data={"target": "peer.example"}).status_code == 403
    assert db.session.scalar(select(FederationBlock.id)) is None
    client.post("/logout")

    curator = create_user("cur@example.org", role="curator")
    curator.locale = "en"
    db.session.flush()
    login(client, "cur@example.org")
    page = client.get("/curate/federation").get_data(as_text=True)
    assert "No account or server is blocked." in page and 'id="block-form"' in page
    resp = client.post("/curate/federation/blocks",
                       data={"target": " Peer.Example ", "reason": "spam"})
    assert resp.status_code == 303
    page = client.get("/curate/federation").get_data(as_text=True)
    assert "peer.example is blocked." in page and "spam" in page
    assert db.session.scalar(select(Follower.id)) is None
    assert db.session.scalar(select(ModerationEvent.action).where(
        ModerationEvent.target_type == "federation_block")) == "block"
    # refused input: flashed, nothing stored
    for bad in ({"target": ""}, {"target": "a/b"}, {"target": "x" * 2001},
                {"target": "ok.example", "extra": "1"}):
        resp = client.post("/curate/federation/blocks", data=bad)
        assert resp.status_code == 303
        shown = client.get("/curate/federation").get_data(as_text=True)
        assert "is blocked." not in shown and 'class="flash' in shown
    client.post("/curate/federation/blocks", data={"target": "a/b"})
    assert "a host name" in client.get("/curate/federation").get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(FederationBlock)) == 1
    block_id = db.session.scalar(select(FederationBlock.id))
    assert client.post(f"/curate/federation/blocks/{block_id}/delete").status_code == 303
    assert "The block is lifted." in client.get("/curate/federation").get_data(as_text=True)
    assert db.session.scalar(select(FederationBlock.id)) is None


def test_trusted_remote_replies_show_at_once(client, demo, alice, peer_key):
    from app.errors import Forbidden
    from app.extensions import db
    from app.models import User, WatchedWord
    from app.models.conversation import Reply
    from app.services.federation import trust

    story = _public_story(demo)
    curator = db.session.scalar(select(User).where(User.role == "curator"))
    with pytest.raises(Forbidden):
        trust.trust(create_user("someone-else@example.org"), "peer.example")
    trust.trust(curator, "Peer.Example")
    db.session.add(WatchedWord(phrase="scandal"))
    db.session.flush()
    for n, text in ((1, "<p>Lovely memory</p>"), (2, "<p>What a scandal</p>")):
        _post(client, {"id": f"{PEER}/c/{n}", "type": "Create",
                       "actor": f"{PEER}/users/alice",
                       "object": _note(story.id, text, n)}, peer_key)
    _work_off()
    rows = db.session.execute(select(Reply.body, Reply.status, Reply.held_reason).where(
        Reply.story_id == story.id).order_by(Reply.id)).all()
    assert [tuple(r) for r in rows[-2:]] == [("Lovely memory", "visible", None),
                                            ("What a scandal", "pending", "watched_word")]
    shown = client.get(f"/ap/stories/{story.id}/replies").json
    assert [i["content"].strip() for i in shown["orderedItems"]] == ["<p>Lovely memory</p>"]
    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert 'class="remote-author">alice@peer.example</a>' in page
    assert f'href="{PEER}/users/alice"' in page and "What a scandal" not in page

    # no longer trusted: the next one waits again
    trust.distrust(curator, trust.all_trusts()[0].id)
    _post(client, {"id": f"{PEER}/c/3", "type": "Create", "actor": f"{PEER}/users/alice",
                   "object": _note(story.id, "<p>Third</p>", 3)}, peer_key)
    _work_off()
    assert db.session.scalar(select(Reply.held_reason).where(Reply.body == "Third")) == "remote"


def test_curator_page_trusts(client, demo):
    from app.extensions import db
    from app.models.federation import FederationTrust
    from tests.conftest import login

    curator = create_user("trusting@example.org", role="curator")
    curator.locale = "en"
    db.session.flush()
    login(client, "trusting@example.org")
    assert client.post("/curate/federation/trusts",
                       data={"target": "friendly.example"}).status_code == 303
    page = client.get("/curate/federation").get_data(as_text=True)
    assert "Replies from friendly.example show at once now." in page
    assert 'id="trust-list"' in page
    client.post("/curate/federation/trusts", data={"target": "has space.example"})
    assert db.session.scalar(select(db.func.count()).select_from(FederationTrust)) == 1
    trust_id = db.session.scalar(select(FederationTrust.id))
    assert client.post(f"/curate/federation/trusts/{trust_id}/delete").status_code == 303
    assert "No account or server is trusted." in client.get("/curate/federation").get_data(
        as_text=True)
    client.post("/logout")
    create_user("plain@example.org")
    login(client, "plain@example.org")
    assert client.post("/curate/federation/trusts",
                       data={"target": "x.example"}).status_code == 403
    assert db.session.scalar(select(FederationTrust.id)) is None


def test_a_hidden_place_takes_its_stories_out_and_back(demo, db_session):
    from datetime import UTC, datetime

    from app.extensions import db
    from app.models import Place, Story
    from app.models.federation import OutboxEntry

    story = _public_story(demo)
    public_here = set(db.session.scalars(select(Story.id).where(
        Story.place_id == story.place_id, Story.is_approved_visible)))
    place = db.session.get(Place, story.place_id)
    place.hidden_at = datetime.now(UTC)
    db.session.flush()
    entries = db.session.execute(select(OutboxEntry.story_id, OutboxEntry.kind)).all()
    assert {(i, "delete") for i in public_here} == set(entries)
    place.hidden_at = None
    db.session.flush()
    created = db.session.scalars(select(OutboxEntry.story_id).where(
        OutboxEntry.kind == "create")).all()
    assert set(created) == public_here
    place.title = "Another name"
    db.session.flush()
    assert db.session.scalar(select(db.func.count()).select_from(OutboxEntry)) == \
        2 * len(public_here)


def test_tour_news_when_retired_and_published_again(client, demo, db_session):
    from app.extensions import db
    from app.models import Tour
    from app.models.federation import OutboxEntry
    from app.services import visibility
    from app.services.federation import delivery

    tour = db.session.scalars(select(Tour).where(visibility.public_tour())
                              .order_by(Tour.id)).first()
    _follower(f"tour:{tour.slug}", f"{PEER}/users/walker", f"{PEER}/users/walker/inbox")
    _follower("city", f"{PEER}/users/citizen", f"{PEER}/users/citizen/inbox")
    tour.title = "A new title"  # an edit alone is no news
    db.session.flush()
    assert db.session.scalar(select(OutboxEntry.id).where(OutboxEntry.tour_id.is_not(None))
                             ) is None
    tour.status = "retired"
    db.session.flush()
    sent = []
    delivery.fan_out_pending(lambda actor, inbox, activity: sent.append((actor, inbox,
                                                                         activity)))
    [(actor, inbox, activity)] = sent
    assert (actor, inbox) == (f"tour:{tour.slug}", f"{PEER}/users/walker/inbox")
    note = activity["object"]
    assert activity["type"] == "Create" and note["type"] == "Note"
    assert activity["actor"] == note["attributedTo"] == f"{BASE}/ap/actors/tour-{tour.slug}"
    assert "A new title" in note["content"]
    # the Note is where its id says, and the retired tour keeps its actor
    fetched = client.get(note["id"].replace(BASE, ""), headers={"Accept": AP})
    assert fetched.status_code == 200 and fetched.json["id"] == note["id"]
    assert client.get(f"/ap/actors/tour-{tour.slug}").status_code == 200

    tour = db.session.get(Tour, tour.id)  # the requests above ended the test's session
    tour.status = "published"
    db.session.flush()
    assert db.session.scalars(select(OutboxEntry.kind).where(
        OutboxEntry.tour_id == tour.id).order_by(OutboxEntry.id)).all() == ["retire", "publish"]
    sent.clear()
    delivery.fan_out_pending(lambda actor, inbox, activity: sent.append(activity))
    assert len(sent) == 1 and sent[0]["object"]["id"] != note["id"]
    assert client.get(f"/ap/tours/{tour.slug}/news/999999").status_code == 404
    assert client.get(f"/ap/tours/no-such-tour/news/{note['id'].rsplit('/', 1)[1]}"
                      ).status_code == 404
