"""What curators read of the counters: a tour's month against its goal, its 12 months, the
funnel from follows started through each stop to completion, the offline share, audio plays
and QR scans per stop, downloads; a theme's sums and its least-used tours and stories (each
story's views, recordings played and read-aloud uses).

Small numbers are never shown: any count under ``SMALL`` is given as "<5", and so is any
difference that would reveal one (a funnel's drop-off next to a small step), in pages, CSV
and open data alike. ``shown`` is that one rule; every reader formats through it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.errors import NotFound
from app.extensions import db
from app.models import Place, Story, Theme, Tour
from app.models.statuses import TourStatus
from app.models.usage import WHOLE, GoalPeriod, Metric, OfferingKind, Source, UsageCounter
from app.services import visibility

SMALL = 5
HIDDEN = "<5"
MONTHS = 12

# The phone's own reports (beacons): their source says online or offline.
PHONE_METRICS = (Metric.FOLLOW_START, Metric.STOP_REACHED, Metric.COMPLETION,
                 Metric.AUDIO_PLAY, Metric.OFFLINE_SAVE, Metric.READ_ALOUD)
LINE_METRICS = (Metric.PAGE_VIEW, Metric.FOLLOW_START, Metric.COMPLETION)
DOWNLOAD_METRICS = (Metric.GPX_DOWNLOAD, Metric.PDF_DOWNLOAD, Metric.EMBED_VIEW,
                    Metric.OFFLINE_SAVE)


def shown(n: int) -> str:
    """A count as it may be shown: "<5" under five (zero too: "nobody" is also a small
    number), else the number."""
    return HIDDEN if n < SMALL else str(n)


def shown_difference(a: int, b: int) -> str:
    """The drop from ``a`` to ``b``: hidden whenever either side or the drop itself is small
    (next to a hidden step, any exact drop would give the hidden number away)."""
    d = a - b
    if a < SMALL or b < SMALL or d < SMALL:
        return HIDDEN
    return str(d)


def shown_share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage, only when neither it nor the rest is small."""
    if part < SMALL or whole - part < SMALL:
        return HIDDEN if whole else "–"
    return f"{round(100 * part / whole)} %"


def shown_sum(parts: list[int]) -> str:
    """A total of parts that are shown one by one elsewhere, some hidden: the total minus
    the shown parts is what the hidden ones add up to, so the total is exact only when that
    is not a small number itself (none, or 5 and more); else "≥" the shown parts."""
    total = sum(parts)
    hidden = sum(p for p in parts if p < SMALL)
    if total < SMALL:
        return HIDDEN
    if hidden == 0 or hidden >= SMALL:
        return str(total)
    return f"≥{total - hidden}" if total - hidden else HIDDEN


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(today: date, n: int = MONTHS) -> list[date]:
    """The first days of the last ``n`` months, oldest first, this month last."""
    first = month_start(today)
    out = [first]
    for _month in range(n - 1):
        first = month_start(first - timedelta(days=1))
        out.append(first)
    return out[::-1]


def period_bounds(period: GoalPeriod, today: date) -> tuple[date, date]:
    """The current period of a goal, first and last day."""
    if period == GoalPeriod.WEEK:
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if period == GoalPeriod.YEAR:
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    start = month_start(today)
    nxt = month_start(start + timedelta(days=32))
    return start, nxt - timedelta(days=1)


def total(kind: OfferingKind, offering_id: int, metric: Metric, since: date,
          until: date) -> int:
    """One metric of one offering over days ``since``..``until`` (every stop and source)."""
    c = UsageCounter
    return int(db.session.scalar(
        select(func.coalesce(func.sum(c.n), 0)).where(
            c.offering_kind == kind, c.offering_id == offering_id, c.metric == metric,
            c.day >= since, c.day <= until)) or 0)


def _sums(kind: OfferingKind, ids: list[int], since: date, until: date):
    """(offering id, metric, stop, source) -> n over the days."""
    c = UsageCounter
    if not ids:
        return {}
    rows = db.session.execute(
        select(c.offering_id, c.metric, c.stop, c.source, func.sum(c.n))
        .where(c.offering_kind == kind, c.offering_id.in_(ids), c.day >= since, c.day <= until)
        .group_by(c.offering_id, c.metric, c.stop, c.source))
    return {(oid, metric, stop, source): int(n) for oid, metric, stop, source, n in rows}


def monthly(kind: OfferingKind, ids: list[int], metrics, today: date,
            n: int = MONTHS) -> dict[tuple[int, str], list[int]]:
    """(offering id, metric) -> the counts of the last ``n`` months, oldest first."""
    months = months_back(today, n)
    c = UsageCounter
    month = func.date_trunc("month", c.day)
    rows = db.session.execute(
        select(c.offering_id, c.metric, month, func.sum(c.n))
        .where(c.offering_kind == kind, c.offering_id.in_(ids),
               c.metric.in_([str(m) for m in metrics]), c.day >= months[0], c.day <= today)
        .group_by(c.offering_id, c.metric, month)) if ids else []
    index = {m: i for i, m in enumerate(months)}
    out: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * n)
    for oid, metric, first, count in rows:
        out[(oid, metric)][index[first.date()]] = int(count)
    return out


@dataclass
class TourFigures:
    """A tour's figures over a window, as raw numbers (``shown`` formats them)."""

    tour_id: int
    stops: list[dict]  # number, title
    months: list[date]
    lines: dict[str, list[int]]  # metric -> 12 months
    funnel: list[tuple[str, int]]  # (label key, n): follows, stop 1..N, completions
    per_stop: dict[str, list[int]] = field(default_factory=dict)  # audio/qr per stop
    downloads: dict[str, int] = field(default_factory=dict)
    phone_online: int = 0
    phone_offline: int = 0


def tour_figures(tour: Tour, stops: list[dict], today: date) -> TourFigures:
    """The figures of ``tour`` (``stops``: its stop points) for the last 12 months."""
    months = months_back(today)
    sums = _sums(OfferingKind.TOUR, [tour.id], months[0], today)
    lines = monthly(OfferingKind.TOUR, [tour.id], LINE_METRICS, today)

    def metric_total(metric: Metric, stop: int | None = None) -> int:
        return sum(n for (_oid, m, s, _src), n in sums.items()
                   if m == metric and (stop is None or s == stop))

    numbers = [s["number"] for s in stops]
    funnel = [("follows", metric_total(Metric.FOLLOW_START))]
    funnel += [(f"stop:{n}", metric_total(Metric.STOP_REACHED, n)) for n in numbers]
    funnel.append(("completions", metric_total(Metric.COMPLETION)))
    phone = [(src, n) for (_o, m, _s, src), n in sums.items() if m in PHONE_METRICS]
    return TourFigures(
        tour_id=tour.id,
        stops=[{"number": s["number"], "title": s["title"]} for s in stops],
        months=months,
        lines={str(m): lines[(tour.id, str(m))] for m in LINE_METRICS},
        funnel=funnel,
        per_stop={str(m): [metric_total(m, n) for n in numbers]
                  for m in (Metric.AUDIO_PLAY, Metric.QR_SCAN)},
        downloads={str(m): metric_total(m) for m in DOWNLOAD_METRICS},
        phone_online=sum(n for src, n in phone if src == Source.ONLINE),
        phone_offline=sum(n for src, n in phone if src == Source.OFFLINE),
    )


# Funnel steps that are also in the 12-month table: their totals follow shown_sum.
MONTHLY_STEPS = {"follows": Metric.FOLLOW_START, "completions": Metric.COMPLETION}


def funnel_rows(figs: TourFigures) -> list[dict]:
    """The funnel as shown: each step and its drop-off from the step before. A step whose
    months are shown one by one (follows, completions) is a total of them: "≥" when one is
    hidden, and then no drop-off next to it is exact either."""
    rows, texts = [], []
    for label, n in figs.funnel:
        metric = MONTHLY_STEPS.get(label)
        texts.append(shown_sum(figs.lines[str(metric)]) if metric else shown(n))
    for i, (label, n) in enumerate(figs.funnel):
        if not i:
            drop = ""
        elif texts[i].startswith(("≥", HIDDEN)) or texts[i - 1].startswith(("≥", HIDDEN)):
            drop = HIDDEN
        else:
            drop = shown_difference(figs.funnel[i - 1][1], n)
        rows.append({"label": label, "n": texts[i], "drop": drop, "small": n < SMALL})
    return rows


def tours_overview(today: date) -> list[dict]:
    """Every published or retired tour with this month's and the last 12 months' views,
    follows and completions (raw numbers)."""
    tours = list(db.session.execute(
        select(Tour.id, Tour.slug, Tour.title, Tour.status, Tour.theme_id)
        .where(visibility.reachable_tour()).order_by(Tour.title)))
    ids = [t.id for t in tours]
    lines = monthly(OfferingKind.TOUR, ids, LINE_METRICS, today)
    out = []
    for t in tours:
        row = {"id": t.id, "slug": t.slug, "title": t.title, "status": t.status,
               "theme_id": t.theme_id, "retired": t.status == TourStatus.RETIRED}
        for m in LINE_METRICS:
            series = lines[(t.id, str(m))]
            row[f"{m}_month"] = series[-1]
            row[f"{m}_year"] = sum(series)
            # As it may be shown: the tour's page shows each month, so a total whose months
            # include a hidden one is given as "≥" the shown months (shown_sum).
            row[f"{m}_year_text"] = shown_sum(series)
            row[f"{m}_months"] = series
        out.append(row)
    return out


# What a story's figures are: the views of every page that shows it in full (its own page,
# its place's), its recordings played and its uses of "read aloud".
STORY_METRICS = (Metric.PAGE_VIEW, Metric.AUDIO_PLAY, Metric.READ_ALOUD)


def theme_stories(theme: Theme) -> list[tuple[int, str, int, str]]:
    """The public stories at the theme's public places: (story id, title, place id, place
    title), in one query."""
    return [tuple(r) for r in db.session.execute(
        select(Story.id, Story.title, Place.id, Place.title)
        .join(Place, Story.place_id == Place.id)
        .where(Place.themes.any(Theme.id == theme.id), visibility.public_story())
        .order_by(Story.id))]


def story_figures(stories: list[tuple[int, str, int, str]], since: date,
                  until: date) -> list[dict]:
    """Each story's views, audio plays and read-aloud uses over ``since``..``until`` (raw
    numbers), in the order given."""
    sums = _sums(OfferingKind.STORY, [s[0] for s in stories], since, until)
    per: dict[int, dict[str, int]] = {s[0]: dict.fromkeys(map(str, STORY_METRICS), 0)
                                      for s in stories}
    for (sid, metric, _stop, _src), n in sums.items():
        if metric in per[sid]:
            per[sid][metric] += n
    return [{"id": sid, "title": title, "place_id": pid, "place_title": ptitle, **per[sid]}
            for sid, title, pid, ptitle in stories]


def one_story(story_id: int, today: date) -> tuple[dict, dict]:
    """A story's figures of the last 12 months (whatever its state now: figures outlive what
    they count): its row as ``story_figures`` gives it, and ``{"months", "lines"}`` with each
    metric month by month. NotFound for an id no story has."""
    found = db.session.execute(
        select(Story.id, Story.title, Place.id, Place.title)
        .join(Place, Story.place_id == Place.id).where(Story.id == story_id)).first()
    if found is None:
        raise NotFound(_("There is no story with this number."))
    months = months_back(today)
    lines = monthly(OfferingKind.STORY, [story_id], STORY_METRICS, today)
    row = story_figures([tuple(found)], months[0], today)[0]
    return row, {"months": months,
                 "lines": {str(m): lines[(story_id, str(m))] for m in STORY_METRICS}}


def _least_used(row: dict) -> tuple:
    """Fewest views first; among equals, the fewest listened to or read aloud."""
    return (row[Metric.PAGE_VIEW], row[Metric.AUDIO_PLAY] + row[Metric.READ_ALOUD], row["id"])


def theme_figures(theme: Theme, today: date, least: int = 5) -> dict:
    """A theme: its own page views and follows, the sums of its tours, and its least-used
    tours and stories over the last 12 months (raw numbers)."""
    since = months_back(today)[0]
    own = _sums(OfferingKind.THEME, [theme.id], since, today)
    tours = [r for r in tours_overview(today) if r["theme_id"] == theme.id]
    stories = story_figures(theme_stories(theme), since, today)
    return {
        "views": sum(n for (_o, m, _s, _src), n in own.items() if m == Metric.PAGE_VIEW),
        "follows": sum(n for (_o, m, _s, _src), n in own.items() if m == Metric.FOLLOW_START),
        "tours": tours,
        # Parts of the sums: every month of every tour (each shown on its tour's page).
        "sums": {str(m): [n for r in tours for n in r[f"{m}_months"]] for m in LINE_METRICS},
        "least_tours": sorted(tours, key=lambda r: (r["follow_start_year"],
                                                    r["page_view_year"]))[:least],
        "least_stories": sorted(stories, key=_least_used)[:least],
    }


def stop_total(tour_id: int, metric: Metric, stop: int = WHOLE) -> int:
    """All-time count of one metric at one stop (tests and the review page)."""
    c = UsageCounter
    return int(db.session.scalar(select(func.coalesce(func.sum(c.n), 0)).where(
        c.offering_kind == OfferingKind.TOUR, c.offering_id == tour_id, c.metric == metric,
        c.stop == stop)) or 0)
