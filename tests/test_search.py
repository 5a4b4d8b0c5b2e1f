"""The search index's own rules (tools/search.py), without Pagefind: which quarter a story is
searched in, what of a page tells that it must be indexed again, and which files of a bundle its
index no longer names. The builds with Pagefind are in tests/test_hosting.py."""

import gzip
import json
from pathlib import Path

from tools.search import indexed_part, shard_of, stale

PAGE = """<!doctype html><html lang="en"><head><title>Ferry</title></head><body>
<nav class="site-nav"><a href="/">Home</a></nav>
<article class="story" data-pagefind-body>
<h1>Harbour ferry returns</h1>
<p>The ferry carried its first passengers.</p>
<div class="aside" data-pagefind-ignore><p>Not <div>searched</div>, nor this</p></div>
<footer class="story-foot"><p>Tags: Harbour</p><section class="related"><a href="/b.html">{related}</a></section></footer>
</article>
<nav class="story-nav"><a rel="next" href="/n.html">{next}</a></nav>
</body></html>"""


def page(related="Budget agreed", following="Markets rally", body="The ferry carried its first passengers."):
    return PAGE.format(related=related, next=following).replace(
        "The ferry carried its first passengers.", body).encode()


def test_a_story_is_searched_in_the_quarter_of_its_date():
    assert [shard_of(d) for d in ("2024-01-01", "2024-03-31", "2024-04-01", "2024-09-30", "2024-12-31")] == [
        "2024-q1", "2024-q1", "2024-q2", "2024-q3", "2024-q4"]


def test_the_indexed_part_is_the_body_without_what_pagefind_leaves_out():
    assert indexed_part(page()) == (
        b'<html lang="en"><article class="story" data-pagefind-body>\n<h1>Harbour ferry returns</h1>\n'
        b"<p>The ferry carried its first passengers.</p>\n\n\n</article>"
    )


def test_links_to_other_stories_do_not_change_the_indexed_part_and_the_text_does():
    assert indexed_part(page(related="Another story", following="Another one")) == indexed_part(page())
    assert indexed_part(page(body="The ferry is late.")) != indexed_part(page())
    assert indexed_part(page().replace(b'lang="en"', b'lang="fr"')) != indexed_part(page())


def test_a_page_with_nothing_marked_is_indexed_whole():
    html = b"<html><body><p>All of it</p></body></html>"
    assert indexed_part(html) == html


def test_stale_files_are_those_no_index_of_the_bundle_names(tmp_path):
    bundle = tmp_path / "2024-q3"
    (bundle / "fragment").mkdir(parents=True)
    (bundle / "index").mkdir()
    (bundle / "pagefind-entry.json").write_text(json.dumps(
        {"version": "1.5.2", "languages": {"en": {"hash": "en_new", "wasm": "en", "page_count": 1}}}))
    (bundle / "pagefind.en_new.pf_meta").write_bytes(gzip.compress(b"pagefind_dcd\x86e1.5.2jen_aaa111jen_ccc333"))
    (bundle / "pagefind.en_old.pf_meta").write_bytes(gzip.compress(b"pagefind_dcd jen_bbb222"))
    for name in ("fragment/en_aaa111.pf_fragment", "fragment/en_bbb222.pf_fragment", "index/en_ccc333.pf_index",
                 "index/en_ddd444.pf_index", "pagefind.js", "pagefind-ui.js"):
        (bundle / name).write_bytes(b"x")
    assert [Path(p).relative_to(bundle).as_posix() for p in stale(str(bundle))] == [
        "fragment/en_bbb222.pf_fragment", "index/en_ddd444.pf_index", "pagefind.en_old.pf_meta"]


def test_what_cannot_be_told_from_the_text_counts_as_the_whole_page():
    """Changed or not, such a page is only indexed again: never a change missed."""
    for odd in (b'<img src="a.png" data-pagefind-ignore>',  # no end tag to cut to
                b"<!-- <footer> -->", b'<script>var s = "<footer>";</script>', b"<svg><g data-pagefind-ignore/></svg>"):
        html = page().replace(b"<h1>", odd + b"<h1>")
        assert indexed_part(html) == html, odd
    for odd in (b'<p data-pagefind-meta="image[src]">', b"<p data-pagefind-filter=\"kind:news\">"):
        html = page().replace(b'<nav class="site-nav">', odd + b"</p><nav>")  # outside the body too
        assert indexed_part(html) == html, odd
    twice = page().replace(b"</body>", b"<div data-pagefind-body>More</div></body>")
    assert indexed_part(twice) == twice


def test_an_attribute_value_that_names_ignore_leaves_the_element_in():
    html = page().replace(b"<p>The ferry", b'<p><a href="/data-pagefind-ignore.html">link one</a> The ferry')
    assert b"link one" in indexed_part(html) and b"The ferry carried" in indexed_part(html)
