"""Transcripts of recordings: who may write them (uploader, the story's author or helper,
curators; others 403 before the text is read), plain text shown escaped under the player,
the length cap, the search vector refreshed, the curators' queue marking a missing one, the
API's PUT and the form page (PRG)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from sqlalchemy import select

from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Media, ModerationEvent, Place
from app.services import moderation, stories, transcripts
from app.services.accounts import create_api_token
from app.services.stories import StoryInput
from tests.conftest import create_user, login


def _recording(story, uploader, status="approved", kind="audio") -> Media:
    key = uuid.uuid4().hex
    medium = Media(place_id=story.place_id, story_id=story.id, uploader_id=uploader.id,
                   kind=kind, storage_key=f"test/{key}.mp3", mime="audio/mpeg",
                   size_bytes=10, sha256=hashlib.sha256(key.encode()).hexdigest(),
                   variants={"public": f"test/{key}-p.mp3"}, status=status, caption="Interview")
    db.session.add(medium)
    db.session.flush()
    return medium


@pytest.fixture
def setup(demo, db_session):
    author = create_user("author@example.org", name="Anna Autorin")
    helper_of_nobody = create_user("other@example.org", name="Otto Dritter")
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    story = stories.add_story(author, place.id, StoryInput(
        title="Die Waage", body="Hier wurde gewogen.", language="de", licence_consent=True))
    recording = _recording(story, author)
    return author, helper_of_nobody, curator, story, recording


def test_author_and_curator_write_it_others_may_not(setup, db_session):
    author, other, curator, story, recording = setup
    with pytest.raises(Forbidden):
        transcripts.set_transcript(other, recording.id, "Nein.")
    transcripts.set_transcript(author, recording.id, "  Erste Fassung.\r\n\r\nZweiter Absatz.  ")
    assert recording.transcript == "Erste Fassung.\n\nZweiter Absatz."
    assert recording.transcript_by_id == author.id and recording.transcript_at is not None
    transcripts.set_transcript(curator, recording.id, "Korrigiert.\x07")
    assert recording.transcript == "Korrigiert." and recording.transcript_by_id == curator.id
    assert db_session.scalars(select(ModerationEvent.action).where(
        ModerationEvent.target_type == "media")).all() == ["transcript", "transcript"]
    # A photo has no transcript.
    photo = _recording(story, author, kind="photo")
    with pytest.raises(NotFound):
        transcripts.set_transcript(curator, photo.id, "Text")


def test_the_uploader_may_write_it_on_someone_elses_story(setup):
    author, other, curator, story, _recording_ = setup
    theirs = _recording(story, other)
    transcripts.set_transcript(other, theirs.id, "Meine Aufnahme.")
    assert theirs.transcript == "Meine Aufnahme."


def test_too_long_is_refused_and_nothing_stored(setup):
    author, _other, _curator, _story, recording = setup
    with pytest.raises(ValidationError) as refused:
        transcripts.set_transcript(author, recording.id, "x" * (transcripts.MAX_TRANSCRIPT + 1))
    assert refused.value.field == "transcript" and recording.transcript == ""


def test_a_change_refreshes_the_places_search_vector(setup, monkeypatch):
    author, _other, _curator, story, recording = setup
    refreshed = []
    monkeypatch.setattr(transcripts, "refresh_search_vector", refreshed.append)
    transcripts.set_transcript(author, recording.id, "Gewogen wurde Käse.")
    assert refreshed == [story.place]
    transcripts.set_transcript(author, recording.id, "Gewogen wurde Käse.")
    assert len(refreshed) == 1  # unchanged text, nothing to refresh


def test_the_queue_marks_a_missing_transcript(setup, db_session):
    author, _other, curator, story, recording = setup
    [item] = [i for i in moderation.queue("story") if i["id"] == story.id]
    assert item["transcript_missing"] is True
    detail = moderation.item("story", story.id)
    assert detail["transcript_missing"] == [recording]
    transcripts.set_transcript(author, recording.id, "Jetzt mit Text.")
    [item] = [i for i in moderation.queue("story") if i["id"] == story.id]
    assert item["transcript_missing"] is False
    # It can be approved without one all the same (checked with a second recording).
    _recording(story, author)
    stories.review_story(curator, story.id, "approve")
    assert story.status == "approved"


def test_api_put_with_roles_first_and_bad_input(client, setup, db_session):
    author, other, _curator, _story, recording = setup
    as_author = {"Authorization": f"Bearer {create_api_token(author, 't')}"}
    as_other = {"Authorization": f"Bearer {create_api_token(other, 't')}"}
    db_session.commit()
    url = f"/api/v1/media/{recording.id}/transcript"
    assert client.put(url, json={"transcript": "x"}).status_code == 401
    # Roles before the body: no 422 for someone who may not write it.
    assert client.put(url, headers=as_other, json={"nonsense": 1}).status_code == 403
    assert client.put(url, headers=as_author, json={"nonsense": 1}).status_code == 422
    huge = client.put(url, headers=as_author,
                      json={"transcript": "x" * (transcripts.MAX_TRANSCRIPT + 1)})
    assert huge.status_code == 422 and huge.get_json()["error"]["field"] == "transcript"
    assert client.put("/api/v1/media/999999/transcript", headers=as_author,
                      json={"transcript": "x"}).status_code == 404
    done = client.put(url, headers=as_author, json={"transcript": "Ich erinnere mich."})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["transcript"] == "Ich erinnere mich."
    assert done.get_json()["transcript_by"] == "Anna Autorin"


def test_form_page_prg_and_hostile_text_shown_escaped(client, setup, db_session):
    author, other, curator, story, recording = setup
    stories.review_story(curator, story.id, "approve")
    db_session.commit()
    login(client, other.email)
    assert client.get(f"/media/{recording.id}/transcript").status_code == 403
    assert client.post(f"/media/{recording.id}/transcript",
                       data={"transcript": "x"}).status_code == 403
    client.post("/logout")
    login(client, author.email)
    page = client.get(f"/stories/{story.id}").get_data(as_text=True)
    assert f"/media/{recording.id}/transcript" in page  # "Add a transcript"
    too_long = client.post(f"/media/{recording.id}/transcript",
                           data={"transcript": "x" * (transcripts.MAX_TRANSCRIPT + 1)})
    assert too_long.status_code == 422 and 'id="transcript-error"' in too_long.get_data(True)
    hostile = "<script>alert(1)</script>\nZeile <b>zwei</b>"
    saved = client.post(f"/media/{recording.id}/transcript", data={"transcript": hostile,
                                                                  "csrf_token": "the page's"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/stories/{story.id}")
    client.post("/logout")
    for url in (f"/stories/{story.id}", f"/places/{story.place_id}"):
        shown = client.get(url).get_data(as_text=True)
        assert f'id="transcript-{recording.id}"' in shown, url
        assert "<script>alert(1)" not in shown and "&lt;script&gt;alert(1)" in shown
        assert "&lt;b&gt;zwei&lt;/b&gt;" in shown
        # Visitors read it; they are not offered to write it.
        assert f"/media/{recording.id}/transcript" not in shown


def test_the_offline_pack_carries_the_transcript(client, demo, db_session):
    """The pack lists the recording with its transcript, and the place page it saves shows
    it under the player."""
    author = create_user("author@example.org", name="Anna Autorin")
    curator = create_user("cur@example.org", role="curator", name="Clara Kuratorin")
    pack = client.get("/tours/altstadt-erinnerungen/offline.json").get_json()
    place_id = int(next(p for p in pack["pages"] if p.startswith("/places/")).rsplit("/", 1)[1])
    story = stories.add_story(author, place_id, StoryInput(
        title="Gehört", body="Ein Gespräch.", language="de", licence_consent=True))
    stories.review_story(curator, story.id, "approve")
    recording = _recording(story, author)
    transcripts.set_transcript(author, recording.id, "Wir gingen jeden Morgen hier vorbei.")
    db_session.commit()
    pack = client.get("/tours/altstadt-erinnerungen/offline.json").get_json()
    # the demo's recordings have no transcript yet: this one is the only one with text
    [entry] = [m for m in pack["media"] if m["kind"] == "audio" and m["transcript"]]
    assert entry["transcript"] == "Wir gingen jeden Morgen hier vorbei."
    page = client.get(f"/places/{place_id}").get_data(as_text=True)
    assert "Wir gingen jeden Morgen hier vorbei." in page


def test_the_queue_pages_show_the_missing_transcript(client, setup, db_session):
    _author, _other, curator, story, recording = setup
    db_session.commit()
    login(client, curator.email)
    queue = client.get("/curate?kind=story").get_data(as_text=True)
    assert "Abschrift fehlt" in queue  # the curator's account reads German
    item = client.get(f"/curate/story/{story.id}").get_data(as_text=True)
    assert 'id="transcript-missing"' in item
    assert f"/media/{recording.id}/transcript" in item
    transcripts.set_transcript(curator, recording.id, "Text.")
    db_session.commit()
    assert "Abschrift fehlt" not in client.get("/curate?kind=story").get_data(True)
