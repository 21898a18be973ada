"""The curators' usage figures pages pass axe-core (WCAG 2.1 AA) in German and English on a
phone, with a goal set and figures in every chart, and read without JavaScript errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.axe import in_both_languages, with_axe
from tests.e2e.test_a11y import _login

pytestmark = pytest.mark.e2e

TOUR = "altstadt-erinnerungen"
PAGES = ["/curate/insights", f"/curate/insights/tours/{TOUR}", "/curate/insights/themes/fotografie"]


@pytest.fixture(scope="module")
def figures(e2e_app):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Tour, User
    from app.models.usage import GoalPeriod, Metric, OfferingKind, Source
    from app.services.insights import counting, reviews

    with e2e_app.app_context():
        tour = db.session.scalar(select(Tour).where(Tour.slug == TOUR))
        curator = db.session.scalar(select(User).where(User.role == "curator"))
        today = date.today()
        reviews.set_goal(curator, tour, reviews.GoalInput(
            Metric.COMPLETION, 20, GoalPeriod.MONTH, "People finish it.",
            today + timedelta(days=20)), today)
        db.session.commit()
        rows = [counting.Count(OfferingKind.TOUR, tour.id, Metric.FOLLOW_START, today, 0,
                               Source.ONLINE, 30),
                counting.Count(OfferingKind.TOUR, tour.id, Metric.COMPLETION, today, 0,
                               Source.OFFLINE, 12),
                counting.Count(OfferingKind.TOUR, tour.id, Metric.PAGE_VIEW,
                               today - timedelta(days=40), 0, Source.SERVER, 80)]
        rows += [counting.Count(OfferingKind.TOUR, tour.id, Metric.STOP_REACHED, today,
                                s.position, Source.OFFLINE, max(2, 30 - 4 * i))
                 for i, s in enumerate(tour.stops)]
        assert counting.write(counting.database_url(e2e_app.config), rows)
        db.session.remove()


@pytest.mark.parametrize("path", PAGES)
def test_usage_pages_have_no_axe_violations(page, e2e_app, figures, path):
    with_axe(page)
    email = "curator@demo.stadtspur.ch"
    _login(page, email, e2e_app.demo_accounts[email][1])
    assert in_both_languages(page, path) == {"de": [], "en": []}
