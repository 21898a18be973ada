"""`make run` serves as production does: gunicorn, no debugger. Its command is read from the
Makefile and started here (on a database without the schema, so a page really fails):
/console is a 404, and a server error is the plain error page, with no traceback."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT, _recreate, drop_database
from tests.integration.gunicorn_server import free_port, serving


def _run_command() -> list[str]:
    out = subprocess.run(["make", "-n", "run", "PORT=0", "HOST=127.0.0.1"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    out = out.replace("\\\n", " ")  # the recipe's continued lines
    lines = [line for line in out.splitlines() if "gunicorn" in line and "echo" not in line]
    assert len(lines) == 1, out
    return shlex.split(lines[0])


def test_make_run_is_gunicorn_without_a_debugger():
    command = _run_command()
    assert command[0].endswith("gunicorn")
    joined = " ".join(command)
    assert "--reload" not in joined and "--debug" not in joined and "flask" not in command[0]


@pytest.fixture
def served(server_url):
    name = f"stadtspur_test_noschema_{os.getpid()}"
    url = _recreate(server_url, name)
    port = free_port()
    command = _run_command()
    command = [sys.executable, "-m", "gunicorn", *command[1:]]
    command = [re.sub(r"^127\.0\.0\.1:0$", f"127.0.0.1:{port}", part) for part in command]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "make-run-test",
           "MAIL_BACKEND": "memory", "RATELIMIT_ENABLED": "0"}
    try:
        with serving(command, env, port) as base:
            yield base
    finally:
        drop_database(server_url, name)


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read().decode()


def test_no_console_and_a_server_error_is_the_plain_error_page(served):
    status, _type, _body = _get(served + "/console")
    assert status == 404
    status, content_type, body = _get(served + "/places/1")
    assert status == 500
    assert content_type.startswith("text/html")
    for leak in ("Traceback", "Werkzeug", "debugger", "ProgrammingError", "psycopg2"):
        assert leak not in body
    status, content_type, body = _get(served + "/api/v1/places/1")
    assert status == 500 and content_type.startswith("application/problem+json")
    assert "Traceback" not in body and "psycopg2" not in body
