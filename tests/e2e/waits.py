"""Waiting for what a test needs to have happened, never for a fixed time.

Playwright's ``expect`` covers the DOM. These cover the rest: a JavaScript condition that may
be asynchronous (IndexedDB, the Cache API, the service worker), which ``wait_for_function``
does not await (it takes the promise itself for a truthy value); the next rendered frame; a
row in the database, written by a request the browser sent on its own.
"""

from __future__ import annotations

import time

DEFAULT_TIMEOUT = 15.0


def until_js(page, predicate: str, arg=None, *, timeout: float = DEFAULT_TIMEOUT,
             message: str | None = None) -> None:
    """Wait until the JavaScript function ``predicate`` (sync or async, called with ``arg``)
    returns a truthy value in the page, checking it again every 50 ms up to ``timeout``."""
    done = page.evaluate(
        f"""async ([arg, ms]) => {{
            const predicate = {predicate};
            const deadline = performance.now() + ms;
            for (;;) {{
                if (await predicate(arg)) return true;
                if (performance.now() > deadline) return false;
                await new Promise((resolve) => setTimeout(resolve, 50));
            }}
        }}""",
        [arg, timeout * 1000],
    )
    assert done, message or f"still false after {timeout} s: {predicate}"


def next_frame(page) -> None:
    """Wait until the page has rendered a frame after what was just done to it."""
    page.evaluate("() => new Promise((resolve) => requestAnimationFrame(() => resolve()))")


def sw_ready(page, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the service worker is active and controls this page (on a first visit it
    claims the page once it has installed)."""
    until_js(page, """() => navigator.serviceWorker.ready.then(
                        () => navigator.serviceWorker.controller !== null)""",
             timeout=timeout, message="the service worker does not control the page")


def queue_empty(page, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the contribution queue in IndexedDB has been sent and emptied."""
    until_js(page, """async () => {
        const m = await import('/static/js/offline-queue.js');
        return (await m.listQueued()).length === 0;
    }""", timeout=timeout, message="the offline queue was not emptied")


def until(fn, *, timeout: float = DEFAULT_TIMEOUT, interval: float = 0.1,
          message: str = "condition"):
    """Call ``fn`` until it returns something truthy and return that; fail after
    ``timeout`` seconds (for state outside the page, such as a row in the database)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {message}"
        time.sleep(interval)  # polling interval of a wait for a condition, not a fixed wait


def map_settled(page, selector: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Wait until the Leaflet map in ``selector`` has finished moving and every image in it
    (tiles, markers) has loaded: nothing of it is still on the network."""
    # Checked two frames on: Leaflet adds the tiles of a finished zoom in the frame after it.
    until_js(page, """(selector) => new Promise((resolve) => requestAnimationFrame(
        () => requestAnimationFrame(() => {
            const map = document.querySelector(selector);
            resolve(!map.classList.contains('leaflet-zoom-anim')
                    && !map.querySelector('.leaflet-pan-anim')
                    && [...map.querySelectorAll('img')].every((img) => img.complete));
        })))""", selector, timeout=timeout, message=f"the map {selector} is still loading")
