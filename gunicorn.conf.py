"""Gunicorn settings of the production image (read from the working directory)."""

import gc


def post_worker_init(worker):
    # Everything the app built at start-up (models, schemas, the OpenAPI spec, templates)
    # lives as long as the worker; left to the cyclic collector, each full collection walks
    # all of it and stalls every request in flight for tens of milliseconds. Frozen, the
    # collector only looks at what requests allocate.
    gc.freeze()
