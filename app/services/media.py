"""Photos and recordings: check, re-encode and store them, all or nothing.

Uploaded originals are kept private under ``MEDIA_ROOT/private`` (never served); what the
public sees under ``MEDIA_ROOT/public`` (``MEDIA_URL``) is always a re-encoded copy with no
metadata at all, so the GPS of someone's home never leaves the server.

Files and rows go together: every file written during a database transaction is removed
again unless that transaction commits, and files of deleted media are removed only after the
deletion commits (see ``_track_files``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import av
import pillow_heif
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from app.errors import ValidationError
from app.extensions import db
from app.models import Media
from app.models.statuses import MediaKind, MediaStatus
from app.services import visibility
from geo.exif import gps_from_exif

pillow_heif.register_heif_opener()

# Pillow decodes only these, whatever the file is called: the type is sniffed from content.
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
PHOTO_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
PHOTO_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}
# Longest side in pixels of each public variant.
PHOTO_VARIANTS = {"large": 1600, "medium": 800, "thumb": 320}

# FFmpeg demuxer names (as PyAV reports them) of the accepted recording containers.
AUDIO_CONTAINERS = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("audio/mp4", "m4a"),
    "mp3": ("audio/mpeg", "mp3"),
    "ogg": ("audio/ogg", "ogg"),
    "matroska,webm": ("audio/webm", "webm"),
    "wav": ("audio/wav", "wav"),
}

DEFAULTS = {
    # About 60 megapixels: every phone camera's full resolution fits, a bomb does not.
    "MAX_IMAGE_PIXELS": 60_000_000,
    "MAX_PHOTO_BYTES": 25 * 1024 * 1024,
    "MAX_PHOTOS": 8,
    "MAX_AUDIO_BYTES": 30 * 1024 * 1024,
    "MAX_AUDIO_SECONDS": 600,
    "MIN_AUDIO_SECONDS": 0.5,
    "MEDIA_LICENCES": ("CC-BY-SA-4.0", "CC-BY-4.0", "CC0-1.0"),
}


def setting(name: str):
    """A media limit from the app config, else the default above."""
    return current_app.config.get(name, DEFAULTS[name])


# --- storage --------------------------------------------------------------------------------


def media_root() -> Path:
    return Path(current_app.config["MEDIA_ROOT"])


def private_path(key: str) -> Path:
    """Path of a private original (``Media.storage_key``)."""
    return _inside(media_root() / "private", key)


def public_path(key: str) -> Path:
    """Path of a public variant (a value of ``Media.variants``)."""
    return _inside(media_root() / "public", key)


def public_url(media: Media, variant: str | None = None) -> str:
    """URL of a medium's public file: the named re-encoded variant, else its public copy.
    Never the private original, whose key is not under the public tree."""
    variants = media.variants or {}
    key = (variants.get(variant) if variant else None) or variants.get("public")
    if not key:
        return ""
    return current_app.config["MEDIA_URL"].rstrip("/") + "/" + key


def _all_extensions() -> tuple[str, ...]:
    return tuple(sorted(set(PHOTO_EXT.values()) | {ext for _, ext in AUDIO_CONTAINERS.values()}))


def medium_for_public_key(key: str) -> Media | None:
    """The medium whose public variant is stored under ``key``, with its place, or None.

    A public key is its original's key without the extension plus ``-<variant>.<ext>``
    (see ``store_photo``/``store_audio``), so the row is found through the unique index on
    ``storage_key`` instead of a scan of every medium's variants."""
    stem, dash, _rest = key.rpartition("-")
    if not dash or not stem:
        return None
    candidates = [f"{stem}.{ext}" for ext in _all_extensions()]
    medium = db.session.scalar(
        select(Media).where(Media.storage_key.in_(candidates)).options(joinedload(Media.place))
    )
    if medium is None or key not in (medium.variants or {}).values():
        return None
    return medium


def is_public_medium(medium: Media) -> bool:
    """Whether everyone may see ``medium`` (``visibility.is_public_medium``: public media of
    a public place)."""
    return visibility.is_public_medium(medium)


def may_see_medium(user, medium: Media) -> bool:
    """Public media for everyone; anything else (pending, rejected, hidden, of a place not
    public) only for the person who uploaded it and for curators."""
    if is_public_medium(medium):
        return True
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_curator or (medium.uploader_id is not None
                                    and medium.uploader_id == user.id))


def _inside(root: Path, key: str) -> Path:
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"media key escapes its folder: {key!r}")
    return path


def _write(path: Path, data: bytes) -> None:
    session = db.session()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Registered before writing: a failure halfway still removes the partial file.
    session.info.setdefault("media_new_files", []).append(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _remove(paths) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def delete_files_after_commit(media: list[Media]) -> None:
    """Remove the files of ``media`` once the transaction deleting them commits."""
    session = db.session()
    doomed = session.info.setdefault("media_doomed_files", [])
    for m in media:
        doomed.append(private_path(m.storage_key))
        doomed.extend(public_path(k) for k in (m.variants or {}).values())


@event.listens_for(Session, "after_commit")
def _files_committed(session: Session) -> None:
    session.info.pop("media_new_files", None)
    _remove(session.info.pop("media_doomed_files", []))


@event.listens_for(Session, "after_transaction_end")
def _files_rolled_back(session: Session, transaction) -> None:
    # Only the outermost transaction decides; after a commit the lists are already empty, so
    # whatever is left belongs to a rollback or a session closed without commit.
    if transaction.parent is not None or transaction.nested:
        return
    _remove(session.info.pop("media_new_files", []))
    session.info.pop("media_doomed_files", None)


def _new_key(ext: str) -> str:
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}.{ext}"


# --- photos ---------------------------------------------------------------------------------


@dataclass
class CheckedPhoto:
    """A decoded, validated photo, ready to store."""

    data: bytes
    format: str
    image: Image.Image  # upright (EXIF orientation applied), RGB
    gps: tuple[float, float] | None  # (lon, lat) from EXIF, if valid
    sha256: str = field(default="")


def check_photo(data: bytes, field_name: str = "photo") -> CheckedPhoto:
    """Decode ``data`` as a photo or raise ValidationError naming ``field_name``.

    The format comes from the content; images with more pixels than MAX_IMAGE_PIXELS are
    refused before their pixels are decoded (Pillow's bomb warning counts as an error), and
    truncated or corrupt files are refused when decoding fails."""
    if len(data) > setting("MAX_PHOTO_BYTES"):
        raise ValidationError(
            _("This photo is larger than %(mb)d MB.", mb=setting("MAX_PHOTO_BYTES") // 2**20),
            field=field_name,
            code="too_large",
        )
    limit = setting("MAX_IMAGE_PIXELS")
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
            if img.width * img.height > limit:
                raise Image.DecompressionBombError("too many pixels")
            fmt = img.format
            exif = img.getexif()
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("This image has too many pixels (at most %(mp)d megapixels).", mp=limit // 10**6),
            field=field_name,
            code="too_many_pixels",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValidationError(
            _("This file is not a photo we can read. Use JPEG, PNG, WebP or HEIC."),
            field=field_name,
            code="unsupported_type",
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(
            _("This photo is damaged or incomplete. Please choose it again."),
            field=field_name,
            code="corrupt",
        ) from exc
    gps = _gps_of(exif)
    upright = ImageOps.exif_transpose(img)
    return CheckedPhoto(
        data=data,
        format=fmt,
        image=_to_srgb(upright),
        gps=gps,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _gps_of(exif) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS when present and valid; geo.exif knows the pitfalls
    (0,0 written for "no fix", NaN rationals, malformed IFDs) and never raises."""
    return gps_from_exif(exif)


def _to_srgb(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    if icc:
        # An odd profile: keep the pixels as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            img = ImageCms.profileToProfile(
                img, io.BytesIO(icc), ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
    if img.mode in ("RGBA", "LA", "P", "PA"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _encode_jpeg(img: Image.Image, longest: int) -> bytes:
    copy = img.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    # A fresh image carries no info dict at all: no EXIF, XMP, ICC profile or comments.
    clean = Image.new("RGB", copy.size)
    clean.paste(copy)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def store_photo(
    checked: CheckedPhoto,
    *,
    uploader,
    place=None,
    kind: str = MediaKind.PHOTO,
    keep_gps: bool = False,
    caption: str = "",
    credit: str = "",
    licence: str | None = None,
    position: int = 0,
) -> Media:
    """Write the private original and the public variants of a checked photo and add its
    Media row (pending). When the photo carries GPS that the contributor did not confirm as
    the place's position, the private copy is a full-size re-encode without metadata, so the
    position is not kept anywhere."""
    original = checked.data
    ext = PHOTO_EXT[checked.format]
    mime = PHOTO_MIME[checked.format]
    if checked.gps is not None and not keep_gps:
        original = _encode_jpeg(checked.image, max(checked.image.size))
        ext, mime = "jpg", "image/jpeg"
    key = _new_key(ext)
    _write(private_path(key), original)
    base = key.rsplit(".", 1)[0]
    variants = {}
    # A consent form names a person and is for curators only: it gets no public copy.
    for name, longest in PHOTO_VARIANTS.items() if kind != MediaKind.CONSENT_SCAN else ():
        vkey = f"{base}-{name}.jpg"
        _write(public_path(vkey), _encode_jpeg(checked.image, longest))
        variants[name] = vkey
    if variants:
        variants["public"] = variants["large"]
    media = Media(
        place=place,
        uploader_id=uploader.id if uploader else None,
        kind=kind,
        storage_key=key,
        mime=mime,
        size_bytes=len(original),
        sha256=hashlib.sha256(original).hexdigest(),
        width=checked.image.width,
        height=checked.image.height,
        variants=variants,
        caption=caption[:2000],
        credit=credit[:120],
        licence=licence or current_app.config["DEFAULT_MEDIA_LICENCE"],
        status=MediaStatus.PENDING,
        position=position,
    )
    db.session.add(media)
    return media


# --- audio ----------------------------------------------------------------------------------


@dataclass
class CheckedAudio:
    data: bytes
    mime: str
    ext: str
    duration_s: float
    public_m4a: bytes


def check_audio(data: bytes, field_name: str = "audio") -> CheckedAudio:
    """Decode a recording (m4a, mp3, ogg, webm or wav, found from the content) completely,
    measure its real length from the decoded samples (browser recordings often carry no
    duration header), and re-encode it as AAC in MP4 without any metadata for the public."""
    if len(data) > setting("MAX_AUDIO_BYTES"):
        raise ValidationError(
            _("This recording is larger than %(mb)d MB.", mb=setting("MAX_AUDIO_BYTES") // 2**20),
            field=field_name,
            code="too_large",
        )
    bad_type = ValidationError(
        _("This file is not a recording we can play. Use m4a, mp3, ogg, webm or wav."),
        field=field_name,
        code="unsupported_type",
    )
    max_s = float(setting("MAX_AUDIO_SECONDS"))
    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise bad_type from exc
    try:
        if container.format.name not in AUDIO_CONTAINERS:
            raise bad_type
        audio = [s for s in container.streams if s.type == "audio"]
        moving = [
            s for s in container.streams
            if s.type == "video" and not (s.disposition & av.stream.Disposition.attached_pic)
        ]
        if len(audio) != 1 or moving:
            raise bad_type
        mime, ext = AUDIO_CONTAINERS[container.format.name]
        stream = audio[0]
        public, samples, rate = _reencode(container, stream, max_s, field_name)
    except av.FFmpegError as exc:
        raise ValidationError(
            _("This recording is damaged or incomplete. Please record or choose it again."),
            field=field_name,
            code="corrupt",
        ) from exc
    finally:
        container.close()
    duration = samples / rate if rate else 0.0
    if duration < float(setting("MIN_AUDIO_SECONDS")):
        raise ValidationError(
            _("This recording is empty or too short."), field=field_name, code="too_short"
        )
    return CheckedAudio(data=data, mime=mime, ext=ext, duration_s=round(duration, 2),
                        public_m4a=public)


def _reencode(container, stream, max_s: float, field_name: str) -> tuple[bytes, int, int]:
    out_buf = io.BytesIO()
    out = av.open(out_buf, mode="w", format="mp4")
    rate = 44100
    ostream = out.add_stream("aac", rate=rate)
    ostream.bit_rate = 96_000
    ostream.layout = "mono"
    resampler = av.AudioResampler(format="fltp", layout="mono", rate=rate)
    samples = 0
    for frame in container.decode(stream):
        for rf in resampler.resample(frame):
            samples += rf.samples
            for packet in ostream.encode(rf):
                out.mux(packet)
        if samples > max_s * rate:
            out.close()
            raise ValidationError(
                _("Recordings can be at most %(min)d minutes long.", min=int(max_s // 60)),
                field=field_name,
                code="too_long",
            )
    for rf in resampler.resample(None):
        samples += rf.samples
        for packet in ostream.encode(rf):
            out.mux(packet)
    for packet in ostream.encode(None):
        out.mux(packet)
    out.close()
    return out_buf.getvalue(), samples, rate


def store_audio(
    checked: CheckedAudio,
    *,
    uploader,
    place=None,
    caption: str = "",
    credit: str = "",
    licence: str | None = None,
    position: int = 0,
) -> Media:
    """Write the private original and the public re-encoded copy; add the Media row."""
    key = _new_key(checked.ext)
    _write(private_path(key), checked.data)
    public_key = key.rsplit(".", 1)[0] + "-public.m4a"
    _write(public_path(public_key), checked.public_m4a)
    media = Media(
        place=place,
        uploader_id=uploader.id if uploader else None,
        kind=MediaKind.AUDIO,
        storage_key=key,
        mime=checked.mime,
        size_bytes=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        duration_s=checked.duration_s,
        variants={"public": public_key},
        caption=caption[:2000],
        credit=credit[:120],
        licence=licence or current_app.config["DEFAULT_MEDIA_LICENCE"],
        status=MediaStatus.PENDING,
        position=position,
    )
    db.session.add(media)
    return media


def check_licence(code: str | None, field_name: str) -> str:
    """A media licence from the configured short list (the default when empty)."""
    allowed = tuple(setting("MEDIA_LICENCES"))
    if not code:
        return current_app.config["DEFAULT_MEDIA_LICENCE"]
    if code not in allowed:
        raise ValidationError(_("Choose one of the offered licences."), field=field_name)
    return code


def check_scan(data: bytes, field_name: str = "consent_scan") -> CheckedPhoto:
    """A photographed or scanned consent form: the same checks as a photo."""
    return check_photo(data, field_name)
