"""Structured logging: JSON lines in production, readable lines in development."""

from __future__ import annotations

import logging
import sys
import time
import uuid

from flask import Flask, g, request


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if app.config["LOG_JSON"]:
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("stadtspur")
    root.handlers[:] = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    root.propagate = False
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config["LOG_LEVEL"])

    access = logging.getLogger("stadtspur.request")

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        if (started is not None and access.isEnabledFor(logging.INFO)
                and not request.path.startswith("/static/")):
            access.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": g.get("request_id"),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "method": request.method,
                    "path": request.path,
                },
            )
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        return response
