"""What a tour needs on the phone: the list "save for offline" stores, and follow-mode data.

Pages and static values only; the browser does the storing (static/js/offline.js) and the
service worker serves it (static/sw.js). The pages are named here by what they show (the tour's
slug, the places' ids); the web layer turns them into addresses.
"""

from __future__ import annotations

import math

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Media, Place, Tour
from app.models.statuses import MediaKind
from app.services import visibility
from app.services.media import public_path
from app.services.media import public_url as media_url
from app.services.tours.featured import tour_stop_stories

# A rendered page is roughly this large before compression (measured on the demo tours);
# used only for the size shown before saving.
PAGE_BYTES_ESTIMATE = 30_000
# Tiles are fetched ahead only from our own server (TILE_PREFETCH_ALLOWED), at these zooms,
# never more than MAX_PREFETCH_TILES for one tour.
PREFETCH_ZOOMS = (15, 16, 17)
MAX_PREFETCH_TILES = 400
ARRIVAL_RADIUS_M = 25
# Follow mode tells the walker they have left the route beyond this (wider than a stop's
# distance from an imported track, tours.STOP_OFF_ROUTE_M: GPS in old-town alleys wanders).
WALKER_OFF_ROUTE_M = 100


def stop_media(stops: list[dict]) -> dict[int, list[Media]]:
    """Public photos and recordings of the available stops, by place id, in display order."""
    ids = [s["place_id"] for s in stops if s["available"]]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Media)
        .join(Place, Place.id == Media.place_id)
        .where(Media.place_id.in_(ids), visibility.public_media(), visibility.public_place())
        .order_by(Media.place_id, Media.position, Media.id)
    )
    out: dict[int, list[Media]] = {}
    for m in rows:
        out.setdefault(m.place_id, []).append(m)
    return out


def public_audio_mime(m: Media) -> str:
    """The type of a recording's public copy (re-encoded to AAC in MP4), not the upload's."""
    key = (m.variants or {}).get("public") or m.storage_key
    return "audio/mp4" if key.endswith((".m4a", ".mp4")) else m.mime


def _file_size(key: str | None, fallback: int) -> int:
    try:
        return public_path(key).stat().st_size if key else fallback
    except (OSError, ValueError):
        return fallback


def tile_xy(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The slippy-map tile containing a position (Web Mercator, as OpenStreetMap)."""
    n = 2**zoom
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(max(min(lat, 85.0511), -85.0511))
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def prefetch_tiles(stops: list[dict], tile_url: str) -> list[str]:
    """Tile URLs covering the stops (with a margin), only for a tile server that allows it."""
    if not stops or "{s}" in tile_url:
        return []
    lons = [s["lon"] for s in stops]
    lats = [s["lat"] for s in stops]
    margin = 0.003  # about 250 m around the outermost stops
    urls: list[str] = []
    for z in PREFETCH_ZOOMS:
        x0, y0 = tile_xy(min(lons) - margin, max(lats) + margin, z)
        x1, y1 = tile_xy(max(lons) + margin, min(lats) - margin, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                urls.append(
                    tile_url.replace("{z}", str(z)).replace("{x}", str(x))
                    .replace("{y}", str(y)).replace("{r}", "")
                )
                if len(urls) >= MAX_PREFETCH_TILES:
                    return urls
    return urls


def offline_manifest(tour: Tour, stops: list[dict]) -> dict:
    """Everything "save for offline" stores for ``tour``: the pages (its own page, its follow
    page and ``place_ids``, the available stops' place pages, for the caller to turn into
    addresses), the pages of the stories the stops show (``story_ids``: featured, or the
    places' newest), photos (one size, with the other sizes as alternates), recordings and,
    where allowed, map tiles; and the approximate size."""
    place_ids = [s["place_id"] for s in stops if s["available"]]
    shown = tour_stop_stories(tour)
    story_ids = [story.id for pid in place_ids for story in shown.get(pid, (False, []))[1]]
    media = [_offline_medium(m) for items in stop_media(stops).values() for m in items]
    cfg = current_app.config
    tiles = prefetch_tiles(stops, cfg["TILE_URL"]) if cfg["TILE_PREFETCH_ALLOWED"] else []
    pages = 2 + len(place_ids) + len(story_ids)  # tour, follow, place and story pages
    estimate = pages * PAGE_BYTES_ESTIMATE + sum(m["bytes"] for m in media)
    estimate += len(tiles) * 15_000
    return {
        "slug": tour.slug,
        "title": tour.title,
        "place_ids": place_ids,
        "story_ids": story_ids,
        "media": media,
        "tiles": tiles,
        "approx_bytes": estimate,
    }


def _offline_medium(m: Media) -> dict:
    """One photo (the medium size, the other sizes as alternates) or recording (with its
    transcript) to store."""
    variants = m.variants or {}
    if m.kind == MediaKind.PHOTO:
        key = variants.get("medium") or variants.get("public")
        alternates = sorted({media_url(m, name) for name in variants} - {media_url(m, "medium")})
        return {
            "url": media_url(m, "medium"),
            "kind": MediaKind.PHOTO.value,
            "bytes": _file_size(key, m.size_bytes // 4),
            "alternates": alternates,
        }
    return {
        "url": media_url(m),
        "kind": MediaKind.AUDIO.value,
        "bytes": _file_size(variants.get("public"), m.size_bytes),
        "alternates": [],
        # The text alternative travels with the recording (the saved pages show it too).
        "transcript": m.transcript or "",
    }


def follow_data(tour: Tour, stops: list[dict], route: dict | None) -> dict:
    """What static/js/follow.js needs, in one JSON block of the follow page (so a saved follow
    page works offline without any further request). The caller adds the addresses: the
    tour page's (``tourUrl``), each available stop's place page (``url``) and each story's
    page (``url`` of the stop's ``stories``). ``stops`` are ``stop_points`` with stories:
    the stop shows its featured stories, else its place's newest."""
    media = stop_media(stops)
    out_stops = []
    for s in stops:
        items = media.get(s["place_id"], []) if s["available"] else []
        audio = next((m for m in items if m.kind == MediaKind.AUDIO), None)
        photo = next((m for m in items if m.kind == MediaKind.PHOTO), None)
        out_stops.append({
            "number": s["number"],
            "placeId": s["place_id"],
            "title": s["title"],
            "summary": s["summary"] or "",
            "note": s["note"] or "",
            "lon": s["lon"],
            "lat": s["lat"],
            "available": s["available"],
            "audio": media_url(audio) if audio else None,
            "audioMime": public_audio_mime(audio) if audio else None,
            "photo": media_url(photo, "medium") if photo else None,
            "photoAlt": photo.caption if photo else None,
            # Shown with the photo and the recording, as on the place page.
            "photoCredit": photo.credit if photo else None,
            "photoLicence": photo.licence if photo else None,
            "audioCredit": audio.credit if audio else None,
            "audioLicence": audio.licence if audio else None,
            "audioTranscript": (audio.transcript or "") if audio else None,
            "featured": bool(s.get("featured")),
            "stories": [{"id": story.id, "title": story.title, "excerpt": story.excerpt(),
                         "credit": story.credit, "language": story.language,
                         "kind": story.kind}
                        for story in s.get("stories", [])],
        })
    return {
        "slug": tour.slug,
        "title": tour.title,
        "stops": out_stops,
        "route": route,
        "arrivalRadius": ARRIVAL_RADIUS_M,
        "offRoute": WALKER_OFF_ROUTE_M,
    }
