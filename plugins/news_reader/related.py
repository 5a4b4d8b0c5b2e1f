"""Related stories: up to three per story, those sharing the most tags first, then stories
of the same category, nearest in time first.

Linear in the number of stories: every story is looked up in an index (tag → its stories,
newest first; category → its stories) and only a window of `CANDIDATES_PER_TAG_DEFAULT`
neighbours around it in each list is scored, so a tag on every story costs no more than a
rare one. Ties go to the story nearest in time, then to the URL (deterministic builds).
"""

from __future__ import annotations

import heapq
from collections import defaultdict

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
    urls = {id(s): s.url for s in stories}  # Pelican works a URL out anew on every `.url`
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
        # a candidate found through one tag's window may share others: count them all
        chosen = heapq.nsmallest(
            max_related,
            found.values(),
            key=lambda o: (-len(own & tag_names[id(o)]), abs(seconds[id(o)] - when), urls[id(o)]),
        )
        if len(chosen) < max_related:
            category = str(getattr(story, "category", ""))
            taken = {id(o) for o in chosen}
            nearby = [
                o
                for o in _window(by_category[category], category_positions[category], story, candidates_per_tag)
                if id(o) not in taken
            ]
            chosen += heapq.nsmallest(max_related - len(chosen), nearby, key=lambda o: (abs(seconds[id(o)] - when), urls[id(o)]))
        related[key] = chosen
    return related


def relate_stories(generator) -> None:
    """After Pelican has sorted stories into tags and categories: `article.related`."""
    max_related = generator.settings.get("BROADSHEET_RELATED", RELATED_MAX_DEFAULT)
    related = find_related(generator.articles, max_related=max_related)
    for article in generator.articles:
        article.related = related.get(id(article), [])
