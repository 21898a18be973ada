"""robots.txt and the sitemaps (sitemaps.org 0.9) of the public pages.

``/sitemap.xml`` is an index of ``/sitemaps/pages.xml`` (home, themes, tours), one
``/sitemaps/places-<n>.xml`` per id range of places and one ``/sitemaps/stories-<n>.xml`` per
id range of stories (each story's own page). Each answer carries an ETag of its
body, so a place that leaves (hidden, removed, merged) changes the validator of the file that
listed it at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

from flask import Blueprint, Response, abort, request, url_for

from app.services import sitemap as service

bp = Blueprint("sitemap", __name__)

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_AGE = 300


def _w3c(value: datetime | None) -> str | None:
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _xml(root: ElementTree.Element) -> Response:
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    resp = Response(body, mimetype="application/xml")
    resp.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    resp.add_etag()
    return resp.make_conditional(request)


def _urlset(entries: list[tuple[str, str | None]]) -> Response:
    root = ElementTree.Element("urlset", xmlns=NS)
    for loc, lastmod in entries:
        url = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(url, "loc").text = loc
        if lastmod:
            ElementTree.SubElement(url, "lastmod").text = lastmod
    return _xml(root)


@bp.get("/robots.txt")
def robots():
    body = "User-agent: *\nDisallow:\n\nSitemap: " + url_for("sitemap.index", _external=True) + "\n"
    resp = Response(body, mimetype="text/plain")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.get("/sitemap.xml")
def index():
    root = ElementTree.Element("sitemapindex", xmlns=NS)
    locs = [url_for("sitemap.pages", _external=True)] + [
        url_for("sitemap.places", chunk=n, _external=True) for n in service.place_chunks()
    ] + [url_for("sitemap.stories", chunk=n, _external=True) for n in service.story_chunks()]
    for loc in locs:
        ElementTree.SubElement(ElementTree.SubElement(root, "sitemap"), "loc").text = loc
    return _xml(root)


@bp.get("/sitemaps/pages.xml")
def pages():
    entries = [(url_for("visitor.home", _external=True), None),
               (url_for("themes.index", _external=True), None)]
    entries += [(url_for("themes.theme", slug=slug, _external=True), None)
                for slug in service.theme_slugs()]
    entries += [(url_for("visitor.tour", slug=slug, _external=True), _w3c(changed))
                for slug, changed in service.published_tours()]
    return _urlset(entries)


@bp.get("/sitemaps/places-<int:chunk>.xml")
def places(chunk: int):
    rows = service.places_in_chunk(chunk)
    if not rows:
        abort(404)  # nothing public in this range: the index does not list it
    return _urlset([(url_for("visitor.place", place_id=pid, _external=True), _w3c(changed))
                    for pid, changed in rows])


@bp.get("/sitemaps/stories-<int:chunk>.xml")
def stories(chunk: int):
    rows = service.stories_in_chunk(chunk)
    if not rows:
        abort(404)  # nothing public in this range: the index does not list it
    return _urlset([(url_for("stories.story", story_id=sid, _external=True), _w3c(changed))
                    for sid, changed in rows])
