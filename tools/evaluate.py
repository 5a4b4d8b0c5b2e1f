"""`invoke evaluate`: score the story parser against hand-labelled gold files.

A case is a story text `NAME.txt` beside `NAME.gold.json` (the corpus format described in
`../shared/corpus/README.md`). Each case is parsed through the parser's public API and
compared field by field with its gold labels. The figures, per field:

- title, headline, byline, source: one value per file. A *claim* is a value the parser
  offers (for the title: a title that is not just the start of the body, see
  `title_claimed`); precision = right claims / claims, recall = right claims / gold values.
- bullets, captions: sets of strings per file, matched one to one; precision, recall and F1
  summed over all files (micro-average). Automatic key points (`bullets_automatic`) are not
  the source's bullets and are left out.
- paragraphs: the share of files whose paragraph count is within `COUNT_TOLERANCE_DEFAULT`
  of the gold count, and whose first and last paragraphs are found (gold `first_sentence`
  / `last_sentence` where a one-line story has no paragraph labels).
- boilerplate: the share of gold boilerplate lines kept out of every predicted text.
- parsed: the share of files parsed without an error.

Strings are compared after `fold`: HTML entities decoded, mojibake repaired, white space
(non-breaking spaces included) collapsed, curly quotes made straight, case ignored.
Where a ratio has nothing to count (no gold values and no claims) it is 1.0.

Floors for every figure are pinned in `eval-floors.json`; `check_floors` lists the figures
that fell below them.
"""

from __future__ import annotations

import difflib
import functools
import html
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .stories import ROOT, StoryError, load_story

#: Two folded strings this similar (difflib ratio) count as the same.
SIMILARITY_DEFAULT = 0.9
#: One folded string inside the other counts as the same when the shorter is at least this
#: share of the longer: a caption without its credit matches the gold caption with it.
CONTAINMENT_SHARE_DEFAULT = 0.5
#: The same for first and last paragraphs: a paragraph without its dateline still matches.
PARAGRAPH_CONTAINMENT_SHARE_DEFAULT = 0.8
#: A one-line story's first (last) sentence is found when the paragraph starts (ends) with it,
#: or with all of it but a lead-in (tail) of at most this share, found by its first (last) characters.
LEAD_CUT_SHARE_DEFAULT = 0.2
LEAD_PROBE_CHARS_DEFAULT = 20
#: A paragraph count within this share of the gold count is right.
COUNT_TOLERANCE_DEFAULT = 0.10

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
SEED_CASE = (ROOT / "content" / "000_7badf5751ba94d9e.txt", ROOT / "tools" / "gold" / "000_7badf5751ba94d9e.gold.json")
FLOORS_FILE = ROOT / "eval-floors.json"

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})
_SPACE = re.compile(r"\s+")
_ELLIPSIS_END = re.compile(r"\s*(?:…|\.\.\.)$")


# --------------------------------------------------------------------------- comparing strings


@functools.lru_cache(maxsize=8192)
def fold(text: str | None) -> str:
    """The string as compared: entities decoded, mojibake repaired, spaces and quotes folded, lower case."""
    if not text:
        return ""
    text = html.unescape(text)
    try:
        import ftfy

        text = ftfy.fix_encoding(text)
    except ImportError:  # pragma: no cover - ftfy is in requirements.txt
        pass
    text = unicodedata.normalize("NFKC", text)  # NBSP and other odd spaces become spaces
    text = text.translate(_QUOTES)
    return _SPACE.sub(" ", text).strip().casefold()


def similar(a: str | None, b: str | None, ratio: float = SIMILARITY_DEFAULT) -> bool:
    """Equal after folding, or at least `ratio` alike."""
    a, b = fold(a), fold(b)
    if not a or not b:
        return False
    if a == b:
        return True
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= ratio and matcher.quick_ratio() >= ratio and matcher.ratio() >= ratio


def contains(a: str | None, b: str | None, share: float) -> bool:
    """One folded string inside the other, the shorter being at least `share` of the longer."""
    a, b = fold(a), fold(b)
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    return short in long and len(short) >= share * len(long)


def same_text(a: str | None, b: str | None) -> bool:
    """Titles, headlines, bullets, bylines, sources: equal or nearly so after folding."""
    return similar(a, b)


def same_caption(predicted: str | tuple[str, str | None], gold: str) -> bool:
    """A predicted caption (text, or (text, credit)) matches a gold caption, credit or not."""
    text, credit = (predicted, None) if isinstance(predicted, str) else predicted
    variants = [text]
    if credit:
        variants += [f"{text} {credit}", f"{credit} {text}", credit]
    return any(similar(v, gold) or contains(v, gold, CONTAINMENT_SHARE_DEFAULT) for v in variants if v)


def same_paragraph(a: str | None, b: str | None) -> bool:
    """First and last paragraphs: alike, or one holds the other with a little to spare (a dateline)."""
    return similar(a, b) or contains(a, b, PARAGRAPH_CONTAINMENT_SHARE_DEFAULT)


# --------------------------------------------------------------------------- counting


@dataclass
class Counts:
    """True positives, false positives, false negatives; precision, recall and F1 from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: "Counts") -> "Counts":
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def perfect(self) -> bool:
        return self.fp == 0 and self.fn == 0


@dataclass
class Rate:
    """A share of cases that came out right."""

    right: int = 0
    total: int = 0

    def add(self, ok: bool | None) -> None:
        """Count one case; None means the case does not apply."""
        if ok is None:
            return
        self.total += 1
        self.right += bool(ok)

    @property
    def value(self) -> float:
        return self.right / self.total if self.total else 1.0


def match_lists(
    predicted: list, gold: list[str], same: Callable[[object, str], bool]
) -> tuple[Counts, list[str], list]:
    """Match predictions to gold strings one to one, in order: (counts, gold missed, predictions extra)."""
    unmatched = list(range(len(gold)))
    extra = []
    for item in predicted:
        hit = next((i for i in unmatched if same(item, gold[i])), None)
        if hit is None:
            extra.append(item)
        else:
            unmatched.remove(hit)
    tp = len(gold) - len(unmatched)
    return Counts(tp, len(extra), len(unmatched)), [gold[i] for i in unmatched], extra


def score_value(predicted: str | None, gold: str | None, same: Callable = same_text) -> Counts:
    """One optional value: a claim that matches is a TP; a wrong claim is a FP (and a FN if gold had one)."""
    if predicted and gold and same(predicted, gold):
        return Counts(tp=1)
    return Counts(fp=int(bool(predicted)), fn=int(bool(gold)))


def title_claimed(prediction: dict) -> bool:
    """Did the parser take a headline line as the title, rather than make one up?

    A title made from the first sentence is still in the body; one made from the dek is the
    headline, or a shortened start of it ending in an ellipsis. A headline line is neither.
    """
    whole = fold(prediction.get("title"))
    title = _ELLIPSIS_END.sub("", whole)
    if not title:
        return False
    body = [*prediction.get("paragraphs", ()), *(_caption_text(c) for c in prediction.get("captions", ()))]
    body += list(prediction.get("subheadings", ()))
    if any(title in fold(piece) for piece in body):
        return False
    headline = fold(prediction.get("headline"))
    shortened = title != whole
    return not (headline and (title == headline or (shortened and headline.startswith(title))))


def _caption_text(caption) -> str:
    return caption if isinstance(caption, str) else " ".join(part for part in caption if part)


# --------------------------------------------------------------------------- one file


@dataclass
class FileScore:
    """How one case scored, with what was missed for the verbose report."""

    name: str
    error: str | None = None
    fields: dict[str, Counts] = field(default_factory=dict)
    rates: dict[str, bool | None] = field(default_factory=dict)
    boilerplate: Rate = field(default_factory=Rate)
    misses: list[str] = field(default_factory=list)


def prediction_from_story(story) -> dict:
    """The parts of a `Story` that are scored, as plain data."""
    return {
        "title": story.title,
        "headline": story.headline,
        "bullets": [] if story.bullets_automatic else list(story.bullets),
        "captions": [(b.text, b.credit) for b in story.blocks if b.kind == "caption"],
        "paragraphs": list(story.paragraphs),
        "subheadings": list(story.subheadings),
        "byline": story.byline,
        "source": story.source,
    }


def score_prediction(prediction: dict, gold: dict, text: str | None = None, name: str = "<story>") -> FileScore:
    """Score one prediction (see `prediction_from_story`) against one gold record.

    `text` is the story's raw text; it tells a boilerplate line that also occurs in the
    story itself (which may then rightly appear in a paragraph) from one that leaked.
    """
    score = FileScore(name)
    misses = score.misses

    claimed = title_claimed(prediction)
    score.fields["title"] = score_value(prediction.get("title") if claimed else None, gold.get("title"))
    if not score.fields["title"].perfect:
        misses.append(f"title: expected {_show(gold.get('title'))}, got {_show(prediction.get('title'))}"
                      + ("" if claimed else " (made from the body)"))

    for key in ("headline", "byline", "source"):
        score.fields[key] = score_value(prediction.get(key), gold.get(key))
        if not score.fields[key].perfect:
            misses.append(f"{key}: expected {_show(gold.get(key))}, got {_show(prediction.get(key))}")

    counts, missed, extra = match_lists(list(prediction.get("bullets", ())), list(gold.get("bullets") or ()), same_text)
    score.fields["bullets"] = counts
    misses += [f"bullet missed: {_show(b)}" for b in missed] + [f"bullet extra: {_show(b)}" for b in extra]

    counts, missed, extra = match_lists(list(prediction.get("captions", ())), list(gold.get("captions") or ()), same_caption)
    score.fields["captions"] = counts
    misses += [f"caption missed: {_show(c)}" for c in missed]
    misses += [f"caption extra: {_show(_caption_text(c))}" for c in extra]

    _score_paragraphs(prediction, gold, score)
    _score_boilerplate(prediction, gold, text, score)
    return score


def _score_paragraphs(prediction: dict, gold: dict, score: FileScore) -> None:
    paragraphs = list(prediction.get("paragraphs", ()))
    expected = gold.get("paragraph_count")
    if expected is None:
        score.rates["paragraph_count"] = None
    else:
        ok = abs(len(paragraphs) - expected) <= COUNT_TOLERANCE_DEFAULT * expected
        score.rates["paragraph_count"] = ok
        if not ok:
            score.misses.append(f"paragraph count: expected {expected}, got {len(paragraphs)}")
    first, last = paragraphs[:1], paragraphs[-1:]
    for key, got, whole, sentence, test in (
        ("first_paragraph", first, gold.get("first_paragraph"), gold.get("first_sentence"), _starts_with),
        ("last_paragraph", last, gold.get("last_paragraph"), gold.get("last_sentence"), _ends_with),
    ):
        if whole:
            ok = bool(got) and same_paragraph(got[0], whole)
            wanted = whole
        elif sentence:
            ok = bool(got) and test(got[0], sentence)
            wanted = sentence
        else:
            score.rates[key] = None
            continue
        score.rates[key] = ok
        if not ok:
            score.misses.append(f"{key.replace('_', ' ')}: expected {_show(wanted)}, got {_show(got[0] if got else None)}")


def _starts_with(paragraph: str, sentence: str) -> bool:
    """The paragraph starts with the sentence, perhaps without a short lead-in (a dateline)."""
    p, s = fold(paragraph), fold(sentence)
    if not p or not s:
        return False
    if p.startswith(s):
        return True
    at = s.find(p[:LEAD_PROBE_CHARS_DEFAULT])
    return 0 < at <= LEAD_CUT_SHARE_DEFAULT * len(s) and p.startswith(s[at:])


def _ends_with(paragraph: str, sentence: str) -> bool:
    """The paragraph ends with the sentence, perhaps without a short tail."""
    p, s = fold(paragraph), fold(sentence)
    if not p or not s:
        return False
    if p.endswith(s):
        return True
    probe = p[-LEAD_PROBE_CHARS_DEFAULT:]
    at = s.rfind(probe)
    end = at + len(probe)
    return at >= 0 and 0 < len(s) - end <= LEAD_CUT_SHARE_DEFAULT * len(s) and p.endswith(s[:end])


def _score_boilerplate(prediction: dict, gold: dict, text: str | None, score: FileScore) -> None:
    """A gold boilerplate line leaked when it occurs in the predicted texts more often than in the story proper.

    In the story proper = in the raw text, minus its occurrences as furniture (its own lines,
    at least one).
    """
    pieces = [prediction.get("title"), prediction.get("headline"), *prediction.get("bullets", ())]
    pieces += [*prediction.get("paragraphs", ()), *prediction.get("subheadings", ())]
    pieces += [_caption_text(c) for c in prediction.get("captions", ())]
    folded_pieces = [fold(p) for p in pieces if p]
    folded_text = fold(text) if text else ""
    folded_lines = [fold(line) for line in text.splitlines()] if text else []
    for line in gold.get("boilerplate") or ():
        target = fold(line)
        if not target:
            continue
        as_furniture = max(1, sum(1 for candidate in folded_lines if candidate == target))
        legitimate = max(0, folded_text.count(target) - as_furniture)
        found = sum(piece.count(target) for piece in folded_pieces)
        kept_out = found <= legitimate
        score.boilerplate.add(kept_out)
        if not kept_out:
            score.misses.append(f"boilerplate kept in: {_show(line)}")


def _show(value, width: int = 90) -> str:
    if value is None:
        return "null"
    text = " ".join(str(value).split())
    return json.dumps(text if len(text) <= width else text[: width - 1] + "…", ensure_ascii=False)


# --------------------------------------------------------------------------- a corpus


def find_cases(folder: str | Path) -> list[tuple[Path, Path]]:
    """(story, gold) pairs in a folder: every `NAME.txt` that has a `NAME.gold.json`, sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    cases = []
    for story in sorted(folder.glob("*.txt")):
        gold = story.with_name(story.name[: -len(".txt")] + ".gold.json")
        if gold.is_file():
            cases.append((story, gold))
    return cases


def default_cases() -> tuple[list[tuple[Path, Path]], list[str]]:
    """The shared corpus (when it is there) plus the seed story: (cases, notes)."""
    notes = []
    cases = []
    if DEFAULT_CORPUS.is_dir():
        cases += find_cases(DEFAULT_CORPUS)
    else:
        notes.append(f"{DEFAULT_CORPUS} not found: scoring the seed story only")
    cases.append(SEED_CASE)
    return cases, notes


def score_case(story_path: Path, gold_path: Path, settings: dict | None = None) -> FileScore:
    """Parse one story file and score it against its gold file."""
    name = story_path.name
    gold = json.loads(Path(gold_path).read_text(encoding="utf-8"))
    try:
        raw = Path(story_path).read_bytes().decode("utf-8-sig", errors="replace")
        story, _warnings = load_story(story_path, name, settings)
    except StoryError as error:
        score = score_prediction({}, gold, raw, name)
        score.boilerplate = Rate()  # nothing was published, so nothing to keep out: not counted
        score.error = str(error)
        score.misses.insert(0, f"parse error: {error}")
        return score
    return score_prediction(prediction_from_story(story), gold, raw, name)


@dataclass
class Report:
    """Scores of every case and the figures summed over them."""

    files: list[FileScore]
    notes: list[str] = field(default_factory=list)

    def counts(self, key: str) -> Counts:
        total = Counts()
        for score in self.files:
            if key in score.fields:
                total += score.fields[key]
        return total

    def files_right(self, key: str) -> Rate:
        rate = Rate()
        for score in self.files:
            rate.add(score.fields[key].perfect if key in score.fields else None)
        return rate

    def rate(self, key: str) -> Rate:
        rate = Rate()
        for score in self.files:
            rate.add(score.rates.get(key))
        return rate

    @property
    def boilerplate(self) -> Rate:
        rate = Rate()
        for score in self.files:
            rate.right += score.boilerplate.right
            rate.total += score.boilerplate.total
        return rate

    @property
    def parsed(self) -> Rate:
        rate = Rate()
        for score in self.files:
            rate.add(score.error is None)
        return rate

    def figures(self) -> dict[str, float]:
        """Every figure by name, as pinned in the floors file."""
        figures = {"parsed": self.parsed.value}
        for key in PRF_FIELDS:
            counts = self.counts(key)
            figures[f"{key}.precision"] = counts.precision
            figures[f"{key}.recall"] = counts.recall
            figures[f"{key}.f1"] = counts.f1
        for key, _label in RATE_FIELDS:
            figures[f"paragraphs.{key}"] = self.rate(key).value
        figures["boilerplate.kept_out"] = self.boilerplate.value
        return figures


PRF_FIELDS = ("title", "headline", "bullets", "captions", "byline", "source")
RATE_FIELDS = (
    ("paragraph_count", f"count within {COUNT_TOLERANCE_DEFAULT:.0%}"),
    ("first_paragraph", "first paragraph found"),
    ("last_paragraph", "last paragraph found"),
)


def evaluate(cases: Iterable[tuple[Path, Path]], settings: dict | None = None, notes: list[str] | None = None) -> Report:
    """Score every (story, gold) case."""
    return Report([score_case(story, gold, settings) for story, gold in cases], list(notes or ()))


# --------------------------------------------------------------------------- report and floors


def format_report(report: Report, verbose: bool = False) -> str:
    """The figures as tables; with `verbose`, every miss per file."""
    out = [f"note: {note}" for note in report.notes]
    parsed = report.parsed
    out.append(f"Scored {len(report.files)} files; parsed without error: {parsed.right}/{parsed.total} ({parsed.value:.2f})")
    out.append("")
    out.append(f"{'field':<12}{'precision':>10}{'recall':>8}{'F1':>7}{'gold':>7}{'found':>7}{'right':>7}  files right")
    for key in PRF_FIELDS:
        counts, right = report.counts(key), report.files_right(key)
        out.append(
            f"{key:<12}{counts.precision:>10.2f}{counts.recall:>8.2f}{counts.f1:>7.2f}"
            f"{counts.tp + counts.fn:>7}{counts.tp + counts.fp:>7}{counts.tp:>7}  {right.right}/{right.total}"
        )
    out.append("")
    out.append(f"{'paragraphs':<28}{'rate':>6}  files")
    for key, label in RATE_FIELDS:
        rate = report.rate(key)
        out.append(f"  {label:<26}{rate.value:>6.2f}  {rate.right}/{rate.total}")
    bp = report.boilerplate
    out.append(f"{'boilerplate kept out':<28}{bp.value:>6.2f}  {bp.right}/{bp.total} lines")
    out.append("")
    out.append("(gold = values in the gold files, found = values the parser gave, right = found and correct;"
               " a ratio with nothing to count is 1.00)")
    if verbose:
        out.append("")
        out.append("Misses per file:")
        for score in report.files:
            if not score.misses:
                continue
            out.append(f"  {score.name}")
            out += [f"    {miss}" for miss in score.misses]
    return "\n".join(out)


def floor2(value: float) -> float:
    """Round down to 2 decimals (0.8999999 → 0.89, but 0.29 stays 0.29 despite float noise)."""
    return math.floor(round(value * 100, 6)) / 100


def read_floors(path: str | Path = FLOORS_FILE) -> dict[str, float]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {key: float(value) for key, value in data.items() if not key.startswith("_")}


def check_floors(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """One line per figure below its floor (or missing); empty when all hold."""
    failures = []
    for key, floor in sorted(floors.items()):
        if key not in figures:
            failures.append(f"{key}: no such figure (floor {floor:.2f}); fix {FLOORS_FILE.name}")
        elif figures[key] + 1e-9 < floor:
            failures.append(f"{key}: {figures[key]:.4f} is below its floor {floor:.2f}")
    return failures


def raised_floors(figures: dict[str, float], floors: dict[str, float]) -> dict[str, float]:
    """Floors raised to the current figures rounded down; a floor is never lowered."""
    new = dict(floors)
    for key, value in figures.items():
        new[key] = max(floors.get(key, 0.0), floor2(value))
    return new


def write_floors(floors: dict[str, float], path: str | Path = FLOORS_FILE) -> None:
    data = {"_comment": FLOORS_COMMENT, **{key: floors[key] for key in sorted(floors)}}
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


FLOORS_COMMENT = (
    "Lowest acceptable evaluate figures on ../shared/corpus plus the seed; `invoke evaluate --check` "
    "fails below them. Raise with `invoke evaluate --raise-floors` (it never lowers one); lower one only "
    "by hand, in its own commit, saying why."
)
