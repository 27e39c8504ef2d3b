"""Sphinx extension: lighter pages on a slow link (issue 19, "Heavy pages").

Loaded by the build (``_config.yml``: ``sphinx: local_extensions: {book_pages: scripts}``).

Every figure of a chapter (``<img>`` in the page body) gets ``loading="lazy"`` and
``decoding="async"``: the browser fetches a figure only when the reader scrolls near it, so on
a 10 Mbit/s link the figures further down the page no longer share the link with the text,
the style sheets and the widget manager that the reader needs first. An image that already
says how it loads is left alone. ``scripts/make_pdf.py`` switches them back to eager before
it prints.
"""

from __future__ import annotations

import re

_IMG = re.compile(r"<img(?![^>]*\bloading=)")


def lazy_images(body: str) -> str:
    """``<img …>`` -> ``<img loading="lazy" decoding="async" …>`` unless it has ``loading=``."""
    return _IMG.sub('<img loading="lazy" decoding="async"', body)


def _page_context(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = lazy_images(context["body"])


def setup(app):
    app.connect("html-page-context", _page_context)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
