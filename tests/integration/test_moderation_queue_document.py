"""The moderation queue answers within its documented schema with an item of every kind in it
(a new place, an edit, a photo and reports), not only with the empty queue a fuzzer meets."""

from __future__ import annotations

import schemathesis

from app.extensions import db
from app.services import flags
from app.services.accounts import create_api_token
from tests.conftest import create_user, per_request_g
from tests.integration.test_api_places import open_city


def test_queue_items_of_every_kind_match_the_document(app, db_session):
    city = open_city(db_session)  # a pending place, a pending recording
    for n in range(3):  # enough reports to hide it: the flag item then says so
        flags.create_flag(None, place_id=city["kaserne"].id, reason="wrong",
                          remote_addr=f"198.51.100.{n + 1}")
    curator = create_user("queue@example.org", role="curator")
    token = create_api_token(curator, "queue")
    db.session.commit()

    api = schemathesis.openapi.from_wsgi("/api/openapi.json", per_request_g(app))
    operation = api["/api/v1/moderation/queue"]["GET"]
    client = app.test_client()
    resp = client.get("/api/v1/moderation/queue",
                      headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"})
    assert resp.status_code == 200
    kinds = {item["kind"] for item in resp.get_json()["items"]}
    assert "flag" in kinds
    operation.validate_response(resp)
