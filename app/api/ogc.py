"""OGC API Features, Part 1 Core (GeoJSON and HTML) under /ogc: collections ``places``,
``stories`` and ``tours``.

Items come in id order with offset paging and ``next``/``prev`` links. ``numberMatched`` is
given only when it is known without counting (on the last page): counting every page is
what keeps peers slow at a million places. ``datetime`` filters places and stories by their era
(the time the story is about: a story's Feature carries it as its ``time`` interval) and tours
by their publication time. A story's geometry is the point of its place.

Every resource is also an HTML page (app/api/ogc_html.py, templates/ogc/): for ``f=html``, or
without ``f`` when the Accept header prefers text/html over JSON, as a browser's does. JSON
stays the default for everyone else (GIS tools, scripts, ``*/*``, no Accept at all); its
documents are built as before, in English, with the features passed on as PostGIS wrote them,
and each links its HTML twin (``rel=alternate``). The pages are made from the same documents
(parsed again: the HTML path is not the one that has to be fast) in the visitor's language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext

from app.api import ogc_html
from app.api.http import public_read
from app.api.query_params import N_, parse_bbox, parse_datetime, year_range
from app.errors import DomainError, NotFound, ValidationError, asks_for_html
from app.licences import licence_name, licence_url
from app.services import geodata
from app.services.geodata import stories as story_data

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
FORMATS = ("json", "geojson", "html")
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
ITEM_PARAMS = {"limit", "offset", "bbox", "datetime", "f"}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


class BadRequest(DomainError):
    """OGC wants 400 (not 422) for parameters it cannot use."""

    status = 400
    code = "bad_request"


def _say(message: str, **params) -> str:
    """An error message: on an HTML page in the visitor's language; in JSON in English, the
    language the API has always answered in."""
    if asks_for_html():
        return gettext(message, **params)
    return message % params if params else message


# geodata's message (English, for the API), listed here so HTML pages can show it translated.
GEODATA_MESSAGES = (N_("No public place with this id."), N_("No public story with this id."))


def read(max_age: int) -> Callable:
    """JSON answers are public reads (``public_read``: the same for everyone, a CDN may keep
    them). HTML pages are not: like every page of the site they carry the visitor's CSRF token
    (language switch) and login state, so they get http.py's default for other reads,
    ``private, no-cache`` with an ETag (a browser revalidates them, a shared cache keeps none)."""

    def decorator(view):
        public = public_read(max_age=max_age)(view)

        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs) if asks_for_html() else public(*args, **kwargs)

        return wrapper

    return decorator


@bp.after_request
def _vary(resp: Response) -> Response:
    # Without f=json/geojson/html the Accept header chose the format (errors included).
    if request.args.get("f") not in FORMATS:
        resp.vary.add("Accept")
    if resp.mimetype == HTML:
        resp.vary.add("Accept-Language")
    return resp


def _root() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _json(body: dict, mimetype: str = JSON) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), mimetype=mimetype)


def _html(template: str, **values) -> str:
    return render_template(f"ogc/{template}", **values)


def _alternate(href: str, title: str = "This document as HTML") -> dict:
    return {"href": href, "rel": "alternate", "type": HTML, "title": title}


def _check_f() -> None:
    f = request.args.get("f")
    if f is not None and f not in FORMATS:
        raise BadRequest(_say(N_("f must be json, geojson or html.")), field="f")


def _collections() -> dict[str, dict]:
    city = current_app.config["CITY_NAME"]
    return {
        "places": {
            "title": f"Places of {city}",
            "description": "Approved places with their stories. Position and facts CC0 1.0; "
            "each feature names its story's licence and whom to credit.",
            "extent": geodata.places_extent,
            "temporal": "era: the year or decade the story is about",
            "license": geodata.DATA_LICENCE,
        },
        "stories": {
            "title": f"Stories of {city}",
            "description": "Approved stories, each at the point of its place, with its kind, "
            "language, era, licence and whom to credit. Each story under the licence it "
            "names; the place data CC0 1.0.",
            "extent": story_data.stories_extent,
            "temporal": "era: the years the story is about (the feature's time interval)",
            "license": "CC-BY-SA-4.0",
        },
        "tours": {
            "title": f"Tours in {city}",
            "description": "Published walking tours: the route as a line, the stops in the "
            "properties. CC BY-SA 4.0.",
            "extent": geodata.tours_extent,
            "temporal": "publication time",
            "license": geodata.TOUR_LICENCE,
        },
    }


def _collection_doc(cid: str, meta: dict) -> dict:
    root = _root()
    extent: dict = {"temporal": {"interval": [[None, None]], "trs":
                                 "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}}
    box = meta["extent"]()
    if box:
        extent["spatial"] = {"bbox": [box], "crs": CRS84}
    return {
        "id": cid,
        "title": meta["title"],
        "description": meta["description"] + " datetime filters by " + meta["temporal"] + ".",
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            {"href": f"{root}/collections/{cid}", "rel": "self", "type": JSON,
             "title": meta["title"]},
            {"href": f"{root}/collections/{cid}/items", "rel": "items", "type": GEOJSON,
             "title": meta["title"]},
            {"href": licence_url(meta["license"]), "rel": "license", "type": "text/html",
             "title": licence_name(meta["license"])},
            _alternate(f"{root}/collections/{cid}?f=html"),
        ],
    }


@bp.get("")
@bp.get("/")
@read(max_age=300)
def landing():
    """Landing page with links to the API definition, conformance and collections."""
    _check_f()
    root = _root()
    site = request.url_root.rstrip("/")
    if asks_for_html():
        return _html("landing.html", **ogc_html.landing())
    return _json(
        {
            "title": f"Stadtspur {current_app.config['CITY_NAME']}: OGC API Features",
            "description": "Approved places, their stories and published tours as open data.",
            "links": [
                {"href": f"{root}/", "rel": "self", "type": JSON, "title": "This document"},
                {"href": f"{site}/api/openapi.json", "rel": "service-desc",
                 "type": "application/vnd.oai.openapi+json;version=3.0",
                 "title": "OpenAPI document of the Stadtspur API"},
                {"href": f"{site}/api/docs", "rel": "service-doc", "type": "text/html",
                 "title": "API documentation"},
                {"href": f"{root}/conformance", "rel": "conformance", "type": JSON,
                 "title": "Conformance classes"},
                {"href": f"{root}/collections", "rel": "data", "type": JSON,
                 "title": "Collections"},
                _alternate(f"{root}/?f=html"),
            ],
        }
    )


@bp.get("/conformance")
@read(max_age=3600)
def conformance():
    _check_f()
    if asks_for_html():
        return _html("conformance.html", **ogc_html.conformance(CONFORMANCE))
    return _json({"conformsTo": CONFORMANCE,
                  "links": [_alternate(f"{_root()}/conformance?f=html")]})


@bp.get("/collections")
@read(max_age=300)
def collections():
    _check_f()
    root = _root()
    docs = [_collection_doc(cid, meta) for cid, meta in _collections().items()]
    if asks_for_html():
        return _html("collections.html", **ogc_html.collections_page(docs))
    return _json(
        {
            "links": [{"href": f"{root}/collections", "rel": "self", "type": JSON},
                      _alternate(f"{root}/collections?f=html")],
            "collections": docs,
        }
    )


def _meta(cid: str) -> dict:
    meta = _collections().get(cid)
    if meta is None:
        raise NotFound(_say(N_("No such collection: there are places, stories and tours.")))
    return meta


@bp.get("/collections/<cid>")
@read(max_age=300)
def collection(cid: str):
    _check_f()
    doc = _collection_doc(cid, _meta(cid))
    if asks_for_html():
        return _html("collection.html", **ogc_html.collection_page(doc))
    return _json(doc)


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(_say(N_("%(name)s must be a whole number."), name=name),
                         field=name) from None
    if not lo <= value <= hi:
        raise BadRequest(_say(N_("%(name)s must be between %(lo)d and %(hi)d."), name=name,
                              lo=lo, hi=hi), field=name)
    return value


def _page_links(cid: str, offset: int, limit: int, page: geodata.FeaturePage) -> list[dict]:
    base = f"{_root()}/collections/{cid}/items"
    args = {k: v for k, v in request.args.items() if k not in ("offset", "f")}

    def href(off: int) -> str:
        query = urlencode({**args, "offset": off} if off else args)
        return f"{base}?{query}" if query else base

    links = [
        {"href": href(offset), "rel": "self", "type": GEOJSON, "title": "This page"},
        {"href": f"{_root()}/collections/{cid}", "rel": "collection", "type": JSON,
         "title": "The collection"},
    ]
    if page.next_key:
        links.append({"href": href(offset + limit), "rel": "next", "type": GEOJSON,
                      "title": "Next page"})
    if offset:
        links.append({"href": href(max(0, offset - limit)), "rel": "prev", "type": GEOJSON,
                      "title": "Previous page"})
    links.append(_alternate(base + "?" + urlencode({**request.args, "f": "html"}),
                            "This page as HTML"))
    return links


@bp.get("/collections/<cid>/items")
@read(max_age=60)
def items(cid: str):
    """Features of a collection: bbox, datetime, limit and offset."""
    _meta(cid)
    _check_f()
    unknown = sorted(set(request.args) - ITEM_PARAMS)
    if unknown:
        raise BadRequest(_say(N_("Unknown query parameter: %(names)s."),
                              names=", ".join(unknown)), field=unknown[0])
    limit = _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, 10_000_000)
    try:
        bbox = parse_bbox(request.args["bbox"]) if request.args.get("bbox") else None
        when = parse_datetime(request.args.get("datetime"))
    except ValidationError as exc:
        raise BadRequest(_say(exc.message), field=exc.field) from None
    site = request.url_root.rstrip("/")
    if cid == "places":
        page = geodata.ogc_places(bbox, year_range(when) if when else None, limit, offset, site)
    elif cid == "stories":
        page = story_data.ogc_stories(bbox, year_range(when) if when else None, limit, offset,
                                      site)
    else:
        page = geodata.ogc_tours(bbox, when, limit, offset, site)
    head: dict = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": page.returned,
    }
    if not page.next_key and (page.returned or offset == 0):
        head["numberMatched"] = offset + page.returned
    if asks_for_html():
        return _html("items.html", **ogc_html.items(
            cid, head, json.loads(page.features), offset, limit,
            has_next=bool(page.next_key)))
    head["links"] = _page_links(cid, offset, limit, page)
    body = json.dumps(head, separators=(",", ":"))[:-1] + ',"features":' + page.features + "}"
    return Response(body, mimetype=GEOJSON)


@bp.get("/collections/<cid>/items/<fid>")
@read(max_age=60)
def item(cid: str, fid: str):
    """One feature with links to itself and its collection; a place merged into another
    answers 308 with the other's URL."""
    _meta(cid)
    _check_f()
    site = request.url_root.rstrip("/")
    if cid == "places":
        if not fid.isdigit():
            raise NotFound(_say(N_("Place ids are numbers.")))
        from app.api.places import media_root, merged_redirect

        try:
            feature = geodata.ogc_place(int(fid), site, media_root())
        except NotFound as exc:
            # A duplicate merged by curators lives on as the place it was merged into.
            moved = merged_redirect(
                int(fid), lambda target: f"{_root()}/collections/places/items/{target}"
            )
            if moved is None:
                raise NotFound(_say(exc.message)) from None
            return moved
    elif cid == "stories":
        if not (fid.isascii() and fid.isdigit()) or len(fid) > 18:
            raise NotFound(_say(N_("Story ids are numbers.")))
        from app.api.places import media_root

        try:
            feature = story_data.ogc_story(int(fid), site, media_root())
        except NotFound as exc:
            raise NotFound(_say(exc.message)) from None
    else:
        feature = geodata.tour_feature(fid, site)
        if feature is None:
            raise NotFound(_say(N_("No published tour with this id.")))
    if asks_for_html():
        return _html("item.html", **ogc_html.item(cid, json.loads(feature)))
    links = [
        {"href": f"{_root()}/collections/{cid}/items/{fid}", "rel": "self", "type": GEOJSON},
        {"href": f"{_root()}/collections/{cid}", "rel": "collection", "type": JSON},
        _alternate(f"{_root()}/collections/{cid}/items/{fid}?f=html"),
    ]
    body = feature[:-1] + ',"links":' + json.dumps(links, separators=(",", ":")) + "}"
    return Response(body, mimetype=GEOJSON)
