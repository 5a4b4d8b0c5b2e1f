"""Related stories: up to three per story, those sharing the most tags first, then stories
of the same category, nearest in time first.

Linear in the number of stories: every story is looked up in an index (tag → its stories,
newest first; category → its stories) and only a window of `CANDIDATES_PER_TAG_DEFAULT`
neighbours around it in each list is scored, so a tag on every story costs no more than a
rare one. Ties go to the story nearest in time, then to the URL (deterministic builds).
"""

from __future__ import annotations

import hashlib
import heapq
from collections import defaultdict

from .cache import memo

RELATED_MAX_DEFAULT = 3
CANDIDATES_PER_TAG_DEFAULT = 24


def _by_date(stories, urls: dict[int, str]):
    return sorted(stories, key=lambda a: (a.date, urls[id(a)]), reverse=True)


def _window(stories, position: dict[int, int], story, size: int):
    """`size` stories around `story` in a date-sorted list (itself left out)."""
    index = position[id(story)]
    half = size // 2
    start = max(0, index - half)
    for other in stories[start : start + size + 1]:
        if other is not story:
            yield other


def find_related(
    stories,
    *,
    max_related: int = RELATED_MAX_DEFAULT,
    candidates_per_tag: int = CANDIDATES_PER_TAG_DEFAULT,
) -> dict[int, list]:
    """id(story) → its related stories, for every story in `stories` (objects with `tags`,
    `category`, `date` and `url`)."""
    tag_names = {id(s): {str(t) for t in getattr(s, "tags", []) or []} for s in stories}
    urls = {id(s): s.url for s in stories}  # read once per story, not once per comparison
    by_tag: dict[str, list] = defaultdict(list)
    by_category: dict[str, list] = defaultdict(list)
    for story in stories:
        for tag in tag_names[id(story)]:
            by_tag[tag].append(story)
        by_category[str(getattr(story, "category", ""))].append(story)
    for index in (by_tag, by_category):
        for key, members in index.items():
            members[:] = _by_date(members, urls)
    tag_positions = {t: {id(s): i for i, s in enumerate(m)} for t, m in by_tag.items()}
    category_positions = {c: {id(s): i for i, s in enumerate(m)} for c, m in by_category.items()}

    seconds = {id(s): s.date.timestamp() for s in stories}
    related: dict[int, list] = {}
    for story in stories:
        key, own, when = id(story), tag_names[id(story)], seconds[id(story)]
        found: dict[int, object] = {}
        for tag in own:
            for other in _window(by_tag[tag], tag_positions[tag], story, candidates_per_tag):
                found[id(other)] = other
        # a candidate found through one tag's window may share others: count them all. Scored as
        # tuples, not through a key function (a call per candidate); the position in the list
        # breaks ties as `heapq.nsmallest(key=...)` does
        scored = [(-len(own & tag_names[k]), abs(seconds[k] - when), urls[k], i, k) for i, k in enumerate(found)]
        chosen = [found[entry[-1]] for entry in heapq.nsmallest(max_related, scored)]
        if len(chosen) < max_related:
            category = str(getattr(story, "category", ""))
            taken = {id(o) for o in chosen}
            nearby = [
                o
                for o in _window(by_category[category], category_positions[category], story, candidates_per_tag)
                if id(o) not in taken
            ]
            scored = [(abs(seconds[id(o)] - when), urls[id(o)], i) for i, o in enumerate(nearby)]
            chosen += [nearby[entry[-1]] for entry in heapq.nsmallest(max_related - len(chosen), scored)]
        related[key] = chosen
    return related


def _inputs(stories, max_related: int) -> str:
    """A hash of everything `find_related` reads: each story's tags, category, date and URL, in
    order, and the number of related stories wanted."""
    shown = [(sorted(str(t) for t in getattr(s, "tags", []) or []), str(getattr(s, "category", "")),
              s.date.isoformat(), s.date.timestamp(), s.url) for s in stories]
    return hashlib.sha256(repr((max_related, CANDIDATES_PER_TAG_DEFAULT, shown)).encode()).hexdigest()


def relate_stories(generator) -> None:
    """After Pelican has sorted stories into tags and categories: `article.related`. With the
    cache on, the last build's answer is taken when its inputs are the same (an edited text,
    a rebuild with nothing changed), as positions in the list of stories."""
    max_related = generator.settings.get("BROADSHEET_RELATED", RELATED_MAX_DEFAULT)
    stories, store = generator.articles, memo("pages")
    key = "related " + _inputs(stories, max_related) if store else None
    kept = store.get(key) if key else None
    if kept is not None and len(kept) == len(stories):
        related = {id(story): [stories[i] for i in chosen] for story, chosen in zip(stories, kept)}
    else:
        related = find_related(stories, max_related=max_related)
    if key:
        position = {id(story): i for i, story in enumerate(stories)}
        store.put(key, [[position[id(other)] for other in related.get(id(story), [])] for story in stories])
    for article in stories:
        article.related = related.get(id(article), [])
