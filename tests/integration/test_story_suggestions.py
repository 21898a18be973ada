"""Suggested edits of a story: who may suggest and decide, accepting through the story's own
edit rules (stale → 409 and the suggestion stays open), declining, taking back, a withdrawn
story closing them, hostile and huge text, the hourly limit, and the letters in each
recipient's language; the API and the pages (PRG)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Place, StoryRevision, StorySuggestion
from app.services import stories
from app.services import story_suggestions as service
from app.services.accounts import create_api_token
from app.services.mail import sent_messages
from app.services.stories import StoryInput
from app.services.story_suggestions import SuggestionInput, TooManySuggestions
from tests.conftest import create_user, login


@pytest.fixture(autouse=True)
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


def _public_story(author, curator, **kw):
    place = db.session.scalar(select(Place).where(Place.title == "Waaghaus"))
    values = {"title": "Käse wiegen", "body": "Mein Grossvater wog hier Käse.",
              "era": "1950s", "language": "de", "licence_consent": True} | kw
    story = stories.add_story(author, place.id, StoryInput(**values))
    stories.review_story(curator, story.id, "approve")
    # Whatever the approval owes anyone is sent now: the outbox holds only what follows.
    db.session.commit()
    sent_messages().clear()
    return story


@pytest.fixture
def people(db_session):
    author = create_user("author@example.org", name="Anna Autorin")
    reader = create_user("reader@example.org", name="Rosa Leserin")
    other = create_user("other@example.org", name="Otto Dritter")
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    return author, reader, other, curator


def _bearer(user) -> dict:
    return {"Authorization": f"Bearer {create_api_token(user, 'test')}"}


def test_a_reader_suggests_and_the_author_accepts_it_as_the_next_revision(
        demo, db_session, people, outbox):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    outbox.clear()
    made = service.suggest(reader, story.id, SuggestionInput(
        body="Mein Grossvater wog hier Käse und Butter.", era="1955",
        title=story.title, message="Ich war dabei."), version=story.version)
    db_session.commit()
    # Only what changes is kept; the title was left as it is.
    assert made.changes == {"body": "Mein Grossvater wog hier Käse und Butter.", "era": "1955"}
    assert (made.status, made.base_version) == ("pending", story.version)
    [mail] = outbox
    assert mail["To"] == author.email and "Käse wiegen" in mail["Subject"]
    assert mail["Subject"] == "Änderungsvorschlag zu «Käse wiegen»"
    assert "Rosa Leserin" in mail.get_content() and "Ich war dabei." in mail.get_content()
    assert f"/stories/{story.id}" in mail.get_content()
    outbox.clear()

    revisions_before = db_session.scalar(select(func.count(StoryRevision.id)).where(
        StoryRevision.story_id == story.id))
    service.accept(author, made.id, message="Danke!")
    db_session.commit()
    assert story.body.endswith("Käse und Butter.") and story.era_start == 1955
    # An author's change of an approved story waits for a curator, as an author's edit does.
    assert story.status == "pending"
    assert made.status == "accepted" and made.decided_by_id == author.id
    revs = list(db_session.scalars(select(StoryRevision).where(
        StoryRevision.story_id == story.id).order_by(StoryRevision.number)))
    assert len(revs) == revisions_before + 1
    assert revs[-1].author_id == author.id and "Rosa Leserin" in revs[-1].message
    assert revs[-1].snapshot["body"] == story.body
    [told] = outbox
    assert told["To"] == reader.email and "Danke!" in told.get_content()


def test_a_curator_accepting_keeps_the_story_approved(demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    made = service.suggest(reader, story.id, SuggestionInput(title="Käse und Butter wiegen"),
                           version=story.version)
    service.accept(curator, made.id)
    assert (story.title, story.status) == ("Käse und Butter wiegen", "approved")


def test_a_stale_suggestion_answers_409_and_stays_open(demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    made = service.suggest(reader, story.id, SuggestionInput(body="Anders."),
                           version=story.version)
    stories.edit_story(curator, story.id, StoryInput(title=story.title, body="Neu erzählt.",
                                                     era="1950s", language="de"),
                       version=story.version)
    with pytest.raises(Conflict) as refused:
        service.accept(author, made.id)
    assert refused.value.code == "stale_suggestion"
    assert refused.value.current["version"] == story.version
    assert made.status == "pending" and story.body == "Neu erzählt."
    assert service.is_stale(made)
    # A suggestion from a version the reader no longer sees is refused as well.
    with pytest.raises(Conflict):
        service.suggest(reader, story.id, SuggestionInput(body="Noch anders."),
                        version=made.base_version)


def test_only_the_author_helper_and_curators_decide(demo, db_session, people):
    author, reader, other, curator = people
    story = _public_story(author, curator)
    made = service.suggest(reader, story.id, SuggestionInput(body="Anders."),
                           version=story.version)
    for who in (reader, other):
        with pytest.raises(Forbidden):
            service.accept(who, made.id)
        with pytest.raises(Forbidden):
            service.decline(who, made.id)
    with pytest.raises(Forbidden):
        service.take_back(other, made.id)
    # Those who edit do not suggest.
    for who in (author, curator):
        with pytest.raises(Forbidden) as refused:
            service.suggest(who, story.id, SuggestionInput(body="X"), version=story.version)
        assert refused.value.code == "edit_instead"
    assert made.status == "pending"


def test_decline_tells_the_suggester_in_their_language(demo, db_session, people, outbox):
    author, _reader, _other, curator = people
    english = create_user("en@example.org", name="Eve English")
    english.locale = "en"
    story = _public_story(author, curator)
    made = service.suggest(english, story.id, SuggestionInput(body="Different."),
                           version=story.version)
    db_session.commit()
    [to_author] = outbox
    # The author reads German (their account's language), whoever suggested.
    assert "Eve English" in to_author.get_content() and "Guten Tag" in to_author.get_content()
    outbox.clear()
    service.decline(author, made.id, message="Das stimmt so nicht.")
    db_session.commit()
    assert made.status == "declined" and made.decision_message == "Das stimmt so nicht."
    assert story.body == "Mein Grossvater wog hier Käse."
    [mail] = outbox
    assert mail["To"] == english.email and "declined" in mail["Subject"]
    assert "Hello Eve English" in mail.get_content()
    with pytest.raises(Conflict):
        service.accept(author, made.id)


def test_the_suggester_takes_theirs_back(demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    first = service.suggest(reader, story.id, SuggestionInput(body="Eins."),
                            version=story.version)
    service.take_back(reader, first.id)
    assert first.status == "closed" and service.open_count(story.id) == 0
    with pytest.raises(Conflict):
        service.take_back(reader, first.id)
    with pytest.raises(Conflict):
        service.accept(author, first.id)


def test_withdrawal_closes_the_open_suggestions(demo, db_session, people):
    author, reader, other, curator = people
    story = _public_story(author, curator)
    second = service.suggest(other, story.id, SuggestionInput(body="Zwei."),
                             version=story.version)
    stories.withdraw_story(author, story.id)
    db_session.refresh(second)
    assert second.status == "closed"
    assert service.open_count(story.id) == 0
    # A withdrawn story takes no new suggestion.
    with pytest.raises(NotFound):
        service.suggest(reader, story.id, SuggestionInput(body="Drei."), version=story.version)


@pytest.mark.parametrize("inp,field", [
    (SuggestionInput(), "body"),
    (SuggestionInput(title="Käse wiegen", body="Mein Grossvater wog hier Käse."), "body"),
    (SuggestionInput(title="x" * 141), "title"),
    (SuggestionInput(body="x" * 20_001), "body"),
    (SuggestionInput(era="2999"), "era"),
    (SuggestionInput(era="long ago"), "era"),
    (SuggestionInput(body="Neu.", message="x" * 2001), "message"),
])
def test_bad_suggestions_are_refused_naming_the_field_and_nothing_stored(
        demo, db_session, people, inp, field):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    with pytest.raises(ValidationError) as refused:
        service.suggest(reader, story.id, inp, version=story.version)
    assert refused.value.field == field
    assert db_session.scalar(select(func.count(StorySuggestion.id))) == 0


def test_the_hourly_limit(app, demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    app.config["SUGGESTIONS_PER_HOUR"] = 2
    try:
        for n in range(2):
            service.suggest(reader, story.id, SuggestionInput(body=f"Fassung {n}."),
                            version=story.version)
        with pytest.raises(TooManySuggestions):
            service.suggest(reader, story.id, SuggestionInput(body="Noch eine."),
                            version=story.version)
    finally:
        app.config.pop("SUGGESTIONS_PER_HOUR")


# --- API ------------------------------------------------------------------------------------


def test_api_round_trip_with_roles_and_versions(client, demo, db_session, people, outbox):
    author, reader, other, curator = people
    story = _public_story(author, curator)
    as_author, as_reader, as_other = _bearer(author), _bearer(reader), _bearer(other)
    db_session.commit()
    url = f"/api/v1/stories/{story.id}/suggestions"
    assert client.post(url, json={"body": "X", "version": story.version}).status_code == 401
    own = client.post(url, headers=as_author, json={"body": "X", "version": story.version})
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "edit_instead"
    # Roles before the body: the author learns nothing of the schema from a 422.
    assert client.post(url, headers=as_author, json={"nonsense": 1}).status_code == 403
    unknown = client.post(url, headers=as_reader, json={"body": "X", "version": story.version,
                                                         "status": "accepted"})
    assert unknown.status_code == 422 and "status" in unknown.get_json()["error"]["message"]
    stale = client.post(url, headers=as_reader, json={"body": "X", "version": 999})
    assert stale.status_code == 409 and stale.get_json()["error"]["current"]["version"]
    huge = client.post(url, headers=as_reader, json={"body": "x" * 20_001,
                                                      "version": story.version})
    assert huge.status_code == 422 and huge.get_json()["error"]["field"] == "body"
    made = client.post(url, headers=as_reader, json={
        "body": "Mein Grossvater wog hier Käse und Brot.", "message": "Brot auch",
        "version": story.version})
    assert made.status_code == 201, made.get_json()
    sid = made.get_json()["id"]
    assert made.get_json()["changes"] == {"body": "Mein Grossvater wog hier Käse und Brot."}

    assert [s["id"] for s in client.get(url, headers=as_author).get_json()["suggestions"]] == [sid]
    assert [s["id"] for s in client.get(url, headers=as_reader).get_json()["suggestions"]] == [sid]
    assert client.get(url, headers=as_other).get_json()["suggestions"] == []

    version = story.version
    accept = f"{url}/{sid}/accept"
    assert client.post(accept, headers=as_other, json={}).status_code == 403
    assert client.post(accept, headers=as_reader, json={"nonsense": 1}).status_code == 403
    assert client.post(f"/api/v1/stories/{story.id + 999}/suggestions/{sid}/accept",
                       headers=as_author, json={}).status_code == 404
    assert client.post(accept, headers=as_author, json={"version": 999}).status_code == 409
    done = client.post(accept, headers=as_author, json={"message": "Danke",
                                                        "version": version})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "accepted"
    assert done.get_json()["story_version"] == version + 1
    again = client.post(f"{url}/{sid}/decline", headers=as_author, json={})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_pending"


def test_api_decline_and_take_back(client, demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    as_author, as_reader = _bearer(author), _bearer(reader)
    db_session.commit()
    url = f"/api/v1/stories/{story.id}/suggestions"
    one = client.post(url, headers=as_reader, json={"era": "1955", "version": story.version})
    two = client.post(url, headers=as_reader, json={"title": "Butter", "version": story.version})
    declined = client.post(f"{url}/{one.get_json()['id']}/decline", headers=as_author,
                           json={"message": "Nein"})
    assert declined.get_json()["status"] == "declined"
    assert client.post(f"{url}/{two.get_json()['id']}/take-back",
                       headers=as_author).status_code == 403
    closed = client.post(f"{url}/{two.get_json()['id']}/take-back", headers=as_reader)
    assert closed.get_json()["status"] == "closed"


def test_openapi_documents_the_suggestion_endpoints(client):
    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/v1/stories/{story_id}/suggestions"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"]["version"] == 3
    assert {"201", "403", "409", "422", "429"} <= set(post["responses"])
    accept = spec["paths"]["/api/v1/stories/{story_id}/suggestions/{suggestion_id}/accept"]
    assert "409" in accept["post"]["responses"]


# --- pages ----------------------------------------------------------------------------------


def test_pages_suggest_list_with_diff_and_accept(client, demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    db_session.commit()
    page = client.get(f"/stories/{story.id}")
    assert f"/stories/{story.id}/suggest" in page.get_data(as_text=True)
    login(client, reader.email)
    form = client.get(f"/stories/{story.id}/suggest")
    assert form.status_code == 200 and "Mein Grossvater wog hier Käse." in form.get_data(True)
    refused = client.post(f"/stories/{story.id}/suggestions", data={
        "title": story.title, "body": story.body, "era": "1950s", "version": story.version})
    assert refused.status_code == 422 and 'role="alert"' in refused.get_data(as_text=True)
    hostile = '<script>alert(1)</script> <img src=x onerror=alert(2)>'
    sent = client.post(f"/stories/{story.id}/suggestions", data={
        "title": story.title, "body": story.body + " Und Brot.", "era": "1950s",
        "message": hostile, "version": story.version, "csrf_token": "the page's"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/stories/{story.id}")
    client.post("/logout")

    login(client, author.email)
    listing = client.get(f"/stories/{story.id}/suggestions").get_data(as_text=True)
    assert "<script>alert(1)" not in listing and "&lt;script&gt;" in listing
    assert "<ins>" in listing and "Brot." in listing
    [made] = db_session.scalars(select(StorySuggestion)).all()
    done = client.post(f"/suggestions/{made.id}/accept", data={
        "message": "", "version": story.version, "csrf_token": "the page's"})
    assert done.status_code == 303
    db_session.refresh(story)
    assert story.body.endswith("Und Brot.")


def test_pages_refuse_others_and_show_the_stale_409(client, demo, db_session, people):
    author, reader, other, curator = people
    story = _public_story(author, curator)
    made = service.suggest(reader, story.id, SuggestionInput(body="Anders."),
                           version=story.version)
    stories.edit_story(author, story.id, StoryInput(title="Neu", body="Neu.", era="1950s",
                                                    language="de"), version=story.version)
    db_session.commit()
    login(client, other.email)
    assert client.post(f"/suggestions/{made.id}/accept", data={}).status_code == 403
    client.post("/logout")
    login(client, author.email)
    stale = client.post(f"/suggestions/{made.id}/accept", data={})
    assert stale.status_code == 409
    assert f'id="suggestion-{made.id}-error"' in stale.get_data(as_text=True)
    db_session.refresh(made)
    assert made.status == "pending"


def test_api_answers_429_past_the_hourly_limit(app, client, demo, db_session, people):
    author, reader, _other, curator = people
    story = _public_story(author, curator)
    as_reader = _bearer(reader)
    db_session.commit()
    url = f"/api/v1/stories/{story.id}/suggestions"
    app.config["SUGGESTIONS_PER_HOUR"] = 1
    try:
        assert client.post(url, headers=as_reader, json={
            "body": "Eins.", "version": story.version}).status_code == 201
        refused = client.post(url, headers=as_reader, json={"body": "Zwei.",
                                                             "version": story.version})
    finally:
        app.config.pop("SUGGESTIONS_PER_HOUR")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_suggestions"
    assert db_session.scalar(select(func.count(StorySuggestion.id))) == 1
