"""Each photo of a contribution has its own licence (from a configurable short list, the
photos' licence as default) and every place that shows a medium shows its own licence and
credit: place page, API, follow mode, my contributions."""

import io
import json
import re

import pytest
from sqlalchemy import func, select

from app.models.statuses import MediaKind, MediaStatus, PlaceStatus
from tests.conftest import login
from tests.integration.test_contribute import form, post
from tests.integration.test_media import files_under
from tests.integration.test_pwa_pages import _jpeg

# Every test here stores media files (the media_root fixture is in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})


def photos(n: int) -> list:
    # Different sizes, so each stored medium can be told apart by its width.
    return [(io.BytesIO(_jpeg((400 + 40 * i, 300))), f"photo-{i}.jpg") for i in range(n)]


def stored(db_session) -> tuple[int, int]:
    from app.models import Media, Place

    return (db_session.scalar(select(func.count(Place.id))),
            db_session.scalar(select(func.count(Media.id))))


def photo_licences_of(db_session, place_id) -> list[tuple[int, str]]:
    from app.models import Media

    rows = db_session.scalars(select(Media).where(Media.place_id == place_id,
                                                  Media.kind == MediaKind.PHOTO)
                              .order_by(Media.position)).all()
    return [(m.width, m.licence) for m in rows]


def test_each_photo_gets_the_licence_chosen_for_it(client, resident, db_session):
    login(client, resident.email)
    resp = post(client, form(photo=photos(3), photo_licence="CC-BY-SA-4.0",
                             photo_licences=["CC-BY-4.0", "CC0-1.0", ""]))
    assert resp.status_code == 201, resp.get_json()
    feature = resp.get_json()
    # In the order of the photos; an empty choice takes the photos' licence.
    assert photo_licences_of(db_session, feature["id"]) == [
        (400, "CC-BY-4.0"), (440, "CC0-1.0"), (480, "CC-BY-SA-4.0")]
    media = feature["properties"]["media"]
    assert [(m["licence"], m["credit"]) for m in media] == [
        ("CC-BY-4.0", "Rosa"), ("CC0-1.0", "Rosa"), ("CC-BY-SA-4.0", "Rosa")]


@pytest.mark.parametrize("fields,expected", [
    ({"photo_licence": "CC0-1.0"}, "CC0-1.0"),  # an old client: one licence for all photos
    ({}, "CC-BY-4.0"),  # nothing chosen: the configured default
])
def test_without_per_photo_licences_one_applies_to_all(
    app, client, resident, db_session, monkeypatch, fields, expected
):
    monkeypatch.setitem(app.config, "DEFAULT_MEDIA_LICENCE", "CC-BY-4.0")
    login(client, resident.email)
    resp = post(client, form(photo=photos(2), **fields))
    assert resp.status_code == 201, resp.get_json()
    assert [lic for _w, lic in photo_licences_of(db_session, resp.get_json()["id"])] == [
        expected, expected]


@pytest.mark.parametrize("n_photos,licences,text", [
    (2, ["CC-BY-4.0"], "one licence for each photo"),
    (1, ["CC-BY-4.0", "CC0-1.0"], "one licence for each photo"),
    (0, ["CC-BY-4.0"], "one licence for each photo"),
    (2, ["CC-BY-4.0", "All rights reserved"], "offered licences"),
    (1, ["cc-by-4.0"], "offered licences"),
])
def test_bad_per_photo_licences_are_refused_and_nothing_stored(
    client, resident, db_session, media_root, n_photos, licences, text
):
    login(client, resident.email)
    before = stored(db_session)
    resp = post(client, form(photo=photos(n_photos) or None, photo_licences=licences))
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["field"] == "photo_licences" and text in error["message"]
    assert text in error["fields"]["photo_licences"]
    assert stored(db_session) == before and files_under(media_root) == []


def test_a_licence_off_the_configured_list_is_refused(app, client, resident, db_session,
                                                       media_root, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_LICENCES", ("CC0-1.0", "CC-BY-SA-4.0"))
    login(client, resident.email)
    before = stored(db_session)
    resp = post(client, form(photo=photos(2), photo_licences=["CC0-1.0", "CC-BY-4.0"]))
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "photo_licences"
    assert stored(db_session) == before and files_under(media_root) == []
    # The page offers exactly the configured list, to each photo too.
    page = client.get("/contribute").get_data(as_text=True)
    config = json.loads(re.search(
        r'<script type="application/json" id="contribute-config">(.*?)</script>', page,
        re.S).group(1))
    assert [o["code"] for o in config["licences"]] == ["CC0-1.0", "CC-BY-SA-4.0"]
    assert [o["name"] for o in config["licences"]] == ["CC0 1.0", "CC BY-SA 4.0"]


def test_a_retry_with_other_licences_is_another_contribution(client, resident, db_session):
    login(client, resident.email)
    data = {"photo_licences": ["CC-BY-4.0"]}
    first = post(client, form(photo=photos(1), **data), key="lic-1")
    assert first.status_code == 201
    again = post(client, form(photo=photos(1), **data), key="lic-1")
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    other = post(client, form(photo=photos(1), photo_licences=["CC0-1.0"]), key="lic-1")
    assert other.status_code == 409


def test_html_form_without_javascript_applies_the_photos_licence_to_all(
    client, resident, db_session
):
    login(client, resident.email)
    page = client.get("/contribute").get_data(as_text=True)
    assert 'name="photo_licence"' in page and 'id="photo-licence-hint" hidden' in page
    resp = client.post("/contribute", data=form(photo=photos(2), photo_licence="CC0-1.0",
                                                 idempotency_key="nojs-lic"),
                       content_type="multipart/form-data")
    assert resp.status_code == 303
    from app.models import Place

    place = db_session.scalar(select(Place).where(Place.author_id == resident.id))
    assert [lic for _w, lic in photo_licences_of(db_session, place.id)] == ["CC0-1.0"] * 2


def test_edit_adds_photos_with_their_own_licences(client, resident, db_session, media_root):
    from app.models import Place

    login(client, resident.email)
    feature = post(client, form(photo=photos(1), photo_licences=["CC0-1.0"])).get_json()
    place = db_session.get(Place, feature["id"])
    edit = client.get(f"/me/contributions/{place.id}/edit").get_data(as_text=True)
    assert "© Rosa · CC0 1.0" in edit  # the photo there already, with its licence
    assert 'id="photo-list"' in edit and '"licences": [' in edit

    before = stored(db_session)
    bad = client.post(f"/me/contributions/{place.id}/edit", data={
        **form(photo=photos(2), photo_licences=["CC-BY-4.0"]), "version": str(place.version)},
        content_type="multipart/form-data")
    assert bad.status_code == 422
    assert 'id="photo_licences-error"' in bad.get_data(as_text=True)
    assert stored(db_session) == before and len(files_under(media_root)) == 4

    ok = client.post(f"/me/contributions/{place.id}/edit", data={
        **form(photo=photos(2), photo_licences=["CC-BY-4.0", "CC-BY-SA-4.0"]),
        "version": str(place.version)}, content_type="multipart/form-data")
    assert ok.status_code == 303
    assert [lic for _w, lic in photo_licences_of(db_session, place.id)] == [
        "CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0"]
    mine = client.get("/me/contributions").get_data(as_text=True)
    assert mine.count("© Rosa · CC BY 4.0") == 1 and mine.count("© Rosa · CC0 1.0") == 1


@pytest.fixture
def public_photos(client, resident, db_session):
    """An approved contribution with two photos under different licences and a recording."""
    from app.models import Place
    from tests.integration.test_pwa_pages import _wav

    login(client, resident.email)
    feature = post(client, form(photo=photos(2), photo_licences=["CC0-1.0", "CC-BY-4.0"],
                                audio=(io.BytesIO(_wav()), "r.wav"),
                                audio_licence="CC-BY-SA-4.0")).get_json()
    place = db_session.get(Place, feature["id"])
    place.status = PlaceStatus.APPROVED
    for m in place.media:
        m.status = MediaStatus.APPROVED
    db_session.flush()
    return place


def test_place_page_and_api_show_each_mediums_own_licence_and_credit(
    app, public_photos, db_session
):
    place = public_photos
    visitor = app.test_client()
    html = visitor.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(True)
    figures = re.findall(r'<figure class="photo">(.*?)</figure>', html, re.S)
    assert len(figures) == 2
    assert "© Rosa" in figures[0] and "CC0 1.0" in figures[0] and "CC BY 4.0" not in figures[0]
    assert "© Rosa" in figures[1] and "CC BY 4.0" in figures[1] and "CC0 1.0" not in figures[1]
    assert 'href="https://creativecommons.org/publicdomain/zero/1.0/" rel="license"' in figures[0]

    feature = visitor.get(f"/api/v1/places/{place.id}").get_json()
    media = feature["properties"]["media"]
    assert [(m["kind"], m["licence"], m["credit"]) for m in media] == [
        ("photo", "CC0-1.0", "Rosa"), ("photo", "CC-BY-4.0", "Rosa"),
        ("audio", "CC-BY-SA-4.0", "Rosa")]


def test_follow_mode_carries_the_credit_and_licence_of_photo_and_recording(
    app, demo, db_session, media_root
):
    from app.models import Tour
    from app.services import media
    from tests.integration.test_pwa_pages import _wav

    tour = db_session.scalar(select(Tour).where(Tour.slug == "altstadt-erinnerungen"))
    first = tour.stops[0].place
    with app.test_request_context():
        photo = media.store_photo(media.check_photo(_jpeg((400, 300))), uploader=None,
                                  place=first, credit="Rosa R.", licence="CC0-1.0")
        audio = media.store_audio(media.check_audio(_wav()), uploader=None, place=first,
                                  credit="Hans", licence="CC-BY-4.0")
    photo.status = audio.status = MediaStatus.APPROVED
    db_session.flush()
    html = app.test_client().get("/tours/altstadt-erinnerungen/follow").get_data(as_text=True)
    data = json.loads(re.search(
        r'<script type="application/json" id="follow-data">(.*?)</script>', html, re.S).group(1))
    stop = next(s for s in data["stops"] if s["placeId"] == first.id)
    assert (stop["photoCredit"], stop["photoLicence"]) == ("Rosa R.", "CC0-1.0")
    assert (stop["audioCredit"], stop["audioLicence"]) == ("Hans", "CC-BY-4.0")
    strings = json.loads(re.search(
        r'<script type="application/json" id="follow-strings">(.*?)</script>', html,
        re.S).group(1))
    assert strings["licences"]["CC0-1.0"][0] == "CC0 1.0"
    assert "data-stop-photo-credit" in html and "data-stop-audio-credit" in html


def test_openapi_documents_per_photo_licences(client):
    spec = client.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/v1/places"]["post"]["requestBody"]["content"]
    schema = body["multipart/form-data"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    prop = schema["properties"]["photo_licences"]
    assert prop["type"] == "array" and prop["items"]["type"] == "string"
    assert "order" in prop["description"]


def test_the_short_list_and_its_default_come_from_the_environment(monkeypatch):
    from app.config import ConfigError, load_config

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://x@localhost/x")
    monkeypatch.setenv("MEDIA_LICENCES", "CC0-1.0, CC-BY-4.0")
    monkeypatch.setenv("DEFAULT_MEDIA_LICENCE", "CC0-1.0")
    cfg = load_config()
    assert cfg["MEDIA_LICENCES"] == ("CC0-1.0", "CC-BY-4.0")
    assert cfg["DEFAULT_MEDIA_LICENCE"] == "CC0-1.0"
    # A default that is not on the list would preselect a licence the server refuses.
    monkeypatch.setenv("DEFAULT_MEDIA_LICENCE", "CC-BY-SA-4.0")
    with pytest.raises(ConfigError, match="DEFAULT_MEDIA_LICENCE"):
        load_config()
