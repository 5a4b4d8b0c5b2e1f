"""Editions: the published stories grouped by publication day (or ISO week), and the pages
that show them.

- `group_editions(articles, kind)` is a pure function: one pass over the stories puts each in
  its edition (a dict keyed by day or week), then each edition is ordered lead first (a
  `Featured: yes` story pins to the top, otherwise newest first). The sorts are Python's
  stable sort on lists that Pelican already hands over newest first, so they run in linear
  time; the editions themselves are sorted once by key.
- `EditionsGenerator`, added with the `get_generators` signal, runs after Pelican's
  ArticlesGenerator: its `generate_context` puts `editions` (newest first),
  `editions_by_month` and `latest_edition` in the shared context (so that archives.html
  can list them) and sets `article.edition` on every story; its `generate_output` writes
  one page per edition (template edition.html), the home page as the latest edition
  (template index.html, paginated by DEFAULT_PAGINATION) and, when `BROADSHEET_SEARCH` is
  true, the search page (template search.html).

Settings (pelicanconf.py):
    BROADSHEET_EDITION = "day"            # or "week" (ISO weeks, Monday to Sunday)
    BROADSHEET_EDITION_URL = "editions/{key}.html"
    BROADSHEET_EDITION_SAVE_AS = "editions/{key}.html"
    BROADSHEET_SEARCH = False             # `invoke build` turns it on when Pagefind is installed
    BROADSHEET_SEARCH_SAVE_AS = "search.html"
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from pelican.generators import Generator

logger = logging.getLogger(__name__)

KINDS = ("day", "week")
DEFAULTS = {
    "BROADSHEET_EDITION": "day",
    "BROADSHEET_EDITION_URL": "editions/{key}.html",
    "BROADSHEET_EDITION_SAVE_AS": "editions/{key}.html",
    "BROADSHEET_SEARCH": False,
    "BROADSHEET_SEARCH_SAVE_AS": "search.html",
}


@dataclass(eq=False)
class Edition:
    """The stories of one day (key `2019-03-15`) or one ISO week (key `2019-W11`)."""

    key: str
    kind: str
    first_day: dt.date
    articles: list = field(default_factory=list)
    url: str = ""
    save_as: str = ""
    previous: Edition | None = None  # the next older edition
    next: Edition | None = None  # the next newer edition

    @property
    def title(self) -> str:
        """`Friday 15 March 2019`, or `Week of 11 March 2019` (plain text, no markup)."""
        d = self.first_day
        if self.kind == "week":
            return f"Week of {d.day} {d:%B %Y}"
        return f"{d:%A} {d.day} {d:%B %Y}"

    @property
    def month(self) -> str:
        """The month the edition is listed under in the archive: that of its first day."""
        return f"{self.first_day:%B %Y}"

    def __repr__(self) -> str:
        return f"<Edition {self.key}: {len(self.articles)} stories>"


def edition_key(day: dt.date, kind: str) -> tuple[str, dt.date]:
    """The edition a publication day belongs to: (key, first day of the edition)."""
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}", dt.date.fromisocalendar(year, week, 1)
    return day.isoformat(), day


def group_editions(articles, kind: str = "day", url: str = DEFAULTS["BROADSHEET_EDITION_URL"],
                   save_as: str = DEFAULTS["BROADSHEET_EDITION_SAVE_AS"]) -> list[Edition]:
    """Group stories into editions, newest edition first, each lead story first.

    Linear in the number of stories: one pass to group; the orderings below are stable
    sorts of lists that arrive (from Pelican) already newest first, which Python's sort
    finishes in one pass.
    """
    if kind not in KINDS:
        raise ValueError(f"BROADSHEET_EDITION must be one of {', '.join(KINDS)}, not {kind!r}")
    by_key: dict[str, Edition] = {}
    for article in articles:
        key, first_day = edition_key(article.date.date(), kind)
        edition = by_key.get(key)
        if edition is None:
            edition = by_key[key] = Edition(key, kind, first_day, url=url.format(key=key),
                                            save_as=save_as.format(key=key))
        edition.articles.append(article)
    editions = sorted(by_key.values(), key=lambda e: e.first_day, reverse=True)
    for index, edition in enumerate(editions):
        newest_first = sorted(edition.articles, key=lambda a: a.date, reverse=True)
        edition.articles = sorted(newest_first, key=lambda a: not getattr(a, "featured", False))
        edition.next = editions[index - 1] if index > 0 else None
        edition.previous = editions[index + 1] if index + 1 < len(editions) else None
    return editions


def by_month(editions: list[Edition]) -> list[tuple[str, list[Edition]]]:
    """Consecutive editions under their month, in the order given: [(\"March 2019\", [...]), ...]."""
    months: list[tuple[str, list[Edition]]] = []
    for edition in editions:
        if not months or months[-1][0] != edition.month:
            months.append((edition.month, []))
        months[-1][1].append(edition)
    return months


def setting(settings, name):
    return settings.get(name, DEFAULTS[name])


class EditionsGenerator(Generator):
    """Computes the editions after the stories are read; writes the edition pages, the home
    page (the latest edition) and the search page."""

    def generate_context(self):
        kind = setting(self.settings, "BROADSHEET_EDITION")
        if kind not in KINDS:
            logger.error("BROADSHEET_EDITION is %r; use 'day' or 'week' (editions are made by day)", kind)
            kind = "day"
        editions = group_editions(
            self.context.get("articles", []),
            kind,
            setting(self.settings, "BROADSHEET_EDITION_URL"),
            setting(self.settings, "BROADSHEET_EDITION_SAVE_AS"),
        )
        for edition in editions:
            for article in edition.articles:
                article.edition = edition
        self.editions = editions
        self.context["editions"] = editions
        self.context["editions_by_month"] = by_month(editions)
        self.context["latest_edition"] = editions[0] if editions else None

    def generate_output(self, writer):
        relative = self.settings["RELATIVE_URLS"]
        template = self.get_template("edition")
        latest = self.context["latest_edition"]
        for edition in self.editions:
            writer.write_file(edition.save_as, template, self.context, relative_urls=relative, edition=edition,
                              is_latest=edition is latest, page_name="edition", template_name="edition",
                              url=edition.url)
        self._write_home(writer, relative)
        if setting(self.settings, "BROADSHEET_SEARCH"):
            save_as = setting(self.settings, "BROADSHEET_SEARCH_SAVE_AS")
            writer.write_file(save_as, self.get_template("search"), self.context, relative_urls=relative,
                              page_name="search", template_name="search", url=save_as)

    def _write_home(self, writer, relative):
        """index.html: the latest edition, lead first, in pages of DEFAULT_PAGINATION stories."""
        save_as = self.settings.get("INDEX_SAVE_AS", "index.html")
        if not save_as:
            return
        if "index" in self.settings.get("DIRECT_TEMPLATES", ()):
            logger.warning("DIRECT_TEMPLATES lists 'index': the home page is written by the editions "
                           "module (plugins/news_reader/editions.py); take 'index' out of DIRECT_TEMPLATES")
        latest = self.context["latest_edition"]
        stories = latest.articles if latest else []
        writer.write_file(save_as, self.get_template("index"), self.context, relative_urls=relative,
                          paginated={"articles": stories}, template_name="index", page_name="index",
                          url=save_as, edition=latest, override_output=True)


def get_generators(pelican):
    return EditionsGenerator
