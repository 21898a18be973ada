"""Replies on a story: posting one (or an answer to one), its author's edit from a version
(409 when it changed since) and removal, curators marking a reply official (the city
answering), the narrator closing replies on their story or hiding a reply on it until a
curator looks, and turning a reply that is really a memory into a story of its own.

Whether a reply waits for a curator, and who may write at all, is ``rules``'; who is told,
``app.services.inbox``. Replies are open data under CC BY-SA 4.0 (the form says so).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import update

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Story, User
from app.models.conversation import MAX_REPLY, Reply
from app.models.statuses import ReplyStatus, StoryKind
from app.models.story import MAX_TITLE
from app.services import inbox, stories, visibility
from app.services.audit import log
from app.services.conversation import rules
from app.services.roles import require_curator
from app.services.text import plain_text

# Link targets a reader's browser would run or open as a document rather than follow.
_BAD_SCHEME = re.compile(r"(?<![\w.+-])(?:javascript|vbscript|data|file)\s*:", re.IGNORECASE)
# Raw HTML tags (the renderer escapes them anyway; refusing says so instead of showing
# "<script>" to every reader).
_TAG = re.compile(r"<\s*/?\s*[a-z][a-z0-9-]*(?:\s[^<>]*)?/?\s*>", re.IGNORECASE)
# Why a narrator hid a reply (Reply.hidden_reason), for the curators' queue.
NARRATOR_HIDDEN = "narrator"
TITLE_FROM_BODY = 80


def get_reply(reply_id: int) -> Reply:
    reply = db.session.get(Reply, reply_id)
    if reply is None:
        raise NotFound(_("This reply does not exist."))
    return reply


def is_narrator(user: User | None, story: Story) -> bool:
    """The story's author, or the helper who entered it for its narrator."""
    return (user is not None and user.is_authenticated
            and user.id in (story.author_id, story.helper_id))


def open_story(story_id: int) -> Story:
    """A public story (404 for any other: hidden, withdrawn, pending or unknown)."""
    story = stories.get_story_or_none(story_id)
    if story is None or not visibility.is_public_story(story):
        raise NotFound(_("This story does not exist."))
    return story


def can_reply(user: User | None, story: Story) -> bool:
    """Whether the reply form is offered: logged in, not muted, a public story whose
    replies are open."""
    return (user is not None and user.is_authenticated and not story.replies_closed
            and visibility.is_public_story(story) and not rules.is_muted(user))


def check_may_reply(user: User | None, story: Story) -> None:
    """Refuse a reply to a story that is not public (404) or whose narrator closed replies
    (403 ``replies_closed``), and from anyone logged out or muted (403)."""
    rules.check_may_talk(user)
    if not visibility.is_public_story(story):
        raise NotFound(_("This story does not exist."))
    if story.replies_closed:
        raise Forbidden(_("The narrator closed replies on this story."), code="replies_closed")


def clean_body(body: str) -> str:
    """The reply's text as stored (line ends normalised, outer white space trimmed), or a
    ValidationError naming ``body``: empty, too long, raw HTML, or a link that would run
    code or open something other than a web page or mail."""
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(_("Write a reply first."), field="body")
    if len(text) > MAX_REPLY:
        raise ValidationError(_("A reply may have at most %(n)d characters.", n=MAX_REPLY),
                              field="body", code="too_long")
    if _TAG.search(text):
        raise ValidationError(
            _("Replies are plain text with *emphasis* and [links](https://…); HTML is not "
              "accepted."), field="body", code="html")
    if _BAD_SCHEME.search(text):
        raise ValidationError(
            _("Links in replies must be web addresses (https://…) or mail addresses."),
            field="body", code="bad_link")
    return text


def shown_reply(story: Story, reply_id: int | None) -> Reply | None:
    """The reply ``reply_id`` if everyone sees it on ``story``, else None."""
    if reply_id is None:
        return None
    found = db.session.get(Reply, reply_id)
    if found is None or found.story_id != story.id or not visibility.is_public_reply(found):
        return None
    return found


def _parent(story: Story, parent_id: int | None) -> Reply | None:
    if parent_id is None:
        return None
    parent = db.session.get(Reply, parent_id)
    if parent is None or parent.story_id != story.id or not visibility.is_public_reply(parent):
        raise ValidationError(_("The reply you answer is not shown on this story."),
                              field="parent_id")
    return parent


def post_reply(user: User, story_id: int, body: str, *, parent_id: int | None = None,
               official: bool = False) -> Reply:
    """``user``'s reply on a public story (or an answer to one of its shown replies,
    ``parent_id``). Visible at once, or pending with the reason ``rules.hold_reason`` gives;
    visible, the narrator (and the answered reply's author) are told. ``official`` (the city
    answering) is for curators only: 403 for anyone else, before anything is read."""
    if official:
        require_curator(user)
    story = stories.get_story_or_none(story_id)
    if story is None:
        raise NotFound(_("This story does not exist."))
    check_may_reply(user, story)
    text = clean_body(body)
    parent = _parent(story, parent_id)
    rules.check_reply_rate(user)
    hold = rules.hold_reason(user, text)
    now = datetime.now(UTC)
    reply = Reply(story_id=story.id, parent_id=parent.id if parent else None,
                  author_id=user.id, body=text,
                  status=ReplyStatus.PENDING if hold else ReplyStatus.VISIBLE,
                  held_reason=hold.value if hold else None,
                  official=official, official_by_id=user.id if official else None,
                  created_at=now, updated_at=now, published_at=None if hold else now)
    db.session.add(reply)
    db.session.flush()
    inbox.notify_reply(reply)
    return reply


def can_edit(user: User | None, reply: Reply) -> bool:
    """Only a reply's author edits or removes it (curators hide and remove through
    moderation, with a reason)."""
    return (user is not None and user.is_authenticated and reply.author_id is not None
            and reply.author_id == user.id)


def _own(user: User, reply_id: int, version: int | None) -> Reply:
    reply = get_reply(reply_id)
    if reply.status == ReplyStatus.REMOVED:
        raise NotFound(_("This reply does not exist."))
    if not can_edit(user, reply):
        raise Forbidden(_("Only the reply's author can change it."))
    if version is not None and version != reply.version:
        raise Conflict(_("This reply changed in the meantime. Reload it and try again."),
                       code="stale_version",
                       current={"body": reply.body, "version": reply.version})
    return reply


def edit_reply(user: User, reply_id: int, body: str, *, version: int) -> Reply:
    """The author's new text of their reply, from ``version`` (409 with the current text
    when it changed since). The rules apply again: an edit that adds a link or a watched
    word waits for a curator; a hidden or rejected reply stays as it is."""
    reply = _own(user, reply_id, version)
    rules.check_may_talk(user)
    text = clean_body(body)
    if text == reply.body:
        return reply
    reply.body = text
    reply.updated_at = datetime.now(UTC)
    if reply.status in (ReplyStatus.VISIBLE, ReplyStatus.PENDING):
        hold = rules.hold_reason(user, text)
        reply.held_reason = hold.value if hold else None
        if hold:
            reply.status = ReplyStatus.PENDING
        elif reply.status == ReplyStatus.PENDING and reply.held_reason is None:
            # held only for what the edit took out: shown now
            reply.status = ReplyStatus.VISIBLE
            reply.published_at = reply.published_at or reply.updated_at
    db.session.flush()
    inbox.notify_reply(reply)
    return reply


def remove_reply(user: User, reply_id: int, *, version: int | None = None) -> Reply:
    """The author removes their reply: it leaves the thread (answers to it stay) and every
    notification of it."""
    reply = _own(user, reply_id, version)
    reply.status = ReplyStatus.REMOVED
    reply.updated_at = datetime.now(UTC)
    db.session.flush()
    return reply


def mark_official(curator: User, reply_id: int, official: bool = True) -> Reply:
    """A curator marks a shown reply as the city's answer (a badge and the city's name), or
    takes the mark off; logged."""
    require_curator(curator)
    reply = get_reply(reply_id)
    if not visibility.is_public_reply(reply):
        raise Conflict(_("Only a reply that is shown can be the city's answer."),
                       code="not_visible")
    if reply.official != official:
        reply.official = official
        reply.official_by_id = curator.id if official else None
        db.session.flush()
        log(curator, "official" if official else "unofficial", "reply", reply.id,
            str(not official).lower(), str(official).lower())
    return reply


def may_close(user: User | None, story: Story) -> bool:
    """The narrator (or their helper) and curators open and close replies on a story."""
    return is_narrator(user, story) or bool(user is not None and user.is_authenticated
                                            and user.is_curator)


def close_replies(user: User, story_id: int, closed: bool = True) -> Story:
    """Close (or open again) replies on a story: the replies already there stay. The story's
    own version is left alone, so an edit under way does not turn stale."""
    story = stories.get_story(story_id)
    if not may_close(user, story):
        raise Forbidden(_("Only the story's narrator can close replies on it."))
    if story.replies_closed != closed:
        # A plain UPDATE: the ORM would count it as a new version of the story.
        db.session.execute(update(Story).where(Story.id == story.id)
                           .values(replies_closed=closed)
                           .execution_options(synchronize_session=False))
        db.session.expire(story, ["replies_closed"])
        log(user, "close_replies" if closed else "open_replies", "story", story.id,
            str(not closed).lower(), str(closed).lower())
    return story


def hide_by_narrator(user: User, reply_id: int) -> Reply:
    """The narrator hides a reply on their story until a curator looks: it leaves the
    thread at once and waits in the curators' queue (``narrator_hidden_at``); logged."""
    reply = get_reply(reply_id)
    story = stories.get_story(reply.story_id)
    if not is_narrator(user, story):
        raise Forbidden(_("Only the story's narrator can hide a reply on it."))
    if reply.status in (ReplyStatus.REMOVED, ReplyStatus.REJECTED, ReplyStatus.HIDDEN):
        raise Conflict(_("This reply is not shown any more."), code="not_visible")
    if reply.narrator_hidden_at is None:
        reply.narrator_hidden_at = datetime.now(UTC)
        reply.hidden_reason = NARRATOR_HIDDEN
        db.session.flush()
        log(user, "narrator_hide", "reply", reply.id, reply.status, "narrator_hidden")
    return reply


def may_make_story(user: User | None, reply: Reply) -> bool:
    """Its author or a curator may turn a shown reply into a story of its own."""
    if (user is None or not user.is_authenticated or reply.status != ReplyStatus.VISIBLE
            or reply.narrator_hidden_at is not None):
        return False
    return user.is_curator or reply.author_id == user.id


def make_story(user: User, reply_id: int, *, title: str = "") -> Story:
    """A reply that is really a memory becomes a pending story at the same place, by the
    reply's author and dated as the reply (curators review it as any story). The reply
    leaves the thread, which links the story once it is approved. Its author agreed to
    CC BY-SA 4.0 when they wrote it: the story takes that licence."""
    reply = get_reply(reply_id)
    if not may_make_story(user, reply):
        if reply.status != ReplyStatus.VISIBLE or reply.narrator_hidden_at is not None:
            raise Conflict(_("Only a reply that is shown can become a story."),
                           code="not_visible")
        raise Forbidden(_("Only the reply's author or a curator can make it a story."))
    if reply.author_id is None:
        raise Conflict(_("The author of this reply deleted their account."),
                       code="former_member")
    story = stories.get_story(reply.story_id)
    author = db.session.get(User, reply.author_id)
    heading = (title or "").strip() or plain_text(reply.body, TITLE_FROM_BODY)
    if not heading:
        raise ValidationError(_("Give the story a title of at most %(n)d characters.",
                                n=MAX_TITLE), field="title")
    made = stories.add_story(author, story.place_id, stories.StoryInput(
        title=heading, body=reply.body,
        kind=StoryKind.MEMORY.value, language=story.language, licence_consent=True))
    made.created_at = reply.created_at
    made.credit_name = author.display_name
    reply.became_story_id = made.id
    reply.status = ReplyStatus.REMOVED
    reply.updated_at = datetime.now(UTC)
    db.session.flush()
    log(user, "reply_to_story", "reply", reply.id, ReplyStatus.VISIBLE, str(made.id))
    return made
