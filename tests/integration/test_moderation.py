"""Moderation service: the queue, approve / reject / ask for changes / edit before approving /
merge, the log, mails, reply templates and role changes."""

import io

import pytest
from sqlalchemy import select, text

from app.errors import Conflict, Forbidden, ValidationError
from app.inputs.edits import load_edit
from app.models import Flag, Media, ModerationEvent, Place, PlaceRevision, Story, TourStop
from app.services import audit, moderation, revisions, stories
from app.services.mail import sent_messages
from app.services.places import public_state_token
from tests.conftest import create_user
from tests.integration.test_moderation_factory import LAT, LON, add_media, pending_place


@pytest.fixture(autouse=True)
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


def events(db_session, action=None):
    stmt = select(ModerationEvent).order_by(ModerationEvent.id)
    if action:
        stmt = stmt.where(ModerationEvent.action == action)
    return list(db_session.scalars(stmt))


def test_queue_lists_every_kind_oldest_first_and_filters(demo, db_session, resident, curator):
    first = pending_place(resident, "Erste Mühle")
    public = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    public.author_id = resident.id  # the author proposes an edit of their public place
    photo = add_media(public, resident)
    edit = revisions.save_edit(resident, public.id, load_edit({"body": "Neu"}),
                               base_version=public.version)
    db_session.add(Flag(place_id=public.id, reporter_key="k1", reason="wrong"))
    db_session.flush()
    items = moderation.queue()
    kinds = [(i["kind"], i["id"]) for i in items]
    assert {("place", first.id), ("media", photo.id), ("edit", edit.id)} <= set(kinds)
    assert any(k == "flag" for k, _ in kinds)
    assert [i["created_at"] for i in items] == sorted(i["created_at"] for i in items)
    assert [i["kind"] for i in moderation.queue("media")] == ["media"]
    assert moderation.counts() == {"place": 1, "edit": 1, "media": 1, "flag": 1, "story": 0,
                                   "reply": 0, "talk": 0, "total": 4}
    # The theme filter: the new place has no theme, the public one has.
    theme = public.themes[0].slug
    filtered = [(i["kind"], i["id"]) for i in moderation.queue(theme=theme)]
    assert ("place", first.id) not in filtered
    assert ("media", photo.id) in filtered and ("edit", edit.id) in filtered
    with pytest.raises(ValidationError):
        moderation.queue("nonsense")


def test_approve_new_place_publishes_it_logs_mails_and_indexes(demo, db_session, resident,
                                                               curator, outbox):
    place = pending_place(resident, "Alte Mühle", body="Die Zollstation am Bach.", media=1)
    token = public_state_token()
    result = moderation.decide(curator, "place", place.id, "approve", message="Schön!",
                               version=place.version)
    db_session.commit()
    assert result["status"] == "approved" and place.is_public and place.published_at
    assert all(m.status == "approved" for m in place.media)
    rev = revisions.open_revision(place) or revisions.public_revision(place)
    assert rev.status == "approved" and rev.review_message == "Schön!"
    assert rev.reviewer_id == curator.id
    [event] = events(db_session, "approve")
    assert (event.actor_id, event.target_type, event.target_id) == (curator.id, "place", place.id)
    assert (event.before_status, event.after_status) == ("pending", "approved")
    [mail] = outbox
    assert mail["To"] == resident.email and "Alte Mühle" in mail["Subject"]
    assert "Schön!" in mail.get_content()
    assert public_state_token() != token
    found = db_session.execute(text(
        "SELECT id FROM places WHERE search_vector @@ to_tsquery('german', 'Zollstation')"
    )).scalars().all()
    assert found == [place.id]


def test_reject_needs_reason_and_leaves_nothing_public(demo, db_session, resident, curator,
                                                       outbox):
    place = pending_place(resident, media=1)
    with pytest.raises(ValidationError) as exc:
        moderation.decide(curator, "place", place.id, "reject", message="no")
    assert exc.value.field == "reason"
    moderation.decide(curator, "place", place.id, "reject", reason="not_local",
                      message="Das liegt ausserhalb.")
    db_session.commit()
    assert place.status == "rejected" and not place.is_public
    assert place.media[0].status == "rejected"
    rev = db_session.scalar(select(PlaceRevision).where(PlaceRevision.place_id == place.id))
    assert rev.status == "rejected" and rev.review_message == "Das liegt ausserhalb."
    [event] = events(db_session, "reject")
    assert event.reason == "not_local"
    assert len(outbox) == 1 and "ausserhalb" in outbox[0].get_content()


def test_request_changes_makes_a_draft_the_author_can_edit(demo, db_session, resident, curator):
    place = pending_place(resident)
    with pytest.raises(ValidationError):
        moderation.decide(curator, "place", place.id, "request_changes", message="  ")
    moderation.decide(curator, "place", place.id, "request_changes",
                      message="Bitte ein Jahr angeben.")
    assert place.status == "draft"
    from app.services.contribute import my_contributions

    [mine] = my_contributions(resident)
    assert mine["revision_status"] == "changes_requested"
    assert mine["message"] == "Bitte ein Jahr angeben." and mine["editable"]
    assert moderation.latest_reviews([place.id])[place.id]["status"] == "changes_requested"
    # The author's corrected version is back in the queue.
    revisions.save_edit(resident, place.id, load_edit({"era": "1920"}),
                        base_version=place.version)
    assert place.status == "pending" and place.era_year == 1920
    assert ("place", place.id) in [(i["kind"], i["id"]) for i in moderation.queue()]


def test_edit_before_approving_is_its_own_revision(demo, db_session, resident, curator):
    place = pending_place(resident, "Alte Muhle")
    moderation.decide(curator, "place", place.id, "approve",
                      changes=load_edit({"title": "Alte Mühle", "lon": LON + 0.0001, "lat": LAT}))
    assert place.title == "Alte Mühle" and place.is_public
    hist = revisions.history(place.id)
    assert [(r.number, r.status, r.author_id) for r in hist] == [
        (2, "approved", curator.id), (1, "superseded", resident.id)]


def test_stale_version_on_review_is_refused(demo, db_session, resident, curator):
    place = pending_place(resident)
    with pytest.raises(Conflict):
        moderation.decide(curator, "place", place.id, "approve", version=place.version + 5)
    assert place.status == "pending"


def test_pending_edit_keeps_public_text_until_approved(demo, db_session, curator, resident):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    place.author_id = resident.id
    author = resident
    old_body = place.body
    moderation.refresh_search_vector(place)
    rev = revisions.save_edit(author, place.id,
                              load_edit({"body": "Ein Zollhaus mit Quarantänestation."}),
        base_version=place.version)
    db_session.expire_all()
    place = db_session.get(Place, place.id)
    assert rev.status == "pending" and place.body == old_body and place.is_public

    def vector_has(word):
        return db_session.scalar(text(
            "SELECT search_vector @@ to_tsquery('german', :w) FROM places WHERE id = :id"),
            {"w": word, "id": place.id})

    assert not vector_has("Quarantänestation")
    assert [i["id"] for i in moderation.queue("edit")] == [rev.id]
    item = moderation.item("edit", rev.id)
    assert item["changes"][0]["field"] == "body"
    moderation.decide(curator, "edit", rev.id, "approve", version=place.version)
    assert place.body == "Ein Zollhaus mit Quarantänestation."
    assert vector_has("Quarantänestation")


def test_reject_edit_keeps_public_place(demo, db_session, curator, resident):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    place.author_id = resident.id
    db_session.flush()  # the version moves with this write: edit from the one after it
    old = place.body
    rev = revisions.save_edit(resident, place.id, load_edit({"body": "Unsinn"}),
                              base_version=place.version)
    moderation.decide(curator, "edit", rev.id, "reject", reason="inaccurate")
    assert rev.status == "rejected" and place.body == old and place.is_public


def test_merge_moves_media_story_stops_and_redirects(demo, db_session, resident, curator,
                                                     outbox):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    stops_before = db_session.scalars(select(TourStop).where(TourStop.place_id == target.id)).all()
    dup = pending_place(resident, "Waaghaus am Markt", body="Mein Grossvater wog hier Käse.",
                        media=2)
    moderation.merge(curator, dup.id, target.id, message="Gleicher Ort.")
    db_session.commit()
    assert dup.merged_into_id == target.id and not dup.is_public
    moved = db_session.scalars(select(Media).where(Media.place_id == target.id)).all()
    assert len(moved) >= 2 and all(m.status == "approved" for m in moved)
    # The memory moves as a story of its own, with its author and media; nothing is
    # concatenated onto the target's text.
    assert "Mein Grossvater wog hier Käse." not in target.body
    story = db_session.scalar(select(Story).where(Story.place_id == target.id,
                                                  Story.author_id == resident.id))
    assert story.body == "Mein Grossvater wog hier Käse." and story.status == "approved"
    assert not story.is_lead and {m.story_id for m in moved if m.uploader_id == resident.id} \
        == {story.id}
    assert story in stories.public_stories(target.id)
    assert moderation.redirect_target(dup.id) == target.id
    assert len(db_session.scalars(select(TourStop).where(TourStop.place_id == target.id)).all()) \
        == len(stops_before)
    assert events(db_session, "merge")[0].target_id == dup.id
    assert outbox and outbox[0]["To"] == resident.email
    with pytest.raises(ValidationError):
        moderation.merge(curator, target.id, target.id)
    with pytest.raises(Conflict):
        moderation.merge(curator, dup.id, target.id)


def test_residents_cannot_decide(demo, db_session, resident):
    place = pending_place(resident)
    for call in (
        lambda: moderation.decide(resident, "place", place.id, "approve"),
        lambda: moderation.merge(resident, place.id, 1),
        lambda: moderation.create_template(resident, "x", "y", None),
    ):
        with pytest.raises(Forbidden):
            call()
    assert place.status == "pending"


def test_rolled_back_decision_sends_no_mail(demo, db_session, resident, curator, outbox):
    place = pending_place(resident)
    db_session.commit()
    moderation.decide(curator, "place", place.id, "approve")
    db_session.rollback()
    assert outbox == []


def test_reply_templates_crud(db_session, curator):
    tpl = moderation.create_template(curator, "Ausserhalb", "Leider ausserhalb.", "not_local")
    with pytest.raises(ValidationError):
        moderation.create_template(curator, "ausserhalb", "dup", None)
    with pytest.raises(ValidationError):
        moderation.create_template(curator, "", "x", None)
    with pytest.raises(ValidationError):
        moderation.create_template(curator, "X", "x", "bogus")
    moderation.update_template(curator, tpl.id, "Ausserhalb", "Neu.", None)
    assert [t.body for t in moderation.templates()] == ["Neu."]
    moderation.delete_template(curator, tpl.id)
    assert moderation.templates() == []
    assert [e.action for e in events(db_session)] == [
        "template_create", "template_update", "template_delete"]


def test_roles_only_by_admins_and_never_an_admin_by_a_curator(db_session, curator, admin,
                                                              resident):
    with pytest.raises(Forbidden):
        moderation.change_role(curator, admin.id, "resident")
    with pytest.raises(Forbidden):
        moderation.change_role(curator, resident.id, "curator")
    assert admin.role == "admin" and resident.role == "resident"
    with pytest.raises(Forbidden):
        moderation.change_role(admin, admin.id, "resident")
    moderation.change_role(admin, resident.id, "curator")
    assert resident.role == "curator"
    [event] = events(db_session, "role_change")
    assert (event.before_status, event.after_status) == ("resident", "curator")


def test_log_export_csv_is_oldest_first_and_formula_safe(db_session, curator):
    audit.log(curator, "approve", "place", 1, "pending", "approved", message="=HYPERLINK()")
    audit.log(curator, "reject", "place", 2, "pending", "rejected", reason="spam")
    out = io.StringIO()
    assert audit.export_log_csv(out) == 2
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("id,created_at,actor_id")
    assert ",approve," in lines[1] and "'=HYPERLINK()" in lines[1]
    assert ",reject," in lines[2] and "spam" in lines[2]
    filtered = audit.log_entries(audit.LogFilter(action="reject"))
    assert [e.target_id for e in filtered] == [2]


def test_moderation_event_rows_cannot_be_changed(db_session, curator):
    audit.log(curator, "approve", "place", 1, "pending", "approved")
    db_session.flush()
    # The trigger raises a database error.
    with pytest.raises(Exception), db_session.begin_nested():  # noqa: B017
        db_session.execute(text("UPDATE moderation_events SET action = 'x'"))


def test_contributor_summary_on_item(demo, db_session, resident, curator):
    other = create_user("other@example.org")
    place = pending_place(other)
    found = moderation.item("place", place.id)
    assert found["contributor"]["name"] == other.display_name
    assert found["version"] == place.version


def test_merge_moves_open_reports_to_the_surviving_place(demo, db_session, resident, curator):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    dup = pending_place(resident, "Waaghaus am Markt", media=1)
    dup.status = "approved"  # published twice, then reported as a duplicate
    db_session.flush()
    photo = dup.media[0]
    photo.status = "approved"
    open_reports = [Flag(place_id=dup.id, reporter_key=f"k{i}", reason="other")
                    for i in range(3)]
    done = Flag(place_id=dup.id, reporter_key="k9", reason="wrong", status="dismissed",
                resolution="dismiss")
    on_photo = Flag(media_id=photo.id, reporter_key="k1", reason="private")
    db_session.add_all([*open_reports, done, on_photo])
    db_session.flush()

    moderation.merge(curator, dup.id, target.id)
    db_session.commit()

    assert {f.place_id for f in open_reports} == {target.id}
    assert all(f.status == "open" for f in open_reports)
    assert done.place_id == dup.id  # the closed record stays where it happened
    assert on_photo.media_id == photo.id and photo.place_id == target.id
    [moved] = events(db_session, "flags_move")
    assert (moved.actor_id, moved.target_type, moved.target_id) == (curator.id, "place", dup.id)
    assert f"#{target.id}" in moved.message and "3" in moved.message
    # Waiting for a curator on the surviving place; nothing hidden by the move itself.
    flag_items = [i for i in moderation.queue("flag") if i["place_id"] == target.id]
    assert {i["target"] for i in flag_items} == {"place", "media"}
    assert target.is_public and target.hidden_at is None
    assert moderation.counts()["flag"] == 2


def test_merge_without_open_reports_logs_no_move(demo, db_session, resident, curator):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    dup = pending_place(resident, "Waaghaus am Markt")
    moderation.merge(curator, dup.id, target.id)
    assert events(db_session, "flags_move") == []


def _set_locale(user, locale):
    user.locale = locale
    return user


@pytest.mark.parametrize(("locale", "subject", "line"), [
    ("en", "Your photo of “Waaghaus” is public",
     "a curator approved your photo of “Waaghaus”. It is public now:"),
    ("de", "Ihr Foto von «Waaghaus» ist öffentlich",
     "Eine Kuratorin oder ein Kurator hat Ihr Foto von «Waaghaus» freigegeben."),
])
def test_approved_photo_is_mailed_to_its_uploader_in_their_language(
        demo, db_session, curator, outbox, locale, subject, line):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    uploader = _set_locale(create_user("photographer@example.org", name="Foto Grafin"), locale)
    photo = add_media(target, uploader)
    moderation.decide(curator, "media", photo.id, "approve", message="Danke!")
    assert outbox == []  # only once the decision is committed
    db_session.commit()
    [mail] = outbox
    assert mail["To"] == uploader.email and mail["Subject"] == subject
    body = mail.get_content()
    assert line in body and f"/places/{target.id}" in body
    assert "Danke!" in body and "/me/contributions" in body


@pytest.mark.parametrize(("locale", "subject", "reason"), [
    ("en", "Your recording about “Waaghaus” was not published", "Private information"),
    ("de", "Ihre Aufnahme zu «Waaghaus» wurde nicht veröffentlicht", "Private Informationen"),
])
def test_rejected_recording_is_mailed_with_the_reason(demo, db_session, curator, outbox,
                                                      locale, subject, reason):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    uploader = _set_locale(create_user("voice@example.org"), locale)
    recording = add_media(target, uploader, kind="audio")
    moderation.decide(curator, "media", recording.id, "reject", reason="private")
    db_session.commit()
    assert recording.status == "rejected"
    [mail] = outbox
    assert mail["To"] == uploader.email and mail["Subject"] == subject
    assert reason in mail.get_content()


def test_media_decision_mails_nobody_without_an_active_uploader(demo, db_session, curator,
                                                                outbox):
    target = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    gone = create_user("gone@example.org")
    gone.active = False
    for uploader in (None, gone):
        photo = add_media(target, uploader)
        moderation.decide(curator, "media", photo.id, "approve")
    db_session.commit()
    assert outbox == []
