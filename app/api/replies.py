"""Replies and reactions in the API: a public story's thread (oldest first, one level of
answers), a new reply or answer, its author's edit (version; 409 when stale) and removal,
curators marking a reply official, and "Thank you" / "I remember this too" given and taken
back. Replies are open data under CC BY-SA 4.0; reactions are published as counts only
(the narrator alone sees who).

Who may is checked before the body is read: a caller who may not write learns nothing of
the schema from a 422."""

from __future__ import annotations

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError

from app.api.auth import api_user, require_user
from app.api.docs import NO_BODY, PROBLEM
from app.api.http import json_body, rate_key, write_limit
from app.errors import Forbidden, FormErrors, NotFound, errors_by_field
from app.extensions import limiter
from app.inputs.base import Nothing
from app.inputs.replies import (
    ReplyEditSchema,
    ReplySchema,
    ReplyToStorySchema,
    ReplyVersionSchema,
)
from app.licences import STORY_LICENCE
from app.services import stories as story_service
from app.services.conversation import reactions, replies, rules, thread
from app.services.text import render_reply

blp = Blueprint(
    "api_replies", __name__, url_prefix="/api/v1",
    description="Replies on stories (CC BY-SA 4.0) and reactions (counts).",
)
SECURITY = [{"bearerAuth": []}, {"cookieAuth": []}]
REPLY_LICENCE = STORY_LICENCE


class ReplyOutSchema(Schema):
    id = fields.Integer(required=True, metadata={"example": 12})
    story_id = fields.Integer(required=True, metadata={"example": 31})
    parent_id = fields.Integer(allow_none=True, metadata={
        "description": "the reply this one answers", "example": None})
    thread_id = fields.Integer(required=True, metadata={
        "description": "the top-level reply it is shown under (its own id on the top level)",
        "example": 12})
    author = fields.String(required=True, metadata={
        "description": "the author's name, \"a former member\" once they deleted their "
                       "account, or the city's name for an official answer",
        "example": "Rosa"})
    official = fields.Boolean(required=True, metadata={
        "description": "the city's answer", "example": False})
    body = fields.String(required=True, metadata={
        "description": "Markdown-light as written", "example": "Ich war auch dabei."})
    html = fields.String(required=True, metadata={
        "description": "the body rendered and sanitised (paragraphs, links, emphasis)",
        "example": "<p>Ich war auch dabei.</p>"})
    status = fields.String(required=True, metadata={
        "description": "visible; pending (only its author sees it: it waits for a curator); "
                       "removed: it was made a story of its own, now public "
                       "(`became_story_id`)",
        "example": "visible"})
    became_story_id = fields.Integer(allow_none=True, metadata={
        "description": "the story this reply became", "example": None})
    held_reason = fields.String(allow_none=True, metadata={
        "description": "why a pending reply waits: new_member, link or watched_word",
        "example": None})
    licence = fields.String(required=True, metadata={"example": REPLY_LICENCE})
    version = fields.Integer(required=True, metadata={
        "description": "what a PATCH or DELETE names", "example": 1})
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})


class CountsSchema(Schema):
    thanks = fields.Integer(required=True, metadata={"example": 4})
    remember = fields.Integer(required=True, metadata={"example": 2})


class ThreadSchema(Schema):
    story_id = fields.Integer(required=True, metadata={"example": 31})
    replies_closed = fields.Boolean(required=True, metadata={"example": False})
    replies = fields.List(fields.Nested(ReplyOutSchema), required=True)
    reactions = fields.Nested(CountsSchema, required=True)


class NamesSchema(Schema):
    thanks = fields.List(fields.String(), required=True, metadata={"example": ["Rosa"]})
    remember = fields.List(fields.String(), required=True, metadata={"example": ["Beat"]})


class ReactionNamesSchema(Schema):
    story_id = fields.Integer(required=True, metadata={"example": 31})
    reactions = fields.Nested(CountsSchema, required=True)
    names = fields.Nested(NamesSchema, required=True)


class ReactionsSchema(Schema):
    story_id = fields.Integer(required=True, metadata={"example": 31})
    reactions = fields.Nested(CountsSchema, required=True)
    mine = fields.List(fields.String(), required=True, metadata={
        "description": "the kinds the caller gave", "example": ["thanks"]})


EXAMPLE = {"id": 12, "story_id": 31, "parent_id": None, "thread_id": 12, "author": "Rosa",
           "official": False, "body": "Ich war auch dabei, 1965 auf dem *Schlitten*.",
           "html": "<p>Ich war auch dabei, 1965 auf dem <em>Schlitten</em>.</p>",
           "status": "visible", "held_reason": None, "became_story_id": None,
           "licence": REPLY_LICENCE, "version": 1,
           "created_at": "2026-12-04T18:30:00+00:00",
           "updated_at": "2026-12-04T18:30:00+00:00"}
COUNTS = {"thanks": 4, "remember": 2}


def author_name(reply) -> str:
    if reply.official:
        return current_app.config["CITY_NAME"]
    if reply.author is None:
        return _("a former member")
    return reply.author.display_name


def _status(reply) -> str:
    # Hidden by the narrator, a reply waits for a curator as a held one does: only its
    # author reads it, as pending.
    if reply.status == "visible" and reply.narrator_hidden_at is not None:
        return "pending"
    return reply.status


def reply_dict(reply, thread_id: int | None = None) -> dict:
    return {"id": reply.id, "story_id": reply.story_id, "parent_id": reply.parent_id,
            "thread_id": thread_id or reply.id, "author": author_name(reply),
            "official": reply.official, "body": reply.body,
            "html": str(render_reply(reply.body)),
            "status": _status(reply),
            "held_reason": reply.held_reason, "became_story_id": reply.became_story_id,
            "licence": REPLY_LICENCE,
            "version": reply.version, "created_at": reply.created_at.isoformat(),
            "updated_at": reply.updated_at.isoformat()}




def _load_query(schema):
    try:
        return schema.load(request.args.to_dict())
    except SchemaError as exc:
        raise FormErrors(errors_by_field(exc)) from exc


@blp.route("/stories/<int:story_id>/replies")
@blp.response(200, ThreadSchema, example={"story_id": 31, "replies_closed": False,
                                          "replies": [EXAMPLE], "reactions": COUNTS})
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public story")
@blp.doc(security=[{}, *SECURITY])
def list_replies(story_id: int):
    """A public story's replies, oldest first; an answer names the top-level reply it is
    shown under (`thread_id`). A caller also sees their own replies that wait for a
    curator (`status` pending). With the reaction counts."""
    user = api_user()
    story = replies.open_story(story_id)
    items = []
    for top in thread.thread(story, user):
        items.append(reply_dict(top.reply))
        items.extend(reply_dict(a.reply, top.reply.id) for a in top.answers)
    return jsonify({"story_id": story.id, "replies_closed": story.replies_closed,
                    "replies": items, "reactions": reactions.counts(story.id)})


@blp.route("/stories/<int:story_id>/replies", methods=["POST"])
@blp.response(201, ReplyOutSchema, example=EXAMPLE)
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM, description=(
    "replies are closed (error.code replies_closed), the caller is muted (muted), or not a "
    "curator and asked for an official answer"))
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public story (hidden, withdrawn, pending)")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM, description=(
    "the text is empty, too long, holds HTML or a javascript: link (error.field body), or "
    "the answered reply is not shown on this story (parent_id)"))
@blp.alt_response(429, schema="Problem", content_type=PROBLEM,
                  description="too many replies in the last hour")
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": ReplySchema, "example": {
        "body": "Ich war auch dabei, 1965 auf dem *Schlitten*."}}}})
@write_limit()
@require_user()
def create_reply(story_id: int):
    """Reply to a public story, or answer one of its replies (`parent_id`). Published under
    CC BY-SA 4.0. A trusted person's reply is shown at once (`status` visible); a new
    member's, or a link from someone not yet trusted, waits for a curator (pending)."""
    user = api_user()
    story = replies.open_story(story_id)
    replies.check_may_reply(user, story)
    data = json_body(ReplySchema())
    made = replies.post_reply(user, story_id, data["body"], parent_id=data["parent_id"],
                              official=data["official"])
    resp = jsonify(reply_dict(made, _thread_id(made)))
    resp.status_code = 201
    resp.headers["Location"] = url_for("stories.story", story_id=story_id,
                                       _anchor=f"reply-{made.id}")
    return resp


def _thread_id(reply) -> int:
    root, seen = reply, {reply.id}
    while root.parent is not None and root.parent.id not in seen:
        root = root.parent
        seen.add(root.id)
    return root.id


_REPLY_RESPONSES = [
    (401, "not logged in"),
    (403, "not the reply's author"),
    (404, "no such reply (or it was removed)"),
    (409, "the reply changed since `version` (error.current holds its body and version)"),
]


def _document(view):
    for status, description in _REPLY_RESPONSES:
        view = blp.alt_response(status, schema="Problem", content_type=PROBLEM,
                                description=description)(view)
    return view


def _own(user, reply_id: int):
    reply = replies.get_reply(reply_id)
    if reply.status == "removed":
        raise NotFound(_("This reply does not exist."))
    if not replies.can_edit(user, reply):
        raise Forbidden(_("Only the reply's author can change it."))
    return reply


@blp.route("/replies/<int:reply_id>", methods=["PATCH"])
@blp.response(200, ReplyOutSchema, example=EXAMPLE | {
    "body": "Ich war auch dabei, im Winter 1965.",
    "html": "<p>Ich war auch dabei, im Winter 1965.</p>", "version": 2})
@_document
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="the text is not acceptable (error.field body)")
@blp.doc(security=SECURITY, requestBody={"required": True, "content": {"application/json": {
    "schema": ReplyEditSchema, "example": {"body": "Ich war auch dabei, im Winter 1965.",
                                           "version": 1}}}})
@write_limit()
@require_user()
def edit_reply(reply_id: int):
    """Change your reply's text, naming the `version` you read. An edit that adds a link or
    a watched word waits for a curator again."""
    user = api_user()
    _own(user, reply_id)
    data = json_body(ReplyEditSchema())
    done = replies.edit_reply(user, reply_id, data["body"], version=data["version"])
    return jsonify(reply_dict(done, _thread_id(done)))


@blp.route("/replies/<int:reply_id>", methods=["DELETE"])
@blp.response(204, description="removed")
@_document
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="`version` is not a number")
@blp.doc(security=SECURITY, parameters=[{
    "name": "version", "in": "query", "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "description": "the version you read (409 when the reply changed since)"}])
@write_limit()
@require_user()
def delete_reply(reply_id: int):
    """Remove your reply: it leaves the thread (answers to it stay)."""
    user = api_user()
    _own(user, reply_id)
    data = _load_query(ReplyVersionSchema())
    replies.remove_reply(user, reply_id, version=data["version"])
    return "", 204


@blp.route("/replies/<int:reply_id>/official", methods=["PUT", "DELETE"])
@blp.response(200, ReplyOutSchema, example=EXAMPLE | {"official": True,
                                                       "author": "Winterthur"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM, description="not a curator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such reply")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM,
                  description="the reply is not shown (error.code not_visible)")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a body was sent (this request takes none)")
@blp.doc(security=SECURITY, requestBody=NO_BODY)
@write_limit()
@require_user("curator", "admin")
def official(reply_id: int):
    """Curators: mark a shown reply as the city's answer (PUT: a badge and the city's name)
    or take the mark off (DELETE)."""
    json_body(Nothing())
    done = replies.mark_official(api_user(), reply_id, request.method == "PUT")
    return jsonify(reply_dict(done, _thread_id(done)))


@blp.route("/stories/<int:story_id>/reactions/<string:kind>", methods=["PUT", "DELETE"])
@blp.response(200, ReactionsSchema, example={"story_id": 31, "reactions": COUNTS,
                                             "mine": ["thanks"]})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="the caller is muted (error.code muted)")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public story, or no such kind")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a body was sent (this request takes none)")
@blp.alt_response(429, schema="Problem", content_type=PROBLEM,
                  description="too many reactions in the last hour")
@blp.doc(security=SECURITY, requestBody=NO_BODY, parameters=[{
    "name": "kind", "in": "path", "required": True,
    "schema": {"type": "string", "enum": list(reactions.KINDS)},
    "description": "thanks (\"Thank you\") or remember (\"I remember this too\")",
    "example": "thanks"}])
@write_limit()
@limiter.limit(rules.reaction_changes_limit, key_func=rate_key, methods=["PUT", "DELETE"])
@require_user()
def react(story_id: int, kind: str):
    """Thank the narrator or say you remember too (PUT; once per person, story and kind:
    again changes nothing), or take it back (DELETE). Answers the counts."""
    user = api_user()
    json_body(Nothing())
    if request.method == "PUT":
        reactions.react(user, story_id, kind)
    else:
        reactions.unreact(user, story_id, kind)
    return jsonify({"story_id": story_id, "reactions": reactions.counts(story_id),
                    "mine": sorted(reactions.mine(user, story_id))})


@blp.route("/stories/<int:story_id>/reactions")
@blp.response(200, ReactionNamesSchema, example={
    "story_id": 31, "reactions": {"thanks": 1, "remember": 1},
    "names": {"thanks": ["Rosa"], "remember": ["Beat"]}})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the story's narrator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM,
                  description="no such public story")
@blp.doc(security=SECURITY)
@require_user()
def reaction_names(story_id: int):
    """The narrator's view: who thanked them and who remembers too, oldest first. Everyone
    else sees the counts only (in the thread)."""
    story = replies.open_story(story_id)
    found = reactions.names(api_user(), story)
    return jsonify({"story_id": story.id, "reactions": {k: len(v) for k, v in found.items()},
                    "names": found})


class ClosedSchema(Schema):
    story_id = fields.Integer(required=True, metadata={"example": 31})
    replies_closed = fields.Boolean(required=True, metadata={"example": True})


@blp.route("/stories/<int:story_id>/replies/closed", methods=["PUT", "DELETE"])
@blp.response(200, ClosedSchema, example={"story_id": 31, "replies_closed": True})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the story's narrator (or their helper) or a curator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such story")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a body was sent (this request takes none)")
@blp.doc(security=SECURITY, requestBody=NO_BODY)
@write_limit()
@require_user()
def close(story_id: int):
    """The narrator (or a curator) closes replies on a story (PUT) or opens them again
    (DELETE); the replies already there stay."""
    user = api_user()
    if not replies.may_close(user, story_service.get_story(story_id)):
        raise Forbidden(_("Only the story's narrator can close replies on it."))
    json_body(Nothing())
    story = replies.close_replies(user, story_id, request.method == "PUT")
    return jsonify({"story_id": story.id, "replies_closed": story.replies_closed})


@blp.route("/replies/<int:reply_id>/hide", methods=["POST"])
@blp.response(200, ReplyOutSchema, example=EXAMPLE | {"status": "pending"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="not the narrator of the reply's story")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such reply")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM,
                  description="the reply is not shown any more (error.code not_visible)")
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="a body was sent (this request takes none)")
@blp.doc(security=SECURITY, requestBody=NO_BODY)
@write_limit()
@require_user()
def hide(reply_id: int):
    """The narrator hides a reply on their story until a curator looks: it leaves the
    thread at once and waits in the curators' queue."""
    user = api_user()
    reply = replies.get_reply(reply_id)
    if not replies.is_narrator(user, reply.story):
        raise Forbidden(_("Only the story's narrator can hide a reply on it."))
    json_body(Nothing())
    done = replies.hide_by_narrator(user, reply_id)
    return jsonify(reply_dict(done, _thread_id(done)))


class MadeStorySchema(Schema):
    story_id = fields.Integer(required=True, metadata={"example": 57})
    status = fields.String(required=True, metadata={"example": "pending"})
    url = fields.String(required=True, metadata={"example": "https://stadtspur.example/stories/57"})


@blp.route("/replies/<int:reply_id>/story", methods=["POST"])
@blp.response(201, MadeStorySchema, example={
    "story_id": 57, "status": "pending", "url": "https://stadtspur.example/stories/57"})
@blp.alt_response(401, schema="Problem", content_type=PROBLEM, description="not logged in")
@blp.alt_response(403, schema="Problem", content_type=PROBLEM,
                  description="neither the reply's author nor a curator")
@blp.alt_response(404, schema="Problem", content_type=PROBLEM, description="no such reply")
@blp.alt_response(409, schema="Problem", content_type=PROBLEM, description=(
    "the reply is not shown (not_visible) or its author deleted their account "
    "(former_member)"))
@blp.alt_response(422, schema="Problem", content_type=PROBLEM,
                  description="the title is not acceptable (error.field title)")
@blp.doc(security=SECURITY, requestBody={"required": False, "content": {"application/json": {
    "schema": ReplyToStorySchema, "example": {"title": "Schlittenfahren 1965"}}}})
@write_limit()
@require_user()
def make_story(reply_id: int):
    """A reply that is really a memory becomes a story of its own at the same place, by the
    reply's author and dated as the reply (its author or a curator asks); it waits for a
    curator as any new story, and the reply leaves the thread."""
    user = api_user()
    reply = replies.get_reply(reply_id)
    if not (user.is_curator or reply.author_id == user.id):
        raise Forbidden(_("Only the reply's author or a curator can make it a story."))
    data = json_body(ReplyToStorySchema())
    made = replies.make_story(user, reply_id, title=data["title"])
    resp = jsonify({"story_id": made.id, "status": made.status,
                    "url": url_for("stories.story", story_id=made.id, _external=True)})
    resp.status_code = 201
    resp.headers["Location"] = url_for("stories.story", story_id=made.id)
    return resp
