"""Our actors' outboxes as paged OrderedCollections of Create (city) or Announce (theme,
tour) activities of their public stories, newest first."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Story, Tour
from app.models.federation import OutboxEntry
from app.services import visibility
from app.services.federation import actors, notes


def local_post_count() -> int:
    """The number of public stories (NodeInfo's localPosts)."""
    query = actors.stories_of(actors.CITY).with_only_columns(func.count(Story.id))
    return db.session.scalar(query) or 0


def outbox_document(actor: str, page_size: int) -> dict:
    """The outbox collection: its size and a link to its first page."""
    total = db.session.scalar(actors.stories_of(actor).with_only_columns(
        func.count(Story.id))) or 0
    me = actors.actor_id(actor)
    return {"@context": actors.CONTEXT[0], "id": f"{me}/outbox", "type": "OrderedCollection",
            "totalItems": total, "first": f"{me}/outbox?page=1",
            "last": f"{me}/outbox?page={max(1, -(-total // page_size))}"}


def _item(actor: str, story: Story) -> dict:
    note = notes.note(story, context=False)
    me = actors.actor_id(actor)
    kind = "Create" if actor == actors.CITY else "Announce"
    return {"id": f"{actors.story_uri(story.id)}/activities/{kind.lower()}-"
                  f"{actor.replace(':', '-')}",
            "type": kind, "actor": me, "published": note["published"],
            "to": [actors.AS_PUBLIC], "cc": [f"{me}/followers"],
            "object": note if kind == "Create" else note["id"]}


def outbox_page(actor: str, page: int, page_size: int) -> dict:
    """One page of the outbox (``page`` from 1)."""
    rows = db.session.scalars(
        actors.stories_of(actor).options(selectinload(Story.media), selectinload(Story.place))
        .order_by(Story.published_at.desc().nulls_last(), Story.id.desc())
        .limit(page_size + 1).offset((page - 1) * page_size)).all()
    me = actors.actor_id(actor)
    found = {"@context": actors.CONTEXT[0], "id": f"{me}/outbox?page={page}",
             "type": "OrderedCollectionPage", "partOf": f"{me}/outbox",
             "orderedItems": [_item(actor, s) for s in rows[:page_size]]}
    if len(rows) > page_size:
        found["next"] = f"{me}/outbox?page={page + 1}"
    if page > 1:
        found["prev"] = f"{me}/outbox?page={page - 1}"
    return found


def tour_news_entry(slug: str, entry_id: int) -> tuple[Tour, OutboxEntry] | None:
    """A published or retired tour and one of its news (outbox entries), else None."""
    row = db.session.execute(
        select(Tour, OutboxEntry).join(OutboxEntry, OutboxEntry.tour_id == Tour.id)
        .where(Tour.slug == slug, OutboxEntry.id == entry_id,
               visibility.reachable_tour())).first()
    return (row[0], row[1]) if row else None
