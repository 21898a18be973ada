"""HTTP conventions of app/api/http.py: write rate limits, caching of non-public reads."""

from __future__ import annotations

from flask import jsonify

from tests.conftest import rate_limited_app


def test_write_limit_answers_429_problem_json(clone_db):
    from app.api.http import write_limit

    with rate_limited_app(clone_db("ratelimit")) as app:

        @write_limit("2 per minute")
        def bump():
            return jsonify({"ok": True}), 201

        app.add_url_rule("/api/v1/test-bump", "test_bump", bump, methods=["POST", "GET"])
        client = app.test_client()
        assert client.post("/api/v1/test-bump").status_code == 201
        assert client.post("/api/v1/test-bump").status_code == 201
        over = client.post("/api/v1/test-bump")
        assert over.status_code == 429
        assert over.mimetype == "application/problem+json"
        assert over.get_json()["error"]["code"] == "too_many_requests"
        assert int(over.headers["Retry-After"]) > 0
        assert "Access-Control-Allow-Origin" not in over.headers
        # Reads are not counted.
        assert all(client.get("/api/v1/test-bump").status_code == 201 for _ in range(3))
        # Another caller (address) has its own budget.
        other = client.post("/api/v1/test-bump", environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert other.status_code == 201


def test_reads_that_may_differ_per_caller_are_private(client):
    resp = client.get("/api/openapi.json")
    assert resp.headers["Cache-Control"] == "private, no-cache"
    assert resp.headers["ETag"]
    again = client.get("/api/openapi.json", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
