"""Tours through the HTTP layer: create, reorder, suggest an order, route from GPX or drawing,
publish, edit a published tour, retire; role checks and stale edits (409); outputs (GeoJSON,
GPX 1.1 against the XSD, the printable PDF)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.extensions import db
from app.models import ModerationEvent, Place, Tour, TourStop
from tests.conftest import CORPUS, create_user, login

WORLD = {"type": "Polygon",
         "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}


def winterthur_gpx(points, *, ele=None, name="Walk") -> bytes:
    """A small GPX 1.1 track through (lon, lat) points, with times 20 s apart."""
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    pts = []
    for i, (lon, lat) in enumerate(points):
        e = f"<ele>{ele[i]}</ele>" if ele else ""
        t = (start + timedelta(seconds=20 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pts.append(f'<trkpt lat="{lat}" lon="{lon}">{e}<time>{t}</time></trkpt>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="test">'
        f"<trk><name>{name}</name><trkseg>{''.join(pts)}</trkseg></trk></gpx>"
    ).encode()


def places(n=4):
    """The first n public demo places (id, lon, lat), in a stable order."""
    rows = db.session.execute(
        select(Place.id, func.ST_X(Place.geom), func.ST_Y(Place.geom))
        .where(Place.status == "approved").order_by(Place.id).limit(n)
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def form_for(ids, title="Mein Spaziergang", **extra):
    data = {"title": title, "intro": "Ein *kurzer* Weg.", "theme": "", "language": "de",
            "accessibility": "Stufenlos", "stops_present": "1",
            "stop_place": [str(i) for i in ids],
            "stop_note": [f"Weiter zu {i}" for i in ids],
            "stop_access": ["" for _ in ids], "stop_dwell": ["5" for _ in ids]}
    data.update(extra)
    return data


def english(client):
    """Pages in English (a logged-in user's own language would otherwise be German)."""
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code in (302, 303)


def login_en(client, email):
    login(client, email)
    english(client)


def tour_by_slug(slug):
    db.session.expire_all()
    return db.session.scalar(select(Tour).where(Tour.slug == slug))


@pytest.fixture
def author(client, demo):
    create_user("walker@example.org", "resident", name="Wanda Walker")
    login_en(client, "walker@example.org")
    return client


def create(client, ids, **extra):
    resp = client.post("/tours/new", data=form_for(ids, **extra))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    return resp.headers["Location"].split("/tours/")[1].split("/")[0]


def test_new_tour_page_needs_login(client, demo):
    resp = client.get("/tours/new")
    assert resp.status_code in (302, 303)
    assert "/login" in resp.headers["Location"]


def test_resident_creates_edits_and_reorders_a_draft(author):
    ids = [p[0] for p in places(3)]
    slug = create(author, ids)
    tour = tour_by_slug(slug)
    assert tour.status == "draft" and tour.title == "Mein Spaziergang"
    assert [s.place_id for s in tour.stops] == ids
    assert tour.route_source == "generated" and tour.length_m > 0
    dwell = 15
    assert tour.duration_relaxed_min > tour.duration_normal_min > dwell
    # The editor page shows the stops in order.
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    assert page.index(f'value="{ids[0]}"') < page.index(f'value="{ids[2]}"')

    resp = author.post(f"/tours/{slug}/order",
                       data={"order": [ids[2], ids[0], ids[1]], "version": tour.version})
    assert resp.status_code == 303
    tour = tour_by_slug(slug)
    assert [s.place_id for s in tour.stops] == [ids[2], ids[0], ids[1]]
    assert [s.position for s in tour.stops] == [1, 2, 3]
    # Notes travel with their stop.
    assert tour.stops[0].transition_note == f"Weiter zu {ids[2]}"


def test_a_stale_edit_is_refused_with_409_and_nothing_changes(author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    old = tour_by_slug(slug).version
    assert author.post(f"/tours/{slug}/edit",
                       data=form_for(ids, title="Erste Änderung", version=old)).status_code == 303
    resp = author.post(f"/tours/{slug}/edit", data=form_for(ids, title="Zweite", version=old))
    assert resp.status_code == 409
    assert "Someone else changed this tour" in resp.get_data(as_text=True)
    assert tour_by_slug(slug).title == "Erste Änderung"
    resp = author.post(f"/tours/{slug}/order", data={"order": ids[::-1], "version": old})
    assert resp.status_code == 409
    assert [s.place_id for s in tour_by_slug(slug).stops] == ids


def test_bad_input_is_refused_with_the_field_named(author):
    ids = [p[0] for p in places(2)]
    resp = author.post("/tours/new", data=form_for(ids, title="  "))
    assert resp.status_code == 422
    assert 'id="title-error"' in resp.get_data(as_text=True)
    resp = author.post("/tours/new", data=form_for([ids[0], ids[0]]))
    assert resp.status_code == 422
    assert "only once" in resp.get_data(as_text=True)
    hidden = db.session.scalar(select(Place).where(Place.id == ids[1]))
    hidden.hidden_at = datetime.now(UTC)
    db.session.flush()
    resp = author.post("/tours/new", data=form_for([ids[0], ids[1]]))
    assert resp.status_code == 422
    assert "Only published places" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Tour)
                             .where(Tour.author.has(email="walker@example.org"))) == 0


def test_others_cannot_edit_a_draft(client, author):
    slug = create(author, [p[0] for p in places(2)])
    author.post("/logout")
    create_user("other@example.org", "resident")
    login_en(client, "other@example.org")
    assert client.get(f"/tours/{slug}/edit").status_code == 404
    assert client.post(f"/tours/{slug}/edit", data=form_for([])).status_code == 404


def test_resident_sends_for_review_curator_publishes_and_retires(client, author):
    ids = [p[0] for p in places(3)]
    slug = create(author, ids)
    tour = tour_by_slug(slug)
    # A resident cannot publish.
    assert author.post(f"/tours/{slug}/publish", data={"version": tour.version}).status_code == 403
    assert author.post(f"/tours/{slug}/submit",
                       data={"version": tour.version}).status_code == 303
    assert tour_by_slug(slug).status == "review"
    assert client.get(f"/tours/{slug}").status_code == 404  # not public yet
    author.post("/logout")

    create_user("kurt@example.org", "curator", name="Kurt")
    login_en(client, "kurt@example.org")
    queue = client.get("/curate/tours").get_data(as_text=True)
    assert "Mein Spaziergang" in queue.split('id="attention-heading"')[0]
    tour = tour_by_slug(slug)
    assert client.post(f"/tours/{slug}/publish", data={"version": tour.version}).status_code == 303
    tour = tour_by_slug(slug)
    assert tour.status == "published" and tour.published_at is not None
    assert client.get(f"/tours/{slug}").status_code == 200
    assert slug in {f["id"] for f in client.get("/api/v1/tours").get_json()["features"]}

    # The old retire address asks for the tours to suggest instead, as the editor's button
    # does: it sends the curator to the review form, and the tour stays published.
    asked = client.post(f"/tours/{slug}/retire", data={"version": tour.version})
    assert asked.status_code == 303
    assert asked.headers["Location"].endswith(f"/curate/insights/tours/{slug}#review")
    assert tour_by_slug(slug).status == "published"
    review_page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="review"' in review_page
    assert client.post(f"/curate/insights/tours/{slug}/review", data={
        "decision": "retire", "version": tour.version}).status_code == 303
    tour = tour_by_slug(slug)
    assert tour.status == "retired"
    page = client.get(f"/tours/{slug}").get_data(as_text=True)
    assert "no longer offered" in page
    assert slug not in {f["id"] for f in client.get("/api/v1/tours").get_json()["features"]}
    actions = set(db.session.scalars(select(ModerationEvent.action).where(
        ModerationEvent.target_type == "tour", ModerationEvent.target_id == tour.id)))
    assert {"tour_created", "tour_submitted", "tour_published", "tour_retired"} <= actions


def test_retired_tour_suggests_related_published_tours(client, demo):
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    published = db.session.scalars(select(Tour).where(Tour.status == "published")).all()
    victim = published[0]
    assert client.post(f"/curate/insights/tours/{victim.slug}/review", data={
        "decision": "retire", "version": victim.version}).status_code == 303
    page = client.get(f"/tours/{victim.slug}").get_data(as_text=True)
    related = page.split('class="related-tours"')[1].split("</nav>")[0]
    assert any(f'/tours/{t.slug}"' in related for t in published[1:])
    assert f'/tours/{victim.slug}"' not in related


def test_publishing_needs_two_published_stops(client, demo):
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    ids = [p[0] for p in places(2)]
    slug = create(client, ids[:1])
    tour = tour_by_slug(slug)
    resp = client.post(f"/tours/{slug}/publish", data={"version": tour.version})
    assert resp.status_code == 422
    assert "at least 2" in resp.get_data(as_text=True)
    assert tour_by_slug(slug).status == "draft"


def test_editing_a_published_tour_waits_for_publication(client, author):
    ids = [p[0] for p in places(4)]
    slug = create(author, ids[:3])
    author.post(f"/tours/{slug}/submit", data={"version": tour_by_slug(slug).version})
    author.post("/logout")
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    client.post(f"/tours/{slug}/publish", data={"version": tour_by_slug(slug).version})
    client.post("/logout")
    login_en(client, "walker@example.org")
    tour = tour_by_slug(slug)
    resp = client.post(f"/tours/{slug}/edit",
                       data=form_for(ids, title="Neuer Titel", version=tour.version))
    assert resp.status_code == 303
    tour = tour_by_slug(slug)
    assert tour.title == "Mein Spaziergang" and len(tour.stops) == 3  # live state unchanged
    assert tour.pending_snapshot["title"] == "Neuer Titel"
    assert "Mein Spaziergang" in client.get(f"/tours/{slug}").get_data(as_text=True)
    # The editor shows the pending version.
    assert 'value="Neuer Titel"' in client.get(f"/tours/{slug}/edit").get_data(as_text=True)
    client.post("/logout")
    login_en(client, "kurt@example.org")
    assert "Neuer Titel" not in client.get("/curate/tours").get_data(as_text=True)
    assert "Changes to a published tour" in client.get("/curate/tours").get_data(as_text=True)
    client.post(f"/tours/{slug}/publish", data={"version": tour.version})
    tour = tour_by_slug(slug)
    assert tour.title == "Neuer Titel" and len(tour.stops) == 4 and tour.pending_snapshot is None


def test_hidden_stop_shows_unavailable_and_flags_the_tour(client, demo):
    from app.services.tours import tours_needing_attention

    tour = db.session.scalars(select(Tour).where(Tour.status == "published")).first()
    place = db.session.get(Place, tour.stops[1].place_id)
    place.hidden_at = datetime.now(UTC)
    db.session.flush()
    english(client)
    page = client.get(f"/tours/{tour.slug}").get_data(as_text=True)
    assert "This stop is currently unavailable" in page
    flagged = tours_needing_attention()
    assert [item["tour"].slug for item in flagged] == [tour.slug]
    assert flagged[0]["unavailable"][0]["number"] == 2
    # Not in the outputs either.
    numbers = [f["properties"]["number"] for f in
               client.get(f"/api/v1/tours/{tour.slug}").get_json()["features"][1:]]
    assert 2 not in numbers and 1 in numbers
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    assert place.title in client.get("/curate/tours").get_data(as_text=True)


def test_curate_tours_is_for_curators_only(client, author):
    assert author.get("/curate/tours").status_code == 403


# --- order ----------------------------------------------------------------------------------


def test_suggest_order_proposes_a_shorter_walk_and_stores_nothing(client, demo):
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    pts = places(6)
    # A zig-zag order: sort by longitude, then interleave ends.
    by_lon = sorted(pts, key=lambda p: p[1])
    zigzag = [by_lon[0], by_lon[-1], by_lon[1], by_lon[-2], by_lon[2], by_lon[-3]]
    ids = [p[0] for p in zigzag]
    slug = create(client, ids)
    version = tour_by_slug(slug).version
    resp = client.post(f"/tours/{slug}/suggest-order", headers={"Accept": "application/json"})
    proposal = resp.get_json()
    assert proposal["changed"] and proposal["length_after_m"] < proposal["length_before_m"]
    assert sorted(proposal["order"]) == sorted(ids)
    assert [s.place_id for s in tour_by_slug(slug).stops] == ids
    assert tour_by_slug(slug).version == version
    fixed = client.post(f"/tours/{slug}/suggest-order", data={"keep_start": "1", "keep_end": "1"},
                        headers={"Accept": "application/json"}).get_json()
    assert fixed["order"][0] == ids[0] and fixed["order"][-1] == ids[-1]
    # Without JavaScript: a page with the proposal and a form to accept it.
    page = client.post(f"/tours/{slug}/suggest-order").get_data(as_text=True)
    assert "Use this order" in page
    client.post(f"/tours/{slug}/order", data={"order": proposal["order"], "version": version})
    assert [s.place_id for s in tour_by_slug(slug).stops] == proposal["order"]


# --- the editor without JavaScript: stop buttons and the place search ----------------------


def titles_of(ids):
    return dict(db.session.execute(select(Place.id, Place.title).where(Place.id.in_(ids))).all())


def stop_button(client, slug, ids, action, **extra):
    """Press a stop's button: the whole form goes with it, as a browser sends it."""
    data = form_for(ids, version=tour_by_slug(slug).version, stop_action=action)
    data.update(extra)
    return client.post(f"/tours/{slug}/edit", data=data)


def test_stop_buttons_move_and_remove_stops_and_say_so(author):
    ids = [p[0] for p in places(3)]
    titles = titles_of(ids)
    slug = create(author, ids)

    resp = stop_button(author, slug, ids, f"up:{ids[2]}", title="Unterwegs umbenannt")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/tours/{slug}/edit#stops")
    tour = tour_by_slug(slug)
    assert [s.place_id for s in tour.stops] == [ids[0], ids[2], ids[1]]
    # Notes travel with their stop, and what else was typed is saved along.
    assert tour.stops[1].transition_note == f"Weiter zu {ids[2]}"
    assert tour.title == "Unterwegs umbenannt"
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    status = page.split('id="stop-done"')[1].split("</p>")[0]
    assert f"{titles[ids[2]]} is now stop 2 of 3." in status
    assert page.index(f'id="stop-{ids[2]}"') < page.index(f'id="stop-{ids[1]}"')
    # The message is shown once.
    assert 'id="stop-done"' not in author.get(f"/tours/{slug}/edit").get_data(as_text=True)

    order = [ids[0], ids[2], ids[1]]
    assert stop_button(author, slug, order, f"down:{ids[0]}").status_code == 303
    assert [s.place_id for s in tour_by_slug(slug).stops] == [ids[2], ids[0], ids[1]]
    assert (f"{titles[ids[0]]} is now stop 2 of 3."
            in author.get(f"/tours/{slug}/edit").get_data(as_text=True))

    assert stop_button(author, slug, [ids[2], ids[0], ids[1]], f"remove:{ids[0]}").status_code == 303
    tour = tour_by_slug(slug)
    assert [s.place_id for s in tour.stops] == [ids[2], ids[1]]
    assert [s.position for s in tour.stops] == [1, 2]
    assert f"{titles[ids[0]]} removed." in author.get(f"/tours/{slug}/edit").get_data(as_text=True)


def test_every_stop_has_named_buttons_that_post_the_form(author):
    ids = [p[0] for p in places(3)]
    titles = titles_of(ids)
    slug = create(author, ids)
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    form = page.split('id="tour-form"')[1].split("</form>")[0]
    assert 'name="csrf_token"' in form
    assert f'name="version" value="{tour_by_slug(slug).version}"' in form
    for i, pid in enumerate(ids):
        row = form.split(f'id="stop-{pid}"')[1].split("</li>")[0]
        title = titles[pid]
        up = row.split(f'value="up:{pid}"')[1].split(">")[0]
        down = row.split(f'value="down:{pid}"')[1].split(">")[0]
        remove = row.split(f'value="remove:{pid}"')[1].split(">")[0]
        assert f'aria-label="Move up: {title}"' in up
        assert f'aria-label="Move down: {title}"' in down
        assert f'aria-label="Remove: {title}"' in remove
        assert ("disabled" in up) == (i == 0)
        assert ("disabled" in down) == (i == len(ids) - 1)
    # Enter in a text field goes through the first submit button, which saves.
    first = form.split("<button")[1].split(">")[0]
    assert 'class="default-submit"' in first and "stop_action" not in first
    # In German the names are German, with the title in its place.
    author.post("/language", data={"lang": "de", "next": "/"})
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    assert f'aria-label="Nach oben: {titles[ids[1]]}"' in page


def test_stop_button_on_a_stale_version_is_409_with_both_versions(author):
    ids = [p[0] for p in places(3)]
    titles = titles_of(ids)
    slug = create(author, ids)
    old = tour_by_slug(slug).version
    assert author.post(f"/tours/{slug}/edit", data=form_for(
        ids, title="Die neuere Fassung", version=old)).status_code == 303
    current = tour_by_slug(slug).version
    resp = author.post(f"/tours/{slug}/edit", data=form_for(
        ids, title="Meine Fassung", version=old, stop_action=f"remove:{ids[1]}"))
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Someone else changed this tour" in page
    theirs = page.split('id="current-version"')[1].split('id="your-version"')[0]
    mine = page.split('id="your-version"')[1].split("</section>")[0]
    assert "Die neuere Fassung" in theirs and f"version {current}" in theirs
    assert theirs.count("<li>") == 3
    assert "Meine Fassung" in mine and f"version {old}" in mine
    assert mine.count("<li>") == 2 and titles[ids[1]] not in mine
    tour = tour_by_slug(slug)
    assert tour.title == "Die neuere Fassung" and [s.place_id for s in tour.stops] == ids
    assert tour.version == current
    # The form below is the current version, so saving again is a deliberate choice.
    assert f'name="version" value="{current}"' in page.split('id="tour-form"')[1]


def test_plain_save_on_a_stale_version_shows_both_versions_too(author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    old = tour_by_slug(slug).version
    author.post(f"/tours/{slug}/edit", data=form_for(ids, title="Zuerst", version=old))
    resp = author.post(f"/tours/{slug}/edit", data=form_for(ids[::-1], title="Danach",
                                                            version=old))
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "Zuerst" in page.split('id="current-version"')[1].split('id="your-version"')[0]
    assert "Danach" in page.split('id="your-version"')[1].split("</section>")[0]


@pytest.mark.parametrize("action,message", [
    ("jump:{a}", "That change to the stops is not possible."),
    ("up:", "That change to the stops is not possible."),
    ("up:abc", "That change to the stops is not possible."),
    ("up:{a}", "The first stop cannot move further up."),
    ("down:{b}", "The last stop cannot move further down."),
    ("remove:{other}", "That place is not a stop of this tour."),
    ("add:{a}", "is already a stop."),
    ("add:999999999", "A stop refers to an unknown place."),
    ("up:99999999999999999999", "That change to the stops is not possible."),
    ("remove:-{a}", "That change to the stops is not possible."),
    ("add:{hidden}", "Only published places can become stops."),
])
def test_a_stop_button_that_does_not_fit_is_refused_and_nothing_stored(author, action, message):
    pts = [p[0] for p in places(4)]
    a, b, other, hidden = pts
    place = db.session.get(Place, hidden)
    place.hidden_at = datetime.now(UTC)
    db.session.flush()
    slug = create(author, [a, b], title="Zwei Orte")
    before = tour_by_slug(slug)
    version, stops = before.version, [s.place_id for s in before.stops]
    value = action.format(a=a, b=b, other=other, hidden=hidden)
    resp = stop_button(author, slug, [a, b], value, title="Nicht gespeichert")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page.split('id="stops-error"')[1].split("</p>")[0]
    # The form keeps what was typed and the version it was based on.
    assert 'value="Nicht gespeichert"' in page
    assert f'name="version" value="{version}"' in page
    tour = tour_by_slug(slug)
    assert (tour.version, tour.title, [s.place_id for s in tour.stops]) == (
        version, "Zwei Orte", stops)


def test_a_stop_button_without_the_stops_is_refused(author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    version = tour_by_slug(slug).version
    resp = author.post(f"/tours/{slug}/edit", data={
        "title": "Ohne Stopps", "version": version, "stop_action": f"remove:{ids[0]}"})
    assert resp.status_code == 422
    assert [s.place_id for s in tour_by_slug(slug).stops] == ids
    assert tour_by_slug(slug).version == version


def test_stop_buttons_are_for_the_author_and_curators_only(client, author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    version = tour_by_slug(slug).version
    author.post("/logout")
    create_user("other@example.org", "resident")
    login_en(client, "other@example.org")
    resp = client.post(f"/tours/{slug}/edit", data=form_for(
        ids, version=version, stop_action=f"remove:{ids[0]}"))
    assert resp.status_code == 404
    client.post("/logout")
    resp = client.post(f"/tours/{slug}/edit", data=form_for(
        ids, version=version, stop_action=f"remove:{ids[0]}"))
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]
    assert [s.place_id for s in tour_by_slug(slug).stops] == ids


def test_place_search_without_javascript_adds_stops_one_after_another(author):
    ids = [p[0] for p in places(4)]
    titles = titles_of(ids)
    slug = create(author, ids[:2])
    version = tour_by_slug(slug).version
    word = titles[ids[2]].split()[0]

    # Searching saves nothing and keeps what was typed.
    resp = author.post(f"/tours/{slug}/edit", data=form_for(
        ids[:2], title="Noch nicht gespeichert", version=version, place_q=word,
        find_place="1"))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'value="Noch nicht gespeichert"' in page
    assert f'name="version" value="{version}"' in page
    found = page.split('id="found-places"')[1].split("</ul>")[0]
    assert f'value="add:{ids[2]}"' in found and f"Add {titles[ids[2]]}" in found
    assert tour_by_slug(slug).version == version
    assert tour_by_slug(slug).title == "Mein Spaziergang"

    # Enter in the search box (no button named) searches as well.
    resp = author.post(f"/tours/{slug}/edit", data=form_for(ids[:2], version=version,
                                                            place_q=word))
    assert resp.status_code == 200 and 'id="found-places"' in resp.get_data(as_text=True)

    # "Add" saves the form with the new stop and comes back to the same results.
    resp = author.post(f"/tours/{slug}/edit", data=form_for(
        ids[:2], title="Jetzt gespeichert", version=version, found_q=word,
        stop_action=f"add:{ids[2]}"))
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/tours/{slug}/edit?q={word}#stops")
    tour = tour_by_slug(slug)
    assert [s.place_id for s in tour.stops] == ids[:3] and tour.title == "Jetzt gespeichert"
    page = author.get(resp.headers["Location"].split("#")[0]).get_data(as_text=True)
    assert f"{titles[ids[2]]} added as stop 3." in page.split('id="stop-done"')[1]
    found = page.split('id="found-places"')[1].split("</ul>")[0]
    assert f"{titles[ids[2]]} is already a stop." in found
    assert f'value="add:{ids[2]}"' not in found


def test_an_empty_place_search_is_refused_with_the_field_named(author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    version = tour_by_slug(slug).version
    resp = author.post(f"/tours/{slug}/edit", data=form_for(ids, version=version, place_q="  ",
                                                            find_place="1"))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'id="place_q-error"' in page and 'aria-describedby="place_q-error"' in page
    assert tour_by_slug(slug).version == version


def test_a_new_tour_is_built_without_javascript(author):
    ids = [p[0] for p in places(2)]
    titles = titles_of(ids)
    word = titles[ids[0]].split()[0]
    empty = {"title": "Ohne Skript", "intro": "", "theme": "", "language": "de",
             "accessibility": "", "stops_present": "1"}
    resp = author.post("/tours/new", data={**empty, "place_q": word, "find_place": "1"})
    assert resp.status_code == 200
    assert f'value="add:{ids[0]}"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Tour)
                             .where(Tour.title == "Ohne Skript")) == 0
    # Adding without a title is refused, and the form keeps the place.
    resp = author.post("/tours/new", data={**empty, "title": "", "stop_action": f"add:{ids[0]}"})
    assert resp.status_code == 422
    assert f'id="stop-{ids[0]}"' in resp.get_data(as_text=True)
    resp = author.post("/tours/new", data={**empty, "found_q": word,
                                           "stop_action": f"add:{ids[0]}"})
    assert resp.status_code == 303
    slug = resp.headers["Location"].split("/tours/")[1].split("/")[0]
    assert [s.place_id for s in tour_by_slug(slug).stops] == [ids[0]]


# --- routes ---------------------------------------------------------------------------------


def _walk_through(pts, steps=6):
    """A dense track visiting the given (lon, lat) points in order."""
    out = []
    for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
        for k in range(steps):
            out.append((round(x0 + (x1 - x0) * k / steps, 7), round(y0 + (y1 - y0) * k / steps, 7)))
    out.append(pts[-1])
    return out


def test_gpx_upload_becomes_the_route_with_report(author):
    pts = places(3)
    slug = create(author, [p[0] for p in pts])
    track = _walk_through([(p[1], p[2]) for p in pts[:2]])  # misses the third stop
    ele = [440 + (i % 5) for i in range(len(track))]
    ele[-1] = 470
    resp = author.post(f"/tours/{slug}/route/gpx", data={
        "file": (io.BytesIO(winterthur_gpx(track, ele=ele)), "walk.gpx"),
        "version": tour_by_slug(slug).version}, content_type="multipart/form-data")
    assert resp.status_code == 303
    tour = tour_by_slug(slug)
    assert tour.route_source == "gpx"
    assert tour.elevation_gain_m >= 25
    # Simplified: the straight dense track keeps only its corners.
    coords = json.loads(db.session.scalar(select(func.ST_AsGeoJSON(Tour.route)).where(
        Tour.id == tour.id)))["coordinates"]
    assert len(coords) < len(track)
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    assert "more than 50 m from the route" in page
    assert f"Stop 3 ({pts[2][0]}" not in page  # the title, not the id, names the stop


def test_gpx_outside_the_service_area_is_refused_and_nothing_stored(author):
    slug = create(author, [p[0] for p in places(2)])
    before = tour_by_slug(slug)
    version, source = before.version, before.route_source
    lyon = [(4.83, 45.76), (4.84, 45.765)]
    resp = author.post(f"/tours/{slug}/route/gpx", data={
        "file": (io.BytesIO(winterthur_gpx(lyon)), "lyon.gpx"), "version": version},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "outside the area" in resp.get_data(as_text=True)
    after = tour_by_slug(slug)
    assert (after.version, after.route_source) == (version, source)


def test_drawn_route_and_reset(author):
    pts = places(2)
    slug = create(author, [p[0] for p in pts])
    line = {"type": "LineString", "coordinates": [[pts[0][1], pts[0][2]], [8.7245, 47.5001],
                                                  [pts[1][1], pts[1][2]]]}
    resp = author.post(f"/tours/{slug}/route/drawn", data={
        "route": json.dumps(line), "version": tour_by_slug(slug).version})
    assert resp.status_code == 303
    assert tour_by_slug(slug).route_source == "drawn"
    bad = {"type": "LineString", "coordinates": [[8.72, 47.5], [8.72, 123]]}
    resp = author.post(f"/tours/{slug}/route/drawn", data={
        "route": json.dumps(bad), "version": tour_by_slug(slug).version})
    assert resp.status_code == 422
    assert tour_by_slug(slug).route_source == "drawn"
    author.post(f"/tours/{slug}/route/reset", data={"version": tour_by_slug(slug).version})
    assert tour_by_slug(slug).route_source == "generated"


# --- API ------------------------------------------------------------------------------------


def api_upload(client, slug, data, name="track.gpx", **form):
    # Encoded in memory: the test client spools bodies over 500 kB to a temporary file it
    # never closes, which the warnings-as-errors setting turns into a failure.
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename=name,
                             content_type="application/gpx+xml"), **form})
    return client.post(f"/api/v1/tours/{slug}/route", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_api_route_upload_roles(client, author):
    pts = places(2)
    slug = create(author, [p[0] for p in pts])
    track = _walk_through([(p[1], p[2]) for p in pts])
    resp = api_upload(author, slug, winterthur_gpx(track))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["pending"] is False and body["points"] >= 2 and body["off_route"] == []
    stale = api_upload(author, slug, winterthur_gpx(track), version=str(body["version"] - 1))
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_version"
    author.post("/logout")
    assert api_upload(client, slug, winterthur_gpx(track)).status_code == 401
    create_user("other@example.org", "resident")
    login_en(client, "other@example.org")
    assert api_upload(client, slug, winterthur_gpx(track)).status_code == 404


def _corpus(folder):
    return sorted(p for p in (CORPUS / folder).iterdir() if p.is_file())


@pytest.mark.parametrize("path", _corpus("gpx"), ids=lambda p: p.name)
def test_every_corpus_gpx_imports_or_is_refused_clearly(app, client, demo, path):
    """With the service area widened to the world every corpus file either becomes a route
    or is refused for a stated reason; with the real area, all are outside and refused."""
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    slug = create(client, [p[0] for p in places(2)])
    version = tour_by_slug(slug).version
    refused = api_upload(client, slug, path.read_bytes(), path.name)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] in ("gpx_outside_area", "gpx_no_points")
    assert tour_by_slug(slug).version == version

    original = app.config["SERVICE_AREA"]
    app.config["SERVICE_AREA"] = WORLD
    try:
        resp = api_upload(client, slug, path.read_bytes(), path.name)
    finally:
        app.config["SERVICE_AREA"] = original
    body = resp.get_json()
    if resp.status_code == 200:
        tour = tour_by_slug(slug)
        assert tour.route_source == "gpx" and tour.length_m > 0
        assert body["points"] >= 2
        # Far away from Winterthur: both stops are reported.
        assert [s["number"] for s in body["off_route"]] == [1, 2]
    else:
        assert resp.status_code == 422
        assert body["error"]["code"] in ("gpx_no_route", "gpx_too_few_points", "gpx_no_points")
        assert body["error"]["field"] == "file" and body["error"]["message"]
        assert tour_by_slug(slug).version == version


@pytest.mark.parametrize("path", _corpus("gpx-invalid"), ids=lambda p: p.name)
@pytest.mark.parametrize("area", ["city", "world"])
def test_every_invalid_corpus_file_is_refused_and_nothing_stored(app, client, demo, path, area):
    create_user("kurt@example.org", "curator")
    login_en(client, "kurt@example.org")
    slug = create(client, [p[0] for p in places(2)])
    tour = tour_by_slug(slug)
    before = (tour.version, tour.route_source, tour.length_m)
    original = app.config["SERVICE_AREA"]
    if area == "world":
        app.config["SERVICE_AREA"] = WORLD
    try:
        resp = api_upload(client, slug, path.read_bytes(), path.name)
    finally:
        app.config["SERVICE_AREA"] = original
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"].startswith("gpx_") and error["field"] == "file" and error["message"]
    tour = tour_by_slug(slug)
    assert (tour.version, tour.route_source, tour.length_m) == before


def test_api_tour_is_a_feature_collection_of_route_and_numbered_stops(client, demo):
    tour = db.session.scalars(select(Tour).where(Tour.status == "published")).first()
    resp = client.get(f"/api/v1/tours/{tour.slug}")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    body = resp.get_json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"]["type"] == "LineString"
    stops = body["features"][1:]
    assert [f["properties"]["number"] for f in stops] == list(range(1, len(tour.stops) + 1))
    assert all(f["geometry"]["type"] == "Point" for f in stops)
    assert body["properties"]["duration_relaxed_min"] > body["properties"]["duration_min"]
    assert client.get("/api/v1/tours/no-such-tour").status_code == 404


def test_gpx_export_is_valid_gpx_1_1(client, demo):
    schema = etree.XMLSchema(etree.parse(str(CORPUS / "schemas" / "topografix__gpx-1.1.xsd")))
    tour = db.session.scalars(select(Tour).where(Tour.status == "published")).first()
    # Text that gpxpy would write into broken XML.
    tour.title = "Spaziergang \x07 <&> \"alt\""
    tour.stops[0].place.summary = "Control \x1b chars & more"
    db.session.flush()
    resp = client.get(f"/api/v1/tours/{tour.slug}.gpx")
    assert resp.status_code == 200 and resp.mimetype == "application/gpx+xml"
    doc = etree.fromstring(resp.data)
    schema.assertValid(doc)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    assert len(doc.findall("g:wpt", ns)) == len(tour.stops)
    assert doc.find("g:wpt/g:name", ns).text.startswith("1. ")
    assert len(doc.findall("g:trk/g:trkseg/g:trkpt", ns)) >= 2
    assert client.get("/api/v1/tours/nope.gpx").status_code == 404


def test_draft_tours_are_not_in_any_output(client, author):
    slug = create(author, [p[0] for p in places(2)])
    assert client.get(f"/api/v1/tours/{slug}").status_code == 404
    assert client.get(f"/api/v1/tours/{slug}.gpx").status_code == 404
    assert client.get(f"/tours/{slug}.pdf").status_code == 404


# --- the printable sheet --------------------------------------------------------------------


def test_pdf_sheet_reads_back_with_title_stops_and_times(client, demo):
    from pypdf import PdfReader

    tour = db.session.scalars(select(Tour).where(Tour.status == "published")
                              .order_by(Tour.id)).first()
    resp = client.get(f"/tours/{tour.slug}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.data))
    assert 1 <= len(reader.pages) <= 4
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert " ".join(tour.title.split()) in flat
    for stop in tour.stops:
        assert " ".join(stop.place.title.split()) in flat
    assert "CC BY-SA 4.0" in flat
    # Without a reachable tile server the map is the vector drawing, captioned so.
    assert "north is up" in flat or "Norden ist oben" in flat


def test_pdf_sheet_uses_tiles_when_the_tile_server_answers(app, client, demo):
    """A tile server on this machine: the sheet embeds its tiles and credits them."""
    import threading

    from PIL import Image
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Response

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 220, 240)).save(buf, "PNG")
    hits = []

    def tiles(environ, start_response):
        hits.append(environ["PATH_INFO"])
        return Response(buf.getvalue(), mimetype="image/png")(environ, start_response)

    server = make_server("127.0.0.1", 0, tiles, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    original = app.config["TILE_URL"], app.config["TILE_ATTRIBUTION"]
    app.config["TILE_URL"] = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    app.config["TILE_ATTRIBUTION"] = "Test tiles by Tiny Tiles"
    try:
        from pypdf import PdfReader

        tour = db.session.scalars(select(Tour).where(Tour.status == "published")).first()
        resp = client.get(f"/tours/{tour.slug}.pdf")
    finally:
        app.config["TILE_URL"], app.config["TILE_ATTRIBUTION"] = original
        server.shutdown()
    assert resp.status_code == 200 and hits
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages)
                    .split())
    assert "Tiny Tiles" in text


def test_stops_are_unique_per_position_after_many_reorders(author):
    ids = [p[0] for p in places(4)]
    slug = create(author, ids)
    for order in (ids[::-1], ids, [ids[1], ids[3], ids[0], ids[2]]):
        author.post(f"/tours/{slug}/order",
                    data={"order": order, "version": tour_by_slug(slug).version})
    tour = tour_by_slug(slug)
    assert [s.place_id for s in tour.stops] == [ids[1], ids[3], ids[0], ids[2]]
    assert db.session.scalar(select(func.count()).select_from(TourStop)
                             .where(TourStop.tour_id == tour.id)) == 4


@pytest.mark.parametrize("field,change,message", [
    ("stops", {"stop_dwell": ["5", "lange"]}, "Minutes at a stop must be a whole number"),
    ("stops", {"stop_dwell": ["5", "999"]}, "Minutes at a stop must be a whole number"),
    ("stops", {"stop_place": ["{a}", "x"]}, "A stop refers to an unknown place."),
    ("cover_media_id", {"cover_media_id": "abc"}, "Choose a photo from the list."),
    ("form", {"version": "drei"}, "The version must be a whole number."),
])
def test_a_form_field_the_schema_refuses_is_named_and_nothing_stored(author, field, change,
                                                                     message):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids, title="Zwei Orte")
    before = tour_by_slug(slug)
    data = form_for(ids, title="Nicht gespeichert", version=before.version)
    data.update({k: [v.format(a=ids[0]) for v in val] if isinstance(val, list) else val
                 for k, val in change.items()})
    resp = author.post(f"/tours/{slug}/edit", data=data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page.split(f'id="{field}-error"')[1].split("</p>")[0]
    # What was typed is shown again (the refused part left out).
    assert 'value="Nicht gespeichert"' in page
    tour = tour_by_slug(slug)
    assert (tour.version, tour.title, [s.place_id for s in tour.stops]) == (
        before.version, "Zwei Orte", ids)


def test_an_order_or_a_drawn_route_that_cannot_be_read_is_refused(author):
    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    version = tour_by_slug(slug).version
    resp = author.post(f"/tours/{slug}/order", data={"order": [str(ids[1]), "zwei"],
                                                    "version": version})
    assert resp.status_code == 422
    assert "every stop of the tour exactly once" in resp.get_data(as_text=True)
    for route, message in (("{not json", "could not be read"),
                           ("[1, 2]", "Draw the route as one line.")):
        resp = author.post(f"/tours/{slug}/route/drawn", data={"route": route,
                                                               "version": version})
        assert resp.status_code == 422
        assert message in resp.get_data(as_text=True).split('id="route-error"')[1]
    tour = tour_by_slug(slug)
    assert (tour.version, [s.place_id for s in tour.stops], tour.route_source) == (
        version, ids, "generated")


def test_the_transition_table_decides_the_moves_and_the_editor_buttons(client, author):
    from app.errors import Conflict
    from app.models import User
    from app.services import tours as service

    ids = [p[0] for p in places(2)]
    slug = create(author, ids)
    resident = db.session.scalar(select(User).where(User.email == "walker@example.org"))
    tour = tour_by_slug(slug)
    assert service.allowed_moves(resident, tour) == {"submit"}
    page = author.get(f"/tours/{slug}/edit").get_data(as_text=True)
    assert 'id="action-submit"' in page and 'id="action-publish"' not in page
    curator = create_user("kurt@example.org", "curator")
    assert service.allowed_moves(curator, tour) == {"submit", "publish"}
    # A move the table does not allow from the tour's status is a 409 and changes nothing.
    with pytest.raises(Conflict) as refused:
        service.transition(curator, slug, "retire", tour.version)
    assert refused.value.code == "wrong_status"
    db.session.rollback()
    assert tour_by_slug(slug).status == "draft"
    # Every status is a source of some move, and every move's target is a status.
    sources = set().union(*(m.sources for m in service.TRANSITIONS.values()))
    assert sources == set(service.TRANSITIONS["discard"].sources)
    assert {m.target for m in service.TRANSITIONS.values()} - {None} <= sources
