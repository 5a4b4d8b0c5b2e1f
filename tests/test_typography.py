"""typography.py against the libraries it stands in for: typogrify 2.1.0 and SmartyPants 2.0.2
must give the same strings for every piece of text render.py escapes and typesets."""

import sys
from pathlib import Path

import pytest
import smartypants
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typogrify import filters

sys.path.insert(0, str(Path(__file__).parent.parent / "plugins"))

from news_reader import render, typography  # noqa: E402
from news_reader.render import _escape  # noqa: E402


def reference_plain(text: str) -> str:
    return smartypants.smartypants(_escape(text), smartypants.Attr.set1 | smartypants.Attr.u).replace('"', "&quot;")


def reference_rich(text: str) -> str:
    return filters.typogrify(_escape(text))


def reference_headline(text: str) -> str:
    return filters.widont(reference_plain(text))


#: Pieces that the filters' rules turn on: quotes of every kind, dashes, dots, ampersands,
#: backslashes, brackets and the characters that escaping turns into entities ...
MARKS = [
    "'", '"', "‘", "’", "“", "”", "``", "''", "-", "--", "---", "–", "—", ".", "...", ". . .",
    "&", " & ", "&amp;", "&nbsp;", "<", ">", "</span>", "\\", "\\'", "(", "[", ",", ";", "!",
]
#: ... words, capitals with digits, dots and apostrophes, numbers and decades ...
WORDS = [
    "x", "s", "word", "'90s", "NASA", "UK's", "BBC1", "2KU2", "U.S.", "A.", "B", "I", "42", "90s", "JIMMY'S",
    "it's", "rock 'n' roll",
]
#: ... and spaces of every kind; the three drawn equally often, so that any three in a row come up.
SPACES = [" ", "  ", "\xa0", "\n", "\t", "\r\n"]
#: Fewer pieces, so that longer runs of them come up too.
CORE = ["'", '"', "-", "--", ".", "...", " ", "\xa0", "&", "(", "x", "s", "A", "B", "1"]

texts = st.one_of(
    st.lists(st.sampled_from(CORE), max_size=12).map("".join),
    st.lists(st.one_of(*map(st.sampled_from, (MARKS, WORDS, SPACES))), max_size=20).map("".join),
    st.text(alphabet=st.sampled_from("'\"‘’“”-–—.&\\<>AUKSs19 \xa0\n\t([{,!;"), max_size=40),
    st.text(max_size=40),
)


@settings(max_examples=3000, deadline=None)
@given(texts)
@example("'")
@example('"')
@example("")
@example("U. S.\xa0")  # whitespace inside a caps span, before the last word
@example("x  & &  y")
@example("--'x")  # an em dash does not open a quote (SmartyPants' decimal dashes are a comment)
@example(". . ...")  # ... before . . .
@example("x's's x\"\" x'\xa0'\xa0")  # a closing quote's match takes the character after it
def test_same_output_as_typogrify_and_smartypants(text):
    assert render.plain(text) == reference_plain(text)
    assert render.rich(text) == reference_rich(text)
    assert render.headline_html(text) == reference_headline(text)


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_each_filter_matches_its_original(text):
    """Each step on what it gets in typogrify's order, so that a difference points at one filter."""
    escaped = _escape(text)
    assert typography.smartypants(escaped) == smartypants.smartypants(escaped)
    assert typography.unicode_entities(typography.smartypants(escaped)) == smartypants.smartypants(
        escaped, smartypants.Attr.set1 | smartypants.Attr.u
    )
    smart = smartypants.smartypants(escaped)
    assert typography.caps(smart) == filters.caps(smart)
    unquoted = filters.typogrify(escaped, initial_quotes=False, widont=False)
    assert typography.initial_quotes(unquoted) == filters.initial_quotes(unquoted)
    joined = filters.typogrify(escaped, widont=False)
    assert typography.widont(joined) == filters.widont(joined)


EXAMPLES = [
    # text, plain, rich, headline
    (
        'He said "hello" -- then left...',
        "He said “hello” — then left…",
        "He said &#8220;hello&#8221; &#8212; then&nbsp;left&#8230;",
        "He said “hello” — then&nbsp;left…",
    ),
    (
        "rock 'n' roll in the '90s",
        "rock ‘n’ roll in the ‘90s",
        "rock &#8216;n&#8217; roll in the&nbsp;&#8216;90s",
        "rock ‘n’ roll in the&nbsp;‘90s",
    ),
    (
        "NASA & the UK's BBC1",
        "NASA &amp; the UK’s BBC1",
        '<span class="caps">NASA</span> <span class="amp">&amp;</span> the <span class="caps">UK</span>&#8217;s'
        ' <span class="caps">BBC1</span>',
        "NASA &amp; the UK’s&nbsp;BBC1",
    ),
    (
        "Fish & chips <b>bold</b>",
        "Fish &amp; chips &lt;b&gt;bold&lt;/b&gt;",
        'Fish <span class="amp">&amp;</span> chips&nbsp;&lt;b&gt;bold&lt;/b&gt;',
        "Fish &amp; chips&nbsp;&lt;b&gt;bold&lt;/b&gt;",
    ),
    (
        "A path C:\\new\\. file",
        "A path C:&#92;new&#92;. file",
        "A path C:&#92;new&#92;.&nbsp;file",
        "A path C:&#92;new&#92;.&nbsp;file",
    ),
    (
        "The U.S. A. B. team",
        "The U.S. A. B. team",
        'The <span class="caps">U.S. A. B.</span>&nbsp;team',
        "The U.S. A. B.&nbsp;team",
    ),
    (
        "'Quoted' words",
        "‘Quoted’ words",
        '<span class="quo">&#8216;</span>Quoted&#8217;&nbsp;words',
        "‘Quoted’&nbsp;words",
    ),
    ("Last\xa0two words", "Last\xa0two words", "Last\xa0two&nbsp;words", "Last\xa0two&nbsp;words"),
    ("One", "One", "One", "One"),
]


@pytest.mark.parametrize("text, plain, rich, headline", EXAMPLES)
def test_examples(text, plain, rich, headline):
    assert (render.plain(text), render.rich(text), render.headline_html(text)) == (plain, rich, headline)
    assert (reference_plain(text), reference_rich(text), reference_headline(text)) == (plain, rich, headline)
