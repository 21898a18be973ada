"""Who may walk where: OpenStreetMap tags to foot and step-free access and cost factors.

The foot rules follow the established engines' foot profiles (GraphHopper, OSRM): footways,
paths, steps, pedestrian streets and residential streets are walked; big roads only with a
sidewalk; ``foot=no``, ``access=no/private`` without a foot permission and motorroads are
refused. The step-free rules follow openrouteservice's wheelchair profile: no steps or
escalators, no ``wheelchair=no``, no incline over 6 % where tagged, no raised kerb over 3 cm,
no stiles, kissing gates or turnstiles, no loose or rough surfaces and no bad smoothness;
elevators are fine, and ``wheelchair=yes`` allows what the surface rules would refuse.

A factor multiplies an edge's length into its cost (1.0 is a pleasant footway); ``None`` is a
refusal. Pure functions on tag dictionaries: no database, no Flask.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# highway values walked without further conditions, with their factor
_FOOT_WAYS = {
    "footway": 1.0, "pedestrian": 1.0, "path": 1.0, "living_street": 1.0, "steps": 1.15,
    "corridor": 1.0, "elevator": 1.0, "platform": 1.05, "crossing": 1.0,
    "residential": 1.1, "service": 1.15, "unclassified": 1.15, "track": 1.15, "road": 1.2,
    "cycleway": 1.3, "bridleway": 1.4,
}
# Big roads: walked only with a sidewalk (or a foot permission); otherwise avoided or refused.
_ROADS = {"tertiary": 1.3, "tertiary_link": 1.3, "secondary": 1.4, "secondary_link": 1.4,
          "primary": 1.5, "primary_link": 1.5}
_NEVER = {"motorway", "motorway_link", "trunk", "trunk_link", "construction", "proposed",
          "abandoned", "razed", "bus_guideway", "raceway", "busway"}
_FOOT_YES = {"yes", "designated", "permissive", "official"}
_ACCESS_NO = {"no", "private"}
_SIDEWALK_YES = {"both", "left", "right", "yes"}
# a sidewalk mapped as its own way: walk that, not the carriageway
_SIDEWALK_ELSEWHERE = {"separate"}
_SIDEWALK_NONE = {"no", "none"}

_BAD_SURFACES = {"cobblestone", "unhewn_cobblestone", "gravel", "pebblestone", "sand", "mud",
                 "grass", "dirt", "earth", "ground", "woodchips", "rock", "stepping_stones",
                 "shells"}
_ROUGH_SURFACES = {"sett": 1.3, "fine_gravel": 1.3, "compacted": 1.15, "paving_stones": 1.05,
                   "grass_paver": 1.4, "wood": 1.05, "metal": 1.05}
_BAD_SMOOTHNESS = {"bad", "very_bad", "horrible", "very_horrible", "impassable"}
_STEP_FREE_BARRIERS = {"stile", "kissing_gate", "turnstile", "full-height_turnstile",
                       "cycle_barrier", "log", "step", "stepping_stones"}
MAX_INCLINE_PERCENT = 6.0
MAX_KERB_M = 0.03
MIN_WIDTH_M = 0.9


@dataclass(frozen=True)
class WayRule:
    """Access and cost factors of one way, per mode and direction (None: refused).

    ``reason`` names why step-free is refused (for tests and explanations), or is empty.
    """

    foot: float | None
    foot_reverse: float | None
    step_free: float | None
    step_free_reverse: float | None
    reason: str = ""


def parse_incline(value: str | None) -> float | None:
    """An ``incline`` tag in percent (absolute), or None when it gives no magnitude.

    ``"8%"``, ``"-8 %"``, ``"5°"`` and plain numbers (percent) are understood; ``up``/``down``
    say nothing about steepness.
    """
    if not value:
        return None
    text = value.strip().lower().replace(",", ".")
    match = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*(%|°|deg)?", text)
    if not match:
        return None
    number = abs(float(match.group(1)))
    if match.group(2) in ("°", "deg"):
        return math.tan(math.radians(number)) * 100.0
    return number


def parse_length_m(value: str | None) -> float | None:
    """A length tag (``width``, ``kerb:height``) in metres: ``"0.05"``, ``"5 cm"``, ``"3cm"``,
    ``"0,9 m"``; None when unreadable."""
    if not value:
        return None
    text = value.strip().lower().replace(",", ".")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(mm|cm|m)?", text)
    if not match:
        return None
    number = float(match.group(1))
    unit = match.group(2) or "m"
    return number / {"mm": 1000.0, "cm": 100.0, "m": 1.0}[unit]


def _foot_factor(tags: Mapping[str, str]) -> float | None:
    highway = tags.get("highway", "")
    foot = tags.get("foot", "")
    if foot in ("no", "private", "use_sidepath"):
        return None
    if highway in ("trunk", "trunk_link") and foot in _FOOT_YES:
        # a trunk road people are explicitly allowed on (a bridge with a footpath, say)
        return 2.0
    if highway in _NEVER or tags.get("motorroad") == "yes":
        return None
    if tags.get("access", "") in _ACCESS_NO and foot not in _FOOT_YES:
        return None
    designated = 0.9 if foot == "designated" else 1.0
    if highway in _FOOT_WAYS:
        if highway == "bridleway" and foot not in _FOOT_YES:
            return None
        return _FOOT_WAYS[highway] * designated
    if highway in _ROADS:
        sidewalk = _sidewalk(tags)
        if foot in _FOOT_YES or sidewalk in _SIDEWALK_YES:
            return _ROADS[highway] * designated
        if sidewalk in _SIDEWALK_ELSEWHERE:
            return None
        if sidewalk in _SIDEWALK_NONE:
            return None if highway.startswith(("primary", "secondary")) else 2.0
        # Untagged: walkable as the engines do, but avoided.
        return _ROADS[highway] * 1.4
    return None


def _sidewalk(tags: Mapping[str, str]) -> str:
    for key in ("sidewalk", "sidewalk:both"):
        if key in tags:
            return tags[key]
    left, right = tags.get("sidewalk:left"), tags.get("sidewalk:right")
    if left == "yes" or right == "yes":
        return "yes"
    if left == "separate" or right == "separate":
        return "separate"
    return ""


def _step_free_refusal(tags: Mapping[str, str]) -> str:
    """Why a foot-accessible way is not step-free, or ``""`` when it is."""
    wheelchair = tags.get("wheelchair", "")
    if wheelchair == "no":
        return "wheelchair=no"
    if tags.get("conveying"):
        return "escalator"
    if tags.get("highway") == "steps" and wheelchair != "yes":
        return "steps"
    incline = parse_incline(tags.get("incline"))
    if incline is not None and incline > MAX_INCLINE_PERCENT and wheelchair != "yes":
        return "incline"
    if tags.get("barrier") or tags.get("kerb") or tags.get("kerb:height"):
        reason = node_step_free_refusal(tags)
        if reason:
            return reason
    if wheelchair == "yes":
        return ""
    if tags.get("surface", "") in _BAD_SURFACES:
        return "surface"
    if tags.get("smoothness", "") in _BAD_SMOOTHNESS:
        return "smoothness"
    width = parse_length_m(tags.get("width"))
    if width is not None and width < MIN_WIDTH_M:
        return "width"
    return ""


def node_step_free_refusal(tags: Mapping[str, str]) -> str:
    """Why a node (a barrier or kerb on the way) stops a wheelchair, or ``""``."""
    if tags.get("wheelchair") == "no":
        return "wheelchair=no"
    if tags.get("barrier", "") in _STEP_FREE_BARRIERS:
        return "barrier"
    kerb = tags.get("kerb", "")
    height = parse_length_m(tags.get("kerb:height"))
    if height is not None:
        return "kerb" if height > MAX_KERB_M + 1e-9 else ""
    if kerb in ("raised", "rolled", "yes") and tags.get("wheelchair") != "yes":
        return "kerb"
    return ""


def node_blocks_foot(tags: Mapping[str, str]) -> bool:
    """A barrier node nobody on foot may pass (``foot=no``, or private without permission)."""
    foot = tags.get("foot", "")
    if foot in ("no", "private"):
        return True
    return tags.get("access", "") in _ACCESS_NO and foot not in _FOOT_YES and bool(
        tags.get("barrier"))


def way_rule(tags: Mapping[str, str], nodes: Sequence[Mapping[str, str]] = ()) -> WayRule:
    """Foot and step-free factors of an edge: its way's ``tags`` plus the tags of barrier or
    kerb ``nodes`` the edge carries, in the way's direction and against it.

    Escalators (``conveying``) run one way when tagged ``forward``/``backward``; step-free
    never uses them.
    """
    foot = _foot_factor(tags)
    if foot is None or any(node_blocks_foot(n) for n in nodes):
        return WayRule(None, None, None, None, "foot")
    forward: float | None = foot
    backward: float | None = foot
    conveying = tags.get("conveying", "")
    if conveying == "forward" or tags.get("oneway:foot") == "yes":
        backward = None
    elif conveying == "backward" or tags.get("oneway:foot") == "-1":
        forward = None
    reason = _step_free_refusal(tags) or next(
        (r for r in (node_step_free_refusal(n) for n in nodes) if r), "")
    if reason:
        return WayRule(forward, backward, None, None, reason)
    factor = foot * _step_free_penalty(tags)
    return WayRule(forward, backward, factor, factor, "")


def _step_free_penalty(tags: Mapping[str, str]) -> float:
    penalty = _ROUGH_SURFACES.get(tags.get("surface", ""), 1.0)
    if tags.get("smoothness") == "intermediate":
        penalty *= 1.2
    if tags.get("wheelchair") == "limited":
        penalty *= 1.5
    incline = parse_incline(tags.get("incline"))
    if incline is not None and incline > 3.0:
        penalty *= 1.3
    return penalty
