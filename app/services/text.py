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


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    # "html": False escapes raw HTML in the source; nh3 is the second line of defence.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": True})


def render_markdown(source: str | None) -> Markup:
    """Render Markdown to sanitised HTML safe to place in a template."""
    if not source:
        return Markup("")
    rendered = _md().render(source)
    clean = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)


def plain_text(source: str | None, limit: int | None = None) -> str:
    """The text of a Markdown story without markup, optionally shortened at a word."""
    text = html.unescape(nh3.clean(_md().render(source or ""), tags=set())).strip()
    text = " ".join(text.split())
    if limit and len(text) > limit:
        cut = text[: limit - 1].rsplit(" ", 1)[0]
        text = cut + "…"
    return text
