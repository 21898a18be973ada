"""Featured stories at tour stops: the author chooses public stories of a stop's place, in
order (editor form and API, refused with a 4xx naming the field otherwise, nothing stored);
without a choice a stop shows its place's newest public stories when the place is in the
tour's theme; a featured story withdrawn or hidden leaves the stop at once (it falls back)
and the tour's author is mailed once, in their language; follow mode, the GPX waypoints,
the printed sheet and the offline pack show what the stop shows."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Place, Story, Tour, TourStop
from app.services import stories, tours
from app.services.accounts import create_api_token
from app.services.mail import sent_messages
from app.services.stories import StoryInput
from tests.conftest import create_user, login


def place_id(title: str) -> int:
    return db.session.scalar(select(Place.id).where(Place.title == title))


def further_stories(title: str) -> list[int]:
    """The public stories of a demo place other than its lead, oldest first."""
    return list(db.session.scalars(
        select(Story.id).where(Story.place_id == place_id(title), ~Story.is_lead,
                               Story.status == "approved").order_by(Story.id)))


def bearer(user) -> dict:
    token = create_api_token(user, "test")
    db.session.commit()
    # the API answers in the language asked (the site's default is German)
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def author(email="walker@example.org", locale="en"):
    user = create_user(email, "resident", name="Wanda Walker")
    user.locale = locale
    db.session.commit()
    return user


def new_tour(client, headers, stops, theme="seniors-memories", title="Mein Spaziergang"):
    return client.post("/api/v1/tours", headers=headers,
                       json={"title": title, "theme": theme, "stops": stops})


def told_story(resident, curator, place="Untertor", **kw) -> Story:
    values = {"title": "Der Milchmann", "body": "Jeden Morgen kam der Milchmann mit dem "
              "Pferdewagen durch das Tor.", "licence_consent": True, "era": "1950s"} | kw
    story = stories.add_story(resident, place_id(place), StoryInput(**values))
    stories.review_story(curator, story.id, "approve")
    db.session.commit()
    return story


def shown(tour: Tour) -> list[tuple[bool, list[int]]]:
    db.session.expire_all()
    tour = db.session.get(Tour, tour.id)
    return [(s["featured"], [story.id for story in s["stories"]])
            for s in tours.stop_points(tour, stories=True)]


@pytest.fixture
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


# --- choosing --------------------------------------------------------------------------------


def test_the_author_features_stories_in_order_and_the_stop_shows_them(client, demo):
    untertor = further_stories("Untertor")
    headers = bearer(author())
    resp = new_tour(client, headers, [
        {"place_id": place_id("Untertor"), "featured_story_ids": [untertor[1], untertor[0]]},
        {"place_id": place_id("Hauptbahnhof Winterthur")},
    ])
    assert resp.status_code == 201, resp.get_json()
    draft = resp.get_json()
    assert draft["stops"][0]["featured_story_ids"] == [untertor[1], untertor[0]]
    assert draft["stops"][1]["featured_story_ids"] == []
    tour = db.session.scalar(select(Tour).where(Tour.slug == draft["slug"]))
    assert [s.featured_story_ids for s in tour.stops] == [[untertor[1], untertor[0]], []]
    lead = stories.lead_story(db.session.get(Place, place_id("Hauptbahnhof Winterthur")))
    # the first stop in the chosen order; the second falls back to its place's stories
    assert shown(tour) == [(True, [untertor[1], untertor[0]]), (False, [lead.id])]

    # an edit without featured_story_ids clears them; the stop falls back to the newest
    edited = client.patch(f"/api/v1/tours/{draft['slug']}", headers=headers, json={
        "version": draft["version"], "stops": [{"place_id": place_id("Untertor")}]})
    assert edited.status_code == 200, edited.get_json()
    untertor_lead = stories.lead_story(db.session.get(Place, place_id("Untertor")))
    assert shown(tour) == [(False, sorted([*untertor, untertor_lead.id], reverse=True)[:3])]


def _refused(client, headers, slug, version, stops):
    return client.patch(f"/api/v1/tours/{slug}", headers=headers,
                        json={"version": version, "stops": stops})


@pytest.mark.parametrize(("case", "field", "message"), [
    ("other_place", "featured_story_ids", "only published stories of this stop's place"),
    ("pending", "featured_story_ids", "only published stories of this stop's place"),
    ("unknown", "featured_story_ids", "only published stories of this stop's place"),
    ("too_many", "featured_story_ids", "feature at most 3 stories"),
    ("twice", "featured_story_ids", "a story can be featured only once"),
    ("not_a_number", "featured_story_ids", "Choose the featured stories from the list."),
])
def test_a_story_that_cannot_be_featured_is_refused_naming_the_field(
        client, demo, resident, case, field, message):
    untertor = further_stories("Untertor")
    pending = stories.add_story(resident, place_id("Untertor"), StoryInput(
        title="Noch nicht geprüft", body="Wartet.", licence_consent=True))
    headers = bearer(author())
    draft = new_tour(client, headers, [
        {"place_id": place_id("Untertor"), "featured_story_ids": [untertor[0]]}]).get_json()
    chosen = {
        "other_place": further_stories("Stadtkirche Winterthur")[:1],
        "pending": [pending.id],
        "unknown": [999_999],
        "too_many": [*untertor, untertor[0], untertor[1]],
        "twice": [untertor[0], untertor[0]],
        "not_a_number": ["the milkman"],
    }[case]
    resp = _refused(client, headers, draft["slug"], draft["version"],
                    [{"place_id": place_id("Untertor"), "featured_story_ids": chosen}])
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    named = {error.get("field"), *(error.get("fields") or {})}
    # a service's refusal names the field; the schema's its path (stops.0.featured_story_ids.0)
    assert field in named or any(f"stops.0.{field}" in (n or "") for n in named), error
    assert message.lower() in json.dumps(error, ensure_ascii=False).lower()
    if case != "not_a_number":
        assert "Stop 1" in json.dumps(error, ensure_ascii=False)
    # nothing stored: the stop keeps its story
    db.session.expire_all()
    tour = db.session.scalar(select(Tour).where(Tour.slug == draft["slug"]))
    assert tour.version == draft["version"]
    assert [s.featured_story_ids for s in tour.stops] == [[untertor[0]]]


def test_a_featured_story_that_left_may_stay_chosen_but_not_be_chosen_anew(
        client, demo, resident, curator):
    story = told_story(resident, curator)
    headers = bearer(author())
    draft = new_tour(client, headers, [
        {"place_id": place_id("Untertor"), "featured_story_ids": [story.id]}]).get_json()
    stories.withdraw_story(resident, story.id)
    db.session.commit()
    untertor = place_id("Untertor")
    # kept at its stop (it shows again if it comes back; readers skip it meanwhile)
    kept = _refused(client, headers, draft["slug"], draft["version"],
                    [{"place_id": untertor, "featured_story_ids": [story.id]},
                     {"place_id": place_id("Waaghaus")}])
    assert kept.status_code == 200, kept.get_json()
    # but not moved to a stop it was never featured at, nor chosen in a new tour
    again = new_tour(client, headers, [
        {"place_id": untertor, "featured_story_ids": [story.id]}])
    assert again.status_code == 422
    assert again.get_json()["error"]["field"] == "featured_story_ids"


def test_without_a_choice_a_stop_shows_the_newest_stories_of_a_place_in_the_theme(
        client, demo, resident, curator):
    newer = [told_story(resident, curator, title=f"Stimme {i}").id for i in range(3)]
    headers = bearer(author())
    stops = [{"place_id": place_id("Untertor")},
             {"place_id": place_id("Museum Oskar Reinhart")}]  # kunst, not seniors-memories
    themed = new_tour(client, headers, stops).get_json()
    tour = db.session.scalar(select(Tour).where(Tour.slug == themed["slug"]))
    # capped at three, newest first; the place outside the tour's theme shows none
    assert shown(tour) == [(False, newer[::-1]), (False, [])]
    untitled = new_tour(client, headers, stops, theme=None, title="Ohne Thema").get_json()
    tour = db.session.scalar(select(Tour).where(Tour.slug == untitled["slug"]))
    reinhart = stories.lead_story(db.session.get(Place, place_id("Museum Oskar Reinhart")))
    assert shown(tour)[1] == (False, [reinhart.id])


def test_the_editor_form_features_stories_and_refuses_a_foreign_one(client, demo):
    untertor, stadtkirche = further_stories("Untertor"), further_stories("Stadtkirche Winterthur")
    author()
    login(client, "walker@example.org")
    ids = [place_id("Untertor"), place_id("Waaghaus")]
    base = {"title": "Mein Spaziergang", "intro": "", "theme": "", "language": "de",
            "accessibility": "", "stops_present": "1", "stop_place": [str(i) for i in ids],
            "stop_note": ["", ""], "stop_access": ["", ""], "stop_dwell": ["5", "5"]}
    resp = client.post("/tours/new", data=base)
    assert resp.status_code == 303
    slug = resp.headers["Location"].split("/tours/")[1].split("/")[0]
    page = client.get(f"/tours/{slug}/edit").get_data(as_text=True)
    # a choice of the place's public stories per slot, for the stops that have some
    assert f'value="{ids[0]}:{untertor[0]}"' in page and 'name="stop_featured"' in page
    assert page.count(f'id="stop-{ids[0]}-featured-') == tours.MAX_FEATURED
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
    chosen = {**base, "version": str(tour.version),
              "stop_featured": [f"{ids[0]}:{untertor[1]}", "", f"{ids[0]}:{untertor[0]}", "",
                                "", ""]}
    assert client.post(f"/tours/{slug}/edit", data=chosen).status_code == 303
    db.session.expire_all()
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
    assert [s.featured_story_ids for s in tour.stops] == [[untertor[1], untertor[0]], []]
    page = client.get(f"/tours/{slug}/edit").get_data(as_text=True)
    assert re.search(rf'value="{ids[0]}:{untertor[1]}" selected', page)

    foreign = {**chosen, "version": str(tour.version),
               "stop_featured": [f"{ids[0]}:{stadtkirche[0]}"]}
    resp = client.post(f"/tours/{slug}/edit", data=foreign)
    assert resp.status_code == 422
    text = resp.get_data(as_text=True)
    assert "Stop 1: only published stories of this stop&#39;s place" in text
    db.session.expire_all()
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
    assert [s.featured_story_ids for s in tour.stops] == [[untertor[1], untertor[0]], []]


# --- a featured story leaves -----------------------------------------------------------------


def test_a_withdrawn_featured_story_falls_back_and_each_author_is_told_once(
        client, demo, resident, curator, outbox):
    story = told_story(resident, curator)
    untertor = place_id("Untertor")
    stop = [{"place_id": untertor, "featured_story_ids": [story.id]}]
    english_author = bearer(author())
    first = new_tour(client, english_author, stop, title="Erster Weg").get_json()
    new_tour(client, english_author, stop, title="Zweiter Weg")
    german_author = bearer(author("gerda@example.org", locale="de"))
    new_tour(client, german_author, stop, title="Gerdas Weg")
    new_tour(client, german_author, [{"place_id": untertor}], title="Ohne Auswahl")
    outbox.clear()
    tour = db.session.scalar(select(Tour).where(Tour.slug == first["slug"]))
    assert shown(tour) == [(True, [story.id])]

    stories.withdraw_story(resident, story.id)
    db.session.commit()
    assert story.id not in shown(tour)[0][1] and shown(tour)[0][0] is False
    authors = ("gerda@example.org", "walker@example.org")
    told = [m for m in outbox if m["To"] in authors]
    by_to = {m["To"]: m for m in told}
    assert len(told) == 2 and sorted(by_to) == list(authors)  # once each
    english = by_to["walker@example.org"]
    assert english["Subject"] == "A story featured in your tour is no longer shown"
    body = english.get_content()
    assert "Its narrator withdrew the story “Der Milchmann”." in body
    assert "Erster Weg" in body and "Zweiter Weg" in body and "Gerdas Weg" not in body
    assert f"/tours/{first['slug']}/edit" in body
    german = by_to["gerda@example.org"].get_content()
    assert "Gerdas Weg" in german and "Ohne Auswahl" not in german
    assert "zurückgezogen" in german

    outbox.clear()
    stories.withdraw_story(resident, story.id)  # withdrawn already: nobody is told again
    db.session.commit()
    assert [m for m in outbox if m["To"] in authors] == []


def test_the_author_of_a_waiting_edit_is_told_too(client, demo, resident, curator, outbox):
    """A published tour's edit waits in its snapshot until a curator publishes it: a story
    featured only there is featured all the same."""
    story = told_story(resident, curator)
    headers = bearer(author())
    stops = [{"place_id": place_id("Untertor")}, {"place_id": place_id("Waaghaus")}]
    draft = new_tour(client, headers, stops).get_json()
    published = client.post(f"/api/v1/tours/{draft['slug']}/transition", headers=bearer(curator),
                            json={"action": "publish", "version": draft["version"]})
    assert published.status_code == 200, published.get_json()
    stops[0]["featured_story_ids"] = [story.id]
    edited = client.patch(f"/api/v1/tours/{draft['slug']}", headers=headers, json={
        "version": published.get_json()["version"], "stops": stops})
    assert edited.status_code == 200 and edited.get_json()["pending_changes"] is True
    tour = db.session.scalar(select(Tour).where(Tour.slug == draft["slug"]))
    assert all(not s.featured_story_ids for s in tour.stops)  # live rows: not yet
    outbox.clear()
    stories.withdraw_story(resident, story.id)
    db.session.commit()
    [mail] = [m for m in outbox if m["To"] == "walker@example.org"]
    assert mail["To"] == "walker@example.org" and "Mein Spaziergang" in mail.get_content()


def test_a_public_story_rejected_on_its_check_is_hidden_and_its_featurer_told(
        client, demo, resident, curator, outbox):
    story = told_story(resident, curator)
    headers = bearer(author())
    new_tour(client, headers, [{"place_id": place_id("Untertor"),
                                "featured_story_ids": [story.id]}])
    story.needs_check = True  # split from an older merge: a curator looks at it again
    db.session.commit()
    outbox.clear()
    stories.review_story(curator, story.id, "reject")
    db.session.commit()
    # (the story's own author may be told of the decision too; that is not this letter)
    [mail] = [m for m in outbox if m["To"] == "walker@example.org"]
    assert "The story “Der Milchmann” was hidden." in mail.get_content()


def test_a_place_hidden_by_reports_takes_its_featured_stories_and_the_author_is_told(
        client, demo, resident, curator, outbox):
    from app.services import flags

    story = told_story(resident, curator)
    untertor = further_stories("Untertor")
    headers = bearer(author())
    new_tour(client, headers, [
        {"place_id": place_id("Untertor"), "featured_story_ids": [story.id, untertor[0]]},
        {"place_id": place_id("Waaghaus")}])
    outbox.clear()
    reports = [flags.create_flag(None, place_id=place_id("Untertor"), reason="wrong",
                                 message="", remote_addr=f"192.0.2.{n + 1}")
               for n in range(3)]
    db.session.commit()
    [mail] = [m for m in outbox if m["To"] == "walker@example.org"]
    assert mail["Subject"] == "Stories featured in your tours are no longer shown"
    body = mail.get_content()
    assert "These stories were hidden:" in body and "- Der Milchmann" in body
    assert "The tour concerned:" in body
    # a curator removing the place hidden already tells nobody again
    outbox.clear()
    flags.resolve(curator, reports[0].id, "remove")
    db.session.commit()
    assert [m for m in outbox if m["To"] == "walker@example.org"] == []


def test_a_curator_hiding_a_reported_place_tells_the_featurer(
        client, demo, resident, curator, outbox):
    from app.services import flags

    story = told_story(resident, curator)
    new_tour(client, bearer(author()), [
        {"place_id": place_id("Untertor"), "featured_story_ids": [story.id]}])
    report = flags.create_flag(None, place_id=place_id("Untertor"), reason="private",
                               message="", remote_addr="192.0.2.1")
    db.session.commit()
    outbox.clear()
    flags.resolve(curator, report.id, "hide")
    db.session.commit()
    [mail] = [m for m in outbox if m["To"] == "walker@example.org"]
    assert "The story “Der Milchmann” was hidden." in mail.get_content()


# --- every surface of a tour follows -----------------------------------------------------------


def test_follow_mode_gpx_pdf_geojson_and_the_offline_pack_show_the_featured_story(
        client, demo, resident, curator):
    from pypdf import PdfReader

    story = told_story(resident, curator)
    tour = db.session.scalar(select(Tour).where(Tour.slug == "altstadt-erinnerungen"))
    stop = next(s for s in tour.stops if s.place_id == place_id("Untertor"))
    stop.featured_story_ids = [story.id]
    db.session.commit()
    number, stop_id = stop.position, stop.id

    follow = client.get("/tours/altstadt-erinnerungen/follow").get_data(as_text=True)
    data = json.loads(re.search(
        r'<script type="application/json" id="follow-data">(.*?)</script>', follow, re.S)[1])
    at_stop = data["stops"][number - 1]
    assert at_stop["featured"] is True
    assert at_stop["stories"][0]["id"] == story.id
    assert at_stop["stories"][0]["url"] == f"/stories/{story.id}"
    assert "Milchmann" in at_stop["stories"][0]["excerpt"]
    assert f'href="/stories/{story.id}"' in follow  # the list that works without JavaScript

    gpx = client.get("/api/v1/tours/altstadt-erinnerungen.gpx").get_data(as_text=True)
    assert "<desc>Der Milchmann" in gpx and "Pferdewagen durch das Tor." in gpx

    feature = next(f for f in client.get("/api/v1/tours/altstadt-erinnerungen").get_json()[
        "features"] if f["properties"].get("number") == number)
    assert feature["properties"]["featured"] is True
    assert feature["properties"]["stories"][0]["id"] == story.id

    pdf = client.get("/tours/altstadt-erinnerungen.pdf", headers={"Accept-Language": "en"})
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
                    .split())
    assert "Der Milchmann" in flat and "Pferdewagen" in flat
    assert "All stories of this place" in flat or "Alle Geschichten dieses Ortes" in flat

    pages = client.get("/tours/altstadt-erinnerungen/offline.json").get_json()["pages"]
    assert f"/stories/{story.id}" in pages

    # withdrawn: gone from each of them at once, the stop falls back to the place's newest
    stories.withdraw_story(resident, story.id)
    db.session.commit()
    gpx = client.get("/api/v1/tours/altstadt-erinnerungen.gpx").get_data(as_text=True)
    assert "Milchmann" not in gpx
    follow = client.get("/tours/altstadt-erinnerungen/follow").get_data(as_text=True)
    assert "Milchmann" not in follow and f"/stories/{story.id}" not in follow
    pdf = client.get("/tours/altstadt-erinnerungen.pdf", headers={"Accept-Language": "en"})
    assert "Milchmann" not in " ".join(p.extract_text()
                                       for p in PdfReader(io.BytesIO(pdf.data)).pages)
    pages = client.get("/tours/altstadt-erinnerungen/offline.json").get_json()["pages"]
    assert f"/stories/{story.id}" not in pages
    db.session.expire_all()
    # the author's choice is kept as made (it shows again if the story comes back)
    assert db.session.get(TourStop, stop_id).featured_story_ids == [story.id]
