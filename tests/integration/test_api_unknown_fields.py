"""A field a write does not take is refused and named, never silently dropped: every JSON
request body of the document, sent with an extra field by a curator (who may do the most)."""

from __future__ import annotations

import re

from app.services.accounts import create_api_token
from tests.conftest import create_user

WRITES = ("post", "put", "patch", "delete")


def test_every_json_body_names_a_field_it_does_not_take(client, db_session, demo):
    token = create_api_token(create_user("strict@example.org", role="curator"), "t")
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    spec = client.get("/api/openapi.json").get_json()
    checked, silent = 0, []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in WRITES:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is None:
                continue
            slug = "seniors-memories" if path.startswith("/api/v1/themes") else "altstadt-erinnerungen"
            url = re.sub(r"\{[^}]+\}", "1", path.replace("{slug}", slug))
            sent = {**(body.get("example") or {}), "colour_of_the_sky": "blue"}
            resp = client.open(url, method=method.upper(), json=sent, headers=headers)
            error = (resp.get_json() or {}).get("error", {})
            named = "colour_of_the_sky" in (error.get("fields") or {}) or \
                error.get("field") == "colour_of_the_sky"
            if not (resp.status_code in (400, 422) and named):
                silent.append((method.upper(), path, resp.status_code, error))
            checked += 1
    assert checked >= 15
    assert silent == []
