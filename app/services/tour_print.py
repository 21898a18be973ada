"""The printable A4 tour sheet: an overview map (basemap tiles when the tile server answers
quickly, otherwise a clean vector drawing), QR codes to each stop's page, and the PDF itself.

WeasyPrint renders the sheet from a Jinja template (templates/print/); everything it needs is
embedded as data: URIs and its URL fetcher refuses anything else, so a tour's text can never
make the server fetch a URL.
"""

from __future__ import annotations

import base64
import io
import math
import time
import urllib.request
from collections.abc import Sequence
from xml.sax.saxutils import escape

import segno

TILE_SIZE = 256
MAP_WIDTH = 680
MAP_HEIGHT = 440
PADDING = 36
MAX_ZOOM = 18
# A printed sheet must not wait for a slow tile server: after this many seconds in total, or
# at the first failure, the map is drawn without tiles.
TILE_BUDGET_S = 4.0
TILE_TIMEOUT_S = 1.5
MAX_TILES = 16
# Web Mercator metres per pixel at zoom 0 on the equator.
M_PER_PX_Z0 = 156_543.033_92


def _world_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    scale = TILE_SIZE * (1 << zoom)
    lat = max(-85.0511, min(85.0511, lat))
    x = (lon + 180.0) / 360.0 * scale
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * scale
    return x, y


def _fit_zoom(lonlats: Sequence[tuple[float, float]], width: int, height: int) -> int:
    for zoom in range(MAX_ZOOM, 0, -1):
        xs, ys = zip(*(_world_px(lon, lat, zoom) for lon, lat in lonlats), strict=True)
        if (max(xs) - min(xs) <= width - 2 * PADDING
                and max(ys) - min(ys) <= height - 2 * PADDING):
            return zoom
    return 1


def _scale_bar(lat: float, zoom: int, width: int) -> tuple[int, float]:
    """A round length in metres about a fifth of the map wide, and its width in pixels."""
    m_per_px = M_PER_PX_Z0 * math.cos(math.radians(lat)) / (1 << zoom)
    target = m_per_px * width / 5
    for metres in (10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if metres >= target:
            return metres, metres / m_per_px
    return 50000, 50000 / m_per_px


def fetch_basemap(tile_url: str, zoom: int, left: float, top: float, width: int, height: int,
                  user_agent: str) -> bytes | None:
    """The tiles under the viewport stitched into one PNG, or None when tile_url is not an
    absolute http(s) URL, more than MAX_TILES are needed, or any tile fails within the time
    budget."""
    if not tile_url.startswith(("http://", "https://")):
        return None
    from PIL import Image

    tx0, ty0 = int(left // TILE_SIZE), int(top // TILE_SIZE)
    tx1, ty1 = int((left + width) // TILE_SIZE), int((top + height) // TILE_SIZE)
    tiles = [(x, y) for y in range(ty0, ty1 + 1) for x in range(tx0, tx1 + 1)]
    if len(tiles) > MAX_TILES:
        return None
    canvas = Image.new("RGB", (width, height), (244, 241, 234))
    deadline = time.monotonic() + TILE_BUDGET_S
    limit = 1 << zoom
    for x, y in tiles:
        if y < 0 or y >= limit:
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        url = tile_url.format(z=zoom, x=x % limit, y=y, s="a")
        req = urllib.request.Request(url, headers={"User-Agent": user_agent})  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=min(TILE_TIMEOUT_S, remaining)) as resp:  # noqa: S310
                data = resp.read(2_000_000)
            tile = Image.open(io.BytesIO(data)).convert("RGB")
        except Exception:  # noqa: BLE001  (any failure means: draw the map without tiles)
            return None
        canvas.paste(tile, (round(x * TILE_SIZE - left), round(y * TILE_SIZE - top)))
    out = io.BytesIO()
    canvas.save(out, "PNG", optimize=True)
    return out.getvalue()


def overview_map(
    route: Sequence[Sequence[float]] | None,
    stops: Sequence[dict],
    *,
    tile_url: str = "",
    user_agent: str = "Stadtspur",
    width: int = MAP_WIDTH,
    height: int = MAP_HEIGHT,
) -> dict:
    """The overview map as an SVG document: route, numbered stops, north arrow and scale bar,
    over basemap tiles when they can be fetched.

    Args:
        route: ``(lon, lat)`` of the route line, or None.
        stops: dicts with ``number``, ``lon``, ``lat``.
        tile_url: ``{z}/{x}/{y}`` template of a raster tile server.

    Returns:
        ``{"svg": str, "tiles": bool}``.
    """
    route = [tuple(c[:2]) for c in (route or [])]
    points = route + [(s["lon"], s["lat"]) for s in stops]
    if not points:
        return {"svg": "", "tiles": False}
    zoom = _fit_zoom(points, width, height)
    xs, ys = zip(*(_world_px(lon, lat, zoom) for lon, lat in points), strict=True)
    left = (max(xs) + min(xs)) / 2 - width / 2
    top = (max(ys) + min(ys)) / 2 - height / 2

    def px(lon: float, lat: float) -> tuple[float, float]:
        x, y = _world_px(lon, lat, zoom)
        return round(x - left, 1), round(y - top, 1)

    basemap = fetch_basemap(tile_url, zoom, left, top, width, height, user_agent)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif">',
        *_background(basemap, width, height),
        *_route_and_stops([px(lon, lat) for lon, lat in route],
                          [(*px(s["lon"], s["lat"]), s["number"]) for s in stops]),
        *_north_and_scale(sum(p[1] for p in points) / len(points), zoom, width, height),
        "</svg>",
    ]
    return {"svg": "".join(parts), "tiles": basemap is not None}


def _background(basemap: bytes | None, width: int, height: int) -> list[str]:
    """The basemap image, or a plain paper colour with a faint grid where there is none."""
    if basemap:
        data = base64.b64encode(basemap).decode("ascii")
        return [f'<image x="0" y="0" width="{width}" height="{height}" '
                f'href="data:image/png;base64,{data}"/>']
    # A faint grid gives the eye a sense of scale where there is no basemap.
    step = 40
    grid = " ".join(f"M{x} 0V{height}" for x in range(step, width, step))
    grid += " " + " ".join(f"M0 {y}H{width}" for y in range(step, height, step))
    return [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f4f1ea"/>',
            f'<path d="{grid}" stroke="#e2dccd" stroke-width="1" fill="none"/>']


def _route_and_stops(route: list[tuple[float, float]],
                     stops: list[tuple[float, float, object]]) -> list[str]:
    """The route (in map pixels) as a line with a white casing, the stops ``(x, y, number)``
    as numbered red circles over it."""
    parts = []
    if len(route) >= 2:
        path = " ".join(f"{x},{y}" for x, y in route)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#ffffff" '
                     'stroke-width="9" stroke-linejoin="round" stroke-linecap="round"/>')
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1d4e89" '
                     'stroke-width="5" stroke-linejoin="round" stroke-linecap="round"/>')
    for x, y, number in stops:
        parts.append(f'<circle cx="{x}" cy="{y}" r="12" fill="#b3261e" stroke="#ffffff" '
                     'stroke-width="2.5"/>')
        parts.append(f'<text x="{x}" y="{y + 4.5}" text-anchor="middle" font-size="13" '
                     f'font-weight="bold" fill="#ffffff">{escape(str(number))}</text>')
    return parts


def _north_and_scale(lat: float, zoom: int, width: int, height: int) -> list[str]:
    """A north arrow (top right) and a scale bar for latitude ``lat`` (bottom left)."""
    metres, bar = _scale_bar(lat, zoom, width)
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    return [
        f'<g transform="translate({width - 28},{18})"><path d="M0 0 L9 24 L0 18 '
        'L-9 24 Z" fill="#222"/><text x="0" y="38" text-anchor="middle" '
        'font-size="12" fill="#222">N</text></g>',
        f'<g transform="translate(16,{height - 18})">'
        f'<rect x="-6" y="-20" width="{bar + 60:.0f}" height="30" fill="#ffffff" '
        f'fill-opacity="0.8"/><path d="M0 0H{bar:.1f}M0 -5V0M{bar:.1f} -5V0" '
        f'stroke="#222" stroke-width="2" fill="none"/><text x="{bar + 6:.1f}" y="3" '
        f'font-size="12" fill="#222">{label}</text></g>',
    ]


def svg_data_uri(svg: str) -> str:
    """An SVG document as a data: URI for an <img> in the sheet."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def qr_data_uri(url: str) -> str:
    """A QR code (error correction M, enough for a crumpled sheet) pointing at ``url``."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def render_pdf(html: str, css: str) -> bytes:
    """The sheet's HTML and CSS as PDF bytes (A4 via the CSS @page rule)."""
    from PIL import ImageFile
    from weasyprint import CSS, HTML, URLFetcher

    # Importing WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, after which the
    # upload pipeline would accept damaged photos. Our sheet embeds only images we made.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[CSS(string=css, url_fetcher=fetcher)]
    )
