"""Our actors: the city (every newly approved story), one per theme and one per published
tour. A local actor is named ``city``, ``theme:<slug>`` or ``tour:<slug>``; its addresses are
built from FEDERATION_BASE_URL (never from a request's host: they must not change)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import Place, Story, Theme, Tour, TourStop, place_themes
from app.models.federation import Follower
from app.services import visibility
from app.services.federation import keys

CITY = "city"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]


def base_url() -> str:
    """The address every federated id starts with."""
    return current_app.config["FEDERATION_BASE_URL"].rstrip("/")


def host() -> str:
    """Our host name as WebFinger and other servers name it."""
    return base_url().split("://", 1)[1].split("/", 1)[0]


def username(actor: str) -> str:
    """The name people follow: ``winterthur``, ``theme-<slug>``, ``tour-<slug>``."""
    if actor == CITY:
        return current_app.config["FEDERATION_CITY_ACTOR"]
    kind, slug = actor.split(":", 1)
    return f"{kind}-{slug}"


def actor_for_username(name: str) -> str | None:
    """The local actor of ``name`` if it exists (a theme, a published or retired tour),
    else None."""
    if name == current_app.config["FEDERATION_CITY_ACTOR"]:
        return CITY
    for kind in ("theme", "tour"):
        prefix = f"{kind}-"
        if name.startswith(prefix) and _exists(kind, name[len(prefix):]):
            return f"{kind}:{name[len(prefix):]}"
    return None


def _exists(kind: str, slug: str) -> bool:
    if kind == "theme":
        return db.session.scalar(select(Theme.id).where(Theme.slug == slug)) is not None
    # A retired tour keeps its actor (its followers were told it retired).
    return db.session.scalar(
        select(Tour.id).where(Tour.slug == slug, visibility.reachable_tour())) is not None


def actor_id(actor: str) -> str:
    return f"{base_url()}/ap/actors/{username(actor)}"


def key_id(actor: str) -> str:
    return f"{actor_id(actor)}#main-key"


def shared_inbox() -> str:
    return f"{base_url()}/ap/inbox"


def local_actor_of_id(uri: str) -> str | None:
    """The local actor whose id is ``uri``, if any."""
    prefix = f"{base_url()}/ap/actors/"
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return None
    return actor_for_username(uri[len(prefix):])


def story_id_of(uri: str) -> int | None:
    """The story an object id of ours names (``…/stories/<id>``), else None."""
    prefix = f"{base_url()}/stories/"
    if not isinstance(uri, str) or not uri.startswith(prefix):
        return None
    rest = uri[len(prefix):]
    return int(rest) if rest.isdigit() and len(rest) < 18 else None


def story_uri(story_id: int) -> str:
    return f"{base_url()}/stories/{story_id}"


def _title_and_summary(actor: str) -> tuple[str, str, str]:
    """Name, description and web page of an actor."""
    config = current_app.config
    if actor == CITY:
        return (config["CITY_NAME"], config["FEDERATION_CITY_DESCRIPTION"], f"{base_url()}/")
    kind, slug = actor.split(":", 1)
    if kind == "theme":
        theme = db.session.scalar(select(Theme).where(Theme.slug == slug))
        return (theme.name_de, theme.description_de, f"{base_url()}/themes/{slug}")
    tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
    return (tour.title, tour.intro, f"{base_url()}/tours/{slug}")


def follower_count(actor: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Follower)
                             .where(Follower.actor == actor)) or 0


def document(actor: str) -> dict:
    """The actor as ActivityPub describes it (a Service with its public key)."""
    name, summary, url = _title_and_summary(actor)
    me = actor_id(actor)
    return {
        "@context": CONTEXT,
        "id": me,
        "type": "Service",
        "preferredUsername": username(actor),
        "name": name,
        "summary": summary,
        "url": url,
        "inbox": f"{me}/inbox",
        "outbox": f"{me}/outbox",
        "followers": f"{me}/followers",
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "endpoints": {"sharedInbox": shared_inbox()},
        "publicKey": {"id": key_id(actor), "owner": me,
                      "publicKeyPem": keys.key_of(actor).public_pem},
    }


def followers_document(actor: str) -> dict:
    """The followers collection: its size only (who follows is nobody else's business)."""
    return {"@context": CONTEXT[0], "id": f"{actor_id(actor)}/followers",
            "type": "OrderedCollection", "totalItems": follower_count(actor)}


def stories_of(actor: str):
    """The select of the public stories ``actor`` tells of (the city: all of them)."""
    query = (select(Story).join(Place, Story.place_id == Place.id)
             .where(visibility.public_story(Story, Place)))
    if actor == CITY:
        return query
    kind, slug = actor.split(":", 1)
    if kind == "theme":
        return query.where(Place.id.in_(
            select(place_themes.c.place_id).join(Theme, Theme.id == place_themes.c.theme_id)
            .where(Theme.slug == slug)))
    return query.where(Place.id.in_(
        select(TourStop.place_id).join(Tour, Tour.id == TourStop.tour_id)
        .where(Tour.slug == slug)))


def actors_of_story(story: Story) -> list[str]:
    """The city and the theme and published-tour actors whose followers hear of ``story``."""
    themes = db.session.scalars(
        select(Theme.slug).join(place_themes, place_themes.c.theme_id == Theme.id)
        .where(place_themes.c.place_id == story.place_id)).all()
    tours = db.session.scalars(
        select(Tour.slug).join(TourStop, TourStop.tour_id == Tour.id)
        .where(TourStop.place_id == story.place_id, visibility.public_tour())).all()
    return [CITY, *(f"theme:{s}" for s in themes), *(f"tour:{s}" for s in tours)]
