"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises.

Stories are stored as typed and sanitised on render, so a change of policy applies to
everything at once.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4",
    "code", "pre", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# Replies are Markdown-light: links and emphasis in paragraphs, nothing that could pass for
# the page's own headings or quote a story at length.
REPLY_TAGS = {"p", "br", "em", "strong", "a"}
URL_SCHEMES = {"http", "https", "mailto"}


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "html": False escapes raw HTML in the source; nh3 is the second line of defence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})


def render_markdown(source: str | None, *, tags: set[str] | None = None) -> Markup:
    """Render Markdown to sanitised HTML safe to place in a template (``tags``: a stricter
    set than a story's, e.g. ``REPLY_TAGS``; markup outside it is dropped, its text kept)."""
    if not source:
        return Markup("")
    rendered = _md().render(source)
    clean = nh3.clean(
        rendered,
        tags=tags if tags is not None else ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)


def render_reply(source: str | None) -> Markup:
    """A reply's Markdown-light (links, emphasis) as sanitised HTML."""
    return render_markdown(source, tags=REPLY_TAGS)


def plain_text(source: str | None, limit: int | None = None) -> str:
    """The text of a Markdown story without markup, optionally shortened at a word."""
    text = html.unescape(nh3.clean(_md().render(source or ""), tags=set())).strip()
    text = " ".join(text.split())
    if limit and len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        text = cut + "…"
    return text
