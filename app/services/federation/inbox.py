"""The inbox: a signed activity is stored once (by its id) and answered 202 at once; a job
works the stored ones off (``process_pending``). Follow (answered with Accept), Undo, Like and
Announce of a story (a thank-you), Create/Update/Delete of a Note in reply to a story (a
reply waiting for a curator), Delete of an actor, Flag of replies (a report in the curators'
queue, counted per instance); anything else is accepted and ignored."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import nh3
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from app.errors import Forbidden, ValidationError
from app.extensions import db
from app.models import Story
from app.models.conversation import MAX_REPLY, Reply
from app.models.federation import (
    MAX_URI,
    Follower,
    ReceivedActivity,
    RemoteActor,
    RemoteReply,
    RemoteThanks,
)
from app.models.statuses import HoldReason, ReplyStatus
from app.services import flags, visibility
from app.services.conversation import replies, rules
from app.services.federation import actors, blocks, signatures, trust
from app.services.federation.remote import domain_of
from app.services.inbox import notify_reply

log = logging.getLogger("stadtspur.federation")

# deliver(actor, inbox, activity): queues one delivery (a job in production).
Deliver = Callable[[str, str, dict], None]


class TooMany(Exception):
    """A remote host sent more activities this minute than it may."""


def _id(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and 0 < len(value) <= MAX_URI else None


def receive(method: str, url: str, headers: dict[str, str], body: bytes) -> bool:
    """Check and store one POSTed activity. Raises BadSignature (401), Forbidden (blocked,
    or the signer is not the activity's actor), ValidationError (not an activity), TooMany.
    Returns False for a repeated delivery of an activity already stored."""
    try:
        activity = json.loads(body)
    except ValueError as exc:
        raise ValidationError("The body is not JSON.") from exc
    if not isinstance(activity, dict) or not _id(activity) or not _id(activity.get("actor")) \
            or not isinstance(activity.get("type"), str):
        raise ValidationError("An activity needs an id, a type and an actor.")
    actor_uri = _id(activity["actor"])
    if blocks.is_blocked(actor_uri):
        raise Forbidden("This account or instance is blocked here.")
    domain = domain_of(actor_uri)
    since = datetime.now(UTC) - timedelta(minutes=1)
    recent = db.session.scalar(select(func.count()).select_from(ReceivedActivity).where(
        ReceivedActivity.domain == domain, ReceivedActivity.received_at >= since))
    if recent >= current_app.config["FEDERATION_HOST_RATE"]:
        raise TooMany(domain)
    signer = signatures.verify(method, url, headers, body)
    if signer.uri != actor_uri:
        raise Forbidden("The signing key does not belong to the activity's actor.")
    stored = db.session.execute(insert(ReceivedActivity).values(
        activity_id=_id(activity), type=activity["type"][:40], actor_uri=actor_uri,
        domain=domain, payload=activity).on_conflict_do_nothing()
        .returning(ReceivedActivity.id)).scalar()
    return stored is not None


def process_pending(deliver: Deliver, limit: int = 100) -> int:
    """Work off stored activities (each once, even with several workers). Returns how many."""
    rows = db.session.scalars(
        select(ReceivedActivity).where(ReceivedActivity.processed_at.is_(None))
        .order_by(ReceivedActivity.id).limit(limit).with_for_update(skip_locked=True)).all()
    for row in rows:
        try:
            with db.session.begin_nested():
                _handle(row.payload, deliver)
        except Exception:
            log.exception("activity %s could not be processed", row.activity_id)
        row.processed_at = datetime.now(UTC)
    return len(rows)


def _remote(activity: dict) -> RemoteActor | None:
    return db.session.scalar(select(RemoteActor).where(
        RemoteActor.uri == _id(activity["actor"])))


def _handle(activity: dict, deliver: Deliver) -> None:
    kind, obj = activity.get("type"), activity.get("object")
    who = _remote(activity)
    if who is None or blocks.is_blocked(who.uri):
        return
    if kind == "Follow":
        _follow(activity, who, deliver)
    elif kind == "Undo" and isinstance(obj, dict):
        _undo(obj, who)
    elif kind in ("Like", "Announce"):
        _thank(kind.lower(), _id(obj), _id(activity), who)
    elif kind == "Create" and isinstance(obj, dict) and obj.get("type") == "Note":
        _reply(obj, who)
    elif kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Note":
        _edit_reply(obj, who)
    elif kind == "Delete":
        _delete(_id(obj), who)
    elif kind == "Flag":
        _flag(activity, who)


def _follow(activity: dict, who: RemoteActor, deliver: Deliver) -> None:
    actor = actors.local_actor_of_id(_id(activity.get("object")))
    if actor is None:
        return
    db.session.execute(insert(Follower).values(
        actor=actor, remote_actor_id=who.id, follow_id=_id(activity)).on_conflict_do_update(
        constraint="uq_federation_followers_actor_remote", set_={"follow_id": _id(activity)}))
    me = actors.actor_id(actor)
    deliver(actor, who.inbox, {
        "@context": actors.CONTEXT[0], "id": f"{me}#accepts/{who.id}-{_id(activity)[-40:]}",
        "type": "Accept", "actor": me, "to": [who.uri],
        "object": {"id": _id(activity), "type": "Follow", "actor": who.uri, "object": me}})


def _undo(obj: dict, who: RemoteActor) -> None:
    if _id(obj.get("actor")) not in (None, who.uri):
        return
    if obj.get("type") == "Follow":
        actor = actors.local_actor_of_id(_id(obj.get("object")))
        condition = (Follower.actor == actor) if actor else (Follower.follow_id == _id(obj))
        db.session.execute(delete(Follower).where(Follower.remote_actor_id == who.id,
                                                  condition))
    elif obj.get("type") in ("Like", "Announce"):
        db.session.execute(delete(RemoteThanks).where(
            RemoteThanks.remote_actor_id == who.id,
            RemoteThanks.kind == obj["type"].lower(),
            RemoteThanks.story_id == actors.story_id_of(_id(obj.get("object")) or "")))


def _public_story(uri: str | None) -> Story | None:
    story_id = actors.story_id_of(uri or "")
    story = db.session.get(Story, story_id) if story_id else None
    return story if visibility.is_public_story(story) else None


def _thank(kind: str, obj: str | None, activity_id: str, who: RemoteActor) -> None:
    story = _public_story(obj)
    if story is None:
        return
    db.session.execute(insert(RemoteThanks).values(
        story_id=story.id, remote_actor_id=who.id, kind=kind, activity_id=activity_id)
        .on_conflict_do_nothing())


def thanks_count(story_id: int) -> int:
    """Likes and boosts of a story from other servers."""
    return db.session.scalar(select(func.count()).select_from(RemoteThanks)
                             .where(RemoteThanks.story_id == story_id)) or 0


def _text(note: dict) -> str:
    """The Note's HTML as a reply's plain text: every tag dropped (links keep their text),
    nothing fetched, cut to MAX_REPLY, and held to the rules of local replies
    (``replies.clean_body``): markup written as text loses its angle brackets; a text that
    still breaks them (a javascript: link) gives an empty text, and no reply."""
    content = note.get("content") if isinstance(note.get("content"), str) else ""
    content = (content.replace("</p>", "</p>\n\n").replace("<br>", "\n")
               .replace("<br/>", "\n"))
    text = html.unescape(nh3.clean(content[: MAX_REPLY * 4], tags=set())).strip()
    text = text[:MAX_REPLY].replace("<", "‹").replace(">", "›")
    try:
        return replies.clean_body(text) if text else ""
    except ValidationError:
        return ""


def _reply(note: dict, who: RemoteActor) -> None:
    object_id = _id(note)
    if object_id is None or _id(note.get("attributedTo")) not in (None, who.uri):
        return
    story = _public_story(_id(note.get("inReplyTo")))
    if story is None or story.replies_closed or not _text(note):
        return
    if db.session.scalar(select(RemoteReply.reply_id)
                         .where(RemoteReply.object_id == object_id)) is not None:
        return
    body = _text(note)
    # Remote people wait for a curator unless trusted; a watched word holds anyone's reply.
    hold = (HoldReason.WATCHED_WORD if rules.watched_word_in(body)
            else None if trust.is_trusted(who.uri) else HoldReason.REMOTE)
    now = datetime.now(UTC)
    reply = Reply(story_id=story.id, author_id=None, body=body,
                  status=ReplyStatus.PENDING if hold else ReplyStatus.VISIBLE,
                  held_reason=hold.value if hold else None, created_at=now, updated_at=now,
                  published_at=None if hold else now)
    db.session.add(reply)
    db.session.flush()
    db.session.add(RemoteReply(reply_id=reply.id, remote_actor_id=who.id, object_id=object_id))
    notify_reply(reply)


def _own_reply(object_id: str | None, who: RemoteActor) -> Reply | None:
    return db.session.scalar(
        select(Reply).join(RemoteReply, RemoteReply.reply_id == Reply.id)
        .where(RemoteReply.object_id == object_id, RemoteReply.remote_actor_id == who.id))


def _edit_reply(note: dict, who: RemoteActor) -> None:
    reply = _own_reply(_id(note), who)
    if reply is None or not _text(note):
        return
    # An edited remote reply is moderated again unless its author is trusted, as a local
    # edit adding a link would be.
    reply.body = _text(note)
    if rules.watched_word_in(reply.body) or not trust.is_trusted(who.uri):
        reply.status, reply.published_at = ReplyStatus.PENDING, None
        reply.held_reason = (HoldReason.WATCHED_WORD if rules.watched_word_in(reply.body)
                             else HoldReason.REMOTE)


def _delete(obj: str | None, who: RemoteActor) -> None:
    if obj == who.uri:
        # The account is gone: its replies, thanks and follows leave with it.
        db.session.execute(delete(Reply).where(Reply.id.in_(
            select(RemoteReply.reply_id).where(RemoteReply.remote_actor_id == who.id))))
        db.session.delete(who)
        return
    reply = _own_reply(obj, who)
    if reply is not None:
        db.session.delete(reply)


def _reply_of(uri: str | None) -> int | None:
    """The reply an id of ours names (``…/stories/<id>#reply-<n>``), else None."""
    story_uri, sep, fragment = (uri or "").partition("#reply-")
    if not sep or actors.story_id_of(story_uri) is None or not fragment.isdigit() \
            or len(fragment) > 17:
        return None
    reply = db.session.get(Reply, int(fragment))
    return reply.id if reply is not None and reply.story_id == actors.story_id_of(
        story_uri) else None


def _flag(activity: dict, who: RemoteActor) -> None:
    """A report from another server (Mastodon sends one for a reply a moderator there
    forwards): one open report per instance and reply, as an anonymous one would be."""
    objects = activity.get("object")
    objects = objects if isinstance(objects, list) else [objects]
    content = activity.get("content") if isinstance(activity.get("content"), str) else ""
    message = html.unescape(nh3.clean(content[: flags.MAX_MESSAGE * 4], tags=set())).strip()
    message = message[: flags.MAX_MESSAGE]
    for obj in objects[:20]:
        reply_id = _reply_of(_id(obj))
        if reply_id is not None:
            flags.create_flag(None, reply_id=reply_id, reason="other", message=message,
                              remote_addr=f"federation:{who.domain}")


def remote_author(reply_id: int) -> dict | None:
    """Who on another server wrote reply ``reply_id`` (``handle`` as ``name@host``, ``uri``
    of their profile), or None for a local reply."""
    row = db.session.execute(
        select(RemoteActor.username, RemoteActor.domain, RemoteActor.uri)
        .join(RemoteReply, RemoteReply.remote_actor_id == RemoteActor.id)
        .where(RemoteReply.reply_id == reply_id)).first()
    if row is None:
        return None
    name = row.username or row.uri.rstrip("/").rsplit("/", 1)[-1]
    return {"handle": f"{name}@{row.domain}", "uri": row.uri}
