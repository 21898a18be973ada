"""Replies and reactions over HTTP: the API (thread, post, PATCH with version, DELETE,
official, reactions, names) with every role and bad input, the document's examples
accepted, schemathesis over these operations with each role; and the story page (thread,
forms, PRG, anonymous sent to log in, a refused reply shown again with its text)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import func, select

from app.extensions import db
from app.models.conversation import Reaction, Reply
from app.services.accounts import create_api_token
from app.services.conversation import replies
from tests.conftest import create_user, login, per_request_g
from tests.integration.test_replies import public_story


def _bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_api_token(user, 'test')}"}


@pytest.fixture
def people(demo, db_session):
    narrator = create_user("narrator@example.org", name="Anna Erzählerin")
    trusted = create_user("trusted@example.org", name="Rosa Vertraut")
    newbie = create_user("newbie@example.org", name="Nina Neu")
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    for user in (narrator, trusted, newbie, curator):
        user.locale = "en"
    story = public_story(narrator, curator)
    public_story(trusted, curator, title="Rosas Erinnerung")
    db_session.flush()
    return {"narrator": narrator, "trusted": trusted, "newbie": newbie, "curator": curator,
            "story": story}


def _replies() -> int:
    return db.session.scalar(select(func.count(Reply.id)))


def test_the_api_thread_round_trip(client, people):
    p = people
    sid = p["story"].id
    made = client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["trusted"]),
                       json={"body": "Ich war *auch* dabei."})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["status"] == "visible" and body["author"] == "Rosa Vertraut"
    assert body["html"] == "<p>Ich war <em>auch</em> dabei.</p>\n"
    assert body["licence"] == "CC-BY-SA-4.0" and body["thread_id"] == body["id"]
    assert made.headers["Location"].endswith(f"/stories/{sid}#reply-{body['id']}")
    answer = client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["narrator"]),
                         json={"body": "Danke!", "parent_id": body["id"]}).get_json()
    assert answer["parent_id"] == body["id"] and answer["thread_id"] == body["id"]
    pending = client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["newbie"]),
                          json={"body": "Neu hier"}).get_json()
    assert pending["status"] == "pending" and pending["held_reason"] == "new_member"

    listed = client.get(f"/api/v1/stories/{sid}/replies")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.get_json()["replies"]] == [body["id"], answer["id"]]
    assert listed.get_json()["reactions"] == {"thanks": 0, "remember": 0}
    own = client.get(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["newbie"])).get_json()
    assert pending["id"] in [r["id"] for r in own["replies"]]

    edited = client.patch(f"/api/v1/replies/{body['id']}", headers=_bearer(p["trusted"]),
                          json={"body": "Ich war dabei.", "version": body["version"]})
    assert edited.status_code == 200 and edited.get_json()["version"] == body["version"] + 1
    stale = client.patch(f"/api/v1/replies/{body['id']}", headers=_bearer(p["trusted"]),
                         json={"body": "Alt", "version": body["version"]})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["current"]["body"] == "Ich war dabei."
    stale_delete = client.delete(f"/api/v1/replies/{body['id']}?version={body['version']}",
                                 headers=_bearer(p["trusted"]))
    assert stale_delete.status_code == 409
    gone = client.delete(f"/api/v1/replies/{body['id']}", headers=_bearer(p["trusted"]))
    assert gone.status_code == 204
    assert client.delete(f"/api/v1/replies/{body['id']}",
                         headers=_bearer(p["trusted"])).status_code == 404


def test_anonymous_cannot_reply_or_react_and_nothing_is_stored(client, people):
    sid = people["story"].id
    assert client.post(f"/api/v1/stories/{sid}/replies",
                       json={"body": "Anonym"}).status_code == 401
    assert client.put(f"/api/v1/stories/{sid}/reactions/thanks").status_code == 401
    assert client.get(f"/api/v1/stories/{sid}/reactions").status_code == 401
    # roles first: the body is not looked at
    assert client.post(f"/api/v1/stories/{sid}/replies", json={"nope": 1}).status_code == 401
    assert _replies() == 0


def test_residents_cannot_mark_a_reply_official(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Frage an die Stadt")
    for user in (p["trusted"], p["narrator"]):
        resp = client.put(f"/api/v1/replies/{reply.id}/official", headers=_bearer(user))
        assert resp.status_code == 403
        resp = client.post(f"/api/v1/stories/{p['story'].id}/replies", headers=_bearer(user),
                           json={"body": "Amtlich", "official": True})
        assert resp.status_code == 403
    assert not reply.official
    marked = client.put(f"/api/v1/replies/{reply.id}/official", headers=_bearer(p["curator"]))
    assert marked.status_code == 200
    assert marked.get_json()["official"] and marked.get_json()["author"] == "Winterthur"
    city = client.post(f"/api/v1/stories/{p['story'].id}/replies",
                       headers=_bearer(p["curator"]),
                       json={"body": "Wir kümmern uns.", "official": True,
                             "parent_id": reply.id})
    assert city.status_code == 201 and city.get_json()["author"] == "Winterthur"


@pytest.mark.parametrize(("payload", "field"), [
    ({"body": ""}, "body"),
    ({"body": "x" * 5001}, "body"),
    ({"body": "<script>alert(1)</script>"}, "body"),
    ({"body": "[x](javascript:alert(1))"}, "body"),
    ({"body": "ok", "parent_id": "abc"}, "parent_id"),
    ({"body": "ok", "parent_id": 2**40}, "parent_id"),
    ({"body": "ok", "extra": 1}, "extra"),
    ({}, "body"),
])
def test_bad_input_is_422_naming_the_field_and_nothing_is_stored(client, people, payload,
                                                                 field):
    resp = client.post(f"/api/v1/stories/{people['story'].id}/replies",
                       headers=_bearer(people["trusted"]), json=payload)
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["field"] == field or field in error.get("fields", {})
    assert error["message"]
    assert _replies() == 0


def test_replies_to_hidden_withdrawn_or_closed_stories_are_refused(client, people):
    p = people
    sid = p["story"].id
    replies.close_replies(p["narrator"], sid, True)
    closed = client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["trusted"]),
                         json={"body": "Zu"})
    assert closed.status_code == 403 and closed.get_json()["error"]["code"] == "replies_closed"
    from app.services import stories

    stories.withdraw_story(p["narrator"], sid)
    assert client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["trusted"]),
                       json={"body": "Weg"}).status_code == 404
    assert client.get(f"/api/v1/stories/{sid}/replies").status_code == 404
    assert client.put(f"/api/v1/stories/{sid}/reactions/thanks",
                      headers=_bearer(p["trusted"])).status_code == 404
    assert _replies() == 0


def test_someone_elses_reply_cannot_be_changed_or_removed(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Meins")
    for user in (p["narrator"], p["curator"]):
        assert client.patch(f"/api/v1/replies/{reply.id}", headers=_bearer(user),
                            json={"body": "Fremd", "version": reply.version}
                            ).status_code == 403
        assert client.delete(f"/api/v1/replies/{reply.id}",
                             headers=_bearer(user)).status_code == 403
    assert reply.body == "Meins" and reply.status == "visible"


def test_reactions_over_the_api(client, people):
    p = people
    sid = p["story"].id
    url = f"/api/v1/stories/{sid}/reactions"
    first = client.put(f"{url}/thanks", headers=_bearer(p["trusted"]))
    assert first.status_code == 200
    assert first.get_json() == {"story_id": sid, "reactions": {"thanks": 1, "remember": 0},
                                "mine": ["thanks"]}
    again = client.put(f"{url}/thanks", headers=_bearer(p["trusted"]))
    assert again.get_json()["reactions"]["thanks"] == 1
    client.put(f"{url}/remember", headers=_bearer(p["newbie"]))
    assert client.put(f"{url}/downvote", headers=_bearer(p["trusted"])).status_code == 404
    assert client.put(f"{url}/thanks", headers=_bearer(p["trusted"]),
                      json={"x": 1}).status_code == 422
    assert client.get(url, headers=_bearer(p["trusted"])).status_code == 403
    names = client.get(url, headers=_bearer(p["narrator"]))
    assert names.status_code == 200
    assert names.get_json()["names"] == {"thanks": ["Rosa Vertraut"], "remember": ["Nina Neu"]}
    undone = client.delete(f"{url}/thanks", headers=_bearer(p["trusted"]))
    assert undone.get_json()["reactions"] == {"thanks": 0, "remember": 1}
    assert undone.get_json()["mine"] == []
    assert db.session.scalar(select(func.count()).select_from(Reaction)) == 1


def test_the_documents_examples_are_accepted_in_order(client, people):
    p = people
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    sid = p["story"].id

    def example(path, method):
        return paths[path][method]["requestBody"]["content"]["application/json"]["example"]

    made = client.post(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["trusted"]),
                       json=example("/api/v1/stories/{story_id}/replies", "post"))
    assert made.status_code == 201, made.get_json()
    reply = made.get_json()
    body = example("/api/v1/replies/{reply_id}", "patch") | {"version": reply["version"]}
    edited = client.patch(f"/api/v1/replies/{reply['id']}", headers=_bearer(p["trusted"]),
                          json=body)
    assert edited.status_code == 200, edited.get_json()
    kind = next(prm for prm in paths["/api/v1/stories/{story_id}/reactions/{kind}"]["put"][
        "parameters"] if prm["name"] == "kind")["example"]
    assert client.put(f"/api/v1/stories/{sid}/reactions/{kind}",
                      headers=_bearer(p["trusted"])).status_code == 200
    for path in ("/api/v1/stories/{story_id}/replies", "/api/v1/replies/{reply_id}",
                 "/api/v1/stories/{story_id}/reactions/{kind}",
                 "/api/v1/replies/{reply_id}/official"):
        assert path in paths


ROLES = ("anonymous", "resident", "curator", "admin")
OURS = ("/api/v1/stories/{story_id}/replies", "/api/v1/replies/",
        "/api/v1/stories/{story_id}/reactions")


@pytest.mark.parametrize("role", ROLES)
def test_schemathesis_drives_the_conversation_api_with_every_role(app, people, role):
    headers = {"Accept-Encoding": "identity"}
    if role != "anonymous":
        user = create_user(f"{role}-talk@example.org", role=role)
        headers["Authorization"] = f"Bearer {create_api_token(user, 'fuzz')}"
    # Replies to answer and react to (generated ids rarely hit them; the examples do).
    replies.post_reply(people["trusted"], people["story"].id, "Zum Antworten")
    db.session.commit()
    api = schemathesis.openapi.from_wsgi("/api/openapi.json", per_request_g(app))
    api.config.generation.update(allow_x00=True)
    operations = [r.ok() for r in api.get_all_operations()]
    ours = [op for op in operations if op.path.startswith(OURS)]
    assert len(ours) >= 8

    for operation in ours:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(excluded_checks=[positive_data_acceptance], headers=headers)

        check()


# --- the story page -------------------------------------------------------------------------


def test_the_story_page_shows_the_thread_reactions_and_the_form(client, people):
    p = people
    sid = p["story"].id
    first = replies.post_reply(p["trusted"], sid, "Ich war *auch* dabei.")
    replies.post_reply(p["curator"], sid, "Danke für die Erinnerung.", official=True,
                       parent_id=first.id)
    anonymous = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert "Ich war <em>auch</em> dabei." in anonymous
    assert "Winterthur" in anonymous and 'class="answers"' in anonymous
    assert 'name="body"' not in anonymous and "/login" in anonymous
    login(client, p["newbie"].email)
    page = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert 'id="reply-form"' in page and "CC BY-SA 4.0" in page
    sent = client.post(f"/stories/{sid}/replies", data={"body": "Mein erster Beitrag"})
    newest = db.session.scalar(select(func.max(Reply.id)))
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"#reply-{newest}")
    after = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert "Mein erster Beitrag" in after
    assert "Only you see this reply until a curator has looked at it." in after
    client.post(f"/stories/{sid}/reactions/thanks", data={})
    assert "1 person thanked the narrator" in client.get(f"/stories/{sid}").get_data(
        as_text=True)


def test_a_refused_reply_is_shown_again_with_its_text_and_message(client, people):
    login(client, people["trusted"].email)
    sid = people["story"].id
    resp = client.post(f"/stories/{sid}/replies",
                       data={"body": "Siehe <script>alert(1)</script>"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "HTML is not accepted" in page
    assert "Siehe &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert _replies() == 0


def test_anonymous_pages_redirect_to_log_in(client, people):
    sid = people["story"].id
    for url in (f"/stories/{sid}/replies", f"/stories/{sid}/reactions/thanks"):
        resp = client.post(url, data={"body": "Anonym"})
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _replies() == 0


def test_the_narrator_sees_names_closes_replies_and_hides_one(client, people):
    p = people
    sid = p["story"].id
    reply = replies.post_reply(p["trusted"], sid, "Unfreundlich")
    from app.services.conversation import reactions

    reactions.react(p["trusted"], sid, "thanks")
    login(client, p["narrator"].email)
    page = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert "Thanked you: Rosa Vertraut" in page
    assert client.post(f"/replies/{reply.id}/hide").status_code == 303
    assert "Unfreundlich" not in client.get(f"/stories/{sid}").get_data(as_text=True)
    assert client.post(f"/stories/{sid}/replies/closed", data={"closed": "1"}).status_code == 303
    assert "The narrator closed replies on this story." in client.get(
        f"/stories/{sid}").get_data(as_text=True)


def test_a_reply_hidden_by_the_narrator_reads_as_pending_for_its_author(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Unfreundlich")
    replies.hide_by_narrator(p["narrator"], reply.id)
    sid = p["story"].id
    assert client.get(f"/api/v1/stories/{sid}/replies").get_json()["replies"] == []
    own = client.get(f"/api/v1/stories/{sid}/replies", headers=_bearer(p["trusted"]))
    assert [(r["id"], r["status"]) for r in own.get_json()["replies"]] == [(reply.id, "pending")]


def test_the_author_changes_a_reply_on_its_page_and_a_stale_form_shows_the_conflict(
        client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Erste Fassung")
    old = reply.version
    login(client, p["trusted"].email)
    form = client.get(f"/replies/{reply.id}/edit")
    assert form.status_code == 200 and "Erste Fassung" in form.get_data(as_text=True)
    done = client.post(f"/replies/{reply.id}/edit", data={"body": "Zweite", "version": old})
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"#reply-{reply.id}")
    stale = client.post(f"/replies/{reply.id}/edit", data={"body": "Dritte", "version": old})
    assert stale.status_code == 409
    assert "changed in the meantime" in stale.get_data(as_text=True)
    assert f'name="version" value="{old + 1}"' in stale.get_data(as_text=True)
    assert db.session.get(Reply, reply.id).body == "Zweite"
    assert client.post(f"/replies/{reply.id}/remove").status_code == 303
    assert db.session.get(Reply, reply.id).status == "removed"
    assert client.get(f"/replies/{reply.id}/edit").status_code == 404


def test_someone_elses_reply_page_is_403(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Meins")
    login(client, p["newbie"].email)
    assert client.get(f"/replies/{reply.id}/edit").status_code == 403
    assert client.post(f"/replies/{reply.id}/edit",
                       data={"body": "Fremd", "version": reply.version}).status_code == 403
    assert client.post(f"/replies/{reply.id}/remove").status_code == 403
    assert client.post(f"/replies/{reply.id}/official", data={"official": "1"}).status_code == 403
    assert client.post(f"/replies/{reply.id}/hide").status_code == 403
    assert client.post(f"/replies/{reply.id}/story").status_code == 403
    assert client.post(f"/stories/{p['story'].id}/replies/closed",
                       data={"closed": "1"}).status_code == 403
    assert client.post(f"/stories/{p['story'].id}/replies",
                       data={"body": "Amtlich", "official": "true"}).status_code == 403
    fresh = db.session.get(Reply, reply.id)
    assert (fresh.body, fresh.status, fresh.official) == ("Meins", "visible", False)


def test_a_curator_answers_as_the_city_and_makes_a_reply_a_story_on_the_page(client, people):
    p = people
    sid = p["story"].id
    reply = replies.post_reply(p["trusted"], sid, "Ich erinnere mich an das Hochwasser 1978.")
    login(client, p["curator"].email)
    page = client.get(f"/stories/{sid}/reply?to={reply.id}").get_data(as_text=True)
    assert "You answer Rosa Vertraut:" in page and 'name="official"' in page
    sent = client.post(f"/stories/{sid}/replies", data={
        "body": "Danke, wir prüfen das.", "parent_id": str(reply.id), "official": "true"})
    assert sent.status_code == 303
    city = db.session.scalar(select(Reply).where(Reply.official))
    assert city.parent_id == reply.id and city.official_by_id == p["curator"].id
    made = client.post(f"/replies/{reply.id}/story", data={"title": "Hochwasser 1978"})
    assert made.status_code == 303 and "/stories/" in made.headers["Location"]
    from app.models import Story

    story = db.session.scalar(select(Story).where(Story.title == "Hochwasser 1978"))
    assert story.author_id == p["trusted"].id and story.created_at == reply.created_at
    assert story.status == "pending"


def test_muted_people_see_why_and_get_no_form(client, people):
    from app.models.conversation import ConversationMute

    p = people
    db.session.add(ConversationMute(user_id=p["trusted"].id, reason="spam"))
    db.session.flush()
    login(client, p["trusted"].email)
    page = client.get(f"/stories/{p['story'].id}").get_data(as_text=True)
    assert "muted you in the conversation" in page and 'id="reply-form"' not in page
    refused = client.post(f"/stories/{p['story'].id}/replies", data={"body": "Trotzdem"})
    assert refused.status_code == 403
    assert _replies() == 0


def test_the_narrator_closes_replies_and_hides_one_over_the_api(client, people):
    p = people
    sid = p["story"].id
    reply = replies.post_reply(p["trusted"], sid, "Unfreundlich")
    for user in (p["trusted"], p["newbie"]):
        assert client.put(f"/api/v1/stories/{sid}/replies/closed",
                          headers=_bearer(user)).status_code == 403
        assert client.post(f"/api/v1/replies/{reply.id}/hide",
                           headers=_bearer(user)).status_code == 403
    assert client.put(f"/api/v1/stories/{sid}/replies/closed").status_code == 401
    closed = client.put(f"/api/v1/stories/{sid}/replies/closed", headers=_bearer(p["narrator"]))
    assert closed.status_code == 200 and closed.get_json() == {"story_id": sid,
                                                               "replies_closed": True}
    assert client.get(f"/api/v1/stories/{sid}/replies").get_json()["replies_closed"] is True
    hidden = client.post(f"/api/v1/replies/{reply.id}/hide", headers=_bearer(p["narrator"]))
    assert hidden.status_code == 200 and hidden.get_json()["status"] == "pending"
    assert client.get(f"/api/v1/stories/{sid}/replies").get_json()["replies"] == []
    opened = client.delete(f"/api/v1/stories/{sid}/replies/closed",
                           headers=_bearer(p["curator"]))
    assert opened.get_json()["replies_closed"] is False


def test_a_reply_becomes_a_story_over_the_api(client, people):
    p = people
    reply = replies.post_reply(p["trusted"], p["story"].id, "Der Winter 1965 war kalt.")
    assert client.post(f"/api/v1/replies/{reply.id}/story",
                       headers=_bearer(p["narrator"])).status_code == 403
    assert client.post(f"/api/v1/replies/{reply.id}/story", headers=_bearer(p["trusted"]),
                       json={"title": "x" * 141}).status_code == 422
    made = client.post(f"/api/v1/replies/{reply.id}/story", headers=_bearer(p["trusted"]),
                       json={"title": "Winter 1965"})
    assert made.status_code == 201, made.get_json()
    from app.models import Story

    story = db.session.get(Story, made.get_json()["story_id"])
    assert (story.title, story.author_id, story.status) == ("Winter 1965", p["trusted"].id,
                                                            "pending")
    assert client.post(f"/api/v1/replies/{reply.id}/story",
                       headers=_bearer(p["trusted"])).status_code == 409


def test_only_shown_replies_reach_the_page_and_the_api(client, people):
    """Pending, hidden, rejected, removed and narrator-hidden replies are on no public
    surface; a shown reply is on both."""
    p = people
    sid = p["story"].id
    shown = replies.post_reply(p["trusted"], sid, "SHOWN-REPLY")
    texts = {}
    for status in ("hidden", "rejected", "removed", "pending"):
        r = replies.post_reply(p["trusted"], sid, f"{status.upper()}-REPLY")
        r.status = status
        texts[status] = r.body
    by_narrator = replies.post_reply(p["trusted"], sid, "NARRATOR-HIDDEN-REPLY")
    replies.hide_by_narrator(p["narrator"], by_narrator.id)
    db.session.flush()
    page = client.get(f"/stories/{sid}").get_data(as_text=True)
    api = client.get(f"/api/v1/stories/{sid}/replies").get_data(as_text=True)
    for surface in (page, api):
        assert shown.body in surface
        for body in [*texts.values(), by_narrator.body]:
            assert body not in surface


def test_a_reply_made_a_story_links_it_from_the_thread_once_it_is_public(client, people):
    p = people
    sid = p["story"].id
    reply = replies.post_reply(p["trusted"], sid, "Der Winter 1965 war kalt.")
    answer = replies.post_reply(p["narrator"], sid, "Ja!", parent_id=reply.id)
    made = replies.make_story(p["trusted"], reply.id, title="Winter 1965")
    listed = client.get(f"/api/v1/stories/{sid}/replies").get_json()["replies"]
    assert [r["id"] for r in listed] == [answer.id]
    assert f"/stories/{made.id}" not in client.get(f"/stories/{sid}").get_data(as_text=True)
    from app.services import stories

    stories.review_story(p["curator"], made.id, "approve")
    db.session.flush()
    listed = client.get(f"/api/v1/stories/{sid}/replies").get_json()["replies"]
    assert [(r["id"], r["status"], r["became_story_id"], r["thread_id"]) for r in listed] == [
        (reply.id, "removed", made.id, reply.id), (answer.id, "visible", None, reply.id)]
    page = client.get(f"/stories/{sid}").get_data(as_text=True)
    assert f'href="/stories/{made.id}"' in page
