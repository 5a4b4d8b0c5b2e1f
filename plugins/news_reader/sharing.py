"""What a story page tells link previews and search engines: plain-text description and
title for OpenGraph and Twitter cards, and schema.org `NewsArticle` JSON-LD.

Everything is built here in Python (the theme's Jinja has autoescape off): text comes out
unescaped plain text for the theme to escape once with `|e`, and the JSON-LD is made by
`json.dumps` with `<`, `>` and `&` written as `\\u003c`, `\\u003e`, `\\u0026`, so no story
text can close the `<script type="application/ld+json">` data block it sits in.
JSON-LD is only written when SITEURL is absolute (publishconf.py): its URLs must be.
"""

from __future__ import annotations

import html
import json
import re

_TAG = re.compile(r"<[^>]*>")
_LIST_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_BY = re.compile(r"^\s*by\s+", re.I)


def plain_text(markup: str) -> str:
    """Text of an escaped or marked-up snippet: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(_TAG.sub("", markup or "")).split())


def key_points_text(article) -> str:
    """The key points as one plain-text paragraph (each ends as a sentence)."""
    points = [plain_text(p) for p in _LIST_ITEM.findall(getattr(article, "summary", "") or "")]
    if not points:
        return plain_text(getattr(article, "summary", "") or "")
    return " ".join(p if p[-1:] in ".!?…" else p + "." for p in points if p)


def absolute_base(settings) -> str:
    """SITEURL when it is absolute (publishing), else ''."""
    siteurl = settings.get("SITEURL", "") or ""
    return siteurl.rstrip("/") if siteurl.startswith(("http://", "https://")) else ""


def author_name(article) -> str:
    """The byline as a name ("By Jane Doe" → "Jane Doe"), or ''."""
    return _BY.sub("", plain_text(getattr(article, "byline", "") or ""))


def json_for_html(data) -> str:
    """JSON safe inside an HTML `<script>` data block: no `<`, `>` or `&` characters left."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def news_article(article, settings) -> dict:
    """schema.org NewsArticle of a story, with absolute URLs under `absolute_base`."""
    base = absolute_base(settings)
    url = f"{base}/{article.url}"
    modified = getattr(article, "modified", None) or article.date
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": plain_text(article.title),
        "url": url,
        "datePublished": article.date.isoformat(),
        "dateModified": modified.isoformat(),
        "description": key_points_text(article),
        "publisher": {"@type": "Organization", "name": settings.get("SITENAME", ""), "url": f"{base}/"},
        "inLanguage": getattr(article, "lang", None) or settings.get("DEFAULT_LANG", "en"),
    }
    if getattr(article, "category", None):
        data["articleSection"] = str(article.category)
    tags = [str(t) for t in getattr(article, "tags", []) or []]
    if tags:
        data["keywords"] = tags
    name = author_name(article)
    if name:
        data["author"] = [{"@type": "Person", "name": name}]
    source_url = getattr(article, "source_url", "") or ""
    if source_url.lower().startswith(("http://", "https://")):
        data["isBasedOn"] = source_url
    return data


def describe_stories(generator) -> None:
    """`article.share_title`, `article.share_description` (plain text) and `article.json_ld`."""
    settings = generator.settings
    absolute = bool(absolute_base(settings))
    for article in [*generator.articles, *generator.translations]:
        article.share_title = plain_text(article.title)
        article.share_description = key_points_text(article)
        article.json_ld = json_for_html(news_article(article, settings)) if absolute else ""
