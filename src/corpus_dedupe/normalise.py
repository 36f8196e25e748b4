"""Repair damaged text and fold it into a match key.

Two different texts come out of here:

* the *clean text* keeps the document's own characters (typographic quotes, dashes, accents) once
  real damage is repaired: mojibake, HTML entities, control characters, undecodable bytes, ragged
  whitespace;
* the *match key* folds away everything that does not make two paragraphs different for a reader:
  case, quote and dash styles, punctuation and whitespace.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy.badness import is_bad

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


def _may_need_ftfy(text: str) -> bool:
    """Cheap precheck so that ftfy runs only on text that can hold damage it repairs.

    Pure ASCII without ``&`` or control characters cannot hold mojibake or entities. Non-ASCII text
    is checked with ftfy's own mojibake detector (``is_bad``) which is a single regular expression.

    >>> _may_need_ftfy("Plain ASCII text.")
    False
    >>> _may_need_ftfy("Pakistanâ€™s allegations")
    True
    >>> _may_need_ftfy("Pakistan’s allegations")
    False
    """
    if _FTFY_TRIGGER.search(text):
        return True
    if text.isascii():
        return False
    return is_bad(text)


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
    text = raw
    if not text.isascii():
        if _LONE_SURROGATE.search(text):
            text = _LONE_SURROGATE.sub("\ufffd", text)
        if _may_need_ftfy(text):
            text = ftfy.fix_text(text, _FTFY_CONFIG)
        elif not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
    elif _FTFY_TRIGGER.search(text):
        text = ftfy.fix_text(text, _FTFY_CONFIG)
    return " ".join(text.split())


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
_NON_WORD = re.compile(r"[\W_]+")
_ASCII_KEY_TABLE = bytes(
    (c + 32 if 65 <= c <= 90 else c) if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122) else 32 for c in range(256)
)  # ASCII fast path: letters lower-cased, digits kept, everything else a space
_DIGIT_GROUP = re.compile(r"(?<=\d)[.,](?=\d)")  # "1,450" and "4.5" stay one number


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
    text = _DIGIT_GROUP.sub("", text)
    if text.isascii():
        return " ".join(text.encode("ascii").translate(_ASCII_KEY_TABLE).decode("ascii").split())
    folded = unicodedata.normalize("NFKC", text.translate(_KEY_FOLD)).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> list[str]:
    """The number tokens of ``text`` (separators removed), for the variant guard.

    >>> numbers_in("killed 1,450 militants on 2 February")
    ['1450', '2']
    """
    return [re.sub(r"[.,]", "", m) for m in _NUMBER.findall(text)]
