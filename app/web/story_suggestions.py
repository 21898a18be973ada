"""Suggested edits on the story pages: "Suggest an edit" for people who may not edit a
story, the open suggestions with their differences for its author and curators, and the
decisions (accept, decline, take back). Every form posts and redirects (PRG)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import rerenders_form
from app.inputs.base import from_form
from app.inputs.story_suggestions import SuggestionDecisionSchema, SuggestionSchema
from app.services import stories as story_service
from app.services import story_suggestions as service
from app.web.forms import messages_by_field

bp = Blueprint("story_suggestions", __name__)


def _fields() -> dict:
    """The form's fields without the page's CSRF token (the schema refuses what it does
    not take, as the API does)."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def _me():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _visible_story(story_id: int):
    story = story_service.get_story_or_none(story_id)
    if story is None or not story_service.can_see(_me(), story):
        abort(404)
    return story


@bp.app_template_global()
def story_suggestion_links(story) -> dict:
    """What the story page offers about suggestions to the person looking at it."""
    me = _me()
    public = story_service.is_public(story)
    deciding = story_service.can_edit(me, story)
    return {
        "can_suggest": public and (me is None or service.can_suggest(me, story)),
        "open": service.open_count(story.id) if deciding else len(
            service.visible_suggestions(me, story)) if me is not None else 0,
        "deciding": deciding,
    }


def _render_form(story, values=None, errors=None, status=200):
    body = render_template("stories/suggest.html", story=story, place=story.place,
                           v=values or {**service.current_fields(story), "message": "",
                                        "version": story.version},
                           errors=errors or {})
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/stories/<int:story_id>/suggest")
@login_required
def suggest_form(story_id: int):
    story = _visible_story(story_id)
    if story_service.can_edit(_me(), story):
        flash(_("You can edit this story yourself."), "info")
        return redirect(url_for("stories.story", story_id=story.id), code=303)
    if not service.can_suggest(_me(), story):
        abort(404)
    return _render_form(story)


def _suggest_refused(errors, exc, story_id: int):
    return _render_form(_visible_story(story_id), request.form.to_dict(),
                        messages_by_field(errors), getattr(exc, "status", 422))


@bp.post("/stories/<int:story_id>/suggestions")
@login_required
@rerenders_form(_suggest_refused)
def suggest(story_id: int):
    """Send a suggested edit to the story's author."""
    _visible_story(story_id)
    inp, version = from_form(SuggestionSchema(), _fields())
    service.suggest(_me(), story_id, inp, version=version)
    flash(_("Thank you. Your suggestion was sent to the story's author."), "success")
    return redirect(url_for("stories.story", story_id=story_id), code=303)


def _render_list(story, errors=None, failed: int | None = None, status=200):
    me = _me()
    items = [{"s": s, "changes": service.suggestion_diff(s), "stale": service.is_stale(s),
              "mine": me is not None and s.author_id == me.id}
             for s in service.visible_suggestions(me, story)]
    body = render_template("stories/suggestions.html", story=story, place=story.place,
                           items=items, deciding=story_service.can_edit(me, story),
                           errors=errors or {}, failed=failed)
    return body, status, {"Cache-Control": "no-store"}


@bp.get("/stories/<int:story_id>/suggestions")
@login_required
def suggestions(story_id: int):
    """The open suggestions: all for the author and curators, their own for a suggester."""
    return _render_list(_visible_story(story_id))


def _decision_refused(errors, exc, suggestion_id: int):
    suggestion = service.get_suggestion(suggestion_id)
    return _render_list(_visible_story(suggestion.story_id), messages_by_field(errors),
                        suggestion_id, getattr(exc, "status", 422))


def _back(suggestion):
    return redirect(url_for("story_suggestions.suggestions", story_id=suggestion.story_id),
                    code=303)


@bp.post("/suggestions/<int:suggestion_id>/accept")
@login_required
@rerenders_form(_decision_refused)
def accept(suggestion_id: int):
    data = from_form(SuggestionDecisionSchema(), _fields())
    done = service.accept(_me(), suggestion_id, message=data["message"],
                          version=data["version"])
    if story_service.is_public(done.story):
        flash(_("The suggestion was accepted: the story is changed."), "success")
    else:
        flash(_("The suggestion was accepted. The changed story waits for a curator."),
              "success")
    return _back(done)


@bp.post("/suggestions/<int:suggestion_id>/decline")
@login_required
@rerenders_form(_decision_refused)
def decline(suggestion_id: int):
    data = from_form(SuggestionDecisionSchema(), _fields())
    done = service.decline(_me(), suggestion_id, message=data["message"])
    flash(_("The suggestion was declined."), "success")
    return _back(done)


@bp.post("/suggestions/<int:suggestion_id>/take-back")
@login_required
def take_back(suggestion_id: int):
    done = service.take_back(_me(), suggestion_id)
    flash(_("You took your suggestion back."), "success")
    return redirect(url_for("stories.story", story_id=done.story_id), code=303)
