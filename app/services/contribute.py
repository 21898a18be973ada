"""Contributions: a resident's new place with its story, photos and recording.

A contribution is all or nothing: every field and file is checked before anything is
written; rows and files are written in one transaction (files of a transaction that does not
commit are removed by ``app.services.media``). A new contribution is a pending Place with
its first PlaceRevision; only its author (or the helper who entered it) and curators see it
until a curator approves it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from slugify import slugify
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.errors import Conflict, Forbidden, FormErrors, NotFound, ValidationError
from app.extensions import db
from app.models import IdempotencyKey, Media, Place, PlaceRevision, Theme, User
from app.models.place import CONSENT_METHODS
from app.services import media as media_service
from app.services import visibility
from app.services.place_rules import (
    MAX_BODY,
    MAX_TITLE,
    check_position,
    parse_era,
    parse_float,
    snapshot,
)

STORY_LICENCE = "CC-BY-SA-4.0"
DUPLICATE_RADIUS_M = 50
DUPLICATE_SIMILARITY = 0.3
ON_BEHALF_METHODS = tuple(m for m in CONSENT_METHODS if m != "self")
EDITABLE_STATUSES = ("pending", "draft")


@dataclass
class Upload:
    """A file as received: its name is only for messages, never for deciding its type."""

    filename: str
    data: bytes


@dataclass
class ContributionInput:
    title: str = ""
    body: str = ""
    lon: float | None = None
    lat: float | None = None
    # "gps", "photo" or "map": how the position was chosen (the photo's GPS is kept only
    # when the contributor confirmed it as the position).
    position_source: str = ""
    position_from_photo: bool = False
    accuracy_m: float | None = None
    themes: list[str] = field(default_factory=list)
    era: str = ""
    language: str = ""
    licence_consent: bool = False
    credit_name: str = ""
    photos: list[Upload] = field(default_factory=list)
    # The default licence of the photos, and optionally one per photo in their order (an
    # empty entry takes the default); old clients send only the default.
    photo_licence: str = ""
    photo_licences: list[str] = field(default_factory=list)
    photo_caption: str = ""
    audio: Upload | None = None
    audio_licence: str = ""
    not_duplicate: bool = False
    # on behalf of someone without a smartphone
    author_name: str = ""
    consent_method: str = ""
    consent_date: str = ""
    consent_scan: Upload | None = None


class PossibleDuplicate(Conflict):
    code = "possible_duplicate"

    def __init__(self, candidates: list[dict]):
        names = ", ".join(f"“{c['title']}”" for c in candidates)
        super().__init__(
            _("Is this the same as %(names)s? If it is a different place, confirm and send "
              "it again.", names=names),
            field="title",
        )
        self.candidates = candidates

    def problem_members(self) -> dict:
        return {"candidates": self.candidates}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def input_from_form(form, files) -> ContributionInput:
    """A ContributionInput from multipart fields (``form``/``files`` are werkzeug MultiDicts):
    the API and the HTML form send the same fields."""

    def upload(f):
        return Upload(filename=f.filename or "", data=f.read())

    def one(name):
        f = files.get(name)
        return upload(f) if f and f.filename else None

    themes: list[str] = []
    for value in form.getlist("themes"):
        themes.extend(v.strip() for v in value.split(",") if v.strip())
    return ContributionInput(
        title=form.get("title", ""),
        body=form.get("body", ""),
        lon=parse_float(form.get("lon"), "position"),
        lat=parse_float(form.get("lat"), "position"),
        position_source=form.get("position_source", ""),
        position_from_photo=_truthy(form.get("position_from_photo")),
        accuracy_m=parse_float(form.get("accuracy"), "position"),
        themes=themes,
        era=form.get("era", ""),
        language=form.get("language", ""),
        licence_consent=_truthy(form.get("licence_consent")),
        credit_name=form.get("credit_name", ""),
        photos=[upload(f) for f in files.getlist("photo") if f and f.filename],
        photo_licence=form.get("photo_licence", ""),
        photo_licences=[v.strip() for v in form.getlist("photo_licences")],
        photo_caption=form.get("photo_caption", ""),
        audio=one("audio"),
        audio_licence=form.get("audio_licence", ""),
        not_duplicate=_truthy(form.get("not_duplicate")),
        author_name=form.get("author_name", ""),
        consent_method=form.get("consent_method", ""),
        consent_date=form.get("consent_date", ""),
        consent_scan=one("consent_scan"),
    )


# --- small parsers --------------------------------------------------------------------------


# --- duplicates -----------------------------------------------------------------------------

_SIMILAR_SQL = text(
    f"""
    SELECT p.id, p.title,
           similarity(f_unaccent(lower(p.title)), f_unaccent(lower(:title))) AS score,
           ST_Distance(p.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)
             AS distance_m
    FROM places p
    WHERE {visibility.place_sql("p")}
      -- the degree box lets the GiST index on geom narrow the candidates first
      AND ST_DWithin(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg)
      AND ST_DWithin(p.geom::geography,
                     ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :radius)
      AND similarity(f_unaccent(lower(p.title)), f_unaccent(lower(:title))) >= :threshold
    ORDER BY score DESC, distance_m
    LIMIT 3
    """  # noqa: S608  (the visibility fragment is constant; every value is bound)
)


def similar_places(title: str, lon: float, lat: float) -> list[dict]:
    """Approved places within 50 m whose title is similar (pg_trgm): "is this the same?"."""
    title = (title or "").strip()
    if not title:
        return []
    # One degree of longitude shrinks with latitude; 10 % margin on the box.
    deg = DUPLICATE_RADIUS_M / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.1
    rows = db.session.execute(
        _SIMILAR_SQL,
        {"title": title, "lon": lon, "lat": lat, "deg": deg, "radius": DUPLICATE_RADIUS_M,
         "threshold": DUPLICATE_SIMILARITY},
    ).all()
    return [{"id": r.id, "title": r.title, "distance_m": round(r.distance_m)} for r in rows]


# --- create ---------------------------------------------------------------------------------


def request_fingerprint(inp: ContributionInput) -> str:
    """What makes two submissions "the same contribution" for an idempotency key."""
    payload = {
        "title": inp.title.strip(), "body": inp.body.strip(), "lon": inp.lon, "lat": inp.lat,
        "from_photo": inp.position_from_photo, "themes": sorted(inp.themes),
        "era": inp.era.strip(), "language": inp.language, "author_name": inp.author_name,
        "photos": [hashlib.sha256(p.data).hexdigest() for p in inp.photos],
        "audio": hashlib.sha256(inp.audio.data).hexdigest() if inp.audio else None,
    }
    # Only when given, so keys of contributions from clients without it keep their hash.
    if inp.photo_licences:
        payload["photo_licences"] = inp.photo_licences
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _place_for_key(user: User, key: str, fingerprint: str) -> Place | None:
    row = db.session.get(IdempotencyKey, (user.id, key))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise Conflict(
            _("This idempotency key was used for a different contribution."),
            field="idempotency_key",
            code="idempotency_mismatch",
        )
    if row.place_id is None:  # the contribution was deleted meanwhile
        raise Conflict(_("This contribution was deleted."), code="idempotency_gone")
    return db.session.get(Place, row.place_id)


def _validated(user: User, inp: ContributionInput, *, editing: bool = False) -> dict:
    """Check every field; returns clean values or raises FormErrors with all messages."""
    errors: dict[str, str] = {}
    clean: dict = {}

    def attempt(name, fn):
        try:
            clean[name] = fn()
        except ValidationError as exc:
            errors.setdefault(exc.field or name, exc.message)

    def title():
        value = " ".join((inp.title or "").split())
        if not value:
            raise ValidationError(_("Give the place a title."), field="title")
        if len(value) > MAX_TITLE:
            raise ValidationError(_("Use at most %(n)d characters.", n=MAX_TITLE), field="title")
        return value

    def body():
        value = (inp.body or "").strip().replace("\r\n", "\n")
        if len(value) > MAX_BODY:
            raise ValidationError(_("Use at most %(n)d characters.", n=MAX_BODY), field="body")
        return value

    def language():
        value = inp.language or current_app.config["DEFAULT_LOCALE"]
        if value not in current_app.config["LANGUAGES"]:
            raise ValidationError(_("Choose one of the offered languages."), field="language")
        return value

    def themes():
        slugs = sorted({s.strip() for s in inp.themes if s and s.strip()})
        if not slugs:
            return []
        found = db.session.scalars(select(Theme).where(Theme.slug.in_(slugs))).all()
        if len(found) != len(slugs):
            raise ValidationError(_("Choose themes from the list."), field="themes")
        return found

    def consent():
        if not inp.licence_consent and not editing:
            raise ValidationError(
                _("Please agree to the licences so that your story can be published."),
                field="licence_consent",
            )
        return True

    attempt("title", title)
    attempt("body", body)
    attempt("language", language)
    attempt("themes", themes)
    attempt("era", lambda: parse_era(inp.era))
    attempt("licence_consent", consent)
    check_licence = media_service.check_licence
    attempt("photo_licence", lambda: check_licence(inp.photo_licence, "photo_licence"))

    def photo_licences():
        default = clean.get("photo_licence") or current_app.config["DEFAULT_MEDIA_LICENCE"]
        chosen = inp.photo_licences
        if not chosen:
            return [default] * len(inp.photos)
        if len(chosen) != len(inp.photos):
            raise ValidationError(
                _("Give one licence for each photo, in the order of the photos (or none, "
                  "and the photos' licence applies to all of them)."),
                field="photo_licences",
            )
        return [check_licence(code, "photo_licences") if code else default for code in chosen]

    attempt("photo_licences", photo_licences)
    attempt("audio_licence", lambda: check_licence(inp.audio_licence, "audio_licence"))
    clean["credit_name"] = " ".join((inp.credit_name or "").split())[:120]

    on_behalf = bool((inp.author_name or "").strip())
    clean["on_behalf"] = on_behalf
    if on_behalf and not editing:
        if not (user.is_curator or user.is_helper):
            # A role check, not a form error: the page never offers these fields to others.
            raise Forbidden(_("Only curators and helpers may enter a story for someone else."))
        clean["author_name"] = " ".join(inp.author_name.split())[:120]
        if inp.consent_method not in ON_BEHALF_METHODS:
            errors.setdefault("consent_method", _("Say how the person gave their consent."))
        try:
            consent_date = date.fromisoformat(inp.consent_date or "")
            if consent_date > datetime.now(UTC).date():
                errors.setdefault("consent_date", _("The date of consent cannot be in the future."))
            clean["consent_date"] = consent_date
        except ValueError:
            errors.setdefault("consent_date", _("Give the date the consent was given."))
    elif (inp.consent_method or inp.consent_scan) and not (user.is_curator or user.is_helper):
        raise Forbidden(_("Only curators and helpers may enter a story for someone else."))

    max_photos = media_service.setting("MAX_PHOTOS")
    if len(inp.photos) > max_photos:
        errors.setdefault("photo", _("Add at most %(n)d photos.", n=max_photos))
    photos = []
    for upload in inp.photos[:max_photos]:
        try:
            photos.append(media_service.check_photo(upload.data, "photo"))
        except ValidationError as exc:
            errors.setdefault("photo", _("%(file)s: %(problem)s", file=upload.filename or "?",
                                         problem=exc.message))
    clean["photos"] = photos
    clean["audio"] = None
    if inp.audio is not None:
        attempt("audio", lambda: media_service.check_audio(inp.audio.data, "audio"))
    clean["scan"] = None
    if inp.consent_scan is not None and on_behalf:
        attempt("scan", lambda: media_service.check_scan(inp.consent_scan.data, "consent_scan"))

    lon, lat = inp.lon, inp.lat
    from_photo = None
    want_photo = (lon is None or lat is None) and inp.position_from_photo
    if want_photo:
        from_photo = next((p for p in photos if p.gps is not None), None)
        if from_photo is None and "photo" not in errors:
            errors.setdefault(
                "position",
                _("The photo carries no position (phones often remove it). Use your location "
                  "or tap the map instead."),
            )
        elif from_photo is not None:
            lon, lat = from_photo.gps
    if "position" not in errors and not (want_photo and from_photo is None):
        try:
            clean["position"] = check_position(lon, lat)
        except ValidationError as exc:
            errors.setdefault("position", exc.message)
    clean["gps_photo"] = from_photo
    if errors:
        raise FormErrors(errors)
    return clean


def create_contribution(
    user: User, inp: ContributionInput, *, idempotency_key: str | None = None
) -> tuple[Place, bool]:
    """Create a pending place from ``inp``; returns (place, created).

    With an ``idempotency_key`` a retry of the same contribution returns the place created
    the first time (created False); the same key with different content is a Conflict."""
    fingerprint = request_fingerprint(inp)
    if idempotency_key is not None:
        idempotency_key = idempotency_key.strip()
        if not (1 <= len(idempotency_key) <= 100):
            raise ValidationError(
                _("The idempotency key must have 1 to 100 characters."), field="idempotency_key"
            )
        existing = _place_for_key(user, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False

    clean = _validated(user, inp)
    lon, lat = clean["position"]
    if not inp.not_duplicate:
        candidates = similar_places(clean["title"], lon, lat)
        if candidates:
            raise PossibleDuplicate(candidates)

    if idempotency_key is not None:
        # Claim the key first: a concurrent retry waits on the primary key and then sees ours.
        try:
            with db.session.begin_nested():
                db.session.add(IdempotencyKey(user_id=user.id, key=idempotency_key,
                                              request_hash=fingerprint))
        except IntegrityError:
            existing = _place_for_key(user, idempotency_key, fingerprint)
            if existing is not None:
                return existing, False
            raise

    on_behalf = clean["on_behalf"]
    year, precision = clean["era"]
    place = Place(
        slug=slugify(clean["title"], max_length=150) or "place",
        title=clean["title"],
        body=clean["body"],
        geom=from_shape(Point(lon, lat), srid=4326),
        era_year=year,
        era_precision=precision,
        language=clean["language"],
        status="pending",
        author_id=None if on_behalf else user.id,
        author_name=clean.get("author_name") if on_behalf else None,
        helper_id=user.id if on_behalf else None,
        consent_method=inp.consent_method if on_behalf else "self",
        consent_date=clean.get("consent_date") if on_behalf else datetime.now(UTC).date(),
        credit_name=clean["credit_name"]
        or (clean.get("author_name") if on_behalf else user.display_name),
        licence=STORY_LICENCE,
        themes=clean["themes"],
    )
    db.session.add(place)
    db.session.flush()
    credit = place.credit_name
    _store_media(user, place, clean, inp, credit, lon, lat)
    db.session.flush()
    db.session.add(
        PlaceRevision(
            place_id=place.id,
            number=1,
            base_version=0,
            snapshot=snapshot(place, lon, lat),
            status="pending",
            author_id=user.id,
            message="",
        )
    )
    if idempotency_key is not None:
        db.session.get(IdempotencyKey, (user.id, idempotency_key)).place_id = place.id
    db.session.flush()
    return place, True


def _store_media(user, place, clean, inp, credit, lon, lat, first_position: int = 0) -> None:
    confirmed = clean["gps_photo"]
    for i, checked in enumerate(clean["photos"]):
        # The photo's GPS is kept only when it became the place's position.
        keep = checked is confirmed or (
            inp.position_source == "photo"
            and checked.gps is not None
            and abs(checked.gps[0] - lon) < 1e-6
            and abs(checked.gps[1] - lat) < 1e-6
        )
        media_service.store_photo(
            checked, uploader=user, place=place, keep_gps=keep, caption=inp.photo_caption,
            credit=credit, licence=clean["photo_licences"][i], position=first_position + i,
        )
    if clean["audio"] is not None:
        media_service.store_audio(
            clean["audio"], uploader=user, place=place, credit=credit,
            licence=clean["audio_licence"], position=first_position + len(clean["photos"]),
        )
    if clean.get("scan") is not None:
        media_service.store_photo(clean["scan"], uploader=user, place=place, kind="consent_scan",
                                  credit=credit)


# --- reading and editing one's own ---------------------------------------------------------


def can_see(user: User | None, place: Place) -> bool:
    """Pending places are visible to their author, the helper who entered them, curators."""
    if place.is_public:
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_curator or user.id in (place.author_id, place.helper_id)


def my_contributions(user: User) -> list[dict]:
    """The places I contributed or entered for someone, newest first, with the status and
    message of the latest revision."""
    places = db.session.scalars(
        select(Place)
        .where((Place.author_id == user.id) | (Place.helper_id == user.id))
        .options(selectinload(Place.media), selectinload(Place.themes))
        .order_by(Place.created_at.desc(), Place.id.desc())
    ).all()
    latest: dict[int, PlaceRevision] = {}
    if places:
        rows = db.session.scalars(
            select(PlaceRevision)
            .where(PlaceRevision.place_id.in_([p.id for p in places]))
            .order_by(PlaceRevision.place_id, PlaceRevision.number)
        ).all()
        latest = {r.place_id: r for r in rows}  # the highest number wins
    out = []
    for p in places:
        rev = latest.get(p.id)
        revision_status = rev.status if rev else p.status
        out.append({
            "place": p,
            "revision_status": revision_status,
            "state": contribution_state(p, revision_status),
            "message": (rev.review_message if rev else None) or "",
            "editable": p.status in EDITABLE_STATUSES and p.merged_into_id is None,
            "media": [m for m in p.media if m.kind != "consent_scan"],
            "media_notes": {m.id: note for m in p.media if (note := _media_note(m))},
        })
    return out


def _media_note(medium: Media) -> str:
    """What curators told the contributor about a photo or recording: their message, or the
    reason they gave for refusing it."""
    if medium.review_message:
        return medium.review_message
    if medium.status == "rejected" and medium.review_reason:
        # Imported here: moderation imports revisions, which imports this module.
        from app.services.moderation import REASON_CODES

        return str(REASON_CODES.get(medium.review_reason, ""))
    return ""


def contribution_state(place: Place, revision_status: str) -> str:
    """What the contributor should read as the state of their place: a decision on the place
    itself (merged into another, removed, hidden after reports or by a curator) outranks the
    state of its latest revision, which may still say "approved"."""
    if place.merged_into_id is not None:
        return "merged"
    if place.status == "archived":
        return "archived"
    if place.hidden_at is not None:
        return "hidden"
    return revision_status


def get_own(user: User, place_id: int) -> Place:
    place = db.session.get(Place, place_id)
    if place is None or not can_see(user, place):
        raise NotFound(_("This contribution does not exist."))
    return place


def update_contribution(
    user: User, place_id: int, inp: ContributionInput, *, version: int,
    remove_media: list[int] | None = None,
) -> Place:
    """Edit my contribution while it waits for review: a new revision supersedes the pending
    one. ``version`` is the place version the edit started from (Conflict when stale)."""
    place = get_own(user, place_id)
    if user.id not in (place.author_id, place.helper_id):
        raise Forbidden(_("Only the author can change this contribution here."))
    if place.status not in EDITABLE_STATUSES:
        raise Conflict(
            _("This contribution has been reviewed already and can no longer be changed here."),
            code="not_editable",
        )
    if version != place.version:
        raise Conflict(
            _("This contribution changed in the meantime. Reload the page and try again."),
            code="stale_version",
        )
    if inp.lon is None and not inp.position_from_photo:
        point = to_shape(place.geom)
        inp.lon, inp.lat = point.x, point.y
    clean = _validated(user, inp, editing=True)
    lon, lat = clean["position"]
    year, precision = clean["era"]
    place.title = clean["title"]
    place.slug = slugify(clean["title"], max_length=150) or "place"
    place.body = clean["body"]
    place.geom = from_shape(Point(lon, lat), srid=4326)
    place.era_year, place.era_precision = year, precision
    place.language = clean["language"]
    place.themes = clean["themes"]
    if clean["credit_name"]:
        place.credit_name = clean["credit_name"]
    place.updated_at = datetime.now(UTC)
    doomed = [m for m in place.media if m.id in set(remove_media or [])]
    media_service.delete_files_after_commit(doomed)
    for m in doomed:
        place.media.remove(m)
        db.session.delete(m)
    clean["scan"] = None
    next_pos = max((m.position for m in place.media), default=-1) + 1
    _store_media(user, place, clean, inp, place.credit_name, lon, lat, first_position=next_pos)
    db.session.flush()
    revisions = db.session.scalars(
        select(PlaceRevision).where(PlaceRevision.place_id == place.id)
        .order_by(PlaceRevision.number)
    ).all()
    for rev in revisions:
        if rev.status in ("pending", "changes_requested"):
            rev.status = "superseded"
    db.session.add(
        PlaceRevision(
            place_id=place.id,
            number=(revisions[-1].number + 1) if revisions else 1,
            base_version=place.version,
            snapshot=snapshot(place, lon, lat),
            status="pending",
            author_id=user.id,
        )
    )
    place.status = "pending"
    db.session.flush()
    return place


# --- output ---------------------------------------------------------------------------------


def place_feature(place: Place, media_url) -> dict:
    """The place as a GeoJSON Feature for the API (``media_url(m, variant)`` builds URLs)."""
    point = to_shape(place.geom)
    return {
        "type": "Feature",
        "id": place.id,
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": {
            "title": place.title,
            "body": place.body,
            "status": place.status,
            "version": place.version,
            "language": place.language,
            "era": {"year": place.era_year, "precision": place.era_precision}
            if place.era_year else None,
            "themes": [t.slug for t in place.themes],
            "credit": place.credit_name,
            "licence": place.licence,
            "media": [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "status": m.status,
                    "url": media_url(m, "large" if m.kind == "photo" else None),
                    "thumbnail_url": media_url(m, "thumb") if m.kind == "photo" else None,
                    "width": m.width,
                    "height": m.height,
                    "duration_s": m.duration_s,
                    "licence": m.licence,
                    "credit": m.credit,
                }
                for m in place.media
                if m.kind != "consent_scan"
            ],
        },
    }


def pending_visible_filter(user: User | None):
    """SQL filter: what ``user`` may see of places (public, or theirs, or all for curators)."""
    if user is None:
        return visibility.public_place()
    if user.is_curator:
        return Place.id.isnot(None)
    return visibility.public_place() | (Place.author_id == user.id) | (Place.helper_id == user.id)

