"""Goals, reviews and retirement end to end on a database of their own (a real job worker
reads committed rows): a goal is set, the review date passes (a clock fixture), the daily
check run by a real procrastinate worker mails the curators once, the tour is listed as due,
the decision is logged, and retiring sends the tour's address on (301) or lists the
alternatives. Also the small-number rule on a tour with 3 completions, everywhere."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.models.usage import Metric, OfferingKind, Source
from tests.conftest import create_user, login, make_test_app

TODAY = date.today()


@pytest.fixture(scope="module")
def reviews_app(clone_db):
    app = make_test_app(clone_db("reviews"))
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        seed_demo()
        # In English: the assertions read the pages and mails in the curator's language.
        create_user("curator@example.org", role="curator", name="Cora Curator").locale = "en"
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        from app.extensions import db
        from app.services.insights import counting

        counting.reset_engines()
        db.engine.dispose()


@pytest.fixture
def clock(monkeypatch):
    """Move the app's day: ``clock(d)`` makes ``d`` today for counting and reviews."""
    from app.services.insights import counting

    def set_day(day: date) -> None:
        monkeypatch.setattr(counting, "_clock",
                            lambda tz: datetime.combine(day, time(12), tzinfo=tz))

    return set_day


@pytest.fixture
def curator_client(reviews_app):
    client = reviews_app.test_client()
    login(client, "curator@example.org")
    return client


def _tours(app):
    """The demo tours (published or retired: the order stays the same whatever a test did)."""
    from app.extensions import db
    from app.models import Tour

    with app.app_context():
        rows = db.session.scalars(select(Tour).where(Tour.status.in_(("published", "retired")))
                                  .order_by(Tour.id)).all()
        return [(t.slug, t.id, [s.position for s in t.stops]) for t in rows]


def _run_worker(app, day: date) -> None:
    """A real worker: the day's review check deferred as the periodic deferrer would, then
    worked off by ``run_worker`` (it stops once the queue is empty)."""
    from app import jobs

    stamp = int(datetime.combine(day, time(6), tzinfo=ZoneInfo("Europe/Zurich")).timestamp())
    import asyncio

    async def defer_and_work_in(job_app):
        async with job_app.open_async():
            await job_app.configure_task("insights.review_check").defer_async(timestamp=stamp)
            await job_app.run_worker_async(wait=False, install_signal_handlers=False,
                                           listen_notify=False)

    with jobs.configured(app) as job_app:
        asyncio.run(defer_and_work_in(job_app))


def test_goal_review_decision_and_retirement(reviews_app, curator_client, clock):
    from app.extensions import db
    from app.models import ModerationEvent, UsageGoal
    from app.services.mail import sent_messages

    (slug, tour_id, _stops), (alt1, _i1, _s1), (alt2, _i2, _s2) = _tours(reviews_app)[:3]
    clock(TODAY)
    review_on = TODAY + timedelta(days=10)
    resp = curator_client.post(f"/curate/insights/tours/{slug}/goal", data={
        "metric": "completion", "target": "200", "period": "month",
        "hypothesis": "Families walk it on Sundays.", "review_on": review_on.isoformat()})
    assert resp.status_code == 303, resp.data[:800]
    page = curator_client.get(f"/curate/insights/tours/{slug}").get_data(as_text=True)
    assert "Families walk it on Sundays." in page and 'data-colour="red"' in page
    assert 'id="review-form" data-due' not in page  # not due yet

    # A refused goal: nothing changes.
    resp = curator_client.post(f"/curate/insights/tours/{slug}/goal", data={
        "metric": "completion", "target": "many", "period": "month",
        "review_on": review_on.isoformat()})
    assert resp.status_code == 422 and "Give the target as a whole number." in resp.get_data(as_text=True)

    # The review date passes: the daily check, run by a real worker, tells the curators once.
    with reviews_app.app_context():
        sent_messages().clear()
    clock(review_on + timedelta(days=1))
    _run_worker(reviews_app, review_on + timedelta(days=1))
    with reviews_app.app_context():
        letters = [m for m in sent_messages() if "review" in m["Subject"]]
        assert [m["To"] for m in letters] == ["curator@example.org"] or \
            "curator@example.org" in [m["To"] for m in letters]
        assert any(slug in m.get_content() or "/curate/insights" in m.get_content()
                   for m in letters)
        sent = len(letters)
        goal = db.session.scalar(select(UsageGoal).where(UsageGoal.offering_id == tour_id))
        assert goal.notified_on == review_on + timedelta(days=1)
        db.session.remove()
    _run_worker(reviews_app, review_on + timedelta(days=2))
    with reviews_app.app_context():
        assert len([m for m in sent_messages() if "review" in m["Subject"]]) == sent

    overview = curator_client.get("/curate/insights").get_data(as_text=True)
    assert f'data-due="{slug}"' in overview
    page = curator_client.get(f"/curate/insights/tours/{slug}").get_data(as_text=True)
    assert 'id="review-form" data-due' in page

    # Adapt needs a note and a new date; a refusal stores nothing.
    resp = curator_client.post(f"/curate/insights/tours/{slug}/review",
                               data={"decision": "adapt", "note": ""})
    assert resp.status_code == 422 and "Say what changes." in resp.get_data(as_text=True)
    new_date = review_on + timedelta(days=40)
    resp = curator_client.post(f"/curate/insights/tours/{slug}/review", data={
        "decision": "adapt", "note": "Shorter: drop the hill.",
        "next_review_on": new_date.isoformat()})
    assert resp.status_code == 303
    with reviews_app.app_context():
        events = db.session.scalars(select(ModerationEvent).where(
            ModerationEvent.target_id == tour_id, ModerationEvent.target_type == "tour")
            .order_by(ModerationEvent.id)).all()
        actions = [e.action for e in events]
        assert "tour_goal_set" in actions and "tour_review_adapt" in actions
        assert events[-1].message == "Shorter: drop the hill."
        assert db.session.scalar(select(UsageGoal.review_on).where(
            UsageGoal.offering_id == tour_id)) == new_date
        db.session.remove()
    assert f'data-due="{slug}"' not in curator_client.get("/curate/insights").get_data(as_text=True)

    # The new date passes; the curator retires the tour with one alternative: 301 to it.
    clock(new_date)
    resp = curator_client.post(f"/curate/insights/tours/{slug}/review", data={
        "decision": "retire", "note": "Nobody finishes it.", "alternatives": [alt1]})
    assert resp.status_code == 303, resp.data[:800]
    resp = reviews_app.test_client().get(f"/tours/{slug}")
    assert resp.status_code == 301 and resp.headers["Location"].endswith(f"/tours/{alt1}")
    state = reviews_app.test_client().get(f"/api/v1/tours/{slug}/alternatives").json
    assert state["status"] == "retired" and [a["slug"] for a in state["alternatives"]] == [alt1]
    # The figures stay readable.
    page = curator_client.get(f"/curate/insights/tours/{slug}")
    assert page.status_code == 200 and "retired-note" in page.get_data(as_text=True)

    with reviews_app.app_context():
        from app.extensions import db
        from app.models import Tour
        from app.services.insights import retirement

        retirement.set_alternatives(db.session.get(Tour, tour_id), [alt1, alt2])
        db.session.commit()
        db.session.remove()
    resp = reviews_app.test_client().get(f"/tours/{slug}")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "retired-alternatives" in body and f"/tours/{alt1}" in body and f"/tours/{alt2}" in body


def test_a_review_cannot_retire_to_an_unpublished_tour(reviews_app, curator_client, clock):
    slug = _tours(reviews_app)[-1][0]
    clock(TODAY)
    resp = curator_client.post(f"/curate/insights/tours/{slug}/review", data={
        "decision": "retire", "alternatives": ["no-such-tour"]})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "Only another published tour can be suggested instead." in body
    assert "retired-note" not in body  # shown as it is: still published
    assert reviews_app.test_client().get(f"/tours/{slug}").status_code == 200


def test_three_completions_show_as_under_five_everywhere(reviews_app, curator_client, clock):
    from app.services.insights import counting

    slug, tour_id, stops = _tours(reviews_app)[-1]
    clock(TODAY)
    day = TODAY
    rows = [counting.Count(OfferingKind.TOUR, tour_id, Metric.FOLLOW_START, day, 0,
                           Source.ONLINE, 12),
            counting.Count(OfferingKind.TOUR, tour_id, Metric.COMPLETION, day, 0,
                           Source.ONLINE, 3),
            counting.Count(OfferingKind.TOUR, tour_id, Metric.PAGE_VIEW, day, 0,
                           Source.SERVER, 40)]
    rows += [counting.Count(OfferingKind.TOUR, tour_id, Metric.STOP_REACHED, day, s,
                            Source.OFFLINE, 10 if i == 0 else 3) for i, s in enumerate(stops)]
    assert counting.write(counting.database_url(reviews_app.config), rows)

    page = curator_client.get(f"/curate/insights/tours/{slug}").get_data(as_text=True)
    funnel = page.split('id="funnel-table"')[1].split("</table>")[0]
    # follows 12 → stop 1: 10 → stop 2: 3 … → completions 3: every drop-off next to a 3 is hidden
    assert ">12<" in funnel and ">10<" in funnel
    assert ">3<" not in funnel and ">7<" not in funnel and ">9<" not in funnel
    assert funnel.count("&lt;5") >= 3
    csv_text = curator_client.get(f"/curate/insights/tours/{slug}.csv").get_data(as_text=True)
    lines = [line.split(",") for line in csv_text.splitlines()[1:]]
    assert ["funnel", "completions", "n", "<5"] in lines
    assert ["funnel", "completions", "drop_off", "<5"] in lines
    assert all(value not in ("3", "7", "9") for _f, _i, _m, value in lines)
    data = reviews_app.test_client().get("/api/v1/usage/tours.json").json
    assert data["licence"] == "CC0-1.0"
    this_month = TODAY.strftime("%Y-%m")
    mine = [r for r in data["rows"] if r["tour"] == slug and r["month"] == this_month]
    assert mine == [{"tour": slug, "title": mine[0]["title"], "month": this_month,
                     "views": "40", "follows": "12", "completions": "<5"}]
    open_csv = reviews_app.test_client().get("/api/v1/usage/tours.csv").get_data(as_text=True)
    assert f"{slug}," in open_csv and ",40,12,<5" in open_csv
    assert json.dumps(data).count('"3"') == 0


def test_every_figure_page_and_csv_answers_curators_only(reviews_app, curator_client):
    from app.extensions import db
    from app.models import Theme

    with reviews_app.app_context():
        theme = db.session.scalar(select(Theme.slug).order_by(Theme.id))
        db.session.remove()
    slug = _tours(reviews_app)[-1][0]
    pages = ["/curate/insights", f"/curate/insights/tours/{slug}", f"/curate/insights/themes/{theme}"]
    csvs = ["/curate/insights.csv", f"/curate/insights/tours/{slug}.csv",
            f"/curate/insights/themes/{theme}.csv"]
    for url in pages:
        resp = curator_client.get(url)
        assert resp.status_code == 200, url
        assert "<svg" in resp.get_data(as_text=True) or "/tours/" not in url
        assert resp.headers["Cache-Control"] == "no-store"
    for url in csvs:
        resp = curator_client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "text/csv", url
    anonymous = reviews_app.test_client()
    for url in pages + csvs:
        assert anonymous.get(url).status_code in (302, 401), url
    with reviews_app.app_context():
        create_user("resident@example.org", name="Res Ident")
        db.session.commit()
        db.session.remove()
    resident = reviews_app.test_client()
    login(resident, "resident@example.org")
    for url in pages + csvs:
        assert resident.get(url).status_code == 403, url
    assert curator_client.get("/curate/insights/tours/no-such-tour").status_code == 404


def test_the_api_sets_goals_decides_and_reads_figures(reviews_app, clock):
    from app.extensions import db
    from app.models import ModerationEvent

    slug, tour_id, _stops = _tours(reviews_app)[1]
    clock(TODAY)
    client = reviews_app.test_client()
    login(client, "curator@example.org")
    review_on = (TODAY + timedelta(days=30)).isoformat()
    resp = client.put(f"/api/v1/usage/tours/{slug}/goal", json={
        "metric": "follow_start", "target": 50, "period": "week", "review_on": review_on})
    assert resp.status_code == 200, resp.json
    assert resp.json["this_period"] == "<5" and resp.json["colour"] == "red"
    resp = client.put(f"/api/v1/usage/tours/{slug}/goal", json={
        "metric": "follow_start", "target": 50, "period": "week", "review_on": review_on,
        "visitor_ip": "1.2.3.4"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "visitor_ip"
    resp = client.post(f"/api/v1/usage/tours/{slug}/review", json={"decision": "adapt"})
    assert resp.status_code == 422 and resp.json["error"]["field"] == "note"
    resp = client.post(f"/api/v1/usage/tours/{slug}/review", json={
        "decision": "keep", "note": "Fine for now."})
    assert resp.status_code == 201 and resp.json["decision"] == "keep"
    figures = client.get(f"/api/v1/usage/tours/{slug}")
    assert figures.status_code == 200 and figures.json["goal"]["metric"] == "follow_start"
    assert {m["month"] for m in figures.json["months"]} >= {TODAY.strftime("%Y-%m")}
    with reviews_app.app_context():
        assert db.session.scalar(select(ModerationEvent.message).where(
            ModerationEvent.target_id == tour_id, ModerationEvent.action == "tour_review_keep")
        ) == "Fine for now."
        db.session.remove()
    anonymous = reviews_app.test_client()
    assert anonymous.get(f"/api/v1/usage/tours/{slug}").status_code == 401
    assert anonymous.post(f"/api/v1/usage/tours/{slug}/review", json={"decision": "keep"}) \
        .status_code == 401


def test_a_total_never_gives_a_hidden_month_away():
    from app.services.insights import figures

    assert figures.shown_sum([40, 3]) == "≥40"  # 43 next to a shown 40 would reveal the 3
    assert figures.shown_sum([40, 12]) == "52"
    assert figures.shown_sum([40, 0, 0]) == "40"  # the hidden months add up to nothing
    assert figures.shown_sum([40, 3, 4]) == "47"  # … or to 7: no small number revealed
    assert figures.shown_sum([0, 3]) == "<5"
    assert figures.shown_difference(12, 10) == "<5" and figures.shown_difference(30, 10) == "20"
    assert figures.shown_share(3, 40) == "<5" and figures.shown_share(20, 40) == "50 %"
