""""Is it one of these?": a contribution whose position is near public places is answered with
them (the page without JavaScript, the live hint, the API's 409 as documented), each with a
way to add the story there; a new place is made only when the contributor says it is a
different place. A contribution queued offline and sent later with its Idempotency-Key is
refused in the same way, keeps its key for the answer, and is never created twice."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select

from app.models import IdempotencyKey, Place
from app.models.statuses import PlaceStatus
from app.services import contribute, stories
from app.services.stories import StoryInput
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("media_root")

AT = (8.7312, 47.5011)  # lon, lat: away from the demo places
EAST_30_M = 0.0004  # degrees of longitude, about 30 m here


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})


def _place(db_session, title, lon, lat, status=PlaceStatus.APPROVED) -> Place:
    place = Place(slug=title.lower().replace(" ", "-"), title=title, status=status,
                  geom=from_shape(Point(lon, lat), srid=4326))
    db_session.add(place)
    db_session.flush()
    stories.mirror_lead(place)
    return place


@pytest.fixture
def nearby(db_session):
    """A public place at AT, another 30 m east, a pending one and one 200 m away."""
    made = {
        "kiosk": _place(db_session, "Kiosk am Bach", *AT),
        "brunnen": _place(db_session, "Alter Brunnen", AT[0] + EAST_30_M, AT[1]),
        "pending": _place(db_session, "Noch nicht", AT[0], AT[1] + 0.0001,
                          status=PlaceStatus.PENDING),
        "far": _place(db_session, "Weit weg", AT[0] + 0.0027, AT[1]),
    }
    db_session.commit()
    return made


def form(**overrides):
    data = {"title": "Der Brunnen", "body": "Hier tranken wir *Wasser*.",
            "lon": str(AT[0] + EAST_30_M), "lat": str(AT[1]), "themes": "", "era": "1960s",
            "language": "de", "licence_consent": "1", "credit_name": "Rosa"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def api_post(client, data, key=None):
    token = client.get("/contribute/csrf").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token, **({"Idempotency-Key": key} if key else {})}
    return client.post("/api/v1/places", data=data, headers=headers,
                       content_type="multipart/form-data")


def place_count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Place))


def test_places_within_50_m_are_offered_like_titles_first_then_by_distance(
        app, nearby, resident, curator, db_session):
    kiosk, brunnen = nearby["kiosk"], nearby["brunnen"]
    s = stories.add_story(resident, kiosk.id, StoryInput(
        title="Glace", body="Für 20 Rappen.", licence_consent=True))
    stories.review_story(curator, s.id, "approve")
    # Nearest first without a title; a place named like the title comes first.
    found = contribute.nearby_places(AT[0], AT[1])
    assert [c["id"] for c in found] == [kiosk.id, brunnen.id]
    assert found[0]["distance_m"] == 0 and 25 <= found[1]["distance_m"] <= 35
    assert found[0]["story_count"] == 2 and found[1]["story_count"] == 1
    assert not any(c["similar_title"] for c in found)
    titled = contribute.nearby_places(AT[0], AT[1], "alter brunnen")
    assert [c["id"] for c in titled] == [brunnen.id, kiosk.id]
    assert titled[0]["similar_title"] is True
    # The pending and the far place are never offered.
    assert nearby["pending"].id not in {c["id"] for c in found}
    assert contribute.nearby_places(AT[0] + 0.0027, AT[1]) == [
        {"id": nearby["far"].id, "title": "Weit weg", "distance_m": 0, "similar_title": False,
         "story_count": 1}]


def test_at_most_five_are_offered(db_session):
    for i in range(7):
        _place(db_session, f"Ort {i}", AT[0] + i * 0.00001, AT[1] - 0.003)
    assert len(contribute.nearby_places(AT[0], AT[1] - 0.003)) == contribute.MAX_NEARBY


def test_the_live_hint_offers_the_places_as_soon_as_a_position_is_chosen(
        client, nearby, resident):
    login(client, resident.email)
    answer = client.get("/contribute/similar", query_string={"lon": AT[0], "lat": AT[1]})
    candidates = answer.get_json()["candidates"]
    assert [c["id"] for c in candidates] == [nearby["kiosk"].id, nearby["brunnen"].id]
    kiosk = nearby["kiosk"].id
    assert candidates[0]["url"] == f"/places/{kiosk}"
    assert candidates[0]["add_story_url"] == f"/places/{kiosk}/stories/new"
    # Without a position (or with one that is no number) there is nothing to offer.
    for args in ({"title": "Kiosk"}, {"lon": "x", "lat": "47.5"}, {"lon": "8.7"}):
        assert client.get("/contribute/similar", query_string=args).get_json() == {
            "candidates": []}
    assert client.get("/contribute/similar", query_string={
        "lon": AT[0] + 0.01, "lat": AT[1]}).get_json() == {"candidates": []}


def test_the_hint_is_for_signed_in_contributors(client, nearby):
    resp = client.get("/contribute/similar", query_string={"lon": AT[0], "lat": AT[1]})
    assert resp.status_code in (302, 401)


def test_without_javascript_the_form_answers_with_the_places_and_stores_nothing(
        client, nearby, resident, db_session):
    login(client, resident.email)
    before = place_count(db_session)
    resp = client.post("/contribute", data=form(), content_type="multipart/form-data")
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Is it one of these? Add your story there" in html
    brunnen = nearby["brunnen"].id
    button = html.split(f'<li data-place="{brunnen}">')[1].split("</li>")[0]
    assert f'formaction="/places/{brunnen}/stories/new"' in button
    assert 'formenctype="application/x-www-form-urlencoded"' in button
    assert "Add my story to Alter Brunnen" in button
    assert "It is a different place" in html
    assert 'value="Der Brunnen"' in html and "Hier tranken wir *Wasser*." in html  # kept
    assert place_count(db_session) == before
    # Saying it is a different place makes the new place.
    made = client.post("/contribute", data=form(not_duplicate="1"),
                       content_type="multipart/form-data")
    assert made.status_code == 303
    assert place_count(db_session) == before + 1


def test_the_api_s_duplicate_answer_stays_as_documented(client, nearby, resident, db_session):
    login(client, resident.email)
    resp = api_post(client, form())
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "possible_duplicate" and error["field"] == "title"
    first = error["candidates"][0]
    assert {"id", "title", "distance_m"} <= set(first)
    assert first["id"] == nearby["brunnen"].id and first["story_count"] == 1
    assert api_post(client, form(not_duplicate="1")).status_code == 201


def test_a_queued_contribution_sent_later_is_asked_and_keeps_its_key(
        client, nearby, resident, db_session):
    """The offline queue sends with its Idempotency-Key: the 409 stores nothing and claims no
    key, so the same record sent again with "it is a different place" is created once, and
    a further retry answers with that place."""
    login(client, resident.email)
    key = "queued-on-the-phone-1"
    asked = api_post(client, form(), key=key)
    assert asked.status_code == 409 and asked.get_json()["error"]["candidates"]
    assert db_session.get(IdempotencyKey, (resident.id, key)) is None
    before = place_count(db_session)
    created = api_post(client, form(not_duplicate="1"), key=key)
    assert created.status_code == 201
    again = api_post(client, form(not_duplicate="1"), key=key)
    assert again.status_code == 200 and again.get_json()["id"] == created.get_json()["id"]
    assert place_count(db_session) == before + 1


def test_far_from_any_place_nothing_is_asked(client, nearby, resident):
    login(client, resident.email)
    resp = api_post(client, form(lon=str(AT[0] + 0.01)))
    assert resp.status_code == 201


def test_add_my_story_there_takes_the_typed_text_to_the_place_s_form(
        client, nearby, resident, db_session):
    """The button posts the contribution form (urlencoded, without files) to the place's
    add-a-story form, which shows the text to be sent from there; nothing is stored."""
    from app.models import Story

    login(client, resident.email)
    brunnen = nearby["brunnen"]
    before = db_session.scalar(select(func.count()).select_from(Story))
    resp = client.post(f"/places/{brunnen.id}/stories/new",
                       data={**form(), "photo": "brunnen.jpg", "themes": "x",
                             "idempotency_key": "the-contribution-s-key"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert 'value="Der Brunnen"' in html and "Hier tranken wir *Wasser*." in html
    assert 'value="1960s"' in html
    assert "the-contribution-s-key" not in html  # the story form has a key of its own
    assert 'name="licence_consent" value="1" checked' not in html  # consent is given anew
    assert db_session.scalar(select(func.count()).select_from(Story)) == before
    # Only a public place takes stories; and only for someone signed in.
    assert client.post(f"/places/{nearby['pending'].id}/stories/new",
                       data=form()).status_code == 404
    client.post("/logout")
    assert client.post(f"/places/{brunnen.id}/stories/new", data=form()).status_code in (302,
                                                                                      401)
