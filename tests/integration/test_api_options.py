"""OPTIONS advertises only the methods a path really has: for every path of the OpenAPI
document, the Allow header names exactly the documented methods (plus HEAD and OPTIONS)."""

from __future__ import annotations

import re

METHODS = ("get", "post", "put", "patch", "delete")


def test_options_names_exactly_the_documented_methods(client, demo):
    spec = client.get("/api/openapi.json").get_json()
    wrong = []
    for path, ops in spec["paths"].items():
        url = re.sub(r"\{[^}]+\}", "1", path.replace("{slug}", "altstadt-erinnerungen"))
        resp = client.open(url, method="OPTIONS")
        allowed = set(resp.headers.get("Allow", "").split(", ")) - {"HEAD", "OPTIONS", ""}
        documented = {m.upper() for m in ops if m in METHODS}
        if resp.status_code != 200 or allowed != documented:
            wrong.append((path, resp.status_code, sorted(allowed), sorted(documented)))
    assert wrong == []


def test_a_tour_file_is_not_also_a_tour(client, demo):
    resp = client.open("/api/v1/tours/altstadt-erinnerungen.gpx", method="OPTIONS")
    assert "PATCH" not in resp.headers["Allow"]
    assert client.patch("/api/v1/tours/altstadt-erinnerungen.gpx", json={}).status_code == 405
