"""A story as an ActivityPub ``Note`` (no ``summary``: Mastodon would show it as a content
warning), a withdrawn or hidden one as a ``Tombstone``, and the activities that carry them."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from geoalchemy2.shape import to_shape
from markupsafe import escape
from slugify import slugify
from sqlalchemy import select

from app.extensions import db
from app.formatting import format_story_era
from app.licences import licence_info
from app.models import MediaKind, Story, Theme, Tour, place_themes
from app.models.conversation import Reply
from app.services import visibility
from app.services.federation.actors import (
    AS_PUBLIC,
    CITY,
    CONTEXT,
    actor_id,
    base_url,
    story_uri,
)
from app.services.media import public_url
from app.services.text import plain_text, render_reply

# What a timeline shows of the text before "Read the whole story".
SHORT_TEXT = 480
MAX_PHOTOS = 4


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def narrator(story: Story) -> str:
    """The name the story is told under (the credit, the narrator, the account)."""
    return (story.credit_name or story.author_name
            or (story.author.display_name if story.author else ""))


def hashtags(story: Story) -> list[str]:
    """The theme names of its place and its decade (``1960er``/``1960s`` by language)."""
    names = db.session.scalars(
        select(Theme.name_de if story.language == "de" else Theme.name_en)
        .join(place_themes, place_themes.c.theme_id == Theme.id)
        .where(place_themes.c.place_id == story.place_id)).all()
    tags = [slugify(n, separator="").capitalize() for n in names if slugify(n)]
    if story.era_start is not None:
        decade = story.era_start // 10 * 10
        tags.append(f"{decade}er" if story.language == "de" else f"{decade}s")
    return [t for t in dict.fromkeys(tags) if t]


def _photos(story: Story) -> list[dict]:
    photos = [m for m in story.media
              if m.kind == MediaKind.PHOTO and visibility.is_public_medium(m) and public_url(m)]
    return [{"type": "Image", "mediaType": "image/jpeg" if m.mime == "image/heic" else m.mime,
             "url": base_url() + public_url(m), "name": m.caption or ""}
            for m in photos[:MAX_PHOTOS]]


def _content(story: Story, page: str, tags: list[str]) -> str:
    place = story.place
    point = to_shape(place.geom)
    era = format_story_era(story.era_start, story.era_end, story.era_precision)
    who = narrator(story)
    licence, licence_link = licence_info(story.licence)
    with force_locale(story.language):
        told = (_("Told by %(name)s, %(era)s", name=who, era=era) if who and era
                else _("Told by %(name)s", name=who) if who else era)
        more = _("Read the whole story")
        map_label = _("%(place)s on the map", place=place.title)
        licence_text = _("Licence: %(licence)s", licence=licence)
    map_link = (f"https://www.openstreetmap.org/?mlat={point.y:.5f}&mlon={point.x:.5f}"
                f"#map=18/{point.y:.5f}/{point.x:.5f}")
    parts = [f"<p><strong>{escape(story.title)}</strong></p>",
             f"<p>{escape(plain_text(story.body, SHORT_TEXT))}</p>"]
    if told:
        parts.append(f"<p>{escape(told)}</p>")
    parts.append(f'<p><a href="{escape(map_link)}">{escape(map_label)}</a></p>')
    licence_html = (f'<a href="{escape(licence_link)}">{escape(licence)}</a>'
                    if licence_link else escape(licence))
    parts.append(f"<p>{escape(licence_text).replace(escape(licence), licence_html)}</p>")
    parts.append(f'<p><a href="{escape(page)}">{escape(more)}</a></p>')
    if tags:
        parts.append("<p>" + " ".join(
            f'<a href="{escape(base_url())}/search?q={escape(t)}" class="mention hashtag" '
            f'rel="tag">#<span>{escape(t)}</span></a>' for t in tags) + "</p>")
    return "".join(parts)


def note(story: Story, *, context: bool = True) -> dict:
    """The Note of a public story, attributed to the city actor."""
    uri = story_uri(story.id)
    point = to_shape(story.place.geom)
    tags = hashtags(story)
    found = {
        "id": uri,
        "type": "Note",
        "attributedTo": actor_id(CITY),
        "to": [AS_PUBLIC],
        "cc": [f"{actor_id(CITY)}/followers"],
        "content": _content(story, uri, tags),
        "contentMap": {story.language: _content(story, uri, tags)},
        "url": uri,
        "published": _iso(story.published_at or story.created_at),
        "attachment": _photos(story),
        "location": {"type": "Place", "name": story.place.title,
                     "latitude": round(point.y, 6), "longitude": round(point.x, 6)},
        "tag": [{"type": "Hashtag", "name": f"#{t}",
                 "href": f"{base_url()}/search?q={t}"} for t in tags],
        "replies": f"{base_url()}/ap/stories/{story.id}/replies",
        "sensitive": False,
    }
    if story.updated_at and story.published_at and story.updated_at > story.published_at:
        found["updated"] = _iso(story.updated_at)
    if context:
        found = {"@context": CONTEXT[0], **found}
    return found


def tombstone(story_id: int, deleted: datetime | None = None) -> dict:
    """What a story's address answers once it is no longer public."""
    return {"@context": CONTEXT[0], "id": story_uri(story_id), "type": "Tombstone",
            "formerType": "Note", "deleted": _iso(deleted or datetime.now(UTC))}


def replies_collection(story: Story) -> dict:
    """The public replies of a story, each as a Note in reply to it."""
    uri = story_uri(story.id)
    rows = db.session.scalars(
        select(Reply).where(Reply.story_id == story.id, visibility.public_reply())
        .order_by(Reply.created_at, Reply.id)).all()
    items = [{"id": f"{uri}#reply-{r.id}", "type": "Note", "inReplyTo": uri,
              "content": str(render_reply(r.body)), "published": _iso(r.published_at
                                                                       or r.created_at),
              "attributedTo": actor_id(CITY) if r.official else None}
             for r in rows]
    for item in items:
        if item["attributedTo"] is None:
            del item["attributedTo"]
    return {"@context": CONTEXT[0], "id": f"{base_url()}/ap/stories/{story.id}/replies",
            "type": "OrderedCollection",
            "totalItems": len(items), "orderedItems": items}


def tour_news_uri(tour: Tour, entry_id: int) -> str:
    return f"{base_url()}/ap/tours/{tour.slug}/news/{entry_id}"


def tour_news(tour: Tour, entry) -> dict:
    """The Note a tour's actor posts when the tour is published or retired."""
    page = f"{base_url()}/tours/{tour.slug}"
    with force_locale(tour.language):
        said = (_("The tour “%(title)s” is published.", title=tour.title)
                if entry.kind == "publish"
                else _("The tour “%(title)s” is retired.", title=tour.title))
        more = _("See the tour")
    content = (f"<p>{escape(said)}</p><p>{escape(plain_text(tour.intro, SHORT_TEXT))}</p>"
               f'<p><a href="{escape(page)}">{escape(more)}</a></p>')
    me = actor_id(f"tour:{tour.slug}")
    return {"@context": CONTEXT[0], "id": tour_news_uri(tour, entry.id), "type": "Note",
            "attributedTo": me, "to": [AS_PUBLIC], "cc": [f"{me}/followers"],
            "content": content, "contentMap": {tour.language: content}, "url": page,
            "published": _iso(entry.created_at)}


def activity(kind: str, actor: str, story_id: int | None, obj: dict | str, *, to=None,
             cc=None, activity_id: str | None = None) -> dict:
    """A Create, Update, Delete or Announce of a story by local ``actor``, with an id of its
    own (``kind`` and a time stamp keep two Updates apart), or ``activity_id``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    me = actor_id(actor)
    return {"@context": CONTEXT[0],
            "id": activity_id or f"{story_uri(story_id)}/activities/{kind.lower()}-"
                                 f"{actor.replace(':', '-')}-{stamp}",
            "type": kind, "actor": me, "published": _iso(datetime.now(UTC)),
            "to": to or [AS_PUBLIC], "cc": cc or [f"{me}/followers"], "object": obj}
