"""Gunicorn settings of the production image and of `make run` (read from the working
directory)."""

import gc

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


def post_worker_init(worker):
    # Everything the app built at start-up (models, schemas, the OpenAPI spec, templates)
    # lives as long as the worker; left to the cyclic collector, each full collection walks
    # all of it and stalls every request in flight for tens of milliseconds. Frozen, the
    # collector only looks at what requests allocate.
    gc.freeze()
