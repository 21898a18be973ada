"""The conversation on a story's page: its thread and reactions (``story_conversation``, for
templates/stories/_conversation.html), the reply form and its own page (answering a reply,
a refused reply shown again with its text), the author's edit and removal, curators'
official answers, the narrator closing replies and hiding a reply until a curator looks,
a reply made a story, and "Thank you" / "I remember this too"."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import rerenders_form
from app.extensions import limiter
from app.inputs.base import from_form
from app.inputs.replies import ReplyEditSchema, ReplySchema, ReplyToStorySchema
from app.services import stories as story_service
from app.services import visibility
from app.services.conversation import reactions, replies, rules, thread
from app.services.text import render_reply
from app.web.forms import messages_by_field

bp = Blueprint("conversation", __name__)


def _me():
    return current_user._get_current_object() if current_user.is_authenticated else None


@bp.app_template_filter("reply_markdown")
def reply_markdown(source):
    return render_reply(source)


@bp.app_template_global()
def story_conversation(story) -> dict:
    """What the story page shows of its conversation to the person looking at it."""
    me = _me()
    if not visibility.is_public_story(story):
        return {"public": False}
    narrator = replies.is_narrator(me, story)
    return {
        "public": True,
        "thread": thread.thread(story, me),
        "counts": reactions.counts(story.id),
        "mine": reactions.mine(me, story.id),
        "names": reactions.names(me, story) if narrator else None,
        "narrator": narrator,
        "may_close": replies.may_close(me, story),
        "can_reply": replies.can_reply(me, story),
        "muted": rules.is_muted(me),
        "me": me,
        "city": current_app.config["CITY_NAME"],
        "may_make_story": lambda r: replies.may_make_story(me, r),
    }


def _fields() -> dict:
    # The page's CSRF token is the form's, not the reply's: the schema refuses any other
    # field, as the API does.
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _to_story(story_id: int, reply_id: int | None = None):
    anchor = f"reply-{reply_id}" if reply_id else "replies"
    return redirect(url_for("stories.story", story_id=story_id, _anchor=anchor), code=303)


def _render_form(story, values=None, errors=None, status=200, parent=None):
    body = render_template("stories/reply.html", story=story, parent=parent,
                           v=values or {}, errors=errors or {})
    return body, status, {"Cache-Control": "no-store"}


def _public_story(story_id: int):
    story = story_service.get_story_or_none(story_id)
    if story is None or not visibility.is_public_story(story):
        abort(404)
    return story


def _parent(story, raw):
    if not raw or not str(raw).isdigit() or len(str(raw)) > 18:
        return None
    return replies.shown_reply(story, int(raw))


@bp.get("/stories/<int:story_id>/reply")
@login_required
def reply_form(story_id: int):
    """The reply form on its own page: to answer a reply (``?to=``), or without scripts."""
    story = _public_story(story_id)
    replies.check_may_reply(_me(), story)
    parent = _parent(story, request.args.get("to"))
    return _render_form(story, {"parent_id": parent.id if parent else ""}, parent=parent)


def _refused(errors, exc, story_id: int):
    story = _public_story(story_id)
    return _render_form(story, request.form.to_dict(), messages_by_field(errors),
                        getattr(exc, "status", 422), parent=_parent(story,
                                                                   request.form.get("parent_id")))


@bp.post("/stories/<int:story_id>/replies")
@login_required
@rerenders_form(_refused)
def post(story_id: int):
    """A reply from the story page's form or the reply page: the same schema and service as
    ``POST /api/v1/stories/<id>/replies``."""
    story = story_service.get_story_or_none(story_id)
    if story is None:
        abort(404)
    replies.check_may_reply(_me(), story)
    data = from_form(ReplySchema(), _fields())
    made = replies.post_reply(_me(), story_id, data["body"], parent_id=data["parent_id"],
                              official=data["official"])
    if made.status == "visible":
        flash(_("Thank you for your reply."), "success")
    else:
        flash(_("Thank you. Your reply waits for a curator and is shown once approved."),
              "success")
    return _to_story(story_id, made.id)


def _own(reply_id: int):
    reply = replies.get_reply(reply_id)
    if reply.status == "removed" or not replies.can_edit(_me(), reply):
        abort(404 if reply.status == "removed" else 403)
    return reply


def _render_edit(reply, values=None, errors=None, status=200):
    body = render_template("stories/reply_edit.html", reply=reply, story=reply.story,
                           v=values or {"body": reply.body, "version": reply.version},
                           errors=errors or {})
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/replies/<int:reply_id>/edit")
@login_required
def edit_form(reply_id: int):
    return _render_edit(_own(reply_id))


def _edit_refused(errors, exc, reply_id: int):
    reply = replies.get_reply(reply_id)
    values = request.form.to_dict()
    current = getattr(exc, "current", None)
    if current:
        values["version"] = current["version"]
    return _render_edit(reply, values, messages_by_field(errors), getattr(exc, "status", 422))


@bp.post("/replies/<int:reply_id>/edit")
@login_required
@rerenders_form(_edit_refused)
def edit(reply_id: int):
    _own(reply_id)
    data = from_form(ReplyEditSchema(), _fields())
    done = replies.edit_reply(_me(), reply_id, data["body"], version=data["version"])
    flash(_("Your reply was changed."), "success")
    return _to_story(done.story_id, done.id)


@bp.post("/replies/<int:reply_id>/remove")
@login_required
def remove(reply_id: int):
    reply = _own(reply_id)
    replies.remove_reply(_me(), reply_id)
    flash(_("Your reply was removed."), "success")
    return _to_story(reply.story_id)


@bp.post("/replies/<int:reply_id>/official")
@login_required
def official(reply_id: int):
    """Curators: the city's answer, or not any more (``official``: 1 or 0)."""
    done = replies.mark_official(_me(), reply_id, request.form.get("official") == "1")
    flash(_("The reply is marked as the city's answer.") if done.official
          else _("The reply is no longer marked as the city's answer."), "success")
    return _to_story(done.story_id, done.id)


@bp.post("/replies/<int:reply_id>/hide")
@login_required
def hide(reply_id: int):
    """The narrator hides a reply on their story until a curator looks."""
    done = replies.hide_by_narrator(_me(), reply_id)
    flash(_("The reply is hidden until a curator looks at it."), "success")
    return _to_story(done.story_id)


@bp.post("/replies/<int:reply_id>/story")
@login_required
def make_story(reply_id: int):
    """The reply's author or a curator makes the reply a story of its own (it waits for a
    curator as any new story)."""
    data = from_form(ReplyToStorySchema(), _fields())
    made = replies.make_story(_me(), reply_id, title=data["title"])
    flash(_("The reply is now a story of its own. It waits for a curator and is shown once "
            "approved."), "success")
    return redirect(url_for("stories.story", story_id=made.id), code=303)


@bp.post("/stories/<int:story_id>/replies/closed")
@login_required
def close(story_id: int):
    """The narrator (or a curator) closes replies (``closed``: 1) or opens them again."""
    closed = request.form.get("closed") == "1"
    replies.close_replies(_me(), story_id, closed)
    flash(_("Replies are closed on this story.") if closed
          else _("Replies are open again on this story."), "success")
    return _to_story(story_id)


def _person_key() -> str:
    return f"reactions:{current_user.get_id() or request.remote_addr}"


@bp.post("/stories/<int:story_id>/reactions/<string:kind>")
@limiter.limit(rules.reaction_changes_limit, key_func=_person_key)
@login_required
def react(story_id: int, kind: str):
    """Give a reaction (``undo`` absent) or take it back (``undo``: 1)."""
    if request.form.get("undo") == "1":
        reactions.unreact(_me(), story_id, kind)
    else:
        reactions.react(_me(), story_id, kind)
    return redirect(url_for("stories.story", story_id=story_id, _anchor="reactions"), code=303)
