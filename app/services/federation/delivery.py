"""Sending: a story's change is written to the outbox in the transaction that made it
(``watch``, a flush hook, so every writer of stories is covered); ``fan_out_pending`` turns
each entry into one delivery per inbox (shared inboxes once), skipping blocked and
unavailable domains; ``deliver`` POSTs one signed activity."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import requests
from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Place, Story, Tour, TourStatus
from app.models.federation import FederationDomain, Follower, OutboxEntry, RemoteActor
from app.services import visibility
from app.services.federation import actors, blocks, notes, remote
from app.services.federation.inbox import Deliver

log = logging.getLogger("stadtspur.federation")
UNAVAILABLE_FOR = timedelta(days=1)
EDITED = ("title", "body", "era_start", "era_end", "era_precision", "licence", "credit_name",
          "author_name")


class DeliveryFailed(Exception):
    """The inbox did not take the activity; the job is retried with back-off."""


def _before(obj, name: str):
    """An attribute's value before this flush's change."""
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


def _was_public(story: Story) -> bool:
    return (_before(story, "status") == "approved" and _before(story, "hidden_at") is None
            and _before(story, "withdrawn_at") is None
            and visibility.is_public_place(story.place))


def _place_was_public(place: Place) -> bool:
    return (_before(place, "status") == "approved" and _before(place, "hidden_at") is None
            and _before(place, "merged_into_id") is None)


def _record(session: Session, flush_context, instances) -> None:
    if not has_app_context() or not current_app.config.get("FEDERATION"):
        return
    recorded: set[int] = set()
    for story in [o for o in session.dirty if isinstance(o, Story)]:
        if not session.is_modified(story):
            continue
        was, now = _was_public(story), visibility.is_public_story(story)
        state = inspect(story)
        kind = ("create" if now and not was else "delete" if was and not now
                else "update" if now and any(state.attrs[n].history.has_changes()
                                             for n in EDITED) else None)
        if kind:
            session.add(OutboxEntry(story_id=story.id, kind=kind))
            recorded.add(story.id)
    # A place hidden, merged or shown again takes its approved stories with it.
    for place in [o for o in session.dirty if isinstance(o, Place)]:
        was, now = _place_was_public(place), visibility.is_public_place(place)
        if was == now or not session.is_modified(place):
            continue
        story_ids = session.scalars(select(Story.id).where(
            Story.place_id == place.id, Story.is_approved_visible)).all()
        for story_id in story_ids:
            if story_id not in recorded:
                session.add(OutboxEntry(story_id=story_id, kind="create" if now else "delete"))
    # A tour published or retired is news for its actor's followers.
    for tour in [o for o in session.dirty if isinstance(o, Tour)]:
        before, now = _before(tour, "status"), tour.status
        if before != now and now in (TourStatus.PUBLISHED, TourStatus.RETIRED):
            session.add(OutboxEntry(tour_id=tour.id, kind="publish"
                                    if now == TourStatus.PUBLISHED else "retire"))


def watch() -> None:
    """Record story changes in the outbox on every flush (installed once at start)."""
    if not event.contains(Session, "before_flush", _record):
        event.listen(Session, "before_flush", _record)


def _inboxes(actor_names: list[str]) -> list[tuple[str, str]]:
    """(local actor, inbox) pairs for the followers of ``actor_names``: one per inbox (a
    shared inbox once for all its followers), none for blocked or unavailable domains."""
    now = datetime.now(UTC)
    unavailable = set(db.session.scalars(select(FederationDomain.domain).where(
        FederationDomain.unavailable_until > now)))
    seen: set[str] = set()
    pairs = []
    for actor in actor_names:
        followers = db.session.scalars(select(RemoteActor).join(
            Follower, Follower.remote_actor_id == RemoteActor.id).where(Follower.actor == actor))
        for who in followers:
            inbox = who.shared_inbox or who.inbox
            if inbox in seen or who.domain in unavailable or blocks.is_blocked(who.uri):
                continue
            seen.add(inbox)
            pairs.append((actor, inbox))
    return pairs


def _activities(entry: OutboxEntry) -> list[tuple[list[str], str, dict]]:
    """(actors whose followers get it, sending actor, activity) for one outbox entry."""
    if entry.tour_id is not None:
        tour = db.session.get(Tour, entry.tour_id)
        if tour is None:
            return []
        actor = f"tour:{tour.slug}"
        news = notes.tour_news(tour, entry)
        return [([actor], actor, notes.activity("Create", actor, None, news,
                                                activity_id=f"{news['id']}/create"))]
    story = db.session.get(Story, entry.story_id)
    if entry.kind == "delete" or story is None or not visibility.is_public_story(story):
        audience = actors.actors_of_story(story) if story is not None else [actors.CITY]
        return [(audience, actors.CITY, notes.activity(
            "Delete", actors.CITY, entry.story_id, notes.tombstone(entry.story_id)))]
    note = notes.note(story, context=False)
    kind = "Create" if entry.kind == "create" else "Update"
    found = [([actors.CITY], actors.CITY, notes.activity(kind, actors.CITY, story.id, note))]
    if entry.kind == "create":
        for actor in actors.actors_of_story(story)[1:]:
            found.append(([actor], actor, notes.activity("Announce", actor, story.id,
                                                         note["id"])))
    return found


def fan_out_pending(deliver: Deliver, limit: int = 50) -> int:
    """Queue the deliveries of unsent outbox entries (each entry once, even with several
    workers). Returns the number of deliveries queued."""
    entries = db.session.scalars(
        select(OutboxEntry).where(OutboxEntry.fanned_out_at.is_(None))
        .order_by(OutboxEntry.id).limit(limit).with_for_update(skip_locked=True)).all()
    queued = 0
    for entry in entries:
        for audience, sender, activity in _activities(entry):
            for _actor, inbox in _inboxes(audience):
                deliver(sender, inbox, activity)
                queued += 1
        entry.fanned_out_at = datetime.now(UTC)
    return queued


def _failed(domain: str, error: str) -> None:
    row = db.session.get(FederationDomain, domain) or FederationDomain(domain=domain,
                                                                       failures=0)
    db.session.add(row)
    row.failures += 1
    row.last_error = error[:500]
    row.updated_at = datetime.now(UTC)
    if row.failures >= current_app.config["FEDERATION_DOMAIN_FAILURES"]:
        row.unavailable_until = datetime.now(UTC) + UNAVAILABLE_FOR


def _succeeded(domain: str) -> None:
    row = db.session.get(FederationDomain, domain)
    if row is not None:
        row.failures, row.unavailable_until, row.last_error = 0, None, ""


def deliver(actor: str, inbox: str, activity: dict) -> str:
    """POST ``activity`` signed by local ``actor`` to ``inbox``. Returns what happened
    (``sent``, ``dropped``, ``refused``); raises DeliveryFailed for a retry."""
    domain = remote.domain_of(inbox)
    row = db.session.get(FederationDomain, domain)
    if blocks.is_blocked(inbox) or (row and row.unavailable_until
                                    and row.unavailable_until > datetime.now(UTC)):
        return "dropped"
    body = json.dumps(activity).encode()
    try:
        remote.check_address(inbox)
        response = requests.post(inbox, data=body, timeout=remote.TIMEOUT,
                                 allow_redirects=False,
                                 headers=remote.signed_headers(actor, "POST", inbox, body, extra={
                                     "Content-Type": "application/activity+json"}))
    except remote.Unreachable as exc:
        return f"dropped: {exc}"
    except requests.RequestException as exc:
        _failed(domain, str(exc))
        raise DeliveryFailed(f"{inbox}: {exc}") from exc
    if response.status_code < 300:
        _succeeded(domain)
        return "sent"
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        log.warning("%s refused %s: %s", inbox, activity.get("type"), response.status_code)
        return "refused"
    _failed(domain, f"HTTP {response.status_code}")
    raise DeliveryFailed(f"{inbox} answered {response.status_code}")
