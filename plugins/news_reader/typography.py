"""typogrify 2.1.0's filters and SmartyPants 2.0.2, for escaped text: the same output, faster.

render.py escapes every piece of text before typography, so what these functions get has no
tags, no `<`, `>` or backslash, and every `&` starts `&amp;`, `&lt;`, `&gt;` or `&#92;`. On such
text the libraries' HTML tokenising finds nothing to skip, SmartyPants' backslash escapes never
apply, and most of their regular expressions cannot match. Here each rule is the libraries' own,
in the same order and precompiled, less the choices that such text cannot contain, and is only
tried on text that has the characters it needs; tests/test_typography.py checks the output
against the libraries themselves.
"""

from __future__ import annotations

import re

# SmartyPants with Attr.set1 (what typogrify uses): dashes, ellipses, ``backticks'', quotes.

#: SmartyPants' numeric references and the characters Attr.u outputs instead.
_UNICODE = {
    "&#8211;": "–",
    "&#8212;": "—",
    "&#8216;": "‘",
    "&#8217;": "’",
    "&#8220;": "“",
    "&#8221;": "”",
    "&#8230;": "…",
}

#: What may come before an opening quote: a space. (SmartyPants also lists `&nbsp;`, `--`,
#: `&mdash;` and `&ndash;`, none left in escaped text by then; its decimal dashes are lost to a
#: comment in its verbose pattern, which makes the last choice `&&#x2013;` or `&&#x2014;`.)
_OPENER = r"(\s)"
#: A character after which a quote closes: anything but a space, tab, newline, [, {, ( or -.
_CLOSER = r"([^\ \t\r\n\[\{\(\-])"
_PUNCTUATION = r"""[!"#\$\%'()*+,-.\/:;<=>?\@\[\\\]\^_`{|}~]"""

#: SmartyPants' quote rules (convert_quotes, less its first two, which need a backslash), in its
#: order, each tried only when the text has the quotes it needs: (needed, pattern, replacement).
_QUOTE_RULES = (
    # "'word: a quote inside a quote, both opening
    ("\"'", re.compile(r""""'(?=\w)"""), "&#8220;&#8216;"),
    # '"word: the same the other way round
    ("'\"", re.compile(r"""'"(?=\w)"""), "&#8216;&#8220;"),
    # '80s: a decade's apostrophe closes
    ("'", re.compile(r"\b'(?=\d{2}s)"), "&#8217;"),
    # a ' after a space and before a word opens
    ("'", re.compile(_OPENER + r"'(?=\w)"), r"\1&#8216;"),
    # a ' after a closing character closes, unless a space, a lone s or a digit follows
    ("'", re.compile(_CLOSER + r"'(?!\s|s\b|\d)"), r"\1&#8217;"),
    # ... and before a space or a lone s too (they' said, the council's)
    ("'", re.compile(_CLOSER + r"'(\s|s\b)"), r"\1&#8217;\2"),
    # any other ' opens
    ("'", re.compile("'"), "&#8216;"),
    # a " after a space and before a word opens
    ('"', re.compile(_OPENER + r'"(?=\w)'), r"\1&#8220;"),
    # a " before a space closes
    ('"', re.compile(r'"(?=\s)'), "&#8221;"),
    # a " at the start before punctuation closes
    ('"', re.compile('^"(?=' + _PUNCTUATION + ")"), "&#8221;"),
    # a " after a closing character closes
    ('"', re.compile(_CLOSER + '"'), r"\1&#8221;"),
    # any other " opens
    ('"', re.compile('"'), "&#8220;"),
)


def smartypants(text: str) -> str:
    """`smartypants.smartypants(text)` (Attr.set1, numeric references out) for escaped text:
    without tags it is one token (as a lone quote, which SmartyPants treats apart, it comes out
    the same), and without backslashes no escapes."""
    text = text.replace("--", "&#8212;")  # -- is an em dash
    text = text.replace("...", "&#8230;").replace(". . .", "&#8230;")  # ... and . . . an ellipsis
    text = text.replace("``", "&#8220;").replace("''", "&#8221;")  # ``double quotes''
    for needed, pattern, replacement in _QUOTE_RULES:
        if needed in text:
            text = pattern.sub(replacement, text)
    return text


def unicode_entities(text: str) -> str:
    """SmartyPants' numeric references as characters (its Attr.u output)."""
    if "&#8" in text:
        for reference, character in _UNICODE.items():
            text = text.replace(reference, character)
    return text


# typogrify: amp, smartypants, caps, initial_quotes, widont.

#: An &amp; between spaces, to be wrapped in a span: typogrify's amp (which also takes a bare &,
#: `&#38;` and `&nbsp;` for a space, none of them in escaped text).
_AMP = re.compile(r"(\s)&amp;(\s)")
_AMP_SPAN = '<span class="amp">&amp;</span>'

#: Two capitals or more (with digits or apostrophes), or dotted capitals (U.S.): typogrify's caps,
#: its pattern as written.
_CAPS = re.compile(
    r"""(
        (\b[A-Z\d]*        # Group 2: Any amount of caps and digits
        [A-Z]\d*[A-Z]      # A cap string much at least include two caps (but they can have digits between them)
        [A-Z\d']*\b)       # Any amount of caps and digits or dumb apostsrophes
        | (\b[A-Z]+\.\s?   # OR: Group 3: Some caps, followed by a '.' and an optional space
        (?:[A-Z]+\.\s?)+)  # Followed by the same thing at least once more
        (?:\s|\b|$))
    """,
    re.VERBOSE,
)
#: What any match of _CAPS contains: two capitals apart by digits, or by a dot and a space.
_CAPS_HINT = re.compile(r"[A-Z](?:\d*|\.\s?)[A-Z]")

#: An opening quote at the start, after spaces and inline tags: typogrify's initial_quotes.
_INITIAL_QUOTE = re.compile(
    r"""((<(p|h[1-6]|li|dt|dd)[^>]*>|^)
        \s*
        (<(a|em|span|strong|i|b)[^>]*>\s*)*)
        (("|&ldquo;|&\#8220;)|('|&lsquo;|&\#8216;))
    """,
    re.VERBOSE,
)

#: The space before the last word, to become &nbsp;: typogrify's widont.
_WIDONT = re.compile(
    r"""((?:</?(?:a|em|span|strong|i|b)[^>]*>)|[^<>\s])
        \s+
        ([^<>\s]+
        \s*
        (</(a|em|span|strong|i|b)>\s*)*
        ((</(p|h[1-6]|li|dt|dd)>)|$))
    """,
    re.VERBOSE,
)
#: The end of a text read backwards as _WIDONT sees it: closing inline tags and spaces, the
#: last word, the spaces before it (group 1).
_WIDONT_TAIL_REVERSED = re.compile(r"(?:\s|>(?:a|me|naps|gnorts|i|b)/<)*[^<>\s]+(\s+)")


def _wrap_caps(match: re.Match) -> str:
    """typogrify's _cap_wrapper: a span round the capitals, a space after dotted ones kept out."""
    if match.group(2):
        return f'<span class="caps">{match.group(2)}</span>'
    dotted = match.group(3)
    if dotted[-1] == " ":
        return f'<span class="caps">{dotted[:-1]}</span> '
    return f'<span class="caps">{dotted}</span>'


def caps(text: str) -> str:
    """typogrify's caps for text with no tags, tried only where two capitals are close enough."""
    if _CAPS_HINT.search(text):
        return _CAPS.sub(_wrap_caps, text)
    return text


def initial_quotes(text: str) -> str:
    """typogrify's initial_quotes for text with no block tags (p, h1-6, li, dt, dd): a quote
    at the start gets a span, `dquo` for a double one, `quo` for a single one."""
    match = _INITIAL_QUOTE.match(text)
    if not match:
        return text
    kind = "dquo" if match.group(7) else "quo"
    return f'{match.group(1)}<span class="{kind}">{match.group(6)}</span>{text[match.end():]}'


def widont(text: str) -> str:
    """typogrify's widont for text with no block tags: its one possible match joins the last
    word to the one before, so its pattern is searched only from where that match would start,
    the character or inline tag before the spaces before the last word (found from the end)."""
    tail = _WIDONT_TAIL_REVERSED.match(text[::-1])
    if not tail:
        return text
    before = len(text) - tail.end(1) - 1  # the character before the spaces
    if before < 0:
        return text
    if text[before] == ">":  # a tag's end: it starts after the previous ">" at the earliest
        before = text.rfind(">", 0, before) + 1
    match = _WIDONT.search(text, before)
    if not match:
        return text
    return f"{text[:match.start()]}{match[1]}&nbsp;{match[2]}{text[match.end():]}"


def typogrify(text: str) -> str:
    """`typogrify.filters.typogrify(text)` for escaped text. Its amp spans split the text into
    the tokens that SmartyPants and caps see one by one; the span's own `&amp;` is left as is."""
    tokens = [text]
    if "&amp;" in text:
        parts = _AMP.split(text)  # text, space before, space after, text, ...
        tokens = [parts[0]]
        for before, after, following in zip(parts[1::3], parts[2::3], parts[3::3]):
            tokens[-1] += before
            tokens.append(after + following)
    return widont(initial_quotes(_AMP_SPAN.join(caps(smartypants(token)) for token in tokens)))
