"""axe-core (WCAG 2.1 A and AA) in the end-to-end tests: one way to give a page axe-core and
read what it finds, and the German-then-English check of a page."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from tests.conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def with_axe(page):
    """``page`` with axe-core in every document it loads from now on. An init script, not a
    <script>: the strict CSP (rightly) refuses inline scripts, and init scripts are not
    subject to it."""
    page.context.add_init_script(path=str(AXE))
    return page


def violations(page) -> list[str]:
    """The WCAG 2.1 A/AA problems axe-core finds on the page as it is now (axe-core is
    evaluated into the page first when no init script gave it one)."""
    if not page.evaluate("() => 'axe' in window"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in result["violations"]
    ]


def in_both_languages(page, path: str, ready: Callable[[], None] = lambda: None) -> dict:
    """axe-core's findings on ``path``, in German and then in English after the page's own
    language switch (which must come back to the same address); ``ready`` waits for what
    the page's scripts do before each check."""
    page.goto(page.base_url + path)
    found = {}
    for lang in ("de", "en"):
        if lang == "en":
            with page.expect_navigation():
                page.locator(".lang-switch button[value=en]").click()
            assert page.url == page.base_url + path
        expect(page.locator("html")).to_have_attribute("lang", lang)
        ready()
        found[lang] = violations(page)
    return found
