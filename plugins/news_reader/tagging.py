"""Automatic tags: the names a story is about (entities.py), found in the worker that parses it
and kept with the parse, then added to the story's tags before Pelican counts them.

A found name becomes a tag only when it connects stories: when at least two published stories
have it (`BROADSHEET_AUTO_TAG_MIN_STORIES`), found in their text or given by the curator. Each
story gets the first of its names, most prominent first, that are shared, up to
`BROADSHEET_AUTO_TAGS`: the worker keeps every name, so a shared name is not lost behind five
that no other story has (`shared_names`).

A story's found names depend on its text and on what the build excludes: its own tags (by name
and slug) and its category. The worker works those out as Pelican will (header tags, header
category, else the folder or DEFAULT_CATEGORY); `tag_stories` uses the names only when the
story's real tags and category turn out the same, and finds them again otherwise.
"""

from __future__ import annotations

import heapq
import html
import operator
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
    """A story's names found in its text (`entities.find_entities`), all of them, most prominent
    first, and what they leave out beside its text: the build uses them only when its own tags
    and category leave out the same."""

    exclude: frozenset[str]
    names: tuple[str, ...]
    slugs: tuple[str, ...]  # each name's tag slug


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
        return cls(settings.get("BROADSHEET_AUTO_TAGS", MAX_TAGS_DEFAULT) or 0, slug_settings,  # None: off, as 0
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
        settle_slugs(tags)  # once per name in a build, as the found names' below
        return frozenset(_excluded(tags, category))

    def find(self, story: Story, pieces: dict, body_html: str, display: str) -> FoundTags | None:
        if self.max_tags <= 0:
            return None
        return self.found(pieces["title"], pieces["bullets"], body_html, self.exclude(story, display))

    def found(self, title_html: str, bullets_html, body_html: str, exclude) -> FoundTags:
        """`find_entities` on a story's typeset title, key points and body: every name, most
        prominent first, with its slug (made in the workers)."""
        names = tuple(find_entities(html.unescape(title_html), [html_to_text(p) for p in bullets_html],
                                    html_to_text(body_html), max_tags=None, exclude=exclude))
        tags = [Tag(name, self.slug_settings) for name in names]
        settle_slugs(tags)  # once per name in a build (the workers are forked after `forget_slugs`)
        return FoundTags(exclude, names, tuple(tag.slug for tag in tags))


def _excluded(tags, category) -> set[str]:
    """Names a story's found tags leave out: its tags, by name and slug, and its category."""
    return {str(t) for t in tags} | {t.slug for t in tags} | ({str(category)} if category else set())


def _take_found(article) -> FoundTags | None:
    """The names found with the parse, taken off the story: they are for `tag_stories` alone, not
    for the pages (nor for the keys of the pages, pages.py)."""
    article.metadata.pop("found_tags", None)
    return vars(article).pop("found_tags", None)


def shared_names(names_per_story: list[list[str]], given: Counter[str], max_tags: int, min_stories: int) -> set[str]:
    """The found names that become tags: each story takes the first `max_tags` of its names (most
    prominent first) that are among them, and each of them is then taken by at least `min_stories`
    stories, counting `given` (the curator's tags, per name). Pure; names are tag slugs here.

    A name that too few stories have is never one. Then, while some name is taken by too few
    stories (the others took more prominent names), the one taken least (then the first in
    alphabetical order) is struck off, and the stories that took it take their next name. The
    result does not depend on the order of the stories."""
    could = given + Counter(name for names in names_per_story for name in names)
    left = {name for names in names_per_story for name in names if could[name] >= min_stories}
    chosen = [first_shared(names, left, max_tags) for names in names_per_story]
    takers: dict[str, list[int]] = {}
    for story, names in enumerate(chosen):
        for name in names:
            takers.setdefault(name, []).append(story)

    def held(name: str) -> int:
        return given[name] + len(takers.get(name, ()))

    thin = [(held(name), name) for name in left if held(name) < min_stories]
    heapq.heapify(thin)
    while thin:
        count, name = heapq.heappop(thin)
        if held(name) >= min_stories:
            continue  # a story took it since
        if held(name) != count:
            heapq.heappush(thin, (held(name), name))
            continue
        left.discard(name)
        for story in takers.pop(name, ()):
            before, chosen[story] = chosen[story], first_shared(names_per_story[story], left, max_tags)
            for taken in chosen[story]:
                if taken not in before:
                    takers.setdefault(taken, []).append(story)
    return left


def first_shared(names: list, shared: set[str], max_tags: int, slug=lambda name: name) -> list:
    """A story's found tags: the first `max_tags` of its `names` whose slug is `shared`."""
    return [name for name in names if slug(name) in shared][:max_tags]


def tag_stories(generator) -> None:
    """`article_generator_pretaxonomy`: add each story's found names to its tags (`article.auto_tags`),
    those that connect stories (`shared_names`): a found name becomes a tag when at least
    `BROADSHEET_AUTO_TAG_MIN_STORIES` published stories have it, found or given by the curator. A
    name found in one story alone would make a tag page that lists only that story: a link that
    leads nowhere new, and a thin page."""
    settings = generator.settings
    tagging = Tagging.of(settings)
    max_tags = tagging.max_tags
    min_stories = settings.get("BROADSHEET_AUTO_TAG_MIN_STORIES", AUTO_TAG_MIN_STORIES_DEFAULT)
    # Drafts and hidden stories are in no tag list: a found tag of theirs would link to no page.
    for article in [*generator.drafts, *generator.hidden_articles, *generator.drafts_translations,
                    *generator.hidden_translations]:
        article.auto_tags = []
        _take_found(article)
    made: dict[str, Tag] = {}  # one tag object per name (Pelican groups tags by slug)
    given: Counter[str] = Counter()  # tag slug → published stories the curator gave that tag
    candidates = []  # (story, its tags, the (name, slug) it may get as tags, most prominent first)
    listed = len(generator.articles)  # the stories in tag lists; translations are not (Pelican lists one)
    for index, article in enumerate([*generator.articles, *generator.translations]):
        article.auto_tags = []
        found = _take_found(article)  # off the story even when tags are off: cached with an earlier setting
        if max_tags <= 0:
            continue
        tags = list(getattr(article, "tags", []) or [])
        exclude = _excluded(tags, getattr(article, "category", None))
        if not found or found.exclude != exclude:
            found = tagging.found(article.title, getattr(article, "bullets", []) or [], article._content or "", exclude)
        slugs = {t.slug for t in tags}
        if index < listed:
            given.update(slugs)
        new = []
        for name, slug in zip(found.names, found.slugs):
            if slug and slug not in slugs:
                slugs.add(slug)
                new.append((name, slug))
        candidates.append((article, tags, new))
    shared = shared_names([[slug for _, slug in new] for _, _, new in candidates[:listed]], given, max_tags, min_stories)
    for article, tags, new in candidates:
        article.auto_tags = [_tag(name, made, settings) for name, _ in first_shared(new, shared, max_tags, operator.itemgetter(1))]
        if article.auto_tags:
            article.tags = tags + article.auto_tags


def _tag(name: str, made: dict[str, Tag], settings) -> Tag:
    """The build's one tag object named `name`."""
    tag = made.get(name)
    if tag is None:
        tag = made[name] = Tag(name, settings)
        settle_slugs([tag])
    return tag
