"""The site's search index: Pagefind over the published stories' pages, and only those.

Pagefind indexes the folder it is given. Given the whole site, it read every listing, tag and
edition page too (1,390 of 2,390 pages at 1,000 stories, a third of its 2.8 s) to find no
`data-pagefind-body` in them; it indexed the pages of drafts and hidden stories, which use the
story template, so their text was in the search; and it writes its bundle over the last one and
never removes a file, so the text of a story taken down stayed in the bundle.

Now Pagefind is given a scratch folder holding the published stories' pages alone (hard links at
the same paths, so the same URLs) and writes over the last bundle, as before: it keeps the files
whose names (hashes of what they hold) it would write again, which is quick; a fresh folder of
1,100 files took it 2 s longer here, on a file system slow to make new files. Then the files of
the bundle that its index no longer names are removed (`stale`). What was indexed (each page's
size and modification time) is kept in a manifest outside the site: when the pages are the same
and unchanged, and the bundle is still there, Pagefind is not run at all.
"""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import os
import shutil
import subprocess
import tempfile

#: The bundle's folder in the site, where the search page loads it from.
BUNDLE = "pagefind"
#: The bundle's folders of files named by a hash (`en_03f6eb4.pf_fragment`), which its language
#: indexes (`pagefind.en_9b7382bba6.pf_meta`) name; Pagefind 1.5.
NAMED_FOLDERS = ("fragment", "index", "filter")
#: The manifest's format; another one is not read.
FORMAT = 1


class SearchError(Exception):
    """Pagefind failed; the message holds what it printed."""


def index_stories(command: list[str], site: str, pages: list[str], manifest: str) -> tuple[int, bool]:
    """Index `pages` (the published stories' pages, as paths in `site`) with Pagefind (`command`)
    into `site`/pagefind/, leaving there what a run into an empty folder would; `manifest` is the
    file that keeps what was indexed. Returns the number of pages indexed and whether Pagefind
    ran. With no page to index the site has no bundle (Pagefind makes none of an empty folder)."""
    bundle = os.path.join(site, BUNDLE)
    if not pages:
        shutil.rmtree(bundle, ignore_errors=True)
        return 0, False
    indexer = [*command, importlib.metadata.version("pagefind")]  # what made the last index
    stamps = {page: _stamp(os.path.join(site, page)) for page in pages}
    ran = not os.path.isfile(os.path.join(bundle, "pagefind-entry.json")) or _read_manifest(manifest, indexer) != stamps
    if ran:
        if os.path.exists(manifest):
            os.remove(manifest)  # until this run has succeeded
        _run(command, site, pages, bundle)
        for path in stale(bundle):
            os.remove(path)
        _write_manifest(manifest, indexer, stamps)
    return _entry(bundle)[1], ran


def _run(command: list[str], site: str, pages: list[str], bundle: str) -> None:
    try:  # beside the site, on its file system (hard links), not in it (it would be published)
        scratch_folder = tempfile.TemporaryDirectory(prefix=".pagefind-", dir=os.path.dirname(site))
    except OSError:  # a folder that cannot be written to: the pages are copied
        scratch_folder = tempfile.TemporaryDirectory(prefix="broadsheet-pagefind-")
    with scratch_folder as scratch:
        for page in pages:
            _link(os.path.join(site, page), os.path.join(scratch, page))
        result = subprocess.run([*command, "--site", scratch, "--output-path", bundle, "--quiet"],
                                capture_output=True, text=True)
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


def _stamp(path: str) -> list[int]:
    status = os.stat(path)
    return [status.st_size, status.st_mtime_ns]


def _link(source: str, target: str) -> None:
    """`source` at `target` without copying its bytes where the file system allows."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, target)


def _read_manifest(path: str, indexer: list[str]) -> dict[str, list[int]] | None:
    """The pages of the last index and their stamps; None when there is no manifest, or one of
    another format or made by another Pagefind (`indexer`: its command and version)."""
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("indexer") != indexer:
        return None
    return manifest.get("pages")


def _write_manifest(path: str, indexer: list[str], stamps: dict[str, list[int]]) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"format": FORMAT, "indexer": indexer, "pages": stamps}, handle)
