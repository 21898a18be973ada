"""Demo content: the Winterthur places, themes, tours and three demo accounts.

Idempotent: existing rows (matched by slug or email) are left as they are, so running it again
never duplicates content or changes a password someone may have noted.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from app.extensions import db
from app.models import Place, PlaceRevision, Story, StoryRevision, Theme, Tour, TourStop, User
from app.models.statuses import PlaceStatus, RevisionStatus, StoryStatus, TourStatus
from app.services import stories
from app.services.accounts import create_user, get_by_email
from app.services.place_rules import place_snapshot, story_era
from app.services.search_index import refresh_search_vector
from app.services.tours import generate_straight_route

SEED_DIR = Path(__file__).resolve().parents[1] / "seed"

DEMO_ACCOUNTS = {
    "resident": ("resident@demo.stadtspur.ch", "Rosa Resident"),
    "curator": ("curator@demo.stadtspur.ch", "Kurt Kurator"),
    "admin": ("admin@demo.stadtspur.ch", "Ada Admin"),
}
def seed_demo(data_file: Path | None = None) -> dict:
    """Load the demo city. Returns counts and the passwords of newly created accounts."""
    data = json.loads((data_file or SEED_DIR / "winterthur.json").read_text(encoding="utf-8"))
    created = {"themes": 0, "places": 0, "tours": 0, "accounts": {}}
    now = datetime.now(UTC)
    users = _accounts(created)
    themes = _themes(data["themes"], created)
    places = _places(data["places"], users, themes, now, created)
    _tours(data["tours"], users, themes, places, now, created)
    return created


def _accounts(created: dict) -> dict[str, User]:
    users: dict[str, User] = {}
    for role, (email, name) in DEMO_ACCOUNTS.items():
        user = get_by_email(email)
        if user is None:
            password = secrets.token_urlsafe(12)
            user = create_user(email, name, password, role=role, check_strength=False)
            if role == "resident":
                user.is_helper = True
            created["accounts"][email] = (role, password)
        users[role] = user
    return users


def _themes(items: list[dict], created: dict) -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for t in items:
        theme = db.session.scalar(select(Theme).where(Theme.slug == t["slug"]))
        if theme is None:
            theme = Theme(
                slug=t["slug"],
                name_de=t["name"]["de"],
                name_en=t["name"]["en"],
                description_de=t["description"]["de"],
                description_en=t["description"]["en"],
                colour=t.get("colour", "#2b6cb0"),
                icon=t.get("icon", "pin"),
            )
            db.session.add(theme)
            created["themes"] += 1
        themes[t["slug"]] = theme
    db.session.flush()
    return themes


def _places(items: list[dict], users: dict[str, User], themes: dict[str, Theme],
            now: datetime, created: dict) -> dict[str, Place]:
    places: dict[str, Place] = {}
    for p in items:
        place = db.session.scalar(select(Place).where(Place.slug == p["key"]))
        if place is None:
            place = _approved_place(p, users.get(p.get("author", "resident"), users["resident"]),
                                    users["curator"], themes, now)
            for s in p.get("stories", []):
                _further_story(place, s, users, now)
            # As a curator's approval does: search reads the stored vector, not the rows.
            refresh_search_vector(place)
            created["places"] += 1
        places[p["key"]] = place
    db.session.flush()
    return places


def _approved_place(p: dict, author: User, curator: User, themes: dict[str, Theme],
                    now: datetime) -> Place:
    era = p.get("era") or {}
    place = Place(
        slug=p["key"],
        title=p["title"],
        summary=p.get("summary", ""),
        body=p.get("body", ""),
        geom=from_shape(Point(p["lon"], p["lat"]), srid=4326),
        era_year=era.get("year"),
        era_precision=era.get("precision"),
        language=p.get("language", "de"),
        status=PlaceStatus.APPROVED,
        step_free=p.get("step_free"),
        author=author,
        credit_name=author.display_name,
        published_at=now,
        themes=[themes[s] for s in p.get("themes", [])],
    )
    db.session.add(place)
    db.session.flush()
    db.session.add(
        PlaceRevision(
            place_id=place.id,
            number=1,
            base_version=0,
            snapshot=place_snapshot(place, p["lon"], p["lat"], p.get("themes", [])),
            status=RevisionStatus.APPROVED,
            author_id=author.id,
            message="Demo content",
            reviewer_id=curator.id,
            reviewed_at=now,
        )
    )
    stories.mirror_lead(place)
    return place


def _further_story(place: Place, s: dict, users: dict[str, User], now: datetime) -> Story:
    """One more voice at a demo place: told by a demo account, or entered by the demo
    helper on a narrator's behalf (``narrator`` with the consent recorded on paper)."""
    era = story_era(s.get("era"), ranges=True)
    narrator = s.get("narrator")
    teller = users[s.get("author", "resident")]
    story = Story(
        place_id=place.id, title=s["title"], body=s["body"], kind=s.get("kind", "memory"),
        language=s.get("language", place.language), status=StoryStatus.APPROVED,
        era_start=era.start if era else None, era_end=era.end if era else None,
        era_precision=era.precision if era else None,
        author_id=None if narrator else teller.id, author_name=narrator,
        helper_id=teller.id if narrator else None,
        consent_method="paper_form" if narrator else "self", consent_date=now.date(),
        credit_name=narrator or teller.display_name, published_at=now,
    )
    db.session.add(story)
    db.session.flush()
    db.session.add(StoryRevision(story_id=story.id, number=1, base_version=0,
                                 snapshot=stories.story_snapshot(story),
                                 status=RevisionStatus.APPROVED, author_id=teller.id,
                                 message="Demo content", reviewer_id=users["curator"].id,
                                 reviewed_at=now))
    return story


def _tours(items: list[dict], users: dict[str, User], themes: dict[str, Theme],
           places: dict[str, Place], now: datetime, created: dict) -> None:
    for t in items:
        if db.session.scalar(select(Tour.id).where(Tour.slug == t["slug"])) is not None:
            continue
        tour = Tour(
            slug=t["slug"],
            title=t["title"],
            intro=t.get("intro", ""),
            language=t.get("language", "de"),
            theme=themes.get(t.get("theme")),
            author=users["curator"],
            accessibility=t.get("accessibility", ""),
            featured=bool(t.get("featured")),
            status=TourStatus.PUBLISHED,
            published_at=now,
        )
        for i, s in enumerate(t["stops"], start=1):
            tour.stops.append(
                TourStop(
                    place=places[s["place"]],
                    position=i,
                    transition_note=s.get("note", ""),
                    accessibility=s.get("accessibility", ""),
                    dwell_min=s.get("dwell_min", 5),
                )
            )
        db.session.add(tour)
        db.session.flush()
        generate_straight_route(tour)
        created["tours"] += 1
    db.session.flush()
