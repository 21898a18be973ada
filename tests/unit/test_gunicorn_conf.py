"""The production server's settings file (gunicorn reads it from the working directory)."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_workers_freeze_what_the_app_built_at_start_up():
    settings = runpy.run_path(str(CONF))
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_access_log_names_no_one():
    """No client address (h), remote user (u, l), referrer (f), user agent (a), request line
    with its query string (r, q), or headers ({...}i) in the access log."""
    fmt = runpy.run_path(str(CONF))["access_log_format"]
    for atom in ("%(h)s", "%(u)s", "%(l)s", "%(f)s", "%(a)s", "%(r)s", "%(q)s", "}i", "}e"):
        assert atom not in fmt
