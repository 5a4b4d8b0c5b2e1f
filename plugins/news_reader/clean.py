"""Repair damaged text before it is read: line endings, mojibake, entities, invisible characters."""

from __future__ import annotations

import html
import re
import unicodedata

import ftfy
from ftfy.badness import MOJIBAKE_CATEGORIES, is_bad

from . import rules

#: ftfy repairs mojibake (â€™ → ’) and leaves curly quotes and the rest of the text alone.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    uncurl_quotes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    fix_line_breaks=True,
    normalization="NFC",
    explain=False,
)


#: Every match of ftfy's mojibake pattern (`ftfy.badness.BADNESS_RE`) holds a character of one of
#: its categories other than these three, which are the punctuation of ordinary text (curly
#: quotes, dashes, bullets, no-break space); tests/test_prefilters.py checks this against the pattern.
_PUNCTUATION_CATEGORIES = ("common", "start_punctuation", "end_punctuation")
#: A character without which ftfy's `is_bad` is False: text with none of them needs no repair.
MOJIBAKE_SIGN = re.compile(
    "[" + "".join(chars for name, chars in MOJIBAKE_CATEGORIES.items() if name not in _PUNCTUATION_CATEGORIES) + "]"
)


def normalise(text: str) -> str:
    """Text with LF line endings, repaired characters, entities decoded, no invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # ftfy is the slow part of reading: run it only on text that shows signs of mojibake, and its
    # own test for those signs (is_bad, a few ms a story) only on text with a character they need
    suspect = MOJIBAKE_SIGN.search(text) and is_bad(text)
    text = ftfy.fix_text(text, _FTFY) if suspect else unicodedata.normalize("NFC", text)
    text = _unescape_entities(text)
    text = rules.INVISIBLE.sub("", text)
    return text.replace("\t", " ").replace("\u00a0", " ").replace("\u202f", " ")


_ENTITY = re.compile(r"&(?:#\d{2,6}|#x[0-9a-fA-F]{2,5}|[A-Za-z]{2,8});")


def _unescape_entities(text: str) -> str:
    """Decode HTML entities (`&#163;` → £); `&#191;` standing for an apostrophe becomes ’."""
    return _ENTITY.sub(lambda m: "’" if m.group(0) == "&#191;" else html.unescape(m.group(0)), text)


def repair_line(line: str) -> str:
    """One line of prose: glued sentences split, tokenised punctuation closed up, spaces folded."""
    line = " ".join(line.split())
    if _looks_tokenised(line):
        line = rules.TOKENISED_PUNCT.sub("", line)
        line = line.replace("`` ", "“").replace(" ''", "”").replace("``", "“").replace("''", "”")
    return rules.GLUED_SENTENCE.sub(r"\g<0> ", line)


_TOKEN_GAP = re.compile(r" [,.;:!?](?= |$)| n't\b")


def _looks_tokenised(line: str) -> bool:
    """Spaced-out punctuation at least twice, as NLP tokenisers leave text."""
    return len(_TOKEN_GAP.findall(line)) >= 2
