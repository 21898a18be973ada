"""Moderation: the curators' queue, their decisions, merges, reply templates and roles.

- ``queue``: what waits, oldest first (new places, edits of public places, photos and
  recordings, reports), counts, neighbours, and everything a curator needs for one item;
- ``decisions``: approve, reject or ask for changes;
- ``merge``: a duplicate into a public place (and where a merged address leads);
- ``reply_templates``: the curators' prepared answers;
- ``role_changes``: admins change roles;
- ``notices``: what the contributor is told (mailed by app/notifications.py after the
  commit; a rolled-back decision sends nothing);
- ``base``: the kinds, decisions and reason codes they share.

Every decision is written to the append-only moderation log (services/audit.py). The
contributor also sees the decision and message in /me/contributions, which reads
``PlaceRevision.review_message`` of the newest revision. The names below are the ones the
rest of the app imports from ``app.services.moderation``.
"""

from __future__ import annotations

from app.services.moderation.base import (
    CONVERSATION_KINDS,
    DECISIONS,
    KINDS,
    MAX_MESSAGE,
    NEARBY_RADIUS_M,
    REASON_CODES,
    REVIEWED_KINDS,
)
from app.services.moderation.conversation import tell_reply_author
from app.services.moderation.decisions import decide, latest_reviews
from app.services.moderation.merge import merge, redirect_target
from app.services.moderation.notices import notify_report_decision
from app.services.moderation.queue import (
    counts,
    item,
    nearby_places,
    neighbours,
    next_item,
    open_flags_of,
    queue,
)
from app.services.moderation.reply_templates import (
    create_template,
    delete_template,
    templates,
    update_template,
)
from app.services.moderation.role_changes import change_role, users_for_roles
from app.services.search_index import refresh_search_vector

__all__ = [
    "CONVERSATION_KINDS", "DECISIONS", "KINDS", "MAX_MESSAGE", "NEARBY_RADIUS_M", "REASON_CODES",
    "REVIEWED_KINDS",
    "change_role", "counts", "create_template", "decide", "delete_template", "item",
    "latest_reviews", "merge", "nearby_places", "neighbours", "next_item",
    "notify_report_decision", "open_flags_of", "queue", "redirect_target",
    "refresh_search_vector", "tell_reply_author", "templates", "update_template", "users_for_roles",
]
