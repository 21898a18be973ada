"""Chromium reports the site as installable: manifest without errors, service worker in control.
(Installability is only reported for a persistent profile: normal test contexts are incognito.)"""

import pytest

pytestmark = pytest.mark.e2e


def test_chromium_reports_no_installability_errors(
    browser_type, browser_type_launch_args, browser_context_args, live_server, tmp_path
):
    args = {k: v for k, v in browser_context_args.items() if k != "default_browser_type"}
    ctx = browser_type.launch_persistent_context(
        tmp_path / "profile", **browser_type_launch_args, **args
    )
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto(live_server.url + "/")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"].endswith("/static/manifest.webmanifest")
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.scope)")
        assert scope == live_server.url + "/"
        # The start URL opens (from the service worker too).
        resp = page.goto(live_server.url + "/?source=pwa")
        assert resp.status == 200
    finally:
        ctx.close()
