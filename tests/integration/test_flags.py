"""Reports: anyone may report public content; N different reporters hide it until a curator
resolves; anonymous reporters are counted by a keyed hash and rate limited; hidden content
leaves the public pages and API at once."""

import pytest
from sqlalchemy import select

from app.errors import Forbidden, NotFound, ValidationError
from app.models import Flag, ModerationEvent, Place, User
from app.services import flags
from app.services.mail import sent_messages
from app.services.places import public_state_token
from tests.conftest import create_user, login
from tests.integration.test_moderation_factory import add_media, pending_place


@pytest.fixture
def waaghaus(demo, db_session):
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def test_anonymous_reporters_are_keyed_hashes_not_addresses(app, waaghaus, db_session):
    flag = flags.create_flag(None, place_id=waaghaus.id, reason="wrong", remote_addr="203.0.113.7")
    assert len(flag.reporter_key) == 64 and "203.0.113.7" not in flag.reporter_key
    assert flag.reporter_key == flags.reporter_key(None, "203.0.113.7")
    app.config["SECRET_KEY"], old = "another secret", app.config["SECRET_KEY"]
    try:
        assert flags.reporter_key(None, "203.0.113.7") != flag.reporter_key
    finally:
        app.config["SECRET_KEY"] = old


def test_same_reporter_counts_once_and_threshold_hides(client, waaghaus, db_session):
    token = public_state_token()
    for _ in range(3):
        flags.create_flag(None, place_id=waaghaus.id, reason="offensive", remote_addr="198.51.100.1")
    assert waaghaus.hidden_at is None
    flags.create_flag(create_user("a@example.org"), place_id=waaghaus.id, reason="wrong")
    assert waaghaus.hidden_at is None
    flags.create_flag(None, place_id=waaghaus.id, reason="private", remote_addr="198.51.100.2")
    assert waaghaus.hidden_at is not None and not waaghaus.is_public
    assert public_state_token() != token
    [event] = db_session.scalars(select(ModerationEvent).where(
        ModerationEvent.action == "auto_hide")).all()
    assert event.actor_id is None and event.target_id == waaghaus.id
    db_session.flush()
    assert client.get(f"/places/{waaghaus.id}").status_code == 404
    assert client.get(f"/api/v1/places/{waaghaus.id}").status_code == 404
    ids = [f["id"] for f in client.get("/api/v1/places?limit=1000").json["features"]]
    assert waaghaus.id not in ids


def test_dismiss_shows_hidden_content_again(waaghaus, db_session, curator, app):
    app.config["FLAG_HIDE_THRESHOLD"] = 1
    try:
        flag = flags.create_flag(None, place_id=waaghaus.id, reason="wrong", remote_addr="x")
    finally:
        app.config["FLAG_HIDE_THRESHOLD"] = 3
    assert waaghaus.hidden_at is not None
    flags.resolve(curator, flag.id, "dismiss")
    assert waaghaus.is_public and flag.status == "dismissed"


def test_hide_remove_and_edit(waaghaus, db_session, curator):
    flag = flags.create_flag(None, place_id=waaghaus.id, reason="copyright", remote_addr="x")
    flags.resolve(curator, flag.id, "hide", message="Prüfen")
    assert waaghaus.hidden_at is not None and flag.resolution == "hide"
    flags.unhide(curator, "place", waaghaus.id)
    assert waaghaus.is_public
    second = flags.create_flag(None, place_id=waaghaus.id, reason="copyright", remote_addr="y")
    flags.resolve(curator, second.id, "remove")
    assert waaghaus.status == "archived" and not waaghaus.is_public


def test_flags_on_media_and_refusals(waaghaus, db_session, resident, curator):
    photo = add_media(waaghaus, resident, status="approved")
    flag = flags.create_flag(None, media_id=photo.id, reason="private", remote_addr="z")
    flags.resolve(curator, flag.id, "hide")
    assert photo.status == "hidden" and photo.hidden_at is not None
    with pytest.raises(NotFound):
        flags.create_flag(None, media_id=photo.id, reason="private", remote_addr="z")
    pending = pending_place(resident)
    with pytest.raises(NotFound):
        flags.create_flag(None, place_id=pending.id, reason="wrong", remote_addr="z")
    with pytest.raises(ValidationError):
        flags.create_flag(None, place_id=waaghaus.id, reason="boring", remote_addr="z")
    with pytest.raises(ValidationError):
        flags.create_flag(None, place_id=waaghaus.id, media_id=photo.id, reason="wrong")
    with pytest.raises(Forbidden):
        flags.resolve(resident, flag.id, "dismiss")


def test_anonymous_reports_are_rate_limited(app, waaghaus, db_session, resident):
    app.config["FLAG_ANONYMOUS_PER_HOUR"] = 2
    try:
        others = [pending_place(resident, f"Ort {i}") for i in range(3)]
        for p in others:
            p.status = "approved"
        db_session.flush()
        flags.create_flag(None, place_id=others[0].id, reason="wrong", remote_addr="q")
        flags.create_flag(None, place_id=others[1].id, reason="wrong", remote_addr="q")
        with pytest.raises(flags.TooManyReports):
            flags.create_flag(None, place_id=others[2].id, reason="wrong", remote_addr="q")
        # A logged-in reporter is not limited by the anonymous rule.
        flags.create_flag(resident, place_id=others[2].id, reason="wrong")
    finally:
        app.config.pop("FLAG_ANONYMOUS_PER_HOUR")


def test_api_and_place_page_report(client, waaghaus, db_session):
    resp = client.post("/api/v1/flags", json={"place_id": waaghaus.id, "reason": "wrong",
                                              "message": "Jahr falsch"})
    assert resp.status_code == 201 and resp.json["status"] == "open"
    bad = client.post("/api/v1/flags", json={"place_id": waaghaus.id, "reason": "meh"})
    assert bad.status_code == 422
    missing = client.post("/api/v1/flags", json={"place_id": 999999, "reason": "wrong"})
    assert missing.status_code == 404
    page = client.post(f"/places/{waaghaus.id}/report", data={"reason": "other"})
    assert page.status_code == 303
    assert db_session.scalar(select(Flag).where(Flag.reason == "other")) is not None


def test_flag_page_resolves_and_edit_resolution_keeps_hidden_until_edited(
        client, waaghaus, db_session, curator, app):
    app.config["FLAG_HIDE_THRESHOLD"] = 1
    try:
        flag = flags.create_flag(None, place_id=waaghaus.id, reason="wrong", remote_addr="r")
    finally:
        app.config["FLAG_HIDE_THRESHOLD"] = 3
    login(client, curator.email)
    assert "Waaghaus" in client.get("/curate/flags").text
    resp = client.post(f"/curate/flag/{flag.id}/resolve", data={"resolution": "edit"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        f"/places/{waaghaus.id}/edit")
    assert waaghaus.hidden_at is not None
    resp = client.patch(f"/api/v1/places/{waaghaus.id}",
                        json={"version": waaghaus.version, "body": "Korrigiert."})
    assert resp.status_code == 200
    db_session.refresh(waaghaus)
    assert waaghaus.is_public and waaghaus.body == "Korrigiert."


@pytest.fixture
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


def test_hiding_a_place_after_reports_is_mailed_to_its_author(waaghaus, db_session, curator,
                                                             outbox):
    author = db_session.get(User, waaghaus.author_id)
    author.locale = "de"
    first = flags.create_flag(None, place_id=waaghaus.id, reason="offensive", remote_addr="a",
                              message="Reporter's own words")
    flags.create_flag(None, place_id=waaghaus.id, reason="wrong", remote_addr="b")
    flags.resolve(curator, first.id, "hide", message="Note for the log only")
    assert outbox == []
    db_session.commit()
    [mail] = outbox
    assert mail["To"] == author.email
    assert mail["Subject"] == "Vorläufig verborgen: «Waaghaus»"
    body = mail.get_content()
    assert "eine Kuratorin oder ein Kurator hat es vorläufig verborgen" in body
    # The reasons as the report form words them; never the reporters' words or the note.
    assert "Etwas ist falsch oder veraltet; Es ist beleidigend" in body
    assert "Reporter's own words" not in body and "Note for the log only" not in body


def test_removing_a_photo_after_reports_is_mailed_to_its_uploader(waaghaus, db_session,
                                                                 curator, outbox):
    uploader = create_user("photographer@example.org")
    uploader.locale = "en"
    photo = add_media(waaghaus, uploader, status="approved")
    flag = flags.create_flag(None, media_id=photo.id, reason="copyright", remote_addr="a")
    flags.resolve(curator, flag.id, "remove")
    db_session.commit()
    [mail] = outbox
    assert mail["To"] == uploader.email
    assert mail["Subject"] == "Your photo of “Waaghaus” was taken down"
    body = mail.get_content()
    assert "visitors reported your photo of “Waaghaus”, and a curator has taken it down" in body
    assert "What the reports said: It breaks copyright" in body


@pytest.mark.parametrize(("target", "resolution", "subject"), [
    ("place", "remove", "Taken down: “Waaghaus”"),
    ("audio", "hide", "Your recording about “Waaghaus” is hidden for now"),
])
def test_every_hide_and_remove_is_mailed(waaghaus, db_session, curator, resident, outbox,
                                         target, resolution, subject):
    resident.locale = "en"
    if target == "place":
        waaghaus.author_id = resident.id
        flag = flags.create_flag(None, place_id=waaghaus.id, reason="other", remote_addr="a")
    else:
        recording = add_media(waaghaus, resident, kind="audio", status="approved")
        flag = flags.create_flag(None, media_id=recording.id, reason="other", remote_addr="a")
    flags.resolve(curator, flag.id, resolution)
    db_session.commit()
    [mail] = outbox
    assert mail["To"] == resident.email and mail["Subject"] == subject


def test_dismiss_and_edit_mail_nobody(waaghaus, db_session, curator, outbox):
    for resolution in ("dismiss", "edit"):
        flag = flags.create_flag(None, place_id=waaghaus.id, reason="wrong", remote_addr="a")
        flags.resolve(curator, flag.id, resolution)
    db_session.commit()
    assert outbox == []


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "meh"}, "reason"),
    ({"reason": "wrong", "message": "x" * (flags.MAX_MESSAGE + 1)}, "message"),
    ({"reason": "wrong", "reporter_key": "someone else"}, "reporter_key"),
])
def test_api_report_refuses_bad_input_naming_the_field(client, waaghaus, db_session, body,
                                                       field):
    before = db_session.scalars(select(Flag)).all()
    resp = client.post("/api/v1/flags", json={"place_id": waaghaus.id, **body})
    assert resp.status_code == 422 and resp.json["error"]["field"] == field
    assert db_session.scalars(select(Flag)).all() == before
