"""Open data about use: monthly figures per published tour (page views, follows started,
completions) for the last 12 months, counts under 5 given as "<5", under CC0."""

from __future__ import annotations

import csv
import io

from flask import current_app

from app.services.insights import counting
from app.services.insights.figures import LINE_METRICS, months_back, shown, tours_overview
from app.services.insights.figures import monthly as monthly_counts

LICENCE = "CC0-1.0"
LICENCE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
NAMES = {"page_view": "views", "follow_start": "follows", "completion": "completions"}
COLUMNS = ("tour", "title", "month", "views", "follows", "completions")


def rows() -> list[dict]:
    """One row per published tour and month, oldest month first, counts as shown."""
    today = counting.today(current_app.config)
    months = months_back(today)
    tours = [t for t in tours_overview(today) if not t["retired"]]
    series = monthly_counts(counting.OfferingKind.TOUR, [t["id"] for t in tours],
                            LINE_METRICS, today)
    out = []
    for t in tours:
        for i, month in enumerate(months):
            row = {"tour": t["slug"], "title": t["title"], "month": month.strftime("%Y-%m")}
            for metric in LINE_METRICS:
                row[NAMES[str(metric)]] = shown(series[(t["id"], str(metric))][i])
            out.append(row)
    return out


def document(csv_url: str) -> dict:
    """The JSON document: licence, what the numbers mean, and the rows."""
    return {
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "description": "Monthly use of each published Stadtspur tour: page views, follows "
                       "started and completions. Counts under 5 are given as \"<5\". Nothing "
                       "personal is counted; requests with DNT or Sec-GPC and bots are not.",
        "csv": csv_url,
        "columns": list(COLUMNS),
        "rows": rows(),
    }


def csv_text() -> str:
    """The rows as CSV with a header line."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows():
        title = row["title"]
        # Spreadsheets run cells starting like formulas: keep free text inert.
        writer.writerow({**row, "title": "'" + title if title[:1] in "=+-@" else title})
    return out.getvalue()
