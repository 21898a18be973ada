"""app/inputs/contribution.py: the one schema of the contribution page, its edit page and
POST /api/v1/places. Each refused shape answers 422 naming the field (problem+json for the
API, the message next to the field on the pages) and stores nothing."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.errors import FormErrors
from app.inputs.contribution import contribution_edit_from, contribution_from, similar_query
from app.services.contribute import ContributionInput, Upload
from tests.conftest import create_user, login
from tests.integration.test_contribute import PHOTOS, counts, form, post
from tests.integration.test_media import files_under

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})


def _files(**parts):
    files = MultiDict()
    for name, items in parts.items():
        for filename, data in items:
            files.add(name, FileStorage(io.BytesIO(data), filename=filename))
    return files


def test_a_request_loads_into_the_services_input(app):
    with app.test_request_context():
        inp = contribution_from(
            MultiDict([("title", "  Die   alte\tBäckerei "), ("body", "a\r\nb  "),
                       ("lon", "8.7290"), ("lat", "47.5003"), ("themes", "old-town, food"),
                       ("themes", "water"), ("era", " 1960er "), ("licence_consent", "on"),
                       ("photo_licences", "CC0-1.0"), ("photo_licences", ""),
                       ("credit_name", "R" * 200), ("csrf_token", "ignored")]),
            _files(photo=[("a.jpg", b"one"), ("", b""), ("b.jpg", b"two")],
                   audio=[("r.wav", b"wav")]),
        )
    assert isinstance(inp, ContributionInput)
    assert inp.title == "Die alte Bäckerei" and inp.body == "a\nb"
    assert (inp.lon, inp.lat) == (8.729, 47.5003)
    assert inp.themes == ["old-town", "food", "water"] and inp.era == "1960er"
    assert inp.licence_consent is True and inp.not_duplicate is False
    assert inp.photos == [Upload("a.jpg", b"one"), Upload("b.jpg", b"two")]  # empty part: none
    assert inp.audio == Upload("r.wav", b"wav") and inp.consent_scan is None
    assert inp.language == app.config["DEFAULT_LOCALE"]
    default = app.config["DEFAULT_MEDIA_LICENCE"]
    assert inp.photo_licence == inp.audio_licence == default
    assert inp.licences_of_photos() == ["CC0-1.0", default]
    assert inp.credit_name == "R" * 120  # cut, not refused


def test_the_edit_page_loads_its_version_and_the_media_to_remove(app):
    with app.test_request_context():
        edit = contribution_edit_from(MultiDict([
            ("title", "T"), ("version", "3"), ("remove_media", "7"), ("remove_media", "x"),
            ("remove_media", "9")]), MultiDict())
    assert edit.version == 3 and edit.remove_media == [7, 9]
    assert edit.contribution.title == "T" and edit.contribution.licence_consent is False


def test_every_refused_field_is_named_at_once(app):
    with app.test_request_context(headers={"Accept-Language": "en"}), \
            pytest.raises(FormErrors) as refused:
        contribution_from(MultiDict([("title", " "), ("lon", "east"), ("era", "long ago"),
                                     ("language", "fr"), ("audio_licence", "all mine")]),
                          MultiDict())
    assert refused.value.errors == {
        "title": ["Give the place a title."],
        "position": ["This is not a number."],
        "era": ["Give a year like 1965 or a decade like 1960s."],
        "language": ["Choose one of the offered languages."],
        "licence_consent": [
            "Please agree to the licences so that your story can be published."],
        "audio_licence": ["Choose one of the offered licences."],
    }


def test_the_hint_while_typing_needs_a_position():
    assert similar_query(MultiDict({"title": "x", "lon": "8.7", "lat": "47.5"})) == (
        "x", 8.7, 47.5)
    for args in ({"title": "x"}, {"lon": "8.7", "lat": "north"}, {"lon": "nan", "lat": "1"}):
        assert similar_query(MultiDict(args)) is None


@pytest.mark.parametrize("overrides,field,text", [
    # refused by the service (position in the service area, themes that exist) ...
    ({"title": ""}, "title", "title"),
    ({"title": "   "}, "title", "title"),
    ({"lon": "2.2945", "lat": "48.8584"}, "position", "outside the area"),
    ({"lon": None, "lat": None}, "position", "Choose where this is"),
    ({"licence_consent": None}, "licence_consent", "agree"),
    ({"era": "long ago"}, "era", "year"),
    ({"themes": "no-such-theme"}, "themes", "themes"),
    ({"photo_licence": "all-rights-reserved"}, "photo_licence", "licences"),
    # ... and by the schema
    ({"title": "x" * 141}, "title", "at most 140"),
    ({"body": "x" * 20_001}, "body", "at most 20000"),
    ({"lon": "east"}, "position", "not a number"),
    ({"lat": "nan"}, "position", "not a number"),
    ({"lat": "inf"}, "position", "not a number"),
    ({"lon": "200", "lat": "47.5"}, "position", "not on Earth"),
    ({"era": "1900/1950"}, "era", "a decade like 1960s"),
    ({"era": "999"}, "era", "between 1000 and this year"),
    ({"era": f"{datetime.now(UTC).year + 1}"}, "era", "between 1000 and this year"),
    ({"era": "1960 s"}, "era", "a decade like 1960s"),
    ({"language": "fr"}, "language", "offered languages"),
    ({"audio_licence": "CC-BY-NC-4.0"}, "audio_licence", "offered licences"),
    ({"licence_consent": "no"}, "licence_consent", "agree"),
])
def test_a_refused_field_answers_422_naming_it_and_stores_nothing(
    client, resident, db_session, media_root, overrides, field, text
):
    login(client, resident.email)
    before = counts(db_session)
    good = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(**overrides, photo=(io.BytesIO(good), "ok.jpg")), key="shape")
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert text in error["fields"][field]
    assert counts(db_session) == before and files_under(media_root) == []


@pytest.mark.parametrize("era,year,precision", [
    ("1965", 1965, "year"), ("1960er", 1960, "decade"), ("1965s", 1960, "decade"),
    ("", None, None),
])
def test_the_era_is_stored_as_a_year_or_a_decade(client, resident, db_session, era, year,
                                                 precision):
    from app.models import Place

    login(client, resident.email)
    resp = post(client, form(era=era))
    assert resp.status_code == 201, resp.get_json()
    place = db_session.get(Place, resp.get_json()["id"])
    assert (place.era_year, place.era_precision) == (year, precision)


def test_more_photos_than_allowed_are_refused(app, client, resident, db_session, media_root,
                                              monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTOS", 1)
    login(client, resident.email)
    before = counts(db_session)
    good = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(photo=[(io.BytesIO(good), "a.jpg"), (io.BytesIO(good), "b.jpg")]))
    assert resp.status_code == 422
    assert "at most 1 photos" in resp.get_json()["error"]["fields"]["photo"]
    assert counts(db_session) == before and files_under(media_root) == []


@pytest.mark.parametrize("overrides,field,text", [
    ({"consent_method": "telepathy", "consent_date": "2026-01-10"}, "consent_method",
     "how the person gave"),
    ({"consent_method": "spoken", "consent_date": "10.01.2026"}, "consent_date",
     "date the consent was given"),
    ({"consent_method": "spoken",
      "consent_date": (date.today() + timedelta(days=2)).isoformat()}, "consent_date",
     "cannot be in the future"),
])
def test_consent_for_someone_else_is_checked(client, db_session, overrides, field, text):
    helper = create_user("helper@example.org")
    helper.is_helper = True
    login(client, helper.email)
    before = counts(db_session)
    resp = post(client, form(author_name="Frau Meier", **overrides))
    assert resp.status_code == 422
    assert text in resp.get_json()["error"]["fields"][field]
    assert counts(db_session) == before


def test_the_page_shows_a_refused_shape_next_to_its_field(client, resident, db_session):
    login(client, resident.email)
    before = counts(db_session)
    resp = client.post("/contribute", data=form(era="1900/1950", lon="east",
                                                idempotency_key="page-shape"),
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="era-error"' in html and "a decade like 1960s" in html
    assert "This is not a number." in html
    assert "Die alte Bäckerei" in html  # what I typed comes back
    assert counts(db_session) == before


def test_the_edit_page_shows_a_refused_shape_next_to_its_field(client, resident, db_session):
    from app.models import Place

    login(client, resident.email)
    place = db_session.get(Place, post(client, form()).get_json()["id"])
    before = counts(db_session)
    resp = client.post(f"/me/contributions/{place.id}/edit", data={
        **form(title="", era="long ago"), "version": str(place.version)},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="title-error"' in html and "Give the place a title." in html
    assert 'id="era-error"' in html
    assert counts(db_session) == before
    db_session.refresh(place)
    assert place.title == "Die alte Bäckerei"


def test_the_api_names_a_multipart_field_it_does_not_take_and_stores_nothing(
    client, resident, db_session, media_root
):
    login(client, resident.email)
    before = counts(db_session)
    resp = post(client, form(colour="red", status="approved"))
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {"colour", "status"} and "This request takes" in fields["colour"]
    assert counts(db_session) == before and files_under(media_root) == []
    # the page's own extras (its CSRF token, the idempotency key) are what it sends anyway
    assert post(client, form(csrf_token="x", idempotency_key="k-1")).status_code == 201
