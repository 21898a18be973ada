"""Marshmallow schemas of the open-data answers (GeoJSON, RFC 7946), for the OpenAPI document.

The answers themselves are built by PostGIS (app/services/geodata/) and passed on as bytes;
these schemas describe them, and the schemathesis test checks that they agree.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.models.statuses import MediaKind

GEOJSON = "application/geo+json"


class LinkSchema(Schema):
    href = fields.String(required=True, metadata={"example": "https://example.org/api/v1/places"})
    rel = fields.String(required=True, metadata={"example": "next"})
    type = fields.String(metadata={"example": GEOJSON})
    title = fields.String()


class PointSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Point"]))
    coordinates = fields.List(
        fields.Float(),
        required=True,
        validate=validate.Length(min=2, max=3),
        metadata={"description": "longitude, latitude (WGS 84)", "example": [8.7241, 47.4997]},
    )


class LineStringSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["LineString"]))
    coordinates = fields.List(fields.List(fields.Float()), required=True)


class EraSchema(Schema):
    year = fields.Integer(required=True, metadata={"example": 1965})
    precision = fields.String(required=True, validate=validate.OneOf(["year", "decade"]))


class MediaSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([MediaKind.PHOTO, MediaKind.AUDIO]))
    mime = fields.String(required=True, metadata={"example": "image/jpeg"})
    url = fields.String(required=True, metadata={"example": "https://example.org/media/ab/x.jpg"})
    thumbnail_url = fields.String(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    duration_s = fields.Float(allow_none=True)
    caption = fields.String(required=True)
    credit = fields.String(required=True)
    licence = fields.String(required=True, metadata={"example": "CC-BY-SA-4.0"})


class StoryEraSchema(Schema):
    start = fields.Integer(required=True, metadata={"example": 1960})
    end = fields.Integer(required=True, metadata={"example": 1969})
    precision = fields.String(required=True,
                              validate=validate.OneOf(["year", "decade", "circa", "range"]))


class StorySummarySchema(Schema):
    """One public story of a place, as the place's answer lists it."""

    id = fields.Integer(required=True, metadata={"example": 7})
    title = fields.String(required=True, metadata={"example": "Konzerte in der Reithalle"})
    kind = fields.String(required=True, validate=validate.OneOf(["memory", "history", "tip"]))
    language = fields.String(required=True, metadata={"example": "de"})
    era = fields.Nested(StoryEraSchema, allow_none=True, required=True)
    credit = fields.String(required=True, metadata={"description": "whom to credit (the "
                           "narrator, for a story told on someone's behalf)"})
    licence = fields.String(required=True, metadata={"example": "CC-BY-SA-4.0"})
    url = fields.String(required=True, metadata={"description": "the story's own page"})


class PlacePropertiesSchema(Schema):
    title = fields.String(required=True, metadata={"example": "Alte Kaserne"})
    summary = fields.String(required=True)
    themes = fields.List(fields.String(), required=True, metadata={"example": ["old-town"]})
    era = fields.Nested(EraSchema, allow_none=True, required=True)
    language = fields.String(required=True, metadata={"example": "de"})
    has_audio = fields.Boolean(required=True)
    step_free = fields.Boolean(allow_none=True, required=True)
    published_at = fields.String(allow_none=True, required=True,
                                 metadata={"example": "2026-05-01T10:00:00Z"})
    updated_at = fields.String(required=True, metadata={"example": "2026-05-01T10:00:00Z"})
    url = fields.String(required=True, metadata={"description": "the place's page for people"})
    licence = fields.String(
        required=True,
        metadata={"description": "SPDX id of the story text's licence", "example": "CC-BY-SA-4.0"},
    )
    data_licence = fields.String(
        required=True,
        metadata={"description": "licence of position and facts", "example": "CC0-1.0"},
    )
    attribution = fields.String(required=True, metadata={"example": "Rosa Resident"})
    distance_m = fields.Float(metadata={"description": "only with near: metres from the point"})
    body = fields.String(metadata={"description": "one place only: the story (Markdown)"})
    author = fields.String(allow_none=True, metadata={"description": "one place only"})
    media = fields.List(fields.Nested(MediaSchema), metadata={"description": "one place only"})
    story_count = fields.Integer(metadata={
        "description": "one place only: how many public stories the place holds",
        "example": 3})
    stories = fields.List(fields.Nested(StorySummarySchema), metadata={
        "description": "one place only: its public stories, newest first (at most 100; "
        "`GET /api/v1/stories?place=<id>` pages through all of them)"})
    version = fields.Integer(metadata={
        "description": "one place only, for a caller who may edit it (its author, a curator): "
        "the version a PATCH starts from (also in the ETag)", "example": 5})


class PlaceFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.Integer(required=True, metadata={"example": 42})
    geometry = fields.Nested(PointSchema, required=True)
    properties = fields.Nested(PlacePropertiesSchema, required=True)
    links = fields.List(fields.Nested(LinkSchema))


class PlaceCollectionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(PlaceFeatureSchema), required=True)
    numberReturned = fields.Integer(required=True)  # noqa: N815  (OGC/GeoJSON member name)
    numberMatched = fields.Integer(  # noqa: N815
        metadata={"description": "only when known without counting (the last page)"}
    )
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as cursor for the next page"}
    )
    timeStamp = fields.String()  # noqa: N815
    links = fields.List(fields.Nested(LinkSchema), required=True)


class TourStopSchema(Schema):
    number = fields.Integer(required=True)
    place_id = fields.Integer(required=True)
    title = fields.String(required=True)
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)


class TourPropertiesSchema(Schema):
    slug = fields.String(required=True, metadata={"example": "altstadt"})
    title = fields.String(required=True)
    intro = fields.String(required=True)
    theme = fields.String(allow_none=True, required=True)
    language = fields.String(required=True)
    length_m = fields.Float(allow_none=True, required=True)
    duration_min = fields.Integer(allow_none=True, required=True)
    duration_relaxed_min = fields.Integer(allow_none=True, required=True)
    accessibility = fields.String(required=True)
    stops = fields.List(fields.Nested(TourStopSchema), required=True)
    published_at = fields.String(allow_none=True, required=True)
    updated_at = fields.String(required=True)
    url = fields.String(required=True)
    gpx_url = fields.String(required=True)
    licence = fields.String(required=True, metadata={"example": "CC-BY-SA-4.0"})
    attribution = fields.String(required=True)
    route_source = fields.String(allow_none=True, metadata={
        "description": "generated (straight lines), gpx, drawn, foot or step_free (the walking "
        "network)"})
    steps = fields.Integer(allow_none=True, metadata={
        "description": "steps on the route on foot (walking network; null without one)"})
    step_free_exists = fields.Boolean(allow_none=True, metadata={
        "description": "every leg has a step-free way (null without a walking network)"})
    step_free_length_m = fields.Float(allow_none=True)
    route_attribution = fields.String(allow_none=True, metadata={
        "description": "for a route on the walking network: © OpenStreetMap contributors "
        "(ODbL)"})


class TourFeatureSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["Feature"]))
    id = fields.String(required=True, metadata={"example": "altstadt"})
    geometry = fields.Nested(LineStringSchema, allow_none=True, required=True)
    properties = fields.Nested(TourPropertiesSchema, required=True)
    links = fields.List(fields.Nested(LinkSchema))


class TourCollectionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(TourFeatureSchema), required=True)
    numberReturned = fields.Integer(required=True)  # noqa: N815
    numberMatched = fields.Integer()  # noqa: N815
    timeStamp = fields.String()  # noqa: N815
    links = fields.List(fields.Nested(LinkSchema), required=True)


PLACE_FEATURE_EXAMPLE = {
    "type": "Feature",
    "id": 42,
    "geometry": {"type": "Point", "coordinates": [8.729, 47.5]},
    "properties": {
        "title": "Alte Kaserne",
        "summary": "From barracks to cultural centre.",
        "themes": ["old-town"],
        "era": {"year": 1960, "precision": "decade"},
        "language": "de",
        "has_audio": False,
        "step_free": True,
        "published_at": "2026-05-01T10:00:00Z",
        "updated_at": "2026-05-01T10:00:00Z",
        "url": "https://example.org/places/42",
        "licence": "CC-BY-SA-4.0",
        "data_licence": "CC0-1.0",
        "attribution": "Rosa Resident",
    },
}

# One place (GET /api/v1/places/<id>): the page's Feature with its text, media and stories.
ONE_PLACE_EXAMPLE = {
    **PLACE_FEATURE_EXAMPLE,
    "properties": {
        **PLACE_FEATURE_EXAMPLE["properties"],
        "body": "Die Kaserne wurde 1865 gebaut …",
        "author": "Rosa Resident",
        "media": [],
        "story_count": 2,
        "stories": [
            {"id": 7, "title": "Konzerte in der Reithalle", "kind": "memory",
             "language": "de", "era": {"start": 1980, "end": 1989, "precision": "decade"},
             "credit": "Frieda Keller", "licence": "CC-BY-SA-4.0",
             "url": "https://example.org/stories/7"},
            {"id": 3, "title": "Alte Kaserne", "kind": "history", "language": "de",
             "era": {"start": 1960, "end": 1969, "precision": "decade"},
             "credit": "Rosa Resident", "licence": "CC-BY-SA-4.0",
             "url": "https://example.org/stories/3"},
        ],
    },
}

PLACE_COLLECTION_EXAMPLE = {
    "type": "FeatureCollection",
    "numberReturned": 1,
    "next_cursor": "WyJpZCIsNDJd",
    "links": [
        {"rel": "self", "type": GEOJSON, "href": "https://example.org/api/v1/places?limit=1"},
        {
            "rel": "next",
            "type": GEOJSON,
            "href": "https://example.org/api/v1/places?limit=1&cursor=WyJpZCIsNDJd",
        },
    ],
    "features": [PLACE_FEATURE_EXAMPLE],
}

TOUR_FEATURE_EXAMPLE = {
    "type": "Feature",
    "id": "altstadt",
    "geometry": {"type": "LineString", "coordinates": [[8.729, 47.5], [8.731, 47.501]]},
    "properties": {
        "slug": "altstadt",
        "title": "Durch die Altstadt",
        "intro": "A walk through the old town.",
        "theme": "old-town",
        "language": "de",
        "length_m": 1850.0,
        "duration_min": 60,
        "duration_relaxed_min": 80,
        "accessibility": "Step-free except stop 3.",
        "stops": [{"number": 1, "place_id": 42, "title": "Alte Kaserne", "lon": 8.729,
                   "lat": 47.5}],
        "published_at": "2026-05-01T10:00:00Z",
        "updated_at": "2026-05-01T10:00:00Z",
        "url": "https://example.org/tours/altstadt",
        "gpx_url": "https://example.org/api/v1/tours/altstadt.gpx",
        "licence": "CC-BY-SA-4.0",
        "attribution": "Kurt Kurator",
    },
}
