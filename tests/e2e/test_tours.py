"""A curator on a phone builds a tour from the map, lets the site suggest the order, uploads a
GPX walked in Winterthur (and sees one from elsewhere refused), publishes; a visitor opens the
tour and downloads the printable sheet."""

import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.conftest import TILE_PNG
from tests.e2e.axe import violations as axe_violations
from tests.e2e.waits import next_frame, until
from tests.integration.test_tours import winterthur_gpx

pytestmark = pytest.mark.e2e

CURATOR = "curator@demo.stadtspur.ch"


def login(page, e2e_app, email):
    page.goto(page.base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", e2e_app.demo_accounts[email][1])
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".site-header")).to_be_visible()


def zigzag_places(e2e_app, n=4):
    """Published places in an order that zig-zags west–east, so a better order exists."""
    from app.extensions import db
    from app.models import Place

    with e2e_app.app_context():
        rows = db.session.execute(
            select(Place.id, Place.title, func.ST_X(Place.geom), func.ST_Y(Place.geom))
            .where(Place.status == "approved", Place.hidden_at.is_(None))
            .order_by(Place.id).limit(8)
        ).all()
        db.session.remove()
    by_lon = sorted(rows, key=lambda r: r[2])
    picked = [by_lon[0], by_lon[-1], by_lon[1], by_lon[-2]][:n]
    return [{"id": r[0], "title": r[1], "lon": r[2], "lat": r[3]} for r in picked]


def saved_tour(e2e_app, slug):
    from app.extensions import db
    from app.models import Tour

    with e2e_app.app_context():
        tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
        out = {"status": tour.status, "source": tour.route_source,
               "stops": [s.place_id for s in tour.stops], "length": tour.length_m}
        db.session.remove()
    return out


def test_curator_builds_orders_routes_publishes_and_a_visitor_prints(
        page, e2e_app, browser, browser_context_args, tmp_path):
    login(page, e2e_app, CURATOR)
    page.goto(page.base_url + "/tours/new")
    expect(page.locator("#picker-map[data-ready='true']")).to_be_visible()
    page.fill("#title", "Vier Orte im Zickzack")
    page.select_option("#language", "de")
    page.fill("#intro", "Ein Spaziergang für *alle*.")

    chosen = zigzag_places(e2e_app)
    # Three from the map, one from the search box.
    for place in chosen[:3]:
        marker = page.locator(f'#picker-map .leaflet-marker-icon[title="{place["title"]}"]')
        # Pins may overlap at this zoom: the event goes to the pin itself.
        marker.dispatch_event("click")
        expect(page.locator("#stop-status")).to_contain_text(place["title"])
    page.fill("#place-search", chosen[3]["title"][:8])
    page.locator("#place-results button", has_text=chosen[3]["title"]).first.click()
    expect(page.locator("#stop-rows .stop-row")).to_have_count(4)

    # Keyboard reordering: the last stop moves up one place, announced.
    last = page.locator("#stop-rows .stop-row").nth(3)
    last.locator('[data-move="up"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#stop-status")).to_contain_text("3")
    expect(page.locator("#stop-rows .stop-row").nth(2)).to_have_attribute(
        "data-place", str(chosen[3]["id"]))
    page.locator("#stop-rows .stop-row").nth(2).locator("textarea").fill("Weiter der Gasse nach.")

    page.click("#save-tour")
    expect(page).to_have_url(re.compile(r"/tours/vier-orte-im-zickzack/edit$"))
    slug = "vier-orte-im-zickzack"
    before = saved_tour(e2e_app, slug)
    assert before["status"] == "draft" and len(before["stops"]) == 4

    # Suggest an order, accept it, save. (Once the editor script is running: a click before
    # that sends the form the way it works without JavaScript, to a page of its own.)
    expect(page.locator("#picker-map[data-ready='true']")).to_be_visible()
    page.click("#suggest-order")
    expect(page.locator("#proposal-list li")).to_have_count(4)
    page.click("#accept-order")
    expect(page.locator("#stop-status")).to_contain_text(re.compile("vorgeschlagenen|suggested"))
    page.click("#save-tour")
    expect(page.locator(".flash-success")).to_be_visible()
    after = saved_tour(e2e_app, slug)
    assert sorted(after["stops"]) == sorted(before["stops"]) and after["stops"] != before["stops"]

    # A GPX from elsewhere is refused with the reason next to the field. (In a second
    # browser context: the 422 answer is logged by the browser as a failed resource, which
    # the page fixture would count as an error.)
    lyon = winterthur_gpx([(4.83, 45.76), (4.84, 45.765)])
    second = browser.new_context(**browser_context_args)
    other = second.new_page()
    other.base_url = page.base_url
    login(other, e2e_app, CURATOR)
    other.goto(page.base_url + f"/tours/{slug}/edit")
    other.set_input_files("#gpx-file", files=[{"name": "lyon.gpx",
                                               "mimeType": "application/gpx+xml",
                                               "buffer": lyon}])
    other.click("#upload-gpx")
    expect(other.locator("#file-error")).to_contain_text(re.compile("ausserhalb|outside"))
    second.close()
    assert saved_tour(e2e_app, slug)["source"] == "generated"

    by_id = {p["id"]: p for p in chosen}
    walk = []
    for a, b in zip(after["stops"], after["stops"][1:], strict=False):
        pa, pb = by_id[a], by_id[b]
        walk += [(pa["lon"] + (pb["lon"] - pa["lon"]) * k / 5, pa["lat"] + (pb["lat"] - pa["lat"]) * k / 5)
                 for k in range(5)]
    walk.append((by_id[after["stops"][-1]]["lon"], by_id[after["stops"][-1]]["lat"]))
    page.set_input_files("#gpx-file", files=[{"name": "walk.gpx", "mimeType": "application/gpx+xml",
                                              "buffer": winterthur_gpx(walk)}])
    page.click("#upload-gpx")
    expect(page.locator("#route-source")).to_contain_text(re.compile("GPX"))
    assert saved_tour(e2e_app, slug)["source"] == "gpx"
    expect(page.locator("#route-map[data-ready='true']")).to_be_visible()

    page.click("#action-publish")
    expect(page).to_have_url(re.compile(rf"/tours/{slug}$"))
    assert saved_tour(e2e_app, slug)["status"] == "published"

    # A visitor (no account) opens the tour and downloads the sheet.
    visitor = browser.new_context(**browser_context_args)
    visitor.route("**/test-tiles/**", lambda route: route.fulfill(
        status=200, content_type="image/png", body=TILE_PNG))
    vpage = visitor.new_page()
    vpage.goto(page.base_url + f"/tours/{slug}")
    expect(vpage.locator("h1")).to_have_text("Vier Orte im Zickzack")
    expect(vpage.locator("#stop-list li")).to_have_count(4)
    with vpage.expect_download() as download:
        vpage.evaluate(f"() => {{ const a = document.createElement('a'); a.href = '/tours/{slug}.pdf';"
                       " a.download = 'tour.pdf'; document.body.append(a); a.click(); }")
    path = tmp_path / "tour.pdf"
    download.value.save_as(path)
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Vier Orte im Zickzack" in " ".join(text.split())
    link = vpage.locator("#tour-downloads a", has_text=re.compile("PDF"))
    expect(link).to_have_attribute("href", f"/tours/{slug}.pdf")
    visitor.close()


def test_route_drawn_on_the_map_is_saved(page, e2e_app):
    login(page, e2e_app, CURATOR)
    page.goto(page.base_url + "/tours/new")
    expect(page.locator("#picker-map[data-ready='true']")).to_be_visible()
    page.fill("#title", "Gezeichnete Runde")
    for place in zigzag_places(e2e_app, 2):
        page.locator(f'#picker-map .leaflet-marker-icon[title="{place["title"]}"]').dispatch_event(
            "click")
    page.click("#save-tour")
    expect(page.locator("#route-map[data-ready='true']")).to_be_visible()
    route_map = page.locator("#route-map")
    route_map.scroll_into_view_if_needed()
    page.click("#draw-start")
    box = route_map.bounding_box()
    points = [(0.3, 0.3), (0.5, 0.6), (0.7, 0.4)]
    for fx, fy in points:
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    # Clicking the last point again finishes the line.
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.4)
    expect(page.locator("#draw-save")).to_be_enabled()
    page.click("#draw-save")
    expect(page.locator("#route-source")).to_contain_text(re.compile("gezeichnet|drawn"))
    saved = saved_tour(e2e_app, "gezeichnete-runde")
    assert saved["source"] == "drawn" and saved["length"] > 0


def axe_violations_without_scripts(browser, context_args, page):
    """axe-core on the page as a browser without JavaScript shows it. (axe-core needs timers,
    which do not run in a page whose scripts are off: it is given the same markup, without
    its scripts, at the same address in a browser context of its own.)"""
    html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S)
    address = page.url.split("#")[0]
    checker = browser.new_context(**context_args)
    checker.route(lambda url: url == address, lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=html))
    try:
        view = checker.new_page()
        view.goto(address)
        return axe_violations(view)
    finally:
        checker.close()


def touch_drag(page, handle, to_x, to_y, steps=15):
    """A finger on ``handle``, moved in small steps to (to_x, to_y), resting there until
    SortableJS has moved the row and lifted: real touch input through the browser's input
    pipeline, as on a phone (not synthetic DOM events)."""
    row = handle.locator("xpath=ancestor::*[contains(concat(' ', @class, ' '), ' stop-row ')][1]")
    row_handle = row.element_handle()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    expect(row).to_have_class(re.compile(r"\bsortable-chosen\b"))  # SortableJS holds the row
    for i in range(1, steps + 1):
        point = {"x": x + (to_x - x) * i / steps, "y": y + (to_y - y) * i / steps}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        next_frame(page)
    # The finger rests on the target, as a person's does, until the row is there and no row
    # is still animating: SortableJS checks what is under the finger every 50 ms.
    def moved_there():
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                              "touchPoints": [{"x": to_x, "y": to_y}]})
        next_frame(page)
        return page.evaluate("""([row, y]) => {
            const box = row.getBoundingClientRect();
            const rows = [...row.parentElement.children];
            return box.top <= y && y <= box.bottom && !rows.some((r) => r.animated);
        }""", [row_handle, to_y])

    until(moved_there, interval=0, message="the dragged row to reach its place")
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def stop_order(page):
    return [int(v) for v in page.locator("#stop-rows .stop-row").evaluate_all(
        "rows => rows.map(r => r.dataset.place)")]


def test_stops_are_reordered_by_touch_on_a_phone(page, e2e_app):
    login(page, e2e_app, CURATOR)
    page.goto(page.base_url + "/tours/new")
    expect(page.locator("#picker-map[data-ready='true']")).to_be_visible()
    page.fill("#title", "Mit dem Finger sortiert")
    chosen = zigzag_places(e2e_app, 3)
    for place in chosen:
        page.locator(f'#picker-map .leaflet-marker-icon[title="{place["title"]}"]').dispatch_event(
            "click")
    ids = [p["id"] for p in chosen]
    assert stop_order(page) == ids
    assert axe_violations(page) == []

    # The second stop is dragged by its handle above the first one.
    first, second = page.locator("#stop-rows .stop-row").nth(0), page.locator("#stop-rows .stop-row").nth(1)
    page.evaluate("el => el.scrollIntoView({block: 'start'})", first.element_handle())
    handle = second.locator(".drag-handle")
    expect(handle).to_be_visible()
    target = first.locator(".stop-head").bounding_box()
    touch_drag(page, handle, target["x"] + target["width"] / 2, target["y"] + target["height"] / 2)
    expect(page.locator("#stop-rows .stop-row").first).to_have_attribute("data-place", str(ids[1]))
    assert stop_order(page) == [ids[1], ids[0], ids[2]]
    # Announced for screen readers, and the numbers and buttons follow.
    expect(page.locator("#stop-status")).to_contain_text(chosen[1]["title"])
    expect(page.locator("#stop-status")).to_contain_text("1")
    expect(page.locator("#stop-rows .stop-row").first.locator(".stop-number")).to_have_text("1")
    expect(page.locator("#stop-rows .stop-row").first.locator('[data-move="up"]')).to_be_disabled()

    # The keyboard still works after a drag: the last stop moves up, announced.
    page.locator("#stop-rows .stop-row").nth(2).locator('[data-move="up"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#stop-status")).to_contain_text(chosen[2]["title"])
    assert stop_order(page) == [ids[1], ids[2], ids[0]]

    page.click("#save-tour")
    expect(page).to_have_url(re.compile(r"/tours/mit-dem-finger-sortiert/edit$"))
    assert saved_tour(e2e_app, "mit-dem-finger-sortiert")["stops"] == [ids[1], ids[2], ids[0]]


def bump_version(e2e_app, slug):
    """Someone else saves the tour in the meantime."""
    from app.extensions import db
    from app.models import Tour

    with e2e_app.app_context():
        tour = db.session.scalar(select(Tour).where(Tour.slug == slug))
        tour.intro = "Inzwischen von jemand anderem geändert."
        db.session.commit()
        db.session.remove()


def test_the_editor_works_without_javascript(browser, browser_context_args, e2e_app,
                                              live_server):
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False})
    problems = []
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.base_url = live_server.url
    login(page, e2e_app, CURATOR)
    chosen = zigzag_places(e2e_app, 3)
    ids = [p["id"] for p in chosen]
    page.goto(page.base_url + "/tours/new")
    expect(page.locator("#picker")).to_be_hidden()
    page.fill("#title", "Ohne Skript gebaut")

    # Each place is found with the search form and added with its own button.
    for n, place in enumerate(chosen, start=1):
        page.fill("#place_q", place["title"])
        page.click("#find-place-button")
        page.locator(f'#found-places button[value="add:{place["id"]}"]').click()
        expect(page.locator("#stop-done")).to_contain_text(f'{place["title"]} als Halt {n}')
    expect(page).to_have_url(re.compile(r"/tours/ohne-skript-gebaut/edit\?q=.*#stops$"))
    expect(page.locator("#found-places")).to_be_visible()
    assert axe_violations_without_scripts(browser, browser_context_args, page) == []
    slug = "ohne-skript-gebaut"
    assert saved_tour(e2e_app, slug)["stops"] == ids

    # A note typed before pressing a stop's button is saved with the move.
    page.locator(f"#stop-{ids[0]} textarea").fill("Der Gasse nach.")
    page.get_by_role("button", name=f'Nach unten: {chosen[0]["title"]}').click()
    expect(page.locator("#stop-done")).to_have_text(f'{chosen[0]["title"]} ist jetzt Halt 2 von 3.')
    assert saved_tour(e2e_app, slug)["stops"] == [ids[1], ids[0], ids[2]]
    expect(page.locator(f"#stop-{ids[0]} textarea")).to_have_value("Der Gasse nach.")
    expect(page.locator("#stop-rows .stop-row").nth(1)).to_have_attribute("data-place", str(ids[0]))

    page.get_by_role("button", name=f'Nach oben: {chosen[2]["title"]}').click()
    expect(page.locator("#stop-done")).to_have_text(f'{chosen[2]["title"]} ist jetzt Halt 2 von 3.')
    assert saved_tour(e2e_app, slug)["stops"] == [ids[1], ids[2], ids[0]]

    page.get_by_role("button", name=f'Entfernen: {chosen[1]["title"]}').click()
    expect(page.locator("#stop-done")).to_have_text(f'{chosen[1]["title"]} entfernt.')
    assert saved_tour(e2e_app, slug)["stops"] == [ids[2], ids[0]]
    expect(page.locator("#stop-rows .stop-row")).to_have_count(2)

    # Someone else saves in the meantime: the next button gets both versions, nothing moves.
    bump_version(e2e_app, slug)
    page.get_by_role("button", name=f'Nach unten: {chosen[2]["title"]}').click()
    expect(page.locator("#conflict")).to_be_visible()
    expect(page.locator("#current-version")).to_contain_text("Inzwischen von jemand anderem")
    expect(page.locator("#your-version li").first).to_contain_text(chosen[0]["title"])
    assert axe_violations_without_scripts(browser, browser_context_args, page) == []
    assert saved_tour(e2e_app, slug)["stops"] == [ids[2], ids[0]]
    # The refusal is the only thing the browser reports.
    assert [p for p in problems if "409" not in p] == []
    context.close()
