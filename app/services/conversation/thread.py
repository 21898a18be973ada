"""Reading a story's thread: its shown replies with their authors in one query, oldest
first, answers gathered under the reply they (or the reply they answer) belong to, so pages
indent once however deep the answers go. A reader also sees their own replies that wait for
a curator, marked so."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Place, Story, User
from app.models.conversation import Reply
from app.models.statuses import ReplyStatus
from app.services import visibility


@dataclass
class ThreadReply:
    """One reply as the thread shows it; ``answers`` only on the top level."""

    reply: Reply
    mine: bool
    pending: bool
    answers: list[ThreadReply] = field(default_factory=list)

    @property
    def became_story(self) -> bool:
        """The reply was made a story of its own, public now: the thread links it there."""
        return self.reply.status == ReplyStatus.REMOVED


def _became_public_story():
    story, place = aliased(Story), aliased(Place)
    return and_(Reply.status == ReplyStatus.REMOVED, Reply.became_story_id.is_not(None),
                exists().where(story.id == Reply.became_story_id, place.id == story.place_id,
                               visibility.public_story(story, place)))


def _shown(viewer: User | None):
    public = or_(visibility.public_reply(Reply), _became_public_story())
    if viewer is None or not viewer.is_authenticated:
        return public
    own = and_(Reply.author_id == viewer.id,
               Reply.status.in_((ReplyStatus.PENDING, ReplyStatus.VISIBLE)))
    return or_(public, own)


def story_replies(story: Story, viewer: User | None = None) -> list[Reply]:
    """The replies ``viewer`` may see on ``story``, oldest first, with their authors (one
    statement); a reply made a story stays in its place once that story is public (status
    removed, ``became_story_id``). Nothing for a story that is not public."""
    if not visibility.is_public_story(story):
        return []
    return list(db.session.scalars(
        select(Reply).options(joinedload(Reply.author))
        .where(Reply.story_id == story.id, _shown(viewer))
        .order_by(Reply.created_at, Reply.id)))


def thread(story: Story, viewer: User | None = None) -> list[ThreadReply]:
    """``story_replies`` as a thread one level deep: an answer (to an answer, ...) goes
    under the top-level reply it descends from; one whose ancestor is not shown stands on
    the top level."""
    rows = story_replies(story, viewer)
    by_id = {r.id: r for r in rows}
    top: dict[int, ThreadReply] = {}
    out: list[ThreadReply] = []
    me = viewer.id if viewer is not None and viewer.is_authenticated else None
    for r in rows:
        item = ThreadReply(r, mine=me is not None and r.author_id == me,
                           pending=(r.status == ReplyStatus.PENDING
                                    or r.narrator_hidden_at is not None))
        root = r
        seen = {r.id}
        while root.parent_id in by_id and root.parent_id not in seen:
            root = by_id[root.parent_id]
            seen.add(root.id)
        if root is not r and root.id in top:
            top[root.id].answers.append(item)
        else:
            top[r.id] = item
            out.append(item)
    return out


def count(story: Story) -> int:
    """How many replies everyone sees on ``story``."""
    return int(db.session.scalar(select(func.count(Reply.id)).where(
        Reply.story_id == story.id, visibility.public_reply(Reply))) or 0)


def public_replies_for_export(city: str) -> list[dict]:
    """Every public reply on a public story, oldest first, as open data (CC BY-SA 4.0):
    the reply's text as written (Markdown-light), whom to credit (the city for its official
    answers, a former member once the account is gone, a remote author by their handle) and
    the reply it answers. Replies that became stories are in the stories instead."""
    from app.models.federation import RemoteActor, RemoteReply

    story, place = aliased(Story), aliased(Place)
    rows = db.session.execute(
        select(Reply.id, Reply.story_id, Reply.parent_id, Reply.body, Reply.official,
               Reply.created_at, User.display_name, RemoteActor.username, RemoteActor.domain)
        .join(story, story.id == Reply.story_id).join(place, place.id == story.place_id)
        .outerjoin(User, User.id == Reply.author_id)
        .outerjoin(RemoteReply, RemoteReply.reply_id == Reply.id)
        .outerjoin(RemoteActor, RemoteActor.id == RemoteReply.remote_actor_id)
        .where(visibility.public_reply(Reply), visibility.public_story(story, place))
        .order_by(Reply.created_at, Reply.id))
    out = []
    for row in rows:
        if row.official:
            credit = city
        elif row.display_name:
            credit = row.display_name
        elif row.domain:
            credit = f"{row.username}@{row.domain}" if row.username else row.domain
        else:
            credit = _("a former member")
        out.append({"id": row.id, "story_id": row.story_id, "parent_id": row.parent_id,
                    "credit": credit, "official": row.official, "body": row.body,
                    "created_at": row.created_at.isoformat()})
    return out
