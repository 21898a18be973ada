"""The federation's jobs: every minute (and at once when asked) the stored inbox activities
are worked off and the outbox fanned out; each delivery is a job of its own, retried with
exponential back-off (4 s, 16 s, 64 s …; the ninth and last attempt comes about a
day after the first)."""

from __future__ import annotations

import logging

import procrastinate

from app.jobs import _in_app_context, jobs

log = logging.getLogger("stadtspur.federation")


@jobs.task(name="federation.deliver", queue="federation",
           retry=procrastinate.RetryStrategy(max_attempts=9, exponential_wait=4,
                                             retry_exceptions={Exception}))
def deliver(actor: str, inbox: str, activity: dict) -> str:
    """Send one activity to one inbox (a failure is retried later)."""
    from app.extensions import db
    from app.services.federation import delivery

    def work() -> str:
        try:
            return delivery.deliver(actor, inbox, activity)
        except delivery.DeliveryFailed:
            db.session.commit()  # the domain's failure count stays, the job is retried
            raise

    return _in_app_context(work)


def queue_delivery(actor: str, inbox: str, activity: dict) -> None:
    """Queue the delivery job of one activity to one inbox."""
    deliver.defer(actor=actor, inbox=inbox, activity=activity)


@jobs.periodic(cron="* * * * *", periodic_id="federation-pump")
@jobs.task(name="federation.pump", queue="federation")
def pump(timestamp: int | None = None) -> dict:
    """Work off the inbox, then queue the deliveries of the outbox."""
    from flask import current_app

    from app.services.federation import delivery, inbox

    def work() -> dict:
        if not current_app.config["FEDERATION"]:
            return {"inbox": 0, "deliveries": 0}
        done = {"inbox": inbox.process_pending(queue_delivery),
                "deliveries": delivery.fan_out_pending(queue_delivery)}
        if any(done.values()):
            log.info("federation pump: %s", done)
        return done

    return _in_app_context(work)
