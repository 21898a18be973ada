"""The place page with many stories: each further public story with its kind, era and
narrator, the lead story's text gone once withdrawn, and the stories in one query."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event, select

from app.extensions import db
from app.models import Place
from app.services import stories
from app.services.stories import StoryInput


def _waaghaus(db_session) -> Place:
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


def _approved(resident, curator, place, **kw) -> object:
    values = {"title": "Käse wiegen", "body": "Mein Grossvater wog hier Käse.",
              "licence_consent": True} | kw
    story = stories.add_story(resident, place.id, StoryInput(**values))
    stories.review_story(curator, story.id, "approve")
    return story


def test_the_place_page_lists_further_stories_and_hides_a_withdrawn_lead(
        demo, db_session, client, resident, curator):
    place = _waaghaus(db_session)
    _approved(resident, curator, place, era="ca. 1955", kind="history")
    told = stories.add_story(resident, place.id, StoryInput(
        title="Für Frieda", body="Sie kaufte hier ein.", author_name="Frieda Keller",
        consent_method="spoken", consent_date=date(2026, 1, 5),
        licence_consent=True, era="1930s"))
    stories.review_story(curator, told.id, "approve")
    db_session.commit()
    html = client.get(f"/places/{place.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "Mein Grossvater wog hier Käse." in html and "Sie kaufte hier ein." in html
    assert "2 more stories of this place" in html
    assert "about 1955" in html and "History" in html and "the 1930s" in html
    assert "Story by Frieda Keller" in html
    assert html.index("Sie kaufte hier ein.") < html.index("Mein Grossvater")  # newest first
    lead_text = place.body.split("\n")[0]
    assert lead_text in html
    lead = stories.lead_story(place)
    lead.status = "withdrawn"
    db_session.commit()
    html = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert lead_text not in html and "Sie kaufte hier ein." in html
    feature = client.get(f"/api/v1/places/{place.id}").get_json()
    assert feature["properties"]["body"] == ""


def test_fifty_stories_are_read_in_one_query(demo, db_session, client, resident, curator):
    place = _waaghaus(db_session)
    for i in range(50):
        _approved(resident, curator, place, title=f"Stimme {i}", body=f"Erinnerung {i}.")
    db_session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get(f"/places/{place.id}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert "Erinnerung 49." in html and "Erinnerung 0." in html
    from_stories = [s for s in statements if "FROM stories" in s and "EXISTS" not in s
                    and s.lstrip().upper().startswith("SELECT")]
    assert len(from_stories) == 1, from_stories
