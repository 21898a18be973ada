"""What counting adds to a page view: the same tour page with and without its count, in one
run, interleaved (issue 14: under 1 ms at the 99th percentile).

    .venv/bin/python -m bench.counting [--rounds 6] [--requests 300]

Runs the app in-process on the development database (`make db`, with the demo content of
`make seed`) through Flask's test client, so the numbers are the app's own work without a
network. Each round measures a block with counting and a block without (counting switched
off by a DNT header, which leaves only the header check), in mirrored order (with, without,
without, with), and reports per side the p50 and p99 of

  - response: until the response is ready (what the visitor waits for; the count has not
    run yet: it runs when the server closes the sent response), and
  - worker: until the response is closed, count included (what the worker is busy for).

The overhead is with minus without, per round; the target is met when every round's p99
response overhead is under 1 ms. On a busy machine the two page blocks differ by more than
counting can cost, so the bench also times the parts on their own: registering the count
on the response (all that the visitor's response waits for), the bot check and the write
(both after the response). Not a test: the suite never runs it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0 Mobile Safari/537.36")
TARGET_MS = 1.0


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def block(client, url: str, n: int, counting: bool) -> tuple[list[float], list[float]]:
    headers = {"User-Agent": PHONE} if counting else {"User-Agent": PHONE, "DNT": "1"}
    response_ms, worker_ms = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = client.get(url, headers=headers)
        t1 = time.perf_counter()
        resp.close()
        t2 = time.perf_counter()
        assert resp.status_code == 200
        response_ms.append((t1 - t0) * 1000)
        worker_ms.append((t2 - t0) * 1000)
    return response_ms, worker_ms


def _parts(app, n: int = 2000) -> dict:
    """The costs of counting's parts, each timed alone."""
    from datetime import date

    from flask import make_response

    from app.services.insights import counting

    agent = {"User-Agent": PHONE}
    out = {}
    with app.test_request_context("/"):
        resp = make_response("x")
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            counting.counted(resp, "GET", agent, counting.OfferingKind.TOUR, 1,
                             counting.Metric.PAGE_VIEW)
            times.append((time.perf_counter() - t0) * 1000)
        out["register (response)"] = times
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            counting.is_bot(PHONE)
            times.append((time.perf_counter() - t0) * 1000)
        out["bot check (after)"] = times
        url = counting.database_url(app.config)
        # A counter of a tour id no tour has, removed again below.
        rows = [counting.Count(counting.OfferingKind.TOUR, 2**62, counting.Metric.PAGE_VIEW,
                               date.today())]
        times = []
        for _ in range(n // 4):
            t0 = time.perf_counter()
            counting.write(url, rows)
            times.append((time.perf_counter() - t0) * 1000)
        out["write (after)"] = times
        from sqlalchemy import text

        with counting._engine(url).connect() as conn:
            conn.execute(text("DELETE FROM usage_counters WHERE offering_id = :i"), {"i": 2**62})
    return {k: {"p50": round(p(v, 0.5), 4), "p99": round(p(v, 0.99), 4)} for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Tour

    app = create_app({"RATELIMIT_ENABLED": False})
    with app.app_context():
        slug = db.session.scalar(select(Tour.slug).where(Tour.status == "published")
                                 .order_by(Tour.id))
        db.session.remove()
    if slug is None:
        raise SystemExit("No published tour: run `make seed` first.")
    url = f"/tours/{slug}"
    client = app.test_client()
    block(client, url, 50, True)  # warm: templates, pools, the bot list
    block(client, url, 50, False)

    rounds = []
    for _ in range(args.rounds):
        got = {}
        for side in ("with", "without", "without", "with"):
            resp, work = block(client, url, args.requests // 2, side == "with")
            got.setdefault(side, ([], []))
            got[side][0].extend(resp)
            got[side][1].extend(work)
        rounds.append({
            side: {"response_p50": p(v[0], 0.5), "response_p99": p(v[0], 0.99),
                   "worker_p50": p(v[1], 0.5), "worker_p99": p(v[1], 0.99)}
            for side, v in got.items()})
    overhead = {k: [r["with"][k] - r["without"][k] for r in rounds]
                for k in ("response_p50", "response_p99", "worker_p50", "worker_p99")}
    parts = _parts(app)
    summary = {
        "parts_ms": parts,
        "url": url, "rounds": args.rounds, "requests_per_side_per_round": args.requests,
        "overhead_ms": {k: {"median": round(statistics.median(v), 3), "min": round(min(v), 3),
                            "max": round(max(v), 3)} for k, v in overhead.items()},
        "p99_response_target_ms": TARGET_MS,
        "met": all(v < TARGET_MS for v in overhead["response_p99"]),
        "rounds_detail": rounds,
    }
    for k, v in parts.items():
        print(f"{k:>22}: p50 {v['p50']:.4f} ms, p99 {v['p99']:.4f} ms")
    for k, v in summary["overhead_ms"].items():
        print(f"{k:>13} overhead: median {v['median']:.3f} ms (min {v['min']:.3f}, max "
              f"{v['max']:.3f})")
    print(f"p99 response overhead under {TARGET_MS} ms in every round: {summary['met']}")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
