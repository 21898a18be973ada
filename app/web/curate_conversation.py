"""Curator pages for the conversation: one waiting reply or place note with its decision
forms (reached from the queue, /curate), a reply hidden, removed or shown again, the people
muted in the conversation and the watched words. Every form works without JavaScript and
answers with a redirect; refused input is flashed (``redirects_on_refusal``)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import redirects_on_refusal
from app.inputs.base import from_form
from app.inputs.conversation_moderation import (
    ActionSchema,
    MuteSchema,
    ReviewSchema,
    UnmuteSchema,
    WatchedWordSchema,
)
from app.inputs.moderation import ResolveSchema
from app.services import flags as flag_service
from app.services import moderation
from app.services.moderation import conversation, mutes
from app.services.text import render_reply
from app.web.curate import curator_required

bp = Blueprint("curate_conversation", __name__)


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _me():
    return current_user._get_current_object()


def _fields() -> dict:
    # The page's CSRF token is the form's, not the decision's: the schemas refuse any other
    # field, as the API does.
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _next_url(kind: str, item_id: int) -> str:
    upcoming = moderation.next_item(kind, item_id)
    if upcoming is None:
        return url_for("curate.queue")
    if upcoming["kind"] in moderation.CONVERSATION_KINDS:
        return url_for(f"curate_conversation.{upcoming['kind']}", item_id=upcoming["id"])
    return url_for("curate.item", kind=upcoming["kind"], item_id=upcoming["id"])


def _common() -> dict:
    templates = moderation.templates()
    return {"reasons": moderation.REASON_CODES, "templates": templates,
            "template_bodies": {str(t.id): t.body for t in templates}}


@bp.get("/curate/reply/<int:item_id>")
@curator_required
def reply(item_id: int):
    found = conversation.reply_item(item_id)
    parent = found["parent"]
    return render_template(
        "curate/reply.html", it=found, body_html=render_reply(found["reply"].body),
        parent_html=render_reply(parent.body) if parent is not None else None, **_common())


@bp.post("/curate/reply/<int:item_id>/decide")
@curator_required
@redirects_on_refusal(lambda item_id: url_for("curate_conversation.reply", item_id=item_id))
def decide_reply(item_id: int):
    review = from_form(ReviewSchema(), _fields())
    conversation.decide_reply(_me(), item_id, review.decision, reason=review.reason,
                              message=review.message)
    flash(_("Approved.") if review.decision == "approve" else _("Rejected."), "success")
    return redirect(_next_url("reply", item_id), code=303)


@bp.post("/curate/reply/<int:item_id>/act")
@curator_required
@redirects_on_refusal(lambda item_id: url_for("curate_conversation.reply", item_id=item_id))
def act_on_reply(item_id: int):
    action = from_form(ActionSchema(), _fields())
    conversation.act_on_reply(_me(), item_id, action.decision, reason=action.reason,
                              message=action.message)
    notes = {"hide": _("The reply is hidden."), "remove": _("The reply is removed."),
             "show": _("The reply is shown again.")}
    flash(notes[action.decision], "success")
    return redirect(url_for("curate_conversation.reply", item_id=item_id), code=303)


@bp.post("/curate/reply/<int:item_id>/reports")
@curator_required
@redirects_on_refusal(lambda item_id: url_for("curate_conversation.reply", item_id=item_id))
def resolve_reports(item_id: int):
    data = from_form(ResolveSchema(), _fields())
    flag_service.resolve_reply_flags(_me(), item_id, data.resolution, message=data.message)
    flash(_("Reports resolved."), "success")
    return redirect(_next_url("reply", item_id), code=303)


@bp.get("/curate/talk/<int:item_id>")
@curator_required
def talk(item_id: int):
    return render_template("curate/talk.html", it=conversation.talk_item(item_id), **_common())


@bp.post("/curate/talk/<int:item_id>/decide")
@curator_required
@redirects_on_refusal(lambda item_id: url_for("curate_conversation.talk", item_id=item_id))
def decide_talk(item_id: int):
    review = from_form(ReviewSchema(), _fields())
    conversation.decide_talk(_me(), item_id, review.decision, reason=review.reason,
                             message=review.message)
    flash(_("Approved.") if review.decision == "approve" else _("Rejected."), "success")
    return redirect(_next_url("talk", item_id), code=303)


# --- mutes and watched words -------------------------------------------------------------------


@bp.get("/curate/mutes")
@curator_required
def mutes_page():
    return render_template("curate/mutes.html", mutes=mutes.mutes(),
                           prefill=request.args.get("who", ""))


@bp.post("/curate/mutes")
@curator_required
@redirects_on_refusal(lambda: url_for("curate_conversation.mutes_page"))
def mute():
    data = from_form(MuteSchema(), _fields())
    person = mutes.find_person(data.who)
    mutes.mute(_me(), person.id, data.reason)
    flash(_("%(name)s is muted in the conversation.", name=person.display_name), "success")
    return redirect(url_for("curate_conversation.mutes_page"), code=303)


@bp.post("/curate/mutes/<int:user_id>/lift")
@curator_required
@redirects_on_refusal(lambda user_id: url_for("curate_conversation.mutes_page"))
def unmute(user_id: int):
    data = from_form(UnmuteSchema(), _fields())
    mutes.unmute(_me(), user_id, data.get("message", ""))
    flash(_("The mute is lifted."), "success")
    return redirect(url_for("curate_conversation.mutes_page"), code=303)


@bp.get("/curate/watched-words")
@curator_required
def watched_words():
    return render_template("curate/watched_words.html", words=mutes.watched_words())


@bp.post("/curate/watched-words")
@curator_required
@redirects_on_refusal(lambda: url_for("curate_conversation.watched_words"))
def add_watched_word():
    data = from_form(WatchedWordSchema(), _fields())
    word = mutes.add_watched_word(_me(), data["phrase"])
    flash(_("“%(phrase)s” is watched now.", phrase=word.phrase), "success")
    return redirect(url_for("curate_conversation.watched_words"), code=303)


@bp.post("/curate/watched-words/<int:word_id>/delete")
@curator_required
@redirects_on_refusal(lambda word_id: url_for("curate_conversation.watched_words"))
def remove_watched_word(word_id: int):
    mutes.remove_watched_word(_me(), word_id)
    flash(_("The word is not watched any more."), "success")
    return redirect(url_for("curate_conversation.watched_words"), code=303)


