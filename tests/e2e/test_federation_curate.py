"""The curator page for other servers on a phone: a curator blocks a server and trusts an
account with the page's plain forms, sees both listed, lifts the block; a wrong entry is
said so and nothing is listed for it; axe finds no violations in German and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import in_both_languages, with_axe
from tests.e2e.test_curate import CURATOR, _login

pytestmark = pytest.mark.e2e


def test_curator_blocks_trusts_and_lifts(page, e2e_app):
    with_axe(page)
    _login(page, e2e_app, CURATOR)
    page.goto(page.base_url + "/curate/federation")
    expect(page.locator("h1")).to_be_visible()
    page.fill("#block-target", "spam.example")
    page.fill("#block-reason", "Werbung")
    page.locator("#block-form button[type=submit]").click()
    expect(page.locator("#block-list")).to_contain_text("spam.example")
    expect(page.locator("#block-list")).to_contain_text("Werbung")

    page.fill("#trust-target", "https://friendly.example/users/anna")
    page.locator("#trust-form button[type=submit]").click()
    expect(page.locator("#trust-list")).to_contain_text("https://friendly.example/users/anna")

    page.fill("#block-target", "not a host")
    page.locator("#block-form button[type=submit]").click()
    expect(page.locator(".flash-error")).to_contain_text("https://")
    expect(page.locator("#block-list li")).to_have_count(1)

    assert in_both_languages(page, "/curate/federation") == {"de": [], "en": []}

    page.locator("#block-list li button").click()
    expect(page.locator("#block-list")).to_have_count(0)
    page.locator("#trust-list li button").click()
    expect(page.locator("#trust-list")).to_have_count(0)
