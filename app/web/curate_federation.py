"""Curator page for the federation: block a remote account or a whole instance (its
activities are refused, its follows removed, nothing is delivered to it) and lift a block;
trust one (its replies show at once) and stop trusting it;
and ``remote_author(reply)`` for templates showing a reply from another server.
The forms work without JavaScript and answer with a redirect; refused input is flashed."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import redirects_on_refusal
from app.inputs.base import from_form
from app.inputs.federation import BlockSchema, TrustSchema
from app.services.federation import blocks, trust
from app.services.federation.inbox import remote_author
from app.web.curate import curator_required

bp = Blueprint("curate_federation", __name__)


@bp.app_template_global("remote_author")
def _remote_author(reply) -> dict | None:
    """For the thread: the remote author of a reply without a local one (``handle``,
    ``uri``), else None."""
    return remote_author(reply.id) if reply.author_id is None else None


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _fields() -> dict:
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


@bp.get("/curate/federation")
@curator_required
def page():
    return render_template("curate/federation.html", blocks=blocks.all_blocks(),
                           trusts=trust.all_trusts(),
                           federation=current_app.config["FEDERATION"])


@bp.post("/curate/federation/blocks")
@curator_required
@redirects_on_refusal(lambda: url_for("curate_federation.page"))
def block():
    data = from_form(BlockSchema(), _fields())
    found = blocks.block(current_user._get_current_object(), data["target"], data["reason"])
    flash(_("%(target)s is blocked.", target=found.target), "success")
    return redirect(url_for("curate_federation.page"), code=303)


@bp.post("/curate/federation/blocks/<int:block_id>/delete")
@curator_required
@redirects_on_refusal(lambda block_id: url_for("curate_federation.page"))
def unblock(block_id: int):
    blocks.unblock(current_user._get_current_object(), block_id)
    flash(_("The block is lifted."), "success")
    return redirect(url_for("curate_federation.page"), code=303)


@bp.post("/curate/federation/trusts")
@curator_required
@redirects_on_refusal(lambda: url_for("curate_federation.page"))
def trust_one():
    data = from_form(TrustSchema(), _fields())
    found = trust.trust(current_user._get_current_object(), data["target"])
    flash(_("Replies from %(target)s show at once now.", target=found.target), "success")
    return redirect(url_for("curate_federation.page"), code=303)


@bp.post("/curate/federation/trusts/<int:trust_id>/delete")
@curator_required
@redirects_on_refusal(lambda trust_id: url_for("curate_federation.page"))
def distrust(trust_id: int):
    trust.distrust(current_user._get_current_object(), trust_id)
    flash(_("Replies from there wait for a curator again."), "success")
    return redirect(url_for("curate_federation.page"), code=303)
