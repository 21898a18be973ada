"""Small factory for moderation tests: pending places, edits and media made directly through
the models (as the contribution service leaves them), independent of the contribute pages."""

from __future__ import annotations

import hashlib
import uuid

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import select

from app.extensions import db
from app.models import Media, Place, PlaceRevision, Theme
from app.services.revisions import row_snapshot

# Inside the Winterthur service area, between the demo places.
LON, LAT = 8.7290, 47.4995


def pending_place(author, title="Alte Mühle", body="Hier stand eine Mühle.", lon=LON, lat=LAT,
                  themes=(), language="de", media=0) -> Place:
    place = Place(
        slug=title.lower().replace(" ", "-"), title=title, body=body,
        geom=from_shape(Point(lon, lat), srid=4326), language=language, status="pending",
        author_id=author.id if author else None, credit_name=author.display_name if author else "",
        themes=list(db.session.scalars(select(Theme).where(Theme.slug.in_(themes)))) if themes else [],
    )
    db.session.add(place)
    db.session.flush()
    for i in range(media):
        add_media(place, author, position=i)
    db.session.add(PlaceRevision(place_id=place.id, number=1, base_version=0,
                                 snapshot=row_snapshot(place), status="pending",
                                 author_id=author.id if author else None))
    db.session.flush()
    return place


def add_media(place, uploader, kind="photo", status="pending", position=0) -> Media:
    key = uuid.uuid4().hex
    medium = Media(
        place_id=place.id, uploader_id=uploader.id if uploader else None, kind=kind,
        storage_key=f"test/{key}.jpg", mime="image/jpeg", size_bytes=10,
        sha256=hashlib.sha256(key.encode()).hexdigest(), width=10, height=10,
        variants={"public": f"test/{key}-p.jpg", "thumb": f"test/{key}-t.jpg"},
        status=status, position=position,
    )
    db.session.add(medium)
    db.session.flush()
    return medium
