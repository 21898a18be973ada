"""Mail at the edge: services record notices, app/notifications.py renders them from
templates/emails/ in the recipient's language and sends them once the unit of work has
committed; a rolled-back one sends nothing. Services build no links and render no
templates themselves."""


import pytest
from flask import Response

from app.errors import finish_unit_of_work
from app.notifications import render
from app.services.mail import Notice, record, sent_messages


@pytest.fixture
def outbox(app, db_session):
    sent_messages().clear()
    return sent_messages()


def _notice(locale="en", **values):
    return Notice(letter="place_decision", to="rosa@example.org", locale=locale, name="Rosa",
                  values={"action": "approve", "title": "Alte Mühle", "message": "",
                          "place_id": 7, **values})


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500])
def test_a_refused_request_sends_nothing(app, db_session, outbox, status):
    with app.test_request_context("/"):
        record(_notice())
        finish_unit_of_work(Response(status=status))
    assert outbox == []
    db_session.commit()  # the notice went with the rollback, not on to a later commit
    assert outbox == []


def test_a_committed_request_sends_what_it_recorded(app, db_session, outbox):
    with app.test_request_context("/"):
        record(_notice())
        assert outbox == []
        finish_unit_of_work(Response(status=303))
    [mail] = outbox
    assert mail["To"] == "rosa@example.org" and mail["Subject"] == "Published: “Alte Mühle”"
    assert "http://localhost/places/7" in mail.get_content()


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_notices(app, db_session, outbox):
    record(_notice())
    with db_session.begin_nested() as nested:
        nested.rollback()
    db_session.commit()
    assert len(outbox) == 1


LETTERS = [
    ("place_decision", {"action": action, "title": "Mühle", "target": "Waaghaus",
                        "place_id": 3, "message": "Danke"})
    for action in ("approve", "reject", "request_changes", "merge")
] + [
    ("media_decision", {"decision": decision, "kind": kind, "title": "Mühle", "place_id": 3,
                        "message": ""})
    for decision in ("approve", "reject") for kind in ("photo", "audio")
] + [
    ("report_decision", {"resolution": resolution, "kind": kind, "title": "Mühle",
                         "reasons": ["Spam"], "message": ""})
    for resolution in ("hide", "remove") for kind in ("place", "photo", "audio")
] + [("password_reset", {"reset_token": "abc", "minutes": 60})]


@pytest.mark.parametrize(("letter", "values"), LETTERS)
def test_every_letter_in_english_and_german_in_one_style(app, letter, values):
    rendered = {}
    with app.app_context():
        for locale in ("en", "de"):
            rendered[locale] = render(Notice(letter=letter, to="x@example.org", locale=locale,
                                             name="Rosa", values=values))
    (en_subject, en_body), (de_subject, de_body) = rendered["en"], rendered["de"]
    assert en_subject and "\n" not in en_subject and en_subject != de_subject
    assert en_body.startswith("Hello Rosa,\n\n") and de_body.startswith("Guten Tag Rosa\n\n")
    assert en_body.endswith("Stadtspur Winterthur\n") and de_body.endswith("Winterthur\n")
    for body in (en_body, de_body):
        assert "\n\n\n" not in body and "{" not in body and "%(" not in body
    assert en_body != de_body


def test_a_mail_in_a_command_links_by_path(app, db_session, outbox):
    # No request and no SERVER_NAME (a command): links are paths on the site.
    record(_notice(action="request_changes"))
    db_session.commit()
    [mail] = outbox
    assert "/me/contributions" in mail.get_content()
