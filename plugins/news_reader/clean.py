"""Repair damaged text before it is read: line endings, mojibake, entities, invisible characters."""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from . import rules

#: Every match of ftfy's mojibake pattern (`ftfy.badness.BADNESS_RE`) holds a character of one of
#: its categories other than these three, which are the punctuation of ordinary text (curly
#: quotes, dashes, bullets, no-break space); tests/test_prefilters.py checks this against the pattern.
_PUNCTUATION_CATEGORIES = ("common", "start_punctuation", "end_punctuation")
#: The other categories (`ftfy.badness.MOJIBAKE_CATEGORIES`), joined in their order: a copy, so that
#: ftfy (60 ms to import) is loaded only for a text that shows a sign; tests/test_prefilters.py
#: checks it against ftfy's own.
_MOJIBAKE_CLASS = (
    "\u0080-\u009f\u00a6\u00a4\u00a8\u00ac\u00af\u00b8\u0192\u02c6\u02c7\u02d8\u02db"
    "\u02dc\u2020\u2021\u2030\u2310\u25ca\ufffd\u00aa\u00ba\u00b6\u00a7\u00a2\u00a3\u00a5"
    "\u20a7\u20ac\u00b2\u00b3\u00b9\u00b1\u00bc\u00bd\u00be\u00d7\u00b5\u00f7\u2044\u2202"
    "\u2206\u220f\u2211\u221a\u221e\u2229\u222b\u2248\u2260\u2261\u2264\u2265\u2116\u00d2"
    "-\u00d6\u00d9-\u00dc\u00f2-\u00f6\u00f8-\u00fc\u0150\u014c\u016a\u0172\u00b0\u00c0-"
    "\u00d1\u00d8\u00dc\u00dd\u0102\u0100\u0104\u0106\u010c\u010e\u0110\u0118\u011a\u0112"
    "\u0116\u011e\u0122\u0130\u012a\u0136\u0139\u013d\u0141\u013b\u0143\u0147\u0145\u0152"
    "\u0158\u015a\u015e\u0160\u0162\u0164\u016e\u0170\u0178\u0179\u017b\u017d\u0490\u00df"
    "\u00e0-\u00f1\u0103\u0105\u0101\u0107\u010d\u010f\u0111\u0119\u011b\u0113\u0117"
    "\u011f\u0123\u012f\u012b\u0137\u013a\u013e\u0142\u013c\u0153\u0155\u015b\u015f\u0161"
    "\u0165\u00fc\u017a\u017c\u017e\u0491\ufb01\ufb02\u00de\u0391-\u03a9\u0386\u0388"
    "\u0389\u038a\u038c\u038e\u038f\u03aa\u03ab\u0401-\u042f\u03b1-\u03c9\u03ac\u03ad"
    "\u03ae\u03af\u03b0\u0430-\u045f\u2502\u250c\u2510\u2518\u251c\u2524\u252c\u253c"
    "\u2550-\u256c\u2580\u2584\u2588\u258c\u2590\u2591\u2592\u2593"
)
#: A character without which ftfy's `is_bad` is False: text with none of them needs no repair.
MOJIBAKE_SIGN = re.compile(f"[{_MOJIBAKE_CLASS}]")


@functools.cache
def _ftfy():
    """ftfy's `is_bad`, `fix_text` and the way we use it: it repairs mojibake (â€™ → ’) and leaves
    curly quotes and the rest of the text alone."""
    import ftfy
    from ftfy.badness import is_bad

    config = ftfy.TextFixerConfig(
        unescape_html=False,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        fix_line_breaks=True,
        normalization="NFC",
        explain=False,
    )
    return is_bad, functools.partial(ftfy.fix_text, config=config)


def normalise(text: str) -> str:
    """Text with LF line endings, repaired characters, entities decoded, no invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # ftfy is the slow part of reading: run it only on text that shows signs of mojibake, and its
    # own test for those signs (is_bad, a few ms a story) only on text with a character they need
    suspect = MOJIBAKE_SIGN.search(text) and _ftfy()[0](text)
    text = _ftfy()[1](text) if suspect else unicodedata.normalize("NFC", text)
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
