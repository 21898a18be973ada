"""A field a write does not take is refused and named, never silently dropped: every JSON
request body of the document, sent with an extra field by a curator (who may do the most)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.services.accounts import create_api_token
from tests.conftest import create_user

WRITES = ("post", "put", "patch", "delete")


def _scene(db_session) -> tuple[dict, dict]:
    """Real targets for the paths' ids (a public story with a recording, a reply and a
    suggestion on it) and, per path, the person whose write it is: the role check comes
    before the body, so a write by someone who may not make it never reaches the field."""
    from app.models import Media, Story
    from app.services import story_suggestions
    from app.services.conversation import replies

    story = db_session.scalar(select(Story).where(Story.status == "approved", Story.is_lead,
                                                  Story.author_id.is_not(None))
                              .order_by(Story.id).limit(1))
    reader = create_user("reader@example.org")
    recording = Media(place_id=story.place_id, story_id=story.id, kind="audio",
                      storage_key="unknown-fields.m4a", mime="audio/mp4", size_bytes=1,
                      sha256="0" * 64, status="approved")
    db_session.add(recording)
    reply = replies.post_reply(reader, story.id, "Ich war auch dort.")
    suggestion = story_suggestions.suggest(
        reader, story.id, story_suggestions.SuggestionInput(title=story.title + " (1961)"),
        version=story.version)
    db_session.flush()
    ids = {"story_id": story.id, "place_id": story.place_id, "reply_id": reply.id,
           "suggestion_id": suggestion.id, "media_id": recording.id}
    actors = {"/api/v1/stories/{story_id}/suggestions": reader,
              "/api/v1/stories/{story_id}/suggestions/{suggestion_id}/take-back": reader,
              "/api/v1/replies/{reply_id}": reader,
              "/api/v1/replies/{reply_id}/hide": story.author}
    return ids, actors


def test_every_json_body_names_a_field_it_does_not_take(client, db_session, demo):
    ids, actors = _scene(db_session)
    tokens = {None: create_api_token(create_user("strict@example.org", role="curator"), "t")}
    for person in actors.values():
        tokens.setdefault(person.id, create_api_token(person, "t"))
    db_session.commit()
    spec = client.get("/api/openapi.json").get_json()
    checked, silent = 0, []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in WRITES:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            slug = "seniors-memories" if path.startswith("/api/v1/themes") else "altstadt-erinnerungen"
            url = re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m.group(1), 1)),
                         path.replace("{slug}", slug))
            actor = actors.get(path)
            headers = {"Authorization": f"Bearer {tokens[actor.id if actor else None]}"}
            sent = {**(body.get("example") or {}), "colour_of_the_sky": "blue"}
            resp = client.open(url, method=method.upper(), json=sent, headers=headers)
            error = (resp.get_json() or {}).get("error", {})
            named = "colour_of_the_sky" in (error.get("fields") or {}) or \
                error.get("field") == "colour_of_the_sky"
            if not (resp.status_code in (400, 422) and named):
                silent.append((method.upper(), path, resp.status_code, error))
            checked += 1
    assert checked >= 15
    assert silent == []
