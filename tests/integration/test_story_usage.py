"""Usage figures per story: a story's views (its own page and its place's page, counted by
the server with the same DNT/GPC/bot rules as a tour's), its recordings played and its
read-aloud uses (anonymous beacons), and the theme's least-used stories in the curators'
page, its CSV and the API, counts under 5 as "<5"."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import Media, Place, Theme
from app.models.usage import Metric, OfferingKind, UsageCounter
from app.services import stories
from app.services.stories import StoryInput
from tests.conftest import login

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0 Mobile Safari/537.36")
BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


def story_count(db_session, story_id: int, metric: Metric) -> int:
    c = UsageCounter
    return int(db_session.scalar(select(func.coalesce(func.sum(c.n), 0)).where(
        c.offering_kind == OfferingKind.STORY, c.offering_id == story_id, c.metric == metric)))


def hit(client, url, **headers):
    headers.setdefault("User-Agent", PHONE)
    resp = client.get(url, headers=headers)
    resp.close()  # the count runs when the server closes the response
    return resp


def beacon(client, *counts, **headers):
    day = date.today().isoformat()
    return client.post("/api/v1/usage", headers={"User-Agent": PHONE, **headers}, json={
        "counts": [{"offering": o, "metric": m, "day": day} for o, m in counts]})


@pytest.fixture
def waaghaus(demo, db_session) -> Place:
    return db_session.scalar(select(Place).where(Place.title == "Waaghaus"))


@pytest.fixture
def voices(waaghaus, resident, curator, db_session):
    """Two new public stories at the Waaghaus and one still waiting for a curator."""
    made = []
    for title in ("Käse wiegen", "Der Markt"):
        s = stories.add_story(resident, waaghaus.id, StoryInput(
            title=title, body=f"{title}: so war es.", licence_consent=True))
        stories.review_story(curator, s.id, "approve")
        made.append(s)
    waiting = stories.add_story(resident, waaghaus.id, StoryInput(
        title="Noch nicht", body="Wartet.", licence_consent=True))
    db_session.commit()
    return made, waiting


def test_a_place_page_counts_a_view_of_each_public_story_it_shows(
        client, waaghaus, voices, db_session):
    (first, second), waiting = voices
    lead = stories.lead_story(waaghaus)
    ids = [lead.id, first.id, second.id, waiting.id]
    before = {i: story_count(db_session, i, Metric.PAGE_VIEW) for i in ids}
    assert hit(client, f"/places/{waaghaus.id}").status_code == 200
    after = {i: story_count(db_session, i, Metric.PAGE_VIEW) for i in ids}
    assert after == {lead.id: before[lead.id] + 1, first.id: 1, second.id: 1, waiting.id: 0}


def test_a_story_page_counts_its_story_and_only_a_public_one(
        client, voices, resident, db_session):
    (first, _second), waiting = voices
    assert hit(client, f"/stories/{first.id}").status_code == 200
    assert hit(client, f"/stories/{first.id}").status_code == 200
    assert story_count(db_session, first.id, Metric.PAGE_VIEW) == 2
    login(client, resident.email)  # its author sees the waiting story: no view of the public
    assert hit(client, f"/stories/{waiting.id}").status_code == 200
    assert story_count(db_session, waiting.id, Metric.PAGE_VIEW) == 0


def test_a_story_page_sets_no_cookie(client, voices):
    (first, _second), _waiting = voices
    resp = hit(client, f"/stories/{first.id}")
    assert "Set-Cookie" not in resp.headers


@pytest.mark.parametrize("headers", [{"DNT": "1"}, {"Sec-GPC": "1"}, {"User-Agent": BOT}],
                         ids=["dnt", "gpc", "bot"])
def test_story_views_and_beacons_respect_dnt_gpc_and_bots(client, waaghaus, voices, db_session,
                                                          headers):
    (first, _second), _waiting = voices
    assert hit(client, f"/stories/{first.id}", **headers).status_code == 200
    assert hit(client, f"/places/{waaghaus.id}", **headers).status_code == 200
    resp = beacon(client, (f"story:{first.id}", "audio_play"), **headers)
    assert resp.status_code == 202 and resp.json == {"counted": 0}
    for metric in (Metric.PAGE_VIEW, Metric.AUDIO_PLAY):
        assert story_count(db_session, first.id, metric) == 0


def test_a_head_request_is_no_view(client, voices, db_session):
    (first, _second), _waiting = voices
    resp = client.head(f"/stories/{first.id}", headers={"User-Agent": PHONE})
    resp.close()
    assert resp.status_code == 200
    assert story_count(db_session, first.id, Metric.PAGE_VIEW) == 0


def test_recordings_and_read_aloud_are_counted_per_story(client, voices, db_session):
    (first, second), _waiting = voices
    resp = beacon(client, (f"story:{first.id}", "audio_play"),
                  (f"story:{first.id}", "read_aloud"), (f"story:{second.id}", "read_aloud"))
    assert resp.status_code == 202 and resp.json == {"counted": 3}
    assert story_count(db_session, first.id, Metric.AUDIO_PLAY) == 1
    assert story_count(db_session, first.id, Metric.READ_ALOUD) == 1
    assert story_count(db_session, second.id, Metric.READ_ALOUD) == 1


def test_an_older_page_s_place_beacon_counts_for_the_lead_story(client, waaghaus, db_session):
    lead = stories.lead_story(waaghaus)
    before = story_count(db_session, lead.id, Metric.AUDIO_PLAY)
    resp = beacon(client, (f"place:{waaghaus.id}", "audio_play"))
    assert resp.status_code == 202 and resp.json == {"counted": 1}
    assert story_count(db_session, lead.id, Metric.AUDIO_PLAY) == before + 1
    c = UsageCounter
    assert db_session.scalar(select(func.count()).select_from(c).where(
        c.offering_kind == OfferingKind.PLACE, c.day == date.today())) == 0


@pytest.mark.parametrize("offering", ["waiting", "story:999999999", "story:abc", "story:",
                                      "story:99999999999999999999"])
def test_a_beacon_for_a_story_that_is_not_public_counts_nothing_of_its_batch(
        client, voices, db_session, offering):
    (first, _second), waiting = voices
    ref = f"story:{waiting.id}" if offering == "waiting" else offering
    resp = beacon(client, (f"story:{first.id}", "read_aloud"), (ref, "read_aloud"))
    assert resp.status_code == 422
    assert resp.json["error"]["field"].startswith("counts.1")
    assert story_count(db_session, first.id, Metric.READ_ALOUD) == 0


def test_a_story_beacon_takes_no_stop(client, voices, db_session):
    (first, _second), _waiting = voices
    resp = client.post("/api/v1/usage", headers={"User-Agent": PHONE}, json={"counts": [
        {"offering": f"story:{first.id}", "metric": "audio_play", "stop": 2,
         "day": date.today().isoformat()}]})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "counts.0.stop"
    assert story_count(db_session, first.id, Metric.AUDIO_PLAY) == 0


def _recording(db_session, place, story, name):
    medium = Media(place_id=place.id, story_id=story.id, kind="audio", status="approved",
                   variants={"public": f"usage/{name}-public.m4a"},
                   storage_key=f"private/usage/{name}.m4a", size_bytes=100, sha256="0" * 64,
                   mime="audio/mp4", duration_s=10.0)
    db_session.add(medium)
    return medium


def test_the_place_page_names_each_recording_s_story_for_the_beacon(
        client, waaghaus, voices, db_session):
    (first, _second), _waiting = voices
    lead = stories.lead_story(waaghaus)
    _recording(db_session, waaghaus, lead, "lead")
    _recording(db_session, waaghaus, first, "first")
    db_session.commit()
    html = client.get(f"/places/{waaghaus.id}").get_data(as_text=True)
    assert f'data-usage="story:{lead.id}"' in html
    assert f'data-usage="story:{first.id}"' in html
    assert 'data-usage="place:' not in html
    page = client.get(f"/stories/{first.id}").get_data(as_text=True)
    assert f'data-usage="story:{first.id}"' in page
    assert f'data-count-offering="story:{first.id}"' in page


# --- what curators see ---------------------------------------------------------------------


@pytest.fixture
def theme_with_voices(app, waaghaus, voices, db_session):
    """A theme of its own for the Waaghaus, and counts for the two new stories: 7 views and
    3 plays for the first, 2 views for the second."""
    from app.services.insights import counting

    theme = Theme(slug="waage", name_de="Waage", name_en="Scales")
    db_session.add(theme)
    waaghaus.themes.append(theme)
    db_session.commit()
    (first, second), _waiting = voices
    day = counting.today(app.config)
    rows = ([counting.Count(OfferingKind.STORY, first.id, Metric.PAGE_VIEW, day)] * 7
            + [counting.Count(OfferingKind.STORY, first.id, Metric.AUDIO_PLAY, day,
                              source="online")] * 3
            + [counting.Count(OfferingKind.STORY, second.id, Metric.PAGE_VIEW, day)] * 2)
    assert counting.write(counting.database_url(app.config), rows)
    return theme


def test_theme_figures_give_each_story_its_views_plays_and_read_aloud(app, theme_with_voices,
                                                                     voices):
    from app.services.insights import counting, figures

    (first, second), waiting = voices
    data = figures.theme_figures(theme_with_voices, counting.today(app.config), least=100)
    rows = {r["id"]: r for r in data["least_stories"]}
    assert waiting.id not in rows  # only public stories
    assert rows[first.id]["page_view"] == 7 and rows[first.id]["audio_play"] == 3
    assert rows[second.id]["page_view"] == 2
    ordered = [r["id"] for r in data["least_stories"]]
    assert ordered.index(second.id) < ordered.index(first.id)  # fewest views first


def test_theme_page_csv_and_api_show_story_figures_with_small_numbers_hidden(
        client, curator, theme_with_voices, voices):
    (first, second), _waiting = voices
    login(client, curator.email)
    html = client.get("/curate/insights/themes/waage").get_data(as_text=True)
    assert 'id="least-stories-table"' in html and f'data-story="{second.id}"' in html
    rows = list(csv.reader(io.StringIO(
        client.get("/curate/insights/themes/waage.csv").get_data(as_text=True))))
    story_rows = {(r[1], r[2]): r[3] for r in rows if r[0] == "least_used_story"}
    assert story_rows[(str(second.id), "page_view")] == "<5"
    assert {m for (_sid, m) in story_rows} == {"page_view", "audio_play", "read_aloud"}
    body = client.get("/api/v1/usage/themes/waage").get_json()
    listed = {s["id"]: s for s in body["least_used_stories"]}
    assert listed[second.id] == {"id": second.id, "title": "Der Markt",
                                 "place_id": second.place_id, "page_view": "<5",
                                 "audio_play": "<5", "read_aloud": "<5"}
    one = client.get(f"/api/v1/usage/stories/{first.id}").get_json()
    assert (one["page_view"], one["audio_play"], one["read_aloud"]) == ("7", "<5", "<5")
    assert one["months"][-1]["page_view"] == "7" and len(one["months"]) == 12
    assert all(v == "<5" for m in one["months"][:-1] for k, v in m.items() if k != "month")


def test_story_figures_api_is_for_curators_and_names_what_is_missing(client, resident, curator,
                                                                    theme_with_voices, voices):
    (first, _second), _waiting = voices
    assert client.get(f"/api/v1/usage/stories/{first.id}").status_code == 401
    login(client, resident.email)
    assert client.get(f"/api/v1/usage/stories/{first.id}").status_code == 403
    assert client.get("/api/v1/usage/themes/waage").status_code == 403
    client.post("/logout")
    login(client, curator.email)
    assert client.get("/api/v1/usage/stories/999999999").status_code == 404
    assert client.get("/api/v1/usage/themes/no-such-theme").status_code == 404


def test_a_withdrawn_story_keeps_its_figures(client, curator, resident, theme_with_voices,
                                             voices, db_session):
    (first, _second), _waiting = voices
    stories.withdraw_story(resident, first.id)
    db_session.commit()
    login(client, curator.email)
    one = client.get(f"/api/v1/usage/stories/{first.id}").get_json()
    assert one["page_view"] == "7"
