"""Finding evidence quotes in a source's text (study/quotes.py): normalisation, matching, paragraphs."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenmatrix.study.quotes import normalise, short, source_text

ARTICLE = """\
A Shared Hostility


1. Space cooperation: Iran revealed that it had signed \u201can agreement to transfer space
technology\u201d with Russia \u2014 a first.
   \t
5. Long-term strategic agreement: Raisi announced a \u201c20\u2011year agreement with Russia,\u201d
which includes economic aspects.

It\u2019s the Kremlin\u2019s   view.
"""


@pytest.mark.parametrize("text, expected", [
    ("  a \t\n\n b  ", "a b"),
    ("\u201cQuoted\u201d and \u2018single\u2019", "\"quoted\" and 'single'"),
    ("20\u2013year \u2014 long \u2011 run\u2212x", "20-year-long-run-x"),
    ("well - known", "well-known"),
    ("STRASSE Stra\u00dfe", "strasse strasse"),  # casefold, not lower
    ("a\u00a0b", "a b"),  # a no-break space is a space
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize("quote, paragraph", [
    ("A Shared Hostility", 1),
    ("an agreement to transfer space technology", 2),  # across a line break, inside curly quotes
    ('"an agreement to transfer space technology"', 2),  # straight quotes for curly ones
    ("AN AGREEMENT  to transfer\nspace technology", 2),
    ("with Russia - a first", 2),  # a hyphen with spaces for an em dash without
    ("20-year agreement with Russia", 3),  # a hyphen for a non-breaking hyphen
    ("20\u2014year agreement", 3),
    ("a first. 5. Long-term", 2),  # runs on into the next paragraph: where it starts
    ("it's the kremlin's view.", 4),
])
def test_a_quote_is_found_in_its_paragraph(quote: str, paragraph: int) -> None:
    text = source_text(ARTICLE)
    assert text.paragraphs == 4  # blank lines and a line of only spaces and a tab separate paragraphs
    assert text.paragraph_of(quote) == paragraph


@pytest.mark.parametrize("quote", [
    "an agreement to transfer space techniques",  # a word changed
    "an agreement to transfer spacetechnology",  # a space is not nothing
    "30-year agreement with Russia",
    "Iran has signed",
])
def test_a_changed_quote_is_not_found(quote: str) -> None:
    assert source_text(ARTICLE).paragraph_of(quote) is None


def test_an_empty_source_has_no_quote() -> None:
    assert source_text("").paragraph_of("anything") is None
    assert source_text(" \n\n \n").paragraphs == 0


def test_line_breaks_of_any_kind_separate_paragraphs() -> None:
    text = source_text("one\r\n\r\ntwo\rstill two\r\rthree\u2029\u2029four")
    assert [text.paragraph_of(q) for q in ("one", "two still two", "three", "four")] == [1, 2, 3, 4]


def test_short_cuts_a_long_quote_on_one_line() -> None:
    assert short("a\n  b") == "a b"
    cut = short("word " * 40)
    assert len(cut) <= 60 and cut.endswith("...")


# --- properties -------------------------------------------------------------------------------------------

WHITESPACE = [" ", "  ", "\n", "\n\n", "\t", " \n \n", "\u00a0", "\r\n"]
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212"]
QUOTES = {"'": ["'", "\u2018", "\u2019"], '"': ['"', "\u201c", "\u201d"]}
# Text with words, dashes (spaced and not), quote marks, several kinds of whitespace and paragraph breaks.
WORDS = st.sampled_from(["Moscow", "Tehran", "drone", "S-300", "ß", "İstanbul", "x", "20", "it's", "\"so\"", "a",
                         "—", "–", "-", " - ", "\u2019", "\u201c", ".", ","])
TEXTS = st.lists(st.tuples(WORDS, st.sampled_from(WHITESPACE + [""])), max_size=40).map(
    lambda parts: "".join(word + space for word, space in parts))


def respelled(text: str, draw) -> str:
    """The text as an analyst might retype it: other whitespace, other dashes, other quote marks, other case."""
    text = re.sub(r"\s+", lambda m: draw(st.sampled_from(WHITESPACE)), text)
    text = re.sub("[-\u2010-\u2015\u2212]", lambda m: draw(st.sampled_from(DASHES)), text)
    text = re.sub("['\u2018\u2019]", lambda m: draw(st.sampled_from(QUOTES["'"])), text)
    text = re.sub('["\u201c\u201d]', lambda m: draw(st.sampled_from(QUOTES['"'])), text)
    return draw(st.sampled_from([text, text.upper(), text.lower(), text.swapcase()])) if text.isascii() else text


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.data())
def test_any_piece_of_a_text_respelled_is_found(text: str, data) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    piece = text[start:end]
    found = source_text(text).paragraph_of(respelled(piece, data.draw))
    if normalise(piece):
        assert found is not None, (text, piece)
        assert 1 <= found <= source_text(text).paragraphs


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_paragraphs_joined_are_the_whole_text_normalised(text: str) -> None:
    """So that the offset of a match tells its paragraph, the joined paragraphs must be the normalised text."""
    assert source_text(text).text == normalise(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["alpha", "beta gamma", "delta-epsilon", "zeta"]), min_size=1, max_size=8))
def test_the_paragraph_of_a_quote_is_where_it_first_occurs(paragraphs: list[str]) -> None:
    numbered = [f"p{i} {words}" for i, words in enumerate(paragraphs, 1)]
    text = source_text("\n\n".join(numbered))
    for i, paragraph in enumerate(numbered, 1):
        assert text.paragraph_of(paragraph) == i
        words = paragraphs[i - 1]
        assert text.paragraph_of(words) == 1 + next(j for j, p in enumerate(paragraphs) if words in p)


@pytest.mark.parametrize("quote, paragraph, passage", [
    ("an agreement to transfer space techniques", 2, '"an agreement to transfer space technology"'),  # its end changed
    ("the agreement to transfer space technology", 2, '"an agreement to transfer space technology"'),  # its start
    ("a 30-year agreement with Russia", 3, 'a "20-year agreement with russia,"'),
])
def test_a_misquote_leads_to_the_passage_nearest_it(quote: str, paragraph: int, passage: str) -> None:
    text = source_text(ARTICLE)
    assert text.paragraph_of(quote) is None
    assert text.nearest(quote) == (paragraph, passage)


@pytest.mark.parametrize("quote", ["a banana split", "Shared", "space cooperation was a failure of everything"])
def test_a_quote_far_from_any_passage_leads_nowhere(quote: str) -> None:
    assert source_text(ARTICLE).nearest(quote) is None
