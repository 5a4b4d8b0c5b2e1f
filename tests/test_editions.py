"""Editions (plugins/news_reader/editions.py): stories grouped by day or ISO week, the home
page as the latest edition, a page per edition with previous/next links, the archive by
month. Real Pelican builds with the project's pelicanconf.py, read with BeautifulSoup."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader.editions import group_editions  # noqa: E402
from support import BuiltPages, run_pelican, write_stories


def story(date: str, title: str, *, category: str = "Local", featured: bool = False, point: str = "") -> str:
    header = f"Date: {date}\nCategory: {category}\n" + ("Featured: yes\n" if featured else "")
    point = point or f"The first key point of {title.lower()}"
    return (
        f"{header}\n{title}\n\n  • {point}\n  • A second point about it\n\n"
        f"The story of {title.lower()} told in a paragraph of its own.\n\nA second paragraph follows it.\n"
    )


LATE = "Night bus timetable changes after midnight"
EARLY_FEATURED = "Council pins its budget vote to the top"
MORNING = "Harbour ferry returns after winter repairs"
THURSDAY = "Markets rally as interest rates hold"
WEDNESDAY = "Town library opens late on weekdays"
FEBRUARY = "Snow closes the hill road for a day"
ESCAPED = "Tests of <b>bold</b> & {{ 7*7 }} in a title"

STORIES = {
    "late.txt": story("2019-03-16 23:30", LATE),
    "featured.txt": story("2019-03-16 07:00", EARLY_FEATURED, category="Politics", featured=True),
    "morning.txt": story("2019-03-16 09:00", MORNING),
    "thursday.txt": story("2019-03-14 08:00", THURSDAY, category="Business"),
    "wednesday.txt": story("2019-03-13 18:30", WEDNESDAY),
    "wednesday-2.txt": story("2019-03-13 10:00", ESCAPED),
    "february.txt": story("2019-02-28 12:00", FEBRUARY),
}
SATURDAY_ORDER = [EARLY_FEATURED, LATE, MORNING]  # featured pins to the top, then newest first


class Site(BuiltPages):
    def __init__(self, output: Path, records: list[logging.LogRecord]):
        super().__init__(output)
        self.records = records

    def follow(self, page: Path | str, href: str) -> Path:
        page = self.output / page if isinstance(page, str) else page
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc and not parts.path.startswith("/"), href
        target = (page.parent / unquote(parts.path)).resolve()
        assert target.is_file(), (page, href)
        return target


def build(root: Path, stories: dict[str, str] = STORIES, **overrides) -> Site:
    output = root / "output"
    return Site(output, run_pelican(write_stories(root, stories), output, **overrides))


def text(tag) -> str:
    return " ".join(tag.get_text().replace("\u00a0", " ").split())


def titles(soup: BeautifulSoup) -> list[str]:
    return [text(h) for h in soup.select("main article.story-summary .story-title")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    return build(tmp_path_factory.mktemp("editions"))


@pytest.fixture(scope="module")
def weekly(tmp_path_factory) -> Site:
    return build(tmp_path_factory.mktemp("weekly"), BROADSHEET_EDITION="week")


# --- grouping by day ----------------------------------------------------------------------------


def test_build_logs_no_errors(site):
    assert [r.getMessage() for r in site.records if r.levelno >= logging.ERROR] == []


def test_one_page_per_publication_day(site):
    pages = sorted(p.name for p in (site.output / "editions").glob("*.html"))
    assert pages == ["2019-02-28.html", "2019-03-13.html", "2019-03-14.html", "2019-03-16.html"]


def test_home_is_the_latest_edition_lead_first(site):
    home = site.soup("index.html")
    assert text(home.find("h1")) == "Latest edition Saturday 16 March 2019"
    assert home.find("h1").find("time")["datetime"] == "2019-03-16"
    assert titles(home) == SATURDAY_ORDER
    summaries = home.select("main article.story-summary")
    assert "lead" in summaries[0]["class"] and not any("lead" in s["class"] for s in summaries[1:])


def test_home_stories_keep_key_points_and_read_links(site):
    first = site.soup("index.html").select_one("main article.story-summary")
    assert [text(li) for li in first.select(".points li")] == [
        f"The first key point of {EARLY_FEATURED.lower()}", "A second point about it"]
    assert text(first.select_one(".meta time")) == "16 March 2019, 07:00"
    link = first.select_one(".more a")
    assert EARLY_FEATURED in text(link)
    page = site.follow("index.html", link["href"])
    assert text(site.soup(page).select_one("article.story h1")) == EARLY_FEATURED


def test_late_evening_story_is_in_its_own_local_day(site):
    """23:30 in Europe/London on the 16th is the 16th's edition (the day is the local one)."""
    assert LATE in titles(site.soup("editions/2019-03-16.html"))


def test_edition_page_lists_the_whole_edition_lead_first(site):
    saturday = site.soup("editions/2019-03-16.html")
    assert text(saturday.find("h1")) == "Edition Saturday 16 March 2019"
    assert titles(saturday) == SATURDAY_ORDER
    assert "the latest edition" in text(saturday.select_one(".edition-count"))
    wednesday = site.soup("editions/2019-03-13.html")
    assert titles(wednesday) == [WEDNESDAY, ESCAPED]  # newest first when none is featured
    assert wednesday.title.get_text() == "Wednesday 13 March 2019 · Broadsheet"


def test_titles_are_shown_as_written_on_edition_pages(site):
    page = site.soup("editions/2019-03-13.html")
    assert ESCAPED in titles(page)
    assert page.find("b") is None


@pytest.mark.parametrize("page", ["index.html", "editions/2019-03-16.html", "editions/2019-03-14.html"])
def test_edition_navigation_is_at_top_and_bottom(site, page):
    navs = site.soup(page).select("main nav.edition-nav")
    assert [n["aria-label"] for n in navs] == ["Editions", "Editions, end of page"]
    first, last = (str(n) for n in navs)
    assert first == last.replace("bottom", "top").replace("Editions, end of page", "Editions")


def test_previous_and_next_links_walk_every_edition(site):
    """From the latest edition back to the first by rel=prev, and forward again by rel=next."""
    page = site.output / "editions" / "2019-03-16.html"
    seen = [page.stem]
    assert site.soup(page).select_one("nav.edition-nav a[rel=next]") is None
    while (older := site.soup(page).select_one("nav.edition-nav a[rel=prev]")) is not None:
        target = site.follow(page, older["href"])
        assert text(older).endswith(text(site.soup(target).find("h1").find("time")))
        back = site.soup(target).select_one("nav.edition-nav a[rel=next]")
        assert site.follow(target, back["href"]) == page.resolve()
        page = target
        seen.append(page.stem)
    assert seen == ["2019-03-16", "2019-03-14", "2019-03-13", "2019-02-28"]


def test_home_links_to_the_previous_edition(site):
    home = site.soup("index.html")
    assert home.select_one("nav.edition-nav a[rel=next]") is None
    older = home.select_one("nav.edition-nav a[rel=prev]")
    assert text(older) == "Previous edition Thursday 14 March 2019"
    assert site.follow("index.html", older["href"]).name == "2019-03-14.html"


def test_every_story_is_in_exactly_one_edition_page(site):
    listed = [t for page in (site.output / "editions").glob("*.html") for t in titles(site.soup(page))]
    expected = [LATE, EARLY_FEATURED, MORNING, THURSDAY, WEDNESDAY, ESCAPED, FEBRUARY]
    assert sorted(listed) == sorted(expected)


def test_listing_pages_are_kept_out_of_the_search_index(site):
    for page in ["index.html", "archives.html", "editions/2019-03-16.html"]:
        soup = site.soup(page)
        assert soup.select_one("main [data-pagefind-ignore]") is not None, page
        assert soup.select_one("[data-pagefind-body]") is None, page


# --- the archive ---------------------------------------------------------------------------------


def test_archive_lists_editions_by_month_newest_first(site):
    archive = site.soup("archives.html")
    assert [text(h) for h in archive.select("main h2")] == ["March 2019", "February 2019"]
    editions = [text(a) for a in archive.select("main h3.edition-title a")]
    assert editions == ["Saturday 16 March 2019", "Thursday 14 March 2019", "Wednesday 13 March 2019",
                        "Thursday 28 February 2019"]
    march = archive.select("main section.archive-month")[0]
    assert [text(a) for a in march.select("h3 a")] == editions[:3]
    assert "4 editions, 7 stories" in text(archive.select_one(".edition-count"))


def test_archive_links_every_story_and_edition_once(site):
    archive = site.soup("archives.html")
    stories = [text(a) for a in archive.select("main li a")]
    assert sorted(stories) == sorted([LATE, EARLY_FEATURED, MORNING, THURSDAY, WEDNESDAY, ESCAPED, FEBRUARY])
    for link in archive.select("main a[href]"):
        site.follow("archives.html", link["href"])
    counts = [text(c) for c in archive.select("h3 .count")]
    assert counts == ["3 stories", "1 story", "2 stories", "1 story"]


# --- weekly editions -----------------------------------------------------------------------------


def test_weekly_editions_are_iso_weeks(weekly):
    pages = sorted(p.name for p in (weekly.output / "editions").glob("*.html"))
    assert pages == ["2019-W09.html", "2019-W11.html"]
    week = weekly.soup("editions/2019-W11.html")
    assert text(week.find("h1")) == "Edition Week of 11 March 2019"
    assert titles(week) == [EARLY_FEATURED, LATE, MORNING, THURSDAY, WEDNESDAY, ESCAPED]
    assert titles(weekly.soup("index.html")) == titles(week)
    older = weekly.soup("index.html").select_one("nav.edition-nav a[rel=prev]")
    assert weekly.follow("index.html", older["href"]).name == "2019-W09.html"


def test_a_week_edition_keeps_the_month_of_its_monday(tmp_path):
    """ISO week 1 of 2020 starts on Monday 30 December 2019: key 2020-W01, listed in December."""
    site = build(tmp_path, {"new-year.txt": story("2020-01-01 10:00", "Fireworks light the harbour")},
                 BROADSHEET_EDITION="week")
    assert (site.output / "editions" / "2020-W01.html").is_file()
    assert [text(h) for h in site.soup("archives.html").select("main h2")] == ["December 2019"]


# --- the home page's pages, an empty site, a wrong setting --------------------------------------


def test_home_pages_through_a_big_edition(tmp_path):
    """DEFAULT_PAGINATION stories a page on the home; the edition page has them all."""
    site = build(tmp_path, STORIES, DEFAULT_PAGINATION=2)
    first = site.soup("index.html")
    assert titles(first) == SATURDAY_ORDER[:2]
    nxt = first.select_one("nav.pagination a[rel=next]")
    second_path = site.follow("index.html", nxt["href"])
    second = site.soup(second_path)
    assert titles(second) == SATURDAY_ORDER[2:]
    assert "page 2" in second.title.get_text()
    assert "lead" not in second.select_one("article.story-summary")["class"]
    assert site.follow(second_path, second.select_one("nav.pagination a[rel=prev]")["href"]).name == "index.html"
    assert titles(site.soup("editions/2019-03-16.html")) == SATURDAY_ORDER


def test_a_site_without_stories_has_a_home_page(tmp_path):
    site = build(tmp_path, {})
    home = site.soup("index.html")
    assert "No stories yet." in text(home.find("main"))
    assert not (site.output / "editions").exists()
    assert "No stories yet." in text(site.soup("archives.html").find("main"))


def test_an_unknown_edition_kind_is_an_error_and_days_are_used(tmp_path):
    site = build(tmp_path, {"one.txt": STORIES["morning.txt"]}, BROADSHEET_EDITION="fortnight")
    errors = [r.getMessage() for r in site.records if r.levelno >= logging.ERROR]
    assert any("BROADSHEET_EDITION" in e and "fortnight" in e for e in errors)
    assert (site.output / "editions" / "2019-03-16.html").is_file()


def test_no_search_page_without_the_search_setting(site):
    """A plain Pelican build has no Pagefind index, so no search page and no link to one."""
    assert not (site.output / "search.html").exists()
    assert site.soup("index.html").select_one('a[href$="search.html"]') is None


# --- the grouping itself -------------------------------------------------------------------------


def fake(day: int, hour: int = 12, featured: bool = False, month: int = 3):
    tz = dt.timezone.utc
    return SimpleNamespace(date=dt.datetime(2019, month, day, hour, tzinfo=tz), featured=featured)


def test_group_editions_orders_lead_then_newest_and_links_neighbours():
    a, b, c, d = fake(16, 9), fake(16, 7, featured=True), fake(16, 23), fake(13)
    editions = group_editions([c, a, b, d], "day")
    assert [e.key for e in editions] == ["2019-03-16", "2019-03-13"]
    assert editions[0].articles == [b, c, a] and editions[0].articles[0] is b
    assert editions[0].previous is editions[1] and editions[1].next is editions[0]
    assert editions[0].next is None and editions[1].previous is None
    assert editions[0].url == "editions/2019-03-16.html"


def test_group_editions_newest_featured_first_when_two_are_featured():
    old, new, plain = fake(16, 8, True), fake(16, 10, True), fake(16, 22)
    assert group_editions([plain, new, old])[0].articles == [new, old, plain]


def test_group_editions_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="day, week"):
        group_editions([fake(1)], "month")


def test_grouping_time_grows_linearly():
    """Ten times the stories take about ten times as long (a quadratic grouping would take 100x)."""
    def stories(n):
        start = dt.datetime(2019, 1, 1, tzinfo=dt.timezone.utc)
        return [SimpleNamespace(date=start + dt.timedelta(minutes=47 * i), featured=i % 13 == 0)
                for i in range(n, 0, -1)]

    def timed(items):
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            group_editions(items, "day")
            best = min(best, time.perf_counter() - began)
        return best

    small, large = stories(4_000), stories(40_000)
    ratio = timed(large) / timed(small)
    assert ratio < 30, f"40,000 stories took {ratio:.1f}x as long as 4,000"
