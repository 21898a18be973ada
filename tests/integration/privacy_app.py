"""The app as production serves it, plus one route that fails, for the privacy test's forced
server errors (gunicorn imports it: ``tests.integration.privacy_app:create()``)."""

from app import create_app


def create():
    app = create_app()

    @app.get("/__privacy-test/boom")
    def boom():
        raise RuntimeError("a forced server error")

    return app
