"""Related stories: up to three per story, those sharing the most tags first, then stories
of the same category, nearest in time first.

Linear in the number of stories: every story is looked up in an index (tag → its stories,
newest first; category → its stories) and only a window of `CANDIDATES_PER_TAG_DEFAULT`
neighbours around it in each list is scored, so a tag on every story costs no more than a
rare one. Ties go to the story nearest in time, then to the URL (deterministic builds). Each
story's answer depends on the indexes only, so many stories are shared out between forked
children on the spare cores (forked.py).
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from . import forked
from .cache import memo

RELATED_MAX_DEFAULT = 3
CANDIDATES_PER_TAG_DEFAULT = 24
#: Fewer stories to relate than this per core: forking a child costs more than it saves.
PARALLEL_MIN_STORIES = 400


def _tag_names(story) -> frozenset[str]:
    return frozenset(str(t) for t in getattr(story, "tags", []) or [])


def _category(story) -> str:
    return str(getattr(story, "category", ""))


def _by_date(stories, urls: dict[int, str]):
    return sorted(stories, key=lambda a: (a.date, urls[id(a)]), reverse=True)


def _around(stories: list, position: dict[int, int], key: int, size: int) -> list:
    """`size` stories around the story with id `key` in a date-sorted list, itself among them
    (a slice, made at C speed)."""
    start = max(0, position[key] - size // 2)
    return stories[start : start + size + 1]


def find_related(
    stories,
    *,
    max_related: int = RELATED_MAX_DEFAULT,
    candidates_per_tag: int = CANDIDATES_PER_TAG_DEFAULT,
    only: set[int] | None = None,
) -> dict[int, list]:
    """id(story) → its related stories, for every story in `stories` (objects with `tags`,
    `category`, `date` and `url`), or for those whose id is in `only`."""
    tag_names = {id(s): _tag_names(s) for s in stories}
    urls = {id(s): s.url for s in stories}  # read once per story, not once per comparison
    by_tag: dict[str, list] = defaultdict(list)
    by_category: dict[str, list] = defaultdict(list)
    for story in stories:
        for tag in tag_names[id(story)]:
            by_tag[tag].append(story)
        by_category[_category(story)].append(story)
    ordered: dict[tuple, tuple[list, dict]] = {}

    def in_order(index: dict, key: str) -> tuple[list, dict]:
        """A tag's or a category's stories, newest first, and each one's position: sorted when first used."""
        found = ordered.get((id(index), key))
        if found is None:
            members = _by_date(index[key], urls)
            found = ordered[(id(index), key)] = members, {id(s): i for i, s in enumerate(members)}
        return found

    seconds = {id(s): s.date.timestamp() for s in stories}
    related: dict[int, list] = {}
    for story in stories:
        key, own, when = id(story), tag_names[id(story)], seconds[id(story)]
        if only is not None and key not in only:
            continue
        found: dict[int, object] = {}
        for tag in own:
            window = _around(*in_order(by_tag, tag), key, candidates_per_tag)
            found.update(zip(map(id, window), window))
        found.pop(key, None)
        ids = list(found)
        shared = list(map(len, map(own.intersection, map(tag_names.__getitem__, ids))))  # tags in common
        # the chosen share at least as many tags as the max_related-th best: only those are scored, as
        # tuples (no key function: a call per candidate); the place in `found` breaks ties as
        # `heapq.nsmallest(key=...)` does
        least = heapq.nlargest(max_related, shared)[-1] if ids and max_related > 0 else len(own) + 1
        scored = [(-n, abs(seconds[k] - when), urls[k], i, k) for i, (k, n) in enumerate(zip(ids, shared)) if n >= least]
        chosen = [found[entry[-1]] for entry in heapq.nsmallest(max_related, scored)]
        if len(chosen) < max_related:
            category = _category(story)
            taken = {id(o) for o in chosen}
            window = _around(*in_order(by_category, category), key, candidates_per_tag)
            nearby = [o for o in window if o is not story and id(o) not in taken]
            scored = [(abs(seconds[id(o)] - when), urls[id(o)], i) for i, o in enumerate(nearby)]
            chosen += [nearby[entry[-1]] for entry in heapq.nsmallest(max_related - len(chosen), scored)]
        related[key] = chosen
    return related


def find_related_on_all_cores(stories, *, max_related: int = RELATED_MAX_DEFAULT, only: set[int] | None = None) -> dict[int, list]:
    """`find_related`, shared with forked children on the spare cores when there are many stories
    to relate: each works out every n-th of them and reports them by their place in `stories`."""
    wanted = [place for place, story in enumerate(stories) if only is None or id(story) in only]
    parts = min(forked.spare_cores() + 1, len(wanted) // PARALLEL_MIN_STORIES)
    if parts < 2:
        return find_related(stories, max_related=max_related, only=only)
    shares = [wanted[first::parts] for first in range(parts)]
    children = [forked.fork(_related_places, stories, max_related, share) for share in shares[1:]]
    try:
        related = find_related(stories, max_related=max_related, only={id(stories[place]) for place in shares[0]})
    finally:
        outcomes = [child.outcome() for child in children]  # never leave a child behind
        forked.thaw()
    for outcome in forked.made(outcomes, "relating stories"):
        related.update({id(stories[place]): [stories[other] for other in chosen] for place, chosen in outcome.items()})
    return related


def _related_places(stories, max_related: int, share: list[int]) -> dict[int, list[int]]:
    """`find_related` for the stories at these places in `stories`, by place."""
    related = find_related(stories, max_related=max_related, only={id(stories[place]) for place in share})
    places = {id(story): place for place, story in enumerate(stories)}
    return {places[key]: [places[id(other)] for other in chosen] for key, chosen in related.items()}


def _inputs(story) -> tuple:
    """What `find_related` reads of a story but its URL: its tags, category and time."""
    return tuple(sorted(_tag_names(story))), _category(story), story.date.timestamp()


def _affected(changed: set[str], before: dict[str, tuple], now: dict[str, tuple], reach: int) -> set[str]:
    """The stories (by URL) whose related stories may differ when the stories in `changed` were
    added, removed or had other inputs: those within `reach` places of one of them in a list
    (a tag's or a category's, newest first) it was in before or is in now. A story further away
    sees the same window of candidates, as the lists differ only at the changed stories' places."""
    affected = changed & now.keys()
    for inputs in (before, now):
        keys = {("tag", tag) for url in changed if url in inputs for tag in inputs[url][0]}
        keys |= {("category", inputs[url][1]) for url in changed if url in inputs}
        lists: dict[tuple, list[str]] = defaultdict(list)
        for url, (tags, category, _) in inputs.items():
            for key in [("tag", tag) for tag in tags] + [("category", category)]:
                if key in keys:
                    lists[key].append(url)
        for members in lists.values():
            members.sort(key=lambda url: (inputs[url][2], url), reverse=True)  # as `_by_date` orders them
            for place, url in enumerate(members):
                if url in changed:
                    affected.update(near for near in members[max(0, place - reach) : place + reach + 1] if near in now)
    return affected


def related_stories(stories, max_related: int, kept) -> tuple[dict[int, list], tuple]:
    """Every story's related stories, and what to keep for the next build. `kept` is what the
    last build kept (or None): each story's inputs and related stories by URL. Only the stories
    near one whose inputs changed (`_affected`) are worked out again; all of them when the
    settings changed or a date has no time zone (its order could not be told from the memo)."""
    now = {s.url: _inputs(s) for s in stories}
    settings = (max_related, CANDIDATES_PER_TAG_DEFAULT)
    by_url = {s.url: s for s in stories}
    if kept is None or kept[0] != settings or len(by_url) != len(stories) or any(s.date.tzinfo is None for s in stories):
        related = find_related_on_all_cores(stories, max_related=max_related)
    else:
        before, chosen = kept[1], kept[2]
        changed = {url for url, inputs in now.items() if before.get(url) != inputs} | (before.keys() - now.keys())
        affected = _affected(changed, before, now, CANDIDATES_PER_TAG_DEFAULT + 2) if changed else set()
        try:
            related = {id(s): [by_url[url] for url in chosen[s.url]] for s in stories if s.url not in affected}
        except KeyError:  # a memo that does not match its own inputs: worked out anew
            affected = set(by_url)
            related = {}
        if affected:
            related.update(find_related_on_all_cores(stories, max_related=max_related, only={id(by_url[url]) for url in affected}))
    keep = (settings, now, {s.url: [o.url for o in related.get(id(s), [])] for s in stories})
    return related, keep


def relate_stories(generator) -> None:
    """After Pelican has sorted stories into tags and categories: `article.related`. With the
    cache on, the last build's answers are kept for the stories that nothing changed near."""
    max_related = generator.settings.get("BROADSHEET_RELATED", RELATED_MAX_DEFAULT)
    stories, store = generator.articles, memo("pages")
    related, keep = related_stories(stories, max_related, store.get("related stories") if store else None)
    if store:
        store.put("related stories", keep)
    for article in stories:
        article.related = related.get(id(article), [])
