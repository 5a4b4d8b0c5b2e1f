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
from pelican.paginator import Page, Paginator
from pelican.urlwrappers import URLWrapper

#: Attributes that hold the whole site (the context, every setting), not the object itself: the
#: settings are hashed once for the build.
_SKIPPED = frozenset({"_context", "settings"})
#: A story's URL and file, worked out on first use and then kept as attributes (writer.fix_urls):
#: hashed as read, whether already kept or not.
_STORY_URLS = ("url", "save_as")
#: Objects this many links away from a page's variable count by what names them, not by all
#: they hold: stories link to stories and editions to editions, on and on.
_DEPTH = 2
#: What names a distant object.
_NAMING = ("source_path", "save_as", "url", "slug", "name", "title", "key")
_SCALARS = (bool, int, float)
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class Fingerprints:
    """Hashes of template-visible values for one build (hex text), each object hashed once per
    depth. A compound value's hash is that of its parts joined by a separator no part contains."""

    def __init__(self):
        self._known: dict[tuple[int, int], tuple[object, str]] = {}  # keeps the object alive
        self._texts: dict[str, str] = {}
        self._busy: set[int] = set()

    def of(self, value, depth: int = 0) -> str:
        if isinstance(value, str):
            digest = self._texts.get(value)
            if digest is None:
                digest = self._texts[value] = "s" + _sha(value)
            return digest
        if value is None or isinstance(value, _SCALARS):
            return f"{type(value).__name__}:{value!r}"
        if isinstance(value, (datetime.date, datetime.time)):
            return f"{type(value).__name__}:{value.isoformat()}:{getattr(value, 'tzinfo', None)}"
        if isinstance(value, URLWrapper):
            depth = 0  # the same at any depth
        elif isinstance(value, Page):  # made for one page and dropped: not kept in memory
            return _sha("\x1f".join(self._parts(value, depth)))
        known = self._known.get((id(value), depth))
        if known is not None:
            return known[1]
        if id(value) in self._busy:
            return "cycle:" + type(value).__qualname__
        self._busy.add(id(value))
        try:
            digest = _sha("\x1f".join(self._parts(value, depth)))
        finally:
            self._busy.discard(id(value))
        self._known[(id(value), depth)] = (value, digest)
        return digest

    def _parts(self, value, depth: int) -> list[str]:
        of = self.of
        parts = [type(value).__qualname__]
        if isinstance(value, dict):
            for key, item in value.items():
                parts += (of(key, depth), of(item, depth))
        elif isinstance(value, (list, tuple)):
            parts += [of(item, depth) for item in value]
        elif isinstance(value, (set, frozenset)):
            parts += sorted(of(item, depth) for item in value)
        elif isinstance(value, URLWrapper):  # a tag, category or author: its name and slug say all
            parts += (of(value.name), of(value.slug))
        elif isinstance(value, Paginator):  # its counts follow from these (and are kept once worked out)
            parts += (of(value.name), of(value.url), of(value.per_page), of(value.orphans), of(value.object_list, depth + 1))
        elif isinstance(value, Page):  # its names and URLs follow from these and the settings
            parts += (of(value.full_name), of(value.base_url), of(value.number), of(value.paginator, depth + 1),
                      *(of(item, depth + 1) for item in value.object_list))  # its own slice: not kept either
        elif isinstance(value, _CALLABLES):
            parts.append(f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)!s}")
        elif isinstance(value, Content):
            parts += [of(getattr(value, name)) for name in _STORY_URLS]
            if depth >= _DEPTH:
                parts.append(of(value.source_path))
            else:
                for name, item in sorted(vars(value).items()):
                    if name not in _SKIPPED and name not in _STORY_URLS:
                        parts += (name, of(item, depth + 1))
        elif hasattr(value, "__dict__"):
            if depth >= _DEPTH:
                parts += [of(_text_attribute(value, name)) for name in _NAMING]
            else:
                for name, item in sorted(vars(value).items()):
                    if name not in _SKIPPED:
                        parts += (name, of(item, depth + 1))
        else:
            text = repr(value)
            parts.append("" if " at 0x" in text else "r" + _sha(text))
        return parts


def _text_attribute(value, name: str) -> str | None:
    try:
        item = getattr(value, name, None)
    except Exception:  # noqa: BLE001 - a property that cannot be worked out names nothing
        return None
    return item if isinstance(item, str) else None


@lru_cache(maxsize=None)
def _reads(environment: jinja2.Environment, name: str) -> tuple[tuple[str, ...], str] | None:
    """The variables a template and the templates it uses read (sorted), and a hash of their
    sources; None when one of them is named by a variable (it cannot be followed)."""
    names: set[str] = set()
    sources: list[str] = []
    pending, seen = [name], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        source = environment.loader.get_source(environment, current)[0]
        sources += (current, _sha(source))
        tree = environment.parse(source)
        names |= meta.find_undeclared_variables(tree)
        for used in meta.find_referenced_templates(tree):
            if used is None:
                return None
            pending.append(used)
    return tuple(sorted(names)), "\x1f".join(sources)


class PageMemo:
    """The keys of the pages of the last build, and this build's."""

    def __init__(self, store, build_fingerprint: str, settings):
        self.store, self.settings, self.fingerprints = store, settings, Fingerprints()
        self._base = f"{build_fingerprint}\x1f{self.fingerprints.of(dict(settings))}"

    def key(self, template: jinja2.Template, context: dict) -> str | None:
        """The page's key; None when its templates cannot be followed. Settings the page shows as
        they are are in the build's part of the key already; SITEURL follows from the file."""
        reads = _reads(template.environment, template.name)
        if reads is None:
            return None
        names, sources = reads
        of, settings, missing = self.fingerprints.of, self.settings, object()
        values = [
            "-" if name not in context else name if settings.get(name, missing) is context[name] else of(context[name])
            for name in names
            if name != "SITEURL"
        ]
        return _sha("\x1f".join([self._base, sources, "s" + _sha(str(context.get("output_file"))), *values]))

    def read_templates(self, templates) -> None:
        """Work out what each template reads now (it is kept), not once in every worker."""
        for template in templates:
            _reads(template.environment, template.name)

    def unchanged(self, key: str | None, path: str) -> bytes | None:
        """The sha1 of the page's bytes when the last build wrote it under `key` and its file
        (`path`) still holds them; else None."""
        stored = self.store.get(key) if key else None
        if stored is None:
            return None
        try:
            with open(path, "rb") as handle:
                return stored if hashlib.sha1(handle.read()).digest() == stored else None
        except OSError:
            return None

    def remember(self, key: str | None, digest: bytes) -> None:
        """A page of this build: the sha1 of its bytes, under its key."""
        if key:
            self.store.put(key, digest)


def list_sections(generator) -> None:
    """`article_generator_finalized`: `sections`, the categories without their stories, for the
    navigation on every page; with `categories` (which holds every story) every page's key would
    change whenever any story does."""
    generator.context["sections"] = [category for category, _ in generator.categories]
