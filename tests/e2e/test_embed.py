"""On a phone: the API documentation works under the strict CSP, another site shows a tour in
an iframe, and the tour page's embed code can be copied."""

from __future__ import annotations

import pytest
from flask import request
from playwright.sync_api import expect

from tests.conftest import LiveServer, make_test_app

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def live_server(clone_db):
    """Overrides conftest's server: this module brings its own small city."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from test_api_places import open_city

    app = make_test_app(clone_db("e2e_embed"), WTF_CSRF_ENABLED=True)

    def their_site():
        embed = request.host_url.replace("localhost", "127.0.0.1") + "embed/tours/altstadt"
        return (f'<!doctype html><title>Our walks</title><h1>Our walks</h1>'
                f'<iframe src="{embed}" width="360" height="640" title="Tour"></iframe>')

    # Another site: no CSP of ours (it would forbid the frame source), served on localhost.
    their_site.talisman_view_options = {"content_security_policy": {}, "frame_options": None}
    app.add_url_rule("/their-site/walks.html", view_func=their_site)
    with app.app_context():
        from app.extensions import db

        open_city(db.session)
        db.session.commit()
    with LiveServer(app) as server:
        yield server
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_api_docs_render_without_csp_errors(page):
    page.goto(page.base_url + "/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Stadtspur API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/places").first).to_be_visible()
    # The page fixture fails the test on any console error, CSP violations included.


def test_another_site_shows_the_tour_in_an_iframe(page):
    # localhost and 127.0.0.1 are different origins; both are loopback, so Chromium's local
    # network checks let the frame load as they would between two public sites.
    page.goto(page.base_url.replace("127.0.0.1", "localhost") + "/their-site/walks.html")
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Durch die Altstadt")
    expect(frame.locator("#embed-map[data-ready='true']")).to_be_visible()
    # Two visible stops; the hidden one shows nothing of its place.
    assert frame.locator("#embed-map .stop-marker").count() == 2
    expect(frame.locator(".embed-stops li")).to_have_count(3)
    link = frame.get_by_role("link", name="Alte Kaserne")
    with page.context.expect_page() as opened:
        link.click()
    expect(opened.value).to_have_url(page.base_url + "/places/" + link.get_attribute("href")
                                     .rsplit("/", 1)[1])


def test_tour_page_embed_code_can_be_copied(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=page.base_url)
    page.goto(page.base_url + "/tours/altstadt")
    # Let the page's service worker finish caching before the server stops.
    page.wait_for_load_state("networkidle")
    page.locator(".embed-snippet summary").click()
    code = page.locator("#embed-code")
    expect(code).to_be_visible()
    assert "/embed/tours/altstadt" in code.input_value()
    page.locator("#embed-copy").click()
    expect(page.locator("#embed-copy-status")).to_have_text("Kopiert")
    assert page.evaluate("navigator.clipboard.readText()") == code.input_value()
    page.wait_for_load_state("networkidle")
