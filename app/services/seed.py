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
from app.models import Place, PlaceRevision, Theme, Tour, TourStop, User
from app.services.accounts import create_user, get_by_email
from app.services.tours import generate_straight_route

SEED_DIR = Path(__file__).resolve().parents[1] / "seed"

DEMO_ACCOUNTS = {
    "resident": ("resident@demo.stadtspur.ch", "Rosa Resident"),
    "curator": ("curator@demo.stadtspur.ch", "Kurt Kurator"),
    "admin": ("admin@demo.stadtspur.ch", "Ada Admin"),
}
def place_snapshot(place: Place, lon: float, lat: float, theme_slugs: list[str]) -> dict:
    """The fields of a place that a revision records."""
    return {
        "title": place.title,
        "summary": place.summary,
        "body": place.body,
        "lon": lon,
        "lat": lat,
        "era_year": place.era_year,
        "era_precision": place.era_precision,
        "language": place.language,
        "themes": sorted(theme_slugs),
        "step_free": place.step_free,
    }


def seed_demo(data_file: Path | None = None) -> dict:
    """Load the demo city. Returns counts and the passwords of newly created accounts."""
    data = json.loads((data_file or SEED_DIR / "winterthur.json").read_text(encoding="utf-8"))
    created = {"themes": 0, "places": 0, "tours": 0, "accounts": {}}
    now = datetime.now(UTC)

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

    themes: dict[str, Theme] = {}
    for t in data["themes"]:
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

    places: dict[str, Place] = {}
    for p in data["places"]:
        place = db.session.scalar(select(Place).where(Place.slug == p["key"]))
        if place is None:
            author = users.get(p.get("author", "resident"), users["resident"])
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
                status="approved",
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
                    status="approved",
                    author_id=author.id,
                    message="Demo content",
                    reviewer_id=users["curator"].id,
                    reviewed_at=now,
                )
            )
            created["places"] += 1
        places[p["key"]] = place
    db.session.flush()

    for t in data["tours"]:
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
            status="published",
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
    return created
