"""A tour on the walking network: its foot and step-free variants, what they say about
accessibility, and rerouting every tour when a new network is swapped in.

``tour_variants`` returns what a tour keeps in ``network_routes``::

    {"network_version": 3,
     "foot": {"legs": [...], "length_m": ..., "steps": ..., "flights": ...,
              "flights_uncounted": ..., "off_network": [[4, 5], ...], "no_route": [...]},
     "step_free": {... the same ...}}

(legs as ``app.services.walknet.routing`` describes them; leg pairs name stop numbers, 1-based).
"""

from __future__ import annotations

from collections.abc import Sequence

from app.models.walknet import MODES, WalkNetwork
from app.services.walknet.importer import active_network
from app.services.walknet.routing import route_legs

NETWORK_SOURCES = MODES  # the route_source values of a tour routed on the network


def _summary(legs: list[dict]) -> dict:
    def pairs(status: str) -> list[list[int]]:
        return [[i + 1, i + 2] for i, leg in enumerate(legs) if leg["status"] == status]

    return {
        "legs": legs,
        "length_m": round(sum(leg["length_m"] for leg in legs), 1),
        "steps": sum(leg["steps"] for leg in legs),
        "flights": sum(leg["flights"] for leg in legs),
        "flights_uncounted": sum(leg["flights_uncounted"] for leg in legs),
        "escalators": sum(leg.get("escalators", 0) for leg in legs),
        "off_network": pairs("off_network"),
        "no_route": pairs("no_route"),
    }


def tour_variants(points: Sequence[tuple[float, float]],
                  network: WalkNetwork | None = None) -> dict | None:
    """Foot and step-free legs between the stops ``points`` (``(lon, lat)`` in order), or None
    when there is no walking network or fewer than two stops."""
    network = network or active_network()
    if network is None or len(points) < 2:
        return None
    out: dict = {"network_version": network.id}
    for mode in MODES:
        out[mode] = _summary(route_legs(points, mode, network))
    return out


def variant_line(variant: dict | None) -> dict | None:
    """The variant's legs joined into one GeoJSON LineString (straight where a leg could not
    be routed), or None."""
    if not variant or not variant.get("legs"):
        return None
    coords: list[list[float]] = []
    for leg in variant["legs"]:
        piece = leg["coordinates"]
        if coords and piece and coords[-1] == piece[0]:
            piece = piece[1:]
        coords.extend(piece)
    if len(coords) < 2:
        return None
    return {"type": "LineString", "coordinates": coords}


def step_free_extra_m(routes: dict | None) -> float | None:
    """How much longer the step-free route is than the foot route, in metres, or None when
    either is missing or the step-free one has legs without a step-free way."""
    if not routes or "foot" not in routes or "step_free" not in routes:
        return None
    if routes["step_free"]["no_route"] or routes["step_free"]["off_network"]:
        return None
    return round(routes["step_free"]["length_m"] - routes["foot"]["length_m"], 1)


# The network is OpenStreetMap data: wherever a route on it is shown or exported, it says so.
OSM_CREDIT = "© OpenStreetMap contributors"
OSM_LICENCE = "ODbL-1.0"
OSM_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/"
OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"


def accessibility_facts(routes: dict | None) -> dict | None:
    """What a tour's page and API say about its accessibility, from the network: steps on the
    foot route, whether a step-free route exists and how much longer it is, and the legs that
    have no step-free (or no) connection, by stop numbers; None without a network."""
    if not routes or "foot" not in routes or "step_free" not in routes:
        return None
    foot, free = routes["foot"], routes["step_free"]
    return {
        "steps": foot["steps"],
        "flights": foot["flights"],
        "flights_uncounted": foot["flights_uncounted"],
        "escalators": foot.get("escalators", 0),
        "foot_length_m": foot["length_m"],
        "step_free_exists": not free["no_route"] and not free["off_network"],
        "step_free_length_m": free["length_m"],
        "step_free_extra_m": step_free_extra_m(routes),
        "no_step_free": [pair for pair in free["no_route"] if pair not in foot["no_route"]],
        "no_route": foot["no_route"],
        "off_network": sorted({tuple(p) for p in foot["off_network"] + free["off_network"]}),
        "attribution": OSM_CREDIT,
        "licence": OSM_LICENCE,
    }


def variant_features(routes: dict | None, mode: str) -> list[dict]:
    """The variant as GeoJSON features: the route, then each leg that could not be routed on
    the network (a straight line, ``status`` off_network or no_route, between two stops)."""
    variant = (routes or {}).get(mode)
    line = variant_line(variant)
    if line is None:
        return []
    features = [{"type": "Feature", "id": "route", "geometry": line, "properties": {
        "kind": "route", "source": mode, "length_m": variant["length_m"],
        "steps": variant["steps"], "attribution": OSM_CREDIT, "licence": OSM_LICENCE}}]
    for i, leg in enumerate(variant["legs"]):
        if leg["status"] != "ok":
            features.append({"type": "Feature", "id": f"leg-{i + 1}-{i + 2}",
                             "geometry": {"type": "LineString",
                                          "coordinates": leg["coordinates"]},
                             "properties": {"kind": "leg", "status": leg["status"],
                                            "from": i + 1, "to": i + 2}})
    return features


def stop_indexes(variant: dict | None) -> list[int] | None:
    """Where each stop lies in ``variant_line(variant)``: the index of its coordinate, so
    follow mode can measure the distance to the next stop along the line."""
    if not variant or not variant.get("legs"):
        return None
    indexes = [0]
    count = 0
    last = None
    for leg in variant["legs"]:
        piece = leg["coordinates"]
        if last is not None and piece and last == piece[0]:
            piece = piece[1:]
        count += len(piece)
        last = piece[-1] if piece else last
        indexes.append(count - 1)
    return indexes


def follow_route(routes: dict | None, route_source: str | None, mode: str | None
                 ) -> dict | None:
    """What follow mode draws when it follows the walking network: ``{"mode", "route",
    "stopIndexes", "gaps", "attribution"}`` for the asked variant (or the tour's own, when it is
    routed on the network), None when it follows the tour's own route.

    Raises:
        LookupError: the asked variant does not exist.
    """
    chosen = mode or (route_source if route_source in NETWORK_SOURCES else None)
    if chosen is None:
        return None
    variant = (routes or {}).get(chosen)
    line = variant_line(variant)
    if line is None:
        if mode:
            raise LookupError(mode)
        return None
    indexes = stop_indexes(variant)
    # legs drawn straight (off the network, or no way found): dashed on the map
    gaps = [[indexes[i], indexes[i + 1]] for i, leg in enumerate(variant["legs"])
            if leg["status"] != "ok"]
    return {"mode": chosen, "route": line, "stopIndexes": indexes, "gaps": gaps,
            "attribution": OSM_CREDIT}
