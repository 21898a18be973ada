"""The caller's role is checked before the request body: someone who may not write learns
nothing of a write's schema from its 422s (every write operation of the document)."""

from __future__ import annotations

import re

import pytest

from app.services.accounts import create_api_token
from tests.conftest import create_user

WRITES = ("post", "put", "patch", "delete")


def _writes(client):
    spec = client.get("/api/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in WRITES:
                yield method.upper(), path, op


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path.replace("{slug}", "altstadt"))


def _roles_of(app, method: str, url: str) -> tuple[str, ...] | None:
    endpoint, _ = app.url_map.bind("localhost").match(url, method=method)
    return getattr(app.view_functions[endpoint], "required_roles", None)


def test_anonymous_writes_are_refused_before_the_body_is_read(client, demo):
    checked = 0
    for method, path, op in _writes(client):
        if {} in op.get("security", [{}]):
            continue  # open to anyone (reports): the body is what decides
        resp = client.open(_url(path), method=method, json={"bogus": "\x01" * 3})
        assert resp.status_code == 401, (method, path, resp.status_code, resp.get_json())
        assert resp.mimetype == "application/problem+json"
        checked += 1
    assert checked >= 15


@pytest.mark.parametrize("body", [{"bogus": 1}, {}, None])
def test_a_resident_gets_403_not_422_from_curator_writes(app, client, db_session, demo, body):
    token = create_api_token(create_user("plain@example.org", role="resident"), "t")
    headers = {"Authorization": f"Bearer {token}"}
    checked = 0
    for method, path, _op in _writes(client):
        roles = _roles_of(app, method, _url(path))
        if not roles or "resident" in roles:
            continue
        resp = client.open(_url(path), method=method, json=body, headers=headers)
        assert resp.status_code == 403, (method, path, resp.status_code, resp.get_json())
        checked += 1
    # review (places, media), merge, restore, flag resolution
    assert checked >= 5


def test_options_is_answered_for_anyone_without_a_role_check(client):
    resp = client.open("/api/v1/flags/1/resolve", method="OPTIONS")
    assert resp.status_code == 200
    assert "POST" in resp.headers["Allow"]
