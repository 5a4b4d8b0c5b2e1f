"""End-to-end: a real Pelican build with the Broadsheet reader and theme, checked page by page.

The seed story is copied from content/ into a temporary content folder, next to a hostile
story written here (markup, template syntax and a javascript: URL in its text). Pelican
builds the site once per module with the project's own pelicanconf.py; the tests then read
the output with BeautifulSoup and xml.etree. No mocks.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from support import BuiltPages, run_pelican, write_stories

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "content" / "000_7badf5751ba94d9e.txt"

SEED_TITLE = "Police step up security at UK mosques after New Zealand massacre"
SEED_KEY_POINTS = [
    "Islamic leader tells of fears religious centres in the UK may be targeted",
    "Police to step up patrols around mosques in the wake of New Zealand attack",
    "Sadiq Khan attends East London Mosque and says city stands with Christchurch",
]
SEED_SOURCE = "DailyMail.co.uk"

SCRIPT = "<script>alert(1)</script>"
TEMPLATE = "{{ 7*7 }}"
HOSTILE_TITLE = f"Hackers try {SCRIPT} and {TEMPLATE} in a headline"
HOSTILE = f"""\
Date: 2020-01-02 10:00
Category: Tests
Tags: Escaping, <b>Bold</b> tag
Source-URL: javascript:alert(1)
Note: Watch for {SCRIPT} & friends

{HOSTILE_TITLE}

  • A key point with {SCRIPT} inside
  • Another key point with {TEMPLATE} in it

The first paragraph mentions {SCRIPT} in the body.

Template syntax such as {TEMPLATE} must be shown as it was written.

A caption with <img src=x onerror=alert(1)> in it

Read more at Example <i>News</i>
"""

LINKED_TITLE = "Markets rally as rates hold"
LINKED_URL = 'https://example.org/markets?id=1&ref="feed"'
LINKED = f"""\
Date: 2019-06-01 08:00
Category: Business
Source: Example News
Source-URL: {LINKED_URL}

{LINKED_TITLE}

  • Shares rose in early trading
  • Banks led the gains

Shares rose in early trading after the central bank held rates.

Banks led the gains, with lenders up by two per cent.
"""

ATOM = "{http://www.w3.org/2005/Atom}"

# Budgets of DESIGN.md ("Weight"): HTML + CSS before compression.
STORY_PAGE_BUDGET = 20_000
HOME_PAGE_BUDGET = 50_000


# --- building -------------------------------------------------------------------------------


class Site(BuiltPages):
    """A built site: its output folder, log records and parsed pages."""

    def __init__(self, output: Path, records: list[logging.LogRecord]):
        super().__init__(output)
        self.records = records

    def story_page(self, title: str) -> Path:
        """The page whose story headline (h1 in article.story) reads `title`."""
        found = [
            path
            for path in self.pages()
            if (h1 := self.soup(path).select_one("article.story h1")) and text(h1) == title
        ]
        assert len(found) == 1, f"expected one story page titled {title!r}, found {found}"
        return found[0]


def build_site(root: Path, stories: dict[str, str], **overrides) -> Site:
    output = root / "output"
    return Site(output, run_pelican(write_stories(root, stories), output, **overrides))


def stories() -> dict[str, str]:
    return {SEED.name: SEED.read_text(encoding="utf-8"), "hostile.txt": HOSTILE, "linked.txt": LINKED}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    return build_site(tmp_path_factory.mktemp("site"), stories())


SAME_DAY_TITLE = "Second story of the second of January"
SAME_DAY = f"""\
Date: 2020-01-02 09:00
Category: Tests

{SAME_DAY_TITLE}

  • A key point of the second story

The second story of the day, told in one paragraph.
"""


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory) -> Site:
    """The same stories and a second one on the latest day, one per listing page, so that the
    home page (the latest edition) has two pages."""
    return build_site(tmp_path_factory.mktemp("paged"), {**stories(), "same-day.txt": SAME_DAY}, DEFAULT_PAGINATION=1)


# --- helpers ---------------------------------------------------------------------------------


def text(tag) -> str:
    """Visible text with no-break spaces folded and runs of white space collapsed."""
    return " ".join(tag.get_text().replace("\u00a0", " ").split())


def local_target(page: Path, url: str, output: Path) -> tuple[Path, str] | None:
    """The file and fragment a relative or site-absolute link points to; None if external."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("//"):
        return None
    if not parts.path:
        return page, parts.fragment
    base = output if parts.path.startswith("/") else page.parent
    target = (base / unquote(parts.path).lstrip("/")).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


# --- the build itself --------------------------------------------------------------------------


def test_build_logs_no_errors(site):
    errors = [r.getMessage() for r in site.records if r.levelno >= logging.ERROR]
    assert errors == []


def test_all_stories_are_published(site):
    assert site.story_page(SEED_TITLE)
    assert site.story_page(HOSTILE_TITLE)
    assert site.story_page(LINKED_TITLE)


# --- the seed's story page ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_page(site) -> BeautifulSoup:
    return site.soup(site.story_page(SEED_TITLE))


def test_story_headline(seed_page):
    h1s = seed_page.find_all("h1")
    assert len(h1s) == 1
    assert text(h1s[0]) == SEED_TITLE


def test_story_title_element_is_plain_text(site):
    raw = site.story_page(SEED_TITLE).read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", raw, re.S).group(1)
    assert title.startswith(SEED_TITLE)
    assert "<" not in title and "&" not in title


def test_story_kicker_has_category_and_time(seed_page):
    kicker = seed_page.select_one("article.story .kicker")
    assert kicker.find("a", string="World")
    time = kicker.find("time")
    assert time["datetime"].startswith("2019-03-15T13:30")
    assert text(time) == "15 March 2019"


def test_story_standfirst(seed_page):
    standfirst = text(seed_page.select_one(".standfirst"))
    assert standfirst.startswith(SEED_TITLE + " as Sadiq Khan says London")


def test_story_key_points(seed_page):
    box = seed_page.select_one("article.story .key-points")
    assert text(box.find("h2")) == "Key points"
    assert not box.has_attr("data-automatic")
    assert [text(li) for li in box.select("ul > li")] == SEED_KEY_POINTS


def test_story_body_paragraphs_and_captions(seed_page):
    body = seed_page.select_one("article.story .story-body")
    assert len(body.select(":scope > p")) == 15
    captions = body.find_all("figcaption")
    assert len(captions) == 7
    assert all(text(c).startswith("Picture: ") for c in captions)
    assert text(captions[0]) == (
        "Picture: Londoners stand in solidarity with Christchurch as they attend a vigil at the East London Mosque"
    )


def test_story_source_credit(seed_page):
    credit = seed_page.select_one("article.story .source-credit")
    assert text(credit) == f"Source: {SEED_SOURCE}"
    assert credit.find("a") is None  # the seed gives no URL, so nothing to link


def test_story_tags(seed_page):
    tags = [text(a) for a in seed_page.select("article.story .tags a[rel=tag]")]
    assert tags == ["Police", "Mosques", "New Zealand"]


def test_story_next_link_leads_to_newer_story(site, seed_page):
    nav = seed_page.select_one("nav.story-nav")
    assert nav.find("a", rel="prev") is None  # the seed is the oldest story
    newer = nav.find("a", rel="next")
    assert LINKED_TITLE in text(newer)
    target, _ = local_target(site.story_page(SEED_TITLE), newer["href"], site.output)
    assert target == site.story_page(LINKED_TITLE).resolve()


def test_story_in_the_middle_links_both_ways(site):
    page = site.story_page(LINKED_TITLE)
    nav = site.soup(page).select_one("nav.story-nav")
    for rel, title in [("prev", SEED_TITLE), ("next", HOSTILE_TITLE)]:
        target, _ = local_target(page, nav.find("a", rel=rel)["href"], site.output)
        assert target == site.story_page(title).resolve()


def test_source_credit_links_a_web_url(site):
    credit = site.soup(site.story_page(LINKED_TITLE)).select_one(".source-credit")
    assert text(credit) == "Source: Example News"
    assert credit.find("a")["href"] == LINKED_URL


def test_story_page_fits_budget(site):
    css = site.output / "theme" / "css" / "broadsheet.css"
    size = site.story_page(SEED_TITLE).stat().st_size + css.stat().st_size
    assert size < STORY_PAGE_BUDGET


# --- home page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(site) -> BeautifulSoup:
    return site.soup(site.output / "index.html")


def test_home_is_the_latest_edition(home):
    """The home page is the latest edition (2 January 2020); older stories are in their editions."""
    titles = [text(h) for h in home.select("main article.story-summary .story-title")]
    assert titles == [HOSTILE_TITLE]


@pytest.fixture(scope="module")
def seed_edition(site) -> BeautifulSoup:
    return site.soup(site.output / "editions" / "2019-03-15.html")


def test_edition_story_has_key_points_source_and_time(seed_edition):
    seed = seed_edition.select("main article.story-summary")[0]
    assert [text(li) for li in seed.select("ul > li")] == SEED_KEY_POINTS
    assert SEED_SOURCE in text(seed.select_one(".meta"))
    assert seed.find("time")["datetime"].startswith("2019-03-15T13:30")


def test_edition_read_the_story_link_names_the_story(seed_edition):
    seed = seed_edition.select("main article.story-summary")[0]
    link = seed.select_one(".more a")
    assert text(link).startswith("Read the story")
    assert SEED_TITLE in text(link)
    assert link["href"] == seed.select_one(".story-title a")["href"]


def test_home_marks_itself_current_in_nav(home):
    current = home.select("header nav a[aria-current]")
    assert [text(a) for a in current] == ["Latest"]


def test_home_fits_budget(site):
    css = site.output / "theme" / "css" / "broadsheet.css"
    assert (site.output / "index.html").stat().st_size + css.stat().st_size < HOME_PAGE_BUDGET


# --- feeds -----------------------------------------------------------------------------------


def feed_entry(path: Path, title: str) -> dict[str, str]:
    """Title, summary and content of the feed item titled `title` (Atom or RSS)."""
    root = ET.parse(path).getroot()
    if root.tag == f"{ATOM}feed":
        for entry in root.iter(f"{ATOM}entry"):
            if entry.findtext(f"{ATOM}title") == title:
                return {
                    "summary": entry.findtext(f"{ATOM}summary") or "",
                    "content": entry.findtext(f"{ATOM}content") or "",
                }
    else:
        for item in root.iter("item"):
            if item.findtext("title") == title:
                return {"summary": item.findtext("description") or "", "content": ""}
    raise AssertionError(f"no item titled {title!r} in {path.name}")


@pytest.mark.parametrize("name", ["all.atom.xml", "all.rss.xml"])
def test_feed_has_story_with_key_points_as_summary(site, name):
    path = site.output / "feeds" / name
    entry = feed_entry(path, SEED_TITLE)  # also proves the feed parses as XML
    summary = BeautifulSoup(entry["summary"], "html.parser")
    assert [text(li) for li in summary.find_all("li")] == SEED_KEY_POINTS


@pytest.mark.parametrize("name", ["all.atom.xml", "all.rss.xml"])
def test_feed_carries_no_typography_spans(site, name):
    path = site.output / "feeds" / name
    assert 'class="caps"' not in path.read_text(encoding="utf-8")
    entry = feed_entry(path, SEED_TITLE)
    assert '<span class="caps">' not in entry["summary"] + entry["content"]


@pytest.mark.parametrize("name", ["all.atom.xml", "all.rss.xml"])
def test_feed_title_of_hostile_story_is_its_literal_text(site, name):
    assert feed_entry(site.output / "feeds" / name, HOSTILE_TITLE)


# --- escaping: a story that tries to inject markup or template code ---------------------------


@pytest.fixture(scope="module")
def hostile_page(site) -> BeautifulSoup:
    return site.soup(site.story_page(HOSTILE_TITLE))


def test_hostile_text_is_shown_literally(hostile_page):
    story = hostile_page.select_one("article.story")
    assert text(story.find("h1")) == HOSTILE_TITLE
    points = [text(li) for li in story.select(".key-points li")]
    assert points == [f"A key point with {SCRIPT} inside", f"Another key point with {TEMPLATE} in it"]
    paragraphs = [text(p) for p in story.select(".story-body > p")]
    assert f"The first paragraph mentions {SCRIPT} in the body." in paragraphs
    assert f"Template syntax such as {TEMPLATE} must be shown as it was written." in paragraphs
    # the parser may keep this line as a caption or paragraph, or drop it as scraped markup;
    # if it is shown, it is shown as written
    body = text(story.select_one(".story-body"))
    assert "onerror" not in body or "<img src=x onerror=alert(1)>" in body
    assert "49" not in text(story)


def test_hostile_title_element_is_literal(hostile_page):
    assert hostile_page.title.string.startswith(HOSTILE_TITLE)


def test_hostile_source_is_text_and_javascript_url_is_not_linked(hostile_page):
    credit = hostile_page.select_one(".source-credit")
    assert text(credit) == "Source: Example <i>News</i>"
    assert credit.find("a") is None


def test_hostile_tag_name_is_text(hostile_page):
    assert "<b>Bold</b> tag" in [text(a) for a in hostile_page.select(".tags a")]


def test_hostile_note_is_text(hostile_page):
    note = hostile_page.select_one("aside.note")
    assert text(note.find("h2")) == "Why it matters"
    assert "& friends" in text(note)
    assert "&amp;" not in text(note)


def test_no_page_has_script_or_injected_markup(site):
    for path in site.pages():
        soup = site.soup(path)
        assert soup.find("script") is None, path
        assert soup.find(["b", "i", "img", "iframe", "object", "embed"]) is None, path
        for tag in soup.find_all(True):
            assert not any(attr.lower().startswith("on") for attr in tag.attrs), (path, tag.name)
            for attr in ("href", "src", "action"):
                value = tag.get(attr, "")
                assert not value.strip().lower().startswith("javascript:"), (path, tag.name)


# --- every page ------------------------------------------------------------------------------


def test_every_page_has_the_base_structure(site):
    for path in site.pages():
        soup = site.soup(path)
        assert soup.html.get("lang"), path
        assert len(soup.find_all("h1")) == 1, path
        assert soup.find("main", id="main"), path
        assert soup.find("a", href="#main"), path
        assert soup.select('link[rel=stylesheet][href$="theme/css/broadsheet.css"]'), path
        assert soup.select('link[rel=alternate][type="application/atom+xml"]'), path


def test_every_title_element_is_plain_text(site):
    for path in site.pages():
        raw = path.read_text(encoding="utf-8")
        title = site.soup(path).title
        assert title is not None and not title.find_all(True), path
        shown = title.get_text()
        for leftover in ("&nbsp;", "&amp;", "&#", "&lt;", '<span class="caps">'):
            assert leftover not in shown, (path, shown)
        assert raw.count("<title>") == 1, path


def test_every_link_and_image_resolves(site):
    for path in site.pages():
        soup = site.soup(path)
        for tag, attr in [("a", "href"), ("link", "href"), ("img", "src")]:
            for element in soup.find_all(tag, attrs={attr: True}):
                found = local_target(path, element[attr], site.output)
                if found is None:
                    continue
                target, fragment = found
                assert target.is_file(), (path, element[attr])
                if fragment and target.suffix == ".html":
                    assert site.soup(target).find(id=fragment), (path, element[attr])


def test_404_page(site):
    soup = site.soup(site.output / "404.html")
    assert text(soup.find("h1")) == "Page not found"


# --- pagination ------------------------------------------------------------------------------


def test_pagination_links_pages_both_ways(paged_site):
    first = paged_site.soup(paged_site.output / "index.html")
    older = first.select_one("nav.pagination a[rel=next]")
    assert older is not None and first.select_one("nav.pagination a[rel=prev]") is None
    second_path, _ = local_target(paged_site.output / "index.html", older["href"], paged_site.output)
    second = paged_site.soup(second_path)
    assert [text(h) for h in second.select(".story-title")] == [SAME_DAY_TITLE]
    newer = second.select_one("nav.pagination a[rel=prev]")
    back, _ = local_target(second_path, newer["href"], paged_site.output)
    assert back == (paged_site.output / "index.html").resolve()
    assert "page 2" in second.title.get_text()


def test_category_and_tag_pages_list_the_story(site):
    world = site.soup(site.output / "category" / "world.html")
    assert [text(h) for h in world.select(".story-title")] == [SEED_TITLE]
    assert [text(li) for li in world.select(".story-summary ul > li")] == SEED_KEY_POINTS
    tag_pages = {text(a): a["href"] for a in site.soup(site.output / "tags.html").select("main li a")}
    assert {"Police", "Mosques", "New Zealand", "Escaping", "<b>Bold</b> tag"} <= set(tag_pages)


def test_archives_list_every_story(site):
    archive = site.soup(site.output / "archives.html")
    assert {text(a) for a in archive.select("main li a")} == {SEED_TITLE, HOSTILE_TITLE, LINKED_TITLE}



def test_listings_mark_key_points_picked_automatically(tmp_path):
    story = "Date: 2021-04-01 10:00\n\nBridge reopens\n\nThe bridge reopened on Thursday after a year of repairs.\n\nTraffic was light.\n"
    (tmp_path / "auto").mkdir()
    (tmp_path / "seed").mkdir()
    site = build_site(tmp_path / "auto", {"bridge.txt": story})
    summary = site.soup(site.output / "index.html").select_one("article.story-summary")
    assert summary.select_one(".points[data-automatic]") is not None
    assert text(summary.select_one(".auto-note")) == "Key points picked from the story"
    seed_like = build_site(tmp_path / "seed", {SEED.name: SEED.read_text(encoding="utf-8")})
    assert seed_like.soup(seed_like.output / "index.html").select_one(".points[data-automatic]") is None
