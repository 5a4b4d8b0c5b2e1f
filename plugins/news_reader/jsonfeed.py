"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1) beside Pelican's Atom and RSS feeds.

feedgenerator writes only Atom and RSS, so this writer makes `FEED_ALL_JSON` (all stories)
and `CATEGORY_FEED_JSON` (one per category, `{slug}` in the name) with `json.dumps`, the same
stories and order as the Atom feeds (newest first, at most FEED_MAX_ITEMS). An item carries
the story as `content_html`, the key points as plain-text `summary`, RFC 3339 dates with
their offset, `authors` when the story has a byline, and its tags. URLs and ids are absolute
under FEED_DOMAIN or SITEURL (publishconf.py), relative in a local build. With the cache on, a
feed is keyed as Pelican's feeds are (pages.PageMemo.feed_key) and not made again when its key
and file are those of the last build.
"""

from __future__ import annotations

import json
import logging
import os

from .render import strip_typography
from .sharing import author_name, key_points_text, plain_text
from .pages import stamp
from .writer import write_changed

logger = logging.getLogger(__name__)

VERSION = "https://jsonfeed.org/version/1.1"


def _base(settings) -> str:
    return (settings.get("FEED_DOMAIN") or settings.get("SITEURL") or "").rstrip("/")


def _join(base: str, path: str) -> str:
    return f"{base}/{path}" if base else path


def feed_item(article, settings) -> dict:
    """One story as a JSON Feed item."""
    url = _join(_base(settings), article.url)
    item = {
        "id": url,
        "url": url,
        "title": plain_text(article.title),
        "content_html": strip_typography(article.content),
        "summary": key_points_text(article),
        "date_published": article.date.isoformat(),
    }
    modified = getattr(article, "modified", None)
    if modified:
        item["date_modified"] = modified.isoformat()
    name = author_name(article)
    if name:
        item["authors"] = [{"name": name}]
    tags = [str(t) for t in getattr(article, "tags", []) or []]
    if tags:
        item["tags"] = tags
    source_url = getattr(article, "source_url", "") or ""
    if source_url.lower().startswith(("http://", "https://")):
        item["external_url"] = source_url
    return item


def newest(articles, settings) -> list:
    """The stories a feed holds: the newest FEED_MAX_ITEMS, cut as Pelican cuts its Atom and RSS
    feeds (None: all of them; 0: none)."""
    return sorted(articles, key=lambda a: (a.date, a.url), reverse=True)[: settings.get("FEED_MAX_ITEMS")]


def feed_document(stories, settings, path: str, title: str | None = None) -> dict:
    """A whole JSON Feed of `stories` (`newest`)."""
    base = _base(settings)
    site = settings.get("SITENAME", "")
    document = {"version": VERSION, "title": f"{site} - {title}" if title else site}
    if base.startswith(("http://", "https://")):
        document["home_page_url"] = f"{base}/"
        document["feed_url"] = f"{base}/{path}"
        document["favicon"] = f"{base}/{settings.get('THEME_STATIC_DIR', 'theme')}/favicon.svg"
    if settings.get("SITESUBTITLE"):
        document["description"] = settings["SITESUBTITLE"]
    document["language"] = settings.get("DEFAULT_LANG", "en")
    document["items"] = [feed_item(a, settings) for a in stories]
    return document


def _write(generator, memo, path: str, articles, title: str | None = None) -> None:
    """One feed, written when its bytes changed; with the page memo on (pages.py), not even made
    when its stories (as a feed reads them), its title and the settings are those of the last
    build and the file is as then written."""
    stories = newest(articles, generator.settings)
    target = os.path.join(generator.output_path, path)
    key = memo.feed_key(stories, generator.context, {"json_feed": path, "feed_title": title}) if memo else None
    files = memo.unchanged(key) if memo else None
    if files is None:
        document = feed_document(stories, generator.settings, path, title)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_changed(target, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        files = ((target, stamp(target)),)
    if memo:
        memo.remember(key, files)


def write_json_feeds(generator, writer=None) -> None:
    """Signal handler (article_writer_finalized): feeds/all.json and one per category."""
    memo = getattr(writer, "pages", None)  # the page memo of Broadsheet's writer, when the cache is on
    all_path = generator.settings.get("FEED_ALL_JSON")
    if all_path:
        _write(generator, memo, all_path, generator.articles)
    pattern = generator.settings.get("CATEGORY_FEED_JSON")
    if pattern:
        for category, stories in generator.categories:
            _write(generator, memo, str(pattern).format(slug=category.slug), stories, title=str(category))
