"""ActivityPub and its discovery: WebFinger, NodeInfo 2.1, our actors (with outbox and
followers), the inboxes, and a story's Note by content negotiation on ``/stories/<id>``.
Everything answers 404 while FEDERATION is off."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, abort, current_app, request

from app.errors import DomainError
from app.extensions import csrf, limiter
from app.services import stories as story_service
from app.services import visibility
from app.services.federation import actors, notes, signatures
from app.services.federation import inbox as inbox_service
from app.services.federation.collections import outbox_document, outbox_page

bp = Blueprint("federation", __name__)
AP_TYPE = "application/activity+json"
AP_TYPES = (AP_TYPE, "application/ld+json")
PAGE_SIZE = 20


def _on() -> None:
    if not current_app.config["FEDERATION"]:
        abort(404)


def _json(document: dict, status: int = 200, mimetype: str = AP_TYPE) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False), status=status,
                        mimetype=mimetype)
    response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def wants_activitypub() -> bool:
    """Whether the client asked for ActivityStreams rather than a page."""
    accept = request.accept_mimetypes
    # ld+json counts with its ActivityStreams profile parameter, which best_match ignores.
    ap = max((q for value, q in accept if value.split(";")[0].strip().lower() in AP_TYPES),
             default=0)
    html = max((q for value, q in accept if value.split(";")[0].strip() == "text/html"),
               default=0)
    return ap > 0 and ap > html


def _actor_or_404(name: str) -> str:
    _on()
    actor = actors.actor_for_username(name)
    if actor is None:
        abort(404)
    return actor


@bp.get("/.well-known/webfinger")
def webfinger():
    _on()
    resource = request.args.get("resource", "")
    name = None
    if resource.startswith("acct:") and resource.count("@") == 1:
        user, _sep, host = resource[5:].partition("@")
        name = user if host.lower() == actors.host().lower() else None
    elif resource.startswith(f"{actors.base_url()}/ap/actors/"):
        name = resource.rsplit("/", 1)[1]
    actor = actors.actor_for_username(name) if name else None
    if actor is None:
        abort(404)
    return _json({
        "subject": f"acct:{actors.username(actor)}@{actors.host()}",
        "aliases": [actors.actor_id(actor)],
        "links": [{"rel": "self", "type": AP_TYPE, "href": actors.actor_id(actor)},
                  {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                   "href": actors.document(actor)["url"]}],
    }, mimetype="application/jrd+json")


@bp.get("/.well-known/nodeinfo")
def nodeinfo_links():
    _on()
    return _json({"links": [{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                             "href": f"{actors.base_url()}/nodeinfo/2.1"}]},
                 mimetype="application/json")


@bp.get("/nodeinfo/2.1")
def nodeinfo():
    _on()
    from app.services.federation.collections import local_post_count

    return _json({
        "version": "2.1",
        "software": {"name": "stadtspur", "version": "0.1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": True,
        "usage": {"users": {}, "localPosts": local_post_count()},
        "metadata": {"nodeName": current_app.config["CITY_NAME"]},
    }, mimetype='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"')


@bp.get("/ap/actors/<name>")
def actor(name: str):
    return _json(actors.document(_actor_or_404(name)))


@bp.get("/ap/actors/<name>/followers")
def followers(name: str):
    return _json(actors.followers_document(_actor_or_404(name)))


@bp.get("/ap/actors/<name>/outbox")
def outbox(name: str):
    actor = _actor_or_404(name)
    page = request.args.get("page", "")
    if not page:
        return _json(outbox_document(actor, PAGE_SIZE))
    if not page.isdigit() or not 1 <= int(page) <= 10_000:
        abort(404)
    return _json(outbox_page(actor, int(page), PAGE_SIZE))


@bp.get("/ap/stories/<int:story_id>/replies")
def replies(story_id: int):
    _on()
    story = story_service.get_story_or_none(story_id)
    if not visibility.is_public_story(story):
        abort(404)
    return _json(notes.replies_collection(story))


@bp.get("/ap/tours/<slug>/news/<int:entry_id>")
def tour_news(slug: str, entry_id: int):
    _on()
    from app.services.federation.collections import tour_news_entry

    found = tour_news_entry(slug, entry_id)
    if found is None:
        abort(404)
    return _json(notes.tour_news(*found))


def _receive():
    _on()
    limit = current_app.config["FEDERATION_MAX_BODY"]
    if (request.content_length or 0) > limit:
        return _json({"error": "body too large"}, 413, "application/json")
    body = request.get_data(cache=True)
    if len(body) > limit:
        return _json({"error": "body too large"}, 413, "application/json")
    url = f"{actors.base_url()}{request.path}"
    try:
        inbox_service.receive(request.method, url, dict(request.headers), body)
    except signatures.BadSignature as exc:
        return _json({"error": str(exc)}, 401, "application/json")
    except inbox_service.TooMany:
        return _json({"error": "too many activities from this host"}, 429, "application/json")
    except DomainError as exc:
        return _json({"error": exc.message if hasattr(exc, "message") else str(exc)},
                     exc.status, "application/json")
    return _json({}, 202, "application/json")


@bp.post("/ap/inbox")
@csrf.exempt
@limiter.exempt
def shared_inbox():
    return _receive()


@bp.post("/ap/actors/<name>/inbox")
@csrf.exempt
@limiter.exempt
def actor_inbox(name: str):
    _actor_or_404(name)
    return _receive()


@bp.before_app_request
def _story_for_activitypub():
    """``/stories/<id>`` asked for as ActivityStreams: the Note, or 410 with a Tombstone
    once the story is withdrawn or hidden."""
    if request.endpoint != "stories.story" or not current_app.config["FEDERATION"] \
            or not wants_activitypub():
        return None
    story = story_service.get_story_or_none(request.view_args["story_id"])
    if story is None:
        abort(404)
    if visibility.is_public_story(story):
        return _json(notes.note(story))
    if story.is_removed:
        return _json(notes.tombstone(story.id, story.withdrawn_at or story.hidden_at
                                     or story.updated_at), 410)
    abort(404)


@bp.after_app_request
def _vary_on_accept(response: Response) -> Response:
    if request.endpoint == "stories.story":
        response.vary.add("Accept")
    return response


def register_federation(app: Flask) -> None:
    """The federation's routes, its flush hook and its jobs."""
    from app.services.federation import delivery, tasks  # noqa: F401  (registers the jobs)

    app.register_blueprint(bp)
    delivery.watch()
