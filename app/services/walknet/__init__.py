"""The walking network: importing an OpenStreetMap extract (``importer``), routing on it with
pgRouting (``routing``) and a tour's foot and step-free variants (``tours``). Services flush,
the caller commits."""

from app.services.walknet.importer import (
    ImportReport,
    Staged,
    active_network,
    load_network,
    load_staging,
    swap_in,
)
from app.services.walknet.routing import (
    SNAP_RADIUS_M,
    cost_matrix,
    route_leg,
    route_legs,
    route_many,
    snap,
)
from app.services.walknet.tours import (
    NETWORK_SOURCES,
    OSM_COPYRIGHT_URL,
    OSM_CREDIT,
    OSM_LICENCE,
    OSM_LICENCE_URL,
    accessibility_facts,
    follow_route,
    step_free_extra_m,
    stop_indexes,
    tour_variants,
    variant_features,
    variant_line,
)

__all__ = [
    "NETWORK_SOURCES", "OSM_COPYRIGHT_URL", "OSM_CREDIT", "OSM_LICENCE", "OSM_LICENCE_URL",
    "SNAP_RADIUS_M", "ImportReport", "Staged", "accessibility_facts", "active_network",
    "cost_matrix", "follow_route", "load_network", "load_staging", "route_leg", "route_legs",
    "route_many", "snap",
    "step_free_extra_m", "stop_indexes", "swap_in", "tour_variants", "variant_features",
    "variant_line",
]
