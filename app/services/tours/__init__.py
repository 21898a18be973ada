"""Tours: reads for pages and the API, and every write — assembling, ordering, routing and
the lifecycle draft → review → published → retired.

By job: ``content`` (a tour's content, live rows or a published tour's pending edit, and the
values computed from it), ``access`` (who may edit, versions), ``queries`` (reads),
``editing`` (texts, stops, order), ``routes`` (GPX, drawn, straight and walking-network
routes),
``lifecycle`` (the transition table), ``featured`` (the stories a stop shows, and telling
the author when a featured one leaves) and ``export`` (GeoJSON, GPX). The names other modules
use are importable from here. Services flush, the caller commits once.
"""

from app.services.tours.access import can_edit, check_version, get_for_edit
from app.services.tours.content import (
    CONTENT_FIELDS,
    DEFAULT_DWELL_MIN,
    METRIC_FIELDS,
    generate_straight_route,
    working_content,
)
from app.services.tours.editing import (
    EDITABLE,
    LIMITS,
    MAX_DWELL_MIN,
    MAX_STOPS,
    RESERVED_SLUGS,
    StopAction,
    StopChange,
    StopInput,
    TourInput,
    add_stop,
    apply_stop_change,
    create_tour,
    propose_order,
    reorder_stops,
    typed_content,
    update_tour,
)
from app.services.tours.export import tour_collection, tour_facts, tour_gpx
from app.services.tours.featured import (
    MAX_FEATURED,
    StopStory,
    check_featured,
    place_left,
    stop_stories,
    stories_left,
    story_choices,
    story_left,
    tour_stop_stories,
)
from app.services.tours.lifecycle import (
    ACTIONS,
    MIN_PUBLISH_STOPS,
    TRANSITIONS,
    RetireAsksAlternatives,
    allowed_moves,
    discard_changes,
    publish,
    retire,
    return_to_draft,
    submit_for_review,
    transition,
)
from app.services.tours.queries import (
    cover_choices,
    curation_overview,
    editor_stops,
    get_public_tour,
    get_visible_tour,
    known_place_ids,
    my_tours,
    place_choices,
    place_titles,
    published_tours,
    related_tours,
    route_geojson,
    stop_points,
    theme_slug,
    tours_awaiting_review,
    tours_needing_attention,
)
from app.services.tours.routes import (
    GPX_MESSAGES,
    MAX_DRAWN_POINTS,
    SIMPLIFY_TOLERANCE_M,
    STOP_OFF_ROUTE_M,
    RouteReport,
    gpx_refusal,
    off_route_stops,
    reset_route,
    route_from_geojson,
    route_from_gpx,
    set_route_drawn,
    set_route_from_gpx,
    set_route_network,
)

__all__ = [
    "ACTIONS", "CONTENT_FIELDS", "DEFAULT_DWELL_MIN", "EDITABLE", "GPX_MESSAGES", "LIMITS",
    "MAX_DRAWN_POINTS", "MAX_DWELL_MIN", "MAX_FEATURED", "StopStory", "check_featured",
    "stop_stories", "story_choices", "story_left", "stories_left",
    "place_left", "tour_stop_stories", "MAX_STOPS",
    "METRIC_FIELDS", "MIN_PUBLISH_STOPS",
    "RESERVED_SLUGS", "RetireAsksAlternatives", "SIMPLIFY_TOLERANCE_M", "STOP_OFF_ROUTE_M",
    "TRANSITIONS", "RouteReport",
    "StopAction", "StopChange", "StopInput", "TourInput", "add_stop", "allowed_moves",
    "apply_stop_change",
    "can_edit", "check_version", "cover_choices", "create_tour", "curation_overview",
    "discard_changes", "editor_stops", "generate_straight_route", "get_for_edit",
    "get_public_tour", "get_visible_tour", "gpx_refusal", "known_place_ids", "my_tours",
    "off_route_stops", "place_choices", "place_titles", "propose_order", "publish",
    "published_tours", "related_tours", "reorder_stops", "reset_route", "retire",
    "return_to_draft", "route_from_geojson", "route_from_gpx", "route_geojson",
    "set_route_drawn", "set_route_from_gpx", "set_route_network", "stop_points",
    "submit_for_review", "theme_slug",
    "tour_collection", "tour_facts", "tour_gpx", "tours_awaiting_review",
    "tours_needing_attention", "transition", "typed_content", "update_tour", "working_content",
]
