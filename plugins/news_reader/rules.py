"""The parser's knowledge, as data: thresholds with their meaning, and patterns grouped by purpose.

Every threshold is a named constant with a `_DEFAULT` suffix; `pelicanconf.py` overrides any of
them through the `BROADSHEET_PARSER` dict, keyed by the name without the suffix
(`{"TITLE_MAX_WORDS": 24}`). No pattern names a site's exact sentence or a corpus story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

# --- thresholds -------------------------------------------------------------------------------

#: A headline line has at most this many words.
TITLE_MAX_WORDS_DEFAULT = 22
#: A headline line has at least this many characters.
TITLE_MIN_CHARS_DEFAULT = 8
#: A kicker (section label above the headline) has at most this many words.
KICKER_MAX_WORDS_DEFAULT = 6
#: A standfirst that repeats the title shares at least this share of the title's words.
HEADLINE_OVERLAP_MIN_DEFAULT = 0.6
#: A subheading (crosshead) has at most this many words.
SUBHEADING_MAX_WORDS_DEFAULT = 9
#: A sentence-case crosshead without punctuation has at most this many words; longer ones are related links.
CROSSHEAD_MAX_WORDS_DEFAULT = 4
#: A caption without credit, label or duplicate has at least this many words.
CAPTION_MIN_WORDS_DEFAULT = 7
#: A caption has at most this many words.
CAPTION_MAX_WORDS_DEFAULT = 90
#: A caption whose only evidence is a missing full stop has at least this many words.
CAPTION_UNSTOPPED_MIN_WORDS_DEFAULT = 12
#: Caption score at or above which a block is a caption (see `_caption_score` in parse.py).
CAPTION_SCORE_MIN_DEFAULT = 3
#: A pull quote is looked for in the paragraphs this many blocks around it.
REPEAT_WINDOW_DEFAULT = 12
#: A block longer than this many characters, alone in the body, is a whole story on one line.
ONE_LINE_STORY_MIN_CHARS_DEFAULT = 700
#: When a one-line story is split, each paragraph gets this many sentences.
SENTENCES_PER_PARAGRAPH_DEFAULT = 3
#: Lines in a block are hard-wrapped prose when the longest is at most this many characters.
WRAP_WIDTH_MAX_DEFAULT = 100
#: The dateline is looked for in this many prose blocks at the top of the body.
DATELINE_SEARCH_BLOCKS_DEFAULT = 3
#: Prose above the dateline is the dek when it is one sentence of at least this many words.
DEK_MIN_WORDS_DEFAULT = 12
#: Indented lines (no glyph) are highlights when their block is among this many at the top.
INDENTED_BULLETS_WITHIN_DEFAULT = 4
#: Key points picked from the body when the story has no bullets.
AUTO_KEY_POINTS_DEFAULT = 3
#: A trailing run of at least this many comment-like blocks is a reader-comments section.
COMMENTS_MIN_RUN_DEFAULT = 5
#: Share of comment-like blocks in that run.
COMMENTS_MIN_SHARE_DEFAULT = 0.6
#: A short title made from the first sentence has at most this many words.
DERIVED_TITLE_MAX_WORDS_DEFAULT = 12


@dataclass(frozen=True)
class Thresholds:
    """The thresholds in force for one parse."""

    TITLE_MAX_WORDS: int = TITLE_MAX_WORDS_DEFAULT
    TITLE_MIN_CHARS: int = TITLE_MIN_CHARS_DEFAULT
    KICKER_MAX_WORDS: int = KICKER_MAX_WORDS_DEFAULT
    HEADLINE_OVERLAP_MIN: float = HEADLINE_OVERLAP_MIN_DEFAULT
    SUBHEADING_MAX_WORDS: int = SUBHEADING_MAX_WORDS_DEFAULT
    CROSSHEAD_MAX_WORDS: int = CROSSHEAD_MAX_WORDS_DEFAULT
    CAPTION_MIN_WORDS: int = CAPTION_MIN_WORDS_DEFAULT
    CAPTION_MAX_WORDS: int = CAPTION_MAX_WORDS_DEFAULT
    CAPTION_UNSTOPPED_MIN_WORDS: int = CAPTION_UNSTOPPED_MIN_WORDS_DEFAULT
    CAPTION_SCORE_MIN: int = CAPTION_SCORE_MIN_DEFAULT
    REPEAT_WINDOW: int = REPEAT_WINDOW_DEFAULT
    ONE_LINE_STORY_MIN_CHARS: int = ONE_LINE_STORY_MIN_CHARS_DEFAULT
    SENTENCES_PER_PARAGRAPH: int = SENTENCES_PER_PARAGRAPH_DEFAULT
    WRAP_WIDTH_MAX: int = WRAP_WIDTH_MAX_DEFAULT
    DATELINE_SEARCH_BLOCKS: int = DATELINE_SEARCH_BLOCKS_DEFAULT
    DEK_MIN_WORDS: int = DEK_MIN_WORDS_DEFAULT
    INDENTED_BULLETS_WITHIN: int = INDENTED_BULLETS_WITHIN_DEFAULT
    AUTO_KEY_POINTS: int = AUTO_KEY_POINTS_DEFAULT
    COMMENTS_MIN_RUN: int = COMMENTS_MIN_RUN_DEFAULT
    COMMENTS_MIN_SHARE: float = COMMENTS_MIN_SHARE_DEFAULT
    DERIVED_TITLE_MAX_WORDS: int = DERIVED_TITLE_MAX_WORDS_DEFAULT

    @classmethod
    def from_settings(cls, settings: dict | None) -> Thresholds:
        """Thresholds with `settings` overrides; unknown keys raise a ValueError naming them."""
        settings = settings or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"news_reader: unknown BROADSHEET_PARSER keys {unknown}; known: {sorted(known)}")
        return cls(**settings)


# --- patterns, grouped by purpose ------------------------------------------------------------

#: Bullet glyphs that open a highlight line.
BULLET = re.compile(r"^\s*[•\-*–▪●◦‣·]\s+(?P<text>\S.*)$")
#: Glyphs that mark a bullet even on a line of its own (a dash or star needs a bullet beside it).
BULLET_GLYPH = re.compile(r"^\s*[•▪●◦‣]\s+\S")
#: The CNN/DailyMail dataset's highlight marker, on a line of its own.
HIGHLIGHT_MARKER = re.compile(r"^@highlight\s*$", re.I)

#: Site furniture: whole lines that belong to the web page, not the story (one pattern: one match per line).
FURNITURE = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            r"^scroll down for (the )?videos?\.?$",
            r"^advertisement\.?$",
            r"^share this article\.?$",
            r"^share or comment on this article:?.*$",
            r"^related articles?\.?$",
            r"^related( article| story| stories| coverage)?:? ?.{0,160}$(?<=[^.!?\"”’])",
            r"^story continued below\.?$",
            r"^(previous|next|previous next|enlarge|print|email|tweet|comments?|close)\.?$",
            r"^loading (photo )?gallery\.?$",
            r"^media playback is unsupported on your device$",
            r"^authors?:$",
            r"^\d[\d,.]*k?\s+shares?\b.*$",
            r"^(share|like) this:.*$",
            r"^(like|follow) us on (facebook|twitter|instagram)\b.*$",
            r"^follow [\w .'-]{2,40} on (twitter|instagram|facebook)\b.*$",
            r"^(watch|see) the (video|segment|clip)( below)?:?$",
            r"^featured image (via|credit|courtesy)\b.*$",
            r"^click here\b.*$",
            r"^(sign up|subscribe)\b.{0,80}newsletter.*$",
            r"^\(?\d+\s+comments?\)?$",
            r"^[\w.+-]+@[\w-]+\.[\w.]+\.?$",
            r"^[\w .'-]{2,40} may be reached at \S+@\S+.*$",
            r"^[\w .'-]{2,40} can be reached at \S+@\S+.*$",
            r"^\d{1,2}[.:]\d{2}$",
            r"^.{0,120}\bplease share your (videos?|photos?|pictures|stories)\b.*$",
            r"^(image|photo|picture)s?: ?(getty|ap|reuters|afp|pa)\b.{0,40}$",
            r"^[A-Z][\w.&' -]{1,30} News$",
        )
    ),
    re.I,
)

#: Bylines: "By NAME FOR MAILONLINE", "By NAME, Reporter"; `BYLINE_ALONE` is "By" on its own line.
BYLINE = re.compile(r"^by\s+(?P<name>[A-Z][\w.'’-]*(?:[ ,]+(?:and\s+)?[A-Z][\w.'’-]*){0,8}(?:\s+for\s+[\w .]+)?)\.?$", re.I)
#: A byline and a timestamp flattened onto one line: "By JANE DOE PUBLISHED: 09:14 EDT, 28 May 2019 | ...".
BYLINE_AND_TIMESTAMP = re.compile(r"^By (?P<name>[^|:]{3,80}?)\s+(?P<stamp>(?:PUBLISHED|UPDATED|Published|Updated|Last updated)\b.*)$")
BYLINE_ALONE = re.compile(r"^by$", re.I)
#: Timestamps: "PUBLISHED: 09:14 EDT, 28 May 2019 | UPDATED: ...", "Last updated at 10:01 on ...".
TIMESTAMP = re.compile(r"^(published|updated|last updated|posted)\b[: ]", re.I)
#: A date inside a timestamp line.
TIMESTAMP_DATE = re.compile(
    r"(?:(?P<h>\d{1,2})[:.](?P<m>\d{2})\s*(?:[A-Z]{2,4})?,?\s+)?(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<y>\d{4})"
)
#: Source footers: "Read more at DailyMail.co.uk", "Read more: http://...#ixzz3abc".
READ_MORE_AT = re.compile(r"^read more at:?\s+(?P<source>.+?)\.?$", re.I)
READ_MORE_URL = re.compile(r"^read more:\s*(?P<url>https?://\S+?)(?:#ixzz\w*)?$", re.I)
#: Datelines that open the first paragraph: "LONDON (Reuters) -", "(CNN) --", "TRENTON —", "(CNN) An".
DATELINE = re.compile(
    r"^(?P<dateline>\((?:CNN|AP|Reuters|AFP|UPI)\)"
    r"|[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}(?:, [A-Z][\w.]+(?: [A-Z][\w.]+)?)?(?: ?\((?:CNN|AP|Reuters|AFP|UPI|Bloomberg)\))?)"
    r"(?:\s*(?:--|—|–|-)\s*|(?<=\))\s+)(?=[A-Z“\"‘'])"
)
#: Contributor notes that close wire stories: "(Additional reporting by ...)", "X contributed to this report."
CONTRIBUTORS = re.compile(r"^\(?(additional reporting|reporting|writing|editing) by\b|contributed (to )?(this )?report", re.I)

#: Posts embedded from social networks: "... pic.twitter.com/x — Name (@handle) May 1, 2019", "Twitter: Name - ...".
EMBEDDED_POST = re.compile(
    r"(?:pic\.twitter\.com/\w+|—\s*[^—]{1,60}\(@\w{1,30}\)\s+[A-Z][a-z]+ \d{1,2}, \d{4}\s*$|^(?:Twitter|Instagram|Facebook): [^-]{2,40} - )"
)
#: What every embedded post holds (one of them is in every match of EMBEDDED_POST): a block without
#: any is no embed, and the costly pattern is spared.
EMBED_SIGNS = ("pic.twitter.com/", "(@", "Twitter", "Instagram", "Facebook")
EMBED_SIGN = re.compile("|".join(map(re.escape, EMBED_SIGNS)))
#: The shape of a link to another story: "Name missing: profile of ...", "... in pictures", a quoted tail.
RELATED_LINK = re.compile(r"^[^:]{3,60}: [a-z]|(?i:\bin pictures|\b(?:video|live|gallery|watch))$|['‘][^'’]{3,60}['’]$")
#: A caption label: "Beloved pet: ...", "Pictured: ...", a few words before a colon.
CAPTION_LABEL = re.compile(r"^(?P<label>[A-Z][\w'’,&-]*(?: [\w'’,&-]+){0,4}):\s+(?P<rest>[A-Z\"“‘'].*)$")
#: Words that make a "label:" a speaker instead ("He said: ...").
SPEECH_LABEL = re.compile(r"\b(said|says|added|told|explained|wrote|writes|tweeted|asked|continued|replied|insisted|warned|stated)$", re.I)
#: Gallery controls glued to the end of a caption: "... the attack. Previous Next".
GLUED_CONTROLS = re.compile(r"\s+(?:Previous|Next|Enlarge|Close|Previous Next)\s*$")
#: Photo credits at a caption's end: "[Wenn]", "(AP Photo/...)", "Getty Images", "(EPA)", "Credit...".
CAPTION_CREDIT = re.compile(
    r"\s*(?P<credit>\[[\w .&/-]{2,30}\]"
    r"|\((?:AP|AFP|EPA|Reuters|Getty|PA|Rex|Photo)[^()]{0,80}\)(?:\s*AP\d{0,4})?"
    r"|(?:Credit|Photograph|Photo|Picture|Image)(?:\.\.\.|…|:)\s*[^.]{2,60}"
    r"|[A-Z][\w.' -]{1,40}/(?:[\w.' -]{1,40}/)*(?:AFP|AP|EPA|Getty Images|Reuters|Shutterstock|Rex|PA)(?: via [\w ]+)?"
    r"|(?:AP|AFP|EPA|PA|Reuters|Getty Images) Photo(?:/[\w ,.'-]+)?)\s*$"
)
#: Every credit above holds one of these (tests/test_prefilters.py checks each alternative): text
#: without any has no credit, found at the speed of a plain search instead of the costly pattern.
CREDIT_SIGNS = ("[", "(", "/", "Photo", "Credit", "Picture", "Image")
CREDIT_SIGN = re.compile("|".join(map(re.escape, CREDIT_SIGNS)))
#: A line that is nothing but a photo credit ("Jane Doe/The Daily Paper via AP Photo").
CREDIT_ONLY = re.compile(
    r"^(?:[A-Z][\w.' -]{1,40}/)+[\w.' -]{1,60}(?:via (?:AP|AFP|Getty|Reuters)(?: Photo| Images)?)?$"
    r"|^(?:Photo|Picture|Image)s?(?: by|:) [\w.' /-]{2,60}$"
    r"|^(?:AP|AFP|EPA|Reuters|Getty Images)(?: Photo)?$"
)
#: A credit glued in front of a caption: "Kevin Doe/for New York Daily News London Rene ...".
LEADING_CREDIT = re.compile(r"^(?P<credit>[A-Z][\w.]*(?: [A-Z][\w.]*){1,3}/(?:for )?[A-Z][\w.]*(?: [A-Z][\w.]*){0,4})\s+(?=[A-Z])")
#: A caption flattened with its picture's labels: "Image copyright Getty Images Image caption Marchers ...".
LABELLED_CAPTION = re.compile(r"^(?:Image (?:copyright|source),? (?P<credit>.+?) )?Image caption,? (?P<text>\S.*)$")
#: Gallery counters in front of a caption: "1 of 4.", "+3".
GALLERY_COUNTER = re.compile(r"^(?:\+\d+\s+|\d+ of \d+\.?\s+)")
#: Words that tell of a picture: strong caption evidence. The lookahead holds the first characters
#: of the alternatives, so that the search passes over other words at once;
#: tests/test_prefilters.py checks that it holds them all.
PICTURE_WORDS = re.compile(
    r"\b(?=[pia(,])(pictured|photographed|in this (image|photo|picture|file photo)|poses?|posing|(is|are) (seen|shown)|"
    r"\((left|right|centre|center|top|bottom|above|below|second left|second right)\)|, (left|right),)\b",
    re.I,
)
#: Words that point at a picture ("Pictured: ...", "Left, the mayor ..."): a caption, not a headline.
PICTURE_POINTER = re.compile(r"^(pictured|above|below|inset|top|left|right)\b", re.I)
#: Verbs of reported speech: prose, not captions or comments.
REPORTING_VERB = re.compile(r"\b(said|says|told|according to|added|announced|reported|confirmed)\b", re.I)
#: Reported speech set in a sentence ("said: “", "told Reuters", "SAYS"): prose, not a caption.
REPORTED_SPEECH = re.compile(r"\b(?:said|says|told)[:,]?\s+[“\"‘']|\btold [A-Z]|, (?:said|says)\b|\b(?:SAYS|SAID)\b")
#: Marks of a reader's comment: first and second person.
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|my|me|we|our|you|your)\b")

#: End of a sentence: . ! ? or … optionally followed by closing quotes or brackets.
TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")
#: A line that ends in punctuation, closing quotes or brackets after it: not a subheading or a related link.
STOPPED = re.compile(r"[.!?:,;][\"'”’)]*$")
#: Opening quote marks: a paragraph of speech.
OPENING_QUOTE = re.compile(r"^[\"'“‘]")
#: Sentence boundaries, for splitting a one-line story and picking key points.
SENTENCE_END = re.compile(r"[.!?…][\"'”’)]*(?=\s+[\"'“‘(]?[A-Z0-9])")
#: Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset(
    "mr mrs ms dr st prof gen sen rep gov lt col sgt capt jr sr co corp inc ltd no vs jan feb mar apr "
    "jun jul aug sep sept oct nov dec u.s u.k a.m p.m e.g i.e".split()
)
#: Sentences glued by a lost space: "end.Next" (not "DailyMail.co.uk", not "U.S."), matched on the stop
#: (the pattern starts with it, so the search skips from stop to stop).
GLUED_SENTENCE = re.compile(r"[.!?](?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
#: Tokenised text: " , " " . " " 's " spaced out as NLP tools leave it.
TOKENISED_PUNCT = re.compile(r" (?=[,.;:!?%)](?:\s|$))| (?=(?:'s|n't|'re|'ve|'ll|'d|'m)\b)|(?<=[($]) ")
#: Zero-width and other invisible characters, and C0/C1 controls other than tab and newline.
INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
