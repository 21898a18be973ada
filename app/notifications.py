"""Mail at the edge: the notices services recorded, rendered and sent after the commit.

Services record a ``Notice`` (app/services/mail.py) and never write a mail. Once a session's
transaction has committed (at the request boundary, or in a command), every notice it holds
is rendered here from templates/emails/<letter>.txt in the recipient's language (Flask-Babel),
with its links built by ``url_for``, and sent with ``send_mail``. A rollback drops the
notices: nothing is mailed about what did not happen.

A letter template extends ``emails/_letter.txt`` (greeting, body, sign-off) and fills the
blocks ``subject`` and ``body``; decisions extend ``emails/_decision.txt``, which adds the
curators' message and the link to the contributor's own list.
"""

from __future__ import annotations

import logging
import re
from contextlib import nullcontext

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.services.mail import Notice, send_mail, take_notices

log = logging.getLogger("stadtspur.notifications")


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    for notice in take_notices(session):
        deliver(notice)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    # A savepoint's rollback leaves the outer transaction (and its notices) in place.
    if not session.in_transaction():
        take_notices(session)


def deliver(notice: Notice) -> None:
    """Render ``notice`` and send it; a failing mail server is logged, never raised (the
    decision it tells of is committed already)."""
    try:
        subject, body = render(notice)
        send_mail(notice.to, subject, body, headers(notice))
    except Exception:  # noqa: BLE001  (a mail server hiccup must not undo a decision)
        log.exception("mail %s to %s failed", notice.letter, notice.to)


def render(notice: Notice) -> tuple[str, str]:
    """The subject and body of ``notice``, in the recipient's language."""
    # Absolute links need the site's address: the request's, or SERVER_NAME. A command
    # without either gets the links as paths, built in a request for the site's root.
    absolute = has_request_context() or bool(current_app.config.get("SERVER_NAME"))
    with (nullcontext() if absolute else current_app.test_request_context("/")), \
            force_locale(notice.locale):
        values = {**notice.values, "name": notice.name, **_links(notice.values, absolute)}
        template = current_app.jinja_env.get_template(f"emails/{notice.letter}.txt")
        subject = "".join(template.blocks["subject"](template.new_context(values)))
        body = template.render(values)
    return " ".join(subject.split()), _tidy(body)


def headers(notice: Notice) -> dict[str, str]:
    """The further headers of ``notice``: a notification mail (one with an unsubscribe
    token) gets the one-click unsubscribe of RFC 2369 List-Unsubscribe and RFC 8058
    List-Unsubscribe-Post, the address its letter shows too."""
    if not notice.values.get("unsubscribe_token"):
        return {}
    absolute = has_request_context() or bool(current_app.config.get("SERVER_NAME"))
    with nullcontext() if absolute else current_app.test_request_context("/"):
        url = _links(notice.values, True)["unsubscribe_url"]
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _links(values: dict, absolute: bool) -> dict[str, str]:
    """The links a letter may show, for the ids its notice carries."""
    links = {"contributions_url": url_for("contribute.mine", _external=absolute),
             # Every letter links the mail settings (app/web/notifications.py).
             "settings_url": url_for("notifications.settings", _external=absolute)}
    if values.get("place_id"):
        links["place_url"] = url_for("visitor.place", place_id=values["place_id"],
                                     _external=absolute)
    if values.get("story_id"):
        links["story_url"] = url_for("stories.story", story_id=values["story_id"],
                                     _external=absolute)
    if values.get("unsubscribe_token"):
        links["unsubscribe_url"] = url_for("notifications.unsubscribe",
                                           token=values["unsubscribe_token"], _external=absolute)
        links["notifications_url"] = url_for("notifications.inbox", _external=absolute)
    if values.get("reset_token"):
        links["reset_url"] = url_for("account.reset_password", token=values["reset_token"],
                                     _external=absolute)
    return links


def _tidy(text: str) -> str:
    """Template whitespace as a letter's: no trailing spaces, at most one empty line."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
