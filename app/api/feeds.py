"""Atom feeds (written with feedgen) with GeoRSS points: newest approved places, per theme,
newest approved stories (one entry per story, all of them or at the places of a theme), and
published tours."""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from app.api.http import public_read
from app.errors import NotFound
from app.licences import licence_name
from app.services import geodata
from app.services.geodata import stories as story_data
from app.services.text import render_markdown

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

ATOM = "application/atom+xml"
FEED_SIZE = 50


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return datetime(2000, 1, 1, tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _feed(feed_id: str, title: str, subtitle: str, self_url: str, alternate: str):
    fg = FeedGenerator()
    fg.load_extension("geo")
    fg.id(feed_id)
    fg.title(title)
    fg.subtitle(subtitle)
    fg.link(href=self_url, rel="self", type=ATOM)
    fg.link(href=alternate, rel="alternate", type="text/html")
    fg.language(str(get_locale()))
    fg.author({"name": _("Stadtspur contributors")})
    fg.rights(_("Place data CC0 1.0; each story under the licence named in its entry."))
    fg.generator("Stadtspur")
    return fg


def _atom(fg: FeedGenerator, newest: datetime | None) -> Response:
    fg.updated(_aware(newest))
    resp = Response(fg.atom_str(pretty=False), mimetype=ATOM)
    # Titles follow the reader's language (header or the language cookie).
    resp.vary.update(("Accept-Language", "Cookie"))
    return resp


def _place_entries(fg: FeedGenerator, rows: list[dict]) -> datetime | None:
    newest = None
    # feedgen puts entries added later first: add the oldest first.
    for row in reversed(rows):
        url = url_for("visitor.place", place_id=row["id"], _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.title(row["title"])
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(_aware(row["published"]))
        entry.updated(_aware(row["updated"] or row["published"]))
        entry.author({"name": row["attribution"]})
        if row["summary"]:
            entry.summary(row["summary"])
        entry.content(str(render_markdown(row["body"] or "")), type="html")
        name = licence_name(row["licence"])
        entry.rights(name)
        for slug in row["themes"] or []:
            entry.category(term=slug)
        entry.geo.point(f"{row['lat']:.6f} {row['lon']:.6f}")
        updated = _aware(row["updated"] or row["published"])
        newest = updated if newest is None or updated > newest else newest
    return newest


def _theme(slug: str) -> tuple[dict, str]:
    """The public theme ``slug`` (404 when there is none) and the language to name it in."""
    theme = next((t for t in geodata.themes_with_counts() if t["slug"] == slug), None)
    if theme is None:
        raise NotFound("No such theme.")
    return theme, "en" if str(get_locale()) == "en" else "de"


@bp.get("/places.atom")
@public_read(max_age=300)
def places_feed():
    """The newest approved places."""
    city = current_app.config["CITY_NAME"]
    fg = _feed(
        url_for("feeds.places_feed", _external=True),
        _("New places in %(city)s", city=city),
        _("Stories of %(city)s, told by the people who live here.", city=city),
        request.url,
        url_for("visitor.home", _external=True),
    )
    return _atom(fg, _place_entries(fg, geodata.newest_places(FEED_SIZE)))


@bp.get("/themes/<slug>.atom")
@public_read(max_age=300)
def theme_feed(slug: str):
    """The newest approved places of one theme."""
    theme, locale = _theme(slug)
    fg = _feed(
        url_for("feeds.theme_feed", slug=slug, _external=True),
        _("New places: %(theme)s", theme=theme["name"][locale]),
        theme["description"][locale] or theme["name"][locale],
        request.url,
        url_for("visitor.home", _external=True),
    )
    return _atom(fg, _place_entries(fg, geodata.newest_places(FEED_SIZE, theme_slug=slug)))


def _story_entries(fg: FeedGenerator, rows: list[dict]) -> datetime | None:
    newest = None
    for row in reversed(rows):  # feedgen puts entries added later first
        url = url_for("stories.story", story_id=row["id"], _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.title(row["title"])
        entry.link(href=url, rel="alternate", type="text/html")
        # No second link to the place: feedgen writes every entry link without its rel, and
        # two alternates of one type are invalid Atom. The summary names the place.
        published = _aware(row["published"])
        updated = max(published, _aware(row["updated"] or row["published"]))
        entry.published(published)
        entry.updated(updated)
        # The narrator is the story's author, also when someone entered it on their behalf.
        entry.author({"name": row["credit"]})
        entry.summary(_("A story of %(place)s", place=row["place_title"]))
        entry.content(str(render_markdown(row["body"] or "")), type="html")
        entry.rights(licence_name(row["licence"]))
        entry.category(term=row["kind"])
        entry.geo.point(f"{row['lat']:.6f} {row['lon']:.6f}")
        newest = updated if newest is None or updated > newest else newest
    return newest


@bp.get("/stories.atom")
@public_read(max_age=300)
def stories_feed():
    """The newest approved stories, one entry each, linking the story's own page."""
    city = current_app.config["CITY_NAME"]
    fg = _feed(
        url_for("feeds.stories_feed", _external=True),
        _("New stories in %(city)s", city=city),
        _("Memories, history and tips of %(city)s, one entry per story.", city=city),
        request.url,
        url_for("visitor.home", _external=True),
    )
    return _atom(fg, _story_entries(fg, story_data.newest_stories(FEED_SIZE)))


@bp.get("/themes/<slug>/stories.atom")
@public_read(max_age=300)
def theme_stories_feed(slug: str):
    """The newest approved stories at the places of one theme."""
    theme, locale = _theme(slug)
    fg = _feed(
        url_for("feeds.theme_stories_feed", slug=slug, _external=True),
        _("New stories: %(theme)s", theme=theme["name"][locale]),
        theme["description"][locale] or theme["name"][locale],
        request.url,
        url_for("visitor.home", _external=True),
    )
    return _atom(fg, _story_entries(fg, story_data.newest_stories(FEED_SIZE, slug)))


@bp.get("/tours.atom")
@public_read(max_age=300)
def tours_feed():
    """Published tours, newest first, each with its starting point."""
    city = current_app.config["CITY_NAME"]
    fg = _feed(
        url_for("feeds.tours_feed", _external=True),
        _("Tours in %(city)s", city=city),
        _("Walking tours put together from the stories of %(city)s.", city=city),
        request.url,
        url_for("visitor.home", _external=True),
    )
    rows = geodata.published_tour_rows(FEED_SIZE)
    newest = None
    for row in reversed(rows):
        url = url_for("visitor.tour", slug=row["slug"], _external=True)
        entry = fg.add_entry()
        entry.id(url)
        entry.title(row["title"])
        entry.link(href=url, rel="alternate", type="text/html")
        updated = _aware(row["updated_at"] or row["published_at"])
        entry.published(_aware(row["published_at"] or row["updated_at"]))
        entry.updated(updated)
        entry.author({"name": row["attribution"]})
        entry.content(str(render_markdown(row["intro"] or "")), type="html")
        entry.rights(licence_name(geodata.TOUR_LICENCE))
        if row["theme"]:
            entry.category(term=row["theme"])
        if row["lat"] is not None:
            entry.geo.point(f"{row['lat']:.6f} {row['lon']:.6f}")
        newest = updated if newest is None or updated > newest else newest
    return _atom(fg, newest)
