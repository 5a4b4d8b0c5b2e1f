"""Automatic tags: the names a story is about (entities.py), found in the worker that parses it
and kept with the parse, then added to the story's tags before Pelican counts them.

A found name becomes a tag only when it connects stories: when at least two published stories
have it (`BROADSHEET_AUTO_TAG_MIN_STORIES`), found in their text or given by the curator.

A story's found names depend on its text and on what the build excludes: its own tags (by name
and slug) and its category. The worker works those out as Pelican will (header tags, header
category, else the folder or DEFAULT_CATEGORY); `tag_stories` uses the names only when the
story's real tags, category and the maximum turn out the same, and finds them again otherwise.
"""

from __future__ import annotations

import html
import os
from collections import Counter
from dataclasses import dataclass

from pelican.readers import ensure_metadata_list
from pelican.urlwrappers import Tag

from .entities import MAX_TAGS_DEFAULT, find_entities, html_to_text
from .site import settle_slugs
from .story import Story

#: A found name becomes a tag when at least this many published stories have it (`tag_stories`).
AUTO_TAG_MIN_STORIES_DEFAULT = 2


@dataclass(frozen=True)
class FoundTags:
    """A story's names found in its text (`entities.find_entities`), and the inputs beside its
    text that they depend on: the build uses them only when its own inputs are the same."""

    max_tags: int
    exclude: frozenset[str]
    names: tuple[str, ...]


@dataclass(frozen=True)
class Tagging:
    """What finding a story's tags in a worker needs of the settings: the maximum, the settings
    of tag slugs, and how Pelican picks a story's category when no header names it."""

    max_tags: int
    slug_settings: dict
    default_category: str
    folder_category: bool

    @classmethod
    def of(cls, settings) -> "Tagging":
        slug_settings = {k: v for k, v in settings.items() if "SLUG" in k or k.endswith("_REGEX_SUBSTITUTIONS")}
        folder = bool(settings.get("USE_FOLDER_AS_CATEGORY") and settings.get("CATEGORY_SAVE_AS"))
        return cls(settings.get("BROADSHEET_AUTO_TAGS", MAX_TAGS_DEFAULT), slug_settings,
                   settings.get("DEFAULT_CATEGORY", ""), folder)

    def exclude(self, story: Story, display: str) -> frozenset[str]:
        """The names the build will exclude (`tag_stories` below): the story's tags, by name
        and slug, and its category, as Pelican will make them of the header and the folder."""
        tags = [Tag(name, self.slug_settings) for name in ensure_metadata_list(story.header.get("tags", ""))]
        if "category" in story.header:
            category = story.header["category"]
        elif self.folder_category and os.path.dirname(display):
            category = os.path.basename(os.path.dirname(display))
        else:
            category = self.default_category
        return frozenset(_excluded(tags, category))

    def find(self, story: Story, pieces: dict, body_html: str, display: str) -> FoundTags | None:
        if not self.max_tags:
            return None
        exclude = self.exclude(story, display)
        return FoundTags(self.max_tags, exclude, _names(pieces["title"], pieces["bullets"], body_html, self.max_tags, exclude))


def _excluded(tags, category) -> set[str]:
    """Names a story's found tags leave out: its tags, by name and slug, and its category."""
    return {str(t) for t in tags} | {t.slug for t in tags} | ({str(category)} if category else set())


def _names(title_html: str, bullets_html, body_html: str, max_tags: int, exclude) -> tuple[str, ...]:
    """`find_entities` on a story's typeset title, key points and body."""
    return tuple(find_entities(html.unescape(title_html), [html_to_text(p) for p in bullets_html],
                               html_to_text(body_html), max_tags=max_tags, exclude=exclude))


def _take_found(article) -> FoundTags | None:
    """The names found with the parse, taken off the story: they are for `tag_stories` alone, not
    for the pages (nor for the keys of the pages, pages.py)."""
    article.metadata.pop("found_tags", None)
    return vars(article).pop("found_tags", None)


def tag_stories(generator) -> None:
    """`article_generator_pretaxonomy`: add each story's found names to its tags (`article.auto_tags`),
    those that connect stories: a found name becomes a tag when at least `BROADSHEET_AUTO_TAG_MIN_STORIES`
    published stories have it, found or given by the curator. A name found in one story alone would
    make a tag page that lists only that story: a link that leads nowhere new, and a thin page."""
    settings = generator.settings
    max_tags = settings.get("BROADSHEET_AUTO_TAGS", MAX_TAGS_DEFAULT)
    min_stories = settings.get("BROADSHEET_AUTO_TAG_MIN_STORIES", AUTO_TAG_MIN_STORIES_DEFAULT)
    # Drafts and hidden stories are in no tag list: a found tag of theirs would link to no page.
    for article in [*generator.drafts, *generator.hidden_articles]:
        article.auto_tags = []
        _take_found(article)
    made: dict[str, Tag] = {}  # one tag object per name, as Pelican keys its tag lists by name
    holders: Counter[str] = Counter()  # tag slug → published stories with that tag, given or found
    candidates = []  # (story, its tags, the found tags it may get)
    listed = len(generator.articles)  # the stories in tag lists; translations are not (Pelican lists one)
    for index, article in enumerate([*generator.articles, *generator.translations]):
        article.auto_tags = []
        if not max_tags:
            continue
        tags = list(getattr(article, "tags", []) or [])
        exclude = _excluded(tags, getattr(article, "category", None))
        found = _take_found(article)
        if found and found.max_tags == max_tags and found.exclude == exclude:
            names = found.names
        else:
            names = _names(article.title, getattr(article, "bullets", []) or [], article._content or "", max_tags, exclude)
        slugs = {t.slug for t in tags}
        new = []
        for name in names:
            tag = made.get(name)
            if tag is None:
                tag = made[name] = Tag(name, settings)
                settle_slugs([tag])
            if not tag.slug or tag.slug in slugs:
                continue
            slugs.add(tag.slug)
            new.append(tag)
        if index < listed:
            holders.update(slugs)
        candidates.append((article, tags, new))
    for article, tags, new in candidates:
        article.auto_tags = [tag for tag in new if holders[tag.slug] >= min_stories]
        if article.auto_tags:
            article.tags = tags + article.auto_tags
