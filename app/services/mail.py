"""Mail: what services record for someone to be told, and sending through the backend.

A service never writes a mail. It records a ``Notice`` (which letter, to whom, in which
language, the plain values it shows) on the unit of work with ``record``; once the
transaction has committed, app/notifications.py renders every notice from templates/emails/
in the recipient's language and sends it with ``send_mail``. A rolled-back transaction
drops its notices, so nothing is sent about what did not happen.

Backends: ``smtp`` for production; ``outbox`` (development) writes each message to
instance/outbox/ as an .eml file and logs where; ``memory`` (tests) keeps messages in
``app.extensions['outbox']``.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app

log = logging.getLogger("stadtspur.mail")

# Where a session keeps the notices of its current transaction.
NOTICES = "notices"


@dataclass(frozen=True)
class Notice:
    """A mail someone is owed once the transaction commits.

    ``letter`` names the template (templates/emails/<letter>.txt); ``values`` are plain
    values (text, numbers, lazy labels: never rows, which cannot be read after the commit)
    the letter shows. Links are built from ids among them by the notifications module."""

    letter: str
    to: str
    locale: str
    name: str
    values: dict = field(default_factory=dict)


def record(notice: Notice) -> None:
    """Owe ``notice`` to its recipient once the current transaction commits."""
    from app.extensions import db

    db.session().info.setdefault(NOTICES, []).append(notice)


def take_notices(session) -> list[Notice]:
    """The notices recorded in ``session``'s transaction, removed from it."""
    return session.info.pop(NOTICES, [])


def sent_messages() -> list[EmailMessage]:
    """Messages kept by the memory backend (tests)."""
    return current_app.extensions.setdefault("outbox", [])


def send_mail(to: str, subject: str, body: str,
              headers: dict[str, str] | None = None) -> EmailMessage:
    """Send a plain-text message to ``to`` through the configured backend, with the further
    ``headers`` given."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Message-ID"] = f"<{uuid4().hex}@stadtspur>"
    msg.set_content(body)
    backend = cfg["MAIL_BACKEND"]
    if backend == "memory":
        sent_messages().append(msg)
    elif backend == "outbox":
        outbox = Path(cfg["OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(msg))
        log.info("mail to %s written to %s", to, path)
        print(f"[mail] {subject} → {to}: {path}", flush=True)
    elif backend == "smtp":
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=15) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"] or "")
            smtp.send_message(msg)
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")
    return msg
