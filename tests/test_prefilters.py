"""Pre-filters that spare a costly pattern on text it cannot match: each must never hide a match.

- `clean.MOJIBAKE_SIGN` spares ftfy's mojibake test (`ftfy.badness.is_bad`, a few ms a story) on
  ordinary text: sound when every way `ftfy.badness.BADNESS_RE` can match needs one of its characters.
- `rules.CREDIT_SIGN` spares the photo-credit pattern (`rules.CAPTION_CREDIT`): sound when every
  credit holds one of `rules.CREDIT_SIGNS`.
- `rules.EMBED_SIGN` spares the embedded-post pattern (`rules.EMBEDDED_POST`): sound when every
  embedded post holds one of `rules.EMBED_SIGNS`.
- `rules.PICTURE_WORDS` opens with a look at the next character: sound when that holds every first
  character of the alternatives.
- `parse._caption_key` deletes all but letters and digits from ASCII text with `str.translate`:
  the same as its pattern (`parse._NOT_ALNUM`) on every ASCII character.

The tests read the patterns themselves (alternatives, character classes and literals, with
Python's regex parser), so an ftfy upgrade, a new credit shape or a new picture word that the
filter would hide fails here instead of slipping past it.
"""

import re
import string
import sys
from pathlib import Path
from re import _constants as sre
from re import _parser as sre_parse

import pytest
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))

from news_reader import rules  # noqa: E402
from news_reader.clean import _MOJIBAKE_CLASS, _PUNCTUATION_CATEGORIES, MOJIBAKE_SIGN, normalise  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402


def _class_chars(item) -> set[str] | None:
    """The characters one pattern item matches, when it is a plain literal or character class."""
    op, arg = item
    if op is sre.LITERAL:
        return {chr(arg)}
    if op is not sre.IN:
        return None  # a repeat, an anchor, `.`: no character it surely needs
    chars: set[str] = set()
    for member, value in arg:
        if member is sre.LITERAL:
            chars.add(chr(value))
        elif member is sre.RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None  # a negated class or a category such as \s or \w: could be any character
    return chars


SIGNS = _class_chars(sre_parse.parse(MOJIBAKE_SIGN.pattern).data[0])


def test_every_match_of_ftfys_badness_pattern_needs_a_mojibake_sign():
    assert not BADNESS_RE.flags & re.IGNORECASE  # a case-blind pattern would match more letters
    tree = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert len(tree.data) == 1 and tree.data[0][0] is sre.BRANCH
    alternatives = tree.data[0][1][1]
    assert len(alternatives) > 30
    for alternative in alternatives:
        needed = [chars for chars in map(_class_chars, alternative.data) if chars is not None]
        assert any(chars <= SIGNS for chars in needed), f"an alternative of BADNESS_RE needs no sign: {alternative}"


def test_the_copy_of_ftfys_categories_is_ftfys_and_ftfy_loads_only_when_needed():
    """clean.py copies the categories so that a build whose stories show no sign never imports ftfy."""
    import subprocess

    assert _MOJIBAKE_CLASS == "".join(c for name, c in MOJIBAKE_CATEGORIES.items() if name not in _PUNCTUATION_CATEGORIES)
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import news_reader.clean as c; "
             "c.normalise('A plain story, with ‘curly’ quotes — and a dash.'); print('ftfy' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", probe, str(HERE.parent / "plugins")], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


def test_ordinary_punctuation_is_no_sign():
    assert not MOJIBAKE_SIGN.search("“Quoted” – ‘and’ — it’s • listed… \u00a0 ok")
    assert MOJIBAKE_SIGN.search("Itâ€™s")


#: Ordinary text: ASCII and ftfy's punctuation categories (curly quotes, dashes, bullets, ...).
_ORDINARY = sorted(
    set(string.printable)
    | set().union(*(_class_chars(sre_parse.parse(f"[{MOJIBAKE_CATEGORIES[name]}]").data[0]) for name in _PUNCTUATION_CATEGORIES))
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(_ORDINARY), max_size=40))
def test_text_without_a_sign_is_not_bad_to_ftfy(text):
    assert not MOJIBAKE_SIGN.search(text)
    assert not is_bad(text)


def test_mojibake_is_still_repaired():
    assert normalise("Itâ€™s the councilâ€™s plan") == "It’s the council’s plan"
    assert normalise("“Quoted” – it’s • fine") == "“Quoted” – it’s • fine"


def _always_holds(items, signs) -> bool:
    """Whether every match of these pattern items holds one of `signs`: a run of literals with a
    sign in it, or a group, a branch (every alternative) or a repeat (at least once) that does."""
    run = ""
    for op, arg in items:
        if op is sre.LITERAL:
            run += chr(arg)
            if any(sign in run for sign in signs):
                return True
            continue
        run = ""
        if op is sre.SUBPATTERN and _always_holds(arg[3].data, signs):
            return True
        if op is sre.BRANCH and all(_always_holds(alternative.data, signs) for alternative in arg[1]):
            return True
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1 and _always_holds(arg[2].data, signs):
            return True
    return False


def test_every_photo_credit_holds_a_credit_sign():
    assert not rules.CAPTION_CREDIT.flags & re.IGNORECASE
    assert _always_holds(sre_parse.parse(rules.CAPTION_CREDIT.pattern).data, rules.CREDIT_SIGNS)
    # the check itself can fail: a credit shape without a sign
    assert not _always_holds(sre_parse.parse(r"\s*(?P<credit>\[\w+\]|[A-Z]\w+ Press)\s*$").data, rules.CREDIT_SIGNS)


def test_every_embedded_post_holds_an_embed_sign():
    assert not rules.EMBEDDED_POST.flags & re.IGNORECASE
    assert _always_holds(sre_parse.parse(rules.EMBEDDED_POST.pattern).data, rules.EMBED_SIGNS)
    # the check itself can fail: an embed shape without a sign
    assert not _always_holds(sre_parse.parse(r"(?:pic\.twitter\.com/\w+|^Threads: \w+)").data, rules.EMBED_SIGNS)


def test_embedded_posts_are_still_found():
    post = "Thank you all — Jane Doe (@janedoe) May 1, 2019"
    text = f"Title of the story here\n\nThe first paragraph of the story, told in full.\n\n{post}\n\nThe last paragraph."
    assert [b.text for b in parse_story(text).blocks if b.kind == "embed"] == [post]


def test_ascii_keys_lose_what_the_pattern_takes_out():
    from news_reader.parse import _ASCII_NOT_ALNUM, _NOT_ALNUM

    every = "".join(map(chr, range(128)))
    assert every.translate(_ASCII_NOT_ALNUM) == _NOT_ALNUM.sub("", every) == string.digits + string.ascii_uppercase + string.ascii_lowercase
    for char in every:
        assert char.translate(_ASCII_NOT_ALNUM) == _NOT_ALNUM.sub("", char), repr(char)


def test_credits_are_still_found():
    text = "Title of the story here\n\nThe mayor opens the new harbour bridge on Monday morning (AP Photo/Jane Doe)\n\nBody text."
    captions = [b for b in parse_story(text).blocks if b.kind == "caption"]
    assert [(c.text, c.credit) for c in captions] == [("The mayor opens the new harbour bridge on Monday morning", "(AP Photo/Jane Doe)")]


def _first_chars(items) -> set[str] | None:
    """The characters a match of these pattern items can start with; None when the first item
    could match nothing or is not a plain literal, class, group, branch or repeat."""
    op, arg = items[0]
    if op in (sre.LITERAL, sre.IN):
        return _class_chars(items[0])
    if op is sre.SUBPATTERN:
        return _first_chars(arg[3].data)
    if op is sre.BRANCH:
        firsts = [_first_chars(alternative.data) for alternative in arg[1]]
        return None if None in firsts else set().union(*firsts)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _first_chars(arg[2].data)
    return None


@pytest.mark.parametrize("pattern", [rules.PICTURE_WORDS], ids=["PICTURE_WORDS"])
def test_a_leading_lookahead_holds_every_first_character(pattern):
    boundary, (op, (direction, lookahead)), *rest = sre_parse.parse(pattern.pattern, pattern.flags).data
    assert boundary == (sre.AT, sre.AT_BOUNDARY) and op is sre.ASSERT and direction == 1
    allowed = _class_chars(lookahead.data[0])
    firsts = _first_chars(rest)
    assert allowed is not None and firsts is not None
    assert firsts <= allowed, f"first characters missing from the lookahead: {sorted(firsts - allowed)}"
