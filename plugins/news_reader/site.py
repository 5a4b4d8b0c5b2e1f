"""Site-wide fixes that need every story at once: distinct URLs, clean feeds."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

_TYPOGRIFY_SPAN = re.compile(r'<span class="(?:caps|amp|dquo|quo)">(.*?)</span>', re.S)


def dedupe_slugs(generator) -> None:
    """Give stories that share a slug distinct ones (-2, -3, …) in source-path order.

    Pelican aborts the whole build when two articles would write the same file.
    """
    seen: set[str] = set()
    stories = sorted(
        [*generator.articles, *generator.drafts, *generator.hidden_articles],
        key=lambda article: article.source_path,
    )
    for article in stories:
        slug, number = article.slug, 2
        while slug in seen:
            slug, number = f"{article.slug}-{number}", number + 1
        if slug != article.slug:
            logger.warning(
                "%s: another story already has the URL name '%s'; this one is published as '%s'",
                article.relative_source_path,
                article.slug,
                slug,
            )
            article.slug = slug
        seen.add(slug)


def strip_feed_markup(context, feed) -> None:
    """Feeds carry text, not typogrify's styling spans."""
    for item in feed.items:
        for key in ("description", "content"):
            if item.get(key):
                item[key] = _TYPOGRIFY_SPAN.sub(r"\1", item[key])
