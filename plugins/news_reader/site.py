"""Site-wide work that needs every story at once: one page per text, distinct URLs, clean
feeds, and the build's account of every story file."""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass, field

from .render import strip_typography

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What became of every story file in the last build."""

    published: int = 0
    drafts: list[str] = field(default_factory=list)
    hidden: int = 0
    skipped: list[str] = field(default_factory=list)  # the same text as a published story
    errors: list[str] = field(default_factory=list)  # files that could not be published
    pages: dict[str, str] = field(default_factory=dict)  # published stories' pages (in the output) → dates, for search

    def summary(self) -> str:
        return (
            f"Broadsheet: {self.published} published, {len(self.drafts)} drafts, {self.hidden} hidden, "
            f"{len(self.skipped)} skipped, {len(self.errors)} errors"
        )


#: The report of the last build in this process (read by `invoke build`).
LAST_REPORT = BuildReport()


def settle_stories(generator) -> None:
    """Before tags and categories are counted: one page per text, a URL of its own for each, and
    one order for every listing (newest first; stories of the same time by file name)."""
    paths = {id(a): a.relative_source_path for a in generator.articles}  # (a `relpath` at each read)
    _drop_repeated_texts(generator, paths)
    for article in generator.articles:
        _keep_urls(article)
    dedupe_slugs(generator)
    generator.articles.sort(key=lambda a: (a.date, paths[id(a)]), reverse=True)
    _link_neighbours(generator.articles)


# --- URLs worked out once ---------------------------------------------------------------------------

#: Article class → its subclass whose `url` and `save_as` are worked out once per story.
_FIXED_CLASSES: dict[type, type] = {}
#: What such a subclass keeps once worked out.
_KEPT = ("url", "save_as", "url_format")


def _fixed_class(cls: type) -> type:
    fixed = _FIXED_CLASSES.get(cls)
    if fixed is None:
        # the same name: Pelican reads settings by class name (ARTICLE_URL); isinstance still holds
        fixed = type(cls.__name__, (cls,), {
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
            "url": functools.cached_property(cls.url.fget),
            "save_as": functools.cached_property(cls.save_as.fget),
            "url_format": functools.cached_property(cls.url_format.fget),  # what both are made from
        })
        _FIXED_CLASSES[cls] = fixed
    return fixed


def _keep_urls(article) -> None:
    """Pelican works out a story's URL anew, from its settings and metadata, every time it is read
    (`article.url`, `article.save_as`): its own check of each story, our check of distinct URLs,
    and tag, category, edition and archive pages read them tens of thousands of times at 1,000
    stories. Dates and status are settled by now (pretaxonomy), and a slug changed after this
    (`dedupe_slugs`) forgets them (`_forget_urls`), so each published story keeps the URL it
    works out first; the pages are the same."""
    cls = type(article)
    if isinstance(getattr(cls, "url", None), property) and isinstance(getattr(cls, "save_as", None), property):
        article.__class__ = _fixed_class(cls)


def _forget_urls(article) -> None:
    """A story whose slug changed works out its URLs again."""
    if type(article) in _FIXED_CLASSES.values():
        for name in _KEPT:
            vars(article).pop(name, None)


#: (wrapper class, name) → slug, for the build in progress.
_SLUGS: dict[tuple[type, str], str] = {}


def forget_slugs(*_args) -> None:
    """`article_generator_init`: a new build, perhaps with other slug settings."""
    _SLUGS.clear()


def settle_story_slugs(content) -> None:
    """`content_object_init`: the slugs of a story's tags, category and authors (settle_slugs)."""
    settle_slugs([*(getattr(content, "tags", None) or []), *(getattr(content, "authors", None) or []),
                  *filter(None, [getattr(content, "category", None)])])


def settle_slugs(wrappers) -> None:
    """Each tag's, category's or author's slug as Pelican works it out, but once per name in a
    build: Pelican slugifies every new object anew, and each story has objects of its own."""
    for wrapper in wrappers:
        if wrapper._slug is None and wrapper._slug_from_name:
            slug = _SLUGS.get((type(wrapper), wrapper.name))
            if slug is None:
                _SLUGS[(type(wrapper), wrapper.name)] = wrapper.slug
            else:
                wrapper._slug = slug


def _link_neighbours(articles) -> None:
    """Each story's older and newer neighbour, in one pass (for its previous/next links)."""
    for index, article in enumerate(articles):
        article.next_article = articles[index - 1] if index > 0 else None
        article.prev_article = articles[index + 1] if index + 1 < len(articles) else None


def _drop_repeated_texts(generator, paths: dict[int, str]) -> None:
    """The same story added twice (same title and text) is published once, from the first file
    (`paths`: each story's path in the content folder)."""
    LAST_REPORT.skipped.clear()
    seen: dict[str, str] = {}
    kept = []
    for article in sorted(generator.articles, key=lambda a: paths[id(a)]):
        path = paths[id(article)]
        # the text as read (`content` would rewrite its links first, on every read)
        key = hashlib.sha256(f"{article.title}\n{article._content}".encode()).hexdigest()
        if key in seen:
            logger.warning("%s: the same story as %s; published once, from %s", path, seen[key], seen[key])
            LAST_REPORT.skipped.append(path)
            continue
        seen[key] = path
        kept.append(article)
    kept_ids = {id(a) for a in kept}
    generator.articles[:] = [a for a in generator.articles if id(a) in kept_ids]



def dedupe_slugs(generator) -> None:
    """Give stories that would write the same file distinct slugs (-2, -3, …) in source-path order.

    Pelican aborts the whole build when two articles would write the same file; stories with one
    title in different months (a URL with the date in it) do not clash and keep their slug.
    """
    seen: set[str] = set()
    stories = sorted(
        [*generator.articles, *generator.drafts, *generator.hidden_articles],
        key=lambda article: article.source_path,
    )
    for article in stories:
        original, number, path = article.slug, 2, article.save_as  # kept for a published story (_keep_urls)
        while path in seen:
            article.slug, number = f"{original}-{number}", number + 1
            _forget_urls(article)
            path = article.save_as
        if article.slug != original:
            logger.warning(
                "%s: another story already has the URL name '%s'; this one is published as '%s'",
                article.relative_source_path,
                original,
                article.slug,
            )
        seen.add(path)


def strip_feed_markup(context, feed) -> None:
    """Feeds carry text, not typogrify's styling spans."""
    for item in feed.items:
        for key in ("description", "content"):
            if item.get(key):
                item[key] = strip_typography(item[key])


def report_build(generators) -> None:
    """Account for every story file: published, draft, hidden, skipped or an error."""
    for generator in generators:
        if not hasattr(generator, "drafts"):
            continue
        published = [*generator.articles, *generator.translations]
        LAST_REPORT.published = len(published)
        LAST_REPORT.pages = {article.save_as: article.date.date().isoformat()
                             for article in published if article.save_as}  # "": no page of its own
        LAST_REPORT.drafts = sorted(a.relative_source_path for a in generator.drafts)
        LAST_REPORT.hidden = len(generator.hidden_articles)
        LAST_REPORT.errors = sorted(
            path for path, content in generator.context["generated_content"].items() if content is None
        )
    logger.info("%s", LAST_REPORT.summary())
