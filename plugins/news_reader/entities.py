"""Tags that find themselves: the people, places and organisations a story names.

No model is downloaded or loaded (spaCy's English models are not published on PyPI), so this
is a plain, tested heuristic over the story's own text, cheap enough to run on every build:

1. The text is the title, the key points and the body (captions included, readers' comments
   and photo credits left out), the body cut at `BODY_MAX_CHARS_DEFAULT` characters so that a
   huge story costs no more than a long one.
2. A *name* is a run of capitalised words ("Sadiq Khan", "East London Mosque", "UK"), which
   may hold a lowercase joining word inside ("Bank of England", "Office for National
   Statistics"). Common capitalised words ("The", "He", "Mr", "Today", ...), commas, quotes and
   a possessive ("Monty Python’s Flying Circus") end a run; titles at either end ("Home
   Secretary", "Ex-Home Secretary", "State Sen.") and calendar words at its start are taken off.
3. A single word at the start of a sentence is capitalised anyway: it counts only when the
   same word is also seen capitalised inside a sentence. Lines in Title Case or ALL CAPS
   (`TITLE_CASE_MIN_WORDS`, `TITLE_CASE_SHARE`) are not read for names.
4. Every name is counted with its parts: "London" in "East London Mosque". A lone word that
   starts or ends exactly one longer name of two or three words is that name ("Mr Javid" after
   "Sajid Javid", "Bruce said" after "Steve Bruce"): it counts for it and is not a tag itself.
5. A name becomes a tag when it is seen at least `MIN_COUNT_DEFAULT` times, or once in the
   title or key points. A shorter name inside a longer kept one is dropped unless it also
   stands alone at least twice ("London"). Peoples and faiths ("Muslims", "British",
   "Italian"), general words alone ("State", "Online") and initials are not tags.
6. Ranked: names in the title or key points first, then the most frequent, then alphabetical
   (so builds are deterministic); at most `max_tags` of them. Names the curator already gave
   as tags (or the category) are not repeated.

`find_entities(title, key_points, body)` is pure (text in, names out); tagging.py runs it in the
parsing workers for every name, and merges into `article.tags` the first of them that at least
two stories share (listed in `article.auto_tags`; `BROADSHEET_AUTO_TAG_MIN_STORIES`), at most
`BROADSHEET_AUTO_TAGS` (`MAX_TAGS_DEFAULT`; 0: off). `rank_tags` orders the tag index.
"""

from __future__ import annotations

import functools
import html
import re
from collections import Counter
from typing import NamedTuple

MAX_TAGS_DEFAULT = 5
MIN_COUNT_DEFAULT = 2
BODY_MAX_CHARS_DEFAULT = 50_000
#: A line of at least this many words of four letters or more, this share of them capitalised,
#: is in Title Case (or ALL CAPS) and not read for names.
TITLE_CASE_MIN_WORDS = 5
TITLE_CASE_SHARE = 0.8
#: Longest name counted (in words); longer capitalised runs are counted by their parts.
NAME_MAX_WORDS = 4

# --- word lists, by purpose ---------------------------------------------------------------------

#: Capitalised words that are not names and end a run ("The", "He", "Today").
STOPWORDS = frozenset(
    """
    a an the this that these those he she it we they i you his her its our their my your me him
    us them in on at by for from to of and but or nor if when while as after before since until
    with without why what who whom whose how where there here then so yet also not no yes some
    many more most all every each any both either neither one two three four five six seven
    eight nine ten first second third last next other another such only just even still
    mr mrs ms miss dr prof sir dame st today tonight yesterday tomorrow now
    read picture pictures photo photos video videos image images advertisement scroll share
    click watch comments comment source update updated breaking exclusive live editor
    is are was were be been has have had will would can could should may might must do does did
    please thank thanks sorry hello okay ok
    """.split()
)

#: Titles and roles taken off the start of a name ("Home Secretary Sajid Javid" → "Sajid Javid").
TITLES = frozenset(
    """
    mr mrs ms miss dr prof professor sir dame lord lady rev reverend father sister brother
    president vice prime minister secretary mayor chief chairman chairwoman chair chancellor
    senator governor judge justice officer detective inspector sergeant constable superintendent
    commissioner captain general colonel major lieutenant admiral king queen prince princess
    duke duchess pope archbishop bishop imam rabbi sheikh home foreign shadow deputy assistant
    former acting ambassador spokesman spokeswoman spokesperson leader director manager coach
    dj mp mep councillor cllr gov sen rep assemblyman assemblywoman congressman congresswoman
    """.split()
)

#: Calendar words: taken off the start of a name; a name made of them only is no name.
CALENDAR = frozenset(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday
    friday saturday sunday mon tue tues wed thu thurs fri sat sun christmas easter
    am pm gmt bst edt est pdt pst cet utc
    """.split()
)

#: Peoples and faiths: capitalised, but what a story is about is better said by a place.
DEMONYMS = frozenset(
    """
    muslim muslims christian christians jew jews jewish hindu hindus sikh sikhs buddhist
    buddhists catholic catholics protestant protestants islamic islamist islamists londoners
    europeans americans africans asians arab arabs british english scottish welsh irish french
    dutch swiss greek greeks thai
    """.split()
)
#: Words too general to be a tag on their own (they may still be part of a name: "State of Ohio").
GENERIC = frozenset("state government online national international internet web news city world".split())
_DEMONYM_SUFFIXES = ("ian", "ians", "ican", "icans", "ish", "ese")

#: Lowercase words allowed inside a name ("Bank of England", "Leonardo da Vinci").
JOINERS = frozenset("of for de da del della di du van von der den la le al bin &".split())
#: Longest word and name kept as a tag (a 1,000-letter "word" is no name).
WORD_MAX_CHARS = 30
NAME_MAX_CHARS = 60

# --- reading the text ---------------------------------------------------------------------------

#: Words, runs and names are read once and remembered (so many repeat, within a story and across).
_CACHE_SIZE = 1 << 14
#: Marks read as tokens of their own (and ’ when no letter follows it: a closing quote).
_MARKS = r".!?;:…\n“”‘\"()\[\]—–,"
#: What a word goes on with after its first letter: letters, digits, "_", apostrophes, "&", "." and "-".
_WORD_CHAR = r"[\w’'&.-]"
#: A word that starts with a letter other than an ASCII lowercase one (a capital, most often).
_OTHER_WORD = rf"[^\W\d_a-z]{_WORD_CHAR}*"
#: A joiner, as a word of its own ("of", not "often").
_JOINER = rf"(?:{'|'.join(map(re.escape, JOINERS))})(?!{_WORD_CHAR})"
_LOWERCASE_WORD = rf"[a-z][a-z]*+{_WORD_CHAR}*+"  # (ASCII letters first: faster)
#: Lowercase text, read as one token: from a word that starts with an ASCII lowercase letter (and
#: is no joiner, which may go on a name) to the last such word before a capital. It ends a run, and
#: nothing in it (marks, joiners) can start or continue one; its last word says if a sentence ends.
_LOWERCASE_TEXT = rf"{_LOWERCASE_WORD}(?:[ \W\d_]++{_LOWERCASE_WORD})*+"  # (a space first: faster)
#: Any other word, a joiner, lowercase text, "&" or a mark (a joiner before lowercase text).
_TOKEN = re.compile(rf"{_OTHER_WORD}|{_JOINER}|{_LOWERCASE_TEXT}|&|[{_MARKS}]|’(?!\w)")
#: Tokens that end a run of capitalised words without starting a sentence.
_RUN_END = frozenset(",’")
_SENTENCE_END = frozenset(".!?;:…\n“‘\"()[]—–")
#: A possessive ("Python’s") is taken off the word and ends the name.
_POSSESSIVE_ENDS = ("'s", "’s")
#: Initials ("U.S.") do not end a sentence.
_INITIALS = re.compile(r"(?:[A-Z]\.)+")
#: The first letter of every word of four letters or more.
_LONG_WORD_INITIAL = re.compile(r"([^\W\d_])[^\W\d_]{3,}+")
#: A line's shape, to tell prose at a glance: ASCII lowercase letters as "a", spaces kept, anything
#: else as "x"; " aaaa" in it is a space before a word of four letters or more in lower case.
_SHAPE = bytes(ord("a") if "a" <= chr(i) <= "z" else ord(" ") if chr(i) == " " else ord("x") for i in range(256))
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"</(?:p|li|h\d|figcaption|blockquote|div|section)>|<br\s*/?>", re.I)
#: The entities the typography writes (typography.py), decoded first: faster than html.unescape, and
#: the same (no entity name has these characters, so no reference can run on into them).
_TYPOGRAPHY_ENTITIES = (("&nbsp;", "\xa0"), ("&#8230;", "…"), ("&#8212;", "—"))
_DROPPED = re.compile(
    r'<section class="comments">.*?</section>|<small class="credit">.*?</small>|<span class="label">.*?</span>',
    re.S,
)


def html_to_text(markup: str) -> str:
    """Plain text of story HTML: one line per block, comments and photo credits left out."""
    if "<" in markup:  # (a key point seldom has a tag)
        markup = _DROPPED.sub(" ", markup)
        markup = _BLOCK_END.sub("\n", markup)
        markup = _TAG.sub(" ", markup)
    for entity, char in _TYPOGRAPHY_ENTITIES:
        markup = markup.replace(entity, char)
    return html.unescape(markup)


def _is_capitalised(word: str) -> bool:
    return word[0].isupper()


def _shouting_or_title_case(line: str) -> bool:
    """A line whose words are (nearly) all capitalised says nothing about which are names."""
    # Prose, told at a glance: a word of four letters or more takes five characters with the one
    # after it, so the line has at most (len + 1) / 5 of them; when more than 1 - TITLE_CASE_SHARE
    # of that many (plus one, against rounding) start in lower case, the line is not Title Case.
    shape = line.encode("ascii", "replace").translate(_SHAPE)  # (one byte a character)
    if shape.count(b" aaaa") > (1 - TITLE_CASE_SHARE) * (len(line) + 1) / 5 + 1:
        return False
    initials = _LONG_WORD_INITIAL.findall(line)
    if len(initials) < TITLE_CASE_MIN_WORDS:
        return False
    return sum(map(str.isupper, initials)) / len(initials) >= TITLE_CASE_SHARE


class _Word(NamedTuple):
    word: str  # without trailing dots, dashes, quotes or possessive
    name_word: bool  # capitalised and no common word: starts or continues a run
    joiner: bool  # continues a run ("Of", "&")
    ends_name: bool  # the run ends after it
    ends_sentence: bool


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _read_word(token: str) -> _Word:
    """A token that does not start in lower case, read once."""
    word = token.rstrip("’'.-")
    if word.endswith(_POSSESSIVE_ENDS):
        word = word[:-2]
    word = word.replace("'", "’")
    lower = word.lower()
    ends_sentence = token[-1] == "." and not _INITIALS.fullmatch(token)
    # a closing quote or a possessive ("Monty Python’s Flying Circus") ends the name
    ends_name = ends_sentence or token[-1] in "’'" or token.endswith(_POSSESSIVE_ENDS)
    return _Word(word, _is_capitalised(word) and lower not in STOPWORDS, lower in JOINERS, ends_name, ends_sentence)


def _runs(text: str):
    """Yield (words, at_sentence_start) for every run of capitalised words in `text`."""
    for line in text.split("\n"):
        if not line.strip() or _shouting_or_title_case(line):
            continue
        run: tuple[str, ...] = ()
        run_start = False
        sentence_start = True
        for token in _TOKEN.findall(line):
            if token[0].islower():  # lowercase words: a joiner goes on a run, any other ends it
                if run and token in JOINERS:
                    run += (token,)
                elif run:
                    yield run, run_start
                    run = ()
                sentence_start = token[-1] == "."
                continue
            if len(token) == 1 and (token in _SENTENCE_END or token in _RUN_END):
                if run:
                    yield run, run_start
                    run = ()
                if token in _SENTENCE_END:
                    sentence_start = True
                continue
            word, name_word, joiner, ends_name, ends_sentence = _read_word(token)
            if name_word:
                if not run:
                    run_start = sentence_start
                run += (word,)
            elif run and joiner:
                run += (word,)
            elif run:
                yield run, run_start
                run = ()
            if ends_name and run:
                yield run, run_start
                run = ()
            sentence_start = ends_sentence
        if run:
            yield run, run_start


def _is_title_or_date(word: str) -> bool:
    lower = word.lower()
    # "Ex-Home Secretary", "Vice-President", "Prime-Minister"
    return lower in TITLES or lower in CALENDAR or lower in JOINERS or lower.rsplit("-", 1)[-1] in TITLES


def _trim(words: tuple[str, ...]) -> tuple[str, ...]:
    """Take titles and calendar words off the start, titles and joiners off the end."""
    start = 0
    while start < len(words) and _is_title_or_date(words[start]):
        start += 1
    words = words[start:]
    while words and (words[-1].lower() in JOINERS or words[-1].lower() in TITLES):
        words = words[:-1]  # "State Sen." before a name
    return words


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _is_name(words: tuple[str, ...]) -> bool:
    lowered = [w.lower() for w in words]
    if any(len(w) > WORD_MAX_CHARS for w in words) or len(" ".join(words)) > NAME_MAX_CHARS:
        return False
    if all(w in CALENDAR or w in STOPWORDS or w in TITLES or w in JOINERS for w in lowered):
        return False
    if len(words) == 1:
        word = lowered[0]
        if "." in word:  # initials ("J.C") and abbreviations
            return False
        last = word.rsplit("-", 1)[-1]  # "Cuban-Guatemalan"
        if word in GENERIC or word in DEMONYMS or (last.endswith(_DEMONYM_SUFFIXES) and not words[0].isupper()):
            return False
        if len(word) < 2:
            return False
    return True


def _shorter_runs(words: tuple[str, ...]):
    """Every shorter run of words (of at most `NAME_MAX_WORDS`) inside `words`."""
    n = len(words)
    for size in range(1, min(n, NAME_MAX_WORDS + 1)):
        for start in range(n - size + 1):
            yield words[start : start + size]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _read_run(run: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """A run of capitalised words, read once: (its name, trimmed; the parts of that name, which
    are the shorter runs inside it that start and end with a capitalised word)."""
    words = _trim(run)
    parts = tuple(p for p in _shorter_runs(words) if _is_capitalised(p[0]) and _is_capitalised(p[-1]))
    return words, parts


def find_entities(
    title: str,
    key_points: list[str] | tuple[str, ...],
    body: str,
    *,
    max_tags: int | None = MAX_TAGS_DEFAULT,
    min_count: int = MIN_COUNT_DEFAULT,
    body_max_chars: int = BODY_MAX_CHARS_DEFAULT,
    exclude: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """The names a story is about, most prominent first (plain text in, at most `max_tags` out;
    every one with `max_tags=None`).

    `exclude` holds names (any case) not to return, such as the curator's own tags.
    """
    if max_tags is not None and max_tags <= 0:
        return []
    prominent_text = "\n".join([title, *key_points])
    texts = [(prominent_text, True), (body[:body_max_chars], False)]

    alone: list[tuple[str, ...]] = []  # every name seen as a name of its own
    inside: list[tuple[str, ...]] = []  # every name seen inside a longer one
    prominent: set[tuple[str, ...]] = set()
    mid_sentence_words: set[str] = set()
    initial_singles: list[tuple[tuple[str, ...], bool]] = []

    for text, in_front in texts:
        for run, at_start in _runs(text):
            words, parts = _read_run(run)
            if not words:
                continue
            if at_start and len(words) == 1:
                initial_singles.append((words, in_front))
                continue
            mid_sentence_words.update(words[1:] if at_start else words)
            if len(words) <= NAME_MAX_WORDS:  # a longer run is counted by its parts only
                alone.append(words)
                if in_front:
                    prominent.add(words)
            inside.extend(parts)
            if in_front:
                prominent.update(parts)

    for name, in_front in initial_singles:
        if name[0] in mid_sentence_words or name[0].isupper() and len(name[0]) > 1:
            alone.append(name)
            if in_front:
                prominent.add(name)

    whole = Counter(alone)  # seen as a name of its own
    total = whole.copy()  # seen at all, alone or inside a longer name
    total.update(inside)
    _credit_surnames(whole, total)
    excluded = {e.casefold() for e in exclude}
    candidates = [
        name
        for name in whole
        if (total[name] >= min_count or name in prominent)
        and _is_name(name)
        and " ".join(name).casefold() not in excluded
    ]
    kept = set(candidates)
    within: dict[tuple[str, ...], list[tuple[str, ...]]] = {}  # the longer candidates a name is in
    for longer in candidates:
        for shorter in _shorter_runs(longer):
            within.setdefault(shorter, []).append(longer)
    ends: dict[str, list[tuple[str, ...]]] = {}
    for name in kept:
        if 2 <= len(name) <= 3:
            for word in {name[0], name[-1]}:
                ends.setdefault(word, []).append(name)
    for name in candidates:
        if len(name) == 1 and len(ends.get(name[0], ())) == 1:
            kept.discard(name)  # "Bruce" beside "Steve Bruce": the same person
        elif whole[name] < min_count and any(longer in kept for longer in within.get(name, ())):
            kept.discard(name)
    ranked = sorted(kept, key=lambda n: (n not in prominent, -total[n], -len(n), " ".join(n)))
    return [" ".join(name) for name in ranked[:max_tags]]


def _credit_surnames(whole: Counter, total: Counter) -> None:
    """"Mr Javid" after "Sajid Javid": a lone word that ends exactly one longer name (of two or
    three words) counts for that name too."""
    endings: dict[str, list[tuple[str, ...]]] = {}
    for name in whole:
        if 2 <= len(name) <= 3:
            endings.setdefault(name[-1], []).append(name)
    for name, count in whole.items():
        if len(name) == 1 and len(endings.get(name[0], ())) == 1:
            total[endings[name[0]][0]] += count


# --- Pelican glue -------------------------------------------------------------------------------


def rank_tags(generator) -> None:
    """`tags_by_use` for the tag index: (tag, stories) pairs, most stories first, then by name."""
    tags = generator.tags.items() if isinstance(generator.tags, dict) else generator.tags
    generator.context["tags_by_use"] = sorted(tags, key=lambda pair: (-len(pair[1]), pair[0].name.casefold(), pair[0].slug))
