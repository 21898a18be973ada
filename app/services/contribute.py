"""Contributions: a resident's new place with its story, photos and recording.

A contribution is all or nothing: every field and file is checked before anything is
written; rows and files are written in one transaction (files of a transaction that does not
commit are removed by ``app.services.media``). A new contribution is a pending Place with
its first PlaceRevision; only its author (or the helper who entered it) and curators see it
until a curator approves it. A contribution at a position near public places is first asked
whether it is about one of them (``PossibleDuplicate``): its story then belongs there (the
add-a-story form), and a new place is made only when the contributor says it is another.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

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
from app.models.statuses import MediaKind, MediaStatus, PlaceStatus, RevisionStatus
from app.services import geodata, stories, visibility
from app.services import media as media_service
from app.services.place_rules import check_position, parse_era, snapshot

STORY_LICENCE = "CC-BY-SA-4.0"
# "Is it one of these?": public places this near a new contribution are offered first.
DUPLICATE_RADIUS_M = 50
DUPLICATE_SIMILARITY = 0.3
MAX_NEARBY = 5
ON_BEHALF_METHODS = tuple(m for m in CONSENT_METHODS if m != "self")  # a helper enters it
EDITABLE_STATUSES = (PlaceStatus.PENDING, PlaceStatus.DRAFT)


@dataclass
class Upload:
    """A file as received: its name is only for messages, never for deciding its type."""

    filename: str
    data: bytes


@dataclass
class ContributionInput:
    """A contribution as ``app.inputs.contribution`` loads it: every field's shape checked,
    text normalised, empty licences and language replaced by the defaults."""

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
    consent_date: date | None = None
    consent_scan: Upload | None = None

    def licences_of_photos(self) -> list[str]:
        """Each photo's licence, in their order: its own, or the photos' default."""
        if not self.photo_licences:
            return [self.photo_licence] * len(self.photos)
        return [code or self.photo_licence for code in self.photo_licences]


class PossibleDuplicate(Conflict):
    """The contribution's position is near public places: "is it one of these?". The
    contributor adds their story at one of them, or says it is a different place
    (``not_duplicate``). The API's answer stays what it was (409 ``possible_duplicate`` with
    ``candidates`` of ``id``, ``title``, ``distance_m``), each candidate now with
    ``similar_title`` and ``story_count`` too."""

    code = "possible_duplicate"

    def __init__(self, candidates: list[dict]):
        super().__init__(
            _("Is it one of these places nearby? Add your story there, or confirm that it is "
              "a different place and send it again."),
            field="title",
        )
        self.candidates = candidates

    def problem_members(self) -> dict:
        return {"candidates": self.candidates}


# --- places nearby: "is it one of these?" ------------------------------------------------------

_NEARBY_SQL = text(
    f"""
    SELECT * FROM (
      SELECT p.id, p.title,
             similarity(f_unaccent(lower(p.title)), f_unaccent(lower(:title))) AS score,
             ST_Distance(p.geom::geography,
                         ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m,
             (SELECT count(*) FROM stories
              WHERE stories.place_id = p.id AND {visibility.story_visible_sql("stories")})
               AS story_count
      FROM places p
      WHERE {visibility.place_sql("p")}
        -- the degree box lets the GiST index on geom narrow the candidates first
        AND ST_DWithin(p.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :deg)
        AND ST_DWithin(p.geom::geography,
                       ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :radius)
    ) AS near
    -- a place whose name is like the title first, then the nearest
    ORDER BY score >= :threshold DESC, distance_m, score DESC, id
    LIMIT :limit
    """  # noqa: S608  (the visibility fragments are constant; every value is bound)
)


def nearby_places(lon: float, lat: float, title: str = "") -> list[dict]:
    """Public places within 50 m of the position, those with a title like ``title``
    (pg_trgm) first, then by distance, at most five: the places a new contribution there
    may be about. Each with ``id``, ``title``, ``distance_m`` (rounded), ``similar_title``
    and ``story_count`` (its public stories)."""
    # One degree of longitude shrinks with latitude; 10 % margin on the box.
    deg = DUPLICATE_RADIUS_M / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.1
    rows = db.session.execute(
        _NEARBY_SQL,
        {"title": (title or "").strip(), "lon": lon, "lat": lat, "deg": deg,
         "radius": DUPLICATE_RADIUS_M, "threshold": DUPLICATE_SIMILARITY,
         "limit": MAX_NEARBY},
    ).all()
    return [{"id": r.id, "title": r.title, "distance_m": round(r.distance_m),
             "similar_title": r.score >= DUPLICATE_SIMILARITY, "story_count": r.story_count}
            for r in rows]


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


@dataclass
class _Checked:
    """What the domain checks made of an input: the themes found, the decoded media, the
    position (perhaps a photo's) and whether it is entered on someone's behalf."""

    themes: list[Theme]
    photos: list  # media_service.CheckedPhoto, in the order sent
    audio: object | None
    scan: object | None
    position: tuple[float, float]
    gps_photo: object | None  # the photo whose GPS became the position
    on_behalf: bool


def _checked(user: User, inp: ContributionInput, *, editing: bool = False) -> _Checked:
    """The checks a schema cannot make (``app.inputs.contribution`` made the others):
    themes that exist, consent, the role to enter a story for someone, files that decode,
    a position in the service area. Raises FormErrors with every message, or Forbidden."""
    errors: dict[str, str] = {}

    def attempt(fn, *args):
        try:
            return fn(*args)
        except ValidationError as exc:
            errors.setdefault(exc.field, exc.message)
            return None

    themes = attempt(_themes, inp.themes) or []
    if not inp.licence_consent and not editing:
        errors["licence_consent"] = _(
            "Please agree to the licences so that your story can be published.")
    on_behalf = _on_behalf(user, inp, errors, editing=editing)
    photos = []
    for upload in inp.photos:
        try:
            photos.append(media_service.check_photo(upload.data, "photo"))
        except ValidationError as exc:
            errors.setdefault("photo", _("%(file)s: %(problem)s", file=upload.filename or "?",
                                         problem=exc.message))
    audio = inp.audio and attempt(media_service.check_audio, inp.audio.data, "audio")
    scan = None
    if inp.consent_scan is not None and on_behalf and not editing:
        scan = attempt(media_service.check_scan, inp.consent_scan.data, "consent_scan")
    position, gps_photo = _position(inp, photos, errors)
    if errors:
        raise FormErrors(errors)
    return _Checked(themes, photos, audio, scan, position, gps_photo, on_behalf)


def _themes(slugs: list[str]) -> list[Theme]:
    slugs = sorted(set(slugs))
    if not slugs:
        return []
    found = db.session.scalars(select(Theme).where(Theme.slug.in_(slugs))).all()
    if len(found) != len(slugs):
        raise ValidationError(_("Choose themes from the list."), field="themes")
    return list(found)


def _on_behalf(user: User, inp: ContributionInput, errors: dict, *, editing: bool) -> bool:
    """Whether the story is entered for someone else; only curators and helpers may (a role
    check, not a form error: the page never offers these fields to others), and only with
    the storyteller's consent, how and when it was given."""
    on_behalf = bool(inp.author_name)
    may = user.is_curator or user.is_helper
    if on_behalf and not editing:
        if not may:
            raise Forbidden(_("Only curators and helpers may enter a story for someone else."))
        if not inp.consent_method:
            errors.setdefault("consent_method", _("Say how the person gave their consent."))
        if inp.consent_date is None:
            errors.setdefault("consent_date", _("Give the date the consent was given."))
    elif (inp.consent_method or inp.consent_scan) and not may:
        raise Forbidden(_("Only curators and helpers may enter a story for someone else."))
    return on_behalf


def _position(
    inp: ContributionInput, photos: list, errors: dict
) -> tuple[tuple[float, float] | None, object | None]:
    """(lon, lat) and the photo it came from, if the contributor chose a photo's GPS; (None,
    None) with the message in ``errors`` when there is no usable position."""
    lon, lat = inp.lon, inp.lat
    from_photo = None
    if (lon is None or lat is None) and inp.position_from_photo:
        from_photo = next((p for p in photos if p.gps is not None), None)
        if from_photo is None:
            if "photo" not in errors:
                errors.setdefault("position", _(
                    "The photo carries no position (phones often remove it). Use your "
                    "location or tap the map instead."))
            return None, None
        lon, lat = from_photo.gps
    try:
        return check_position(lon, lat), from_photo
    except ValidationError as exc:
        errors.setdefault("position", exc.message)
        return None, None


def _checked_key(user: User, key: str | None, fingerprint: str) -> tuple[str | None, Place | None]:
    """The idempotency key as stored, and the place a first request with it created."""
    if key is None:
        return None, None
    key = key.strip()
    if not (1 <= len(key) <= 100):
        raise ValidationError(
            _("The idempotency key must have 1 to 100 characters."), field="idempotency_key"
        )
    return key, _place_for_key(user, key, fingerprint)


def _claim_key(user: User, key: str, fingerprint: str) -> Place | None:
    """Claim the key before writing: a concurrent retry waits on the primary key and then
    sees ours (the place it created is returned)."""
    try:
        with db.session.begin_nested():
            db.session.add(IdempotencyKey(user_id=user.id, key=key, request_hash=fingerprint))
    except IntegrityError:
        existing = _place_for_key(user, key, fingerprint)
        if existing is not None:
            return existing
        raise
    return None


def create_contribution(
    user: User, inp: ContributionInput, *, idempotency_key: str | None = None
) -> tuple[Place, bool]:
    """Create a pending place from ``inp``; returns (place, created).

    With an ``idempotency_key`` a retry of the same contribution returns the place created
    the first time (created False); the same key with different content is a Conflict."""
    fingerprint = request_fingerprint(inp)
    key, existing = _checked_key(user, idempotency_key, fingerprint)
    if existing is not None:
        return existing, False
    checked = _checked(user, inp)
    lon, lat = checked.position
    if not inp.not_duplicate:
        # A new place only when the contributor says it is a different one.
        candidates = nearby_places(lon, lat, inp.title)
        if candidates:
            raise PossibleDuplicate(candidates)
    if key is not None and (existing := _claim_key(user, key, fingerprint)) is not None:
        return existing, False

    on_behalf = checked.on_behalf
    place = Place(
        status=PlaceStatus.PENDING,
        author_id=None if on_behalf else user.id,
        author_name=inp.author_name if on_behalf else None,
        helper_id=user.id if on_behalf else None,
        consent_method=inp.consent_method if on_behalf else "self",
        consent_date=inp.consent_date if on_behalf else datetime.now(UTC).date(),
        credit_name=inp.credit_name or (inp.author_name if on_behalf else user.display_name),
        licence=STORY_LICENCE,
    )
    _apply(place, inp, checked)
    db.session.add(place)
    db.session.flush()
    _store_media(user, place, checked, inp)
    _add_revision(user, place, checked.position, number=1, base_version=0)
    if key is not None:
        db.session.get(IdempotencyKey, (user.id, key)).place_id = place.id
    stories.mirror_lead(place)
    db.session.flush()
    return place, True


def _apply(place: Place, inp: ContributionInput, checked: _Checked) -> None:
    """The place's own fields from a checked input (contribution and edit alike)."""
    lon, lat = checked.position
    place.title = inp.title
    place.slug = slugify(inp.title, max_length=150) or "place"
    place.body = inp.body
    place.geom = from_shape(Point(lon, lat), srid=4326)
    place.era_year, place.era_precision = parse_era(inp.era)
    place.language = inp.language
    place.themes = checked.themes


def _add_revision(user: User, place: Place, position, *, number: int, base_version: int):
    """The place's next revision, pending review, with a snapshot of it as it is now (its
    media flushed first, so the snapshot lists their ids)."""
    db.session.flush()
    db.session.add(PlaceRevision(
        place_id=place.id, number=number, base_version=base_version,
        snapshot=snapshot(place, *position), status=RevisionStatus.PENDING,
        author_id=user.id, message="",
    ))


def _store_media(user: User, place: Place, checked: _Checked, inp: ContributionInput,
                 first_position: int = 0) -> None:
    lon, lat = checked.position
    credit = place.credit_name
    licences = inp.licences_of_photos()
    for i, photo in enumerate(checked.photos):
        # The photo's GPS is kept only when it became the place's position.
        keep = photo is checked.gps_photo or (
            inp.position_source == "photo"
            and photo.gps is not None
            and abs(photo.gps[0] - lon) < 1e-6
            and abs(photo.gps[1] - lat) < 1e-6
        )
        media_service.store_photo(
            photo, uploader=user, place=place, keep_gps=keep, caption=inp.photo_caption,
            credit=credit, licence=licences[i], position=first_position + i,
        )
    if checked.audio is not None:
        media_service.store_audio(
            checked.audio, uploader=user, place=place, credit=credit,
            licence=inp.audio_licence, position=first_position + len(checked.photos),
        )
    if checked.scan is not None:
        media_service.store_photo(checked.scan, uploader=user, place=place,
                                  kind=MediaKind.CONSENT_SCAN, credit=credit)


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
            "media": [m for m in p.media if m.kind != MediaKind.CONSENT_SCAN],
            "media_notes": {m.id: note for m in p.media if (note := _media_note(m))},
        })
    return out


def _media_note(medium: Media) -> str:
    """What curators told the contributor about a photo or recording: their message, or the
    reason they gave for refusing it."""
    if medium.review_message:
        return medium.review_message
    if medium.status == MediaStatus.REJECTED and medium.review_reason:
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
    if place.status == PlaceStatus.ARCHIVED:
        return PlaceStatus.ARCHIVED
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
    place = _editable_own(user, place_id, version)
    if inp.lon is None and not inp.position_from_photo:
        point = to_shape(place.geom)  # the page sends no position when it was not moved
        inp.lon, inp.lat = point.x, point.y
    checked = _checked(user, inp, editing=True)
    _apply(place, inp, checked)
    if inp.credit_name:
        place.credit_name = inp.credit_name
    place.updated_at = datetime.now(UTC)
    doomed = [m for m in place.media if m.id in set(remove_media or [])]
    media_service.delete_files_after_commit(doomed)
    for m in doomed:
        place.media.remove(m)
        db.session.delete(m)
    next_position = max((m.position for m in place.media), default=-1) + 1
    _store_media(user, place, checked, inp, first_position=next_position)
    db.session.flush()
    revisions = db.session.scalars(
        select(PlaceRevision).where(PlaceRevision.place_id == place.id)
        .order_by(PlaceRevision.number)
    ).all()
    for rev in revisions:
        if rev.status in (RevisionStatus.PENDING, RevisionStatus.CHANGES_REQUESTED):
            rev.status = RevisionStatus.SUPERSEDED
    _add_revision(user, place, checked.position,
                  number=(revisions[-1].number + 1) if revisions else 1,
                  base_version=place.version)
    place.status = PlaceStatus.PENDING
    stories.mirror_lead(place)
    db.session.flush()
    return place


def _editable_own(user: User, place_id: int, version: int) -> Place:
    """My contribution, if it still waits for review and is as I saw it (``version``)."""
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
    return place


# --- output ---------------------------------------------------------------------------------


def place_feature(place: Place, media_url, site: str) -> dict:
    """The owner's view of their place, in any state, as a GeoJSON Feature: the Feature the
    public gets of a public place (geodata: one definition, built in SQL) with what only its
    owner and curators see: story, review ``status``, edit ``version``, ``credit`` and every
    medium but consent scans with its own status (``media_url(m, variant)`` builds URLs)."""
    feature = geodata.any_place_feature(place.id, site)
    feature["properties"].update({
        "body": place.body,
        "status": place.status,
        "version": place.version,
        "credit": place.credit_name,
        "media": [
            {
                "id": m.id,
                "kind": m.kind,
                "status": m.status,
                "url": media_url(m, "large" if m.kind == MediaKind.PHOTO else None),
                "thumbnail_url": media_url(m, "thumb") if m.kind == MediaKind.PHOTO else None,
                "width": m.width,
                "height": m.height,
                "duration_s": m.duration_s,
                "licence": m.licence,
                "credit": m.credit,
            }
            for m in place.media
            if m.kind != MediaKind.CONSENT_SCAN
        ],
    })
    return feature


def pending_visible_filter(user: User | None):
    """SQL filter: what ``user`` may see of places (public, or theirs, or all for curators)."""
    if user is None:
        return visibility.public_place()
    if user.is_curator:
        return Place.id.isnot(None)
    return visibility.public_place() | (Place.author_id == user.id) | (Place.helper_id == user.id)

