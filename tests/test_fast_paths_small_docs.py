"""The prechecks and shortcuts added for documents of a few lines (rows of a JSONL file) give the
results of the code they shortcut: a precheck is false only where the rule's pattern cannot match,
and the inline paths of segmenting give the paragraphs of the general ones."""

from __future__ import annotations

import re

from hypothesis import example, given, settings, strategies as st

from corpus_dedupe import boilerplate, normalise, segment
from corpus_dedupe.boilerplate import BUILTIN_RULES, _contains_folded_python, _holds_digit, _may_be_byline
from corpus_dedupe.model import Document, SourceLine

_RULES = {rule.id: rule for rule in BUILTIN_RULES}
_DATELINE = _RULES["metadata.dateline"]
_BYLINE = _RULES["metadata.byline"]

# Pieces of datelines, bylines and prose, run together in any order: texts that do and do not
# match the two rules, and texts that pass a precheck and still do not match.
_PIECES = [
    "Published", "Updated:", "posted on", "Date", "1", "12", "2026", "2026-02-02", "10:15", "IST", "February", "Feb",
    "März", "4.", "de", "octubre", "Tuesday,", "at", "pm", "12.03.2025", "3/4/26", "٢٠٢٦", "３", ",", " ", "  ", "\t",
    "By", "by", "Author", "Author :", "Von", "Par", "Texto:", "Jane", "Doe", "Jane Doe", "and", "of", "de", "Łukasz",
    "Ørsted", "Web Desk", "Desk", "News Service", "Express", "Bureau", "Correspondent", "Staff Writer", "writer",
    "Tonight", "America", "is", "stronger", "the", "we", "K", "\u212a", "İ", "ſ", ".", "!", "?", "’", "-", "–", "\n",
]
texts = st.lists(st.sampled_from(_PIECES), max_size=12).map(" ".join) | st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


def _match_without_precheck(rule, text):
    m = rule.compiled.fullmatch(text)
    if m is None or (rule.check is not None and not rule.check(m)):
        return None
    return m


@given(st.text(max_size=40) | texts)
@example("٢٠٢٦")
@example("Published on Monday")
def test_holds_digit_is_a_regex_digit(text):
    assert _holds_digit(text) == bool(re.search(r"\d", text))
    assert bool(normalise._text_traits_python(text, normalise.DECIMAL_DIGIT)) == bool(re.search(r"\d", text))


@given(texts)
@settings(max_examples=1500)
@example("Published 1 February 2026")
@example("Updated: Feb 2, 2026 10:15 IST")
@example("2026-02-02")
@example("Published on Monday")
@example("By Jane Doe")
@example("Author : NewsGram Desk")
@example("Express News Service ")
@example("Tonight America is stronger.")
@example("Jane Doe, Staff Writer")
@example("te\u212ast: Jane Doe")  # the Kelvin sign is a "k" to a case-insensitive pattern
def test_start_rule_prechecks_are_exact(text):
    """The dateline and byline rules decide every text as their patterns alone do: where a
    precheck says no, the pattern does not match either."""
    for rule in (_DATELINE, _BYLINE):
        expected = _match_without_precheck(rule, text)
        got = rule.match(text)
        assert (got and (got.span(), got.groupdict())) == (expected and (expected.span(), expected.groupdict()))
        if expected is not None:
            assert rule.precheck(text)


def test_start_rule_prechecks_skip_prose():
    prose = "Tonight America is stronger because of the values that we hold dear. The causes of homelessness are many."
    assert not _holds_digit(prose) and not _may_be_byline(prose)
    assert _holds_digit("Published 1 February 2026") and _may_be_byline("By Jane Doe") and _may_be_byline("Express News Service")


_NEEDLE_SETS = [("image", "photo", "pic"), ("©", "(c)", "copyright"), ("x",), ("", "zz"), ("σ", "ab"), ("İ",), ("k", "ſ"),
                ("rights reserved",), ("aé",), ("AB", "ab"), ("photo",), ("pic", "image")]


@given(st.text(alphabet=st.sampled_from(list("abcimgpxzé©()σΣİ\u212aſkKABo hR")), max_size=30), st.data())
@settings(max_examples=600)
def test_contains_folded_with_kept_tables(text, data):
    """The compiled scan keeps the tables of the last eight needle tuples: more tuples than that,
    asked in any order, still give Python's answer."""
    needles = data.draw(st.sampled_from(_NEEDLE_SETS))
    assert boilerplate.contains_folded(text, needles) == _contains_folded_python(text, needles)


def _repair_text_general(raw: str) -> str:
    """repair_text as written before its shortcut for clean ASCII lines."""
    text = normalise._repair_once(raw)
    for _ in range(3):
        if text == raw:
            break
        raw, text = text, normalise._repair_once(text)
    return text


@given(st.text(alphabet=st.sampled_from(list("ab .&;#\t\x0b\x1cé’")), max_size=30) | st.text(max_size=20))
@example("AT&T")
@example("a  b")
@example(" a")
def test_repair_text_shortcut(raw):
    assert normalise.repair_text(raw) == _repair_text_general(raw)


_LINE_WORDS = st.sampled_from(["The", "cat", "sat", "on", "the", "mat", "It is possible", "to open", "THEY CANNOT", "BE",
                               "date 2026-02-02", "Photo: AP", "X", "- item", "2.", ".", ",", ";", "?", "-", "Geo News.",
                               "Many Already Serving", "   ", ""])
_LINES = st.lists(st.lists(_LINE_WORDS, max_size=12).map(" ".join), max_size=8)


@given(_LINES)
@settings(max_examples=500)
@example(["He met the mayor in the town hall.", "They talked about the bridge and the", "ferry that runs at dawn.", "The end."])
@example(["It is possible", "to open the bookmark group, as the manual says.", ""])
def test_segment_inline_line_path_matches_general(lines):
    """segment takes an ASCII line of a UTF-8 document inline when nothing is split off it; the
    "ascii" codec, for which it never does, takes the general path (_split_pieces) for every
    line. Both encode ASCII text alike, so the paragraphs must be the same."""
    data = "\n".join(lines)
    source_lines, pos = [], 0
    for number, raw in enumerate(data.split("\n"), 1):
        source_lines.append(SourceLine(number, raw, pos, pos + len(raw)))
        pos += len(raw) + 1
    fast = segment.segment(Document("d", pos, "", "utf-8", source_lines), boilerplate.split_line_edges)
    general = segment.segment(Document("d", pos, "", "ascii", source_lines), boilerplate.split_line_edges)
    assert fast == general


def _looks_hard_wrapped_general(block) -> bool:
    """segment._looks_hard_wrapped as written before its early exit."""
    if len(block) < 3 or any(segment.is_list_item(p.text) for p in block[1:]):
        return False
    wrapped = block[1:-1] if len(block) >= 4 and segment._cut_off_first_line(block[0].text, block[1].text) else block[:-1]
    lengths = [len(p.text) for p in wrapped]
    if min(lengths) < 0.6 * max(lengths):
        return False
    breaks = len(block) - 1
    mid = sum(1 for a, b in zip(block, block[1:]) if segment._wrapped_at_width(a.text, b.text))
    return mid * 2 > breaks


@given(_LINES)
@settings(max_examples=500)
@example(["the cat sat on the mat and the", "dog ran in the yard with the", "bird that sang all day long.", "The end."])
def test_hard_wrap_early_exit(lines):
    block = [segment.Piece(n, 0, 0, text) for n, text in enumerate(lines, 1)]
    assert segment._looks_hard_wrapped(block) == _looks_hard_wrapped_general(block)
