"""Place and tour pages as visitors get them without JavaScript: responsive lazy photos,
the recording, credit and licence, share link, maps-app links, report form, tour downloads
and the save-for-offline box."""

import io
import math
import struct
import wave

import pytest
from sqlalchemy import select

from app.models import Flag, Place


def _wav(seconds=1.0, rate=16000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 8)))
                               for i in range(int(seconds * rate))))
    return buf.getvalue()


def _jpeg(size=(2000, 1500)):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (90, 120, 60)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def place_with_media(app, demo, db_session, tmp_path, monkeypatch):
    from app.services import media

    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path))
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    photo = media.store_photo(media.check_photo(_jpeg()), uploader=None, place=place,
                              caption="Die Halle im Erdgeschoss", credit="Rosa R.",
                              licence="CC-BY-4.0")
    audio = media.store_audio(media.check_audio(_wav()), uploader=None, place=place,
                              caption="Erinnerung", credit="Rosa R.")
    pending = media.store_photo(media.check_photo(_jpeg((300, 200))), uploader=None, place=place,
                                caption="Not yet reviewed")
    photo.status = audio.status = "approved"
    db_session.flush()
    return place, photo, audio, pending


def test_photos_are_responsive_lazy_and_credited(client, place_with_media):
    place, photo, _audio, _pending = place_with_media
    html = client.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(True)
    v = photo.variants
    assert f'src="/media/{v["medium"]}"' in html
    assert (f'srcset="/media/{v["thumb"]} 320w, /media/{v["medium"]} 800w, '
            f'/media/{v["large"]} 1600w"') in html
    assert 'sizes="(min-width: 60rem) 58rem, 100vw"' in html
    assert 'loading="lazy"' in html and 'width="800" height="600"' in html
    assert 'alt="Die Halle im Erdgeschoss"' in html
    assert "© Rosa R." in html and "CC BY 4.0" in html
    assert "Not yet reviewed" not in html


def test_recording_has_a_player_with_the_public_copy(client, place_with_media):
    place, _photo, audio, _pending = place_with_media
    html = client.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(True)
    assert f'<source src="/media/{audio.variants["public"]}" type="audio/mp4">' in html
    assert 'preload="none"' in html and "Listen to the story" in html


def test_when_share_maps_and_report(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    html = client.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(True)
    assert "When was this?" in html and "1503" in html
    assert f'value="http://localhost/places/{place.id}"' in html  # the link to copy
    assert "geo:47.499620,8.729050?q=47.499620,8.729050(Waaghaus)" in html
    assert "https://www.openstreetmap.org/?mlat=47.499620&amp;mlon=8.729050" in html
    assert f'action="/places/{place.id}/report"' in html and 'data-api="/api/v1/flags"' in html


def test_report_without_javascript_reaches_the_curators(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    resp = client.post(f"/places/{place.id}/report",
                       data={"reason": "wrong", "message": "Das Datum stimmt nicht."})
    assert resp.status_code == 303 and resp.headers["Location"] == f"/places/{place.id}"
    flag = db_session.scalar(select(Flag).where(Flag.place_id == place.id))
    assert flag.reason == "wrong" and flag.message == "Das Datum stimmt nicht."


def test_bad_reports_are_refused_and_nothing_stored(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    resp = client.post(f"/places/{place.id}/report", data={"reason": "boring"},
                       headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    assert client.post("/places/999999/report", data={"reason": "wrong"}).status_code == 404
    assert db_session.scalar(select(Flag.id)) is None


def test_tour_page_start_save_downloads_and_walking_times(client, demo):
    html = client.get("/tours/altstadt-erinnerungen", headers={"Accept-Language": "en"}).get_data(True)
    assert 'href="/tours/altstadt-erinnerungen/follow"' in html and "Start the tour" in html
    assert "data-offline-save" in html and 'data-manifest="/tours/altstadt-erinnerungen/offline.json"' in html
    assert "At a relaxed pace" in html and "Walking time" in html
    assert 'href="/api/v1/tours/altstadt-erinnerungen.gpx"' in html
    assert 'href="/tours/altstadt-erinnerungen.pdf"' in html


def test_follow_page_works_as_a_list_without_javascript(client, demo):
    resp = client.get("/tours/altstadt-erinnerungen/follow", headers={"Accept-Language": "en"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="follow-stops"' in html and html.count('data-stop-index="') == 8
    assert "<noscript>" in html
    assert client.get("/tours/no-such-tour/follow").status_code == 404
