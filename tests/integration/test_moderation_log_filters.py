"""The moderation log's filters load one schema on the curator page and in the API: a day
range (``until`` includes its day), an actor, an action, a target; a half-typed date or id
is ignored, as a search form's, never an error."""

from datetime import UTC, datetime, timedelta

from app.inputs.moderation import LogArgs
from app.services import audit
from tests.conftest import login


def test_filters_load_into_a_log_filter():
    f = LogArgs().load({"actor": "  Kurt ", "action": "approve", "target_type": "place",
                        "target_id": "41", "since": "2026-05-01", "until": "2026-05-02",
                        "page": "2"})
    assert (f.actor, f.action, f.target_type, f.target_id) == ("Kurt", "approve", "place", 41)
    assert f.since == datetime(2026, 5, 1, tzinfo=UTC)
    assert f.until == datetime(2026, 5, 3, tzinfo=UTC)  # the whole of 2 May


def test_half_typed_values_are_ignored():
    f = LogArgs().load({"target_id": "4x", "since": "2026-13-01", "until": ""})
    assert (f.target_id, f.since, f.until) == (None, None, None)


def test_page_and_api_filter_alike(client, db_session, curator):
    audit.log(curator, "approve", "place", 7, "pending", "approved")
    audit.log(curator, "reject", "place", 8, "pending", "rejected")
    db_session.flush()
    login(client, curator.email)
    today = datetime.now(UTC).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    page = client.get(f"/curate/log?action=reject&since={today}&until={today}&target_id=x")
    assert page.status_code == 200
    api = client.get(f"/api/v1/moderation/log?action=reject&until={today}&target_id=x")
    assert api.status_code == 200
    assert [e["target_id"] for e in api.json["events"]] == [8]
    later = client.get(f"/api/v1/moderation/log?since={tomorrow}")
    assert later.status_code == 200 and later.json["events"] == []
