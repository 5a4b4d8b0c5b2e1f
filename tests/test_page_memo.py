"""The build's memos: the page memo's parts (plugins/news_reader/pages.py), what a value's hash
sees, a page whose file was changed or removed since the last build written again; related
stories (plugins/news_reader/related.py) taken from the last build when their inputs are the same."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader.pages import Fingerprints  # noqa: E402


class Thing:
    """An object of the site that is not a story (an edition, say)."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


def test_values_without_objects_hash_the_same_at_every_depth():
    for value in ["text", ["a", "b"], {"bullets": ["a", 1, None]}, ("x", 2.5), "long " * 400]:
        assert Fingerprints().of(value) == Fingerprints().of(value, 1) == Fingerprints().of(value, 2)


def test_every_part_of_a_plain_value_counts():
    of = Fingerprints().of
    assert of(["a", "b"]) != of(["a", "c"]) != of(["ab"])
    assert of(["a", "b"]) != of(("a", "b"))  # the type too
    assert of({"a": 1}) != of({"a": "1"}) != of({"a": True})
    assert of("long " * 400) != of("long " * 399 + "lung ")  # long text is hashed on its own


def test_an_object_counts_its_attributes_near_and_only_its_names_far():
    near, far = Thing(title="Ferry", body="x" * 600), Thing(title="Ferry", body="x" * 600)
    before = [Fingerprints().of(Thing(link=near)), Fingerprints().of(Thing(link=Thing(link=far)))]
    near.body, far.body = "y" * 600, "y" * 600
    after = [Fingerprints().of(Thing(link=near)), Fingerprints().of(Thing(link=Thing(link=far)))]
    assert before[0] != after[0]  # one link away: all it holds
    assert before[1] == after[1]  # two links away: what names it (its title), not its body
    far.title = "Ferries"
    assert Fingerprints().of(Thing(link=Thing(link=far))) != before[1]


def test_a_container_of_objects_hashes_by_depth():
    fingerprints, story = Fingerprints(), Thing(title="Ferry", body="text")
    assert fingerprints.of([story]) != fingerprints.of([story], 2)


def test_an_objects_hash_is_what_it_holds_not_which_values_are_one_object():
    text = "x" * 600
    shared = Thing(body=text, summary=text, when=None)
    apart = Thing(body="x" * 600, summary="".join(["x"] * 600), when=None)
    assert Fingerprints().of(shared) == Fingerprints().of(apart)
    apart.summary += "y"
    assert Fingerprints().of(shared) != Fingerprints().of(apart)


def test_an_object_holding_a_set_hashes_the_same_in_every_process():
    """Set order follows the process's hash seed, so a set is hashed by its sorted parts."""
    program = (
        "import sys; sys.path.insert(0, sys.argv[1]); from news_reader.pages import Fingerprints\n"
        "class Thing:\n    pass\n"
        "thing = Thing(); thing.names = {f'name {n}' for n in range(50)}; thing.kind = frozenset('abcdef')\n"
        "print(Fingerprints().of(thing))"
    )
    digests = {
        subprocess.run([sys.executable, "-c", program, str(ROOT / "plugins")], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1, digests


def test_an_object_holding_what_pickle_cannot_write_is_hashed_all_the_same():
    assert Fingerprints().of(Thing(render=lambda: 1, title="a")) != Fingerprints().of(Thing(render=lambda: 1, title="b"))


def test_a_storys_metadata_counts_where_it_is_not_one_of_its_attributes():
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    story = Article("<p>Body</p>", metadata={"title": "Ferry", "source": "Harbour News"}, settings=dict(DEFAULT_CONFIG))
    assert story.metadata["title"] is story.title  # Pelican's way: hashed once, as the attribute
    before = Fingerprints().of(story)
    story.metadata["title"] = "Ferries"  # now the entry says something of its own
    changed = Fingerprints().of(story)
    story.title = "Ferries"
    assert len({before, changed, Fingerprints().of(story)}) == 3


def test_a_storys_kept_url_format_changes_no_hash():
    """What a story's URLs are made of (`url_format`, kept by site._keep_urls) is its metadata and
    attributes, hashed anyway: kept or not, the story hashes the same."""
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG

    from news_reader.site import _keep_urls

    stories = [Article("<p>Body</p>", metadata={"title": "Ferry", "slug": "ferry"}, settings=dict(DEFAULT_CONFIG))
               for _ in range(2)]
    _keep_urls(stories[1])
    assert stories[1].url == stories[0].url and "url_format" in vars(stories[1])
    assert "url_format" not in vars(stories[0])
    assert Fingerprints().of(stories[0]) == Fingerprints().of(stories[1])


def test_a_pages_key_follows_what_its_template_reads(tmp_path):
    """From the call's own variables first, then from the shared context, whose part is reused
    only while each value read is the very same object."""
    import jinja2
    from news_reader.cache import Memo
    from news_reader.pages import PageMemo

    environment = jinja2.Environment(loader=jinja2.DictLoader({
        "page.html": "{% extends 'base.html' %}{% block body %}{{ story }} {{ listing|join }}{% endblock %}",
        "base.html": "<title>{{ SITENAME }}</title>{% block body %}{% endblock %}",
    }))
    template, settings = environment.get_template("page.html"), {"PAGINATED_TEMPLATES": {}, "SITENAME": "Digest"}
    memo = PageMemo(Memo(tmp_path / "memo.bin", "build"), "build", settings)
    context, arguments = {"SITENAME": "Digest", "listing": ["a", "b"], "unread": 1}, {"url": "page.html"}

    def key(**variables):
        return memo.key(template, "page.html", context, arguments, variables)[0]

    first = key(story="Ferry")
    assert key(story="Ferry") == first != key(story="Ferries")
    context["unread"] = 2  # read by no template
    assert key(story="Ferry") == first
    context["listing"] = ["a", "c"]
    changed = key(story="Ferry")
    assert changed != first
    context["listing"] = ["a", "c"]  # another list, the same items
    assert key(story="Ferry") == changed
    context["listing"].append("d")  # the same list, changed in place: hashed again, as a new build would
    assert PageMemo(Memo(tmp_path / "memo.bin", "build"), "build", settings).key(
        template, "page.html", context, arguments, {"story": "Ferry"})[0] not in (first, changed)
    assert key(story="Ferry", listing=["x"]) != key(story="Ferry", listing=["y"])  # the call's own over the context's


def _build(content: Path, output: Path, cache: Path) -> tuple[int, int]:
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={
        "PATH": str(content), "OUTPUT_PATH": str(output), "BROADSHEET_CACHE_PATH": str(cache)})
    Pelican(settings).run()
    from news_reader import writer

    return writer.LAST_PAGES


def test_a_page_changed_or_removed_since_the_last_build_is_written_again(tmp_path):
    """And a copy of the output folder that keeps file times counts as the folder built."""
    content, output, cache = tmp_path / "content", tmp_path / "out", tmp_path / "cache"
    content.mkdir()
    shutil.copy(ROOT / "content" / "000_7badf5751ba94d9e.txt", content / "seed.txt")
    rendered, _ = _build(content, output, cache)
    index = output / "index.html"
    original = index.read_bytes()
    assert _build(content, output, cache) == (0, rendered)
    output.rename(tmp_path / "saved")  # restored as CI restores a cached folder (times kept)
    shutil.copytree(tmp_path / "saved", output)
    assert _build(content, output, cache) == (0, rendered)
    index.write_bytes(original.replace(b"</body>", b"<!-- edited by hand --></body>"))
    assert _build(content, output, cache) == (1, rendered - 1)
    assert index.read_bytes() == original
    index.unlink()
    assert _build(content, output, cache) == (1, rendered - 1)
    assert index.read_bytes() == original
    feed = output / "feeds" / "all.atom.xml"  # feeds too
    written = feed.read_bytes()
    feed.write_bytes(b"<feed/>")
    assert _build(content, output, cache) == (0, rendered)
    assert feed.read_bytes() == written


def test_related_stories_are_found_again_only_when_what_they_use_changed(tmp_path, monkeypatch):
    """Related stories come from the memo after a rebuild or a text edit (tags, category, date
    and URL unchanged), and are worked out again after a retag: each build as a cold one."""
    from news_reader import related

    content, output, cache = tmp_path / "content", tmp_path / "out", tmp_path / "cache"
    content.mkdir()
    for number in range(4):
        (content / f"story-{number}.txt").write_text(
            f"Date: 2024-05-0{number + 1} 10:00\nTags: Harbour, Ferries{', Weather' if number % 2 else ''}\n\n"
            f"Ferry story {number}\n\n  • The ferry {number} sailed on time\n\nThe ferry sailed at dawn.\n",
            encoding="utf-8")
    _build(content, output, cache)
    calls = []
    real = related.find_related
    monkeypatch.setattr(related, "find_related", lambda *a, **k: calls.append(1) or real(*a, **k))

    def same_as_cold(step: str) -> None:
        _build(content, output, cache)
        cold = tmp_path / step
        Pelican(read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(cold)})).run()
        assert [p.read_bytes() for p in sorted(cold.rglob("*.html"))] == \
            [(output / p.relative_to(cold)).read_bytes() for p in sorted(cold.rglob("*.html"))], step

    same_as_cold("rebuilt")
    story = content / "story-2.txt"
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more paragraph.\n", encoding="utf-8")
    same_as_cold("edited")
    assert calls == [1, 1]  # only the two cold builds worked them out
    story.write_text(story.read_text(encoding="utf-8").replace("Tags: Harbour,", "Tags:"), encoding="utf-8")
    calls.clear()
    same_as_cold("retagged")
    assert len(calls) == 2  # the rebuild and the cold build


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _build_with(content: Path, output: Path, **overrides) -> None:
    Pelican(read_settings(str(ROOT / "pelicanconf.py"), override={
        "PATH": str(content), "OUTPUT_PATH": str(output), **overrides})).run()


def test_changed_jinja_options_compile_and_read_templates_anew(tmp_path):
    """Compiled templates and what each template reads are kept by Jinja's options as well as
    the template's source: whitespace control and autoescape are compiled in."""
    content, cache = tmp_path / "content", str(tmp_path / "cache")
    content.mkdir()
    shutil.copy(ROOT / "content" / "000_7badf5751ba94d9e.txt", content / "seed.txt")
    options = {"extensions": [], "trim_blocks": False, "lstrip_blocks": False}
    _build_with(content, tmp_path / "out", BROADSHEET_CACHE_PATH=cache)
    _build_with(content, tmp_path / "out", BROADSHEET_CACHE_PATH=cache, JINJA_ENVIRONMENT=options)
    _build_with(content, tmp_path / "cold", JINJA_ENVIRONMENT=options)
    assert _tree(tmp_path / "out") == _tree(tmp_path / "cold")


def test_a_template_that_includes_a_missing_one_if_there_builds_with_the_cache(tmp_path):
    content, theme, cache = tmp_path / "content", tmp_path / "theme", str(tmp_path / "cache")
    content.mkdir()
    shutil.copy(ROOT / "content" / "000_7badf5751ba94d9e.txt", content / "seed.txt")
    shutil.copytree(ROOT / "theme", theme)
    article = theme / "templates" / "article.html"
    article.write_text(article.read_text(encoding="utf-8").replace(
        "{% block content %}", '{% block content %}{% include "no-such-part.html" ignore missing %}'), encoding="utf-8")
    for _ in range(2):
        _build_with(content, tmp_path / "out", BROADSHEET_CACHE_PATH=cache, THEME=str(theme))
    _build_with(content, tmp_path / "cold", THEME=str(theme))
    assert _tree(tmp_path / "out") == _tree(tmp_path / "cold")

