"""Gunicorn settings of the production image and of `make run` (read from the working
directory)."""

import gc
import os
import subprocess
import sys

# The access log names no one: no client address, user name, user agent or referrer, and the
# path without its query string (gunicorn's default format has all of them). The app's own
# request log (app/logging_setup.py) keeps the same rule.
access_log_format = '%(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def on_starting(server):
    # Rate limits counted in each worker's memory let every worker allow the full limit:
    # with more than one worker, production must count in a store all of them share.
    from app.config import load_config, rate_limits_shared

    cfg = load_config()
    if cfg["ENV_NAME"] == "production" and server.cfg.workers > 1 and not rate_limits_shared(cfg):
        raise SystemExit(
            f"Refusing to start {server.cfg.workers} workers with rate limits counted in "
            "each worker's memory (RATELIMIT_STORAGE_URI=memory://): leave it unset to count "
            "in the database, or set REDIS_URL."
        )


_jobs_worker = None


def when_ready(server):
    # `make run` asks for the job worker (app/jobs.py) beside the web server, started and
    # stopped with it; production runs it as a container of its own.
    global _jobs_worker
    if os.environ.get("STADTSPUR_JOBS_WORKER") == "1" and _jobs_worker is None:
        _jobs_worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker"])
        server.log.info("job worker started (pid %s)", _jobs_worker.pid)


def on_exit(server):
    if _jobs_worker is not None and _jobs_worker.poll() is None:
        _jobs_worker.terminate()
        try:
            _jobs_worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _jobs_worker.kill()


def post_worker_init(worker):
    # Everything the app built at start-up (models, schemas, the OpenAPI spec, templates)
    # lives as long as the worker; left to the cyclic collector, each full collection walks
    # all of it and stalls every request in flight for tens of milliseconds. Frozen, the
    # collector only looks at what requests allocate.
    gc.freeze()
