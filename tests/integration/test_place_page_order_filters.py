"""The place page orders its stories newest first or by era (oldest first, undated last) and
filters them by language and kind, through a plain GET form with a count per choice; a
choice it does not offer is a 400 naming it; however the page is asked, the stories come in
one query."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Place
from app.services import stories
from app.services.stories import StoryInput


def _waaghaus() -> Place:
    return db.session.scalar(select(Place).where(Place.title == "Waaghaus"))


def _approved(resident, curator, place, title, **kw):
    values = {"title": title, "body": f"Text von {title}.", "licence_consent": True} | kw
    story = stories.add_story(resident, place.id, StoryInput(**values))
    stories.review_story(curator, story.id, "approve")
    return story


@pytest.fixture
def voices(demo, db_session, resident, curator):
    """Four further stories at the Waaghaus, added in this order (so newest is the last)."""
    place = _waaghaus()
    _approved(resident, curator, place, "Dreissiger", era="1930s", language="de", kind="memory")
    _approved(resident, curator, place, "Neunzig", era="1990", language="en", kind="history")
    _approved(resident, curator, place, "Ohne Jahr", language="de", kind="tip")
    _approved(resident, curator, place, "Um 1955", era="ca. 1955", language="en", kind="memory")
    # not listed: waiting for review
    stories.add_story(resident, place.id, StoryInput(title="Wartet", body="x",
                                                     licence_consent=True, language="en"))
    db_session.commit()
    return place


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/stories/\d+">([^<]+)</a></h3>', html)


def _page(client, place, **args) -> str:
    resp = client.get(f"/places/{place.id}", query_string=args,
                      headers={"Accept-Language": "en"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return resp.get_data(as_text=True)


def test_newest_first_by_default_and_by_era_oldest_first_undated_last(client, voices):
    assert _titles(_page(client, voices)) == ["Um 1955", "Ohne Jahr", "Neunzig", "Dreissiger"]
    assert _titles(_page(client, voices, order="newest")) == _titles(_page(client, voices))
    assert _titles(_page(client, voices, order="era")) == [
        "Dreissiger", "Um 1955", "Neunzig", "Ohne Jahr"]


def test_filters_by_language_and_kind_with_counts_in_a_form_without_javascript(
        client, voices):
    html = _page(client, voices)
    form = re.search(r'<form class="story-filters" method="get".*?</form>', html, re.S)[0]
    for name in ("order", "language", "kind"):
        assert f'name="{name}"' in form and f'for="story-{name}"' in form
    assert "All languages (4)" in form and "Deutsch (2)" in form and "English (2)" in form
    assert "All kinds (4)" in form and "Memory (2)" in form and "History (1)" in form
    assert "Tip (1)" in form
    assert "4 more stories of this place" in html

    assert _titles(_page(client, voices, language="en")) == ["Um 1955", "Neunzig"]
    assert _titles(_page(client, voices, kind="tip")) == ["Ohne Jahr"]
    both = _page(client, voices, language="en", kind="memory", order="era")
    assert _titles(both) == ["Um 1955"]
    # the choices stay chosen, the counts are of all the place's stories, and a way back
    assert '<option value="en" lang="en" selected>' in both
    assert '<option value="era" selected>' in both and "All languages (4)" in both
    assert "1 story shown." in both and "Show all stories" in both
    assert _titles(_page(client, voices, language="de", kind="history")) == []
    # an empty choice is the form's "any"; other arguments are ignored
    assert len(_titles(_page(client, voices, language="", kind="", order="", utm="x"))) == 4


@pytest.mark.parametrize(("args", "message"), [
    ({"order": "oldest"}, "Order the stories by newest or by era."),
    ({"language": "fr"}, "Choose a language Stadtspur offers."),
    ({"kind": "poem"}, "Choose memory, history or tip."),
])
def test_a_choice_the_page_does_not_offer_is_refused(client, voices, args, message):
    resp = client.get(f"/places/{voices.id}", query_string=args,
                      headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_a_place_with_one_further_story_has_no_form(demo, db_session, client, resident,
                                                     curator):
    place = _waaghaus()
    _approved(resident, curator, place, "Allein")
    db_session.commit()
    html = _page(client, place)
    assert _titles(html) == ["Allein"] and "story-filters" not in html


def test_fifty_stories_ordered_and_filtered_in_one_query(demo, db_session, client, resident,
                                                        curator):
    place = _waaghaus()
    for i in range(50):
        _approved(resident, curator, place, f"Stimme {i}", era=str(1900 + i),
                  language="en" if i % 2 else "de", kind="history" if i % 5 else "tip")
    db_session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = _page(client, place, order="era", language="en", kind="history")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    shown = _titles(html)
    assert shown[0] == "Stimme 1" and shown[-1] == "Stimme 49" and len(shown) == 20
    assert "English (25)" in html and "Tip (10)" in html
    from_stories = [s for s in statements if "FROM stories" in s and "EXISTS" not in s
                    and s.lstrip().upper().startswith("SELECT")]
    assert len(from_stories) == 1, from_stories
