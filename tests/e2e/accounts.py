"""Logging in on a page, as a person does: the login form, then wait until it has let them in."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def log_in(page, email: str, password: str) -> None:
    """Log ``email`` in through the login page and wait until the site has let them in."""
    page.goto(page.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile("/login"))
