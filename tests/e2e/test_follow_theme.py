"""A resident follows a theme on the phone; its new stories then come first on the home page."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e



def test_follow_a_theme_and_see_its_new_stories_first(page, e2e_app):
    email = "resident@demo.stadtspur.ch"
    page.goto(page.base_url + "/themes/gaerten")
    page.get_by_role("link", name="Anmelden, um diesem Thema zu folgen").click()
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(e2e_app.demo_accounts[email][1])
    page.locator("main form [type=submit]").first.click()
    expect(page).to_have_url(page.base_url + "/themes/gaerten")
    page.get_by_role("button", name="Diesem Thema folgen").click()
    expect(page.locator(".flashes")).to_contain_text("Sie folgen «Gärten und Grünräume»")
    expect(page.get_by_role("button", name="Nicht mehr folgen")).to_be_visible()
    page.goto(page.base_url + "/")
    followed = page.locator(".followed")
    expect(followed.get_by_role("heading")).to_have_text("Neu in den Themen, denen Sie folgen")
    expect(followed.get_by_role("link", name="Stadtgarten")).to_be_visible()
    assert followed.get_by_role("link", name="Waaghaus").count() == 0
    # it comes before the map
    order = page.evaluate(
        "document.querySelector('.followed').compareDocumentPosition("
        "document.getElementById('home-map')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    assert order
    page.goto(page.base_url + "/themes/gaerten")
    page.get_by_role("button", name="Nicht mehr folgen").click()
    page.goto(page.base_url + "/")
    expect(page.locator(".followed")).to_have_count(0)
