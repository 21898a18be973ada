"""Story pages: "Add your memory of this place" (place chosen, refusals next to the field,
nothing stored), the story's own page with Open Graph tags, and the narrator's withdrawal."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Place, Story
from app.services import stories
from tests.conftest import create_user, login


def _waaghaus(db_session) -> Place:
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


FORM = {"title": "Käse wiegen", "body": "Mein Grossvater wog hier Käse.", "kind": "memory",
        "era": "ca. 1955", "language": "de", "licence": "CC-BY-SA-4.0", "licence_consent": "1"}


def test_add_a_memory_from_the_place_page_then_withdraw_it(demo, db_session, client,
                                                           resident, curator):
    place = _waaghaus(db_session)
    page = client.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(True)
    assert f'href="/places/{place.id}/stories/new"' in page
    assert "Add your memory of this place" in page
    assert client.get(f"/places/{place.id}/stories/new").status_code in (302, 401)
    login(client, resident.email)
    # signed in, the page speaks the account's language (the demo resident's: German)
    form = client.get(f"/places/{place.id}/stories/new")
    assert form.status_code == 200 and "Ihre Erinnerung an Waaghaus" in form.get_data(True)
    sent = client.post(f"/places/{place.id}/stories", data=FORM)
    assert sent.status_code == 303 and "/stories/" in sent.headers["Location"]
    story = db_session.scalar(select(Story).where(Story.author_id == resident.id))
    assert (story.place_id, story.status, story.era_precision) == (place.id, "pending", "circa")
    mine = client.get(f"/stories/{story.id}")
    assert mine.status_code == 200 and "Bis zur Freigabe" in mine.get_data(True)
    # not public yet: others get a 404
    client.post("/logout")
    assert client.get(f"/stories/{story.id}").status_code == 404
    stories.review_story(curator, story.id, "approve")
    db_session.commit()
    html = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert '<meta property="og:title" content="Käse wiegen · Waaghaus">' in html
    assert f'<meta property="og:url" content="http://localhost/stories/{story.id}">' in html
    assert 'data-read-aloud="#story-text" data-lang="de"' in html
    assert f'href="/stories/{story.id}"' in client.get(f"/places/{place.id}").get_data(True)
    other = create_user("other@example.org", name="Other")
    db_session.commit()
    login(client, other.email)
    assert client.post(f"/stories/{story.id}/withdraw").status_code == 403
    client.post("/logout")
    login(client, resident.email)
    assert client.post(f"/stories/{story.id}/withdraw").status_code == 303
    db_session.expire_all()
    assert db_session.get(Story, story.id).status == "withdrawn"
    client.post("/logout")
    assert client.get(f"/stories/{story.id}").status_code == 404
    assert "Mein Grossvater" not in client.get(f"/places/{place.id}").get_data(True)


def test_a_refused_story_rerenders_the_form_naming_the_field_and_stores_nothing(
        demo, db_session, client, resident):
    place = _waaghaus(db_session)
    resident.is_helper = True  # who may enter a story for someone else, with their consent
    db_session.commit()
    login(client, resident.email)
    before = db_session.scalar(select(func.count(Story.id)))
    for changes, field in (({"era": "2999"}, "era"), ({"language": "xx"}, "language"),
                           ({"title": ""}, "title"),
                           ({"author_name": "Frieda"}, "consent_method"),
                           ({"licence_consent": ""}, "licence_consent")):
        resp = client.post(f"/places/{place.id}/stories", data=FORM | changes,
                           headers={"Accept-Language": "en"})
        assert resp.status_code == 422, (changes, resp.status_code)
        assert f'id="{field}-error"' in resp.get_data(as_text=True), changes
    assert db_session.scalar(select(func.count(Story.id))) == before
    assert client.post("/places/999999/stories", data=FORM).status_code == 404
