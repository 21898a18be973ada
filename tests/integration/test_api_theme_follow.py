"""Following themes through the API, as the theme pages do."""

from __future__ import annotations

from app.extensions import db
from app.services.accounts import create_api_token
from tests.conftest import create_user


def test_follow_and_unfollow_themes(client, demo):
    token = create_api_token(create_user("reader@example.org"), "test")
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/themes/following", headers=auth).get_json() == {"following": []}
    for _ in range(2):  # following twice is harmless
        resp = client.put("/api/v1/themes/gaerten/follow", headers=auth)
        assert resp.status_code == 200
    client.put("/api/v1/themes/fotografie/follow", headers=auth)
    assert client.get("/api/v1/themes/following", headers=auth).get_json() == {
        "following": ["fotografie", "gaerten"]}
    resp = client.delete("/api/v1/themes/gaerten/follow", headers=auth)
    assert resp.get_json() == {"following": ["fotografie"]}
    assert client.delete("/api/v1/themes/gaerten/follow", headers=auth).status_code == 200
    missing = client.put("/api/v1/themes/no-such-theme/follow", headers=auth)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_following_needs_a_login(client, demo):
    assert client.get("/api/v1/themes/following").status_code == 401
    assert client.put("/api/v1/themes/gaerten/follow").status_code == 401
