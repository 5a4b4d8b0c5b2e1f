"""Pages rendered again only when something their template reads has changed.

A rebuild after one added story used to render every page of the site (5,000 at 1,000 stories)
to find that almost all come out the same. With the parse cache on (`BROADSHEET_CACHE_PATH`),
each page gets a *key* before it is rendered: a hash of
- the build's fingerprint (the plugin's code, library versions) and every setting;
- the page's output file and the source of its template and of every template that one extends,
  imports or includes;
- the value of every variable the templates read (found by Jinja's own analysis,
  `jinja2.meta.find_undeclared_variables`), taken from the page's own context.
Values are hashed by what they hold, attribute by attribute: a story by its text, metadata, URL
and tags, the stories it links to (previous, next, related) by their attributes too, and objects
further away (the neighbours of those) by what names them (path, URL, name). When the key is the
one stored for that output file in the last build and the file on disk still has the bytes then
written, the page is not rendered: its file is left as it is. Anything the analysis cannot follow
(a template named by a variable) renders every time.

The memo (`memo-pages.bin` in the cache folder) keeps only the pages of the last build.
"""

from __future__ import annotations

import datetime
import hashlib
import types
from functools import lru_cache

import jinja2
from jinja2 import meta
from pelican.contents import Content

#: Attributes that hold the whole site (the context, every setting), not the object itself: the
#: settings are hashed once for the build.
_SKIPPED = frozenset({"_context", "settings"})
#: Objects this many links away from a page's variable count by what names them, not by all
#: they hold: stories link to stories and editions to editions, on and on.
_DEPTH = 2
#: What names a distant object (the first of these it has that is text).
_NAMING = ("source_path", "save_as", "url", "slug", "name", "title", "key")
_ADDRESS = " at 0x"


class Fingerprints:
    """Hashes of template-visible values for one build, each object hashed once per depth."""

    def __init__(self):
        self._known: dict[tuple[int, int], tuple[object, bytes]] = {}  # keeps the object alive
        self._busy: set[int] = set()

    def of(self, value, depth: int = 0) -> bytes:
        if value is None or isinstance(value, (bool, int, float)):
            return f"{type(value).__name__}:{value!r}".encode()
        if isinstance(value, str):
            return b"s" + hashlib.sha1(value.encode("utf-8", "surrogatepass")).digest()
        if isinstance(value, (datetime.date, datetime.time)):
            return f"{type(value).__name__}:{value.isoformat()}:{getattr(value, 'tzinfo', None)}".encode()
        known = self._known.get((id(value), depth))
        if known is not None:
            return known[1]
        if id(value) in self._busy:
            return b"cycle:" + type(value).__qualname__.encode()
        self._busy.add(id(value))
        try:
            digest = self._compound(value, depth)
        finally:
            self._busy.discard(id(value))
        self._known[(id(value), depth)] = (value, digest)
        return digest

    def _compound(self, value, depth: int) -> bytes:
        digest = hashlib.sha1(type(value).__qualname__.encode())
        if isinstance(value, dict):
            for key, item in value.items():
                _update(digest, self.of(key, depth), self.of(item, depth))
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
            for item in items:
                _update(digest, self.of(item, depth))
        elif isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)):
            digest.update(f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)!s}".encode())
        elif hasattr(value, "__dict__"):
            # read first: a slug or URL is often worked out on first use and then kept as an attribute
            for name in _NAMING:
                _update(digest, name.encode(), self.of(_text_attribute(value, name)))
            if depth < _DEPTH:
                for name, item in sorted(vars(value).items()):
                    if name not in _SKIPPED:
                        _update(digest, name.encode(), self.of(item, depth + 1))
        else:
            text = repr(value)
            digest.update(b"" if _ADDRESS in text else text.encode("utf-8", "surrogatepass"))
        return digest.digest()


def _text_attribute(value, name: str) -> str | None:
    try:
        item = getattr(value, name, None)
    except Exception:  # noqa: BLE001 - a property that cannot be worked out names nothing
        return None
    return item if isinstance(item, str) else None


def _update(digest, *parts: bytes) -> None:
    for part in parts:
        digest.update(len(part).to_bytes(4, "little"))
        digest.update(part)


@lru_cache(maxsize=None)
def _reads(environment: jinja2.Environment, name: str) -> tuple[frozenset[str], bytes] | None:
    """The variables a template and the templates it uses read, and a hash of their sources;
    None when one of them is named by a variable (it cannot be followed)."""
    names: set[str] = set()
    sources = hashlib.sha1()
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        source = environment.loader.get_source(environment, current)[0]
        _update(sources, current.encode(), source.encode())
        tree = environment.parse(source)
        names |= meta.find_undeclared_variables(tree)
        for used in meta.find_referenced_templates(tree):
            if used is None:
                return None
            pending.append(used)
    return frozenset(names), sources.digest()


class PageMemo:
    """The keys of the pages of the last build, and this build's."""

    def __init__(self, store, build_fingerprint: str, settings):
        self.store, self.fingerprints = store, Fingerprints()
        self._base = hashlib.sha1(build_fingerprint.encode())
        _update(self._base, self.fingerprints.of(dict(settings)))
        self.rendered = self.kept = 0

    def key(self, template: jinja2.Template, context: dict) -> str | None:
        reads = _reads(template.environment, template.name)
        if reads is None:
            return None
        names, sources = reads
        digest = self._base.copy()
        _update(digest, sources, str(context.get("output_file")).encode())
        for name in sorted(names):
            _update(digest, name.encode(), self.fingerprints.of(context[name]) if name in context else b"-")
        return digest.hexdigest()

    def unchanged(self, key: str | None, path: str) -> bool:
        """Whether the page of `key` was written in the last build and its file still holds it."""
        stored = self.store.get(key) if key else None
        if stored is None:
            return False
        try:
            with open(path, "rb") as handle:
                same = hashlib.sha1(handle.read()).digest() == stored
        except OSError:
            return False
        self.kept += same
        return same

    def remember(self, key: str | None, digest: bytes) -> None:
        """A page rendered in this build: the sha1 of its bytes, under its key."""
        self.rendered += 1
        if key:
            self.store.put(key, digest)


def list_sections(generator) -> None:
    """`article_generator_finalized`: `sections`, the categories without their stories, for the
    navigation on every page; with `categories` (which holds every story) every page's key would
    change whenever any story does."""
    generator.context["sections"] = [category for category, _ in generator.categories]
