"""Sending email through the configured backend.

``smtp`` for production; ``outbox`` (development) writes each message to instance/outbox/ as
an .eml file and logs where; ``memory`` (tests) keeps messages in ``app.extensions['outbox']``.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

from flask import current_app

log = logging.getLogger("stadtspur.mail")


def sent_messages() -> list[EmailMessage]:
    """Messages kept by the memory backend (tests)."""
    return current_app.extensions.setdefault("outbox", [])


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send a plain-text message to ``to`` through the configured backend."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
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
