"""Site-wide files for crawlers: sitemap.xml, a Google News sitemap and robots.txt.

- `sitemap.xml`: the home page, archives, section and tag indexes, every category, tag and
  edition page and every story page, each with `lastmod` (a story's last change; a listing's newest story).
- `news-sitemap.xml` (namespace http://www.google.com/schemas/sitemap-news/0.9): the stories
  of the last `NEWS_DAYS_DEFAULT` days counted back from the newest story's date, not from the
  clock, so that two builds of the same content are byte-identical; at most
  `NEWS_MAX_URLS_DEFAULT`, newest first.
- `robots.txt`: allows everything and names the sitemap, by absolute URL when SITEURL is
  absolute (publishconf.py), else as `sitemap.xml`.

Output is sorted and carries no time of building. URLs are absolute under an absolute SITEURL,
relative to the site root otherwise.
"""

from __future__ import annotations

import os
from datetime import timedelta
from xml.sax.saxutils import escape

from .sharing import absolute_base, plain_text
from .writer import write_changed

NEWS_DAYS_DEFAULT = 2
NEWS_MAX_URLS_DEFAULT = 1000
SITEMAP = "sitemap.xml"
NEWS_SITEMAP = "news-sitemap.xml"
ROBOTS = "robots.txt"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def _loc(base: str, url: str) -> str:
    if base:
        return f"{base}/{url}" if url else f"{base}/"
    return url or "index.html"


def _changed(article):
    return getattr(article, "modified", None) or article.date


def _newest(stories):
    return max((_changed(a) for a in stories), default=None)


def sitemap_entries(generator) -> list[tuple[str, object]]:
    """(site-relative URL, lastmod) of every page listed in sitemap.xml, sorted by URL."""
    settings = generator.settings
    stories = list(generator.articles)
    newest = _newest(stories)
    entries: dict[str, object] = {}
    if newest is None:
        return []
    entries[""] = newest  # the home page
    for name in ("ARCHIVES", "CATEGORIES", "TAGS"):
        url = settings.get(f"{name}_URL") or settings.get(f"{name}_SAVE_AS") or f"{name.lower()}.html"
        if url and name.lower() in settings.get("DIRECT_TEMPLATES", []):
            entries[url] = newest
    for category, members in generator.categories:
        entries[category.url] = _newest(members)
    tags = generator.tags.items() if isinstance(generator.tags, dict) else generator.tags
    for tag, members in tags:
        entries[tag.url] = _newest(members)
    for edition in generator.context.get("editions") or []:  # plugins/news_reader/editions.py
        if getattr(edition, "url", "") and getattr(edition, "articles", None):
            entries[edition.url] = _newest(edition.articles)
    for article in stories:
        entries[article.url] = _changed(article)
    return sorted(entries.items())


def render_sitemap(entries, base: str) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, lastmod in entries:
        lines.append(f"<url><loc>{escape(_loc(base, url))}</loc><lastmod>{lastmod.isoformat()}</lastmod></url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def news_stories(stories, days: int = NEWS_DAYS_DEFAULT, limit: int = NEWS_MAX_URLS_DEFAULT):
    """Stories published within `days` of the newest one, newest first, at most `limit`."""
    stories = sorted(stories, key=lambda a: (a.date, a.url), reverse=True)
    if not stories:
        return []
    since = stories[0].date - timedelta(days=days)
    return [a for a in stories if a.date >= since][:limit]


def render_news_sitemap(stories, base: str, settings) -> str:
    name = escape(plain_text(settings.get("SITENAME", "")))
    language = escape(settings.get("DEFAULT_LANG", "en"))
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="{NEWS_NS}">',
    ]
    for article in stories:
        lines.append(
            f"<url><loc>{escape(_loc(base, article.url))}</loc><news:news>"
            f"<news:publication><news:name>{name}</news:name><news:language>{language}</news:language></news:publication>"
            f"<news:publication_date>{article.date.isoformat()}</news:publication_date>"
            f"<news:title>{escape(plain_text(article.title))}</news:title></news:news></url>"
        )
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def render_robots(base: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {_loc(base, SITEMAP)}\n"


def _write(output_path: str, name: str, text: str) -> None:
    write_changed(os.path.join(output_path, name), text.encode("utf-8"))


def write_site_files(generator, writer=None) -> None:
    """Signal handler (article_writer_finalized): sitemap.xml, news-sitemap.xml, robots.txt."""
    settings = generator.settings
    base = absolute_base(settings)
    output_path = generator.output_path
    os.makedirs(output_path, exist_ok=True)
    _write(output_path, SITEMAP, render_sitemap(sitemap_entries(generator), base))
    news = news_stories(
        generator.articles,
        days=settings.get("BROADSHEET_NEWS_DAYS", NEWS_DAYS_DEFAULT),
        limit=settings.get("BROADSHEET_NEWS_MAX_URLS", NEWS_MAX_URLS_DEFAULT),
    )
    _write(output_path, NEWS_SITEMAP, render_news_sitemap(news, base, settings))
    _write(output_path, ROBOTS, render_robots(base))
