"""The OpenAPI document's own examples are real: every example parameter and request body it
shows is accepted by the app on the demo city (a reader copying one from /api/docs gets an
answer, not a 422)."""

from __future__ import annotations

import copy

import pytest

from app.services.accounts import create_api_token
from tests.conftest import create_user

EXAMPLE_SLUG = "{slug}"
# A parameter that only means something next to another is sent with that one's example.
NEEDS = {"radius": "near"}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def _param_example(param: dict):
    return param.get("example", param.get("schema", {}).get("example"))


def test_every_example_parameter_of_a_read_is_accepted(client, demo, spec):
    sent = 0
    for path, ops in spec["paths"].items():
        get = ops.get("get")
        if not get or "{" in path:
            continue
        examples = {p["name"]: _param_example(p) for p in get.get("parameters", [])
                    if p["in"] == "query" and _param_example(p) is not None}
        for name, value in examples.items():
            query = {name: value}
            if name in NEEDS:
                query[NEEDS[name]] = examples[NEEDS[name]]
            resp = client.get(path, query_string=query)
            assert resp.status_code == 200, (path, query, resp.get_json())
            sent += 1
    assert sent >= 8


def _body_example(op: dict) -> dict | None:
    media = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    return copy.deepcopy(media.get("example"))


def test_every_example_body_of_the_tour_api_is_accepted_in_order(client, db_session, demo, spec):
    """The examples tell one story: create a tour, rename it, draw its route, reorder its
    stops, ask for a suggested order, submit it. Only the edit lock (``version``) and the new
    tour's slug are taken from the answers, as any client must."""
    token = create_api_token(create_user("writer@example.org"), "examples")
    headers = {"Authorization": f"Bearer {token}"}
    paths = spec["paths"]

    created = client.post("/api/v1/tours", json=_body_example(paths["/api/v1/tours"]["post"]),
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    slug = created.get_json()["slug"]

    def version() -> int:
        return client.get(f"/api/v1/tours/{slug}/draft", headers=headers).get_json()["version"]

    steps = [
        ("patch", "/api/v1/tours/{slug}"),
        ("put", "/api/v1/tours/{slug}/route"),
        ("post", "/api/v1/tours/{slug}/order"),
        ("post", "/api/v1/tours/{slug}/suggest-order"),
        ("post", "/api/v1/tours/{slug}/transition"),
    ]
    documented = {(m, p) for p, ops in paths.items() for m in ops
                  if m in METHODS and p.startswith("/api/v1/tours/{slug}")
                  and _body_example(ops[m]) is not None}
    assert documented == set(steps)
    for method, path in steps:
        body = _body_example(paths[path][method])
        if "version" in body:
            body["version"] = version()
        resp = client.open(path.replace(EXAMPLE_SLUG, slug), method=method.upper(), json=body,
                           headers=headers)
        assert resp.status_code in (200, 201), (method, path, body, resp.get_json())


def test_the_token_example_is_accepted(client, db_session, spec):
    from tests.conftest import login

    create_user("tokens@example.org")
    login(client, "tokens@example.org")
    body = _body_example(spec["paths"]["/api/v1/tokens"]["post"])
    resp = client.post("/api/v1/tokens", json=body)
    assert resp.status_code == 201, resp.get_json()


def test_every_example_body_of_the_story_api_is_accepted_in_order(client, db_session, demo,
                                                                 spec):
    """A story's life in the document's examples: added to a place (multipart), edited by
    its author, approved by a curator, withdrawn by its narrator. Only the edit lock
    (``version``) and the new story's id are taken from the answers."""
    from sqlalchemy import select

    from app.models import Place

    author = create_user("teller@example.org")
    curator = create_user("judge@example.org", role="curator")
    as_author = {"Authorization": f"Bearer {create_api_token(author, 'examples')}"}
    as_curator = {"Authorization": f"Bearer {create_api_token(curator, 'examples')}"}
    place = db_session.scalar(select(Place).where(Place.title == "Waaghaus"))
    paths = spec["paths"]
    multipart = paths["/api/v1/places/{place_id}/stories"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in multipart
    created = client.post(f"/api/v1/places/{place.id}/stories", headers=as_author,
                          content_type="multipart/form-data",
                          data={"title": "Markttag", "licence_consent": "1"})
    assert created.status_code == 201, created.get_json()
    story = created.get_json()["id"]

    def version() -> int:
        return client.get(f"/api/v1/stories/{story}", headers=as_author).get_json()[
            "properties"]["version"]

    steps = [("patch", "/api/v1/stories/{story_id}", as_author),
             ("post", "/api/v1/stories/{story_id}/review", as_curator),
             ("post", "/api/v1/stories/{story_id}/withdraw", as_author)]
    for method, path, headers in steps:
        body = _body_example(paths[path][method])
        assert body is not None, (method, path)
        if "version" in body:
            body["version"] = version()
        resp = client.open(path.replace("{story_id}", str(story)), method=method.upper(),
                           json=body, headers=headers)
        assert resp.status_code == 200, (method, path, body, resp.get_json())
    assert client.get(f"/api/v1/stories/{story}").status_code == 404  # withdrawn
