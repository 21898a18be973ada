"""The stories API: the public list (filters, cursor paging), one story (public, or its
author, helper and curators), a new story at a place with photos and a recording (multipart,
Idempotency-Key, all or nothing), the author's edit (others 403 before the body is read,
409 when stale), a curator's decision and the narrator's withdrawal; and a place's answer
with its story count and summaries."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models import IdempotencyKey, Media, Place, Story
from app.services import stories
from app.services.accounts import create_api_token
from app.services.stories import StoryInput
from tests.conftest import create_user, login
from tests.integration.test_media import assert_no_metadata, files_under, jpeg_with_gps, make_audio


def _place(db_session, title="Waaghaus") -> Place:
    return db_session.scalar(select(Place).where(Place.title == title))


def _auth(user) -> dict:
    return {"Authorization": f"Bearer {create_api_token(user, 'test')}"}


def _approved(db_session, user, curator, place, **kw) -> Story:
    values = {"title": "Käse wiegen", "body": "Mein Grossvater wog hier Käse.",
              "era": "1950s", "language": "de", "licence_consent": True}
    values.update(kw)
    story = stories.add_story(user, place.id, StoryInput(**values))
    stories.review_story(curator, story.id, "approve")
    return story


FORM = {"title": "Der Markt am Samstag", "body": "Wir kauften hier *Äpfel*.", "kind": "memory",
        "era": "ca. 1965", "language": "de", "licence": "CC-BY-SA-4.0", "licence_consent": "1"}


def _multipart(photo: bytes | None = None, audio: bytes | None = None, **fields) -> dict:
    data = {**FORM, **fields}
    if photo is not None:
        data["photo"] = (io.BytesIO(photo), "markt.jpg")
    if audio is not None:
        data["audio"] = (io.BytesIO(audio), "markt.ogg")
    return data


def _counts(db_session) -> tuple[int, int, int]:
    return (db_session.scalar(select(func.count(Story.id))),
            db_session.scalar(select(func.count(Media.id))),
            db_session.scalar(select(func.count()).select_from(IdempotencyKey)))


# --- a place's answer -------------------------------------------------------------------------


def test_a_place_answers_its_story_count_and_the_summaries_of_its_public_stories(
        client, demo, db_session, resident, curator):
    place = _place(db_session)
    before = client.get(f"/api/v1/places/{place.id}").get_json()["properties"]
    told = _approved(db_session, resident, curator, place, title="Glocken", kind="history",
                     author_name="Frieda Keller", consent_method="spoken",
                     consent_date=date(2026, 1, 5))
    stories.add_story(resident, place.id, StoryInput(title="Noch nicht", language="de",
                                                     licence_consent=True))
    db_session.commit()
    props = client.get(f"/api/v1/places/{place.id}").get_json()["properties"]
    assert props["story_count"] == before["story_count"] + 1
    assert [s["id"] for s in props["stories"]][0] == told.id  # newest first
    summary = props["stories"][0]
    assert summary == {"id": told.id, "title": "Glocken", "kind": "history", "language": "de",
                       "era": {"start": 1950, "end": 1959, "precision": "decade"},
                       "credit": "Frieda Keller", "licence": "CC-BY-SA-4.0",
                       "url": f"http://localhost/stories/{told.id}"}
    assert "Noch nicht" not in {s["title"] for s in props["stories"]}


# --- the list ------------------------------------------------------------------------------------


@pytest.fixture
def voices(demo, db_session, resident, curator):
    """Three public stories at two places, in different kinds, languages and eras."""
    waaghaus, other = _place(db_session), db_session.scalars(
        select(Place).where(Place.status == "approved", Place.title != "Waaghaus")
        .order_by(Place.id)).first()
    made = {
        "market": _approved(db_session, resident, curator, waaghaus, title="Markttag",
                            body="Die Bäuerinnen kamen früh.", era="1960s", kind="memory"),
        "tip": _approved(db_session, resident, curator, waaghaus, title="Tipp: Turm",
                         body="Open on Sundays.", era="", kind="tip", language="en"),
        "old": _approved(db_session, resident, curator, other, title="Brand",
                         body="Das Haus brannte nieder.", era="1880/1890", kind="history"),
    }
    db_session.commit()
    return waaghaus, other, made


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.get_json()
    return [f["id"] for f in resp.get_json()["features"]]


def test_the_list_filters_by_place_kind_language_era_words_and_box(client, voices):
    waaghaus, other, made = voices
    at_waaghaus = _ids(client.get(f"/api/v1/stories?place={waaghaus.id}"))
    assert {made["market"].id, made["tip"].id} <= set(at_waaghaus)
    assert made["old"].id not in at_waaghaus
    assert _ids(client.get(f"/api/v1/stories?place={waaghaus.id}&kind=tip")) == [made["tip"].id]
    assert made["tip"].id in _ids(client.get("/api/v1/stories?language=en"))
    assert made["tip"].id not in _ids(client.get("/api/v1/stories?language=de"))
    # era ranges overlap: 1885 lies in 1880/1890, the 1960s reach 1965
    assert made["old"].id in _ids(client.get("/api/v1/stories?era_from=1885&era_to=1885"))
    sixties = _ids(client.get("/api/v1/stories?era=1965"))
    assert made["market"].id in sixties and made["old"].id not in sixties
    assert made["market"].id not in _ids(client.get("/api/v1/stories?era_to=1900"))
    assert _ids(client.get("/api/v1/stories?q=Bäuerinnen")) == [made["market"].id]
    assert made["old"].id in _ids(client.get("/api/v1/stories?q=brand"))
    lon, lat = client.get(f"/api/v1/places/{other.id}").get_json()["geometry"]["coordinates"]
    box = f"{lon - 0.0001},{lat - 0.0001},{lon + 0.0001},{lat + 0.0001}"
    assert made["old"].id in _ids(client.get(f"/api/v1/stories?bbox={box}"))
    assert made["market"].id not in _ids(client.get(f"/api/v1/stories?bbox={box}"))
    feature = client.get(f"/api/v1/stories?place={other.id}&kind=history").get_json()["features"][0]
    assert feature["geometry"]["coordinates"] == [lon, lat]
    assert feature["properties"]["place_id"] == other.id
    assert feature["properties"]["era"] == {"start": 1880, "end": 1890, "precision": "range"}
    assert "body" not in feature["properties"]  # summaries; one story carries its text


def test_the_list_is_paged_by_cursor_in_id_order_and_nearest_first(client, voices):
    waaghaus, _other, _made = voices
    seen, url = [], "/api/v1/stories?limit=2"
    while url:
        page = client.get(url).get_json()
        seen += [f["id"] for f in page["features"]]
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        assert (page["next_cursor"] is None) == (not nxt)
        url = nxt[0].replace("http://localhost", "") if nxt else None
    assert seen == sorted(seen) and len(seen) == len(set(seen)) >= 3
    lon, lat = client.get(f"/api/v1/places/{waaghaus.id}").get_json()["geometry"]["coordinates"]
    near, url = [], f"/api/v1/stories?near={lon},{lat}&limit=2&radius=100000"
    while url:
        page = client.get(url).get_json()
        near += [f["properties"]["distance_m"] for f in page["features"]]
        url = (f"/api/v1/stories?near={lon},{lat}&limit=2&radius=100000&cursor="
               f"{page['next_cursor']}" if page["next_cursor"] else None)
    assert near == sorted(near) and near[0] == 0 and len(near) == len(seen)


@pytest.mark.parametrize(("query", "field"), [
    ("language=xx", "language"), ("era_from=1990&era_to=1950", "era_from"),
    ("era=1950/1900", "era"), ("radius=50", "radius"), ("cursor=bogus", "cursor"),
    ("theme=no-such-theme", "theme"), ("kind=poem", "kind"), ("bbox=1,2,3", "bbox"),
    ("near=500,1", "near"), ("limit=0", "limit"), ("place=abc", "place"),
])
def test_bad_list_queries_are_422_naming_the_parameter(client, demo, query, field):
    resp = client.get(f"/api/v1/stories?{query}")
    assert resp.status_code == 422, (query, resp.status_code)
    error = resp.get_json()["error"]
    assert field in (error.get("field"), *(error.get("fields") or {})), (query, error)


# --- one story ---------------------------------------------------------------------------------


def test_one_story_is_public_or_for_its_author_helper_and_curators(client, demo, db_session,
                                                                  resident, curator):
    place = _place(db_session)
    helper = create_user("helper@example.org", name="Helga")
    stranger = create_user("stranger@example.org")
    story = stories.add_story(helper, place.id, StoryInput(
        title="Frieda erzählt", body="…", language="de", licence_consent=True,
        author_name="Frieda Keller", consent_method="paper_form", consent_date=date(2026, 2, 1)))
    db_session.commit()
    url = f"/api/v1/stories/{story.id}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=_auth(stranger)).status_code == 404
    for who in (helper, curator):
        resp = client.get(url, headers=_auth(who))
        assert resp.status_code == 200, resp.get_json()
        props = resp.get_json()["properties"]
        assert (props["status"], props["version"], props["credit"]) == ("pending", 1,
                                                                        "Frieda Keller")
        assert "private" in resp.headers["Cache-Control"]
    stories.review_story(curator, story.id, "approve")
    db_session.commit()
    public = client.get(url)
    assert public.status_code == 200 and public.headers["Cache-Control"].startswith("public")
    props = public.get_json()["properties"]
    assert "status" not in props and "version" not in props
    assert props["told_on_behalf"] is True and props["body"] == "…"
    assert client.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 200
    assert client.get("/api/v1/stories/999999").status_code == 404


# --- a new story at a place ------------------------------------------------------------------


def test_a_story_with_a_photo_and_a_recording_waits_with_its_transcript(
        client, demo, db_session, media_root, resident):
    place = _place(db_session)
    lon, lat = 8.7290, 47.4995
    headers = {**_auth(resident), "Idempotency-Key": "markt-1"}
    # an Ogg stream's serial number is random: the retry sends the same bytes again
    photo_bytes, audio_bytes = jpeg_with_gps(lat, lon), make_audio("ogg", "libopus")
    resp = client.post(
        f"/api/v1/places/{place.id}/stories", headers=headers,
        data=_multipart(photo_bytes, audio_bytes,
                        photo_caption="Der Markt 1965, von der Waage aus",
                        photo_licence="CC-BY-4.0", transcript="Wir kauften Äpfel."),
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    story = db_session.get(Story, doc["id"])
    assert resp.headers["Location"].endswith(f"/stories/{story.id}")
    assert (story.place_id, story.status, story.author_id) == (place.id, "pending", resident.id)
    assert (story.era_start, story.era_end, story.era_precision) == (1960, 1970, "circa")
    photo, audio = sorted(story.media, key=lambda m: m.kind != "photo")
    assert (photo.kind, photo.status, photo.licence, photo.place_id) == (
        "photo", "pending", "CC-BY-4.0", place.id)
    assert photo.caption == "Der Markt 1965, von der Waage aus"
    assert (audio.kind, audio.transcript, audio.transcript_by_id) == ("audio", "Wir kauften Äpfel.",
                                                                      resident.id)
    # re-encoded without metadata; the story's position is its place's, so no GPS is kept
    for key in photo.variants.values():
        assert_no_metadata((media_root / "public" / key).read_bytes())
    assert Image.open(media_root / "private" / photo.storage_key).getexif().get_ifd(0x8825) == {}
    assert doc["properties"]["status"] == "pending"
    assert [m["transcript"] for m in doc["properties"]["media"]] == [None, "Wir kauften Äpfel."]
    db_session.commit()
    before = _counts(db_session)
    files = files_under(media_root)
    # a retry with the same key answers the same story and stores nothing more
    again = client.post(
        f"/api/v1/places/{place.id}/stories", headers=headers,
        data=_multipart(photo_bytes, audio_bytes,
                        photo_caption="Der Markt 1965, von der Waage aus",
                        photo_licence="CC-BY-4.0", transcript="Wir kauften Äpfel."),
        content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["id"] == story.id
    other = client.post(f"/api/v1/places/{place.id}/stories", headers=headers,
                        data=_multipart(title="Etwas anderes"),
                        content_type="multipart/form-data")
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "idempotency_mismatch"
    assert _counts(db_session) == before and files_under(media_root) == files


def _merged_place(db_session, curator) -> Place:
    from app.services import moderation
    from tests.integration.test_moderation_factory import pending_place

    dup = pending_place(None, title="Waaghaus doppelt")
    moderation.merge(curator, dup.id, _place(db_session).id, version=dup.version)
    return dup


BAD = [
    ({"language": "xx"}, "language"),
    ({"era": str(datetime.now(UTC).year + 1)}, "era"),
    ({"era": "999"}, "era"),
    ({"era": "damals"}, "era"),
    ({"title": ""}, "title"),
    ({"kind": "poem"}, "kind"),
    ({"licence": "All rights reserved"}, "licence"),
    ({"licence_consent": ""}, "licence_consent"),
    ({"author_name": "Frieda Keller"}, "consent_method"),
    ({"author_name": "Frieda Keller", "consent_method": "spoken"}, "consent_date"),
    ({"author_name": "Frieda Keller", "consent_method": "spoken",
      "consent_date": (date.today() + timedelta(days=3)).isoformat()}, "consent_date"),
    ({"transcript": "Worte ohne Aufnahme"}, "transcript"),
    ({"photo_licence": "GPL"}, "photo_licence"),
    ({"colour_of_the_sky": "blue"}, "colour_of_the_sky"),
]
HOSTILE = [
    ({"photo": b"<svg onload=alert(1)></svg>"}, "photo"),
    ({"photo": b"<?php system($_GET[c]); ?>"}, "photo"),
    ({"photo": jpeg_with_gps(47.5, 8.72)[:600]}, "photo"),  # truncated
    ({"audio": b"RIFF\x00\x00\x00\x00WAVEfmt garbage"}, "audio"),
    ({"audio": jpeg_with_gps(47.5, 8.72)}, "audio"),  # a photo called a recording
    ({"consent_scan": (io.BytesIO(b"\x00"), "scan.jpg")}, "consent_scan"),  # not taken here
]


@pytest.mark.parametrize(("changes", "field"), BAD + HOSTILE)
def test_bad_input_or_hostile_files_are_422_naming_the_field_and_nothing_is_stored(
        client, demo, db_session, media_root, resident, changes, field):
    place = _place(db_session)
    resident.is_helper = True  # may enter stories for someone else: the consent is checked
    db_session.commit()
    before = _counts(db_session)
    resp = client.post(f"/api/v1/places/{place.id}/stories", data=_multipart(**changes),
                       headers={**_auth(resident), "Idempotency-Key": "k-bad"},
                       content_type="multipart/form-data")
    assert resp.status_code == 422, (changes, resp.get_json())
    error = resp.get_json()["error"]
    assert field in (error.get("field"), *(error.get("fields") or {})), error
    assert _counts(db_session) == before
    assert files_under(media_root) == []


def test_only_curators_and_helpers_enter_a_story_for_someone_else(
        client, demo, db_session, media_root, resident):
    place = _place(db_session)
    helper = create_user("helper@example.org", name="Helga")
    helper.is_helper = True
    db_session.commit()
    told = {"author_name": "Frieda Keller", "consent_method": "spoken",
            "consent_date": "2026-02-01"}
    before = _counts(db_session)
    refused = client.post(f"/api/v1/places/{place.id}/stories", headers=_auth(resident),
                          data=_multipart(jpeg_with_gps(47.5, 8.72), **told),
                          content_type="multipart/form-data")
    assert refused.status_code == 403
    assert _counts(db_session) == before and files_under(media_root) == []
    resp = client.post(f"/api/v1/places/{place.id}/stories", headers=_auth(helper),
                       data=_multipart(**told), content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    story = db_session.get(Story, resp.get_json()["id"])
    assert (story.author_id, story.helper_id, story.author_name, story.credit_name) == (
        None, helper.id, "Frieda Keller", "Frieda Keller")
    assert (story.consent_method, story.consent_date) == ("spoken", date(2026, 2, 1))
    assert resp.get_json()["properties"]["told_on_behalf"] is True


def test_every_refused_field_is_named_at_once(client, demo, db_session, media_root, resident):
    resp = client.post(
        f"/api/v1/places/{_place(db_session).id}/stories", headers=_auth(resident),
        data=_multipart(photo=b"not a photo", era="3000", language="xx"),
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert {"photo", "language"} <= set(resp.get_json()["error"]["fields"])


def test_no_story_at_a_merged_removed_or_missing_place(client, demo, db_session, media_root,
                                                        resident, curator):
    dup = _merged_place(db_session, curator)
    hidden = db_session.scalars(select(Place).where(Place.status == "approved",
                                                    Place.title != "Waaghaus")).first()
    hidden.hidden_at = datetime.now(UTC)
    db_session.commit()
    before = _counts(db_session)
    for place_id in (dup.id, hidden.id):
        resp = client.post(f"/api/v1/places/{place_id}/stories",
                           data=_multipart(jpeg_with_gps(47.5, 8.72)),
                           headers=_auth(resident), content_type="multipart/form-data")
        assert resp.status_code == 422, resp.get_json()
        assert resp.get_json()["error"]["field"] == "place"
    assert client.post("/api/v1/places/999999/stories", data=_multipart(),
                       headers=_auth(resident),
                       content_type="multipart/form-data").status_code == 404
    assert client.post(f"/api/v1/places/{_place(db_session).id}/stories",
                       data=_multipart(), content_type="multipart/form-data").status_code == 401
    assert _counts(db_session) == before and files_under(media_root) == []


def test_a_cookie_session_needs_the_csrf_header(app, client, demo, db_session, media_root,
                                                 resident):
    login(client, resident.email)
    before = _counts(db_session)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        resp = client.post(f"/api/v1/places/{_place(db_session).id}/stories",
                           data=_multipart(), content_type="multipart/form-data")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert resp.status_code == 401
    assert _counts(db_session) == before


# --- edit, review, withdraw -------------------------------------------------------------------


def test_only_its_author_edits_a_story_and_a_stale_edit_is_409(client, demo, db_session,
                                                              resident, curator):
    place = _place(db_session)
    story = _approved(db_session, resident, curator, place)
    other = create_user("other@example.org")
    db_session.commit()
    url = f"/api/v1/stories/{story.id}"
    # others: 403 before the body is read (a bogus body would be 422 otherwise)
    assert client.patch(url, json={"bogus": "\x01"}, headers=_auth(other)).status_code == 403
    assert client.patch(url, json={"bogus": 1}).status_code == 401
    assert client.patch(url, json={"title": "Ohne Version"},
                        headers=_auth(resident)).get_json()["error"]["field"] == "version"
    version = client.get(url, headers=_auth(resident)).get_json()["properties"]["version"]
    resp = client.patch(url, json={"era": "1948", "version": version}, headers=_auth(resident))
    assert resp.status_code == 200, resp.get_json()
    assert resp.mimetype == "application/json"  # as documented, like POST's answer
    props = resp.get_json()["properties"]
    # fields not sent keep their value; the author's edit of an approved story waits again
    assert (props["title"], props["era"]["start"], props["status"]) == ("Käse wiegen", 1948,
                                                                        "pending")
    assert props["version"] > version
    stale = client.patch(url, json={"title": "Zu spät", "version": version},
                         headers=_auth(resident))
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "stale_version" and error["current"]["version"] == props["version"]
    assert error["current"]["snapshot"]["era_start"] == 1948
    bad = client.patch(url, json={"era": "2999", "version": props["version"]},
                       headers=_auth(resident))
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "era"
    db_session.expire_all()
    assert db_session.get(Story, story.id).title == "Käse wiegen"
    # a curator edits it too, and it stays as it is (pending here)
    resp = client.patch(url, json={"title": "Käse wägen", "version": props["version"]},
                        headers=_auth(curator))
    assert resp.status_code == 200 and resp.get_json()["properties"]["title"] == "Käse wägen"
    # a pending story of someone else is nobody else's business
    assert client.patch(url, json={"version": 1}, headers=_auth(other)).status_code == 404


def test_a_curator_reviews_a_story_on_the_version_looked_at(client, demo, db_session,
                                                           resident, curator):
    place = _place(db_session)
    story = stories.add_story(resident, place.id, StoryInput(title="Neu", language="de",
                                                             licence_consent=True))
    db_session.commit()
    url = f"/api/v1/stories/{story.id}/review"
    assert client.post(url, json={"decision": "approve", "version": 1},
                       headers=_auth(resident)).status_code == 403
    no_reason = client.post(url, json={"decision": "reject", "version": story.version},
                            headers=_auth(curator))
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["field"] == "reason"
    stale = client.post(url, json={"decision": "approve", "version": story.version + 5},
                        headers=_auth(curator))
    assert stale.status_code == 409
    resp = client.post(url, json={"decision": "approve", "message": "Danke",
                                  "version": story.version,
                                  "changes": {"title": "Neu (korrigiert)"}},
                       headers=_auth(curator))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["story_id"], body["status"], body["place_id"]) == (story.id, "approved",
                                                                    place.id)
    assert client.get(f"/api/v1/stories/{story.id}").get_json()["properties"]["title"] == \
        "Neu (korrigiert)"
    again = client.post(url, json={"decision": "approve", "version": body["version"]},
                        headers=_auth(curator))
    assert again.status_code == 409


def test_the_narrator_withdraws_their_story_and_it_leaves_the_api(client, demo, db_session,
                                                                 resident, curator):
    place = _place(db_session)
    story = _approved(db_session, resident, curator, place, title="Bald weg")
    other = create_user("other@example.org")
    db_session.commit()
    url = f"/api/v1/stories/{story.id}/withdraw"
    assert client.post(url, headers=_auth(other)).status_code == 403
    assert client.post(url, headers=_auth(curator)).status_code == 403  # curators hide
    assert client.post(url, json={"why": "x"}, headers=_auth(resident)).status_code == 422
    resp = client.post(url, headers=_auth(resident))
    assert resp.status_code == 200 and resp.get_json()["status"] == "withdrawn"
    assert client.post(url, headers=_auth(resident)).status_code == 200  # harmless again
    assert client.get(f"/api/v1/stories/{story.id}").status_code == 404
    assert story.id not in _ids(client.get(f"/api/v1/stories?place={place.id}"))
    titles = {s["title"] for s in
              client.get(f"/api/v1/places/{place.id}").get_json()["properties"]["stories"]}
    assert "Bald weg" not in titles
    assert client.post(url, headers=_auth(other)).status_code == 404  # not visible any more


def test_the_answers_are_what_the_document_describes(client, demo, db_session, media_root,
                                                     resident, curator):
    from app.api.stories import StoryCollectionSchema, StoryFeatureSchema

    place = _place(db_session)
    created = client.post(f"/api/v1/places/{place.id}/stories", headers=_auth(resident),
                          data=_multipart(jpeg_with_gps(47.5, 8.72),
                                          make_audio("wav", "pcm_s16le"), transcript="Hallo"),
                          content_type="multipart/form-data")
    assert created.status_code == 201
    story_id = created.get_json()["id"]
    edited = client.patch(f"/api/v1/stories/{story_id}", headers=_auth(resident),
                          json={"title": "Neu", "version": 1})
    stories.review_story(curator, story_id, "approve")
    db_session.commit()
    answers = [created.get_json(), edited.get_json(),
               client.get(f"/api/v1/stories/{story_id}").get_json(),
               client.get(f"/api/v1/stories/{story_id}", headers=_auth(resident)).get_json()]
    for doc in answers:
        assert StoryFeatureSchema().validate(doc) == {}, doc
    listed = client.get("/api/v1/stories?near=8.72,47.5&limit=3").get_json()
    assert listed["features"] and StoryCollectionSchema().validate(listed) == {}


def test_a_place_with_fifty_stories_is_answered_in_one_statement(client, demo, db_session,
                                                                  resident, curator):
    from sqlalchemy import event

    from app.extensions import db

    place = _place(db_session)
    for i in range(50):
        _approved(db_session, resident, curator, place, title=f"Stimme {i}")
    db_session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        props = client.get(f"/api/v1/places/{place.id}").get_json()["properties"]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert props["story_count"] == len(props["stories"]) >= 51
    assert {f"Stimme {i}" for i in range(50)} <= {s["title"] for s in props["stories"]}
    reads = [s for s in statements if "stories" in s and s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads
