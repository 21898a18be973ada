"""``flask export open-data DIR``: GeoJSON of approved places and tours, GPX, licence."""

from __future__ import annotations

import json

import gpxpy

from tests.integration.test_api_places import PRIVATE_TITLES, open_city


def test_export_open_data(runner, db_session, tmp_path):
    data = open_city(db_session, grid=3)
    data["kaserne"].title = "Alte Kaserne \x0b (control character)"
    db_session.flush()
    target = tmp_path / "open"
    result = runner.invoke(args=["export", "open-data", str(target),
                                 "--site-url", "https://stadtspur.example"])
    assert result.exit_code == 0, result.output
    # open_city's places have no story rows: the stories file is there, and empty.
    assert "Exported 12 places, 0 stories, 0 replies and 1 tours" in result.output
    assert json.loads((target / "stories.geojson").read_text())["features"] == []

    places = json.loads((target / "places.geojson").read_text())
    assert places["type"] == "FeatureCollection"
    titles = {f["properties"]["title"] for f in places["features"]}
    assert len(titles) == 12 and PRIVATE_TITLES.isdisjoint(titles)
    kaserne = next(f for f in places["features"] if f["id"] == data["kaserne"].id)
    assert kaserne["properties"]["licence"] == "CC-BY-SA-4.0"
    assert kaserne["properties"]["attribution"] == "Wanda Writer"
    assert kaserne["properties"]["url"] == f"https://stadtspur.example/places/{data['kaserne'].id}"
    assert kaserne["properties"]["media"][0]["url"] == "https://stadtspur.example/media/ab/kaserne.m4a"

    tours = json.loads((target / "tours.geojson").read_text())
    assert [t["id"] for t in tours["features"]] == ["altstadt"]
    gpx = gpxpy.parse((target / "tours" / "altstadt.gpx").read_text())
    assert gpx.name == "Durch die Altstadt"
    assert [w.name for w in gpx.waypoints] == ["1. Alte Kaserne  (control character)",
                                               "3. Stadthaus"]
    assert len(gpx.tracks[0].segments[0].points) == 3
    assert not (target / "tours" / "draft-tour.gpx").exists()

    licence = (target / "LICENCE.md").read_text()
    assert "CC0 1.0" in licence and "CC BY-SA 4.0" in licence
    package = json.loads((target / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} == {
        "places.geojson", "stories.geojson", "tours.geojson", "replies.json",
        "tours/altstadt.gpx"}


def test_export_refuses_a_bad_site_url(runner, db_session, tmp_path):
    result = runner.invoke(args=["export", "open-data", str(tmp_path), "--site-url", "nope"])
    assert result.exit_code != 0
    assert "--site-url" in result.output
    assert not (tmp_path / "places.geojson").exists()
