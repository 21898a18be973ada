"""HTML blueprints. The URL map of each area lives in its own module."""

from flask import Flask


def register_web_blueprints(app: Flask) -> None:
    from app.web.account import bp as account_bp
    from app.web.assets import bp as assets_bp
    from app.web.contribute import bp as contribute_bp
    from app.web.conversation import bp as conversation_bp
    from app.web.curate import bp as curate_bp
    from app.web.curate_conversation import bp as curate_conversation_bp
    from app.web.curate_federation import bp as curate_federation_bp
    from app.web.i18n import bp as i18n_bp
    from app.web.insights import bp as insights_bp
    from app.web.notifications import bp as notifications_bp
    from app.web.place_talk import bp as place_talk_bp
    from app.web.pwa import bp as pwa_bp
    from app.web.reply_reports import bp as reply_reports_bp
    from app.web.search import bp as search_bp
    from app.web.sitemap import bp as sitemap_bp
    from app.web.stories import bp as stories_bp
    from app.web.story_suggestions import bp as story_suggestions_bp
    from app.web.system import bp as system_bp
    from app.web.themes import bp as themes_bp
    from app.web.tours import bp as tours_bp
    from app.web.transcripts import bp as transcripts_bp
    from app.web.visitor import bp as visitor_bp

    for bp in (assets_bp, system_bp, i18n_bp, visitor_bp, account_bp, contribute_bp, pwa_bp,
               search_bp, themes_bp, tours_bp, curate_bp, insights_bp, sitemap_bp, stories_bp,
               story_suggestions_bp, transcripts_bp, notifications_bp, curate_conversation_bp,
               place_talk_bp, reply_reports_bp, conversation_bp, curate_federation_bp):
        app.register_blueprint(bp)
