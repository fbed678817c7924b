"""Evidence quotes against the text of the source they cite: is the quote there, and in which paragraph.

A quote is found when, after both are normalised (`normalise`), it occurs in the source's text. The
normalisation forgives what retyping or copying from a web page changes without changing the words:
runs of whitespace (line breaks included) are one space; curly quotes are straight; every dash and
hyphen is '-', and spaces around a dash do not count ("a — b" is "a-b"); case does not count.

Paragraphs are blocks of lines separated by blank lines, numbered from 1. No I/O here:
store/sources.py reads the source files.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable, Optional

# One declaration of what counts as the same: quote marks, dashes, whitespace.
_QUOTE_MARKS = {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201f": '"'}
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphen, non-breaking hyphen, figure, en, em, bar, minus
_FOLD = str.maketrans({**_QUOTE_MARKS, **{dash: "-" for dash in _DASHES}})
_AROUND_DASH = re.compile(r"\s*-\s*")
_SPACES = re.compile(r"\s+")

SHORT_QUOTE = 60  # characters of a quote a message shows
NEAREST_MIN_CHARS = 8  # a shorter run in common with a passage is no sign that the quote means it


def normalise(text: str) -> str:
    """The text as quotes are compared: see the module's docstring."""
    folded = text.translate(_FOLD).casefold()
    return _SPACES.sub(" ", _AROUND_DASH.sub("-", folded)).strip()


@dataclass(frozen=True)
class SourceText:
    """A source's text, normalised for finding quotes, with where each paragraph starts in it."""

    text: str
    starts: tuple[int, ...]  # offset in `text` of each paragraph's first character

    @property
    def paragraphs(self) -> int:
        return len(self.starts)

    def paragraph_of(self, quote: str) -> Optional[int]:
        """The 1-based number of the paragraph where the quote starts, or None if it is not in the text.
        A quote may run on into the next paragraph (a blank line is whitespace like any other)."""
        wanted = normalise(quote)
        at = self.text.find(wanted)
        if at < 0 or not self.starts:
            return None
        return bisect.bisect_right(self.starts, at)

    def nearest(self, quote: str) -> Optional[tuple[int, str]]:
        """For a quote not found: the paragraph and the (normalised) passage that begins or ends as the
        quote does for at least half of it, aligned on that part; None when no passage is that close.

        A misquote usually changes a word or two: the quote's longest beginning found in the text, or its
        longest end, then leads to the passage meant. (Each is found by halving, with str.find: a
        general longest common substring would cost seconds in a long source.)"""
        wanted = normalise(quote)
        if not wanted or not self.starts:
            return None
        head = _longest(lambda n: wanted[:n], self.text, len(wanted))
        tail = _longest(lambda n: wanted[len(wanted) - n:], self.text, len(wanted))
        if max(head, tail) < max(NEAREST_MIN_CHARS, len(wanted) // 2):
            return None
        if head >= tail:
            start = self.text.find(wanted[:head])
        else:
            start = max(0, self.text.find(wanted[len(wanted) - tail:]) + tail - len(wanted))
        end = min(len(self.text), start + len(wanted))
        while start > 0 and self.text[start - 1] != " ":  # whole words
            start -= 1
        while end < len(self.text) and self.text[end] != " ":
            end += 1
        return bisect.bisect_right(self.starts, start), self.text[start:end]


def _longest(part: Callable[[int], str], text: str, most: int) -> int:
    """The greatest n <= most for which part(n) occurs in text (if part(n) does, so does part(n - 1))."""
    low, high = 0, most
    while low < high:
        middle = (low + high + 1) // 2
        if part(middle) in text:
            low = middle
        else:
            high = middle - 1
    return low


def source_text(raw: str) -> SourceText:
    """The text of a source made searchable: its paragraphs normalised one by one and joined as the
    whole text would be normalised (a space between them, none next to a dash), so that a match's
    offset tells its paragraph."""
    parts: list[str] = []
    starts: list[int] = []
    length = 0
    for paragraph in _paragraphs(raw):
        text = normalise(paragraph)
        if not text:
            continue
        if parts and not (parts[-1].endswith("-") or text.startswith("-")):
            parts.append(" ")
            length += 1
        starts.append(length)
        parts.append(text)
        length += len(text)
    return SourceText("".join(parts), tuple(starts))


def _paragraphs(raw: str) -> list[str]:
    """Blocks of lines separated by lines that are blank or hold only whitespace."""
    blocks: list[list[str]] = [[]]
    for line in raw.splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return ["\n".join(block) for block in blocks if block]


def short(quote: str, limit: int = SHORT_QUOTE) -> str:
    """The quote on one line, cut to `limit` characters with '...', for a message."""
    text = _SPACES.sub(" ", quote).strip()
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."
