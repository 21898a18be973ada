"""The first visitor pages render real content from the database, in both languages."""

from markupsafe import escape
from sqlalchemy import select

from app.models import Place, Tour


def _first_tour(db_session):
    return db_session.scalar(select(Tour).where(Tour.status == "published").order_by(Tour.id))


def test_home_lists_places_and_tours(client, demo, db_session):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    tours = db_session.scalars(select(Tour).where(Tour.status == "published")).all()
    assert len(tours) >= 3
    for tour in tours:
        assert tour.title in html
    assert 'data-map' in html
    assert 'rel="manifest"' in html
    assert 'name="viewport"' in html


def test_home_in_german_by_accept_language(client, demo):
    html = client.get("/", headers={"Accept-Language": "de-CH,de;q=0.9"}).get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "Rundgänge" in html


def test_language_switch_is_remembered(client, demo):
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Tours" in html


def test_place_page_shows_story_and_credit(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.status == "approved").order_by(Place.id))
    html = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert place.title in html
    assert "CC BY-SA 4.0" in html


def test_unapproved_place_is_not_public(client, demo, db_session):
    place = db_session.scalar(select(Place).order_by(Place.id))
    place.status = "pending"
    db_session.flush()
    assert client.get(f"/places/{place.id}").status_code == 404


def test_tour_page_lists_stops_in_order(client, demo, db_session):
    tour = _first_tour(db_session)
    html = client.get(f"/tours/{tour.slug}").get_data(as_text=True)
    stop_list = html[html.index('id="stop-list"'):]
    positions = [stop_list.index(f">{escape(s.place.title)}<") for s in tour.stops]
    assert positions == sorted(positions)
    assert tour.length_m > 100
    assert tour.duration_relaxed_min > tour.duration_normal_min


def test_story_markdown_is_sanitised(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.status == "approved").order_by(Place.id))
    place.body = "Hello <script>alert(1)</script> [x](javascript:alert(1)) *ok*"
    db_session.flush()
    html = client.get(f"/places/{place.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "href=\"javascript" not in html  # the link is refused; its text stays inert
    assert "<em>ok</em>" in html


def test_seed_is_idempotent(app, db_session, demo):
    from app.services.seed import seed_demo

    again = seed_demo()
    assert again["places"] == 0 and again["tours"] == 0 and again["accounts"] == {}
    assert db_session.scalar(select(Place.id).where(Place.slug.is_(None))) is None


def test_demo_content_is_rich_enough(demo, db_session):
    from app.models import Theme

    assert db_session.query(Place).filter_by(status="approved").count() >= 30
    assert db_session.query(Theme).count() >= 4
    assert set(demo["accounts"]) == {
        "resident@demo.stadtspur.ch", "curator@demo.stadtspur.ch", "admin@demo.stadtspur.ch"
    }


def test_hidden_stop_leaves_no_trace_of_its_place_on_the_tour_page(client, demo, db_session):
    from datetime import UTC, datetime

    tour = _first_tour(db_session)
    hidden = tour.stops[1].place
    hidden.hidden_at = datetime.now(UTC)
    # Unique words: the real title may appear in the tour author's own transition notes.
    hidden.title = "Hausnummer Geheimweg"
    hidden.summary = "Summary that must not leak"
    db_session.flush()
    html = client.get(f"/tours/{tour.slug}").get_data(as_text=True)
    assert hidden.title not in html
    assert "Summary that must not leak" not in html
    follow = client.get(f"/tours/{tour.slug}/follow").get_data(as_text=True)
    assert hidden.title not in follow
    embed = client.get(f"/embed/tours/{tour.slug}").get_data(as_text=True)
    assert hidden.title not in embed


def test_a_story_in_another_language_is_marked_as_such_but_not_the_labels(
        client, demo, db_session):
    import lxml.html

    place = db_session.scalar(select(Place).where(Place.language == "en",
                                                  Place.era_year.isnot(None)).limit(1))
    assert place is not None
    resp = client.get(f"/places/{place.id}", headers={"Accept-Language": "de"})
    page = lxml.html.fromstring(resp.data)
    assert page.xpath("//article/h1/@lang") == ["en"]
    assert page.xpath('//div[@class="story"]/@lang') == ["en"]
    # The German label next to the story is read out in German, not with an English voice.
    [era] = page.xpath('//p[@class="era"]')
    assert "Wann war das?" in era.text_content()
    assert not era.xpath("ancestor-or-self::*[@lang='en']")
