"""Feeds, sharing and discovery (issue 5): Atom, RSS and JSON Feed; OpenGraph, Twitter card and
NewsArticle JSON-LD; sitemap.xml, the Google News sitemap, robots.txt and the favicon; related
stories; tags found in the text.

Real builds: the seed story and five small stories, once with pelicanconf.py (a local build,
relative links) and once with publishconf.py under a sub-path SITEURL (absolute links). Feeds
are read with feedparser (Atom, RSS) and json (JSON Feed 1.1's required fields), pages with
BeautifulSoup. The pure parts (entities, related, news sitemap window) are tested directly.
"""

from __future__ import annotations

import json
import re
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import feedparser
import pytest
from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader.entities import find_entities  # noqa: E402
from news_reader.related import find_related  # noqa: E402
from news_reader.sitemap import NEWS_NS, news_stories  # noqa: E402
from news_reader.tagging import first_shared, shared_names  # noqa: E402

SEED = ROOT / "content" / "000_7badf5751ba94d9e.txt"
SEED_TITLE = "Police step up security at UK mosques after New Zealand massacre"
SEED_POINTS = [
    "Islamic leader tells of fears religious centres in the UK may be targeted",
    "Police to step up patrols around mosques in the wake of New Zealand attack",
    "Sadiq Khan attends East London Mosque and says city stands with Christchurch",
]
SITEURL = "https://news.example.org/digest"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{" + NEWS_NS + "}"

HOSTILE_TITLE = "Forum post </script><script>alert(1)</script> & friends"
STORIES = {
    "harbour.txt": """\
Date: 2019-03-16 09:00
Modified: 2019-03-16 12:00
Category: Local
Tags: Transport, Police
Author: Jane Reporter

Harbour ferry returns after winter repairs

  • The ferry was out of service for four months
  • A new timetable starts on 1 June

The harbour ferry carried its first passengers since January on Thursday morning.

The crossing was closed after an inspection found damage to the hull, said Harbour Master Tom Fisher.

Passengers thanked Tom Fisher and the crew at the Port Authority office.
""",
    "library.txt": """\
Date: 2019-03-13 18:30
Category: Local
Tags: Transport

Town library opens late on weekdays

  • Opening hours run to 9pm from Monday to Thursday
  • The council pays for two more staff

The town library will stay open until nine in the evening on weekdays, the council said.

Readers had asked for later hours in a survey last year.
""",
    "markets.txt": """\
Date: 2019-03-14 08:00
Category: Business
Tags: Markets
Source: Example News
Source-URL: https://example.org/markets?id=1&ref=feed

Markets rally as interest rates hold

  • Shares rose in early trading
  • Banks led the gains

Shares rose in early trading after the Bank of England held rates.

Banks led the gains, and the Bank of England said it would wait.
""",
    "interfaith.txt": """\
Date: 2019-03-12 19:00
Category: World
Tags: Faith

Mayor opens interfaith week at the East London Mosque

  • Sadiq Khan opens the week with leaders of every faith in the city
  • The Bank of England hosts a charity dinner on Friday

Leaders of many faiths met at the East London Mosque on Tuesday to open the week.

Sadiq Khan, the Mayor of London, said the city was stronger for its many faiths.
""",
    "hostile.txt": f"""\
Date: 2019-03-15 18:00
Category: Tests
Tags: Escaping

{HOSTILE_TITLE}

  • A key point with </script> inside
  • Another with <!-- and & in it

The first paragraph mentions </script> in the body.
""",
}


def build(root: Path, settings_file: str, **overrides) -> Path:
    content = root / "content"
    content.mkdir()
    (content / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    for name, body in STORIES.items():
        (content / name).write_text(body, encoding="utf-8")
    output = root / "output"
    settings = read_settings(
        str(ROOT / settings_file),
        override={"PATH": str(content), "OUTPUT_PATH": str(output), **overrides},
    )
    Pelican(settings=settings).run()
    return output


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("local"), "pelicanconf.py")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("published"), "publishconf.py", SITEURL=SITEURL, FEED_DOMAIN=SITEURL)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text(tag) -> str:
    return " ".join(tag.get_text().replace("\u00a0", " ").split())


def story_pages(output: Path) -> dict[str, Path]:
    """Title → page, for every story page of a build."""
    pages = {}
    for path in sorted(output.glob("[0-9][0-9][0-9][0-9]/*/*.html")):
        h1 = soup(path).select_one("article.story h1")
        pages[text(h1)] = path
    return pages


def url_of(output: Path, path: Path) -> str:
    return f"{SITEURL}/{path.relative_to(output).as_posix()}"


# --- feeds --------------------------------------------------------------------------------------

FEED_KINDS = ["atom.xml", "rss.xml"]


@pytest.mark.parametrize("kind", FEED_KINDS)
def test_every_feed_parses_with_unique_absolute_ids_links_and_dates(published, kind):
    pages = story_pages(published)
    urls = {url_of(published, p) for p in pages.values()}
    feeds = sorted((published / "feeds").glob(f"*.{kind}"))
    assert {f.name for f in feeds} == {f"{n}.{kind}" for n in ("all", "business", "local", "tests", "world")}
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo is False, (feed.name, parsed.get("bozo_exception"))
        entries = parsed.entries
        assert entries, feed.name
        ids = [e.id for e in entries]
        assert len(set(ids)) == len(ids), feed.name
        for entry in entries:
            assert entry.link in urls, (feed.name, entry.link)
            assert entry.id.startswith(("tag:news.example.org,", SITEURL)), entry.id
            assert entry.published_parsed is not None, (feed.name, entry.title)
            assert entry.title in pages, (feed.name, entry.title)


def test_all_feeds_list_every_story_and_category_feeds_only_their_own(published):
    atom = feedparser.parse((published / "feeds" / "all.atom.xml").read_bytes())
    assert {e.title for e in atom.entries} == set(story_pages(published))
    local = feedparser.parse((published / "feeds" / "local.rss.xml").read_bytes())
    assert [e.title for e in local.entries] == [
        "Harbour ferry returns after winter repairs",
        "Town library opens late on weekdays",
    ]


def test_atom_entry_has_key_points_as_summary_and_story_as_content(published):
    atom = feedparser.parse((published / "feeds" / "all.atom.xml").read_bytes())
    (seed,) = [e for e in atom.entries if e.title == SEED_TITLE]
    assert [text(li) for li in BeautifulSoup(seed.summary, "html.parser").find_all("li")] == SEED_POINTS
    body = BeautifulSoup(seed.content[0].value, "html.parser")
    assert "UK police are stepping up patrols around mosques" in text(body)
    assert seed.published.startswith("2019-03-15T13:30:00")
    assert seed.updated.startswith("2019-03-15T13:30:00")
    tags = {t.term for t in seed.tags}
    assert {"World", "Police", "Mosques", "New Zealand", "Sadiq Khan"} <= tags


def test_rss_item_carries_key_points_and_the_hostile_title_as_text(published):
    rss = feedparser.parse((published / "feeds" / "all.rss.xml").read_bytes())
    (seed,) = [e for e in rss.entries if e.title == SEED_TITLE]
    assert [text(li) for li in BeautifulSoup(seed.summary, "html.parser").find_all("li")] == SEED_POINTS
    assert HOSTILE_TITLE in [e.title for e in rss.entries]


def json_feed(output: Path, name: str) -> dict:
    return json.loads((output / "feeds" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["all.json", "business.json", "local.json", "tests.json", "world.json"])
def test_json_feed_has_the_required_fields_of_version_1_1(published, name):
    feed = json_feed(published, name)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["home_page_url"] == SITEURL + "/"
    assert feed["feed_url"] == f"{SITEURL}/feeds/{name}"
    assert isinstance(feed["items"], list) and feed["items"]
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"].startswith(SITEURL + "/")
        assert item["url"] == item["id"]
        assert item["content_html"].strip()
        assert RFC3339.match(item["date_published"]), item["date_published"]
        assert "date_modified" not in item or RFC3339.match(item["date_modified"])
        assert "<li>" not in item["summary"]
        assert "&amp;" not in item["title"] + item["summary"]
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


def test_json_feed_items_are_the_stories(published):
    items = {item["title"]: item for item in json_feed(published, "all.json")["items"]}
    assert set(items) == set(story_pages(published))
    seed = items[SEED_TITLE]
    assert seed["summary"] == ". ".join(SEED_POINTS) + "."
    assert "UK police are stepping up patrols" in seed["content_html"]
    assert '<span class="caps">' not in seed["content_html"]
    assert seed["date_published"] == "2019-03-15T13:30:00+00:00"
    assert {"Police", "Mosques", "New Zealand", "Sadiq Khan"} <= set(seed["tags"])
    assert "authors" not in seed  # the seed has no byline
    harbour = items["Harbour ferry returns after winter repairs"]
    assert harbour["authors"] == [{"name": "Jane Reporter"}]
    assert harbour["date_modified"] == "2019-03-16T12:00:00+00:00"
    assert items["Markets rally as interest rates hold"]["external_url"] == "https://example.org/markets?id=1&ref=feed"
    hostile = items[HOSTILE_TITLE]  # the literal text: unescaped once, never twice
    assert "</script>" in hostile["summary"]
    assert [item["title"] for item in json_feed(published, "business.json")["items"]] == [
        "Markets rally as interest rates hold"
    ]


def test_json_feeds_hold_as_many_stories_as_the_atom_feeds(tmp_path):
    """FEED_MAX_ITEMS cuts every feed alike: 2 stories, or none at 0 (Pelican's [:0])."""
    for limit in (2, 0):
        (tmp_path / str(limit)).mkdir()
        output = build(tmp_path / str(limit), "pelicanconf.py", FEED_MAX_ITEMS=limit)
        atom = feedparser.parse((output / "feeds" / "all.atom.xml").read_bytes())
        items = json_feed(output, "all.json")["items"]
        assert [item["title"] for item in items] == [entry.title for entry in atom.entries]
        assert len(items) == limit


def test_local_build_writes_json_feeds_with_relative_urls(local):
    feed = json_feed(local, "all.json")
    assert "feed_url" not in feed
    for item in feed["items"]:
        assert (local / item["url"]).is_file(), item["url"]


def alternates(page: BeautifulSoup) -> set[tuple[str, str]]:
    return {(link["type"], link["href"]) for link in page.select("link[rel=alternate]")}


def test_every_page_links_the_site_feeds_and_a_section_page_its_own(published):
    for path in sorted(published.rglob("*.html")):
        assert ("application/feed+json", f"{SITEURL}/feeds/all.json") in alternates(soup(path)), path
    section = alternates(soup(published / "category" / "world.html"))
    for kind, name in [("atom+xml", "world.atom.xml"), ("rss+xml", "world.rss.xml"), ("feed+json", "world.json")]:
        assert (f"application/{kind}", f"{SITEURL}/feeds/{name}") in section
    for kind, href in alternates(soup(story_pages(published)[SEED_TITLE])):
        assert (published / href.removeprefix(SITEURL + "/")).is_file(), href


# --- sharing: OpenGraph, Twitter card, JSON-LD ------------------------------------------------


def meta(page: BeautifulSoup, key: str) -> str | None:
    tag = page.find("meta", attrs={"property": key}) or page.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


def json_ld(page: BeautifulSoup) -> dict:
    (block,) = page.find_all("script")
    assert block["type"] == "application/ld+json"
    return json.loads(block.string)


def test_story_page_has_canonical_opengraph_and_twitter_card(published):
    path = story_pages(published)[SEED_TITLE]
    page = soup(path)
    url = url_of(published, path)
    assert page.find("link", rel="canonical")["href"] == url
    assert meta(page, "og:url") == url
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:title") == SEED_TITLE
    assert meta(page, "og:site_name") == "Broadsheet"
    assert meta(page, "og:description") == ". ".join(SEED_POINTS) + "."
    assert meta(page, "article:published_time") == "2019-03-15T13:30:00+00:00"
    assert meta(page, "twitter:card") == "summary"


def test_story_page_has_news_article_json_ld(published):
    pages = story_pages(published)
    data = json_ld(soup(pages[SEED_TITLE]))
    assert data["@context"] == "https://schema.org" and data["@type"] == "NewsArticle"
    assert data["headline"] == SEED_TITLE
    assert data["url"] == url_of(published, pages[SEED_TITLE])
    assert data["datePublished"] == "2019-03-15T13:30:00+00:00"
    assert RFC3339.match(data["dateModified"])
    assert data["publisher"] == {"@type": "Organization", "name": "Broadsheet", "url": SITEURL + "/"}
    assert data["articleSection"] == "World"
    assert {"Police", "Mosques", "New Zealand"} <= set(data["keywords"])
    assert data["description"] == ". ".join(SEED_POINTS) + "."
    assert "author" not in data
    harbour = json_ld(soup(pages["Harbour ferry returns after winter repairs"]))
    assert harbour["author"] == [{"@type": "Person", "name": "Jane Reporter"}]
    assert harbour["dateModified"] == "2019-03-16T12:00:00+00:00"


def test_json_ld_cannot_be_closed_by_story_text(published):
    path = story_pages(published)[HOSTILE_TITLE]
    raw = path.read_text(encoding="utf-8")
    assert raw.lower().count("<script") == 1 and raw.lower().count("</script") == 1
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', raw, re.S).group(1)
    assert not set("<>&") & set(block)
    data = json.loads(block)
    assert data["headline"] == HOSTILE_TITLE
    assert "</script>" in data["description"]
    page = soup(path)
    assert meta(page, "og:title") == HOSTILE_TITLE


def test_local_build_has_no_canonical_og_url_or_json_ld(local):
    """Relative links are no canonical URL; JSON-LD and og:url need absolute ones."""
    page = soup(story_pages(local)[SEED_TITLE])
    assert page.find("link", rel="canonical") is None
    assert meta(page, "og:url") is None
    assert page.find("script") is None
    assert meta(page, "og:title") == SEED_TITLE


# --- sitemap, news sitemap, robots.txt, favicon -----------------------------------------------


def sitemap_urls(output: Path, name: str) -> list[ET.Element]:
    return list(ET.parse(output / name).getroot().iter(f"{SM}url"))


def test_sitemap_lists_every_story_listing_and_tag_page(published):
    entries = {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in sitemap_urls(published, "sitemap.xml")}
    pages = story_pages(published)
    expected = {url_of(published, p) for p in pages.values()}
    expected |= {url_of(published, p) for p in (published / "category").glob("*.html")}
    expected |= {url_of(published, p) for p in (published / "tag").glob("*.html")}
    expected |= {url_of(published, p) for p in (published / "editions").glob("*.html")}
    assert len(expected) > len(pages) + 10
    expected |= {f"{SITEURL}/", f"{SITEURL}/archives.html", f"{SITEURL}/tags.html", f"{SITEURL}/categories.html"}
    assert expected <= set(entries)
    for loc, lastmod in entries.items():
        assert loc.startswith(SITEURL + "/")
        target = published / (loc.removeprefix(SITEURL + "/") or "index.html")
        assert target.is_file(), loc
        assert RFC3339.match(lastmod), (loc, lastmod)
    assert entries[url_of(published, pages["Harbour ferry returns after winter repairs"])] == "2019-03-16T12:00:00+00:00"
    assert entries[f"{SITEURL}/category/world.html"] == "2019-03-15T13:30:00+00:00"
    assert list(entries) == sorted(entries)


def test_news_sitemap_has_the_last_two_days_before_the_newest_story(published):
    root = ET.parse(published / "news-sitemap.xml").getroot()
    assert root.tag == f"{SM}urlset"
    titles = [u.findtext(f"{NEWS}news/{NEWS}title") for u in root.iter(f"{SM}url")]
    # newest 2019-03-16 09:00: the window starts 2019-03-14 09:00 (markets at 08:00 is out)
    assert titles == ["Harbour ferry returns after winter repairs", HOSTILE_TITLE, SEED_TITLE]
    for url in root.iter(f"{SM}url"):
        assert url.findtext(f"{SM}loc").startswith(SITEURL + "/")
        assert url.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}name") == "Broadsheet"
        assert url.findtext(f"{NEWS}news/{NEWS}publication/{NEWS}language") == "en"
        assert RFC3339.match(url.findtext(f"{NEWS}news/{NEWS}publication_date"))


def test_news_window_follows_the_newest_story_and_stops_at_a_thousand():
    newest = datetime(2020, 1, 10, 12, tzinfo=timezone.utc)
    stories = [SimpleNamespace(date=newest - timedelta(minutes=2 * i), url=f"s{i}.html") for i in range(1500)]
    stories.append(SimpleNamespace(date=newest - timedelta(days=2, seconds=1), url="old.html"))
    chosen = news_stories(stories)
    assert len(chosen) == 1000
    assert chosen[0].url == "s0.html" and "old.html" not in {s.url for s in chosen}
    edge = [SimpleNamespace(date=newest, url="a.html"), SimpleNamespace(date=newest - timedelta(days=2), url="b.html")]
    assert [s.url for s in news_stories(edge)] == ["a.html", "b.html"]
    assert news_stories([]) == []


def test_robots_txt_points_to_the_sitemap(published, local):
    assert (published / "robots.txt").read_text(encoding="utf-8") == (
        f"User-agent: *\nAllow: /\n\nSitemap: {SITEURL}/sitemap.xml\n"
    )
    assert "Sitemap: sitemap.xml\n" in (local / "robots.txt").read_text(encoding="utf-8")
    assert (local / "sitemap.xml").is_file() and (local / "news-sitemap.xml").is_file()


def test_every_page_has_the_favicon_inline_and_the_file_is_there(local, published):
    """The icon is the theme's favicon.svg as a data: URL (no request beyond the HTML and CSS);
    the file itself is published too, for the JSON Feed's `favicon` and anyone who asks."""
    svg = (ROOT / "theme" / "static" / "favicon.svg").read_text(encoding="utf-8").strip()
    assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"
    for path in sorted(local.rglob("*.html")):
        icon = soup(path).find("link", rel="icon")
        assert icon is not None and icon["type"] == "image/svg+xml", path
        prefix = "data:image/svg+xml,"
        assert icon["href"].startswith(prefix), path
        assert unquote(icon["href"].removeprefix(prefix)) == svg.replace('"', "'"), path
    assert (local / "theme" / "favicon.svg").read_text(encoding="utf-8").strip() == svg
    assert json_feed(published, "all.json")["favicon"] == f"{SITEURL}/theme/favicon.svg"
    assert (published / "theme" / "favicon.svg").is_file()
    assert (local / "404.html").is_file()


def test_site_files_are_the_same_in_two_builds(tmp_path, local):
    again = build(tmp_path, "pelicanconf.py")
    for name in ("sitemap.xml", "news-sitemap.xml", "robots.txt", "feeds/all.json", "feeds/local.json"):
        assert (again / name).read_bytes() == (local / name).read_bytes(), name


# --- related stories ----------------------------------------------------------------------------


def fake(url: str, day: int, tags: list[str], category: str = "News") -> SimpleNamespace:
    return SimpleNamespace(url=url, date=datetime(2020, 1, 1) + timedelta(days=day), tags=tags, category=category)


def test_related_prefers_shared_tags_then_the_same_category():
    story = fake("story", 10, ["a", "b"], "World")
    both = fake("both", 1, ["a", "b"], "Sport")
    one_near = fake("one-near", 9, ["b"], "Sport")
    one_far = fake("one-far", 2, ["a"], "Sport")
    same_section = fake("section", 11, [], "World")
    unrelated = fake("unrelated", 10, ["z"], "Sport")
    stories = [story, both, one_near, one_far, same_section, unrelated]
    related = find_related(stories)
    assert [o.url for o in related[id(story)]] == ["both", "one-near", "one-far"]
    assert [o.url for o in related[id(same_section)]] == ["story"]
    # no shared tag: the same section, nearest in time first
    assert [o.url for o in related[id(unrelated)]] == ["one-near", "one-far", "both"]
    assert [o.url for o in find_related(stories, max_related=4)[id(story)]] == ["both", "one-near", "one-far", "section"]


def test_related_stays_linear_when_every_story_shares_a_tag(monkeypatch):
    """Every story shares "Common": without the window each would score all the others (n²)."""
    from news_reader import related as module

    examined = 0
    around = module._around

    def counting_window(*args):
        nonlocal examined
        window = around(*args)
        examined += len(window)
        return window

    monkeypatch.setattr(module, "_around", counting_window)
    n = 8_000
    stories = [fake(f"s{i:05}", i % 365, ["Common", f"t{i % 50}"], f"c{i % 7}") for i in range(n)]
    start = time.perf_counter()
    related = find_related(stories)
    assert time.perf_counter() - start < 20
    # two tag windows (and at most one section window) of CANDIDATES_PER_TAG_DEFAULT per story
    assert examined <= n * 3 * (module.CANDIDATES_PER_TAG_DEFAULT + 1)
    assert examined >= n * 2 * module.CANDIDATES_PER_TAG_DEFAULT  # (the count is real)
    first = related[id(stories[0])]
    assert len(first) == 3 and stories[0] not in first
    assert all("t0" in o.tags for o in first)  # two shared tags beat one


def test_related_stories_shared_out_to_forked_children_are_those_found_in_one_process(monkeypatch):
    """Many stories to relate are shared out between forked children (related.find_related_on_all_cores):
    the same answers, and an error in a child fails with its traceback."""
    import os

    from news_reader import forked, related as module

    monkeypatch.setattr(module, "PARALLEL_MIN_STORIES", 50)
    monkeypatch.setattr(forked, "spare_cores", lambda: 2)  # three parts, on any machine
    stories = [fake(f"s{i:04}", (i * 37) % 400, [f"t{i % 13}", f"u{i % 29}", "Common"][: 1 + i % 3], f"c{i % 5}")
               for i in range(600)]
    by_url = lambda found: {s.url: [o.url for o in found.get(id(s), [])] for s in stories}  # noqa: E731
    alone = by_url(find_related(stories))
    assert by_url(module.find_related_on_all_cores(stories)) == alone
    shared = module.find_related_on_all_cores(stories, only={id(s) for s in stories[::4]})
    assert set(shared) == {id(s) for s in stories[::4]}
    assert all(by_url(shared)[s.url] == alone[s.url] for s in stories[::4])

    parent, real = os.getpid(), module.find_related

    def fails_in_a_child(*args, **kwargs):
        if os.getpid() != parent:
            raise ValueError("no related stories here")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "find_related", fails_in_a_child)
    with pytest.raises(RuntimeError, match="ValueError: no related stories here"):
        module.find_related_on_all_cores(stories)


def test_story_page_lists_related_stories(local):
    pages = story_pages(local)
    page = soup(pages[SEED_TITLE])
    links = page.select("section.related li a")
    assert [text(a) for a in links] == [
        "Mayor opens interfaith week at the East London Mosque",  # shares two found tags: Sadiq Khan, East London Mosque
        "Harbour ferry returns after winter repairs",  # shares the Police tag
    ]
    library = soup(pages["Town library opens late on weekdays"])
    assert [text(a) for a in library.select("section.related li a")] == ["Harbour ferry returns after winter repairs"]
    for a in links:
        assert (pages[SEED_TITLE].parent / a["href"]).resolve() == pages[text(a)].resolve()


# --- tags that find themselves ------------------------------------------------------------------


def seed_parts() -> tuple[str, list[str], str]:
    from news_reader import render
    from news_reader.entities import html_to_text
    from news_reader.parse import parse_story

    story = parse_story(SEED.read_text(encoding="utf-8"), str(SEED))
    return story.title, list(story.bullets), html_to_text(render.render_body(story))


def test_seed_story_names_people_places_and_organisations():
    title, points, body = seed_parts()
    names = find_entities(title, points, body, max_tags=10)
    assert {"Sadiq Khan", "Christchurch", "East London Mosque", "London", "New Zealand", "UK"} <= set(names)
    for not_a_name in ("Muslims", "Friday", "Khan", "Officers", "Mayor", "He", "British", "Islamic"):
        assert not_a_name not in names
    assert len(find_entities(title, points, body)) == 5
    assert "New Zealand" not in find_entities(title, points, body, exclude={"new zealand"})


def test_a_name_needs_two_mentions_or_a_place_in_title_or_key_points():
    once = "The plan was backed by Maria Lopez at the meeting."
    twice = once + "\n\nLater the town heard from Maria Lopez again."
    assert find_entities("Plan backed", [], once) == []
    assert find_entities("Plan backed", [], twice) == ["Maria Lopez"]
    assert find_entities("Plan backed", ["Support from Maria Lopez"], once) == ["Maria Lopez"]
    assert find_entities("Plan backed", [], twice, min_count=3) == []


def test_capitals_that_are_not_names_are_not_tags():
    body = (
        "Yesterday the council met. Officers said it went well. Officers agreed.\n\n"
        "On Monday in March the vote was held. On Monday in March the vote was held again.\n\n"
        "Every Word Of This Line Is Capitalised Like A Headline In Title Case Somewhere.\n\n"
        "Every Word Of This Line Is Capitalised Like A Headline In Title Case Somewhere."
    )
    assert find_entities("Council meets", [], body) == []


def test_titles_are_taken_off_and_the_surname_counts_for_the_full_name():
    body = (
        "Home Secretary Sajid Javid will hold talks with police chiefs.\n\n"
        "Mr Javid said more patrols were planned, and a Bank of England report agreed."
    )
    names = find_entities("Talks on security", [], body)
    assert names[0] == "Sajid Javid"
    assert "Javid" not in names and "Home Secretary" not in " ".join(names)


def test_a_lone_surname_is_the_full_name_and_commas_and_possessives_end_names():
    body = (
        "Steve Bruce has signed a new contract. Bruce said he was happy. Bruce smiled.\n\n"
        "He studied at St Edmund Hall, Oxford and wrote Monty Python’s Flying Circus.\n\n"
        "Oxford remembers him, and so does Monty Python’s audience."
    )
    names = find_entities("Contract signed", [], body)
    assert "Steve Bruce" in names and "Bruce" not in names
    assert "Oxford" in names and "Monty Python" in names
    assert not [n for n in names if "Hall Oxford" in n or "Python Flying" in n]


def test_at_most_max_tags_and_deterministic_order():
    body = "\n\n".join(f"Visitors came from {town} and {town} again." for town in
                       ["Leeds", "York", "Hull", "Bath", "Wells", "Ely", "Ripon"])
    names = find_entities("Visitors", [], body)
    assert len(names) == 5 and names == sorted(names)
    assert find_entities("Visitors", [], body, max_tags=0) == []


def test_a_huge_body_is_read_only_up_to_its_cap():
    body = "Words about Anna Berg in town. " * 400_000  # 12 MB
    start = time.perf_counter()
    assert find_entities("A long story", [], body) == ["Anna Berg"]
    assert time.perf_counter() - start < 5


def test_built_story_shows_found_tags_apart_and_tag_pages_connect_stories(local):
    pages = story_pages(local)
    page = soup(pages[SEED_TITLE])
    assert [text(a) for a in page.select(".tags a[rel=tag]")] == ["Police", "Mosques", "New Zealand"]
    found = [text(a) for a in page.select(".topics a")]
    assert "Sadiq Khan" in found and len(found) <= 5
    for a in page.select(".topics a"):
        assert (pages[SEED_TITLE].parent / a["href"]).resolve().is_file()
    markets = soup(pages["Markets rally as interest rates hold"])
    assert "Bank of England" in [text(a) for a in markets.select(".topics a")]
    tag_page = soup(local / "tag" / "sadiq-khan.html")
    assert [text(h) for h in tag_page.select(".story-title")] == [SEED_TITLE, "Mayor opens interfaith week at the East London Mosque"]


def test_a_name_found_in_one_story_alone_is_no_tag(local, tmp_path):
    """"Tom Fisher" is found in the harbour story only: a tag page of his would list that story
    alone. With BROADSHEET_AUTO_TAG_MIN_STORIES = 1 every found name is a tag."""
    harbour = soup(story_pages(local)["Harbour ferry returns after winter repairs"])
    assert harbour.select(".topics") == []
    assert not (local / "tag" / "tom-fisher.html").exists()
    assert "Tom Fisher" not in text(soup(local / "tags.html").select_one("main"))
    every = build(tmp_path, "pelicanconf.py", BROADSHEET_AUTO_TAG_MIN_STORIES=1)
    harbour = soup(story_pages(every)["Harbour ferry returns after winter repairs"])
    assert "Tom Fisher" in [text(a) for a in harbour.select(".topics a")]
    assert [text(h) for h in soup(every / "tag" / "tom-fisher.html").select(".story-title")] == [
        "Harbour ferry returns after winter repairs"
    ]


def test_a_story_that_names_what_another_names_makes_a_tag_of_it_in_a_rebuild(tmp_path):
    """With the parse cache and page memo on: the seed alone finds "Sadiq Khan" but makes no tag of
    it; once a second story names him too, the rebuild tags both, as a build from scratch does."""
    content, output, cache = tmp_path / "content", tmp_path / "output", tmp_path / "cache"
    content.mkdir()
    (content / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")

    def build_here(folder: Path, **overrides) -> dict[str, Path]:
        settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(folder), **overrides})
        Pelican(settings=settings).run()
        return story_pages(folder)

    seed = build_here(output, BROADSHEET_CACHE_PATH=str(cache))[SEED_TITLE]
    assert soup(seed).select(".topics") == [] and not (output / "tag" / "sadiq-khan.html").exists()
    (content / "interfaith.txt").write_text(STORIES["interfaith.txt"], encoding="utf-8")
    pages = build_here(output, BROADSHEET_CACHE_PATH=str(cache))
    assert "Sadiq Khan" in [text(a) for a in soup(pages[SEED_TITLE]).select(".topics a")]
    fresh = build_here(tmp_path / "fresh")
    for page in [*pages.values(), output / "tag" / "sadiq-khan.html", output / "tags.html"]:
        assert page.read_bytes() == (tmp_path / "fresh" / page.relative_to(output)).read_bytes(), page


def test_a_shared_name_behind_the_maximum_of_unshared_ones_is_a_tag(tmp_path):
    """At one found tag a story, the seed's first found names ("London", "Christchurch", ...) are
    in no other story: it gets the first name it shares, "East London Mosque" (its fourth), and so
    does the interfaith story, whose first name "Sadiq Khan" is then shared by no story but the
    seed (which took the mosque): no page of one story. "Bank of England" is then the markets
    story's alone and no tag."""
    pages = story_pages(build(tmp_path, "pelicanconf.py", BROADSHEET_AUTO_TAGS=1))
    found = {title: [text(a) for a in soup(page).select(".topics a")] for title, page in pages.items()}
    assert found[SEED_TITLE] == found["Mayor opens interfaith week at the East London Mosque"] == ["East London Mosque"]
    assert found["Markets rally as interest rates hold"] == []
    assert not (tmp_path / "output" / "tag" / "sadiq-khan.html").exists()
    assert not (tmp_path / "output" / "tag" / "bank-of-england.html").exists()


#: Each story's found names (slugs), most prominent first; (maximum a story, stories a name needs) → the tags.
SHARING = [
    # a name shared behind five that no other story has is still a tag
    ([["a1", "a2", "a3", "a4", "a5", "x"], ["x"]], {}, (5, 2), {"x"}),
    # two stories that each put the other's first name second: each name is taken by one; the
    # first in alphabetical order is struck off, and both take the other
    ([["elm", "sk"], ["sk", "elm"]], {}, (1, 2), {"sk"}),
    # "w" is in three stories but taken by one (the others took "x"): struck off; "y" is in one
    ([["x", "w"], ["x", "w"], ["y", "w"]], {}, (1, 2), {"x"}),
    # a curator's tag on another story counts
    ([["x", "y"]], {"x": 1}, (5, 2), {"x"}),
    # at one story a name, every story takes its first names
    ([["x", "y", "z"], ["w"]], {}, (2, 1), {"x", "y", "w"}),
]


@pytest.mark.parametrize(("stories", "given", "limits", "expected"), SHARING)
def test_shared_names(stories, given, limits, expected):
    from collections import Counter

    max_tags, min_stories = limits
    shared = shared_names(stories, Counter(given), max_tags, min_stories)
    assert shared == expected
    taken = Counter(given) + Counter(name for names in stories for name in first_shared(names, shared, max_tags))
    assert all(taken[name] >= min_stories for name in shared)  # no tag page of fewer stories
    assert shared_names(stories[::-1], Counter(given), max_tags, min_stories) == shared  # the stories' order is no matter


def test_shared_names_keep_every_tag_page_connecting_on_random_stories():
    """Random stories, names and limits: every name kept is taken by enough stories, and the
    result does not depend on the order of the stories."""
    import random
    from collections import Counter

    rng = random.Random(7)
    for _ in range(400):
        vocabulary = [f"n{i}" for i in range(rng.randint(2, 12))]
        stories = [rng.sample(vocabulary, rng.randint(0, len(vocabulary))) for _ in range(rng.randint(1, 10))]
        given = Counter(rng.sample(vocabulary, rng.randint(0, 2)))
        max_tags, min_stories = rng.randint(1, 4), rng.randint(1, 3)
        shared = shared_names(stories, given, max_tags, min_stories)
        taken = given + Counter(name for names in stories for name in first_shared(names, shared, max_tags))
        assert all(taken[name] >= min_stories for name in shared)
        assert shared_names(rng.sample(stories, len(stories)), given, max_tags, min_stories) == shared


@pytest.mark.parametrize("maximum", [0, -1, None])
def test_found_tags_off_at_a_maximum_of_zero_less_or_none(maximum):
    from news_reader.parse import parse_story
    from news_reader.prepare import typeset
    from news_reader.render import render_body
    from news_reader.tagging import Tagging

    story = parse_story(SEED.read_text(encoding="utf-8"), str(SEED))
    tagging = Tagging.of(read_settings(str(ROOT / "pelicanconf.py"), override={"BROADSHEET_AUTO_TAGS": maximum}))
    assert tagging.find(story, typeset(story), render_body(story), "seed.txt") is None


def test_the_parse_cache_follows_the_tag_slug_settings():
    """Found tags' slugs are made with the parse and cached with it: a setting that changes a
    tag's slug makes the cache's entries stale."""
    from news_reader.cache import fingerprint

    settings = read_settings(str(ROOT / "pelicanconf.py"))
    changed = read_settings(str(ROOT / "pelicanconf.py"), override={"TAG_REGEX_SUBSTITUTIONS": [("'", "-")]})
    assert fingerprint(settings) != fingerprint(changed)


def test_tag_index_is_sorted_by_use(local):
    rows = soup(local / "tags.html").select("main ul.index-list li")
    counts = [int(text(li.select_one(".count")).split()[0]) for li in rows]
    names = [text(li.a) for li in rows]
    assert counts == sorted(counts, reverse=True)
    # two stories each, then by name; the curator's own tags of one story after them
    assert names[:5] == ["Bank of England", "East London Mosque", "Police", "Sadiq Khan", "Transport"]
    assert set(names[5:]) == {"Escaping", "Faith", "Markets", "Mosques", "New Zealand"}


def test_auto_tags_can_be_turned_off(tmp_path):
    output = build(tmp_path, "pelicanconf.py", BROADSHEET_AUTO_TAGS=0)
    page = soup(story_pages(output)[SEED_TITLE])
    assert page.select(".topics") == []
    assert not (output / "tag" / "sadiq-khan.html").exists()


# --- the published pages are valid HTML (JSON-LD and meta tags included) ------------------------


def test_published_pages_pass_the_nu_html_checker(published):
    """tests/test_browser.py checks a local build; only a published one has JSON-LD and og:url."""
    import os
    import shutil
    import subprocess

    java = shutil.which("java")
    vnu = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not java or not vnu.is_file():
        message = "!!! java or node_modules/vnu-jar missing: published pages not checked (`npm ci`)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    result = subprocess.run(
        [java, "-jar", str(vnu), "--skip-non-html", "--errors-only", str(published)],
        capture_output=True, text=True, timeout=600,
    )
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and "error:" not in report.lower(), report


def test_a_draft_gets_no_found_tags_that_would_link_nowhere(tmp_path):
    draft = STORIES["markets.txt"].replace("Category: Business", "Category: Business\nStatus: draft")
    content = tmp_path / "content"
    content.mkdir()
    (content / "markets.txt").write_text(draft, encoding="utf-8")
    (content / "library.txt").write_text(STORIES["library.txt"], encoding="utf-8")
    output = tmp_path / "output"
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(output)})
    Pelican(settings=settings).run()
    (page,) = (output / "drafts").glob("*.html")
    assert soup(page).select(".topics") == []
    assert not (output / "tag" / "bank-of-england.html").exists()


def test_related_stories_kept_from_the_last_build_are_those_a_full_search_finds():
    """After stories are added, removed, retagged, moved in time or to another section, the
    stories worked out again and those kept from the memo are what `find_related` finds anew."""
    import random
    from datetime import timezone

    from news_reader.related import related_stories

    chance = random.Random(7)

    def story(number: int) -> SimpleNamespace:
        return SimpleNamespace(url=f"s{number:04}", date=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=chance.randrange(2000)),
                               tags=chance.sample([f"t{n}" for n in range(12)], chance.randrange(4)), category=chance.choice("ABC"))

    stories = [story(n) for n in range(400)]
    _, kept = related_stories(stories, 3, None)
    for round_ in range(40):
        for _ in range(chance.randrange(1, 4)):
            change, target = chance.randrange(5), chance.randrange(len(stories))
            if change == 0:
                stories.append(story(1000 + round_ * 10 + len(stories) % 10))
            elif change == 1:
                stories.pop(target)
            elif change == 2:
                stories[target].tags = chance.sample([f"t{n}" for n in range(12)], chance.randrange(4))
            elif change == 3:
                stories[target].date += timedelta(hours=chance.randrange(-300, 300))
            else:
                stories[target].category = chance.choice("ABC")
        related, kept = related_stories(stories, 3, kept)
        full = find_related(stories)
        assert {s.url: [o.url for o in related[id(s)]] for s in stories} == \
            {s.url: [o.url for o in full[id(s)]] for s in stories}, round_
