"""The HTML encoding of OGC API Features (app/api/ogc.py): plain values for templates/ogc/.

The pages are made from the same documents as the JSON, features included (parsed from the
GeoJSON text PostGIS wrote), and speak the visitor's language: collection titles, labels and
counts are translated here, the data (titles, stories) stays in its own language. Links
between the pages carry ``f=html``, so they stay pages whatever the browser's Accept header;
each page links its JSON with ``f=json``.
"""

from __future__ import annotations

from datetime import datetime

from babel import Locale, UnknownLocaleError
from flask import current_app, request, url_for
from flask_babel import format_datetime, get_locale, gettext, ngettext

from app.formatting import (
    format_distance,
    format_era,
    format_minutes,
    format_story_era,
    story_kind_label,
)
from app.licences import licence_info
from app.models.statuses import MediaKind
from app.services.geodata import DATA_LICENCE, TOUR_LICENCE
from app.services.themes import theme_choices

CONFORMANCE_NAMES = {
    "core": "Core",
    "geojson": "GeoJSON",
    "html": "HTML",
}


def _locale() -> str:
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def licence(code: str | None) -> dict:
    name, url = licence_info(code)
    return {"code": code, "name": name, "url": url}


def json_url(endpoint: str, **values) -> str:
    """The JSON twin of a page: ``f=json`` (without it a browser would get the page again)."""
    return url_for(endpoint, **values, f="json")


# --- landing, conformance, collections --------------------------------------------------------


def landing() -> dict:
    city = current_app.config["CITY_NAME"]
    return {
        "json_url": json_url("ogc.landing"),
        "title": gettext("%(city)s as open data: OGC API Features", city=city),
        "description": gettext(
            "Approved places, their stories and published tours of %(city)s as open data, "
            "for maps, GIS software and scripts.", city=city),
    }


def conformance(uris: list[str]) -> dict:
    classes = []
    for uri in uris:
        short = uri.rsplit("/", 1)[-1]
        classes.append({"uri": uri, "name": CONFORMANCE_NAMES.get(short, short)})
    return {"classes": classes, "json_url": json_url("ogc.conformance")}


def collection_texts(cid: str) -> dict:
    """Title, description and what ``datetime`` filters, in the visitor's language."""
    city = current_app.config["CITY_NAME"]
    if cid == "places":
        return {
            "title": gettext("Places of %(city)s", city=city),
            "description": gettext(
                "Approved places with their stories. Each place names its story's licence "
                "and whom to credit."),
            "temporal": gettext(
                "The datetime filter selects places by their era: the year or decade the "
                "story is about."),
            "licence": licence(DATA_LICENCE),
            "items_label": gettext("List of places"),
            "items_json_label": gettext("Places as GeoJSON"),
            "table_caption": gettext("Places on this page"),
            "per_page_label": gettext("Places per page"),
            "map_label": gettext("Map of the places on this page. The table lists them too."),
            "licence_note": gettext(
                "Position and facts of every place; each story is under the licence named "
                "with it."),
        }
    if cid == "stories":
        return {
            "title": gettext("Stories of %(city)s", city=city),
            "description": gettext(
                "Approved stories, each at the point of its place, with its kind, language, "
                "era, licence and whom to credit."),
            "temporal": gettext(
                "The datetime filter selects stories by their era: the years the story is "
                "about."),
            "licence": licence("CC-BY-SA-4.0"),
            "items_label": gettext("List of stories"),
            "items_json_label": gettext("Stories as GeoJSON"),
            "table_caption": gettext("Stories on this page"),
            "per_page_label": gettext("Stories per page"),
            "map_label": gettext("Map of the places of the stories on this page. The table "
                                 "lists them too."),
            "licence_note": gettext(
                "Each story is under the licence named with it, usually this one; the "
                "position of its place is CC0."),
        }
    return {
        "title": gettext("Tours in %(city)s", city=city),
        "description": gettext(
            "Published walking tours: the route as a line, the stops in the properties."),
        "temporal": gettext("The datetime filter selects tours by the time they were published."),
        "licence": licence(TOUR_LICENCE),
        "items_label": gettext("List of tours"),
        "items_json_label": gettext("Tours as GeoJSON"),
        "table_caption": gettext("Tours on this page"),
        "per_page_label": gettext("Tours per page"),
        "map_label": gettext("Map of the tours on this page: their routes and where they "
                             "start. The table lists them too."),
        "licence_note": gettext("Routes, stops and texts of every tour."),
    }


def _extent(doc: dict) -> dict | None:
    spatial = doc.get("extent", {}).get("spatial")
    if not spatial:
        return None
    west, south, east, north = spatial["bbox"][0]
    return {"west": west, "south": south, "east": east, "north": north,
            "bbox": ",".join(str(v) for v in (west, south, east, north))}


def collection(doc: dict) -> dict:
    """A collection document (as in the JSON) as the page shows it."""
    return {"id": doc["id"], **collection_texts(doc["id"]), "extent": _extent(doc)}


def collections_page(docs: list[dict]) -> dict:
    return {"collections": [collection(d) for d in docs],
            "json_url": json_url("ogc.collections")}


def collection_page(doc: dict) -> dict:
    return {"collection": collection(doc), "json_url": json_url("ogc.collection", cid=doc["id"]),
            "items_json_url": json_url("ogc.items", cid=doc["id"])}


# --- items ------------------------------------------------------------------------------------


def _theme_names() -> dict[str, str]:
    return {t["slug"]: t["name"] for t in theme_choices(_locale())}


def _item_url(cid: str, fid) -> str:
    return url_for("ogc.item", cid=cid, fid=fid, f="html")


def _era(era: dict | None) -> str:
    return format_era(era["year"], era.get("precision")) if era else ""


def _place_row(feature: dict, themes: dict[str, str]) -> dict:
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"][:2]
    return {
        "id": feature["id"],
        "url": _item_url("places", feature["id"]),
        "title": props["title"],
        "language": props.get("language"),
        "themes": [themes.get(slug, slug) for slug in props.get("themes") or []],
        "era": _era(props.get("era")),
        "licence": licence(props.get("licence")),
        "attribution": props.get("attribution"),
        "lon": lon,
        "lat": lat,
    }


def _story_era(era: dict | None) -> str:
    return format_story_era(era["start"], era["end"], era.get("precision")) if era else ""


def _story_row(feature: dict) -> dict:
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"][:2]
    return {
        "id": feature["id"],
        "url": _item_url("stories", feature["id"]),
        "title": props["title"],
        "language": props.get("language"),
        "kind": story_kind_label(props.get("kind") or ""),
        "era": _story_era(props.get("era")),
        "place": {"title": props.get("place_title"),
                  "url": _item_url("places", props["place_id"])},
        "licence": licence(props.get("licence")),
        "attribution": props.get("credit"),
        "lon": lon,
        "lat": lat,
    }


def _tour_row(feature: dict) -> dict:
    props = feature["properties"]
    stops = props.get("stops") or []
    return {
        "id": feature["id"],
        "url": _item_url("tours", feature["id"]),
        "title": props["title"],
        "language": props.get("language"),
        "stop_count": len(stops),
        "length": format_distance(props.get("length_m")) if props.get("length_m") else "",
        "geometry": feature.get("geometry"),
        "start": stops[0] if stops else None,
    }


def count_sentence(cid: str, returned: int, matched: int | None, offset: int) -> str:
    """How many features this page shows, as a whole sentence (numberReturned and, when it
    is known, numberMatched); each plural follows the number it counts."""
    first, last = offset + 1, offset + returned
    if cid == "stories":
        return _story_count_sentence(returned, matched, offset)
    places = cid == "places"
    if matched == 0:
        return gettext("No places match.") if places else gettext("No tours match.")
    if returned == 0:
        return (gettext("No more places: this page is past the last one.") if places
                else gettext("No more tours: this page is past the last one."))
    if matched is not None and offset == 0:
        if places:
            return ngettext("There is %(num)d place; it is on this page.",
                            "There are %(num)d places, all on this page.", matched)
        return ngettext("There is %(num)d tour; it is on this page.",
                        "There are %(num)d tours, all on this page.", matched)
    if matched is not None:
        if places:
            return ngettext("This page shows place %(first)d of %(total)d.",
                            "This page shows places %(first)d to %(last)d of %(total)d.",
                            returned, first=first, last=last, total=matched)
        return ngettext("This page shows tour %(first)d of %(total)d.",
                        "This page shows tours %(first)d to %(last)d of %(total)d.",
                        returned, first=first, last=last, total=matched)
    if places:
        return ngettext("This page shows place %(first)d; there are more on the next pages.",
                        "This page shows places %(first)d to %(last)d; there are more on the "
                        "next pages.", returned, first=first, last=last)
    return ngettext("This page shows tour %(first)d; there are more on the next pages.",
                    "This page shows tours %(first)d to %(last)d; there are more on the next "
                    "pages.", returned, first=first, last=last)


def _story_count_sentence(returned: int, matched: int | None, offset: int) -> str:
    first, last = offset + 1, offset + returned
    if matched == 0:
        return gettext("No stories match.")
    if returned == 0:
        return gettext("No more stories: this page is past the last one.")
    if matched is not None and offset == 0:
        return ngettext("There is %(num)d story; it is on this page.",
                        "There are %(num)d stories, all on this page.", matched)
    if matched is not None:
        return ngettext("This page shows story %(first)d of %(total)d.",
                        "This page shows stories %(first)d to %(last)d of %(total)d.",
                        returned, first=first, last=last, total=matched)
    return ngettext("This page shows story %(first)d; there are more on the next pages.",
                    "This page shows stories %(first)d to %(last)d; there are more on the "
                    "next pages.", returned, first=first, last=last)


def _paging(cid: str, offset: int, limit: int, has_next: bool) -> dict:
    """Previous and next pages as HTML, keeping bbox, datetime and limit."""
    kept = {k: v for k, v in request.args.items() if k not in ("offset", "f")}

    def href(off: int) -> str:
        args = {**kept, "offset": off} if off else kept
        return url_for("ogc.items", cid=cid, **args, f="html")

    return {
        "next": href(offset + limit) if has_next else None,
        "prev": href(max(0, offset - limit)) if offset else None,
    }


def _map_of_items(cid: str, rows: list[dict]) -> dict:
    if cid in ("places", "stories"):
        return {"points": [{"id": r["id"], "title": r["title"], "lon": r["lon"],
                            "lat": r["lat"], "url": r["url"]} for r in rows]}
    routes = [{"type": "Feature", "geometry": r["geometry"], "properties": {}}
              for r in rows if r["geometry"]]
    data: dict = {"points": [{"id": r["id"], "title": r["title"], "lon": r["start"]["lon"],
                              "lat": r["start"]["lat"], "url": r["url"]}
                             for r in rows if r["start"]]}
    if routes:
        data["route"] = {"type": "FeatureCollection", "features": routes}
    return data


def items(cid: str, head: dict, features: list[dict], offset: int, limit: int,
          has_next: bool) -> dict:
    """A page of items: the table's rows, the counts in words, paging and the map's data."""
    if cid == "places":
        themes = _theme_names()
        rows = [_place_row(f, themes) for f in features]
    elif cid == "stories":
        rows = [_story_row(f) for f in features]
    else:
        rows = [_tour_row(f) for f in features]
    kept = {k: v for k, v in request.args.items() if k != "f"}
    return {
        "collection": {"id": cid, **collection_texts(cid)},
        "rows": rows,
        "count": count_sentence(cid, head["numberReturned"], head.get("numberMatched"), offset),
        "filters": {k: kept[k] for k in ("bbox", "datetime") if kept.get(k)},
        "limit": limit,
        "paging": _paging(cid, offset, limit, has_next),
        "map": _map_of_items(cid, rows) if rows else None,
        "json_url": json_url("ogc.items", cid=cid, **kept),
    }


# --- one item ---------------------------------------------------------------------------------


def _language_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code


def _when(value: str | None) -> str:
    if not value:
        return ""
    return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), "medium")


def _yes_no(value: bool | None) -> str:
    if value is None:
        return gettext("Not known")
    return gettext("Yes") if value else gettext("No")


def _entry(key: str, label: str, value, kind: str = "text") -> dict:
    return {"key": key, "label": label, "value": value, "kind": kind}


def _place_entries(props: dict, lon: float, lat: float) -> list[dict]:
    themes = _theme_names() if props.get("themes") else {}
    entries = [
        _entry("title", gettext("Title"), props.get("title"), "own-language"),
        _entry("summary", gettext("Summary"), props.get("summary"), "own-language"),
        _entry("themes", gettext("Themes"),
               [themes.get(s, s) for s in props.get("themes") or []], "list"),
        _entry("era", gettext("When was this?"), _era(props.get("era"))),
        _entry("language", gettext("Language"), _language_name(props.get("language"))),
        _entry("has_audio", gettext("Recording to listen to"), _yes_no(props.get("has_audio"))),
        _entry("step_free", gettext("Step-free"), _yes_no(props.get("step_free"))),
        _entry("geometry", gettext("Position"),
               gettext("Latitude %(lat)s, longitude %(lon)s", lat=f"{lat:.6f}",
                       lon=f"{lon:.6f}")),
        _entry("published_at", gettext("Published"), _when(props.get("published_at"))),
        _entry("updated_at", gettext("Last changed"), _when(props.get("updated_at"))),
        _entry("body", gettext("Story"), props.get("body"), "markdown"),
    ]
    media = _media_entries(props.get("media"))
    if media:
        entries.append(_entry("media", gettext("Photos and recordings"), media, "media"))
    return entries


def _media_entries(media: list[dict]) -> list[dict]:
    return [{"url": m["url"], "caption": m.get("caption") or "",
             "kind": gettext("Photo") if m["kind"] == MediaKind.PHOTO else gettext("Recording"),
             "credit": m.get("credit") or "", "licence": licence(m.get("licence")),
             "transcript": m.get("transcript") or ""}
            for m in media or []]


def _story_entries(props: dict, lon: float, lat: float) -> list[dict]:
    entries = [
        _entry("title", gettext("Title"), props.get("title"), "own-language"),
        _entry("kind", gettext("Kind of story"), story_kind_label(props.get("kind") or "")),
        _entry("era", gettext("When was this?"), _story_era(props.get("era"))),
        _entry("language", gettext("Language"), _language_name(props.get("language"))),
        _entry("place_title", gettext("Place"),
               {"title": props.get("place_title"),
                "url": _item_url("places", props["place_id"])}, "place"),
        _entry("geometry", gettext("Position"),
               gettext("Latitude %(lat)s, longitude %(lon)s", lat=f"{lat:.6f}",
                       lon=f"{lon:.6f}")),
        _entry("published_at", gettext("Published"), _when(props.get("published_at"))),
        _entry("body", gettext("Story"), props.get("body"), "markdown"),
    ]
    media = _media_entries(props.get("media"))
    if media:
        entries.append(_entry("media", gettext("Photos and recordings"), media, "media"))
    return entries


def _tour_entries(props: dict) -> list[dict]:
    stops = [{"number": s["number"], "title": s["title"],
              "url": _item_url("places", s["place_id"])} for s in props.get("stops") or []]
    themes = _theme_names() if props.get("theme") else {}
    return [
        _entry("title", gettext("Title"), props.get("title"), "own-language"),
        _entry("intro", gettext("Introduction"), props.get("intro"), "own-language"),
        _entry("theme", gettext("Theme"), themes.get(props.get("theme"), props.get("theme"))),
        _entry("language", gettext("Language"), _language_name(props.get("language"))),
        _entry("length_m", gettext("Length"), format_distance(props.get("length_m"))),
        _entry("duration_min", gettext("Walking time"), format_minutes(props.get("duration_min"))),
        _entry("duration_relaxed_min", gettext("At a relaxed pace"),
               format_minutes(props.get("duration_relaxed_min"))),
        _entry("accessibility", gettext("Accessibility"), props.get("accessibility"),
               "own-language"),
        _entry("stops", gettext("Stops"), stops, "stops"),
        _entry("published_at", gettext("Published"), _when(props.get("published_at"))),
        _entry("updated_at", gettext("Last changed"), _when(props.get("updated_at"))),
        _entry("gpx_url", gettext("GPX file"), props.get("gpx_url"), "link"),
    ]


def item(cid: str, feature: dict) -> dict:
    """One feature: its properties as a definition list, its licence, credit and map."""
    props = feature["properties"]
    geometry = feature.get("geometry")
    if cid in ("places", "stories"):
        # A place and a story are both a point with a story text and CC0 facts.
        lon, lat = geometry["coordinates"][:2]
        if cid == "places":
            entries = _place_entries(props, lon, lat)
            page = url_for("visitor.place", place_id=feature["id"])
        else:
            entries = _story_entries(props, lon, lat)
            page = url_for("stories.story", story_id=feature["id"])
        licences = [
            {"label": gettext("Licence of the story"), "licence": licence(props.get("licence"))},
            {"label": gettext("Licence of position and facts"),
             "licence": licence(props.get("data_licence") or DATA_LICENCE)},
        ]
        map_data = {"points": [{"id": feature["id"], "title": props["title"], "lon": lon,
                                "lat": lat, "url": page}]}
    else:
        entries = _tour_entries(props)
        page = url_for("visitor.tour", slug=feature["id"])
        licences = [{"label": gettext("Licence of the tour"),
                     "licence": licence(props.get("licence"))}]
        map_data = {"points": [{"number": s["number"], "place_id": s["place_id"],
                                "title": s["title"], "lon": s["lon"], "lat": s["lat"],
                                "url": _item_url("places", s["place_id"])}
                               for s in props.get("stops") or []],
                    "numbered": True}
        if geometry:
            map_data["route"] = geometry
    has_map = bool(map_data["points"] or map_data.get("route"))
    return {
        "collection": {"id": cid, **collection_texts(cid)},
        "id": feature["id"],
        "title": props["title"],
        "language": props.get("language"),
        "entries": [e for e in entries if e["value"] not in (None, "", [])],
        "page_url": page,
        "licences": licences,
        "attribution": props.get("credit") if cid == "stories" else props.get("attribution"),
        "map": map_data if has_map else None,
        "json_url": json_url("ogc.item", cid=cid, fid=feature["id"]),
    }
