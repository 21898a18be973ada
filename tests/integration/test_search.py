"""Search over places and tours: typo tolerant, accent and case insensitive, with filters and
distance order; bad parameters give a clear 422."""

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from app.models import Media, Place
from app.services import search as search_service
from app.web.search import search_params


def _search(**args):
    return search_service.search(search_params(MultiDict(args)))


def titles(results):
    return [p["title"] for p in results.places]


@pytest.mark.parametrize("typed", ["Fotomusem", "fotomuseum", "FOTOMUSEUM winterthur"])
def test_typos_and_case_find_the_photo_museum(demo, typed):
    assert titles(_search(q=typed))[0] == "Fotomuseum Winterthur"


@pytest.mark.parametrize("typed", ["schloss kyburg", "SCHLOSS KYBURG", "Schloß Kyburg", "Kybrug"])
def test_castle_found_whatever_the_spelling(demo, typed):
    assert titles(_search(q=typed))[0] == "Schloss Kyburg"


def test_accents_do_not_matter_either_way(demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Burgruine Alt-Wülflingen"))
    assert place.id in [p["id"] for p in _search(q="burgruine alt wulflingen").places]
    place.title = "Café Zürich"
    db_session.flush()
    assert titles(_search(q="cafe zurich"))[0] == "Café Zürich"


def test_full_text_finds_words_in_the_story_in_german_and_english(demo):
    # "Birnen" is only in the body of the station's story; German stemming finds "Birne".
    assert "Hauptbahnhof Winterthur" in titles(_search(q="Birne"))
    # English stories and tours: "entertainment" and "vegetable varieties" are in the texts.
    assert "Marktgasse" in titles(_search(q="entertain"))
    tours = [t["slug"] for t in _search(q="vegetables").tours]
    assert tours == ["gaerten-spaziergang"]


def test_stored_search_vector_is_used_when_present(demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    # As search_index.refresh_search_vector writes it on approval: a word only the vector has.
    db_session.execute(
        update(Place).where(Place.id == place.id)
        .values(search_vector=func.to_tsvector("simple", "Zollstation"))
    )
    assert "Waaghaus" in titles(_search(q="Zollstation"))


def test_only_public_places_are_found(demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Schloss Kyburg"))
    place.status = "pending"
    db_session.flush()
    assert "Schloss Kyburg" not in titles(_search(q="Schloss Kyburg"))


def test_filters_theme_era_step_free_and_audio(demo, db_session):
    in_theme = titles(_search(theme="fotografie"))
    assert "Fotomuseum Winterthur" in in_theme and "Waaghaus" not in in_theme
    old = _search(era="before-1900").places
    assert old and all(p["era_year"] < 1900 for p in old)
    step_free = _search(step_free="1").places
    assert step_free and all(p["step_free"] for p in step_free)
    assert _search(audio="1").places == []
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    db_session.add(Media(place_id=place.id, kind="audio", storage_key="t/x.m4a", mime="audio/mp4",
                         size_bytes=10, sha256="0" * 64, status="approved",
                         variants={"public": "t/x.m4a"}))
    db_session.flush()
    assert titles(_search(audio="1")) == ["Waaghaus"]
    # tours: every stop step-free; some stop with a recording
    assert [t["slug"] for t in _search(audio="1").tours] == ["altstadt-erinnerungen"]


def test_sorted_by_distance_from_me(demo):
    here = "8.7390,47.4960"  # at the photo museum
    results = _search(theme="fotografie", sort="distance", near=here).places
    distances = [p["distance"] for p in results]
    assert distances == sorted(distances)
    assert results[0]["title"] in {"Fotomuseum Winterthur", "Fotostiftung Schweiz"}
    assert distances[0] < 50


def test_distance_sort_without_position_falls_back_to_relevance(demo):
    params = search_params(MultiDict({"q": "Schloss", "sort": "distance"}))
    assert params.sort == "relevance"


def test_search_page_without_javascript(client, demo):
    html = client.get("/search?q=Fotomusem", headers={"Accept-Language": "en"}).get_data(True)
    assert "Fotomuseum Winterthur" in html
    assert "Ein Spaziergang für Fotomuseum-Fans" in html
    assert 'role="search"' in html


def test_empty_search_shows_the_form_only(client, demo):
    html = client.get("/search").get_data(as_text=True)
    assert 'id="place-results"' not in html


@pytest.mark.parametrize("query,field", [
    ("era=medieval", "era"),
    ("sort=random", "sort"),
    ("near=abc", "near"),
    ("near=200,100&sort=distance", "near"),
    ("q=" + "x" * 201, "q"),
])
def test_bad_parameters_are_a_clear_422(client, demo, query, field):
    resp = client.get(f"/search?{query}", headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="error"' in html


def test_near_me_on_the_home_page_and_its_fragment(client, demo):
    html = client.get("/?near=8.7390,47.4960", headers={"Accept-Language": "en"}).get_data(True)
    nearby = html[html.index('id="nearby-results"'):]
    assert nearby.index("Fotomuseum Winterthur") < nearby.index("Hauptbahnhof Winterthur")
    assert "Nearest to your position" in nearby
    frag = client.get("/nearby?near=8.7435,47.4585", headers={"Accept-Language": "en"})
    assert frag.status_code == 200
    body = frag.get_data(as_text=True)
    assert body.lstrip().startswith("<div") and "<html" not in body
    assert body.index("Schloss Kyburg") < body.index("Fotomuseum Winterthur")
    # no position, or nonsense: the city centre
    centre = client.get("/nearby?near=nonsense", headers={"Accept-Language": "en"})
    assert "Nearest to the city centre" in centre.get_data(as_text=True)
