"""parse_story: plain text → Story. A pure function: no Pelican, no files, no clock.

The text is cut into blocks (blank-line separated), and each block is classified first from its
own features, then from its neighbours, by the rules below, in the order they run:

1. furniture      — whole lines of the web page (share bars, "Advertisement", "Follow us") are dropped;
2. metadata       — byline, timestamp, "Read more at" source footer and contributor notes leave the body;
3. bullets        — glyph-led lines (• ▪ alone; - * – beside another) and `@highlight` blocks are key points;
4. top            — a kicker, the headline line (title), and the longer headline above the key points
                    or repeating the title (standfirst);
5. embeds         — posts quoted from social networks ("— Name (@handle) May 1, 2019") stand apart;
6. repeats        — a block that comes again with the same letters and digits is a caption, kept
                    once; a block repeating part of a nearby paragraph is a pull quote, dropped;
7. comments       — a trailing run of first-person blocks without reported speech is readers' comments;
8. captions       — scored from their own evidence (credit, label, picture words, no full stop, no
                    reported speech), then from their neighbours (a weak block between two captions);
9. subheadings    — short lines (all caps, a question, an ellipsis, a few words) before a paragraph;
   related links  — longer headline-shaped lines without a full stop: left out with a warning,
                    or captions in a story that has captions;
10. dateline      — "LONDON (Reuters) -" opening one of the first paragraphs leaves it; one
                    sentence above it is the dek, anything else there is a promotion;
11. one-line story — a body that is one long line is split into paragraphs at sentence ends;
12. key points    — a story without bullets gets the lead sentences of its paragraphs, marked automatic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from . import rules
from .clean import normalise, repair_line
from .header import split_header
from .story import Block, Story, StoryError


#: Kinds of block that leave the story: repeats ("drop") and site furniture (reported as a warning).
_GONE = ("drop", "furniture")

#: Characters the rules look for or take out: a word character; all but ASCII letters; all but letters and digits.
_WORD_CHAR = re.compile(r"\w")
_NOT_LETTER = re.compile(r"[^A-Za-z]")
_NOT_ALNUM = re.compile(r"[\W_]+")
#: `_NOT_ALNUM` for ASCII text, at C speed: every ASCII character but a letter or a digit deleted.
_ASCII_NOT_ALNUM = str.maketrans("", "", "".join(c for c in map(chr, range(128)) if not c.isalnum()))


@dataclass
class _Block:
    """A block of text while it is being classified."""

    text: str
    line: int  # 1-based line number of its first line in the file
    kind: str = ""  # "" until classified
    credit: str | None = None
    lines: tuple[str, ...] = ()
    # what the rules read often, kept until the text changes (`_of` is the text they belong to)
    _of: str | None = field(default=None, init=False, repr=False, compare=False)
    _words: int | None = field(default=None, init=False, repr=False, compare=False)
    _folded: str | None = field(default=None, init=False, repr=False, compare=False)

    def _forget_if_changed(self) -> None:
        if self._of is not self.text:
            self._of, self._words, self._folded = self.text, None, None

    @property
    def words(self) -> int:
        """The number of words in the text."""
        self._forget_if_changed()
        if self._words is None:
            self._words = len(self.text.split())
        return self._words

    @property
    def folded(self) -> str:
        """The text folded for comparison (see `_fold`)."""
        self._forget_if_changed()
        if self._folded is None:
            self._folded = _fold(self.text)
        return self._folded


def parse_story(text: str, path: str = "<text>", settings: dict | None = None) -> Story:
    """Parse one story's text. Raises StoryError (with path and line) when nothing can be published."""
    limits = rules.Thresholds.from_settings(settings)
    lines = normalise(text).split("\n")
    header, used, warnings = split_header(lines, path)
    blocks = _split_blocks(lines[used:], first_line=used + 1, limits=limits)
    if not any(_WORD_CHAR.search(b.text) for b in blocks):
        reason = "no story text after the header" if used else "the file has no text"
        raise StoryError(path, used + 1 if used else None, f"{reason}; add the story's text")
    found = _Found()
    blocks = _take_furniture_and_metadata(blocks, found)
    blocks = _take_bullets(blocks, found)
    body = list(blocks)
    _take_top(body, found, limits)
    body = [b for b in body if b.kind not in ("title", "headline", "drop")]
    _mark_embeds(body)
    _mark_repeats(body, limits)
    _mark_comments(body, limits)
    _mark_captions(body, limits)
    _mark_subheadings(body, limits)
    _take_dateline(body, found, limits)
    for block in body:
        block.kind = block.kind or "paragraph"
    body = _split_one_line_story(body, limits)
    title, title_warning = _choose_title(header, found, body, path, limits)
    if title_warning:
        warnings.append(title_warning)
    bullets, automatic = tuple(found.bullets), False
    if not bullets:
        bullets, automatic = _pick_key_points(body, limits), True
    warnings.extend(
        f"{path}:{b.line}: left out as site furniture (a link or promotion): “{b.text}”" for b in body if b.kind == "furniture"
    )
    return Story(
        title=title,
        headline=found.headline,
        bullets=bullets,
        bullets_automatic=automatic and bool(bullets),
        blocks=tuple(Block(b.kind, b.text, b.credit) for b in body if b.kind not in _GONE),
        byline=found.byline,
        dateline=found.dateline,
        published=found.published,
        source=found.source,
        source_url=found.source_url,
        header=header,
        warnings=tuple(warnings),
        title_from_text=found.title is not None,
    )


@dataclass
class _Found:
    """Story parts found outside the body."""

    title: str | None = None
    headline: str | None = None
    byline: str | None = None
    dateline: str | None = None
    published: datetime | None = None
    source: str | None = None
    source_url: str | None = None

    def __post_init__(self):
        self.bullets: list[str] = []
        self.bullets_line: int | None = None  # the line of the first glyph-led bullet


# --- blocks -----------------------------------------------------------------------------------


def _split_blocks(lines: list[str], first_line: int, limits: rules.Thresholds) -> list[_Block]:
    """Blank-line separated blocks; a block of several lines is hard-wrapped prose or one block per line."""
    blocks: list[_Block] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], start=first_line):
        if line.strip():
            current.append((number, line.rstrip()))
            continue
        if current:
            blocks.extend(_block_from_lines(current, limits, near_top=len(blocks) < limits.INDENTED_BULLETS_WITHIN))
            current = []
    return blocks


def _block_from_lines(lines: list[tuple[int, str]], limits: rules.Thresholds, near_top: bool) -> list[_Block]:
    texts = [text.strip() for _, text in lines]
    first = lines[0][0]
    if len(lines) == 1:
        return [_Block(repair_line(texts[0]), first, lines=tuple(texts))]
    indented = all(text[:1].isspace() for _, text in lines)
    capitalised = all(t[:1].isupper() or t[:1] in "\"“‘'" for t in texts)  # wrapped prose runs on in lower case
    if all(rules.BULLET.match(t) for t in texts) or (near_top and indented and capitalised):
        # glyph-led lines, or indented lines near the top: the highlights
        return [_Block(repair_line(" ".join(texts)), first, kind="bullets", lines=tuple(texts))]
    if _is_hard_wrapped(texts, limits):
        return [_Block(repair_line(" ".join(texts)), first, lines=tuple(texts))]
    return [_Block(repair_line(text), number, lines=(text,)) for number, text in lines]


def _is_hard_wrapped(texts: list[str], limits: rules.Thresholds) -> bool:
    """Hard-wrapped prose: every line short, most lines long-ish and running on without an end."""
    if max(len(t) for t in texts) > limits.WRAP_WIDTH_MAX:
        return False
    running_on = sum(1 for t in texts[:-1] if len(t) >= limits.WRAP_WIDTH_MAX // 2 and not rules.TERMINAL.search(t))
    return running_on >= max(1, (len(texts) - 1) // 2)


# --- furniture, metadata, bullets ---------------------------------------------------------------


def _take_furniture_and_metadata(blocks: list[_Block], found: _Found) -> list[_Block]:
    kept: list[_Block] = []
    byline_next = False
    for block in blocks:
        text = block.text
        if byline_next and block.words <= 8:
            found.byline, byline_next = text, False
            continue
        if rules.BYLINE_ALONE.match(text):
            byline_next = True
            continue
        if rules.FURNITURE.match(text):
            continue
        glued = rules.BYLINE_AND_TIMESTAMP.match(text)
        if glued and found.byline is None:
            found.byline = glued.group("name")
            found.published = found.published or _timestamp(glued.group("stamp"))
            continue
        match = rules.BYLINE.match(text)
        if match and found.byline is None and block.words <= 12:
            found.byline = match.group("name")
            continue
        if rules.TIMESTAMP.match(text) and block.words <= 24:
            found.published = found.published or _timestamp(text)
            continue
        match = rules.READ_MORE_AT.match(text)
        if match:
            found.source = match.group("source")
            continue
        match = rules.READ_MORE_URL.match(text)
        if match:
            found.source_url = match.group("url")
            continue
        if block is blocks[-1] and rules.CONTRIBUTORS.search(text) or rules.CONTRIBUTORS.match(text):
            block.kind = "endnote"
        kept.append(block)
    return kept


def _timestamp(text: str) -> datetime | None:
    match = rules.TIMESTAMP_DATE.search(text)
    if not match:
        return None
    hour, minute = int(match.group("h") or 0), int(match.group("m") or 0)
    try:
        day = datetime.strptime(f"{match.group('d')} {match.group('mon')[:3]} {match.group('y')}", "%d %b %Y")
    except ValueError:
        return None
    return day.replace(hour=hour, minute=minute)


def _take_bullets(blocks: list[_Block], found: _Found) -> list[_Block]:
    kept: list[_Block] = []
    highlight_next = False
    for index, block in enumerate(blocks):
        if highlight_next:
            found.bullets.append(block.text)
            highlight_next = False
            continue
        if rules.HIGHLIGHT_MARKER.match(block.text):
            highlight_next = True
            continue
        if block.kind == "bullets" or (
            len(block.lines) == 1
            and rules.BULLET.match(block.lines[0])
            and (rules.BULLET_GLYPH.match(block.lines[0]) or _near_bullets(index, blocks))
        ):
            found.bullets.extend(repair_line(_bullet_text(line)) for line in block.lines)
            found.bullets_line = found.bullets_line or block.line
            continue
        kept.append(block)
    return kept


def _bullet_text(line: str) -> str:
    """A highlight line without its glyph."""
    match = rules.BULLET.match(line)
    return match.group("text") if match else line.strip()


def _near_bullets(index: int, blocks: list[_Block]) -> bool:
    """A single glyph-led line counts as a bullet when another bullet line sits next to it."""
    neighbours = blocks[max(0, index - 1) : index] + blocks[index + 1 : index + 2]
    return any(n.kind == "bullets" or (n.lines and rules.BULLET.match(n.lines[0])) for n in neighbours)


# --- the top: kicker, title, standfirst ----------------------------------------------------------


def _is_title_like(block: _Block, limits: rules.Thresholds) -> bool:
    """One line, short, no full stop at the end, nothing that marks it a caption."""
    text = block.text
    return (
        len(block.lines) == 1
        and len(text) >= limits.TITLE_MIN_CHARS
        and block.words <= limits.TITLE_MAX_WORDS
        and not text.endswith((".", ":", ","))
        and len(_sentences(text)) == 1
        and not _credit_at_end(text)
        and not rules.PICTURE_WORDS.search(text)
        and not rules.GALLERY_COUNTER.match(text)
        and not _dateline_match(text)
        and not rules.PICTURE_POINTER.match(text)
    )


def _overlap(short: str, long: str) -> float:
    short_words = set(_fold(short).split())
    return len(short_words & set(_fold(long).split())) / max(1, len(short_words))


def _take_top(body: list[_Block], found: _Found, limits: rules.Thresholds) -> None:
    if len(body) < 2:
        return
    first = body[0]
    glued = _GLUED_LEAD.match(first.text)
    if glued and first.words <= limits.TITLE_MAX_WORDS * 3:
        # a lead picture's caption and credit glued before the headline: "Caption. | AP Photo Title"
        first.text, first.credit, first.kind = glued.group("caption"), glued.group("credit"), "caption"
        found.title = glued.group("title")
        _take_standfirst(body, 1, found, limits)
        return
    if _is_title_like(first, limits):
        second = body[1]
        if (
            not _before_bullets(second, found)
            and first.words <= limits.KICKER_MAX_WORDS
            and _is_title_like(second, limits)
            and len(body) > 2
            and _overlap(first.text, second.text) < limits.HEADLINE_OVERLAP_MIN
        ):
            first.kind = "drop"  # a kicker: the section label above the headline
            found.title, second.kind = second.text, "title"
            _take_standfirst(body, 2, found, limits)
            return
        found.title, first.kind = first.text, "title"
        _take_standfirst(body, 1, found, limits)
        return


_GLUED_LEAD = re.compile(
    r"^(?P<caption>.{20,}?[.!?])\s+\|\s+(?P<credit>(?:AP|AFP|EPA|Reuters|Getty Images|PA)(?: Photo)?)\s+(?P<title>\S.{5,})$"
)


def _take_standfirst(body: list[_Block], index: int, found: _Found, limits: rules.Thresholds) -> None:
    """The block after the title is a standfirst when it repeats the title at more length."""
    if index >= len(body) - 1:
        return
    block = body[index]
    if len(block.lines) != 1 or block.words > 60 or not found.title:
        return
    extends = _overlap(found.title, block.text) >= limits.HEADLINE_OVERLAP_MIN and block.words > len(found.title.split())
    if (extends or _before_bullets(block, found)) and not rules.TERMINAL.search(block.text.rstrip("’”\"'")):
        found.headline, block.kind = block.text, "headline"


def _before_bullets(block: _Block, found: _Found) -> bool:
    """The block sits right above the key points, where the seed format puts the long headline."""
    return found.bullets_line is not None and found.bullets_line > block.line and (
        found.bullets_line - block.line <= len(block.lines) + 1
    )


# --- repeats and captions -------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Text folded for comparison: quotes straightened, counters off, spaces single, lower case."""
    text = rules.GALLERY_COUNTER.sub("", text)
    for curly, straight in _QUOTES:
        if curly in text:
            text = text.replace(curly, straight)
    return " ".join(text.split()).lower()


_QUOTES = (("‘", "'"), ("’", "'"), ("‛", "'"), ("`", "'"), ("´", "'"), ("“", '"'), ("”", '"'), ("„", '"'))


def _caption_key(block: _Block) -> str:
    """What two copies of one caption share: its letters and digits, without counter and credit,
    so copies that differ in spaces, quotes, apostrophes or punctuation are one caption."""
    text = _strip_credit(block.text)[0]
    folded = block.folded if text == block.text else _fold(text)
    if folded.isascii():  # most keys
        return folded.translate(_ASCII_NOT_ALNUM)
    return _NOT_ALNUM.sub("", folded.replace(" ", ""))  # spaces off first: fewer matches


def _mark_repeats(body: list[_Block], limits: rules.Thresholds) -> None:
    """Rule "repeats": a block that comes again is a caption (kept once); part of a paragraph again is a pull quote."""
    keys = [_caption_key(b) if not b.kind and b.words <= limits.CAPTION_MAX_WORDS else "" for b in body]
    first_of: dict[str, int] = {}
    for index, block in enumerate(body):
        if block.kind or not keys[index]:
            continue
        earlier = first_of.setdefault(keys[index], index)
        if earlier == index or body[earlier].kind not in ("", "caption"):
            continue
        # the first copy stays in place; a quotation said twice is a repeat of the story, not a caption
        body[earlier].kind = "" if rules.OPENING_QUOTE.match(body[earlier].text) else "caption"
        block.kind = "drop"
    folded = [b.folded if not b.kind else "" for b in body]
    quotable = [text if b.words > 25 else "" for text, b in zip(folded, body)]  # paragraphs a pull quote comes from
    for index, block in enumerate(body):
        if block.kind or block.words < 6:
            continue
        low, high = max(0, index - limits.REPEAT_WINDOW), index + limits.REPEAT_WINDOW + 1
        text = folded[index]
        if any(text in other for other in quotable[low:index]) or any(text in other for other in quotable[index + 1 : high]):
            block.kind = "drop"  # a pull quote: its words are in the paragraph it quotes


def _mark_embeds(body: list[_Block]) -> None:
    """Rule "embeds": posts embedded from social networks are quoted as such, not told as the story."""
    for block in body:
        if not block.kind and rules.EMBED_SIGN.search(block.text) and rules.EMBEDDED_POST.search(block.text):
            block.kind = "embed"


#: A credit is looked for in this many characters at the end of a block (the pattern is costly).
_CREDIT_TAIL_CHARS = 200


def _credit_at_end(text: str) -> re.Match | None:
    """The photo credit that ends `text`, searched in its tail only; positions are in `text`."""
    start = max(0, len(text) - _CREDIT_TAIL_CHARS)
    if not rules.CREDIT_SIGN.search(text, start):
        return None  # most tails: no bracket, slash or credit word, so no credit
    return rules.CAPTION_CREDIT.search(text, start)


def _strip_credit(text: str) -> tuple[str, str | None]:
    """Split a caption into (text, credit); a caption that is only a credit stays whole."""
    text = rules.GALLERY_COUNTER.sub("", text).strip()
    if rules.CREDIT_ONLY.match(text):
        return text, None
    labelled = rules.LABELLED_CAPTION.match(text)
    if labelled:
        return labelled.group("text"), labelled.group("credit")
    match = _credit_at_end(text)
    if match and match.start() > 0:
        credit = match.group("credit").strip()
        if ". " in credit:
            head, credit = credit.rsplit(". ", 1)
            return (text[: match.start()] + " " + head + ".").strip(), credit
        return text[: match.start()].rstrip(" |-–—,"), credit
    match = rules.LEADING_CREDIT.match(text)
    if match:
        return text[match.end() :], match.group("credit")
    return text, None


def _caption_score(block: _Block, limits: rules.Thresholds) -> int:
    """Evidence that a block describes a picture that is no longer there. When the evidence for it is
    too weak for a caption even between two captions, the evidence against is not looked for."""
    text = block.text
    if rules.LABELLED_CAPTION.match(text):
        return 9
    if rules.CREDIT_ONLY.match(text) and block.words <= 12:
        return 9
    if block.words > limits.CAPTION_MAX_WORDS or text.endswith((":", "—", "–")):
        return -9
    score = 0
    if _credit_at_end(text) or rules.LEADING_CREDIT.match(text) or rules.GALLERY_COUNTER.match(text):
        score += 3
    label = rules.CAPTION_LABEL.match(text)
    if label and not rules.SPEECH_LABEL.search(label.group("label")) and len(label.group("rest").split()) >= 5:
        score += 2 if not rules.OPENING_QUOTE.match(label.group("rest")) else 0
    if rules.PICTURE_WORDS.search(text):
        score += 2
    if not rules.TERMINAL.search(text) and block.words >= limits.CAPTION_MIN_WORDS:
        score += 3 if block.words >= limits.CAPTION_UNSTOPPED_MIN_WORDS else 2
    if score < limits.CAPTION_SCORE_MIN - 1:
        return score  # below both thresholds of _mark_captions already: the evidence against changes nothing
    if rules.OPENING_QUOTE.match(text):
        score -= 3
    if rules.REPORTED_SPEECH.search(text):
        score -= 2
    if len(_sentences(text)) > 3:
        score -= 2
    return score


def _neighbour(body: list[_Block], index: int, step: int) -> _Block | None:
    """The nearest block before (step -1) or after (step 1) that is still in the story."""
    index += step
    while 0 <= index < len(body):
        if body[index].kind not in _GONE:
            return body[index]
        index += step
    return None


def _mark_captions(body: list[_Block], limits: rules.Thresholds) -> None:
    """Rule "captions": own evidence first, then a weak block between two captions joins them."""
    scores = [_caption_score(b, limits) if not b.kind else None for b in body]
    for block, score in zip(body, scores):
        if score is not None and score >= limits.CAPTION_SCORE_MIN:
            block.kind = "caption"
    for index, block in enumerate(body):
        if block.kind or scores[index] is None or scores[index] < limits.CAPTION_SCORE_MIN - 1:
            continue
        before, after = _neighbour(body, index, -1), _neighbour(body, index, 1)
        if before and after and before.kind == "caption" and after.kind == "caption":
            block.kind = "caption"
    shared = _shared_leading_credit([b for b in body if b.kind == "caption"])
    for block in body:
        if block.kind != "caption":
            continue
        block.text = rules.GLUED_CONTROLS.sub("", block.text)
        if shared and block.text.startswith(shared + " "):
            block.text, block.credit = block.text[len(shared) + 1 :], shared
            continue
        block.text, credit = _strip_credit(block.text)
        block.credit = block.credit or credit
    if shared:
        _split_gallery_captions(body, shared)


def _split_gallery_captions(body: list[_Block], credit: str) -> None:
    """A gallery flattened onto one line repeats its credit before each caption: split there."""
    for block in [b for b in body if b.kind == "caption" and f" {credit} " in b.text]:
        pieces = [p.strip() for p in block.text.split(f" {credit} ")]
        index = body.index(block)
        block.text = pieces[0]
        body[index + 1 : index + 1] = [_Block(p, block.line, "caption", credit) for p in pieces[1:] if p]


def _shared_leading_credit(captions: list[_Block]) -> str | None:
    """A "Name/Agency" credit glued in front of several captions: their common opening words."""
    heads = [b.text for b in captions if rules.LEADING_CREDIT.match(b.text)]
    if len(heads) < 2:
        return None
    common: list[str] = []
    for words in zip(*(h.split() for h in heads)):
        if len(set(words)) > 1:
            break
        common.append(words[0])
    credit = " ".join(common)
    return credit if "/" in credit else None


# --- subheadings, dateline, comments --------------------------------------------------------------


def _mark_subheadings(body: list[_Block], limits: rules.Thresholds) -> None:
    """Rule "subheadings": a short line that introduces a paragraph: all caps, a question, an
    ellipsis or a few words. Rule "related links": a longer headline-shaped line without a full
    stop is a link to another story (left out, with a warning) when it has a link's shape or
    the story has no captions; in a story with captions it is one more caption."""
    has_captions = any(b.kind == "caption" for b in body)
    for index, block in enumerate(body):
        if block.kind or block.words > limits.SUBHEADING_MAX_WORDS + 5:
            continue
        text = block.text
        letters = _NOT_LETTER.sub("", text)
        all_caps = len(letters) >= 4 and letters.isupper()
        question = text.endswith("?") and block.words <= limits.SUBHEADING_MAX_WORDS
        ellipsis = text.endswith(("...", "…")) or text.startswith(("...", "…"))
        unstopped = not rules.STOPPED.search(text)
        following = _neighbour(body, index, 1)
        introduces = following is not None and following.kind in ("", "paragraph")
        if introduces and (all_caps or question or ellipsis or (unstopped and block.words <= limits.CROSSHEAD_MAX_WORDS)):
            block.kind = "subheading"
        elif unstopped and block.words >= limits.CROSSHEAD_MAX_WORDS and 0 < index:
            link_shaped = rules.RELATED_LINK.search(text) or block.words < limits.CAPTION_MIN_WORDS
            block.kind = "caption" if has_captions and not link_shaped else "furniture"


def _dateline_match(text: str) -> re.Match | None:
    match = rules.DATELINE.match(text)
    letters = _NOT_LETTER.sub("", match.group("dateline")) if match else ""
    return match if len(letters) >= 3 and len(text) > match.end() + 20 else None


def _take_dateline(body: list[_Block], found: _Found, limits: rules.Thresholds) -> None:
    """Rule "dateline": "LONDON (Reuters) -" or "(CNN) --" opening one of the first prose blocks
    becomes the dateline; the story starts there, so prose before it is the dek (one sentence)
    or a promotion (dropped)."""
    prose = [b for b in body if not b.kind][: limits.DATELINE_SEARCH_BLOCKS]
    for index, block in enumerate(prose):
        match = _dateline_match(block.text)
        if not match:
            continue
        found.dateline = match.group("dateline").strip(" ,")
        block.text = block.text[match.end() :].lstrip()
        for before in prose[:index]:
            dek = len(_sentences(before.text)) == 1 and before.words >= limits.DEK_MIN_WORDS
            if dek and found.headline is None:
                found.headline, before.kind = before.text, "drop"
            else:
                before.kind = "furniture"
        return


def _is_comment_like(block: _Block) -> bool:
    text = block.text
    return not rules.OPENING_QUOTE.match(text) and bool(rules.FIRST_PERSON.search(text)) and not rules.REPORTING_VERB.search(text)


def _mark_comments(body: list[_Block], limits: rules.Thresholds) -> None:
    """Rule "comments": the split that best separates a news part from a trailing run of
    first-person blocks without reported speech; the run must be long and mostly comment-like."""
    prose = [b for b in body if not b.kind]
    marks = [_is_comment_like(b) for b in prose]
    total = sum(marks)
    best, best_score, before = None, -1, marks[0] if marks else 0  # `before`: comment-like blocks ahead of `start`
    for start in range(1, len(prose) - limits.COMMENTS_MIN_RUN + 1):
        score = (start - before) + (total - before)
        if marks[start] and score >= best_score:
            best, best_score, best_before = start, score, before
        before += marks[start]
    if best is None:
        return
    tail_share = (total - best_before) / (len(prose) - best)
    if tail_share >= limits.COMMENTS_MIN_SHARE and best_before / best < 0.5:
        for block in prose[best:]:
            block.kind = "comment"


# --- one-line stories, titles, key points -----------------------------------------------------------


def _sentences(text: str) -> list[str]:
    """Split prose at sentence ends, not after abbreviations or initials."""
    sentences, start = [], 0
    for match in rules.SENTENCE_END.finditer(text):
        before = text[start : match.start()].split()
        last = before[-1].lower().rstrip(".") if before else ""
        if last in rules.ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    tail = text[start:].strip()
    return [*sentences, tail] if tail else sentences


def _split_one_line_story(body: list[_Block], limits: rules.Thresholds) -> list[_Block]:
    """Rule "one-line story": a body of one long paragraph becomes paragraphs of a few sentences."""
    paragraphs = [b for b in body if b.kind == "paragraph"]
    if len(paragraphs) != 1 or len(paragraphs[0].text) < limits.ONE_LINE_STORY_MIN_CHARS:
        return body
    block = paragraphs[0]
    sentences = _sentences(block.text)
    step = limits.SENTENCES_PER_PARAGRAPH
    pieces = [" ".join(sentences[i : i + step]) for i in range(0, len(sentences), step)]
    index = body.index(block)
    return body[:index] + [_Block(p, block.line, "paragraph") for p in pieces] + body[index + 1 :]


def _choose_title(header, found, body, path, limits) -> tuple[str, str | None]:
    """Title precedence: header Title, the headline line, else a short title from the first sentence."""
    if header.get("title"):
        return header["title"], None
    if found.title:
        return found.title, None
    first = next((b for b in body if b.kind == "paragraph"), None) or next((b for b in body if b.kind not in _GONE), None)
    source = found.headline or (first.text if first else "Untitled story")
    sentence = _sentences(source)[0] if source else "Untitled story"
    words = sentence.rstrip(".").split()
    title = " ".join(words[: limits.DERIVED_TITLE_MAX_WORDS]) + ("…" if len(words) > limits.DERIVED_TITLE_MAX_WORDS else "")
    title = title if _WORD_CHAR.search(title) else "Untitled story"
    line = first.line if first else 1
    return title, f"{path}:{line}: no headline line; add a Title: header (using “{title}”)"


def _pick_key_points(body: list[_Block], limits: rules.Thresholds) -> tuple[str, ...]:
    """Rule "key points": the lead sentence of each of the first paragraphs, not speech, 8 to 40 words."""
    points: list[str] = []
    for block in body:
        if block.kind != "paragraph":
            continue
        for sentence in _sentences(block.text)[:1]:
            if 8 <= len(sentence.split()) <= 40 and not rules.OPENING_QUOTE.match(sentence):
                points.append(sentence)
        if len(points) >= limits.AUTO_KEY_POINTS:
            break
    if not points:
        points = [_sentences(b.text)[0] for b in body if b.kind == "paragraph"][:1]
    return tuple(points)
