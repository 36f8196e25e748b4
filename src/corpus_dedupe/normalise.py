"""Repair damaged text and fold it into a match key.

Two different texts come out of here:

* the *clean text* keeps the document's own characters (typographic quotes, dashes, accents) once
  real damage is repaired: mojibake, HTML entities, control characters, undecodable bytes, ragged
  whitespace;
* the *match key* folds away everything that does not make two paragraphs different for a reader:
  case, quote and dash styles, punctuation and whitespace.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import ftfy
from ftfy.badness import BADNESS_RE, is_bad

from .compiled import speedups as _compiled

_FTFY_CONFIG = ftfy.TextFixerConfig(
    uncurl_quotes=False,  # keep the document's typographic quotes
    fix_character_width=False,  # full-width forms are the document's own characters
    normalization="NFC",
    explain=False,
)
_LONE_SURROGATE = re.compile("[\udc80-\udcff]")
# Characters whose presence means ftfy may have something to fix beyond mojibake: HTML entities,
# control characters (C0 and C1), the replacement character, Latin ligatures.
_FTFY_TRIGGER = re.compile("[&\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd\ufb00-\ufb06]")
# For pure ASCII text the trigger can be tighter: there ftfy can only change control characters
# and HTML entities, and it decodes an entity only where its own entity pattern
# (``ftfy.chardata.HTML_ENTITY_RE``: "&#?[0-9A-Za-z]{1,24};") matches. "AT&T" and "Q&A" need no ftfy.
_ASCII_FTFY_TRIGGER = re.compile("[\x00-\x08\x0b-\x1f\x7f]|&#?[0-9A-Za-z]{1,24};")
_NON_ASCII_WORD_CHAR = re.compile(r"[^\W\x00-\x7f]")  # a letter or digit (str.isalnum) outside ASCII
_DECIMAL_DIGIT = re.compile(r"\d")  # str.isdecimal: ASCII digits, and "٣", "３"...

# What text_traits looks for.
LONE_SURROGATE, FTFY_TRIGGER, NON_ASCII_WORD_CHAR, DECIMAL_DIGIT = 1, 2, 4, 8


def _text_traits_python(text: str, wanted: int) -> int:
    """Which of ``wanted`` the text holds: ``LONE_SURROGATE`` (``_LONE_SURROGATE``),
    ``FTFY_TRIGGER`` (``_FTFY_TRIGGER``), ``NON_ASCII_WORD_CHAR`` (``_NON_ASCII_WORD_CHAR``),
    ``DECIMAL_DIGIT`` (``_DECIMAL_DIGIT``, a regex's ``\\d``). The
    reference for the compiled version (one scan instead of one per pattern, at about 6 ns a
    character each), and the fallback where it was not built."""
    found = 0
    if wanted & LONE_SURROGATE and _LONE_SURROGATE.search(text):
        found |= LONE_SURROGATE
    if wanted & FTFY_TRIGGER and _FTFY_TRIGGER.search(text):
        found |= FTFY_TRIGGER
    if wanted & NON_ASCII_WORD_CHAR and _NON_ASCII_WORD_CHAR.search(text):
        found |= NON_ASCII_WORD_CHAR
    if wanted & DECIMAL_DIGIT and _DECIMAL_DIGIT.search(text):
        found |= DECIMAL_DIGIT
    return found


text_traits = _compiled.text_traits if _compiled is not None else _text_traits_python


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_MOJIBAKE_REACH = 10  # no match of ftfy's mojibake pattern is longer than 8 characters
_WHOLE_TEXT_SHARE = 0.2


def looks_like_mojibake(text: str) -> bool:
    """``ftfy.badness.is_bad(text)``, faster on text with few non-ASCII characters.

    Every alternative of ftfy's mojibake pattern (``BADNESS_RE``) holds a non-ASCII character and
    spans at most 8 characters, so a match lies within ``_MOJIBAKE_REACH`` characters of a
    non-ASCII run: only those windows are searched. ``pattern.search(text, pos, endpos)`` keeps
    the pattern's ``^`` anchored at the real start of the text, so the answer is exactly
    ``is_bad``'s (tests/test_fast_paths.py checks it on random text). An English paragraph with two
    typographic dashes is searched over 40 characters instead of 500.

    >>> looks_like_mojibake("A long speech — with a dash — and nothing wrong"), looks_like_mojibake("Pakistanâ€™s claims")
    (False, True)
    """
    if len(text) < 64:
        return is_bad(text)
    if _compiled is not None:
        non_ascii, windows = _compiled.mojibake_windows(text, _MOJIBAKE_REACH, _LONE_MOJIBAKE_TEXT)
    else:
        non_ascii, windows = _mojibake_windows_python(text, _MOJIBAKE_REACH, _LONE_MOJIBAKE)
    if non_ascii > _WHOLE_TEXT_SHARE * len(text):  # a text in another script: one search is cheaper
        return is_bad(text)
    search = BADNESS_RE.search
    return any(search(text, lo, hi) for lo, hi in windows)


def _mojibake_windows_python(text: str, reach: int, lone: frozenset[str] | None) -> tuple[int, list[tuple[int, int]]]:
    """The number of non-ASCII characters of ``text`` and the stretches where ftfy's mojibake
    pattern may match: each run of non-ASCII characters with ``reach`` characters on either side,
    overlapping stretches merged, kept when it holds two non-ASCII characters or one of ``lone``
    (None: all kept; see :func:`_lone_mojibake_characters`). The reference for the compiled
    version (which spares the Python loop over the runs: 5% of pass 1 on text with curly
    quotes), and the fallback where it was not built."""
    windows: list[list] = []  # [start, end, whether a match is possible there]
    non_ascii = 0
    for m in _NON_ASCII.finditer(text):
        start, end = m.span()
        lo, hi = max(0, start - reach), end + reach
        non_ascii += end - start
        possible = lone is None or end - start > 1 or text[start] in lone
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
            windows[-1][2] = True  # two non-ASCII characters close together
        else:
            windows.append([lo, hi, possible])
    return non_ascii, [(lo, hi) for lo, hi, possible in windows if possible]


def _lone_mojibake_characters(pattern: re.Pattern) -> frozenset[str] | None:
    """The characters that a match of ftfy's mojibake pattern may hold as its only non-ASCII
    character, or None when the pattern is not shaped as this expects.

    Most of the pattern's alternatives need two non-ASCII characters side by side ("â€", "Ã©",
    "[bad][bad]"); a few need one of a handful ("Œ" before a non-letter, "Ã " after a letter, a C1
    control). English text with curly quotes and dashes has its non-ASCII characters one by one,
    none of them in that handful, and so cannot match: :func:`looks_like_mojibake` searches only
    the stretches with two non-ASCII characters close together or one of these (paragraphs of the
    20 MB benchmark corpus with curly quotes put in: 12.8 -> 7.3 µs). Worked out from the pattern itself (the
    alternatives of its top-level branch, counting the items that match only non-ASCII
    characters), so that another ftfy version gets the right answer or None (every stretch is
    searched)."""
    try:
        from re import _constants as C, _parser as P

        tree = P.parse(pattern.pattern, pattern.flags)
        if len(tree.data) != 1 or tree.data[0][0] is not C.BRANCH:
            return None
        lone: set[int] = set()
        for alternative in tree.data[0][1][1]:
            required: list[set[int]] = []  # items that match a non-ASCII character only
            for op, av in alternative.data:
                if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1 and len(av[2].data) == 1:
                    op, av = av[2].data[0]
                chars = _characters_of(op, av, C)
                if chars is not None and min(chars, default=0) >= 0x80:
                    required.append(chars)
            if not required:
                return None  # an alternative that may match with no non-ASCII character at all
            if len(required) == 1:
                lone |= required[0]
        return frozenset(map(chr, lone))
    except Exception:  # another Python's regular-expression internals: no shortcut
        return None


def _characters_of(op, av, C) -> set[int] | None:
    """The code points an item of a parsed pattern matches: a literal or a class of literals and
    ranges; None for anything else (a negated class, a category, a group...)."""
    if op is C.LITERAL:
        return {av}
    if op is not C.IN:
        return None
    chars: set[int] = set()
    for kind, value in av:
        if kind is C.LITERAL:
            chars.add(value)
        elif kind is C.RANGE:
            chars.update(range(value[0], value[1] + 1))
        else:
            return None
    return chars


_LONE_MOJIBAKE = _lone_mojibake_characters(BADNESS_RE)
_LONE_MOJIBAKE_TEXT = None if _LONE_MOJIBAKE is None else "".join(sorted(_LONE_MOJIBAKE))  # for the compiled version


_WINDOW_REACH = 24  # characters of context kept on either side of a non-ASCII run
_WINDOWED_MIN_CHARS = 160  # shorter text is fixed whole: ftfy's cost per call dominates there
_WHOLE_TEXT_FIX = re.compile("[&<\x00-\x08\x0a-\x1f\x7f]")  # ASCII that ftfy may change or that changes ftfy
_WINDOW_SEPARATOR = " ~|~ "  # plain ASCII, which ftfy leaves alone


def _ftfy_fix(text: str) -> str:
    """``ftfy.fix_text`` with this module's configuration; text up to ``_CACHED_LINE_CHARS``
    through a cache of the process's last 8,192 (a few megabytes at most). The same damaged
    stretch recurs wherever a story was copied with its broken encoding: of the 17,124 stretches
    ftfy repaired in the 200 MB benchmark corpus, 10,448 were distinct, and a worker that sees
    half the corpus repairs about a third of its stretches once more (ftfy takes about 85 µs a
    call)."""
    if len(text) <= _CACHED_LINE_CHARS:
        return _ftfy_fix_cached(text)
    return ftfy.fix_text(text, _FTFY_CONFIG)


_ftfy_fix_cached = functools.lru_cache(maxsize=8192)(functools.partial(ftfy.fix_text, config=_FTFY_CONFIG))


def fix_text_near_non_ascii(text: str) -> str:
    """``ftfy.fix_text(text)``, with the ASCII stretches far from any non-ASCII character left out
    of what ftfy reads.

    ftfy reads the whole text many times (its mojibake detector before and after each decoding it
    tries, then each of its other fixes, then everything again until nothing changes): 650 µs for
    a 500-character speech paragraph with one garbled quote (``â€œstreetâ€\x9d``). Everything it
    repairs in text without HTML entities or control characters involves a non-ASCII character
    (mojibake, ligatures, C1 controls, the non-breaking space of ``restore_byte_a0``) and is
    recognised by patterns that reach a few characters around it; ASCII itself is the same in
    every encoding ftfy tries. So ftfy gets the *windows* (each non-ASCII run with at least
    ``_WINDOW_REACH`` characters on either side, cut at spaces), joined by an ASCII separator in
    one text: it still sees all the evidence at once (a lone ``Ã `` is repaired when the paragraph
    holds other mojibake, as in the whole text) and reads 40 characters instead of 500. The
    repaired windows are put back between the untouched ASCII stretches.

    The whole text goes to ftfy when it is short or mostly non-ASCII (nothing to save), holds
    ``&``, ``<`` (which switches ftfy's entity decoding off), a control character or a line break
    (ftfy fixes lines separately), holds the separator, or when the separator does not come back
    intact. tests/test_fast_paths.py compares this with ``ftfy.fix_text`` on generated text.

    >>> fix_text_near_non_ascii("In reality the future depends on it. " * 5 + "the Islamic â€œstreetâ€\x9d said")[-21:]
    'Islamic “street” said'
    """
    n = len(text)
    if n < _WINDOWED_MIN_CHARS or n > _FTFY_CONFIG.max_decode_length or _WHOLE_TEXT_FIX.search(text) or _WINDOW_SEPARATOR in text:
        return _ftfy_fix(text)
    windows: list[list[int]] = []
    covered = 0
    for m in _NON_ASCII.finditer(text):
        lo = text.rfind(" ", 0, max(0, m.start() - _WINDOW_REACH)) + 1  # 0 when there is no space before
        hi = text.find(" ", m.end() + _WINDOW_REACH)
        if hi < 0:
            hi = n
        if windows and lo <= windows[-1][1]:
            covered += hi - windows[-1][1]
            windows[-1][1] = hi
        else:
            covered += hi - lo
            windows.append([lo, hi])
    if not windows:  # ASCII without entities or control characters: nothing for ftfy
        return text
    if covered * 2 > n:
        return _ftfy_fix(text)
    fixed = _ftfy_fix(_WINDOW_SEPARATOR.join(text[lo:hi] for lo, hi in windows)).split(_WINDOW_SEPARATOR)
    if len(fixed) != len(windows):
        return _ftfy_fix(text)
    pieces = []
    pos = 0
    for (lo, hi), repaired in zip(windows, fixed):
        pieces.append(text[pos:lo])
        pieces.append(repaired)
        pos = hi
    pieces.append(text[pos:])
    return "".join(pieces)


def repair_text(raw: str) -> str:
    """Repair one line (or piece of a line) of decoded text.

    Undecodable bytes (kept by the reader as lone surrogates) become U+FFFD; mojibake and entities
    are repaired by ftfy; the text is NFC-normalised; whitespace runs collapse to one space and the
    ends are stripped.

    >>> repair_text("  Pakistanâ€™s   claims\\t were  â€œbaselessâ€\x9d ")
    'Pakistan’s claims were “baseless”'
    >>> repair_text("caf\\u0065\\u0301 &amp; bar")
    'café & bar'
    """
    if _ascii_line_is_clean(raw):  # most lines: _repair_once would return them as they are
        return raw
    text = _repair_once(raw)
    # Repaired text is repaired again until it no longer changes (ftfy itself works that way):
    # removing a character can expose mojibake that was not recognisable before ("\xa0ßØ" is left
    # alone, "ßØ" is the UTF-8 of "ߨ" read as Latin-1), and a repaired paragraph that is
    # repaired again must come out the same. Three rounds are plenty; most lines need none.
    for _ in range(3):
        if text == raw:
            break
        raw, text = text, _repair_once(text)
    return text


def _repair_once(raw: str) -> str:
    text = raw
    if _ascii_line_is_clean(text):  # most lines: ASCII with nothing to repair or collapse
        return text
    if not text.isascii():
        if len(text) <= _CACHED_LINE_CHARS:
            text = _repair_non_ascii_cached(text)
        else:
            text = _repair_non_ascii(text)
    elif "&" not in text and text.isprintable():
        # The common line: ASCII holds something for ftfy only where it holds "&" or a character
        # that is not printable (a control character, tab or line break).
        return _collapse_printable(text)
    elif _ASCII_FTFY_TRIGGER.search(text):
        text = _ftfy_fix(text)
    return collapse_whitespace(text)


def _ascii_line_is_clean_python(text: str) -> bool:
    """Whether ``text`` is ASCII that :func:`_repair_once` returns as it is: no "&", nothing
    ``str.isprintable`` refuses, no two spaces in a row, no space at either end. The reference
    for the compiled check (one scan instead of four), and the fallback where it was not built."""
    return text.isascii() and "&" not in text and text.isprintable() and _collapse_printable(text) is text


def collapse_whitespace(text: str) -> str:
    """``" ".join(text.split())``: whitespace runs become one space, the ends are stripped.

    Most lines need no change, and that is checked without splitting them: every whitespace
    character but the space is unprintable (for ``str.isprintable`` and ``str.isspace``), so a
    printable text without a double space and without a space at either end is already collapsed.

    >>> collapse_whitespace(" a\u00a0 b\tc "), collapse_whitespace("a b")
    ('a b c', 'a b')
    """
    return _collapse_printable(text) if text.isprintable() else " ".join(text.split())


def _collapse_printable(text: str) -> str:
    """:func:`collapse_whitespace` for text known to be printable."""
    if "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


_ascii_line_is_clean = _compiled.ascii_line_is_clean if _compiled is not None else _ascii_line_is_clean_python


def _repair_non_ascii(text: str) -> str:
    """Repair a line that is not ASCII: undecodable bytes (lone surrogates) become U+FFFD, and ftfy
    runs only where the text can hold damage it repairs: a character of ``_FTFY_TRIGGER``
    (entities, control characters, U+FFFD, ligatures) or what ftfy's own mojibake detector flags
    (:func:`looks_like_mojibake`); other text is only NFC-normalised.

    >>> _repair_non_ascii("Pakistanâ€™s allegations"), _repair_non_ascii("Pakistan’s allegations")
    ('Pakistan’s allegations', 'Pakistan’s allegations')
    """
    traits = text_traits(text, LONE_SURROGATE | FTFY_TRIGGER)
    if traits & LONE_SURROGATE:
        text = _LONE_SURROGATE.sub("\ufffd", text)
        traits |= FTFY_TRIGGER  # U+FFFD is one
    if traits & FTFY_TRIGGER or looks_like_mojibake(text):
        text = fix_text_near_non_ascii(text)
    elif not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


# Repairing a non-ASCII line (ftfy's detector, often ftfy itself) costs far more than looking it up:
# the lines that recur in a corpus (the same template line or copied article in many documents)
# are repaired once per process. Only lines up to _CACHED_LINE_CHARS are kept, so the cache holds a
# few megabytes at most.
_CACHED_LINE_CHARS = 2000
_repair_non_ascii_cached = functools.lru_cache(maxsize=1024)(_repair_non_ascii)


_KEY_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_KEY_FOLD_PAIRS = tuple((chr(code), char) for code, char in _KEY_FOLD.items())
_NON_WORD = re.compile(r"[\W_]+")
_ASCII_KEY_TABLE = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32 for c in range(256)
)  # ASCII fast path: letters lower-cased, digits kept, everything else a space
# "1,450" and "4.5" stay one number: a "." or "," between two digits goes. Written to start with
# the character class (the lookbehind comes after it) so that the regex engine can skip ahead to
# the next "." or "," instead of trying the lookbehind at every position; it finds the same matches
# as "(?<=\d)[.,](?=\d)".
_DIGIT_GROUP = re.compile(r"[.,](?<=\d[.,])(?=\d)")
_DIGIT_SHAPE = bytes(48 if 48 <= c <= 57 else 46 if c in (44, 46) else 32 for c in range(256))  # digit "0", separator ".", other " "


def _join_digit_groups(data: bytes) -> bytes:
    """``_DIGIT_GROUP`` on ASCII bytes: every "." or "," between two digits removed. Found as the
    occurrences of ``b"0.0"`` in the data's shape (one table lookup a byte, then a substring
    search), so that text with few digit groups is not scanned by the regex engine at every "."
    and ",". After a separator at ``i``, the next can be no nearer than ``i + 2``."""
    shape = data.translate(_DIGIT_SHAPE)
    at = shape.find(b"0.0")
    if at < 0:
        return data
    cuts = []
    while at >= 0:
        cuts.append(at + 1)
        at = shape.find(b"0.0", at + 2)
    starts = [0] + [cut + 1 for cut in cuts]
    return b"".join(data[a:b] for a, b in zip(starts, cuts + [len(data)]))


def _fold_quotes_and_dashes(text: str) -> str:
    """Typographic quotes and dashes folded to ASCII (what NFKC and casefold would not do): they
    are what makes most lines of English non-ASCII, and a folded line takes the ASCII path of the
    match key. str.replace for the few that occur, far cheaper than str.translate with a dict."""
    for char, folded_char in _KEY_FOLD_PAIRS:
        if char in text:
            text = text.replace(char, folded_char)
    return text


def match_key(text: str) -> str:
    """Fold ``text`` into the key used for matching: NFKC, case-folded, punctuation and whitespace
    removed (words separated by one space).

    >>> match_key("Pakistan’s  “India-backed” claims — BASELESS!")
    'pakistan s india backed claims baseless'
    >>> match_key("Pakistan's \\"India–backed\\" claims - baseless")
    'pakistan s india backed claims baseless'
    >>> match_key("Killed 1,450 militants, 4.5% of them")
    'killed 1450 militants 45 of them'
    """
    if not text.isascii():
        text = _fold_quotes_and_dashes(text)
    if text.isascii():
        # As bytes: digit groups joined and the table (what NFKC and casefold do to ASCII, and
        # punctuation made spaces) instead of the regexes below.
        if _compiled is not None:
            return _compiled.ascii_keys(text.encode("ascii"), _ASCII_KEY_TABLE).decode("ascii")
        data = _join_digit_groups(text.encode("ascii")).translate(_ASCII_KEY_TABLE)
        return " ".join(data.decode("ascii").split())
    text = _DIGIT_GROUP.sub("", text)
    folded = unicodedata.normalize("NFKC", text).casefold()  # quotes and dashes already folded
    return " ".join(_NON_WORD.sub(" ", folded).split())


_ASCII_KEYS_TABLE = _ASCII_KEY_TABLE[:10] + b"\n" + _ASCII_KEY_TABLE[11:]  # the same, line feeds kept


def match_keys(texts: list[str]) -> list[str]:
    """``[match_key(t) for t in texts]``, with the ASCII texts (most of a document) folded together.

    Per paragraph, :func:`match_key` costs several calls (encode, the digit groups, the table, the
    space runs, decode), each with its fixed cost; for a batch the ASCII texts are
    joined by line feeds (no text that holds one takes this path) and the digit groups and the
    table run once over all of them. Nothing crosses a line feed: the digit-group pattern needs a
    digit on both sides of the separator and the table keeps line feeds. Measured with
    callgrind on every 10th file of the 20 MB benchmark corpus: the per-document stages went from
    2,216 to 2,176 million instructions.

    >>> match_keys(["Killed 1,450 militants.", "", "Pakistan’s “India-backed” claims", "4.5 % of\tthem!"])
    ['killed 1450 militants', '', 'pakistan s india backed claims', '45 of them']
    """
    return [key.decode("utf-8") for key in match_keys_utf8(texts)]


def match_keys_utf8(texts: list[str]) -> list[bytes]:
    """``[match_key(t).encode("utf-8") for t in texts]``: the keys as the fingerprints and the
    key store take them (what :func:`match_keys` decodes). The ASCII texts' keys are cut from the
    folded batch as bytes, never made strings (pass 1 had decoded the batch, split it into
    strings and encoded each key back).

    >>> match_keys_utf8(["Killed 1,450 militants.", "Café “au lait”"])
    [b'killed 1450 militants', b'caf\\xc3\\xa9 au lait']
    """
    keys: list[bytes] = [b""] * len(texts)
    batch_at: list[int] = []
    batch: list[str] = []
    for at, text in enumerate(texts):
        if not text.isascii():
            text = _fold_quotes_and_dashes(text)
        if text.isascii() and "\n" not in text:
            batch_at.append(at)
            batch.append(text)
        else:
            keys[at] = match_key(text).encode("utf-8")
    if batch:
        data = "\n".join(batch).encode("ascii")
        if _compiled is not None:  # the three steps below in one pass
            lines = _compiled.ascii_keys(data, _ASCII_KEYS_TABLE).split(b"\n")
        else:
            # Digit groups joined and the table applied, each line is letters, digits and
            # spaces: its space runs collapsed and its ends stripped by split and join.
            data = _join_digit_groups(data).translate(_ASCII_KEYS_TABLE)
            lines = list(map(b" ".join, map(bytes.split, data.split(b"\n"))))
        for at, key in zip(batch_at, lines):
            keys[at] = key
    return keys


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> list[str]:
    """The number tokens of ``text`` (separators removed), for the variant guard.

    >>> numbers_in("killed 1,450 militants on 2 February")
    ['1450', '2']
    """
    return [re.sub(r"[.,]", "", m) for m in _NUMBER.findall(text)]
