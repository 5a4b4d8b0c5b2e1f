"""Speed levers keep the output byte-identical to the straightforward build."""

import filecmp
import gc
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stories"


def _build(content: Path, output: Path, **overrides) -> None:
    settings = read_settings(
        str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(output), **overrides}
    )
    Pelican(settings).run()


def _same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only."""
    differ: list[str] = []
    comparison = filecmp.dircmp(left, right)
    stack = [(comparison, Path())]
    while stack:
        node, where = stack.pop()
        differ += [str(where / n) for n in node.left_only + node.right_only]
        _, mismatch, errors = filecmp.cmpfiles(node.left, node.right, node.common_files, shallow=False)
        differ += [str(where / n) for n in mismatch + errors]
        stack += [(sub, where / name) for name, sub in node.subdirs.items()]
    return differ


def test_parallel_preparation_gives_the_same_site(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    for story in sorted(FIXTURES.glob("*.txt")):
        shutil.copy(story, content / story.name)
    _build(content, tmp_path / "serial", BROADSHEET_PARALLEL_MIN_STORIES=10**9)
    _build(content, tmp_path / "parallel", BROADSHEET_PARALLEL_MIN_STORIES=1)
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader.site import LAST_REPORT

    assert LAST_REPORT.published > 10 and LAST_REPORT.errors  # the fixtures hold good and bad stories
    assert _same_tree(tmp_path / "serial", tmp_path / "parallel") == []


def test_stories_a_worker_fails_on_are_prepared_by_the_build(tmp_path, monkeypatch, caplog):
    """A worker that fails (a bug, a killed process) loses no story: the build prepares it itself."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import prepare

    content = _fixture_content(tmp_path / "content")
    _build(content, tmp_path / "serial", BROADSHEET_PARALLEL_MIN_STORIES=10**9)
    build, real = os.getpid(), prepare._prepare_data

    def fails_in_workers(*args):
        if os.getpid() != build:
            raise MemoryError("worker out of memory")
        return real(*args)

    monkeypatch.setattr(prepare, "_prepare_data", fails_in_workers)
    with caplog.at_level(logging.WARNING):
        _build(content, tmp_path / "parallel", BROADSHEET_PARALLEL_MIN_STORIES=1, BROADSHEET_CACHE_PATH=str(tmp_path / "cache"))
    failed = [r.getMessage() for r in caplog.records if "preparing it in a worker failed" in r.getMessage()]
    assert len(failed) == len(list(content.glob("*.txt")))
    assert "MemoryError: worker out of memory" in failed[0]
    assert _same_tree(tmp_path / "serial", tmp_path / "parallel") == []


# --- Broadsheet's parse cache (plugins/news_reader/cache.py) ---------------------------------------


def _fixture_content(folder: Path) -> Path:
    """The fixture stories, copied with their file times (stories without a date take the file's)."""
    folder.mkdir(parents=True, exist_ok=True)
    for story in sorted(FIXTURES.glob("*.txt")):
        shutil.copy2(story, folder / story.name)
    return folder


def _cache_entries(cache: Path) -> set[str]:
    return {p.name for p in cache.glob("*.pickle")} if cache.is_dir() else set()


def test_warm_builds_from_the_parse_cache_equal_a_cold_build(tmp_path):
    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    _build(content, tmp_path / "plain")
    _build(content, tmp_path / "cold", BROADSHEET_CACHE_PATH=str(cache))
    entries = _cache_entries(cache)
    assert len(entries) == len(list(content.glob("*.txt")))  # bad stories are cached too
    _build(content, tmp_path / "warm", BROADSHEET_CACHE_PATH=str(cache))
    # a warm build into the output of the cold one (the usual case) rewrites it identically
    _build(content, tmp_path / "cold", BROADSHEET_CACHE_PATH=str(cache))
    assert _same_tree(tmp_path / "plain", tmp_path / "cold") == []
    assert _same_tree(tmp_path / "plain", tmp_path / "warm") == []
    assert _cache_entries(cache) == entries


def test_a_build_from_a_cache_read_ahead_equals_a_plain_build_and_reads_changed_files_again(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import cache as parse_cache

    monkeypatch.setattr(parse_cache, "_AHEAD", {})
    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    _build(content, tmp_path / "site", BROADSHEET_CACHE_PATH=str(cache))
    parse_cache.read_ahead(cache)  # as livereload's zygote does after a build (tools/prefork.py)
    ahead = dict(parse_cache._AHEAD)
    assert {Path(path).name for path in ahead} >= _cache_entries(cache) | {"memo-pages.bin"}
    story = sorted(content.glob("*.txt"))[3]
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more paragraph, added by an edit.\n", encoding="utf-8")
    _build(content, tmp_path / "site", BROADSHEET_CACHE_PATH=str(cache))
    _build(content, tmp_path / "plain")
    assert _same_tree(tmp_path / "plain", tmp_path / "site") == []
    changed = [path for path, (stamp, _) in ahead.items() if parse_cache._file_stamp(path) != stamp]
    kinds = sorted(Path(path).name.split("-")[0].split(".")[-1] for path in changed)
    assert kinds == ["memo", "output", "pickle"], "the edited story's entry, the memo and the list of output files"
    for path in ahead:
        value = parse_cache._unpickle(Path(path))
        assert (value is ahead[path][1]) == (path not in changed), path
    (cache / "memo-pages.bin").unlink()
    parse_cache.read_ahead(cache)
    assert str(cache / "memo-pages.bin") not in parse_cache._AHEAD, "a file gone is forgotten"


def test_an_edited_story_is_parsed_again_and_edited_back(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import prepare

    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    story = content / "byline_on_two_lines.txt"  # "Bridge reopens to traffic"
    original = story.read_bytes()
    stat = story.stat()
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    parsed: list[str] = []
    real = prepare._prepare_data
    monkeypatch.setattr(prepare, "_prepare_data", lambda *a: parsed.append(a[2]) or real(*a))

    story.write_bytes(original.replace(b"Monday", b"Tuesday"))
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    assert parsed == ["byline_on_two_lines.txt"]  # only the edited story is parsed again
    _build(content, tmp_path / "edited_cold")  # no cache
    assert b"on Tuesday" in next((tmp_path / "out").rglob("bridge-reopens-to-traffic.html")).read_bytes()
    assert _same_tree(tmp_path / "edited_cold", tmp_path / "out") == []

    parsed.clear()
    story.write_bytes(original)
    os.utime(story, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    assert parsed == ["byline_on_two_lines.txt"]
    _build(content, tmp_path / "original_cold")
    assert _same_tree(tmp_path / "original_cold", tmp_path / "out") == []

    parsed.clear()
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    assert parsed == []  # nothing changed: nothing parsed
    assert _same_tree(tmp_path / "original_cold", tmp_path / "out") == []


def test_a_parser_setting_change_invalidates_the_cache(tmp_path):
    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    changed = {"BROADSHEET_PARSER": {"TITLE_MAX_WORDS": 3}}
    # a fresh output folder: Pelican leaves pages of old slugs in an old one (DELETE_OUTPUT_DIRECTORY)
    _build(content, tmp_path / "changed", BROADSHEET_CACHE_PATH=str(cache), **changed)
    _build(content, tmp_path / "changed_cold", **changed)
    _build(content, tmp_path / "default_cold")
    assert _same_tree(tmp_path / "changed_cold", tmp_path / "changed") == []
    assert _same_tree(tmp_path / "default_cold", tmp_path / "changed_cold") != []  # the setting matters
    _build(content, tmp_path / "back", BROADSHEET_CACHE_PATH=str(cache))
    assert _same_tree(tmp_path / "default_cold", tmp_path / "back") == []


def test_a_deleted_story_leaves_the_site_and_the_cache(tmp_path):
    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    before = _cache_entries(cache)
    stale = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("bridge-reopens-to-traffic.html")]
    assert len(stale) == 1
    (content / "byline_on_two_lines.txt").unlink()
    _build(content, tmp_path / "after", BROADSHEET_CACHE_PATH=str(cache))
    assert len(_cache_entries(cache)) == len(before) - 1
    assert not list((tmp_path / "after").rglob("bridge-reopens-to-traffic.html"))
    _build(content, tmp_path / "after_cold")
    assert _same_tree(tmp_path / "after_cold", tmp_path / "after") == []
    # rebuilt into the old output folder (after a build into another): gone from every listing,
    # and its page removed, although DELETE_OUTPUT_DIRECTORY is off (the last build into this
    # folder wrote it)
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    assert _same_tree(tmp_path / "after_cold", tmp_path / "out") == []
    assert not (tmp_path / "out" / stale[0]).exists()


def test_a_corrupt_cache_entry_is_ignored_with_a_warning(tmp_path, caplog):
    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    _build(content, tmp_path / "plain")
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    entries = sorted(cache.glob("*.pickle"))
    entries[0].write_bytes(b"not a pickle at all")
    entries[1].write_bytes(entries[1].read_bytes()[:40])  # cut short
    (cache / "stray.pickle").write_bytes(b"\x80\x05junk")  # no story's: removed
    with caplog.at_level(logging.WARNING):
        _build(content, tmp_path / "again", BROADSHEET_CACHE_PATH=str(cache))
    warned = [r.getMessage() for r in caplog.records if "parse cache" in r.getMessage()]
    assert len(warned) == 2 and all("ignoring unreadable entry" in m for m in warned)
    assert _same_tree(tmp_path / "plain", tmp_path / "again") == []
    assert sorted(cache.glob("*.pickle")) == entries  # rewritten, the stray one pruned
    with caplog.at_level(logging.WARNING):
        caplog.clear()
        _build(content, tmp_path / "again", BROADSHEET_CACHE_PATH=str(cache))
    assert not [r for r in caplog.records if "parse cache" in r.getMessage()]


def test_the_cache_is_off_by_default_and_invoke_build_keeps_one_per_content_folder(tmp_path):
    import tasks

    settings = read_settings(str(ROOT / "pelicanconf.py"))
    assert settings["BROADSHEET_CACHE_PATH"] is None
    first, second = tasks.cache_folder(str(tmp_path / "a")), tasks.cache_folder(str(tmp_path / "b"))
    assert first != second and first == tasks.cache_folder(str(tmp_path / "a" / ".." / "a"))
    assert os.path.dirname(first) == str(ROOT / "cache")
    assert '"BROADSHEET_CACHE_PATH": cache' in (ROOT / "tasks.py").read_text(encoding="utf-8")
    assert "cache/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_a_rebuild_writes_only_pages_whose_bytes_changed(tmp_path):
    content, output = _fixture_content(tmp_path / "content"), tmp_path / "out"
    _build(content, output, BROADSHEET_CACHE_PATH=str(tmp_path / "cache"))
    pages = {p: p.stat().st_mtime_ns for p in output.rglob("*.html")}
    for page in pages:
        os.utime(page, ns=(0, 0))  # an old time: a page written again gets a new one
    story = content / "metadata_header.txt"  # dated in its header: an edit keeps its place
    story.write_text(story.read_text(encoding="utf-8").replace("three new", "four new"), encoding="utf-8")
    _build(content, output, BROADSHEET_CACHE_PATH=str(tmp_path / "cache"))
    rewritten = {p.relative_to(output).as_posix() for p in pages if p.stat().st_mtime_ns != 0}
    assert "2024/05/cycle-lanes.html" in rewritten
    assert "archives.html" not in rewritten and len(rewritten) < len(pages) // 2
    _build(content, tmp_path / "cold", BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "cold", output) == []


def test_a_rebuild_with_nothing_changed_writes_no_file(tmp_path):
    """Pages, Atom and RSS feeds, JSON feeds, sitemaps and robots.txt alike: `rsync` and browsers
    see no change. (The theme's static files are Pelican's: copied when older than the theme's.)"""
    content, output = _fixture_content(tmp_path / "content"), tmp_path / "out"
    _build(content, output, BROADSHEET_CACHE_PATH=str(tmp_path / "cache"))
    made = [p for p in output.rglob("*") if p.is_file() and "theme" not in p.relative_to(output).parts]
    assert {p.suffix for p in made} >= {".html", ".xml", ".json", ".txt"}
    for path in made:
        os.utime(path, ns=(0, 0))  # an old time: a file written again gets a new one
    _build(content, output, BROADSHEET_CACHE_PATH=str(tmp_path / "cache"))
    assert [p.relative_to(output).as_posix() for p in made if p.stat().st_mtime_ns != 0] == []


def test_json_feeds_are_made_again_only_when_their_stories_changed(tmp_path, monkeypatch):
    """With the page memo, a JSON feed whose stories, title and settings are those of the last
    build is not even made, as an Atom or RSS feed is not; a story edited makes the feeds that
    hold it again, and the site is the one a build from scratch makes."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import jsonfeed

    content, output, settings = _fixture_content(tmp_path / "content"), tmp_path / "out", {"BROADSHEET_CACHE_PATH": str(tmp_path / "cache")}
    _build(content, output, **settings)
    made: list[str] = []
    document = jsonfeed.feed_document
    monkeypatch.setattr(jsonfeed, "feed_document", lambda stories, settings, path, title=None: made.append(path)
                        or document(stories, settings, path, title))
    _build(content, output, **settings)
    assert made == []
    story = content / "metadata_header.txt"  # in the Local section
    story.write_text(story.read_text(encoding="utf-8").replace("three new", "four new"), encoding="utf-8")
    _build(content, output, **settings)
    assert sorted(made) == ["feeds/all.json", "feeds/local.json"]
    _build(content, tmp_path / "cold", BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "cold", output) == []


def _pelican_listing_pages(generator, write, kind, pairs):
    from pelican.generators import ArticlesGenerator

    method = {"tag": ArticlesGenerator.generate_tags, "category": ArticlesGenerator.generate_categories,
              "author": ArticlesGenerator.generate_authors}[kind]
    method(generator, write)


def test_urls_worked_out_once_and_fast_listings_give_the_same_site(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import site, writer

    content = _fixture_content(tmp_path / "content")
    for name, text in (("storm_a.txt", "It closed the road."), ("storm_b.txt", "It closed the road again.")):
        (content / name).write_text(f"Date: 2024-05-01\n\nStorm closes coastal road\n\n{text}\n", encoding="utf-8")
    authors = {"AUTHOR_SAVE_AS": "author/{slug}.html"}  # written here, so that they are compared too
    _build(content, tmp_path / "fixed", **authors)
    assert len(list((tmp_path / "fixed").rglob("storm-closes-coastal-road*.html"))) == 2  # a URL kept, then changed
    monkeypatch.setattr(site, "_fixed_class", lambda cls: cls)  # Pelican's own URL properties
    monkeypatch.setattr(writer, "_listing_pages", _pelican_listing_pages)  # and its own listing pages
    _build(content, tmp_path / "plain", BROADSHEET_WRITE_UNCHANGED=True, **authors)
    assert list((tmp_path / "plain" / "author").glob("*.html"))
    assert _same_tree(tmp_path / "plain", tmp_path / "fixed") == []



def test_story_cards_rendered_once_a_build_give_the_same_listing_pages(tmp_path, monkeypatch):
    """A story's card is rendered once a build for each depth of page (cards.once_per_build), not
    once for every listing page it is on; the pages are those of a card rendered every time."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import cards

    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 30)
    rendered: list[tuple] = []
    real = cards.once_per_build

    def counting(macro, story, *arguments):
        rendered.append((id(story), *arguments))
        return real(macro, story, *arguments)

    monkeypatch.setattr(cards, "once_per_build", counting)
    monkeypatch.setattr(cards, "_CARDS", {})
    _build(content, tmp_path / "once", BROADSHEET_WRITE_UNCHANGED=True)  # rendered here, in one process
    assert len(set(rendered)) < len(rendered) / 2  # most cards are on several listing pages
    cards_on_pages = sum(p.read_text(encoding="utf-8").count('<article class="story-summary')
                         for p in (tmp_path / "once").rglob("*.html"))
    assert cards_on_pages == len(rendered)
    monkeypatch.setattr(cards, "once_per_build", lambda macro, story, *arguments: macro(story, *arguments))
    _build(content, tmp_path / "every_time", BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "every_time", tmp_path / "once") == []


def test_listing_pages_list_stories_as_pelican_does():
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader.writer import _in_date_order

    stories = [object() for _ in range(6)]
    dates = [stories[i] for i in (3, 1, 5, 0, 2)]  # stories[4] is in no date list (a draft, say)
    position = {id(a): i for i, a in enumerate(dates)}
    for articles in ([stories[0], stories[5], stories[3]], [stories[4], stories[2], stories[2]], [], stories):
        assert _in_date_order(articles, position) == [a for a in dates if a in articles]


# --- Pages rendered only when what they read changed (plugins/news_reader/pages.py) ----------------


def _synthetic(folder: Path, count: int, start: int = 0) -> None:
    """`count` synthetic stories (bench/gen_corpus.py), dated and tagged in their headers."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_corpus.py"), "--n", str(count), "--start", str(start),
                    "--form", "txt", "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)


def _pages_report() -> tuple[int, int]:
    """(rendered, kept) of the last build's page memo."""
    from news_reader import writer

    return writer.LAST_PAGES


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_pages_are_rendered_again_exactly_when_what_they_show_changed(tmp_path):
    """After each kind of edit, a rebuild into the same folder with the page memo equals a cold
    build without any cache, and a rebuild with nothing changed renders no page."""
    sys.path.insert(0, str(ROOT / "plugins"))
    content, cache, output = _fixture_content(tmp_path / "content"), tmp_path / "cache", tmp_path / "out"
    _synthetic(content, 30)
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    stories = sorted(content.glob("2*.txt"))
    settings = {"BROADSHEET_CACHE_PATH": str(cache), "THEME": str(theme)}
    _build(content, output, **settings)
    everything = _pages_report()[0]
    from news_reader.rendering import PARALLEL_MIN_PAGES

    assert everything >= PARALLEL_MIN_PAGES  # rendered in worker processes
    _build(content, tmp_path / "pelican_writer", THEME=str(theme), BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "pelican_writer", output) == []  # as Pelican's writer renders, one by one

    def check(step: str, **extra) -> tuple[int, int]:
        _build(content, output, **settings, **extra)
        report = _pages_report()
        _build(content, tmp_path / step, THEME=str(theme), **extra)  # cold, no cache
        assert _same_tree(tmp_path / step, output) == [], step
        return report

    assert check("nothing") == (0, everything)
    _synthetic(content, 1, start=500)
    added = check("added")
    assert 0 < added[0] < everything / 2  # the new story's page, its neighbours and listings
    stories[3].write_text(stories[3].read_text(encoding="utf-8") + "\nOne more paragraph, added by an edit.\n",
                          encoding="utf-8")
    assert 0 < check("body")[0] < everything / 2
    _edit(stories[5], "Tags: ", "Tags: Lighthouses, ")  # a new tag: its page, the tag index
    assert check("tags")[0] < everything / 2
    _edit(stories[7], "Category: ", "Category: Weather ")  # a new section: in every page's navigation
    assert check("section")[1] == 0
    (theme / "templates" / "article.html").write_text(
        (theme / "templates" / "article.html").read_text(encoding="utf-8").replace("</article>", "</article>\n"),
        encoding="utf-8",
    )
    theme_edit = check("template")
    assert 0 < theme_edit[0] < everything  # story pages only
    assert check("setting", SITENAME="The Daily Digest")[1] == 0  # every page shows the name
    deleted = _cold_pages(tmp_path / "setting") - _cold_pages(_build_deleted(content, stories[9], tmp_path / "deleted", theme))
    assert any(path.endswith(".html") and path.startswith("20") for path in deleted)  # its page, at least
    _build(content, output, **settings)  # the pages only the deleted story made are removed
    assert _same_tree(tmp_path / "deleted", output) == []
    assert all(not (output / path).exists() for path in deleted)


def _cold_pages(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


def _build_deleted(content: Path, story: Path, folder: Path, theme: Path) -> Path:
    """`story` deleted, and the site built from scratch without it."""
    story.unlink()
    _build(content, folder, THEME=str(theme))
    return folder


def test_each_template_is_analysed_once_a_build_and_not_again_in_the_next(tmp_path, monkeypatch):
    """What a template reads is worked out once for all the templates that extend or import it."""
    import jinja2

    content, cache = _fixture_content(tmp_path / "content"), tmp_path / "cache"
    parsed: list[str] = []
    real = jinja2.Environment.parse
    monkeypatch.setattr(jinja2.Environment, "parse", lambda self, source, *a, **k: parsed.append(source) or real(self, source, *a, **k))
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    base = (ROOT / "theme" / "templates" / "base.html").read_text(encoding="utf-8")
    assert parsed.count(base) == 1 and len(parsed) == len(set(parsed)) > 5
    parsed.clear()
    _build(content, tmp_path / "out", BROADSHEET_CACHE_PATH=str(cache))
    assert parsed == []  # kept with the page memo


def test_a_page_edited_by_hand_is_not_removed_and_another_output_is_left_alone(tmp_path):
    """Removing the pages a rebuild no longer makes touches only files the last build wrote into
    this output, as it wrote them: a build into another folder with the same cache removes
    nothing from the first, nor takes its list; of two deleted stories, the page changed by hand
    since stays."""
    content, cache, out = _fixture_content(tmp_path / "content"), tmp_path / "cache", tmp_path / "out"
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    edited = next(out.rglob("bridge-reopens-to-traffic.html"))  # byline_on_two_lines.txt
    untouched = next(out.rglob("police-step-up-security-at-uk-mosques-after-new-zealand-massacre.html"))  # seed.txt
    edited.write_text(edited.read_text(encoding="utf-8") + "<!-- kept by hand -->", encoding="utf-8")
    (content / "byline_on_two_lines.txt").unlink()
    (content / "seed.txt").unlink()
    _build(content, tmp_path / "other", BROADSHEET_CACHE_PATH=str(cache))
    assert untouched.exists()  # not in the other build's output
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    assert edited.exists() and not untouched.exists()


def test_pages_gone_are_removed_after_an_update_that_empties_the_memo_and_a_build_inside(tmp_path, monkeypatch):
    """The files written are listed per output folder, apart from the memo: an update of the
    plugin (here: of the cache's format) that empties the memo and the parse cache loses no page
    to remove, and a build into a folder inside the output is neither removed nor removes."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import cache as parse_cache

    content, cache, out = _fixture_content(tmp_path / "content"), tmp_path / "cache", tmp_path / "out"
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    page = next(out.rglob("police-step-up-security-at-uk-mosques-after-new-zealand-massacre.html"))  # seed.txt
    _build(content, out / "preview", BROADSHEET_CACHE_PATH=str(cache))
    (content / "seed.txt").unlink()
    monkeypatch.setattr(parse_cache, "FORMAT", parse_cache.FORMAT + 1)
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    assert not page.exists()
    assert next((out / "preview").rglob("police-step-up-security-at-uk-mosques-after-new-zealand-massacre.html")).exists()
    _build(content, tmp_path / "cold")
    assert [p for p in _same_tree(tmp_path / "cold", out) if p != "preview"] == []


def test_a_story_edited_on_one_page_of_a_listing_renders_that_page_and_its_neighbours(tmp_path, monkeypatch):
    """Each page of a paginated listing has a key of its own: an edit to a story's text renders
    its page of the section again and the pages that link to it, not the whole section."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import rendering

    content, output = tmp_path / "content", tmp_path / "out"
    content.mkdir()
    for number in range(12):
        (content / f"story-{number:02}.txt").write_text(
            f"Date: 2024-05-{number + 1:02} 10:00\nCategory: Harbour\n\nFerry story {number}\n\n"
            f"  • The ferry {number} sailed on time\n\nThe ferry sailed at dawn.\n", encoding="utf-8")
    settings = {"BROADSHEET_CACHE_PATH": str(tmp_path / "cache"), "DEFAULT_PAGINATION": 2}
    _build(content, output, **settings)
    rendered: list[str] = []
    real = rendering.run
    monkeypatch.setattr(rendering, "run", lambda jobs, settle: rendered.extend(jobs) or real(jobs, settle))
    story = content / "story-05.txt"  # the 7th newest: on page 4 of 6
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    _build(content, output, **settings)
    section = sorted(Path(name).name for name in rendered if "/category/" in name)
    assert section == ["harbour3.html", "harbour4.html", "harbour5.html"]  # its page, and the two linking to it
    _build(content, tmp_path / "cold", DEFAULT_PAGINATION=2)
    assert _same_tree(tmp_path / "cold", output) == []


def test_a_page_that_fails_to_render_fails_the_build_naming_it(tmp_path):
    """Rendered in the build's own process or in a worker (every other page), whichever it is."""
    sys.path.insert(0, str(ROOT / "plugins"))
    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 40)
    theme = tmp_path / "theme"
    shutil.copytree(ROOT / "theme", theme)
    article = theme / "templates" / "article.html"
    broken = "{% if article.slug == 'ferry-service-resumes' %}{{ article.no_such.thing }}{% endif %}"
    article.write_text(article.read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}" + broken),
                       encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"could not render \S*ferry-service-resumes.html: UndefinedError"):
        _build(content, tmp_path / "out", THEME=str(theme))


def test_pages_rendered_while_the_build_goes_on_are_those_rendered_at_its_end(tmp_path, monkeypatch):
    """Workers start on the pages noted so far while Pelican asks for more (rendering.py): the site
    is the one Pelican's writer renders page by page. A page saved over one a worker already has
    (a template page over a story's page, `override_output`) stands: in a cold build, and in a
    rebuild that renders the story's page again while the template page's own call is unchanged."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import rendering

    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 30)
    ferry = content / "ferry.txt"
    ferry.write_text("Date: 2024-05-01 09:00\nCategory: Harbour\nSlug: harbour-ferry\n\nFerry returns to the harbour\n\n"
                     "  • The ferry is back\n\nThe ferry came back at dawn.\n", encoding="utf-8")
    (content / "over.tmpl").write_text("<p>A page of its own, saved over the story's page</p>\n", encoding="utf-8")
    settings = {"TEMPLATE_PAGES": {"over.tmpl": "2024/05/harbour-ferry.html"}}
    handed: list[str] = []
    real = rendering.start
    monkeypatch.setattr(rendering, "start", lambda items, settle: handed.extend(f for f, _ in items) or real(items, settle))
    monkeypatch.setattr(rendering, "PARALLEL_MIN_PAGES", 10**9)  # pages not handed early: rendered at the end, here
    monkeypatch.setattr(rendering, "spare_cores", lambda: 10**6)  # never wait for a worker to be done
    monkeypatch.setattr(rendering, "EARLY_MIN_PAGES", 20)
    monkeypatch.setattr(rendering, "FIRST_EARLY_PAGES", 20)
    parent, real_render = os.getpid(), rendering.render

    def late_in_a_worker(job, context):
        if os.getpid() != parent and context.get("article") is not None and context["article"].slug == "harbour-ferry":
            time.sleep(1)  # the worker still has the story's page when the page saved over it comes
        return real_render(job, context)

    monkeypatch.setattr(rendering, "render", late_in_a_worker)
    output, cache = tmp_path / "out", {"BROADSHEET_CACHE_PATH": str(tmp_path / "cache")}
    _build(content, output, **settings, **cache)
    story_page = output / "2024" / "05" / "harbour-ferry.html"
    assert str(story_page) in handed and len(handed) > 100  # several workers, the story's page in one
    _build(content, tmp_path / "pelican_writer", **settings, BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "pelican_writer", output) == []
    assert "A page of its own" in story_page.read_text(encoding="utf-8")

    handed.clear()
    monkeypatch.setattr(rendering, "EARLY_MIN_PAGES", 1)
    monkeypatch.setattr(rendering, "FIRST_EARLY_PAGES", 1)
    ferry.write_text(ferry.read_text(encoding="utf-8") + "\nIt sailed again at noon.\n", encoding="utf-8")
    _build(content, output, **settings, **cache)
    assert str(story_page) in handed
    _build(content, tmp_path / "cold", **settings)
    assert _same_tree(tmp_path / "cold", output) == []
    assert "A page of its own" in story_page.read_text(encoding="utf-8")


def test_pages_a_worker_had_not_begun_when_the_build_ended_are_rendered_with_those_left(tmp_path, monkeypatch):
    """At the end of the build a worker still busy stops after the page in hand: the pages it had
    not begun are rendered with the pages left, so no core waits on a long last batch."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import rendering

    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 30)
    handed: list[str] = []
    at_the_end: list[str] = []
    parent, real_start, real_run, real_render = os.getpid(), rendering.start, rendering.run, rendering.render

    def slow_in_a_worker(job, context):
        if os.getpid() != parent:
            time.sleep(0.05)
        return real_render(job, context)

    monkeypatch.setattr(rendering, "start", lambda items, settle: handed.extend(f for f, _ in items) or real_start(items, settle))
    monkeypatch.setattr(rendering, "run", lambda jobs, settle: at_the_end.extend(jobs) or real_run(jobs, settle))
    monkeypatch.setattr(rendering, "render", slow_in_a_worker)
    monkeypatch.setattr(rendering, "spare_cores", lambda: 1)
    monkeypatch.setattr(rendering, "PARALLEL_MIN_PAGES", 10**9)  # the pages left: rendered here
    monkeypatch.setattr(rendering, "EARLY_MIN_PAGES", 20)
    _build(content, tmp_path / "out")
    assert set(handed) & set(at_the_end)  # handed to a worker, rendered at the end
    assert gc.get_freeze_count() == 0  # what was frozen for the forks is collected again (`pelican --autoreload` builds on in one process)
    _build(content, tmp_path / "pelican_writer", BROADSHEET_WRITE_UNCHANGED=True)
    assert _same_tree(tmp_path / "pelican_writer", tmp_path / "out") == []


def test_a_worker_renders_pages_before_the_feeds_are_written(tmp_path, monkeypatch):
    """Stories' pages are asked for before the feeds (writer.pages_before_feeds), and the first
    worker takes `FIRST_EARLY_PAGES` of them: the spare core renders while this process writes
    the feeds. The site is the one Pelican's own order makes."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import rendering, writer

    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 60)
    events: list[str] = []
    real_start, real_feed = rendering.start, writer.SameBytesWriter.write_feed
    monkeypatch.setattr(rendering, "start", lambda items, settle: events.append(f"worker {len(items)}") or real_start(items, settle))
    monkeypatch.setattr(writer.SameBytesWriter, "write_feed", lambda *a, **k: events.append("feed") or real_feed(*a, **k))
    monkeypatch.setattr(rendering, "spare_cores", lambda: 1)
    _build(content, tmp_path / "out")
    assert events[0] == f"worker {rendering.FIRST_EARLY_PAGES}" and "feed" in events
    # Pelican's order (feeds first) and its own writer: the plugin registers this no-op instead
    import news_reader
    from pelican import signals

    signals.article_generator_finalized.disconnect(writer.pages_before_feeds)
    monkeypatch.setattr(news_reader, "pages_before_feeds", lambda generator: events.append("Pelican's order"))
    events.clear()
    _build(content, tmp_path / "pelican", BROADSHEET_WRITE_UNCHANGED=True)
    assert "Pelican's order" in events
    assert _same_tree(tmp_path / "pelican", tmp_path / "out") == []


def test_a_build_into_a_folder_inside_the_output_is_not_removed_by_the_next_build_outside(tmp_path):
    """Each output folder has its own list of the files it was given: `out/preview` is a site of
    its own, which a rebuild of `out` leaves whole."""
    content, cache, out = _fixture_content(tmp_path / "content"), tmp_path / "cache", tmp_path / "out"
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    _build(content, out / "preview", BROADSHEET_CACHE_PATH=str(cache))
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    _build(content, tmp_path / "cold")
    assert _same_tree(tmp_path / "cold", out / "preview") == []


def test_a_folder_that_cannot_be_removed_stays_and_the_build_ends(tmp_path, monkeypatch):
    """The page of a deleted story is removed; the folder it leaves empty stays when the system
    refuses to remove it (a mount, a link), and the build ends as usual: the collector resumed,
    the memo saved (the next build renders nothing)."""
    content, cache, out = _fixture_content(tmp_path / "content"), tmp_path / "cache", tmp_path / "out"
    (content / "alone.txt").write_text("Date: 2011-07-04 09:00\n\nA story alone in its month\n\nIts only paragraph.\n",
                                        encoding="utf-8")
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    page = next(out.rglob("a-story-alone-in-its-month.html"))
    (content / "alone.txt").unlink()

    def refuse(path):
        raise PermissionError(f"cannot remove {path}")

    monkeypatch.setattr(os, "rmdir", refuse)
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    assert not page.exists() and page.parent.is_dir() and gc.isenabled()
    monkeypatch.undo()
    _build(content, out, BROADSHEET_CACHE_PATH=str(cache))
    assert _pages_report()[0] == 0


def test_gone_leaves_files_without_a_stamp_outside_the_folder_changed_or_made_again(tmp_path):
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader.pages import gone, stamp

    folder = tmp_path / "out"
    folder.mkdir()
    paths = {name: str(folder / name) for name in ("old.html", "changed.html", "made.html", "claimed.html", "never.html")}
    for path in paths.values():
        Path(path).write_text("page", encoding="utf-8")
    outside = tmp_path / "other.html"
    outside.write_text("page", encoding="utf-8")
    last = {path: stamp(path) for path in paths.values()} | {str(outside): stamp(str(outside)), paths["never.html"]: None}
    Path(paths["changed.html"]).write_text("changed by hand", encoding="utf-8")
    made = {paths["made.html"]: stamp(paths["made.html"])}
    assert gone(last, made, {paths["claimed.html"]}, str(folder)) == [paths["old.html"]]


def test_the_garbage_collector_is_paused_during_a_build_and_runs_after(tmp_path):
    """Paused for each build (collector.py), a second run of the same Pelican object too (as
    `pelican --autoreload` runs them), resumed after it, also after a build that failed half-way
    and the next build in the same process."""
    from pelican import signals

    during: list[bool] = []

    def note(*_args):
        during.append(gc.isenabled())

    def fail(*_args):
        raise RuntimeError("a plugin failed half-way")

    content = _fixture_content(tmp_path / "content")
    signals.article_generator_finalized.connect(note)
    try:
        pelican = Pelican(read_settings(str(ROOT / "pelicanconf.py"),
                                        override={"PATH": str(content), "OUTPUT_PATH": str(tmp_path / "out")}))
        pelican.run()
        assert during == [False] and gc.isenabled()
        pelican.run()
        assert during == [False, False] and gc.isenabled()
        signals.article_generator_finalized.connect(fail)
        with pytest.raises(RuntimeError):
            _build(content, tmp_path / "broken")
        signals.article_generator_finalized.disconnect(fail)
        assert not gc.isenabled()  # paused when it failed
        _build(content, tmp_path / "again")
        assert gc.isenabled()
    finally:
        signals.article_generator_finalized.disconnect(note)
        signals.article_generator_finalized.disconnect(fail)
        gc.enable()


def test_tags_found_with_the_parse_are_those_found_at_the_end(tmp_path, monkeypatch):
    """Names found in the parsing worker (tagging.py), kept in the cache, give the same site as
    names found once Pelican has read every story; a rebuild finds none again."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader import tagging

    content = _fixture_content(tmp_path / "content")
    _synthetic(content, 30)
    (content / "Weather").mkdir()
    shutil.move(content / "seed.txt", content / "Weather" / "seed.txt")  # its category from the folder
    _build(content, tmp_path / "at_the_end", BROADSHEET_PARALLEL_MIN_STORIES=10**9)  # no worker: found at the end
    settings = {"BROADSHEET_CACHE_PATH": str(tmp_path / "cache")}
    _build(content, tmp_path / "with_the_parse", **settings)
    assert _same_tree(tmp_path / "at_the_end", tmp_path / "with_the_parse") == []

    def no_finding(*_args, **_kwargs):
        raise AssertionError("names found again")

    monkeypatch.setattr(tagging, "find_entities", no_finding)
    _build(content, tmp_path / "rebuilt", **settings)
    assert _same_tree(tmp_path / "at_the_end", tmp_path / "rebuilt") == []
