"""The site's search index: Pagefind over the published stories' pages, in shards by quarter.

Pagefind indexes the folder it is given. Given the whole site, it read every listing, tag and
edition page too (1,390 of 2,390 pages at 1,000 stories, a third of its 2.8 s) to find no
`data-pagefind-body` in them; it indexed the pages of drafts and hidden stories, which use the
story template, so their text was in the search; it writes its bundle over the last one and never
removes a file, so the text of a story taken down stayed in the bundle; and it has no incremental
mode, while its time and memory grow with the stories (10,000: 36 s and 4 GiB here).

So the published stories are indexed in shards, one Pagefind bundle per quarter of their dates
(`pagefind/2024-q3/`), which the search page merges (Pagefind's multisite search; the list of
shards is `pagefind/shards.json`, newest first). A shard is indexed again only when one of its
pages is added, removed, or changed in what Pagefind reads of it (`indexed_part`: not the links
to other stories, which change when a story is added); a rebuild after one new story indexes
its quarter alone. For each shard, Pagefind is given a scratch folder holding that shard's pages
(hard links at the same paths, so the same URLs) and writes over the shard's last bundle (it keeps
the files whose names, hashes of their content, it would write again: a fresh folder of 1,100
files took it 2 s longer here, on a file system slow to make new files); then the files its index
no longer names are removed (`stale`). What was indexed is kept in a manifest outside the site.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import tempfile
from typing import NamedTuple

#: The folder of the shards in the site, where the search page loads them from.
BUNDLE = "pagefind"
#: The list of shards in it, newest first (read by theme/static/js/search.js).
SHARDS = "shards.json"
#: A bundle's folders of files named by a hash (`en_03f6eb4.pf_fragment`), which its language
#: indexes (`pagefind.en_9b7382bba6.pf_meta`) name; Pagefind 1.5.
NAMED_FOLDERS = ("fragment", "index", "filter")
#: The manifest's format; another one is not read.
FORMAT = 3

_BODY = re.compile(rb"<([a-zA-Z][\w-]*)\b[^>]*\bdata-pagefind-body\b[^>]*>")
_TAG = re.compile(rb"<([a-zA-Z][\w-]*)\b[^>]*>")
_IGNORE = re.compile(rb"\sdata-pagefind-ignore(?=[\s=/>])")
#: What `indexed_part` does not follow: Pagefind's metadata, filters and sorting, anywhere on the
#: page, and in the body text that is not markup although it looks like it.
_UNSURE_ANYWHERE = re.compile(rb"data-pagefind-(?:meta|filter|sort|index-attrs|weight)", re.I)
_UNSURE_INSIDE = re.compile(rb"<!--|<script|<style|<textarea|<template|<xmp|<svg|<math", re.I)
_LANG = re.compile(rb"<html\b[^>]*>")


class SearchError(Exception):
    """Pagefind failed; the message holds what it printed."""


def shard_of(date: str) -> str:
    """The shard of a story of this date (`2024-07-02`): its quarter, `2024-q3`."""
    return f"{date[:4]}-q{(int(date[5:7]) - 1) // 3 + 1}"


def indexed_part(html: bytes) -> bytes:
    """What Pagefind reads of a page, for telling whether it changed: the element marked
    `data-pagefind-body` without the elements in it that Pagefind leaves out (those marked
    `data-pagefind-ignore`, and footers: a story's tags, source and related stories), and the
    page's `<html>` tag (its language). Wherever that cannot be told from the text alone (no body
    or two, metadata or filters for Pagefind, comments, scripts, an element left unclosed), the
    whole page: a page taken as changed is only indexed again."""
    bodies = list(_BODY.finditer(html))
    body_end = _element_end(html, bodies[0]) if len(bodies) == 1 and not _UNSURE_ANYWHERE.search(html) else None
    if body_end is None:
        return html
    part = html[bodies[0].start():body_end]
    if _UNSURE_INSIDE.search(part):
        return html
    while (left_out := _left_out(part)) is not None:
        end = _element_end(part, left_out)
        if end is None:
            return html
        part = part[:left_out.start()] + part[end:]
    language = _LANG.search(html)
    return (language.group(0) if language else b"") + part


def _left_out(html: bytes) -> re.Match | None:
    """The first start tag of an element Pagefind leaves out (tests/test_hosting.py checks that it
    leaves out a footer)."""
    for tag in _TAG.finditer(html, 1):  # not the body's own tag
        if tag.group(1).lower() == b"footer" or _IGNORE.search(tag.group(0)):
            return tag
    return None


def _element_end(html: bytes, opening: re.Match) -> int | None:
    """Where the element that `opening` (a match of its start tag, the tag's name as group 1)
    starts ends: after its end tag, counting the elements of the same name in it; None when it
    has none (a void element, or one left open)."""
    name = re.escape(opening.group(1))
    depth, position = 1, opening.end()
    for tag in re.compile(rb"<(/?)" + name + rb"(?=[\s/>])[^>]*>", re.I).finditer(html, position):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.end()
    return None


class Indexed(NamedTuple):
    """What `index_stories` did."""

    pages: int  # pages in the index
    shards: int
    redone: list[str]  # shards indexed again
    removed: list[str]  # shards no story is in any more


def index_stories(command: list[str], site: str, pages: dict[str, str], manifest: str) -> Indexed:
    """Index `pages` (the published stories' pages, as paths in `site`, and their dates) with
    Pagefind (`command`) into shards in `site`/pagefind/, leaving there what runs into empty
    folders would; `manifest` is the file that keeps what was indexed into that folder. With no
    page there is no bundle."""
    bundle = os.path.join(site, BUNDLE)
    indexer = _indexer(command)
    last, bundles = _read_manifest(manifest, indexer)
    shards: dict[str, dict[str, list]] = {}
    for page, date in sorted(pages.items()):
        shards.setdefault(shard_of(date), {})[page] = _state(os.path.join(site, page), last.get(page))
    held: dict[str, dict[str, str]] = {}  # each shard of the last index: its pages and their hashes
    for page, (_, _, digest, date) in last.items():
        held.setdefault(shard_of(date), {})[page] = digest
    redo = [shard for shard, entries in sorted(shards.items())
            if _languages(os.path.join(bundle, shard)) != bundles.get(shard)  # gone, or not the one made
            or held.get(shard) != {page: entry[2] for page, entry in entries.items()}]
    if os.path.exists(manifest):
        os.remove(manifest)  # until this run has succeeded
    for shard in redo:
        _run(command, site, sorted(shards[shard]), os.path.join(bundle, shard))
        for path in stale(os.path.join(bundle, shard)):
            os.remove(path)
    _keep_only(bundle, shards)
    if shards:
        with open(os.path.join(bundle, SHARDS), "w", encoding="utf-8") as handle:
            json.dump({"shards": sorted(shards, reverse=True)}, handle)
    made = {shard: _entry(os.path.join(bundle, shard)) for shard in shards}  # (language indexes, pages)
    _write_manifest(manifest, indexer,
                    {page: [*entry[:3], pages[page]] for entries in shards.values() for page, entry in entries.items()},
                    {shard: languages for shard, (languages, _) in made.items()})
    return Indexed(sum(count for _, count in made.values()), len(shards), redo, sorted(set(held) - set(shards)))


def _indexer(command: list[str]) -> list[str]:
    """What makes an index besides the pages: Pagefind's command and version, its settings from
    the environment, and this module (what it hands Pagefind, and how it tells a page changed)."""
    own = hashlib.sha1(_read(__file__)).hexdigest()
    settings = [f"{name}={value}" for name, value in sorted(os.environ.items()) if name.startswith("PAGEFIND_")]
    return [*command, importlib.metadata.version("pagefind"), own, *settings]


def _languages(bundle: str) -> list[str] | None:
    """The names of a bundle's language indexes (they change with anything in it); None when there
    is no bundle."""
    try:
        return _entry(bundle)[0]
    except (OSError, ValueError, KeyError):
        return None


def _state(path: str, last: list | None) -> list:
    """A page's size, modification time and hash of `indexed_part`; the hash is the last one when
    the file is as it was then."""
    status = os.stat(path)
    stamp = [status.st_size, status.st_mtime_ns]
    if last is not None and last[:2] == stamp:
        return [*stamp, last[2]]
    return [*stamp, hashlib.sha1(indexed_part(_read(path))).hexdigest()]


def _keep_only(bundle: str, shards) -> None:
    """Remove from the bundle folder what is not one of `shards` (a shard no story is in any
    more, a whole-site bundle of an earlier build); all of it when there is none."""
    if not shards:
        shutil.rmtree(bundle, ignore_errors=True)
        return
    for name in os.listdir(bundle):
        path = os.path.join(bundle, name)
        if name not in shards:
            shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def _run(command: list[str], site: str, pages: list[str], bundle: str) -> None:
    try:  # beside the site, on its file system (hard links), not in it (it would be published)
        scratch_folder = tempfile.TemporaryDirectory(prefix=".pagefind-", dir=os.path.dirname(site))
    except OSError:  # a folder that cannot be written to: the pages are copied
        scratch_folder = tempfile.TemporaryDirectory(prefix="broadsheet-pagefind-")
    with scratch_folder as scratch:
        for page in pages:
            _link(os.path.join(site, page), os.path.join(scratch, page))
        # run in the scratch folder: a pagefind.yml where the build was started is not read
        result = subprocess.run([*command, "--site", scratch, "--output-path", os.path.abspath(bundle), "--quiet"],
                                capture_output=True, text=True, cwd=scratch)
    if result.returncode:
        raise SearchError(f"{result.stdout}{result.stderr}(exit status {result.returncode})")


def stale(bundle: str) -> list[str]:
    """The files of a Pagefind bundle that its index does not name: language indexes other than
    those of its entry file, and the fragments, index chunks and filters no language index names."""
    indexes, _ = _entry(bundle)
    named = b"".join(gzip.decompress(_read(os.path.join(bundle, f"pagefind.{name}.pf_meta"))) for name in indexes)
    found = []
    for name in os.listdir(bundle):
        if name.endswith(".pf_meta") and name.removeprefix("pagefind.").removesuffix(".pf_meta") not in indexes:
            found.append(os.path.join(bundle, name))
    for folder in NAMED_FOLDERS:
        path = os.path.join(bundle, folder)
        for name in os.listdir(path) if os.path.isdir(path) else ():
            if name.partition(".")[0].encode() not in named:
                found.append(os.path.join(path, name))
    return sorted(found)


def _entry(bundle: str) -> tuple[list[str], int]:
    """A bundle's language indexes (their names) and number of pages, by its entry file."""
    with open(os.path.join(bundle, "pagefind-entry.json"), encoding="utf-8") as entry:
        languages = json.load(entry)["languages"].values()
    return [language["hash"] for language in languages], sum(language.get("page_count", 0) for language in languages)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _link(source: str, target: str) -> None:
    """`source` at `target` without copying its bytes where the file system allows."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _read_manifest(path: str, indexer: list[str]) -> tuple[dict[str, list], dict[str, list[str]]]:
    """Each page of the last index ([size, modification time, hash of its indexed part, date]) and
    each shard's language indexes then; nothing when there is no manifest, or one of another
    format or indexer (`_indexer`)."""
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("indexer") != indexer:
        return {}, {}
    return manifest.get("pages") or {}, manifest.get("bundles") or {}


def _write_manifest(path: str, indexer: list[str], pages: dict[str, list], bundles: dict[str, list[str]]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"format": FORMAT, "indexer": indexer, "pages": pages, "bundles": bundles}, handle)
