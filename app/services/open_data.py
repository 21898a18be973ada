"""``flask export open-data DIR``: the whole approved dataset for an open-data portal.

Writes ``places.geojson`` (streamed from PostGIS feature by feature, so a million places never
sit in memory), ``stories.geojson`` (every public story at the point of its place, with its
licence and whom to credit, its photos and recordings with their transcripts; streamed the
same way), ``tours.geojson``, ``tours/<slug>.gpx`` (GPX 1.1: the route as a track, the
visible stops as waypoints), ``replies.json`` (the public replies on public stories, CC BY-SA
4.0; reactions are published as counts only, in the story pages), ``LICENCE.md`` and a
Frictionless ``datapackage.json``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import gpxpy.gpx

from app.licences import STORY_LICENCE, licence_url
from app.services import geodata
from app.services.conversation import thread
from app.services.geodata import stories as story_data

# XML 1.0 forbids these; gpxpy would write them into broken XML.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

LICENCE_TEXT = """# Licence of this dataset

Published by Stadtspur {city} on {date}. Everything here was approved for publication.

- **Place data** (positions, titles, themes, era and other facts): CC0 1.0 — no rights
  reserved. https://creativecommons.org/publicdomain/zero/1.0/
- **Stories** (`stories.geojson`, each at the point of its place): each under the licence in
  its own `licence` property, usually CC BY-SA 4.0
  (https://creativecommons.org/licenses/by-sa/4.0/). Credit the name in its `credit` property
  (the narrator, also when someone entered the story on their behalf) and "Stadtspur {city}".
  A place's own text (summary and body in `places.geojson`) is its first story: the licence
  in the place's `licence` property, credit its `attribution`.
- **Photos and recordings**: the licence and credit given with each medium (`media`); a
  recording's `transcript` is its text alternative, under the story's licence.
- **Tours** (title, introduction, order of stops, route): CC BY-SA 4.0, credit the name in
  `attribution` and "Stadtspur {city}".
- **Replies** (`replies.json`, the public conversation on the stories): CC BY-SA 4.0, credit
  the name in each reply's `credit` and "Stadtspur {city}".

Files: `places.geojson`, `stories.geojson` and `tours.geojson` (RFC 7946, WGS 84
longitude/latitude; a story's `time` is its era as an interval of dates),
`tours/<slug>.gpx` (GPX 1.1), `replies.json` (a JSON array; `story_id` names the story,
`parent_id` the reply answered), `datapackage.json` (Frictionless Data descriptor).
"""


def _clean(value: str | None) -> str | None:
    return None if value is None else _NOT_XML.sub("", value)


def tour_gpx(feature: dict) -> str:
    """GPX 1.1 of a tour Feature (as built by geodata): route as a track, stops as waypoints."""
    props = feature["properties"]
    gpx = gpxpy.gpx.GPX()
    gpx.name = _clean(props["title"])
    gpx.description = _clean(props["intro"])
    gpx.link = props["url"]
    gpx.copyright_author = _clean(props["attribution"])
    gpx.copyright_license = "https://creativecommons.org/licenses/by-sa/4.0/"
    for stop in props["stops"]:
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=stop["lat"], longitude=stop["lon"],
                name=_clean(f"{stop['number']}. {stop['title']}"),
            )
        )
    if feature.get("geometry"):
        track = gpxpy.gpx.GPXTrack(name=_clean(props["title"]))
        segment = gpxpy.gpx.GPXTrackSegment()
        segment.points = [
            gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon)
            for lon, lat, *_ in feature["geometry"]["coordinates"]
        ]
        track.segments.append(segment)
        gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def _write_features(path: Path, features) -> int:
    """A FeatureCollection of the JSON texts ``features`` into ``path``, written next to it
    first so that a reader never finds half a file; returns how many."""
    count = 0
    tmp = path.with_suffix(".geojson.part")
    with tmp.open("w", encoding="utf-8") as out:
        out.write('{"type":"FeatureCollection","features":[\n')
        for feature in features:
            if count:
                out.write(",\n")
            out.write(feature)
            count += 1
        out.write("\n]}\n")
    tmp.replace(path)
    return count


def export_open_data(target: Path, site: str, media_url: str, city: str) -> dict:
    """Write the dataset into ``target`` (created if needed); returns counts."""
    target.mkdir(parents=True, exist_ok=True)
    counts = {"places": 0, "stories": 0, "tours": 0, "replies": 0}
    counts["places"] = _write_features(target / "places.geojson",
                                       geodata.stream_place_features(site, media_url))
    counts["stories"] = _write_features(target / "stories.geojson",
                                        story_data.stream_story_features(site, media_url))

    tours = geodata.tours_for_export(site)
    (target / "tours.geojson").write_text(
        '{"type":"FeatureCollection","features":[\n'
        + ",\n".join(feature for _slug, feature in tours)
        + "\n]}\n",
        encoding="utf-8",
    )
    gpx_dir = target / "tours"
    gpx_dir.mkdir(exist_ok=True)
    for slug, feature in tours:
        (gpx_dir / f"{slug}.gpx").write_text(tour_gpx(json.loads(feature)), encoding="utf-8")
        counts["tours"] += 1

    replies = [{**reply, "licence": STORY_LICENCE,
                "url": f"{site}/stories/{reply['story_id']}#reply-{reply['id']}"}
               for reply in thread.public_replies_for_export(city)]
    tmp = target / "replies.json.part"
    tmp.write_text(json.dumps(replies, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target / "replies.json")
    counts["replies"] = len(replies)

    story_licences = story_data.story_licences()
    today = datetime.now(UTC).date().isoformat()
    (target / "LICENCE.md").write_text(LICENCE_TEXT.format(city=city, date=today),
                                       encoding="utf-8")
    package = {
        "name": f"stadtspur-{re.sub(r'[^a-z0-9]+', '-', city.lower()).strip('-')}",
        "title": f"Stadtspur {city}: places, stories and tours",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "homepage": site,
        "licenses": [
            {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/",
             "title": "Place data"},
            {"name": "CC-BY-SA-4.0", "path": "https://creativecommons.org/licenses/by-sa/4.0/",
             "title": "Stories and tours, unless a feature names another licence"},
            *[{"name": code, "path": licence_url(code), "title": "Stories that name it"}
              for code in story_licences
              if code not in ("CC0-1.0", "CC-BY-SA-4.0") and licence_url(code)],
        ],
        "resources": [
            {"name": "places", "path": "places.geojson", "format": "geojson",
             "mediatype": "application/geo+json", "count": counts["places"]},
            {"name": "stories", "path": "stories.geojson", "format": "geojson",
             "mediatype": "application/geo+json", "count": counts["stories"],
             "description": "Each story names its licence (licence) and whom to credit "
                            "(credit)."},
            {"name": "tours", "path": "tours.geojson", "format": "geojson",
             "mediatype": "application/geo+json", "count": counts["tours"]},
            {"name": "replies", "path": "replies.json", "format": "json",
             "mediatype": "application/json", "count": counts["replies"],
             "licenses": [{"name": "CC-BY-SA-4.0",
                           "path": "https://creativecommons.org/licenses/by-sa/4.0/"}]},
            *[{"name": f"tour-{slug}", "path": f"tours/{slug}.gpx", "format": "gpx",
               "mediatype": "application/gpx+xml"} for slug, _feature in tours],
        ],
    }
    (target / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n",
                                             encoding="utf-8")
    return counts
