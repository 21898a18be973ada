"""Usage figures for curators (/curate/insights: every tour, the reviews that are due, one
tour, one theme, each figure also as CSV), and the printed sheet's QR address /t/<slug>/<n>
that counts a scan and sends the phone on to the stop.

Charts are SVG drawn on the server (templates/curate/insights_charts.html) from the geometry
worked out here; each has its numbers in a table beside it, so no script is needed and screen
readers read the table. Every number goes through figures.shown (counts under 5 as "<5").
"""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import NotFound, rerenders_form
from app.inputs.base import from_form
from app.inputs.usage import GOAL_METRICS, UsageGoalSchema, decision_from_form
from app.models.usage import GoalPeriod, Metric, OfferingKind, ReviewDecision
from app.services import themes as theme_service
from app.services import tours as tour_service
from app.services.insights import counting, retirement, reviews
from app.services.insights import figures as fig
from app.web.curate import curator_required
from app.web.forms import messages_by_field

bp = Blueprint("insights", __name__)


@bp.after_request
def _private(response):
    if request.endpoint != "insights.qr":
        response.headers["Cache-Control"] = "no-store"
    return response


def _today():
    return counting.today(current_app.config)


def _locale() -> str:
    return str(get_locale())


def metric_labels() -> dict[str, str]:
    return {
        "page_view": _("Page views"), "follow_start": _("Follows started"),
        "stop_reached": _("Stops reached"), "completion": _("Completions"),
        "offline_save": _("Saved for offline"), "audio_play": _("Audio plays"),
        "read_aloud": _("Read-aloud uses"), "qr_scan": _("QR scans"),
        "gpx_download": _("GPX downloads"), "pdf_download": _("PDF downloads"),
        "embed_view": _("Embeds viewed"),
    }


def period_labels() -> dict[str, str]:
    return {"week": _("per week"), "month": _("per month"), "year": _("per year")}


def decision_labels() -> dict[str, str]:
    return {"keep": _("Keep"), "adapt": _("Adapt"), "retire": _("Retire")}


# --- the QR address of the printed sheet ------------------------------------------------------


@bp.get("/t/<slug>/<int(max=500):stop>")
def qr(slug: str, stop: int):
    """Count a scan of stop ``stop``'s QR code and send the phone to that stop's page (302:
    a permanent redirect would be remembered, and the next scan not counted)."""
    tour = tour_service.get_visible_tour(slug)
    if tour is None:
        abort(404)
    point = next((s for s in tour_service.stop_points(tour) if s["number"] == stop), None)
    if point is None:
        abort(404)
    target = (url_for("visitor.place", place_id=point["place_id"]) if point["available"]
              else url_for("visitor.tour", slug=tour.slug))
    resp = redirect(target, code=302)
    resp.headers["Cache-Control"] = "no-store"
    return counting.counted(resp, request.method, request.headers, OfferingKind.TOUR,
                            tour.id, Metric.QR_SCAN, stop=stop)


# --- charts -----------------------------------------------------------------------------------

CHART_W, CHART_H, PAD_L, PAD_B, PAD_T = 640, 220, 44, 28, 12
SERIES_COLOURS = {"page_view": "#1d4e89", "follow_start": "#b45309", "completion": "#15803d"}


def line_chart(months, lines: dict[str, list[int]]) -> dict:
    """Geometry of the 12-month line: one polyline per metric; a hidden value (<5) sits on
    the axis as a hollow point, so the line gives away no more than the table."""
    visible = [v for series in lines.values() for v in series if v >= fig.SMALL]
    top = max(visible, default=fig.SMALL)
    plot_w, plot_h = CHART_W - PAD_L - 8, CHART_H - PAD_B - PAD_T
    step = plot_w / max(len(months) - 1, 1)

    def y(v: int) -> float:
        shown_v = v if v >= fig.SMALL else 0
        return round(PAD_T + plot_h - plot_h * shown_v / top, 1)

    series = []
    for metric, values in lines.items():
        pts = [(round(PAD_L + i * step, 1), y(v), v < fig.SMALL) for i, v in enumerate(values)]
        series.append({"metric": metric, "colour": SERIES_COLOURS.get(metric, "#444"),
                       "points": pts, "path": " ".join(f"{px},{py}" for px, py, _h in pts)})
    ticks = [{"y": y(v), "label": str(v)} for v in sorted({fig.SMALL if top > fig.SMALL else 0,
                                                           top // 2, top}) if v >= 0]
    return {"w": CHART_W, "h": CHART_H, "series": series, "ticks": ticks, "left": PAD_L,
            "bottom": CHART_H - PAD_B,
            "x_labels": [{"x": round(PAD_L + i * step, 1),
                          "label": format_date(m, "MMM", rebase=False)}
                         for i, m in enumerate(months)]}


def bar_chart(rows: list[tuple[str, int]]) -> dict:
    """Horizontal bars (the funnel, stops): a hidden value is drawn as a short hatched stub,
    the same for every hidden value."""
    top = max([n for _l, n in rows if n >= fig.SMALL], default=fig.SMALL)
    bar_h, gap, label_w, width = 22, 6, 150, CHART_W
    plot_w = width - label_w - 60
    bars = []
    for i, (label, n) in enumerate(rows):
        hidden = n < fig.SMALL
        bars.append({"y": i * (bar_h + gap), "label": label, "hidden": hidden,
                     "w": 6 if hidden else max(2, round(plot_w * n / top)),
                     "value": fig.shown(n)})
    return {"w": width, "h": len(rows) * (bar_h + gap), "bar_h": bar_h, "label_w": label_w,
            "bars": bars}


def goal_bar(progress: dict | None) -> dict | None:
    if progress is None:
        return None
    hidden = progress["n"] < fig.SMALL
    return {**progress, "shown": fig.shown(progress["n"]),
            "width": 0 if hidden else round(min(progress["ratio"], 1.0) * 100, 1),
            "percent": None if hidden else round(progress["ratio"] * 100)}


# --- pages ------------------------------------------------------------------------------------


def _overview_rows(today) -> list[dict]:
    rows = fig.tours_overview(today)
    goals = reviews.goals_of(OfferingKind.TOUR, [row["id"] for row in rows])
    for row in rows:
        goal = goals.get(row["id"])
        row["goal"] = goal
        row["bar"] = goal_bar(reviews.progress(goal, today)) if goal else None
    return rows


@bp.get("/curate/insights")
@curator_required
def overview():
    today = _today()
    return render_template(
        "curate/insights.html", rows=_overview_rows(today), shown=fig.shown,
        due=[(t, g, goal_bar(reviews.progress(g, today))) for t, g in reviews.due(today)],
        themes=theme_service.all_themes(), labels=metric_labels(), periods=period_labels(),
        locale=_locale(), today=today)


def _tour_values(slug: str, errors=None, status=200):
    today = _today()
    try:
        tour = reviews.tour_by_slug(slug)
    except NotFound:
        abort(404)
    stops = tour_service.stop_points(tour)
    figs = fig.tour_figures(tour, stops, today)
    goal = reviews.goal_of(OfferingKind.TOUR, tour.id)
    labels = metric_labels()
    funnel_labels = [_("Follows started")] + [
        _("Stop %(n)d", n=s["number"]) for s in figs.stops] + [_("Completions")]
    funnel = fig.funnel_rows(figs)
    for row, label in zip(funnel, funnel_labels, strict=True):
        row["text"] = label
    phone = figs.phone_online + figs.phone_offline
    return render_template(
        "curate/insights_tour.html", tour=tour, figs=figs, goal=goal,
        bar=goal_bar(reviews.progress(goal, today)) if goal else None,
        line=line_chart(figs.months, figs.lines),
        month_labels=[format_date(m, "MMMM yyyy") for m in figs.months],
        funnel=funnel, funnel_chart=bar_chart(list(zip(funnel_labels,
                                                       [n for _k, n in figs.funnel], strict=True))),
        offline_share=fig.shown_share(figs.phone_offline, phone), shown=fig.shown,
        labels=labels, periods=period_labels(), decisions=decision_labels(),
        goal_metrics=[str(m) for m in GOAL_METRICS], goal_periods=[str(p) for p in GoalPeriod],
        history=reviews.history(tour), alternatives=retirement.alternatives(tour),
        choices=retirement.retire_choices(tour), due=goal is not None and goal.review_on <= today,
        errors=errors or {}, form=request.form if errors else {}, today=today,
        locale=_locale()), status


@bp.get("/curate/insights/tours/<slug>")
@curator_required
def tour(slug: str):
    return _tour_values(slug)


def _refused(errors, exc, slug: str, **_kwargs):
    """The tour's page again with the messages by their fields (``rerenders_form`` has
    rolled the unit of work back: a refused retirement leaves the tour as it was)."""
    return _tour_values(slug, messages_by_field(errors), exc.status)


@bp.post("/curate/insights/tours/<slug>/goal")
@curator_required
@rerenders_form(_refused)
def set_goal(slug: str):
    tour = reviews.tour_by_slug(slug)
    goal = from_form(UsageGoalSchema(), request.form)
    reviews.set_goal(current_user._get_current_object(), tour, goal, _today())
    flash(_("The goal is set."), "success")
    return redirect(url_for("insights.tour", slug=slug), code=303)


@bp.post("/curate/insights/tours/<slug>/review")
@curator_required
@rerenders_form(_refused)
def decide(slug: str):
    tour = reviews.tour_by_slug(slug)
    asked = decision_from_form(request.form)
    reviews.decide(current_user._get_current_object(), tour, asked, _today())
    flash({ReviewDecision.KEEP: _("Kept. The next review is noted."),
           ReviewDecision.ADAPT: _("Adapted. The note and the new review date are logged."),
           ReviewDecision.RETIRE: _("The tour is retired.")}[asked.decision], "success")
    return redirect(url_for("insights.tour", slug=slug), code=303)


@bp.get("/curate/insights/themes/<slug>")
@curator_required
def theme(slug: str):
    try:
        found = theme_service.get_theme(slug)
    except NotFound:
        abort(404)
    data = fig.theme_figures(found, _today())
    return render_template("curate/insights_theme.html", theme=found, data=data,
                           shown=fig.shown, shown_sum=fig.shown_sum, labels=metric_labels(),
                           locale=_locale())


# --- CSV: every figure of the pages -----------------------------------------------------------


def _csv(name: str, header: list[str], rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    resp = Response(out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return resp


@bp.get("/curate/insights.csv")
@curator_required
def overview_csv():
    today = _today()
    rows = []
    for r in _overview_rows(today):
        for metric in fig.LINE_METRICS:
            rows.append([r["slug"], r["status"], str(metric), fig.shown(r[f"{metric}_month"]),
                         r[f"{metric}_year_text"]])
    return _csv("stadtspur-insights", ["tour", "status", "metric", "this_month",
                                       "last_12_months"], rows)


@bp.get("/curate/insights/tours/<slug>.csv")
@curator_required
def tour_csv(slug: str):
    """Every figure of the tour's page, one per line: figure, item, metric, value."""
    tour = reviews.tour_by_slug(slug)
    today = _today()
    figs = fig.tour_figures(tour, tour_service.stop_points(tour), today)
    rows = []
    goal = reviews.goal_of(OfferingKind.TOUR, tour.id)
    if goal is not None:
        p = reviews.progress(goal, today)
        rows.append(["goal", p["start"].isoformat(), goal.metric, fig.shown(p["n"])])
        rows.append(["goal", "target", goal.metric, str(goal.target)])
    for metric, values in figs.lines.items():
        rows += [["month", m.strftime("%Y-%m"), metric, fig.shown(v)]
                 for m, v in zip(figs.months, values, strict=True)]
    for row in fig.funnel_rows(figs):
        rows.append(["funnel", row["label"], "n", row["n"]])
        if row["drop"]:
            rows.append(["funnel", row["label"], "drop_off", row["drop"]])
    for metric, values in figs.per_stop.items():
        rows += [["stop", str(s["number"]), metric, fig.shown(v)]
                 for s, v in zip(figs.stops, values, strict=True)]
    rows += [["downloads", "", metric, fig.shown(n)] for metric, n in figs.downloads.items()]
    phone = figs.phone_online + figs.phone_offline
    rows.append(["offline_share", "", "beacons", fig.shown_share(figs.phone_offline, phone)])
    return _csv(f"stadtspur-insights-{tour.slug}", ["figure", "item", "metric", "value"], rows)


@bp.get("/curate/insights/themes/<slug>.csv")
@curator_required
def theme_csv(slug: str):
    try:
        found = theme_service.get_theme(slug)
    except NotFound:
        abort(404)
    data = fig.theme_figures(found, _today())
    rows = [["theme", found.slug, "page_view", fig.shown(data["views"])],
            ["theme", found.slug, "follow_start", fig.shown(data["follows"])]]
    rows += [["tours_sum", found.slug, metric, fig.shown_sum(parts)]
             for metric, parts in data["sums"].items()]
    for r in data["tours"]:
        rows += [["tour", r["slug"], str(m), r[f"{m}_year_text"]] for m in fig.LINE_METRICS]
    rows += [["least_used_story", str(st["id"]), str(m), fig.shown(st[m])]
             for st in data["least_stories"] for m in fig.STORY_METRICS]
    return _csv(f"stadtspur-insights-theme-{found.slug}", ["figure", "item", "metric", "value"],
                rows)
