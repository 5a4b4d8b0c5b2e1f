"""The fast paths of entities.py read text exactly as the plain definitions they stand for:

- `_shouting_or_title_case` counts the lowercase long words of a line (in its first half first)
  before it works out the share: the same answer as the share of capitalised words of four
  letters or more.
- `_runs` reads a stretch of lowercase text as one token and each capitalised token once: the
  same runs as reading the text token by token.
- `html_to_text` decodes the typography's entities before `html.unescape`: the same text.

Each is compared with the plain definition, written out here, on crafted and generated text.
"""

import html
import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from news_reader import entities  # noqa: E402

# --- the plain definitions ----------------------------------------------------------------------

_PLAIN_TOKEN = re.compile(r"[^\W\d_][\w’'&.-]*|&|[.!?;:…\n“”‘\"()\[\]—–,]|’(?!\w)")
_PLAIN_POSSESSIVE = re.compile(r"['’]s$")


def plain_title_case(line: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_]+", line) if len(w) > 3]
    if len(words) < entities.TITLE_CASE_MIN_WORDS:
        return False
    return sum(1 for w in words if w[0].isupper()) / len(words) >= entities.TITLE_CASE_SHARE


def plain_runs(text: str):
    """Token by token: (words, at_sentence_start) for every run of capitalised words."""
    for line in text.split("\n"):
        if not line.strip() or plain_title_case(line):
            continue
        run: list[str] = []
        run_start = False
        sentence_start = True
        for token in _PLAIN_TOKEN.findall(line):
            if token in entities._SENTENCE_END or token in entities._RUN_END:
                if run:
                    yield tuple(run), run_start
                    run = []
                sentence_start = sentence_start or token in entities._SENTENCE_END
                continue
            if token[0].islower():
                if run and token in entities.JOINERS:
                    run.append(token)
                elif run:
                    yield tuple(run), run_start
                    run = []
                sentence_start = token[-1] == "."
                continue
            ends_sentence = token.endswith(".") and not re.fullmatch(r"(?:[A-Z]\.)+", token)
            word = _PLAIN_POSSESSIVE.sub("", token.rstrip("’'.-")).replace("'", "’")
            lower = word.lower()
            if word[0].isupper() and lower not in entities.STOPWORDS:
                if not run:
                    run_start = sentence_start
                run.append(word)
            elif run and lower in entities.JOINERS:
                run.append(word)
            elif run:
                yield tuple(run), run_start
                run = []
            sentence_start = False
            if ends_sentence or token[-1] in "’'" or _PLAIN_POSSESSIVE.search(token):
                if run:
                    yield tuple(run), run_start
                    run = []
                sentence_start = ends_sentence
        if run:
            yield tuple(run), run_start


def plain_html_to_text(markup: str) -> str:
    markup = entities._DROPPED.sub(" ", markup)
    markup = entities._BLOCK_END.sub("\n", markup)
    return html.unescape(entities._TAG.sub(" ", markup))


# --- crafted text -------------------------------------------------------------------------------

LINES = [
    "Abcd Abcd Abcd Abcd abcd",  # exactly the Title Case share
    " Abcd Abcd Abcd Abcd abcd abcd",
    "Every Word Of This Line Is Capitalised Like A Headline In Title Case Somewhere.",
    "The council met on Thursday, and officials said the budget would hold until March.",
    "Bank of England and the Office for National Statistics; Leonardo da Vinci.",
    "He studied at St Edmund Hall, Oxford and wrote Monty Python’s Flying Circus.",
    "of England, said the report. of the year e.g. Bank i.e. Mr Smith",
    "rock ’n’ Roll, abc.Def Ghi, end... Then U.S. Army and J.C. Smith’s car",
    "4Th floor 1990s Abc-def well-Known iPhone McDonald école Normale ǅemal Ⅻ İstanbul",
    "the end. The start “Quoted Name” said (Aside Name) — Dash Name – x & Co & Sons",
    "bank of the year. Bank of. Vice-President Ex-Home Secretary State Sen. John",
    "Vincent van der Berg said that Oliver Ward de la Cruz would visit the Bank of the year awards",
]

PIECES = [
    "Abcd", "abcd", "ab", "Ab", "of", "for", "Of", "de", "la", "The", "He", "Mr", "said", "U.S.", "J.C.",
    "Python’s", "O'Neil", "e.g.", "end.", "abc.Def", "well-Known", "école", "Élan", "ǅemal", "Ⅻ", "4th",
    "&", " ", " ", " ", ", ", ". ", "... ", "’", "'", "“", "”", "(", ")", "—", "–", ";", ":", "!", "?", "\n", "\n\n",
    "-", "_", "1",
]
texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)

MARKUP = ["&", "&nbsp;", "&#8230;", "&#8212;", "nbsp;", "amp", "not", "in", ";", "#12", "#", "<p>", "</p>", "<br/>",
          '<span class="label">', "</span>", '<small class="credit">', "</small>", "x", " ", "\xa0", "\n", "<", ">"]
markups = st.lists(st.sampled_from(MARKUP), max_size=20).map("".join)


# --- the tests ----------------------------------------------------------------------------------


def test_title_case_is_told_as_by_the_share_of_capitalised_words():
    for line in LINES:
        assert entities._shouting_or_title_case(line) == plain_title_case(line), line
    for words in range(1, 30):
        for capitalised in range(words + 1):
            line = " ".join(["Abcd"] * capitalised + ["abcd"] * (words - capitalised))
            for variant in (line, " " + line, line + " "):
                assert entities._shouting_or_title_case(variant) == plain_title_case(variant), variant


@settings(max_examples=500, deadline=None)
@given(texts)
def test_title_case_on_generated_lines(text):
    for line in text.split("\n"):
        assert entities._shouting_or_title_case(line) == plain_title_case(line)


def test_runs_are_those_read_token_by_token():
    for line in LINES:
        assert list(entities._runs(line)) == list(plain_runs(line)), line
    assert list(entities._runs("\n".join(LINES))) == list(plain_runs("\n".join(LINES)))


@settings(max_examples=1000, deadline=None)
@given(texts)
def test_runs_on_generated_text(text):
    assert list(entities._runs(text)) == list(plain_runs(text))


def test_html_to_text_decodes_as_html_unescape():
    for markup in ["&amp&nbsp;;", "&not&nbsp;in;", "&&nbsp;", "&#12&#8230;", "&amp;nbsp;", "x&#8212;y", "<P>A</P>B<BR>C"]:
        assert entities.html_to_text(markup) == plain_html_to_text(markup), markup


@settings(max_examples=1000, deadline=None)
@given(markups)
def test_html_to_text_on_generated_markup(markup):
    assert entities.html_to_text(markup) == plain_html_to_text(markup)
