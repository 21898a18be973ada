"""Stories at a shared place (services): adding, refusing bad input with nothing stored,
the author's edit (others 403, stale 409), withdrawal, review one by one, merge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.models import ModerationEvent, Place, Story, StoryRevision
from app.services import moderation, stories, visibility
from app.services.stories import StoryInput
from tests.conftest import create_user
from tests.integration.test_moderation_factory import pending_place


def _waaghaus(db_session) -> Place:
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def _memory(**kw) -> StoryInput:
    values = {"title": "Käse wiegen", "body": "Mein Grossvater wog hier *Käse*.",
              "era": "1950s", "language": "de", "licence_consent": True}
    values.update(kw)
    return StoryInput(**values)


def _counts(db_session) -> tuple[int, int]:
    return (db_session.scalar(select(func.count(Story.id))),
            db_session.scalar(select(func.count(StoryRevision.id))))


def test_every_demo_place_has_its_lead_story(demo, db_session):
    place = _waaghaus(db_session)
    lead = stories.lead_story(place)
    assert lead.body == place.body and lead.author_id == place.author_id
    assert lead.status == "approved" and visibility.is_public_story(lead)
    assert stories.public_stories(place.id) == [lead]


def test_a_second_resident_adds_a_story_that_waits_for_review(demo, db_session, resident,
                                                              curator):
    place = _waaghaus(db_session)
    story = stories.add_story(resident, place.id, _memory(era="ca. 1955", kind="history"))
    assert (story.status, story.author_id, story.kind) == ("pending", resident.id, "history")
    assert (story.era_start, story.era_end, story.era_precision) == (1950, 1960, "circa")
    assert story.licence == "CC-BY-SA-4.0" and story.credit_name == resident.display_name
    assert story not in stories.public_stories(place.id)
    stories.review_story(curator, story.id, "approve", message="Danke")
    assert stories.public_stories(place.id)[0] == story
    assert len(stories.public_stories(place.id)) == 2
    event = db_session.scalars(select(ModerationEvent).where(
        ModerationEvent.target_type == "story")).one()
    assert (event.action, event.target_id) == ("approve", story.id)


def test_on_behalf_credits_the_narrator_and_records_the_helper(demo, db_session, resident):
    story = stories.add_story(resident, _waaghaus(db_session).id, _memory(
        author_name="Frieda Keller", consent_method="paper_form",
        consent_date=date(2026, 11, 1)))
    assert (story.author_id, story.helper_id, story.author_name) == (None, resident.id,
                                                                      "Frieda Keller")
    assert story.credit_name == "Frieda Keller" and story.consent_method == "paper_form"
    # the helper may edit and withdraw it for the narrator
    stories.edit_story(resident, story.id, _memory(body="Neu."), version=story.version)
    assert stories.withdraw_story(resident, story.id).status == "withdrawn"


@pytest.mark.parametrize("changes,field", [
    ({"author_name": "Frieda Keller"}, "consent_method"),
    ({"author_name": "Frieda Keller", "consent_method": "spoken"}, "consent_date"),
    ({"author_name": "Frieda Keller", "consent_method": "spoken",
      "consent_date": date.today() + timedelta(days=2)}, "consent_date"),
    ({"language": "xx"}, "language"),
    ({"era": str(datetime.now(UTC).year + 1)}, "era"),
    ({"era": "999"}, "era"),
    ({"era": "long ago"}, "era"),
    ({"kind": "poem"}, "kind"),
    ({"licence": "proprietary"}, "licence"),
    ({"title": ""}, "title"),
    ({"title": "x" * 141}, "title"),
    ({"licence_consent": False}, "licence_consent"),
])
def test_bad_input_names_the_field_and_stores_nothing(demo, db_session, resident, changes,
                                                      field):
    before = _counts(db_session)
    with pytest.raises(ValidationError) as refused:
        stories.add_story(resident, _waaghaus(db_session).id, _memory(**changes))
    assert refused.value.field == field and refused.value.status == 422
    assert _counts(db_session) == before


def test_no_story_at_a_merged_removed_or_missing_place(demo, db_session, resident, curator):
    target = _waaghaus(db_session)
    dup = pending_place(resident, "Waaghaus am Markt")
    moderation.merge(curator, dup.id, target.id)
    before = _counts(db_session)
    for place_id in (dup.id,):
        with pytest.raises(ValidationError) as refused:
            stories.add_story(resident, place_id, _memory())
        assert refused.value.field == "place"
    with pytest.raises(NotFound):
        stories.add_story(resident, 10**9, _memory())
    assert _counts(db_session) == before


def test_only_the_author_helper_or_a_curator_edits_and_stale_edits_are_409(
        demo, db_session, resident, curator):
    story = stories.add_story(resident, _waaghaus(db_session).id, _memory())
    other = create_user("other@example.org", name="Other")
    with pytest.raises(Forbidden) as refused:
        stories.edit_story(other, story.id, _memory(body="Meins!"), version=story.version)
    assert refused.value.status == 403 and story.body == "Mein Grossvater wog hier *Käse*."
    seen = story.version
    stories.edit_story(resident, story.id, _memory(body="Zweite Fassung."), version=seen)
    with pytest.raises(Conflict) as stale:
        stories.edit_story(curator, story.id, _memory(body="Kurator."), version=seen)
    assert stale.value.status == 409 and stale.value.code == "stale_version"
    assert stale.value.current["snapshot"]["body"] == "Zweite Fassung."
    stories.edit_story(curator, story.id, _memory(body="Kurator."), version=story.version)
    assert story.body == "Kurator."
    numbers = db_session.scalars(select(StoryRevision.number).where(
        StoryRevision.story_id == story.id).order_by(StoryRevision.number)).all()
    assert numbers == [1, 2, 3]


def test_an_approved_story_edited_by_its_author_waits_for_review_again(demo, db_session,
                                                                       resident, curator):
    story = stories.add_story(resident, _waaghaus(db_session).id, _memory())
    stories.review_story(curator, story.id, "approve")
    stories.edit_story(resident, story.id, _memory(body="Anders."), version=story.version)
    assert story.status == "pending" and not visibility.is_public_story(story)


def test_withdrawal_by_the_narrator_only_and_it_leaves_the_public_list(demo, db_session,
                                                                       resident, curator):
    place = _waaghaus(db_session)
    story = stories.add_story(resident, place.id, _memory())
    stories.review_story(curator, story.id, "approve")
    with pytest.raises(Forbidden):
        stories.withdraw_story(curator, story.id)
    stories.withdraw_story(resident, story.id)
    assert story.status == "withdrawn" and story.withdrawn_at is not None
    assert story not in stories.public_stories(place.id)
    assert not visibility.is_public_story(story)
    with pytest.raises(Conflict):
        stories.edit_story(resident, story.id, _memory(), version=story.version)


def test_three_pending_stories_are_three_queue_items_decided_one_by_one(
        demo, db_session, resident, curator):
    place = _waaghaus(db_session)
    made = [stories.add_story(resident, place.id, _memory(title=f"Teil {i}")) for i in range(3)]
    queue = [s for s in stories.pending_stories() if s.place_id == place.id]
    assert queue == made
    stories.review_story(curator, made[0].id, "approve",
                         changes=_memory(title="Teil 0, korrigiert"))
    stories.review_story(curator, made[1].id, "reject", reason="inaccurate")
    stories.review_story(curator, made[2].id, "request_changes", message="Wann genau?")
    assert [s.status for s in made] == ["approved", "rejected", "changes_requested"]
    assert made[0].title == "Teil 0, korrigiert"
    with pytest.raises(Conflict):
        stories.review_story(curator, made[0].id, "approve")
    with pytest.raises(Forbidden):
        stories.review_story(resident, made[1].id, "approve")
    with pytest.raises(ValidationError):
        stories.review_story(curator, stories.add_story(resident, place.id, _memory()).id,
                             "maybe")


def test_hidden_place_hides_its_stories(demo, db_session, resident, curator):
    place = _waaghaus(db_session)
    story = stories.add_story(resident, place.id, _memory())
    stories.review_story(curator, story.id, "approve")
    place.hidden_at = datetime.now(UTC)
    db_session.flush()
    assert stories.public_stories(place.id) == []


def test_the_curators_queue_has_one_item_per_story_and_decides_them(
        demo, db_session, client, resident, curator):
    from tests.conftest import login

    place = _waaghaus(db_session)
    made = [stories.add_story(resident, place.id, _memory(title=f"Stimme {i}"))
            for i in range(3)]
    items = moderation.queue("story")
    assert [(i["kind"], i["id"], i["place_id"]) for i in items] == [
        ("story", s.id, place.id) for s in made]
    assert moderation.counts()["story"] == 3
    found = moderation.item("story", made[0].id)
    assert found["story"] is made[0]
    assert [s.is_lead for s in found["other_stories"]] == [True]
    db_session.commit()
    login(client, curator.email)
    html = client.get(f"/curate/story/{made[0].id}", headers={"Accept-Language": "en"}
                      ).get_data(as_text=True)
    assert "Stimme 0" in html and 'class="other-stories"' in html
    assert place.body.split("\n")[0][:60] in html  # the lead story beside it
    resp = client.post(f"/curate/story/{made[0].id}/decide",
                       data={"decision": "approve", "message": ""})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    db_session.expire_all()
    assert db_session.get(Story, made[0].id).status == "approved"
    result = moderation.decide(curator, "story", made[1].id, "reject", reason="inaccurate")
    assert result["status"] == "rejected"
    assert [i["id"] for i in moderation.queue("story")] == [made[2].id]


def test_a_story_split_from_an_old_merge_waits_to_be_checked(demo, db_session, resident,
                                                              curator):
    place = _waaghaus(db_session)
    story = stories.add_story(resident, place.id, _memory())
    story.status, story.needs_check = "approved", True
    db_session.flush()
    assert [i["id"] for i in moderation.queue("story")] == [story.id]
    assert moderation.queue("story")[0]["detail"]
    stories.review_story(curator, story.id, "approve")
    assert not story.needs_check and story.status == "approved"
    assert moderation.queue("story") == []


@pytest.mark.parametrize("choice", ["delete", "anonymise"])
def test_deleting_an_account_deletes_or_anonymises_its_stories(demo, db_session, curator,
                                                               choice):
    from app.services import accounts

    teller = create_user(f"teller-{choice}@example.org", name="Tilda Teller")
    place = _waaghaus(db_session)
    own = stories.add_story(teller, place.id, _memory())
    stories.review_story(curator, own.id, "approve")
    told = stories.add_story(teller, place.id, _memory(
        author_name="Frieda Keller", consent_method="spoken", consent_date=date(2026, 1, 5)))
    own_id, told_id = own.id, told.id
    accounts.delete_account(teller, "a long passphrase 42", choice)
    db_session.expire_all()
    kept = db_session.get(Story, own_id)
    if choice == "delete":
        assert kept is None
    else:
        assert kept.author_id is None and kept.credit_name == ""
        assert "Tilda" not in str(stories.public_stories(place.id)[0].credit_name)
    # told on Frieda's behalf: hers, and it stays
    frieda = db_session.get(Story, told_id)
    assert frieda is not None and frieda.credit_name == "Frieda Keller"
    assert frieda.helper_id is None


def test_a_curator_moves_a_story_to_the_place_it_is_about(demo, db_session, resident,
                                                           curator):
    from tests.integration.test_moderation_factory import add_media

    waaghaus = _waaghaus(db_session)
    other = db_session.scalar(select(Place).where(Place.id != waaghaus.id,
                                                  visibility.public_place()).limit(1))
    story = stories.add_story(resident, waaghaus.id, _memory())
    stories.review_story(curator, story.id, "approve")
    photo = add_media(waaghaus, resident, status="approved")
    photo.story_id = story.id
    db_session.flush()
    with pytest.raises(Forbidden):
        stories.move_story(resident, story.id, other.id)
    with pytest.raises(ValidationError) as refused:
        stories.move_story(curator, stories.lead_story(waaghaus).id, other.id)
    assert refused.value.field == "story"
    with pytest.raises(ValidationError) as refused:
        stories.move_story(curator, story.id, waaghaus.id)
    assert refused.value.field == "place"
    stories.move_story(curator, story.id, other.id)
    assert story.place_id == other.id and photo.place_id == other.id
    assert story in stories.public_stories(other.id)
    assert story not in stories.public_stories(waaghaus.id)


def test_the_demo_city_has_places_with_many_voices(demo, db_session):
    rows = db_session.execute(
        select(Story.place_id, func.count(Story.id), func.count(func.distinct(Story.credit_name)),
               func.count(Story.helper_id))
        .join(Place, Place.id == Story.place_id)
        .where(visibility.public_story()).group_by(Story.place_id)
        .having(func.count(Story.id) >= 2)).all()
    assert len(rows) >= 3
    assert all(voices >= 2 for _place, _n, voices, _helped in rows)
    assert sum(helped for *_rest, helped in rows) >= 2  # told on someone's behalf
    eras = db_session.scalars(select(Story.era_precision).where(
        Story.place_id.in_([r[0] for r in rows]))).all()
    assert {"decade", "circa", "range"} <= set(eras)
