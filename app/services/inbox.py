"""What people are told: notifications in the app, and whether each is mailed at once.

Events call the ``notify_*`` functions in the transaction that makes them happen. Each writes
``Notification`` rows for the people concerned (never the person who acted) and, for those
who want that kind of event immediately, records the mail (app/services/mail.py) and sets
``mailed_at`` in the same transaction; the rest wait for the digests
(app/services/digests.py) or stay in the app only.

Reactions are bundled: while a story's "Thank you" (or "I remember this too") notification is
unmailed and unread and less than a week old, a further reaction joins it ("4 people thanked
you") instead of adding a row; undoing a reaction takes the person out again.

Readers drop notifications whose subject is not public any more (a hidden reply, a withdrawn
story, a place merged away), so they leave the app and the digests not yet sent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Place, Story, Tour, User
from app.models.conversation import PlaceTalk, Reply
from app.models.notification import Notification
from app.models.statuses import (
    Delivery,
    NotificationKind,
    TalkStatus,
)
from app.services import notification_mail, notification_settings, visibility
from app.services.notification_settings import DEFAULT_DELIVERY, DIGEST_ONLY

BUNDLE_WINDOW = timedelta(days=7)
# Place talk everyone sees (open, or resolved with the curators' note), as
# conversation/talk.py shows it.
SHOWN_TALK = (TalkStatus.OPEN, TalkStatus.FIXED, TalkStatus.DECLINED)


def _add(user: User, kind: NotificationKind, *, actor: User | None = None,
         story_id: int | None = None, reply_id: int | None = None,
         place_id: int | None = None, tour_id: int | None = None,
         data: dict | None = None, mailed: bool = False) -> Notification | None:
    """One notification for ``user`` (none for the actor themselves or an inactive account),
    mailed at once if that is how they want this kind; ``mailed``: a letter of its own told
    them already, so neither a mail now nor a digest line later."""
    if user is None or not user.active or (actor is not None and actor.id == user.id):
        return None
    note = Notification(user_id=user.id, kind=kind, actor_id=actor.id if actor else None,
                        story_id=story_id, reply_id=reply_id, place_id=place_id,
                        tour_id=tour_id, data=data or {},
                        mailed_at=datetime.now(UTC) if mailed else None)
    db.session.add(note)
    db.session.flush()
    if (not mailed and kind not in DIGEST_ONLY
            and notification_settings.delivery_for(user.id, kind) is Delivery.IMMEDIATE):
        notification_mail.mail_now(user, note)
    return note


def _already(user_id: int, kind: NotificationKind, **ids) -> bool:
    """Whether ``user_id`` was told of this subject already (an approval after an edit must
    not tell of the same reply twice)."""
    query = select(Notification.id).where(Notification.user_id == user_id,
                                          Notification.kind == kind)
    for name, value in ids.items():
        query = query.where(getattr(Notification, name) == value)
    return db.session.scalar(query.limit(1)) is not None


def notify_reply(reply: Reply) -> list[Notification]:
    """Tell the story's narrator and, for an answer to a reply, that reply's author that
    ``reply`` appeared. Call it whenever a reply becomes visible (posted by a trusted person,
    or approved by a curator); a reply not visible yet, or told of already, tells nobody."""
    if not visibility.is_public_reply(reply):
        return []
    story = reply.story
    actor = db.session.get(User, reply.author_id) if reply.author_id else None
    told: list[Notification] = []
    recipients: list[tuple[User | None, str]] = [
        (db.session.get(User, story.author_id) if story.author_id else None, "story")]
    if reply.parent_id:
        parent = db.session.get(Reply, reply.parent_id)
        if parent is not None and parent.author_id:
            recipients.append((db.session.get(User, parent.author_id), "reply"))
    seen: set[int] = set()
    for user, to in recipients:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        if _already(user.id, NotificationKind.REPLY, reply_id=reply.id):
            continue
        note = _add(user, NotificationKind.REPLY, actor=actor, story_id=story.id,
                    reply_id=reply.id, data={"to": to})
        if note is not None:
            told.append(note)
    return told


def notify_reaction(story: Story, user: User, kind: str) -> Notification | None:
    """Tell ``story``'s narrator that ``user`` thanked them or remembers too (``kind``:
    thanks or remember), bundled with the other reactions of that kind gathering this week."""
    narrator = db.session.get(User, story.author_id) if story.author_id else None
    if narrator is None or narrator.id == user.id or not narrator.active:
        return None
    bundle = _open_bundle(narrator.id, story.id, kind)
    if bundle is not None:
        actors = list(bundle.data.get("actors", []))
        if user.id not in actors:
            actors.append(user.id)
        bundle.data = {**bundle.data, "actors": actors, "count": len(actors)}
        bundle.actor_id = user.id
        db.session.flush()
        return bundle
    return _add(narrator, NotificationKind.REACTION, actor=user, story_id=story.id,
                data={"reaction": str(kind), "actors": [user.id], "count": 1})


def forget_reaction(story: Story, user: User, kind: str) -> None:
    """``user`` took their reaction back: they leave the bundle not yet mailed or read
    (an empty bundle goes)."""
    if not story.author_id:
        return
    bundle = _open_bundle(story.author_id, story.id, kind)
    if bundle is None:
        return
    actors = [a for a in bundle.data.get("actors", []) if a != user.id]
    if not actors:
        db.session.delete(bundle)
    else:
        bundle.data = {**bundle.data, "actors": actors, "count": len(actors)}
        bundle.actor_id = actors[-1]
    db.session.flush()


def _open_bundle(user_id: int, story_id: int, kind: str) -> Notification | None:
    return db.session.scalar(
        select(Notification).where(
            Notification.user_id == user_id,
            Notification.kind == NotificationKind.REACTION,
            Notification.story_id == story_id,
            Notification.data["reaction"].astext == str(kind),
            Notification.read_at.is_(None),
            Notification.mailed_at.is_(None),
            Notification.created_at > datetime.now(UTC) - BUNDLE_WINDOW,
        ).order_by(Notification.created_at.desc()).limit(1).with_for_update())


def notify_place_question(talk: PlaceTalk) -> list[Notification]:
    """Tell the people who wrote about ``talk``'s place (its author, the narrators of its
    public stories) that a question or correction was posted there."""
    place = db.session.get(Place, talk.place_id)
    if place is None:
        return []
    actor = db.session.get(User, talk.author_id) if talk.author_id else None
    ids = set(db.session.scalars(
        select(Story.author_id).join(Place, Story.place_id == Place.id).where(
            Story.place_id == place.id, Story.author_id.is_not(None),
            visibility.public_story())))
    if place.author_id:
        ids.add(place.author_id)
    told = []
    for user in db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id)):
        note = _add(user, NotificationKind.PLACE_QUESTION, actor=actor, place_id=place.id,
                    data={"talk_id": talk.id, "talk_kind": talk.kind})
        if note is not None:
            told.append(note)
    return told


def notify_story_decision(story: Story, decision: str, *,
                          message: str = "") -> Notification | None:
    """Tell ``story``'s narrator what curators decided: ``decision`` is approve,
    request_changes, reject, or hidden (a public story taken off after a check), with the
    curators' ``message`` to them. An approved story also tells the followers of its
    place's themes (digest only)."""
    narrator = db.session.get(User, story.author_id) if story.author_id else None
    note = None
    if narrator is not None:
        data = {"decision": decision}
        if message:
            data["message"] = message
        note = _add(narrator, NotificationKind.STORY_DECISION, story_id=story.id, data=data)
    if decision == "approve":
        notify_theme_story(story)
    return note


def note_place_decision(user: User, place: Place, decision: str, *, message: str = "",
                        mailed: bool = True) -> Notification | None:
    """The notification of curators' ``decision`` (approve, request_changes, reject) on a
    place's first story, for ``user``: ``mailed`` when the place's own letter told them at
    once (no second mail), else it waits for their digest (or for nothing, if they chose
    never)."""
    lead = next((s for s in place.stories if s.is_lead), None)
    if lead is None or decision not in ("approve", "request_changes", "reject"):
        return None
    data = {"decision": decision} | ({"message": str(message)} if message else {})
    note = _add(user, NotificationKind.STORY_DECISION, story_id=lead.id, data=data,
                mailed=mailed)
    if decision == "approve":
        notify_theme_story(lead)
    return note


def notify_theme_story(story: Story) -> list[Notification]:
    """Tell the people who follow a theme of ``story``'s place that a new story appeared
    there (a digest only; once per story and person, whichever themes they follow)."""
    from app.models.theme import place_themes, theme_follows

    rows = db.session.execute(
        select(theme_follows.c.user_id, func.min(theme_follows.c.theme_id))
        .join(place_themes, place_themes.c.theme_id == theme_follows.c.theme_id)
        .where(place_themes.c.place_id == story.place_id)
        .group_by(theme_follows.c.user_id)).all()
    actor = db.session.get(User, story.author_id) if story.author_id else None
    told = []
    for user_id, theme_id in rows:
        if _already(user_id, NotificationKind.THEME_STORY, story_id=story.id):
            continue
        note = _add(db.session.get(User, user_id), NotificationKind.THEME_STORY, actor=actor,
                    story_id=story.id, data={"theme_id": theme_id})
        if note is not None:
            told.append(note)
    return told


def notify_featured(tour: Tour) -> list[Notification]:
    """Tell the narrators of the public stories ``tour`` features at its stops that their
    story is in a published tour (once per story and tour; not the tour's own author)."""
    ids = {story_id for stop in tour.stops for story_id in (stop.featured_story_ids or [])}
    if not ids:
        return []
    author = db.session.get(User, tour.author_id) if tour.author_id else None
    told = []
    for story in db.session.scalars(
            select(Story).join(Place, Story.place_id == Place.id)
            .where(Story.id.in_(ids), Story.author_id.is_not(None), visibility.public_story())
            .order_by(Story.id)):
        if _already(story.author_id, NotificationKind.FEATURED, story_id=story.id,
                    tour_id=tour.id):
            continue
        note = _add(db.session.get(User, story.author_id), NotificationKind.FEATURED,
                    actor=author, story_id=story.id, tour_id=tour.id)
        if note is not None:
            told.append(note)
    return told


def subject_public():
    """A notification whose subject (story, reply, place, tour) is still public: the others
    leave the app and the digests not yet sent."""
    story_place = aliased(Place)
    return and_(
        # A decision about one's own story is told whatever became of it.
        or_(Notification.story_id.is_(None),
            Notification.kind == NotificationKind.STORY_DECISION, exists().where(
            Story.id == Notification.story_id, story_place.id == Story.place_id,
            visibility.public_story(Story, story_place))),
        or_(Notification.reply_id.is_(None), exists().where(
            Reply.id == Notification.reply_id, visibility.public_reply(Reply))),
        or_(Notification.place_id.is_(None), exists().where(
            Place.id == Notification.place_id, visibility.public_place(Place))),
        or_(Notification.tour_id.is_(None), exists().where(
            Tour.id == Notification.tour_id, visibility.public_tour(Tour))),
        # A question or correction taken off (hidden, or back to pending) leaves too.
        or_(Notification.kind != NotificationKind.PLACE_QUESTION, exists().where(
            PlaceTalk.id == Notification.data["talk_id"].astext.cast(BigInteger),
            PlaceTalk.status.in_(SHOWN_TALK))),
    )


def visible(user: User):
    """The query of ``user``'s notifications whose subject is public, newest first."""
    return (select(Notification)
            .where(Notification.user_id == user.id, subject_public())
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def list_for(user: User, *, limit: int = 50, before_id: int | None = None,
             unread_only: bool = False) -> list[Notification]:
    """``user``'s notifications, newest first, ``limit`` of them from below ``before_id``."""
    query = visible(user)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.limit(limit)))


def unread_count(user: User) -> int:
    """How many of ``user``'s notifications with a public subject are unread (the count in
    the navigation)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None),
            subject_public())) or 0


def mark_read(user: User, ids: list[int] | None = None, *, read: bool = True) -> int:
    """Mark ``user``'s notifications ``ids`` (all of them when None) read, or unread again;
    other people's ids are left alone. Returns how many changed."""
    query = update(Notification).where(Notification.user_id == user.id)
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    if read:
        query = query.where(Notification.read_at.is_(None)).values(read_at=func.now())
    else:
        query = query.where(Notification.read_at.is_not(None)).values(read_at=None)
    return db.session.execute(query.execution_options(synchronize_session=False)).rowcount


__all__ = [
    "DEFAULT_DELIVERY",
    "list_for",
    "mark_read",
    "unread_count",
    "visible",
    "forget_reaction",
    "notify_place_question",
    "notify_reaction",
    "notify_reply",
]
