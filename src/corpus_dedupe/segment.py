"""Cut a decoded document into paragraphs, each knowing its source lines and bytes.

Both layouts found in scraped text are handled: paragraphs separated by blank lines, and one
paragraph per line. A line is joined to the next one only when it was evidently hard-wrapped in
mid-sentence (see :func:`ends_mid_sentence`); headings and list items are never joined to their
neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .model import EMPTY, Document, Paragraph, SourceLine
from .codepage import C1_TO_REPLACEMENT, c1_bytes_are_undefined
from .normalise import repair_text
from .reader import encoded_length

_TERMINAL = ".!?:;…\"'”’)]»。！？」』"  # the CJK full stops end a sentence too: "…テストします。" is no heading
_TERMINAL_OR_EMPTY = tuple(_TERMINAL) + ("",)  # what ``text.rstrip()[-1:]`` is when text ends no sentence
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪–—]\s+|\d{1,3}[.)]\s+|\(?[a-z][.)]\s+)")
_LIST_ITEM_STARTS = "-*•·▪–—("
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# A sentence ends inside the line: a full stop, "!" or "?" after a word of two letters or more
# (not an initial, "U.S." or a title such as "Mr."), then a space and a capital.
_SENTENCE_BOUNDARY = re.compile(r"[^\W\d_]{2,}(?<!\bMrs)(?<!\bMr)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bMt)(?<!\bJr)(?<!\bSr)(?<!\bNo)(?<!\bvs)"
                                r"[.!?][\"')\]”’]*\s+[\"'(“‘]?[A-Z]")


def is_list_item(text: str) -> bool:
    """A bulleted or numbered item ("- point", "2. point", "• point").

    >>> is_list_item("- A series of coordinated attacks"), is_list_item("2) second point")
    (True, True)
    >>> is_list_item("-"), is_list_item("2026 was a year")
    (False, False)
    """
    first = text.lstrip()[:1]  # str.lstrip and the pattern's \s strip the same characters
    if not first or not (first in _LIST_ITEM_STARTS or "a" <= first <= "z" or first.isdecimal()):
        return False  # what the pattern's first character must be (its \d is str.isdecimal)
    return bool(_LIST_ITEM.match(text))


def is_heading(text: str) -> bool:
    """A short line that introduces a section rather than saying something: no sentence-final
    punctuation (or a question), at most 14 words.

    >>> is_heading("Pakistan Points Finger After Deadly Attacks"), is_heading("What this might mean")
    (True, True)
    >>> is_heading("Why is Balochistan crucial for Pakistan?")
    True
    >>> is_heading("Security forces responded, killing six militants.")
    False
    >>> is_heading("Nice intensity. Aniseed. Fades a touch"), is_heading("U.S. Steel Strikes Back"), is_heading("Mr. Smith Goes to Washington")
    (False, True, True)
    """
    stripped = text.strip()
    if not stripped or len(stripped) > 120 or is_list_item(stripped):
        return False  # (the length first: a paragraph of prose is not split into words for this)
    words = stripped.split()
    if len(words) > 14 or len(stripped) > 120:
        return False
    if stripped.endswith("?"):
        return True
    if stripped[-1] in _TERMINAL or stripped[-1] == ",":
        return False
    if ("." in stripped or "!" in stripped or "?" in stripped) and _SENTENCE_BOUNDARY.search(stripped):
        return False  # "Nice intensity. Aniseed. Fades a touch": sentences, not a heading
    return bool(_WORD.search(stripped))


def _title_case_share(text: str) -> float:
    words = _WORD.findall(text)
    if not words:
        return 0.0
    return sum(1 for w in words if w[0].isupper()) / len(words)


def ends_mid_sentence(line: str, next_line: str) -> bool:
    """True when ``line`` was cut by a hard wrap and ``next_line`` continues its sentence.

    The motivating cases are a scraper wrapping a long sentence: "... reported Karachi-based" /
    "Geo News." and "... resources and has" / "repeatedly targeted projects ...". The rule: the line
    is prose (six words or more, not mostly capitalised like a headline, not ending in sentence
    punctuation), the next line is not a list item, and either the next line starts in lower case,
    or it is a short tail ending the sentence (five words at most) and the line ends in a lower-case word, a comma or a
    hyphen. A caption ending in a capitalised credit ("File Image/Reuters"), a heading ("What this
    might mean") and a truncated line followed by a new paragraph are not joined.

    >>> ends_mid_sentence("a suicide bomber rammed the gate, reported Karachi-based", "Geo News.")
    True
    >>> ends_mid_sentence("The group has accused Beijing of exploiting resources and has", "repeatedly targeted projects.")
    True
    >>> ends_mid_sentence("A view of a bullet riddled door in Quetta. File Image/Reuters", "Militants targeted police stations.")
    False
    >>> ends_mid_sentence("Coordinated Assaults Across the Whole Province Today", "The attacks were unprecedented.")
    False
    >>> ends_mid_sentence("A bomber rammed the gate, reported Karachi-based", "Security forces responded, killing six militants.")
    False
    >>> ends_mid_sentence("It is possible", "to open NC:BookmarksRoot group bookmark, as the manual says.")
    True
    """
    line = line.rstrip()
    nxt = next_line.lstrip()
    if not line or not nxt or is_list_item(nxt):
        return False
    if line[-1] in _TERMINAL:
        return False
    words = len(line.split())
    if (words <= _CUT_OFF_WORDS and nxt[0].islower() and line[-1].isalnum() and not line.isupper()
            and not (words > 1 and _title_case_share(line) == 1.0)):  # "Many Already Serving" is a heading
        # A break moved into the first words of a sentence ("It is possible" / "to open the
        # bookmark group, ..."): where a link or an inline tag was, scraped text breaks the line.
        # The rest goes on for a few words or ends the sentence ("The council" / "met today."):
        # in a menu one short item follows another ("HomePod" / "iMac" / "iMac Pro" / "iOS 13";
        # "von" / "an" under a German e-mail form).
        return len(nxt.split()) >= _MOVED_BREAK_REST_WORDS or bool(_ENDS_SENTENCE.search(nxt))
    # An upper- or title-cased paragraph wrapped at a width, where no capital can mark a new
    # sentence: a long line, and a next line that is long too or ends the sentence (a short one
    # that does not is a heading: "LABOR AND MANAGEMENT").
    if words < 6:
        return False
    if len(line) > _WRAP_WIDTH and (line.isupper() or _title_case_share(line) > 0.6):
        return False  # a whole capitalised paragraph on its line, not a line of a wrapped one
    if line.isupper():
        return nxt.isupper() and (len(nxt.split()) >= 6 or bool(_ENDS_SENTENCE.search(nxt)))
    share = _title_case_share(line)
    if share > 0.6:
        # "What While We Here In This Chamber Can Make A Difference On"
        return (words >= 8 and share > 0.9 and not nxt.isupper() and _title_case_share(nxt) > 0.9
                and (len(nxt.split()) >= 8 or bool(_ENDS_SENTENCE.search(nxt))))
    if nxt[0].islower():
        return True
    # The next line starts a capitalised word: it continues the sentence only when it is a short
    # tail that ends the sentence ("Geo News."), not a heading ("What happens next"). A long capitalised line after a cut-off one is a new paragraph that
    # follows a truncated copy (seed 003: "... reported Karachi-based" then "Security forces
    # responded, killing six militants ..."); fixed-width wrapping is caught per block instead.
    if len(nxt.split()) > 5 or not _ENDS_SENTENCE.search(nxt):
        return False
    if line[-1] in ",-–":
        return True
    last = re.split(r"[-/]", line.split()[-1])[-1]
    return last.isalpha() and last.islower()


def join_wrapped(lines: list[str]) -> str:
    """Join repaired lines of one paragraph: a space between them, none after a hyphen (the
    hyphen is kept: "well-" + "known" is "well-known"). Shared with ``dedupe verify``, which
    rebuilds paragraphs from source bytes.

    >>> join_wrapped(["reported Karachi-based", "Geo News."]), join_wrapped(["well-", "known"])
    ('reported Karachi-based Geo News.', 'well-known')
    """
    text = ""
    for line in lines:
        if not line:
            continue
        if not text:
            text = line
        elif text.endswith("-"):
            text += line
        else:
            text += " " + line
    return text


@dataclass(slots=True)
class Piece:
    """A line, or part of a line split off by an edge rule, before joining."""

    line: int
    byte_start: int
    byte_end: int
    text: str  # repaired
    reason: str | None = None
    rule: str | None = None
    metadata: dict | None = None


# An edge splitter looks at a raw line (and whether it is the first content line of the document)
# and returns the (start, end, reason, rule, metadata) character spans to split off as their own
# paragraphs. Provided by the boilerplate stage; segmenting works without it.
EdgeSplitter = Callable[[str, bool], list[tuple[int, int, str, str, dict | None]]]


_ASCII_IS_BYTES = frozenset({"utf-8", "utf_8", "utf8"})  # codecs in which an ASCII character is one byte, itself


def _reencodes_exactly(raw: str, codec: str, nbytes: int) -> bool:
    try:
        return encoded_length(raw, codec) == nbytes
    except UnicodeError:
        return False


def _pieces_of_line(doc: Document, line_index: int, first_content: bool, splitter: EdgeSplitter | None) -> list[Piece]:
    line = doc.lines[line_index]
    raw = line.raw
    spans = splitter(raw, first_content) if splitter else []
    if not spans and raw.isascii() and doc.encoding in _ASCII_IS_BYTES:
        # The common case: nothing split off, and every character is one byte (ASCII in UTF-8),
        # so the byte range of the stripped line follows from character counts.
        text = raw.strip()
        if not text:
            return []
        return [_ascii_piece(line, raw, text)]
    return _split_pieces(doc, line, spans)


def _ascii_piece(line: SourceLine, raw: str, text: str) -> Piece:
    """The one piece of an ASCII line of a document in UTF-8 from which nothing is split off,
    ``text`` being the line stripped (not empty): every character is one byte, so the byte range
    of the stripped line follows from character counts."""
    b0 = line.byte_start + len(raw) - len(raw.lstrip())
    return Piece(line.number, b0, b0 + len(text), repair_text(text))


def _split_pieces(doc: Document, line: SourceLine, spans: list) -> list[Piece]:
    """The pieces of one line: the spans an edge splitter found (none: the whole line) and the
    text around them, each with its byte range."""
    raw = line.raw
    c1_undefined = not raw.isascii() and c1_bytes_are_undefined(doc.encoding)
    framed = not (raw[: len(raw) - len(raw.lstrip())] + raw[len(raw.rstrip()) :]).isascii()  # by non-ASCII whitespace
    if (spans or framed) and not _reencodes_exactly(raw, doc.encoding, line.byte_end - line.byte_start):
        # A legacy multi-byte line that does not re-encode to its bytes (a UTF-8 line holding a
        # Windows-1252 byte: one byte read as a character UTF-8 writes in two): never split it.
        # When non-ASCII whitespace frames its text ("\xa0" from that byte, or from UTF-8's two),
        # the bytes of that whitespace are not known: the piece is the whole line, repaired
        # (which strips it), so that its range still holds every byte of its text.
        if framed and raw.strip():
            return [Piece(line.number, line.byte_start, line.byte_end, repair_text(raw.translate(C1_TO_REPLACEMENT) if c1_undefined else raw))]
        spans = []
    pieces: list[Piece] = []
    cursor = 0

    def add(start: int, end: int, reason=None, rule=None, metadata=None) -> None:
        chunk = raw[start:end]
        if not chunk.strip():
            return
        # Trim surrounding whitespace so byte ranges cover text only.
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk) - len(chunk.rstrip())
        start += lead
        end -= trail
        b0 = line.byte_start + encoded_length(raw[:start], doc.encoding)
        if raw[end:].isspace() or end == len(raw):
            # The piece ends the line: its end is the line's, less the whitespace after it. Exact
            # even where the text does not re-encode to its bytes (a line of a utf-8+cp1252 file
            # holding a Windows-1252 letter, one byte read as a character UTF-8 writes in two).
            b1 = line.byte_end - encoded_length(raw[end:], doc.encoding)
        else:
            b1 = b0 + encoded_length(raw[start:end], doc.encoding)
        text = raw[start:end]
        if c1_undefined:
            text = text.translate(C1_TO_REPLACEMENT)
        pieces.append(Piece(line.number, b0, b1, repair_text(text), reason, rule, metadata))

    for start, end, reason, rule, metadata in sorted(spans):
        add(cursor, start)
        add(start, end, reason, rule, metadata)
        cursor = end
    add(cursor, len(raw))
    return pieces


def _wrapped_at_width(line: str, next_line: str) -> bool:
    """A break inside a fixed-width block: the line does not end a sentence and is prose."""
    line = line.rstrip()
    return bool(line) and line[-1] not in _TERMINAL and len(line.split()) >= 4 and not is_list_item(next_line)


def _looks_hard_wrapped(block: list[Piece]) -> bool:
    """A whole blank-line-separated block wrapped at a fixed width (book and e-mail style): three or
    more lines, most line breaks fall in mid-sentence. Then the block is one paragraph even where a
    break happens to fall after a full stop. Its first line may be short when it is cut off the
    sentence the next line goes on with (:func:`_cut_off_first_line`)."""
    if len(block) < 3:
        return False
    # Most blocks of several lines are one paragraph a line, each ending in a full stop: a break
    # counts as mid-sentence only after a line that does not (see _wrapped_at_width), so when
    # such lines are not more than half, the block is not wrapped, whatever the rest would say.
    breaks = len(block) - 1
    if 2 * sum(1 for p in block[:-1] if p.text.rstrip()[-1:] not in _TERMINAL_OR_EMPTY) <= breaks:
        return False
    if any(is_list_item(p.text) for p in block[1:]):
        return False
    wrapped = block[1:-1] if len(block) >= 4 and _cut_off_first_line(block[0].text, block[1].text) else block[:-1]
    lengths = [len(p.text) for p in wrapped]
    if min(lengths) < 0.6 * max(lengths):
        return False  # lines of a fixed-width wrap are of similar length; a page of short lines is not one
    mid = sum(1 for a, b in zip(block, block[1:]) if _wrapped_at_width(a.text, b.text))
    return mid * 2 > breaks


_MOVED_BREAK_REST_WORDS = 4  # the fewest words of the rest of a sentence after a moved break
_CUT_OFF_WORDS = 3  # the most words a moved line break leaves alone on the line before the rest
_WRAP_WIDTH = 100  # the longest line that counts as a line of a paragraph wrapped at a width


def _cut_off_first_line(line: str, next_line: str) -> bool:
    """The first line of a wrapped block is the start of the sentence its next line goes on with,
    cut off by a moved break: at most three words, no sentence-final punctuation, and written as
    the next line is (both upper case, both title case: the case of a copy that was upper- or
    title-cased, where no capital can tell a heading from a sentence's first words; or the next
    line going on in lower case). "THEY CANNOT" over "BE ACHIEVED UNLESS OUR WORKINGMEN AND
    WOMEN AND THEIR UNIONS HELP TO" in an upper-cased copy.

    >>> _cut_off_first_line("THEY CANNOT", "BE ACHIEVED UNLESS OUR WORKINGMEN AND WOMEN AND THEIR UNIONS HELP TO")
    True
    >>> _cut_off_first_line("Introduction", "The report was written over three years by a team of")
    False
    """
    line, nxt = line.strip(), next_line.strip()
    if not line or not nxt or len(line.split()) > _CUT_OFF_WORDS or line[-1] in _TERMINAL or line[-1] == ",":
        return False
    if nxt[0].islower():
        return True
    if line.isupper() and nxt.isupper():
        return True
    return _title_case_share(line) == 1.0 and _title_case_share(nxt) > 0.9 and len(nxt.split()) >= 6


def segment(doc: Document, splitter: EdgeSplitter | None = None) -> list[Paragraph]:
    """Paragraphs of ``doc`` in order. Blank lines separate; within a block each line is its own
    paragraph unless a hard wrap joins it to the next one."""
    blocks: list[list[Piece]] = []
    current: list[Piece] = []
    first_content = True
    ascii_is_bytes = doc.encoding in _ASCII_IS_BYTES
    for line in doc.lines:
        # _pieces_of_line, with its common case (no span split off an ASCII line of a UTF-8
        # document) inline: most lines of most documents, two calls fewer per line.
        raw = line.raw
        text = raw.strip()
        if not text:
            if current:
                blocks.append(current)
                current = []
            continue
        spans = splitter(raw, first_content) if splitter else []
        first_content = False
        if not spans and ascii_is_bytes and raw.isascii():
            current.append(_ascii_piece(line, raw, text))
        else:
            current.extend(_split_pieces(doc, line, spans))
    if current:
        blocks.append(current)

    paragraphs: list[Paragraph] = []

    source = doc.path

    def emit(group: list[Piece]) -> None:
        head, last = group[0], group[-1]
        text = head.text if len(group) == 1 else join_wrapped([piece.text for piece in group])
        reason = head.reason
        if reason is None and not text:
            reason = EMPTY
        # Positional arguments, in Paragraph's field order (source, index, first_line, last_line,
        # byte_start, byte_end, text, reason, rule, metadata, is_heading): one call per line of
        # most documents, where keyword arguments cost a third more.
        paragraphs.append(Paragraph(source, len(paragraphs), head.line, last.line, head.byte_start, last.byte_end, text, reason,
                                    head.rule, head.metadata, reason is None and head.line == last.line and is_heading(text)))

    for block in blocks:
        if len(block) == 1:  # most blocks of blank-line separated text: one line, one piece
            emit(block)
            continue
        joinable = [p.reason is None for p in block]
        if all(joinable) and _looks_hard_wrapped(block):
            emit(block)
            continue
        group = [block[0]]
        for k, (prev, piece, ok_prev, ok) in enumerate(zip(block, block[1:], joinable, joinable[1:]), 1):
            if ok_prev and ok and piece.line != prev.line and (
                    ends_mid_sentence(prev.text, piece.text)
                    or (len(group) == 1 and prev.text.count(" ") < 2 * _CUT_OFF_WORDS and k + 1 < len(block) and joinable[k + 1]
                        and _cut_off_first_line(prev.text, piece.text) and ends_mid_sentence(piece.text, block[k + 1].text))):
                group.append(piece)
            else:
                emit(group)
                group = [piece]
        emit(group)
    return paragraphs
