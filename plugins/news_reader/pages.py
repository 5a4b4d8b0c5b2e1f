"""Pages rendered again only when something their template reads has changed.

A rebuild after one added story used to render every page of the site (5,000 at 1,000 stories)
to find that almost all come out the same. With the parse cache on (`BROADSHEET_CACHE_PATH`),
each call of Pelican's `write_file` (one story page, or every page of one paginated listing)
gets a *key* before Pelican does anything with it: a hash of
- the build's fingerprint (the plugin's code, library versions) and every setting;
- the call's own arguments: the file's name and URL, whether URLs are relative, the template's
  name (it says whether the listing is paginated) and the lists it paginates;
- the source of its template and of every template that one extends, imports or includes;
- the value of every variable the templates read (found by Jinja's own analysis,
  `jinja2.meta.find_undeclared_variables`, kept between builds by the templates' sources), from
  the call's keyword arguments or the shared context. What Pelican's writer works out for each
  page (`output_file`, `SITEURL`, the pagination) follows from the arguments above.
Values are hashed by what they hold: a story by its text, metadata, URL and tags (pickled in one
go, with a hole for each object it links to), the stories it links to (previous, next, related)
by their attributes too, and objects further away (the neighbours of those) by what names them
(path, URL, name). When the key is the one stored in the last build and every file that call
wrote is still as then written (same size and modification time), the call is skipped: Pelican
sets up no page, nothing is rendered, the files are left as they are. Anything the analysis
cannot follow (a template named by a variable) renders every time. Atom and RSS feeds
(`write_feed` calls) are keyed the same way, by their stories and arguments.

A paginated call (every page of a listing) whose key changed is set up by Pelican, and each of
its pages gets a key of its own: the call's key without the listing's stories, and what the
templates read of the page's entries (`articles_page`: the stories on it, and the listing as a
list of URLs, two links away). A story edited on page 3 of 50 renders page 3 again, and pages 2
and 4 when the templates read `articles_previous_page` and `articles_next_page`; a template
that reads `articles_paginator` (a link away from every story) renders them all.

The memo (`memo-pages.bin` in the cache folder) keeps only the calls and pages of the last build.
The files they wrote are listed per output folder (cache.OutputFiles): a page or feed of the
last build into a folder that this one does not make (a deleted story's page, an edition or tag
page no story needs any more) is removed when it is still as written, so a rebuild leaves the
site a build from scratch makes (`gone`).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import operator
import os
import pickle
import types

import jinja2
from jinja2 import meta
from pelican.contents import Content
from pelican.urlwrappers import URLWrapper

from .cache import jinja_options

#: Attributes that hold the whole site (the context, every setting), not the object itself: the
#: settings are hashed once for the build.
_SKIPPED = frozenset({"_context", "settings"})
#: A story's URL and file, worked out on first use and then kept as attributes (site._keep_urls):
#: hashed as read, whether already kept or not.
_STORY_URLS = ("url", "save_as")
#: Attributes of a story hashed through others: `url_format` (kept by site._keep_urls) is the
#: metadata and attributes its URLs are made from.
_STORY_LEFT_OUT = _SKIPPED.union(_STORY_URLS, ("url_format",))
#: Objects this many links away from a page's variable count by what names them, not by all
#: they hold: stories link to stories and editions to editions, on and on.
_DEPTH = 2
#: What names a distant object.
_NAMING = ("source_path", "save_as", "url", "slug", "name", "title", "key")
_SCALARS = (bool, int, float)
_SEQUENCES = (list, tuple)
#: A list of these (pairs of a tag and its stories) is pickled in one go, not item by item.
_NESTED = (list, tuple, dict)
#: Values whose `repr` says all they hold, without a memory address.
_PLAIN = frozenset({str, bool, int, float, type(None)})
#: Text longer than this (a story's body) is hashed on its own, not within a `repr`.
_LONG = 500
_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType)
#: What Pelican's writer adds to a page's context (pelican.writers.Writer.write_file) besides
#: the call's keyword arguments; each follows from the call's own arguments and the settings.
PAGE_KEYS = ("SITEURL", "localsiteurl", "output_file") + tuple(
    f"{listing}_{part}" for listing in ("articles", "dates") for part in ("paginator", "page", "previous_page", "next_page")
)
_PAGINATED = ("articles", "dates")
_PAGINATORS = tuple(f"{listing}_paginator" for listing in _PAGINATED)
#: What no context holds.
_MISSING = object()
#: What Pelican's feed writer reads from the context (pelican.writers.Writer.write_feed).
_FEED_READS = ("SITENAME", "SITESUBTITLE", "SITEURL", "FEED_DOMAIN")


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def stamp(path: str) -> tuple[int, int] | None:
    """What tells a file written by the last build from one changed since, as `make` and `rsync`
    tell them: its size and modification time (nanoseconds; kept by `cp -a`, `rsync -a` and tar,
    so an output folder restored with the cache still counts); None when there is no such file."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


class Fingerprints:
    """Hashes of template-visible values for one build (hex text). A compound value's hash is that
    of its parts joined by a separator no part contains. A value that holds no story or other
    object (text, numbers, dates, tags, containers of those) hashes the same at every depth and
    is hashed once; any other value once per depth."""

    #: The depth under which a value that hashes the same at every depth is kept.
    _ANY = -1

    def __init__(self):
        self._known: dict[tuple[int, int], tuple[object, str, bool]] = {}  # keeps the object alive
        self._texts: dict[str, str] = {}
        self._busy: set[int] = set()
        self._own: dict[int, tuple[str, list]] = {}
        self._wrappers: dict[tuple, str] = {}
        self.links = 0  # objects met so far whose hash depends on the depth

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
        if isinstance(value, URLWrapper):  # a tag, category or author: its name and slug say all
            name = (type(value).__qualname__, value.name, value.slug)
            digest = self._wrappers.get(name)
            if digest is None:
                digest = self._wrappers[name] = _sha("\x1f".join((name[0], self.of(name[1]), self.of(name[2]))))
            return digest
        if type(value) in _SEQUENCES and set(map(type, value)) <= _PLAIN:  # bullets, paragraphs: at C speed
            return type(value).__name__ + _sha(repr(value))
        known = self._known.get((id(value), self._ANY)) or self._known.get((id(value), depth))
        if known is not None:
            self.links += known[2]
            return known[1]
        if id(value) in self._busy:
            self.links += 1
            return "cycle:" + type(value).__qualname__
        self._busy.add(id(value))
        before = self.links
        try:
            digest = _sha("\x1f".join(self._parts(value, depth)))
        finally:
            self._busy.discard(id(value))
        linked = self.links != before
        self._known[(id(value), depth if linked else self._ANY)] = (value, digest, linked)
        return digest

    def _parts(self, value, depth: int) -> list[str]:
        of = self.of
        parts = [type(value).__qualname__]
        if isinstance(value, dict):
            plain = _plain_entries(value.items())
            parts.append(_sha(repr(plain)))
            for key, item in value.items():
                if type(key) is not str or not _is_plain(item):
                    parts += (of(key, depth), of(item, depth))
        elif isinstance(value, (list, tuple)):
            pickled = _pickled(value) if value and type(value[0]) in _NESTED else None  # (tag, its stories) pairs
            parts += [pickled[0], *self._each(pickled[1], depth)] if pickled else self._each(value, depth)
        elif isinstance(value, (set, frozenset)):
            parts += sorted(of(item, depth) for item in value)
        elif isinstance(value, _CALLABLES):
            parts.append(f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', value)!s}")
        elif isinstance(value, Content):
            self.links += 1
            parts += [of(getattr(value, name)) for name in _STORY_URLS]
            parts += [of(value.source_path)] if depth >= _DEPTH else self._attributes(value, depth)
        elif hasattr(value, "__dict__"):
            self.links += 1
            if depth >= _DEPTH:
                parts += [of(_text_attribute(value, name)) for name in _NAMING]
            else:
                parts += self._attributes(value, depth)
        else:
            text = repr(value)
            parts.append("" if " at 0x" in text else "r" + _sha(text))
        return parts

    def _attributes(self, value, depth: int) -> list[str]:
        """An object's attributes: all they hold but other objects (stories, editions) hashed
        once, the other objects each at the next depth."""
        own = self._own.get(id(value))
        if own is None:
            held = vars(value)
            left_out = _STORY_LEFT_OUT if isinstance(value, Content) else _SKIPPED
            attributes = [(name, item) for name, item in sorted(held.items()) if name not in left_out]
            if isinstance(value, Content) and type(held.get("metadata")) is dict:
                attributes = [(name, _metadata_rest(item, held) if name == "metadata" else item) for name, item in attributes]
            own = self._own[id(value)] = _pickled(attributes) or _by_name(attributes)
        digest, links = own
        return [digest, *self._each(links, depth + 1)]

    def _each(self, items, depth: int) -> list[str]:
        """The hash of each item; those hashed already (a listing's stories) looked up without a call each."""
        known, anywhere, of = self._known, self._ANY, self.of
        digests = []
        for item in items:
            hit = known.get((id(item), anywhere)) or known.get((id(item), depth))
            if hit is None:
                digests.append(of(item, depth))
            else:
                self.links += hit[2]
                digests.append(hit[1])
        return digests


class _Holes(pickle.Pickler):
    """Pickles a value with a hole where it holds another object of the site (a story, an
    edition: an object with attributes), and lists those objects in order: the value as held,
    at C speed, without the objects it links to. Fast mode keeps no memo, so what is written
    depends on the values, not on which of them are the same object; only the two stand-ins
    below are in the memo from the start (written by reference, not looked up by name)."""

    def __init__(self, buffer):
        super().__init__(buffer, protocol=2)  # < 4: a set is written with its type's name
        self.fast = True
        self.memo = {id(_named): (0, _named), id(_hole): (1, _hole)}
        self.holes: list = []

    def reducer_override(self, value):
        if isinstance(value, URLWrapper):  # as `Fingerprints.of` names them
            return _named, (type(value).__qualname__, value.name, value.slug)
        if isinstance(value, (datetime.date, datetime.time)):
            return _named, (type(value).__qualname__, value.isoformat(), str(getattr(value, "tzinfo", None)))
        if isinstance(value, datetime.tzinfo):
            return _named, (type(value).__qualname__, str(value))
        if hasattr(value, "__dict__") and not isinstance(value, _CALLABLES):
            self.holes.append(value)
            return _hole, ()
        return NotImplemented  # functions and types by name, the rest as pickle writes it


def _named(*names):
    """Stands for a tag, a date or a time zone in `_Holes`' output (never called)."""


def _hole():
    """Stands for an object in `_Holes`' output (never called)."""


def _pickled(attributes: list) -> tuple[str, list] | None:
    """The hash of `attributes` as `_Holes` writes them, and the objects in its holes; None for
    what pickle cannot write, cycles, and sets (their order is the process's hash seed's)."""
    buffer = io.BytesIO()
    pickler = _Holes(buffer)
    try:
        pickler.dump(attributes)
    except Exception:  # noqa: BLE001 - anything pickle refuses is hashed part by part
        return None
    data = buffer.getvalue()
    if b"\nset\n" in data or b"\nfrozenset\n" in data:
        return None
    return "p" + hashlib.sha1(data).hexdigest(), pickler.holes


def _by_name(attributes: list) -> tuple[str, list]:
    """`_pickled`'s fallback: plain entries hashed together, every other value a link of its own."""
    linked = [(name, item) for name, item in attributes if not _is_plain(item)]
    return "r" + _sha(repr((_plain_entries(attributes), [name for name, _ in linked]))), [item for _, item in linked]


def _metadata_rest(metadata: dict, held: dict) -> tuple:
    """A story's metadata as hashed: Pelican makes each entry an attribute of the story (its
    name in lower case), so an entry that still is that attribute is named, not hashed again."""
    return tuple(metadata), tuple((key, item) for key, item in metadata.items() if held.get(key.lower(), _MISSING) is not item)


def _plain_entries(pairs) -> list:
    """The entries whose name is text and value is short text, a number or None: hashed as one
    `repr`, made at C speed (most of what a story holds). Long text (a story's body) is hashed
    faster on its own."""
    return [(name, item) for name, item in pairs if type(name) is str and _is_plain(item)]


def _is_plain(item) -> bool:
    return type(item) in _PLAIN and not (type(item) is str and len(item) > _LONG)


def _text_attribute(value, name: str) -> str | None:
    try:
        item = getattr(value, name, None)
    except Exception:  # noqa: BLE001 - a property that cannot be worked out names nothing
        return None
    return item if isinstance(item, str) else None


class PageMemo:
    """The keys of the `write_file` and `write_feed` calls of the last build and the files each
    wrote, and this build's."""

    def __init__(self, store, build_fingerprint: str, settings):
        self.store, self.settings, self.fingerprints = store, settings, Fingerprints()
        self._base = f"{build_fingerprint}\x1f{self.fingerprints.of(dict(settings))}"
        self._reads: dict[str, tuple[tuple[str, ...], str] | None] = {}
        self._shared: dict[tuple, tuple[list, str]] = {}
        self._splits: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._jinja = jinja_options(settings)  # how templates are parsed (what they read depends on it)
        self._analyses: dict[str, tuple[frozenset, tuple]] = {}  # a template's source hash → what it reads, uses
        self._files: dict[str, tuple[int, int] | None] = {}  # every file remembered in this build → its stamp

    def key(self, template: jinja2.Template, name: str, context: dict, arguments: dict,
            variables: dict) -> tuple[str, str | None] | None:
        """The key of one `write_file` call, and for a paginated one the part of it its pages
        share (`page_key`): `arguments` are its own (url, relative_urls, paginated, template_name,
        override_output), `variables` its keyword arguments (they go into the page's context);
        None when the templates cannot be followed. Settings the page shows as they are are in
        the build's part of the key already."""
        reads = self.reads(template)
        if reads is None:
            return None
        names, sources = reads
        own, shared = self._split(template.name, names, variables)
        of = self.fingerprints.of
        parts = [self._base, sources, of(name)]
        for argument, value in arguments.items():
            if argument != "paginated":
                parts += (argument, of(value))
        parts += [f"{variable}:{of(variables[variable])}" for variable in own]
        parts.append(self._shared_part(template.name, own, shared, context))
        if arguments.get("template_name") not in self.settings["PAGINATED_TEMPLATES"]:
            return _sha("\x1f".join(parts)), None
        base = _sha("\x1f".join(parts))
        paginated = arguments.get("paginated")
        if paginated is None:
            paginated = {key: variables[key] for key in _PAGINATED if key in variables}
        listings = [base]
        for listing, stories in paginated.items():
            listings += (listing, of(stories, 1))  # its stories as a page of it holds them
        return _sha("\x1f".join(listings)), base

    def page_key(self, base: str, template: jinja2.Template, context: dict) -> str | None:
        """The key of one page of a paginated call: the call's shared part (`key`) and what the
        templates read of the page's own entries (its stories, its number, its neighbours): a
        story edited on page 3 of 50 changes that page's key, not the other 49. None for the only
        page of a call (most tags have one): the call's key says all."""
        if all(context[name].num_pages == 1 for name in _PAGINATORS if name in context):
            return None
        of = self.fingerprints.of
        names = self.reads(template)[0]
        return _sha("\x1f".join([base, *(f"{name}:{of(context[name])}" for name in names if name in PAGE_KEYS and name in context)]))

    def _split(self, template: str, names, variables: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What a template reads from a call's keyword arguments (`own`) and from the shared
        context, but what Pelican's writer adds; the same for every call of a template with the
        same keyword arguments."""
        split = self._splits.get((template, *variables))
        if split is None:
            own = tuple(variable for variable in names if variable in variables and variable not in PAGE_KEYS)
            shared = tuple(variable for variable in names if variable not in own and variable not in PAGE_KEYS)
            split = self._splits[(template, *variables)] = own, shared
        return split

    def _shared_part(self, template: str, own: tuple[str, ...], shared: tuple[str, ...], context: dict) -> str:
        """The hash of what a template reads from the shared context. Most calls of one template
        read the same values: the hash is kept with the values it was made from and used again
        while each is still the very same object."""
        current = [context.get(variable, _MISSING) for variable in shared]
        kept = self._shared.get((template, own))
        if kept is not None and len(kept[0]) == len(current) and all(map(operator.is_, kept[0], current)):
            return kept[1]
        of, settings = self.fingerprints.of, self.settings
        parts = [
            "-" if value is _MISSING else variable if settings.get(variable, _MISSING) is value else of(value)
            for variable, value in zip(shared, current)
        ]
        digest = _sha("\x1f".join(parts))
        self._shared[(template, own)] = (current, digest)
        return digest

    def feed_key(self, elements, context: dict, arguments: dict) -> str:
        """The key of one `write_feed` call: `arguments` are its own (path, url, feed_type,
        override_output, feed_title). A feed shows its stories' own attributes (not the stories
        they link to) and the site's name and address from the context."""
        of = self.fingerprints.of
        parts = [self._base, "feed", *(of(context.get(name)) for name in _FEED_READS)]
        for argument, value in arguments.items():
            parts += (argument, of(value))
        parts.append(of(list(elements[: self.settings["FEED_MAX_ITEMS"]]), 1))
        return _sha("\x1f".join(parts))

    def reads(self, template: jinja2.Template) -> tuple[tuple[str, ...], str] | None:
        """The variables a template and the templates it uses read (sorted), and a hash of their
        sources; None when one of them is named by a variable (it cannot be followed)."""
        if template.name not in self._reads:
            self._reads[template.name] = self._follow(template.environment, template.name)
        return self._reads[template.name]

    def _follow(self, environment: jinja2.Environment, name: str):
        names: set[str] = set()
        sources: list[str] = []
        pending, seen = [name], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            try:
                source = environment.loader.get_source(environment, current)[0]
            except jinja2.TemplateNotFound:
                return None  # `{% include ... ignore missing %}`: Jinja decides when it renders
            digest = _sha(source)
            sources += (current, digest)
            analysis = self._analyses.get(digest)
            if analysis is None:
                analysis = self.store.get(f"template {self._jinja} {digest}")  # the last build's
                if analysis is None:
                    tree = environment.parse(source)
                    analysis = (frozenset(meta.find_undeclared_variables(tree)), tuple(meta.find_referenced_templates(tree)))
                    self.store.put(f"template {self._jinja} {digest}", analysis)  # kept for the next build too
                self._analyses[digest] = analysis  # base.html once, not once for each template extending it
            found, used = analysis
            if None in used:
                return None
            names |= found
            pending += used
        return tuple(sorted(names)), "\x1f".join(sources)

    def unchanged(self, key: str | None) -> tuple | None:
        """The files the call with this key wrote in the last build, each as (path, stamp), when
        every one of them is still as then written; else None. The keys of the call's pages are
        kept for the next build too."""
        stored = self.store.get(key) if key else None
        if stored is None or any(stamp(path) != written for path, written in stored):
            return None
        for page in self.store.get(f"pages of {key}") or ():
            self.store.get(page)
        return stored

    def remember(self, key: str | None, files: tuple, pages: tuple = ()) -> None:
        """A call (or a page) of this build: the files it wrote, each as (path, stamp), and the
        keys of its pages (a paginated call's)."""
        if key:
            self.store.put(key, files)
            if pages:
                self.store.put(f"pages of {key}", pages)
            self._files.update(files)

    @property
    def files(self) -> dict[str, tuple[int, int] | None]:
        """Every file remembered in this build, with its stamp."""
        return self._files


def gone(last: dict, made: dict, claimed, folder: str) -> list[str]:
    """The files in `folder` (the output) that the last build into it wrote (`last`, path →
    stamp) and this one has not (`made`, `claimed`), and that are still as that build left them:
    pages of stories, tags or editions the site no longer has, which a build from scratch would
    not make. A file changed since (by hand) stays; `last` is this folder's own list, so files of
    builds into other folders, a folder inside this one among them, are not in it."""
    inside = os.path.join(os.path.abspath(folder), "")
    return sorted(path for path, written in last.items()
                  if written is not None and path.startswith(inside) and path not in made and path not in claimed
                  and stamp(path) == written)


def list_sections(generator) -> None:
    """`article_generator_finalized`: `sections`, the categories without their stories, for the
    navigation on every page; with `categories` (which holds every story) every page's key would
    change whenever any story does."""
    generator.context["sections"] = [category for category, _ in generator.categories]
