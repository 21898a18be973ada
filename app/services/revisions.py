"""Revisions of places: every change is a new PlaceRevision with a full snapshot.

- An approved place keeps its public fields on the ``places`` row; an edit of it waits as a
  pending revision until a curator approves it (app/services/moderation.py applies it).
  A place that is not public yet (pending, changes requested, rejected) has no public text to
  protect, so an edit also updates its row (what its author and curators see).
- Optimistic locking: an edit names the place ``version`` it started from. Every saved edit
  moves the version on, even when it only waits for review, so a second editor who started
  from the same version is refused with ``StaleEdit`` (409) carrying both versions, and
  nothing is silently overwritten. The row's ``version`` is SQLAlchemy's version_id_col:
  a concurrent transaction that slipped in between our read and our write raises
  StaleDataError, which ``guard_stale`` turns into the same 409.
- History, a readable diff between any two revisions (words via difflib, position as a
  distance in metres) and restore (a new revision holding an old snapshot).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from slugify import slugify
from sqlalchemy import select, text
from sqlalchemy.orm.exc import StaleDataError

from app.errors import Conflict, Forbidden, NotFound, ValidationError
from app.extensions import db
from app.models import Place, PlaceRevision, Theme, User
from app.models.statuses import PlaceStatus, RevisionStatus
from app.models.story import MAX_BODY, MAX_TITLE
from app.services import audit, stories
from app.services.place_rules import check_position, parse_era, snapshot
from geo.measure import distance_m

MAX_SUMMARY = 300
MAX_MESSAGE = 2000
# The fields a revision snapshot records and an edit may change, in display order.
TEXT_FIELDS = ("title", "summary", "body")
FIELDS = ("title", "summary", "body", "position", "era", "language", "themes", "step_free")
OPEN_STATUSES = (RevisionStatus.PENDING, RevisionStatus.CHANGES_REQUESTED)
# hidden_reason of a place whose flags a curator resolved with "edit": shown again once edited.
FLAGS_EDIT = "flags: edit"


class StaleEdit(Conflict):
    """The edit started from an older version. ``current`` is what is there now (snapshot and
    version), ``mine`` the refused edit: the 409 page and answer show both."""

    code = "stale_version"

    def __init__(self, current: dict, current_version: int, mine: dict):
        super().__init__(
            _("Someone else changed this place while you were editing. Your text is kept "
              "below next to the current version: compare, then save again."),
            current={"snapshot": current, "version": current_version},
        )
        self.mine = mine
        self.current_version = current_version

    def problem_members(self) -> dict:
        """The version there now and the refused edit, side by side."""
        return {**super().problem_members(), "yours": self.mine}


@contextmanager
def guard_stale(place: Place | None = None, mine: dict | None = None) -> Iterator[None]:
    """Turn SQLAlchemy's StaleDataError (a concurrent write of the same row) into a 409.

    The guarded writes run in a savepoint: when another request changed the row first, only
    they are undone, and the same transaction reads the row as that request committed it
    (read committed) for the 409's "as it is now". The request's boundary rolls the rest back.
    """
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError as exc:
        current, version = ({}, 0)
        if place is not None:
            fresh = db.session.get(Place, place.id, populate_existing=True)
            if fresh is not None:
                current, version = working_snapshot(fresh), fresh.version
        raise StaleEdit(current, version, mine or {}) from exc


# --- snapshots ------------------------------------------------------------------------------


def row_snapshot(place: Place) -> dict:
    """The place row's fields as a revision snapshot."""
    point = to_shape(place.geom)
    return snapshot(place, point.x, point.y)


def open_revision(place: Place) -> PlaceRevision | None:
    """The newest revision still waiting (pending or sent back for changes), if any."""
    return db.session.scalar(
        select(PlaceRevision)
        .where(PlaceRevision.place_id == place.id, PlaceRevision.status.in_(OPEN_STATUSES))
        .order_by(PlaceRevision.number.desc())
        .limit(1)
    )


def public_revision(place: Place) -> PlaceRevision | None:
    """The approved revision the public row shows (the newest approved one)."""
    return db.session.scalar(
        select(PlaceRevision)
        .where(PlaceRevision.place_id == place.id, PlaceRevision.status == RevisionStatus.APPROVED)
        .order_by(PlaceRevision.number.desc())
        .limit(1)
    )


def working_snapshot(place: Place) -> dict:
    """What an editor starts from: a waiting edit of a public place, else the row."""
    if place.status == PlaceStatus.APPROVED:
        waiting = open_revision(place)
        if waiting is not None:
            return dict(waiting.snapshot)
    return row_snapshot(place)


def apply_snapshot(place: Place, snap: dict) -> None:
    """Write a snapshot's fields onto the place row (the caller decides it may)."""
    place.title = snap["title"]
    place.slug = slugify(snap["title"], max_length=150) or "place"
    place.summary = snap.get("summary") or ""
    place.body = snap.get("body") or ""
    place.geom = from_shape(Point(snap["lon"], snap["lat"]), srid=4326)
    place.era_year = snap.get("era_year")
    place.era_precision = snap.get("era_precision")
    place.language = snap.get("language") or place.language
    place.step_free = snap.get("step_free")
    slugs = sorted(snap.get("themes") or [])
    place.themes = (
        list(db.session.scalars(select(Theme).where(Theme.slug.in_(slugs))).all()) if slugs else []
    )
    place.updated_at = datetime.now(UTC)
    if place.stories:  # a new place gets its lead story from its contribution
        stories.mirror_lead(place)


def next_number(place_id: int) -> int:
    last = db.session.scalar(
        select(PlaceRevision.number)
        .where(PlaceRevision.place_id == place_id)
        .order_by(PlaceRevision.number.desc())
        .limit(1)
    )
    return (last or 0) + 1


def supersede_open(place: Place) -> None:
    for rev in db.session.scalars(
        select(PlaceRevision).where(
            PlaceRevision.place_id == place.id, PlaceRevision.status.in_(OPEN_STATUSES)
        )
    ):
        rev.status = RevisionStatus.SUPERSEDED


# --- editing --------------------------------------------------------------------------------


# What an edit may change, as EditInput names it (the position is lon and lat).
EDIT_FIELDS = ("title", "summary", "body", "lon", "lat", "era", "language", "themes",
               "step_free")


@dataclass
class EditInput:
    """An edit as loaded by app/inputs/edits.py (form or API), typed; ``unchanged`` names the
    fields the edit leaves as they are (a PATCH names only what it changes)."""

    title: str = ""
    summary: str = ""
    body: str = ""
    lon: float | None = None
    lat: float | None = None
    era: str = ""
    language: str = ""
    themes: list[str] = field(default_factory=list)
    step_free: bool | None = None
    message: str = ""
    unchanged: frozenset[str] = frozenset()

    def over(self, base: dict) -> EditInput:
        """This edit with the fields it leaves unchanged taken from the snapshot ``base``."""
        kept = {
            "title": base.get("title", ""), "summary": base.get("summary", ""),
            "body": base.get("body", ""), "lon": base.get("lon"), "lat": base.get("lat"),
            "era": base_era(base), "language": base.get("language", ""),
            "themes": list(base.get("themes") or []), "step_free": base.get("step_free"),
        }
        return replace(self, **{name: kept[name] for name in self.unchanged},
                       unchanged=frozenset())


def base_era(snap: dict) -> str:
    """A snapshot's era as the text a form shows ("1965", "1960s" or "")."""
    year = snap.get("era_year")
    if not year:
        return ""
    return f"{year}s" if snap.get("era_precision") == "decade" else str(year)


def validate_edit(inp: EditInput, base: dict) -> dict:
    """A checked snapshot from an edit (``base`` supplies fields an edit does not change)."""
    inp = inp.over(base)
    title = " ".join(str(inp.title or "").split())
    if not title:
        raise ValidationError(_("Give the place a title."), field="title")
    if len(title) > MAX_TITLE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_TITLE), field="title")
    summary = " ".join(str(inp.summary or "").split())
    if len(summary) > MAX_SUMMARY:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_SUMMARY), field="summary")
    body = str(inp.body or "").strip().replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_BODY), field="body")
    if inp.lon is None or inp.lat is None:
        raise ValidationError(_("This is not a number."), field="position")
    lon, lat = check_position(inp.lon, inp.lat)
    year, precision = parse_era(str(inp.era or ""))
    language = inp.language or base.get("language") or current_app.config["DEFAULT_LOCALE"]
    if language not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("Choose one of the offered languages."), field="language")
    slugs = sorted(set(inp.themes or []))
    if slugs:
        found = db.session.scalars(select(Theme.slug).where(Theme.slug.in_(slugs))).all()
        if len(found) != len(slugs):
            raise ValidationError(_("Choose themes from the list."), field="themes")
    message = " ".join(str(inp.message or "").split())
    if len(message) > MAX_MESSAGE:
        raise ValidationError(_("Use at most %(n)d characters.", n=MAX_MESSAGE), field="message")
    snap = dict(base)
    snap.update({
        "title": title, "summary": summary, "body": body, "lon": lon, "lat": lat,
        "era_year": year, "era_precision": precision, "language": language, "themes": slugs,
        "step_free": inp.step_free,
    })
    return snap


def can_edit(user: User | None, place: Place) -> bool:
    """Curators edit any place at any time; an author (or the helper who entered it) edits
    their own place while it waits for review or for their changes, and proposes edits of
    it once it is public (those wait for a curator)."""
    if user is None or not user.is_authenticated or place.merged_into_id is not None:
        return False
    if user.is_curator:
        return True
    return user.id in (place.author_id, place.helper_id) and place.status in (
        PlaceStatus.PENDING, PlaceStatus.DRAFT, PlaceStatus.APPROVED)


def get_editable(user: User, place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound(_("This place does not exist."))
    if not can_edit(user, place):
        raise Forbidden(_("You may not edit this place."))
    return place


def bump_version(place: Place, base_version: int, mine: dict) -> None:
    """Move the version on without touching public fields: compare-and-set in one statement,
    so of two concurrent saves from the same version exactly one wins."""
    db.session.flush()
    moved = db.session.execute(
        text("UPDATE places SET version = version + 1 WHERE id = :id AND version = :v"),
        {"id": place.id, "v": base_version},
    ).rowcount
    db.session.refresh(place)
    if moved != 1:
        raise StaleEdit(working_snapshot(place), place.version, mine)


def save_edit(user: User, place_id: int, inp: EditInput, *, base_version: int) -> PlaceRevision:
    """Save an edit as a new revision (see the module docstring). Raises StaleEdit when
    ``base_version`` is not the place's version, ValidationError for a bad field."""
    place = get_editable(user, place_id)
    start = working_snapshot(place)
    snap = validate_edit(inp, start)
    if base_version != place.version:
        raise StaleEdit(start, place.version, snap)
    if snap_equal(snap, start):
        raise ValidationError(_("Nothing was changed."), field="form", code="unchanged")
    public = place.status == PlaceStatus.APPROVED
    # A curator's edit of a public place is their own decision and goes live at once (and
    # is logged); everyone else's edit of a public place waits for review.
    live = public and user.is_curator
    now = datetime.now(UTC)
    supersede_open(place)
    revision = PlaceRevision(
        place_id=place.id,
        number=next_number(place.id),
        base_version=base_version,
        snapshot=snap,
        status=RevisionStatus.APPROVED if live else RevisionStatus.PENDING,
        author_id=user.id,
        message=" ".join(str(inp.message or "").split()),
        reviewer_id=user.id if live else None,
        reviewed_at=now if live else None,
    )
    db.session.add(revision)
    with guard_stale(place, snap):
        if public and not live:
            bump_version(place, base_version, snap)
        else:
            apply_snapshot(place, snap)
            if place.status == PlaceStatus.DRAFT:
                place.status = PlaceStatus.PENDING
            if live and place.hidden_reason == FLAGS_EDIT:
                # Flags were resolved by "edit": the corrected place may be seen again.
                place.hidden_at, place.hidden_reason = None, None
            db.session.flush()
    if live:
        from app.services import audit
        from app.services.search_index import refresh_search_vector

        refresh_search_vector(place)
        audit.log(user, "edit", "place", place.id, PlaceStatus.APPROVED, PlaceStatus.APPROVED,
                       message=revision.message)
    return revision


def snap_equal(a: dict, b: dict) -> bool:
    keys = ("title", "summary", "body", "era_year", "era_precision", "language", "step_free")
    if any((a.get(k) or None) != (b.get(k) or None) for k in keys):
        return False
    if sorted(a.get("themes") or []) != sorted(b.get("themes") or []):
        return False
    return distance_m((a["lon"], a["lat"]), (b["lon"], b["lat"])) < 0.05


# --- history, diff, restore -----------------------------------------------------------------


def history(place_id: int) -> list[PlaceRevision]:
    """Every revision of a place, newest first."""
    return list(db.session.scalars(
        select(PlaceRevision)
        .where(PlaceRevision.place_id == place_id)
        .order_by(PlaceRevision.number.desc())
    ))


def get_revision(place_id: int, number: int) -> PlaceRevision:
    rev = db.session.scalar(
        select(PlaceRevision).where(
            PlaceRevision.place_id == place_id, PlaceRevision.number == number
        )
    )
    if rev is None:
        raise NotFound(_("This revision does not exist."))
    return rev


_TOKEN = re.compile(r"\s+|[^\s]+")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level diff as (op, text) pairs, op in "same", "del", "ins"."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("ins", "".join(b[j1:j2])))
    return out


def snapshot_diff(old: dict, new: dict) -> list[dict]:
    """What changed between two snapshots, one entry per changed field, for people:
    text fields as word diffs, the position as a distance in metres."""
    changes: list[dict] = []
    for name in TEXT_FIELDS:
        if (old.get(name) or "") != (new.get(name) or ""):
            changes.append({"field": name, "kind": "text",
                            "parts": text_diff(old.get(name) or "", new.get(name) or "")})
    if old.get("lon") is not None and new.get("lon") is not None:
        moved = distance_m((old["lon"], old["lat"]), (new["lon"], new["lat"]))
        if moved >= 0.05:
            changes.append({"field": "position", "kind": "position", "metres": round(moved, 1),
                            "old": [old["lon"], old["lat"]], "new": [new["lon"], new["lat"]]})
    if (old.get("era_year"), old.get("era_precision")) != (new.get("era_year"),
                                                            new.get("era_precision")):
        changes.append({"field": "era", "kind": "value", "old": base_era(old),
                        "new": base_era(new)})
    for name in ("language", "step_free"):
        if old.get(name) != new.get(name):
            changes.append({"field": name, "kind": "value", "old": old.get(name),
                            "new": new.get(name)})
    if sorted(old.get("themes") or []) != sorted(new.get("themes") or []):
        changes.append({"field": "themes", "kind": "value",
                        "old": ", ".join(sorted(old.get("themes") or [])),
                        "new": ", ".join(sorted(new.get("themes") or []))})
    return changes


def diff_revisions(place_id: int, old_number: int, new_number: int) -> dict:
    old, new = get_revision(place_id, old_number), get_revision(place_id, new_number)
    return {"old": old, "new": new, "changes": snapshot_diff(old.snapshot, new.snapshot)}


def restore(curator: User, place_id: int, number: int, *, base_version: int,
            message: str = "") -> PlaceRevision:
    """Make an earlier revision current again, as a new revision. A curator's restore of a
    public place is a decision: it is approved and public at once (and logged)."""
    if not curator.is_curator:
        raise Forbidden(_("Only curators restore revisions."))
    place = db.session.get(Place, place_id)
    if place is None:
        raise NotFound(_("This place does not exist."))
    old = get_revision(place_id, number)
    snap = dict(old.snapshot)
    if base_version != place.version:
        raise StaleEdit(working_snapshot(place), place.version, snap)
    now = datetime.now(UTC)
    supersede_open(place)
    public = place.status == PlaceStatus.APPROVED
    revision = PlaceRevision(
        place_id=place.id,
        number=next_number(place.id),
        base_version=base_version,
        snapshot=snap,
        status=RevisionStatus.APPROVED if public else RevisionStatus.PENDING,
        author_id=curator.id,
        message=message or _("Restored revision %(n)d", n=number),
        reviewer_id=curator.id if public else None,
        reviewed_at=now if public else None,
    )
    db.session.add(revision)
    with guard_stale(place, snap):
        apply_snapshot(place, snap)
        db.session.flush()
    if public:
        from app.services.search_index import refresh_search_vector

        refresh_search_vector(place)

    audit.log(curator, "restore", "place", place.id, place.status, place.status,
              message=revision.message)
    return revision
