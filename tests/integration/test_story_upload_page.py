"""The add-a-story page takes photos (caption, licence) and a recording with its transcript,
through the same schema and service as the API: re-encoded without metadata, refused files
named next to their field with nothing stored, a double submit one story."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.models import Media, Place, Story
from tests.conftest import login
from tests.integration.test_media import assert_no_metadata, files_under, jpeg_with_gps, make_audio

FORM = {"title": "Der Brunnen", "body": "Im Sommer tranken wir hier.", "kind": "memory",
        "era": "1970s", "language": "de", "licence": "CC-BY-SA-4.0", "licence_consent": "1",
        "photo_caption": "Der Brunnen im Juli 1974", "photo_licence": "CC0-1.0",
        "audio_licence": "CC-BY-4.0", "transcript": "Das Wasser war eiskalt.",
        "idempotency_key": "page-key-1"}


def _place(db_session) -> Place:
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def _counts(db_session):
    return (db_session.scalar(select(func.count(Story.id))),
            db_session.scalar(select(func.count(Media.id))))


def test_the_form_offers_photos_and_a_recording_with_a_transcript(client, demo, db_session,
                                                                  resident):
    login(client, resident.email)
    html = client.get(f"/places/{_place(db_session).id}/stories/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    for name in ('name="photo"', 'name="photo_caption"', 'name="photo_licence"',
                 'name="audio"', 'name="transcript"', 'name="audio_licence"',
                 'name="idempotency_key"'):
        assert name in html, name


def test_a_story_with_a_photo_and_a_recording_from_the_page(client, demo, db_session,
                                                            media_root, resident):
    place = _place(db_session)
    login(client, resident.email)

    def send():
        return client.post(f"/places/{place.id}/stories", content_type="multipart/form-data",
                           data={**FORM,
                                 "photo": (io.BytesIO(jpeg_with_gps(47.4998, 8.7296)), "b.jpg"),
                                 "audio": (io.BytesIO(make_audio("wav", "pcm_s16le")), "b.wav")})

    sent = send()
    assert sent.status_code == 303, sent.get_data(as_text=True)[:2000]
    story = db_session.scalar(select(Story).where(Story.title == "Der Brunnen"))
    assert sent.headers["Location"].endswith(f"/stories/{story.id}")
    photo, audio = sorted(story.media, key=lambda m: m.kind != "photo")
    assert (photo.caption, photo.licence, photo.status) == ("Der Brunnen im Juli 1974",
                                                            "CC0-1.0", "pending")
    assert (audio.licence, audio.transcript) == ("CC-BY-4.0", "Das Wasser war eiskalt.")
    for key in photo.variants.values():
        assert_no_metadata((media_root / "public" / key).read_bytes())
    # the same form sent twice (a double tap, a reload) makes one story
    before, files = _counts(db_session), files_under(media_root)
    assert send().status_code == 303
    assert _counts(db_session) == before and files_under(media_root) == files


def test_a_refused_file_is_named_next_to_its_field_and_nothing_is_stored(
        client, demo, db_session, media_root, resident):
    place = _place(db_session)
    login(client, resident.email)
    before = _counts(db_session)
    for files, field in (({"photo": (io.BytesIO(b"GIF89a not really"), "x.jpg")}, "photo"),
                         ({"audio": (io.BytesIO(b"\x00" * 64), "x.mp3")}, "audio"),
                         ({}, "transcript")):
        resp = client.post(f"/places/{place.id}/stories", content_type="multipart/form-data",
                           data={**FORM, **files}, headers={"Accept-Language": "en"})
        assert resp.status_code == 422, field
        html = resp.get_data(as_text=True)
        assert f'id="{field}-error"' in html, field
        # what was typed is kept
        assert "Das Wasser war eiskalt." in html
    assert _counts(db_session) == before
    assert files_under(media_root) == []


def test_the_form_offers_entering_for_someone_else_only_to_curators_and_helpers(
        client, demo, db_session, media_root, resident):
    place = _place(db_session)
    login(client, resident.email)
    assert 'name="author_name"' not in client.get(
        f"/places/{place.id}/stories/new").get_data(as_text=True)
    before = _counts(db_session)
    resp = client.post(f"/places/{place.id}/stories", content_type="multipart/form-data",
                       data={**FORM, "transcript": "", "author_name": "Frieda Keller",
                             "consent_method": "spoken", "consent_date": "2026-02-01"})
    assert resp.status_code == 403
    assert _counts(db_session) == before
    resident.is_helper = True
    db_session.commit()
    assert 'name="author_name"' in client.get(
        f"/places/{place.id}/stories/new").get_data(as_text=True)
