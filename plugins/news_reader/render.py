"""Story → HTML: every piece of text escaped first, then given typography (typogrify's
filters and SmartyPants, as typography.py does them for escaped text)."""

from __future__ import annotations

import html
import re

from . import typography
from .story import Block, Story

_TYPOGRAPHY_SPAN = re.compile(r'<span class="(?:caps|amp|dquo|quo)">(.*?)</span>', re.S)


def strip_typography(html_text: str) -> str:
    """HTML without typogrify's styling spans (caps, amp, quotes): for feeds, which carry text."""
    return _TYPOGRAPHY_SPAN.sub(r"\1", html_text)


def _escape(text: str) -> str:
    """HTML-escaped text whose backslashes smartypants will not take for escapes (`\\.` stays)."""
    return html.escape(text, quote=False).replace("\\", "&#92;")


def plain(text: str) -> str:
    """Escaped text with curly quotes and dashes but no markup: for titles, summaries, feeds."""
    return typography.unicode_entities(typography.smartypants(_escape(text))).replace('"', "&quot;")


def rich(text: str) -> str:
    """Escaped text with full typography (caps and amp spans, no widows): for page bodies."""
    return typography.typogrify(_escape(text))


def headline_html(text: str) -> str:
    """A heading: typography without spans, but no widow."""
    return typography.widont(plain(text))


def render_block(block: Block) -> str:
    if block.kind == "subheading":
        return f"<h2>{rich(block.text)}</h2>"
    if block.kind == "caption":
        credit = f' <small class="credit">{rich(block.credit)}</small>' if block.credit else ""
        return (
            '<figure class="caption"><figcaption><span class="label">Picture:</span> '
            f"{rich(block.text)}{credit}</figcaption></figure>"
        )
    if block.kind == "embed":
        return f'<blockquote class="embed"><p>{rich(block.text)}</p></blockquote>'
    if block.kind == "endnote":
        return f'<p class="endnote"><small>{rich(block.text)}</small></p>'
    return f"<p>{rich(block.text)}</p>"


def render_body(story: Story) -> str:
    """The story body: paragraphs, captions as figures without pictures, subheadings, then
    readers' comments (kept, never passed off as the story) in a section of their own."""
    body = "\n".join(render_block(b) for b in story.blocks if b.kind != "comment")
    comments = [b for b in story.blocks if b.kind == "comment"]
    if comments:
        items = "\n".join(f"<blockquote><p>{rich(b.text)}</p></blockquote>" for b in comments)
        body += f'\n<section class="comments"><h2>Readers’ comments</h2>\n{items}\n</section>'
    return body


def render_key_points(bullets: tuple[str, ...] | list[str]) -> str:
    """Key points as a list without span markup, fit for summaries and feeds."""
    items = "".join(f"<li>{plain(b)}</li>" for b in bullets)
    return f"<ul>{items}</ul>" if items else ""
