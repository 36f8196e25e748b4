"""Choose the code page of a file that is not UTF-8, by what each reading of it reads as.

A wrong decode is the worst damage a cleaner can do: every accented letter of the output changes
while the run reports success. Guessing from byte statistics alone (charset-normalizer's first
choice, chardet) goes wrong on real files in two ways. A mostly-ASCII file with a handful of
non-ASCII bytes gives too little evidence, and a score that a few letters can tip picks a DOS
code page for a Latin-1 file ("wájike" read as "wßjike", a no-break space after a number read as
"á"). And code pages of one script differ only in a few letters, so that Croatian read as
Windows-1252 ("OPÆA DEKLARACIJA O PRAVIMA ÈOVJEKA" for "OPĆA ... ČOVJEKA") looks as much like
text as the right reading, unless something knows which letters go together in a language.

So every candidate code page decodes the file, and each reading is scored by what it reads as:

* **Each non-ASCII character in its context** (the character before and after it): a letter
  between letters of another script, a lower-case letter inside an upper-case word ("FøRKLARING"),
  a symbol or punctuation mark between two letters ("SPLO»NA", "è³owjeæich"), a C1 control
  character, a byte the code page leaves undefined, box drawing among prose: each costs, by how
  rarely it occurs in real text.
* **The letters as a language**: the reading's non-ASCII letters are measured against the
  alphabets of the languages the code page is made for (:data:`_LANGUAGES_OF`: Windows-1250 for
  Czech, Polish, Hungarian, Croatian...; Windows-1257 for the Baltic languages), from
  charset-normalizer's letter tables (``charset_normalizer.constant.FREQUENCIES``) and
  :data:`ALPHABETS`. A letter the best language does not use costs a little (a name, a loanword,
  a language without a table), a letter of another script more; for Cyrillic, Greek, Hebrew,
  Arabic, Thai and CJK readings the share of the language's most frequent letters counts too.
  Croatian read as Windows-1252 ("è", "æ", "ð" beside "š", "ž") fits no Western language; its
  Windows-1250 reading fits Croatian whole.
* **A prior per code page**: Windows-1252 is by far the most common legacy code page on the web;
  the other Windows code pages, ISO-8859 and the CJK encodings next; DOS and Mac code pages are
  rare. With little evidence (a file with one non-ASCII byte) the prior decides, and a tie goes to
  the common code page.

A file that is mostly valid UTF-8 but holds some bytes that are not (two sources concatenated, or
a legacy file saved after part of it was already UTF-8) is also scored as the reading
``utf-8+CODEPAGE``: valid UTF-8 sequences as UTF-8 and every other byte in the code page (a codec
registered under that name, so that ``bytes.decode("utf-8+cp1252")`` works anywhere, the audit's
checks included).

The result names the code page and how sure the choice is: the margin between the best and the
second-best reading that gives a different text, as a probability.
"""

from __future__ import annotations

import codecs
import math
import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

# Candidate code pages with their prior, in nats (log-odds against Windows-1252). Codecs that
# decode every byte the same way as a better-known one for the text at hand are merged by the
# scorer (the reading with the higher prior names it). Rare code pages (HP Roman-8, Mac Icelandic,
# KZ-1048, PTCP154, cp1006, cp1125) are not candidates: a reading they would win is almost always a
# coincidence of letters, and a user with such files names the code page (--encoding).
CANDIDATES: tuple[tuple[str, float], ...] = (
    ("cp1252", 0.0),
    ("cp1250", -1.0),
    ("cp1251", -1.0),
    ("cp1253", -1.5),
    ("cp1254", -1.5),
    ("cp1255", -1.5),
    ("cp1256", -1.5),
    ("cp1257", -2.0),
    ("cp1258", -2.5),
    ("latin_1", -0.5),
    ("iso8859_15", -1.0),
    ("iso8859_2", -1.5),
    ("iso8859_4", -3.0),
    ("iso8859_5", -3.0),
    ("iso8859_7", -2.0),
    ("iso8859_8", -2.5),
    ("iso8859_6", -3.0),
    ("iso8859_9", -2.0),
    ("iso8859_13", -2.5),
    ("iso8859_16", -3.5),
    ("koi8_r", -1.5),
    ("koi8_u", -2.5),
    ("cp866", -3.0),
    ("mac_cyrillic", -3.5),
    ("cp874", -2.0),
    ("cp437", -5.0),
    ("cp850", -5.0),
    ("cp852", -5.0),
    ("mac_roman", -4.5),
    ("gb18030", -1.5),
    ("big5", -1.5),
    ("shift_jis", -1.5),
    ("cp932", -2.0),
    ("euc_jp", -1.5),
    ("euc_jis_2004", -3.0),
    ("euc_kr", -1.5),
    ("cp949", -2.0),
)
PRIORS = dict(CANDIDATES)
MIXED_PREFIX = "utf-8+"


@lru_cache(maxsize=None)
def c1_bytes_are_undefined(codec: str) -> bool:
    """Whether the bytes 0x80-0x9F, which ISO-8859 code pages (but Latin-1 itself) decode as C1
    control characters, stand for nothing in ``codec``: no text holds C1 controls, so in a file
    read as ISO-8859-4 they are bytes that the reading cannot explain (U+FFFD in the output, like
    an undefined byte), not Windows-1252 letters for ftfy to restore ("\x9a" is no "š" of a
    Lithuanian file).

    >>> c1_bytes_are_undefined("iso8859_4"), c1_bytes_are_undefined("koi8_r"), c1_bytes_are_undefined("latin_1")
    (True, False, False)
    """
    name = codecs.lookup(codec).name
    return name.startswith("iso8859-") and name != "iso8859-1"


C1_TO_REPLACEMENT = {code: "\ufffd" for code in range(0x80, 0xA0)}
_MULTIBYTE = frozenset({"gb18030", "big5", "shift_jis", "cp932", "euc_jp", "euc_jis_2004", "euc_kr", "cp949"})

# The letters beyond a-z of each language's standard orthography (general knowledge of alphabets,
# lower case), so that a rarer letter that charset-normalizer's table leaves out (it ranks the 26
# most frequent of each language: Hungarian's "ő" and "ű" are not among them) counts as a letter of
# the language, and languages that it lacks have a table too (their a-z ranked as in English).
ALPHABETS: dict[str, str] = {
    "German": "äöüß",
    "French": "àâæçéèêëîïôœùûüÿ",
    "Dutch": "éëïóöü",
    "Italian": "àèéìíîòóùú",
    "Polish": "ąćęłńóśźż",
    "Spanish": "áéíñóúü",
    "Portuguese": "áâãàçéêíóôõú",
    "Swedish": "åäöé",
    "Norwegian": "æøåéèóôò",
    "Danish": "æøåé",
    "Finnish": "äöåšž",
    "Estonian": "äõöüšž",
    "Vietnamese": "àáâãèéêìíòóôõùúýăđĩũơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
    "Czech": "áčďéěíňóřšťúůýž",
    "Slovak": "áäčďéíĺľňóôŕšťúýž",
    "Hungarian": "áéíóöőúüű",
    "Turkish": "çğıöşüâîû",
    "Romanian": "ăâîșț",
    "Croatian": "čćđšž",
    "Slovene": "čšž",
    "Lithuanian": "ąčęėįšųūž",
    "Indonesian": "",
    "Icelandic": "áðéíóúýþæö",
    "Faroese": "áðíóúýæø",
    "Catalan": "àçèéíïòóúü",
    "Albanian": "çë",
    "Latvian": "āčēģīķļņšūž",
    "Irish": "áéíóú",
    "Welsh": "âêîôûŵŷàèìòù",
    "Maltese": "ċġħżàèìòù",
    "Sorbian": "ćčěłńóřšźž",
    "Esperanto": "ĉĝĥĵŝŭ",
    "Azerbaijani": "çəğıöşü",
    "Kurdish": "çêîşû",
    "Guarani": "áéíóúýãẽĩõũỹñ",
    "Russian": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "Ukrainian": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "Belarusian": "абвгдеёжзійклмнопрстуўфхцчшыьэюя",
    "Bulgarian": "абвгдежзийклмнопрстуфхцчшщъьюя",
    "Macedonian": "абвгдѓежзѕијклљмнњопрстќуфхцчџш",
    "Serbian": "абвгдђежзијклљмнњопрстћуфхцчџш",
    "Kazakh": "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя",
    "Mongolian": "абвгдеёжзийклмноөпрстуүфхцчшщъыьэюя",
    "Greek": "αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊϋΐΰ",
    "Hebrew": "אבגדהוזחטיכךלמםנןסעפףצץקרשת",
    "Arabic": "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي",
    "Farsi": "آابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیئ",
    "Urdu": "آابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھءیے",
    "Thai": "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรฤลฦวศษสหฬอฮะาำเแโใไๅ",
}

# Latin letters that look like Cyrillic or Greek ones: legacy Cyrillic and Greek files often use
# them in place of the real letter (a Bosnian file writing "дa" with a Latin "a"), which is no
# mixing of scripts.
_HOMOGLYPHS = frozenset("AaBCcEeHIiJjKMOoPpSsTXxYyZv")

_SAMPLE_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class CodePageChoice:
    """The chosen reading and how sure the choice is (0.5: a coin toss, 1.0: no other reading
    comes close); ``runner_up`` is the best reading that gives a different text."""

    codec: str
    confidence: float
    runner_up: str | None


def choose_code_page(data: bytes) -> CodePageChoice:
    """The reading of ``data`` (not valid UTF-8) that reads most like text.

    >>> choose_code_page("Noël à Zürich, déjà vu; l'été est très chaud.".encode("cp1252")).codec
    'cp1252'
    >>> choose_code_page("Minden emberi lény szabadon születik és egyenlő méltósága és joga van. Az ésszel és lelkiismerettel bírván, egymással szemben testvéri szellemben kell hogy viseltessenek; ő és ű.".encode("cp1250")).codec
    'cp1250'
    >>> choose_code_page("Всеобщая декларация прав человека".encode("koi8_r")).codec
    'koi8_r'
    """
    sample = _sample(data)
    ascii_letters = _ascii_letter_counts(sample)
    # Single-byte code pages: each high byte in its context (the bytes before and after it) is
    # counted once, and each code page reads the distinct contexts through its table of 256
    # characters, instead of decoding and scanning the sample 30 times (8x faster on a Cyrillic
    # file, where every letter is a high byte).
    byte_contexts = _byte_contexts(sample)
    present = bytes(sorted({context[1] for context in byte_contexts}))
    scored: dict[str, tuple[float, str]] = {}  # reading -> (score, codec): identical readings merge

    def add(codec: str, reading: str, contexts: Counter) -> None:
        score = prior(codec) + _contexts_score(contexts, ascii_letters, codec)
        best = scored.get(reading)
        if best is None or score > best[0]:
            scored[reading] = (score, codec)

    for codec, _prior in CANDIDATES:
        if codec in _MULTIBYTE:
            text = _decode(sample, codec)
            if text is not None:
                add(codec, text, _text_contexts(text))
            continue
        table = _byte_table(codec)
        contexts: Counter = Counter()
        for (before, byte, after), count in byte_contexts.items():
            contexts[table[before] + table[byte] + table[after]] += count
        add(codec, "\0" + present.decode("latin_1").translate(table), contexts)  # "\0": no text starts so
    if _utf8_multibyte_share(sample):
        for codec in ("cp1252", "cp1250", "cp1251", "cp1254", "cp1257"):
            text = _decode(sample, MIXED_PREFIX + codec)
            if text is not None:
                add(MIXED_PREFIX + codec, text, _text_contexts(text))
    ranked = sorted(scored.values(), key=lambda sc: (-sc[0], _order(sc[1])))
    best_score, best_codec = ranked[0]
    if len(ranked) == 1:
        return CodePageChoice(best_codec, 1.0, None)
    second_score, second_codec = ranked[1]
    margin = best_score - second_score
    return CodePageChoice(best_codec, round(1.0 / (1.0 + math.exp(-margin)), 4), second_codec)


def prior(codec: str) -> float:
    if codec.startswith(MIXED_PREFIX):
        return PRIORS[codec[len(MIXED_PREFIX):]] - 1.0
    return PRIORS.get(codec, -5.0)


def _order(codec: str) -> int:
    names = [c for c, _ in CANDIDATES]
    return names.index(codec) if codec in names else len(names)


def _sample(data: bytes) -> bytes:
    """``data`` up to 64 KiB; beyond, whole lines holding non-ASCII bytes from across the file
    until there are 64 KiB of them (each reading is decoded and scored, so the cost is bounded
    for a file of any size)."""
    if len(data) <= _SAMPLE_BYTES:
        return data
    lines = [line for line in data.split(b"\n") if not line.isascii()]
    if not lines:
        return data[:_SAMPLE_BYTES]
    total = sum(len(line) + 1 for line in lines)
    step = max(1, round(total / _SAMPLE_BYTES))
    picked: list[bytes] = []
    size = 0
    for line in lines[::step]:
        picked.append(line[:4096])
        size += len(picked[-1]) + 1
        if size >= _SAMPLE_BYTES:
            break
    return b"\n".join(picked)


def _decode(sample: bytes, codec: str) -> str | None:
    """``sample`` read in ``codec``; bytes it leaves undefined become lone surrogates (the scorer
    charges them). A multi-byte codec must read the whole sample; a cut at the end is allowed."""
    try:
        if codec in _MULTIBYTE:
            try:
                return sample.decode(codec)
            except UnicodeDecodeError as exc:
                if exc.start >= len(sample) - 3:  # the sample cut a character
                    return sample[: exc.start].decode(codec)
                return None
        return sample.decode(codec, "surrogateescape")
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_multibyte_share(sample: bytes) -> float:
    """The share of non-ASCII bytes that form valid multi-byte UTF-8 sequences."""
    high = len(sample) - len(sample.translate(None, _HIGH_BYTES))
    if not high:
        return 0.0
    text = sample.decode("utf-8", "surrogateescape")
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    return (high - invalid) / high


_HIGH_BYTES = bytes(range(0x80, 0x100))


def _ascii_letter_counts(sample: bytes) -> Counter:
    return Counter(sample.lower().translate(None, _NOT_LOWER_ASCII).decode("ascii"))


_NOT_LOWER_ASCII = bytes(b for b in range(256) if not (0x61 <= b <= 0x7A))
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def reading_score(text: str, ascii_letters: Counter, codec: str) -> float:
    """How much ``text``, the reading of the sample in ``codec``, reads like text: the cost of each
    non-ASCII character in its context, plus the fit of its letters to a language that the code
    page is made for.

    >>> counts = Counter("egyenl mlts es jga")
    >>> reading_score("egyenlő méltósága, fűz", counts, "cp1250") > reading_score("egyenlõ méltósága, fûz", counts, "cp1252")
    True
    """
    return _contexts_score(_text_contexts(text), ascii_letters, codec)


def _text_contexts(text: str) -> Counter:
    """Each non-ASCII character of ``text`` with the characters before and after it (a space
    beyond either end), counted."""
    contexts: Counter = Counter()
    padded = " " + text + " "
    for m in _NON_ASCII.finditer(text):
        i = m.start()
        contexts[padded[i : i + 3]] += 1
    return contexts


def _byte_contexts(sample: bytes) -> Counter:
    """Each high byte of ``sample`` with the bytes before and after it (a space beyond either
    end), counted."""
    contexts: Counter = Counter()
    padded = b" " + sample + b" "
    for m in _HIGH_BYTE.finditer(sample):
        i = m.start()
        contexts[(padded[i], padded[i + 1], padded[i + 2])] += 1
    return contexts


_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


@lru_cache(maxsize=None)
def _byte_table(codec: str) -> str:
    """The 256 characters of a single-byte code page (a lone surrogate for a byte it leaves
    undefined), for ``str.translate`` and indexing."""
    return bytes(range(256)).decode(codec, "surrogateescape")


def _contexts_score(contexts: Counter, ascii_letters: Counter, codec: str) -> float:
    letters: Counter = Counter()
    total = 0.0
    for context, count in contexts.items():
        cost, letter = _context_cost(context)
        total += cost * count
        if letter:
            letters[letter] += count
    return total + _language_score(letters, ascii_letters, codec)


@lru_cache(maxsize=1 << 16)
def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN", "CYRILLIC", "CJK", "HANGUL"...)."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "?"
    first = name.split(" ", 1)[0]
    if first in ("HIRAGANA", "KATAKANA", "CJK", "HANGUL", "HALFWIDTH", "FULLWIDTH", "IDEOGRAPHIC", "BOPOMOFO"):
        return "CJK"  # scripts written together in one run of text
    return first


_FOLD = str.maketrans("şţŞŢ", "șțȘȚ")  # Romanian's cedilla letters (the legacy code pages) and comma letters


@lru_cache(maxsize=1 << 16)
def _context_cost(context: str) -> tuple[float, str]:
    """(cost, the letter to count for the language score or "") of the middle character of a
    three-character window (the first character when the window is at the text's start).

    The costs are log-odds of a rough kind: 0 for what real text is full of, about -3 for what it
    has now and then (a symbol touching a word), -6 to -10 for what it almost never has (a symbol
    between two letters, a control character, an undefined byte).
    """
    if len(context) < 3:
        context = (context + "  ")[:3]
    prev, ch, nxt = context[0], context[1], context[2]
    if "\udc80" <= ch <= "\udcff":
        return -10.0, ""  # a byte the code page does not define
    cat = unicodedata.category(ch)
    prev_letter, next_letter = prev.isalpha(), nxt.isalpha()
    if ch in "ªº":  # ordinal indicators: letters for Unicode, symbols after a number in text ("1ª")
        return (0.0 if prev.isdigit() else -1.0), ""
    if cat[0] == "L":
        cost = 0.0
        script = _script(ch)
        for other in (prev, nxt):
            if other.isalpha() and _script(other) != script and not (other in _HOMOGLYPHS and script in ("CYRILLIC", "GREEK")):
                cost -= 6.0  # Latin next to Cyrillic or Han inside one word
        if ch.islower() and prev.isupper() and nxt.isupper():
            cost -= 5.0  # "FøRKLARING"
        elif ch.isupper() and prev.islower():
            cost -= 4.0  # an upper-case letter after a lower-case one inside a word
        if script == "LATIN" and not prev.isascii() and not nxt.isascii() and prev.isalpha() and nxt.isalpha():
            cost -= 1.5  # three accented letters in a row: rare in any Latin-script language
        if prev.isdigit() or nxt.isdigit():
            cost -= 2.0
        if prev in ".,;:!?)" and not nxt.isalpha():
            cost -= 2.0  # a one-letter word glued to the end of a sentence: "ia.á Ho"
        if script == "CJK":
            return cost, ch
        return cost, ch.lower()[:1].translate(_FOLD)
    if cat == "Mn":
        # A generic accent (U+0300-U+036F, "COMBINING ...") goes on any letter; a script's own
        # mark (a Thai tone mark, a Hebrew point) only on a letter of that script.
        if prev_letter and unicodedata.name(ch, "").startswith("COMBINING"):
            composed = unicodedata.normalize("NFC", prev + ch)
            if len(composed) == 1:  # Vietnamese in Windows-1258: "e" and U+0301 are one letter
                return 0.0, composed.lower().translate(_FOLD)
            return -3.0, ""
        if prev_letter and _script(prev) == _script(ch):
            return 0.0, ""
        return -6.0, ""
    if cat == "Zs":
        return (0.0 if ch == "\xa0" else -0.5), ""  # the no-break space is common in Latin-1 text
    if cat[0] == "P":
        if prev_letter and next_letter:
            return (0.0 if ch in "’ʼ—–‐‑" else -1.0 if ch in "‘·" else -6.0), ""
        if ch in _COMMON_PUNCTUATION:
            return 0.0, ""
        return -1.5, ""
    if cat[0] == "N":
        if cat == "Nd" and not (prev_letter or next_letter):
            return 0.0, ""
        return (-6.0 if prev_letter or next_letter else -2.5), ""
    if cat[0] == "S":
        if 0x2500 <= ord(ch) <= 0x259F:
            return -6.0, ""  # box drawing and blocks
        if prev_letter and next_letter:
            return -7.0, ""
        if prev_letter or next_letter:
            return (-1.0 if ch in "©®°€£$%" else -3.5), ""
        return (-0.5 if ch in _COMMON_SYMBOLS else -2.0), ""
    if cat == "Cc":
        return -10.0, ""
    if cat == "Cf":
        return -2.0, ""
    return -10.0, ""  # private use, unassigned


_COMMON_PUNCTUATION = frozenset("“”‘’„«»–—…•·¡¿‹›†‡")
_COMMON_SYMBOLS = frozenset("©®°€£¥§¶±×÷¢¤¦¨¬¯´¸ªº")


def _alphabets() -> dict[str, frozenset[str]]:
    """Each language's letters: charset-normalizer's table of the most frequent letters of about
    forty languages, with the rest of each alphabet from :data:`ALPHABETS` (and a-z for the Latin
    languages that only :data:`ALPHABETS` has)."""
    from charset_normalizer.constant import FREQUENCIES

    tables: dict[str, set[str]] = {}
    for language, letters in FREQUENCIES.items():
        tables.setdefault(language.rstrip("—"), set()).update(ch.lower().translate(_FOLD) for ch in letters if ch.isalpha())
    for language, alphabet in ALPHABETS.items():
        latin = _script(alphabet[:1] or "a") == "LATIN"
        tables.setdefault(language, set(string.ascii_lowercase) if latin else set()).update(alphabet.translate(_FOLD))
    return {language: frozenset(letters) for language, letters in tables.items()}


def _script_of(alphabet: frozenset[str]) -> str:
    """The script of a language's letters: that of most of its non-ASCII letters (Serbian's table
    holds a few Latin letters among the Cyrillic), Latin when it has none. Counted, not taken
    from the first letter of a set, whose order changes from one process to the next."""
    scripts = Counter(_script(ch) for ch in alphabet if not ch.isascii())
    return max(sorted(scripts), key=scripts.__getitem__) if scripts else "LATIN"


_ASCII_IN_OTHER_SCRIPT = -0.3  # each ASCII letter (but a look-alike) of a text read as Cyrillic, Greek...


# The languages each code page is made for: a reading is measured against these only. Windows-1257
# read from a Breton file gives "ń", "ł", "ź" for "ñ", "ù", "ê", letters of one language, but of
# Polish, which is written in Windows-1250 or ISO-8859-2, not in a Baltic code page.
_WESTERN = ("English", "German", "French", "Dutch", "Italian", "Spanish", "Portuguese", "Swedish", "Norwegian",
            "Danish", "Finnish", "Estonian", "Indonesian", "Icelandic", "Faroese", "Catalan", "Albanian", "Irish",
            "Welsh", "Guarani")
_CENTRAL = ("Czech", "Slovak", "Polish", "Hungarian", "Slovene", "Croatian", "Romanian", "Albanian", "Sorbian", "German")
_BALTIC = ("Lithuanian", "Latvian", "Estonian", "Finnish", "German", "Swedish", "English")
_CYRILLIC = ("Russian", "Ukrainian", "Belarusian", "Bulgarian", "Macedonian", "Serbian", "Kazakh", "Mongolian")
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("cp1252", "latin_1", "iso8859_15", "mac_roman", "cp437", "cp850"), _WESTERN),
    **dict.fromkeys(("cp1250", "iso8859_2", "cp852"), _CENTRAL),
    **dict.fromkeys(("cp1257", "iso8859_4", "iso8859_13"), _BALTIC),
    **dict.fromkeys(("cp1254", "iso8859_9"), ("Turkish", "Azerbaijani", "Kurdish") + _WESTERN),
    "iso8859_16": ("Romanian", "Polish", "Hungarian", "Croatian", "Slovene", "Albanian", "Italian", "French", "German"),
    "cp1258": ("Vietnamese",),
    **dict.fromkeys(("cp1251", "iso8859_5", "cp866", "mac_cyrillic", "koi8_r"), _CYRILLIC),
    "koi8_u": ("Ukrainian", "Russian", "Belarusian"),
    **dict.fromkeys(("cp1253", "iso8859_7"), ("Greek",)),
    **dict.fromkeys(("cp1255", "iso8859_8"), ("Hebrew",)),
    **dict.fromkeys(("cp1256", "iso8859_6"), ("Arabic", "Farsi", "Urdu")),
    "cp874": ("Thai",),
    **dict.fromkeys(("gb18030", "big5"), ("Chinese",)),
    **dict.fromkeys(("shift_jis", "cp932", "euc_jp", "euc_jis_2004"), ("Japanese",)),
    **dict.fromkeys(("euc_kr", "cp949"), ("Korean",)),
}
_CJK_LANGUAGES = frozenset({"Chinese", "Japanese", "Korean"})
_FREQUENT: dict[str, frozenset[str]] | None = None
_FREQUENT_SHARE = 0.15  # the share of a reading's letters below which its distribution costs (see _frequent_fit)


def _frequent_letters() -> dict[str, frozenset[str]]:
    """The most frequent letters of each language written in its own script (charset-normalizer's
    ranking): the first eight letters of an alphabet, every listed character of Chinese, Japanese
    (its kanji, katakana and hiragana lists) and Korean."""
    from charset_normalizer.constant import FREQUENCIES

    frequent: dict[str, set[str]] = {}
    for language, letters in FREQUENCIES.items():
        name = language.rstrip("—")
        if _script(letters[0]) == "LATIN":
            continue  # a Latin reading's non-ASCII letters are its rare ones: their share says nothing
        chosen = letters if name in _CJK_LANGUAGES else letters[:8]
        frequent.setdefault(name, set()).update(ch.lower() for ch in chosen)
    return {name: frozenset(letters) for name, letters in frequent.items()}


def _frequent_fit(letters: Counter, language: str) -> float:
    """For a language of another script than Latin: how far the share of the reading's letters
    that are among the language's most frequent ones lies above :data:`_FREQUENT_SHARE`, for
    every letter. Hebrew read as Windows-1251 is all Cyrillic letters, as Russian as any
    alphabet can tell, but "й", "е", "д", "м" lead instead of "о", "е", "а", "и"; Korean read as
    GB18030 is all Chinese characters, but rare ones."""
    global _FREQUENT
    if _FREQUENT is None:
        _FREQUENT = _frequent_letters()
    frequent = _FREQUENT.get(language)
    if not frequent:
        return 0.0
    total = sum(letters.values())
    covered = sum(n for ch, n in letters.items() if ch in frequent)
    return 2.0 * (covered - _FREQUENT_SHARE * total)
_TABLES: dict[str, tuple[frozenset[str], str]] | None = None  # language -> (letters, script)
_FOREIGN_LETTER = -1.0  # a letter of the language's script that it does not use (a name, a loanword)
_OTHER_SCRIPT_LETTER = -3.0  # a letter of another script


def _language_score(letters: Counter, ascii_letters: Counter, codec: str) -> float:
    """How well the reading's non-ASCII letters fit the best of the languages that ``codec`` is
    made for.

    A distinct letter that the language does not use costs :data:`_FOREIGN_LETTER` when it is of
    the language's script (no more: a name, a loanword or a language without a table is no proof
    of a wrong reading) and :data:`_OTHER_SCRIPT_LETTER` when not. One language for all the letters: Croatian read as
    Windows-1252 ("è", "æ", "ð" beside "š", "ž") fits no Western language, its Windows-1250
    reading ("č", "ć", "đ", "š", "ž") fits Croatian whole. A letter weighs by the logarithm of its
    count: what the letters are tells the language; how often the commonest one recurs adds little
    (an Albanian file's 789 "ë" are not 789 proofs against Lithuanian "ė"). The ASCII letters, the
    same in every reading, keep a Latin text from being taken for Cyrillic or Greek because a few
    of its bytes read as letters of those scripts: each costs a little in a language of another
    script (but the Latin letters that look like Cyrillic or Greek ones, which legacy files use in
    their place).
    """
    global _TABLES
    languages = _LANGUAGES_OF.get(codec.removeprefix(MIXED_PREFIX))
    if not letters or not languages:
        return 0.0
    if _TABLES is None:
        _TABLES = {language: (alphabet, _script_of(alphabet)) for language, alphabet in _alphabets().items()}
    scripts = {ch: _script(ch) for ch in letters}
    weights = {ch: math.log1p(n) for ch, n in letters.items()}
    ascii_total = sum(ascii_letters.values())
    ascii_lookalikes = sum(n for ch, n in ascii_letters.items() if ch in _HOMOGLYPHS)
    best = -math.inf
    for language in languages:
        if language in _CJK_LANGUAGES:
            best = max(best, _ASCII_IN_OTHER_SCRIPT * ascii_total + _frequent_fit(letters, language))
            continue
        alphabet, script = _TABLES[language]
        fit = 0.0
        if script in ("CYRILLIC", "GREEK"):
            fit += _ASCII_IN_OTHER_SCRIPT * (ascii_total - ascii_lookalikes)
        elif script != "LATIN":
            fit += _ASCII_IN_OTHER_SCRIPT * ascii_total
        for ch, weight in weights.items():
            if ch not in alphabet:
                fit += weight * (_FOREIGN_LETTER if scripts[ch] == script else _OTHER_SCRIPT_LETTER)
        best = max(best, fit + _frequent_fit(letters, language))
    return best


# --- The mixed readings: UTF-8 where the bytes are UTF-8, a code page for the rest ------------------


def _fallback_handler(codepage: str):
    decode = codecs.getdecoder(codepage)

    def handler(exc: UnicodeDecodeError) -> tuple[str, int]:
        byte = exc.object[exc.start : exc.start + 1]
        text = decode(byte, "surrogateescape")[0]
        return text, exc.start + 1

    return handler


@lru_cache(maxsize=None)
def _mixed_codec(codepage: str) -> codecs.CodecInfo:
    error_name = f"corpus_dedupe.fallback.{codepage}"
    codecs.register_error(error_name, _fallback_handler(codepage))

    def decode(data, errors="strict"):
        data = bytes(data)
        return data.decode("utf-8", error_name), len(data)

    def encode(text, errors="strict"):
        # Not the inverse of decode (a code-page letter and its UTF-8 look the same): encoding is
        # only asked for lengths, and a line that does not re-encode to its bytes is never split.
        return text.encode("utf-8", "surrogateescape"), len(text)

    return codecs.CodecInfo(encode, decode, name=MIXED_PREFIX + codepage)


def _search(name: str) -> codecs.CodecInfo | None:
    for prefix in ("utf_8_", "utf8_"):
        if name.startswith(prefix):
            codepage = name[len(prefix):]
            try:
                codecs.lookup(codepage)
            except LookupError:
                return None
            if codepage.startswith("utf"):
                return None
            return _mixed_codec(codecs.lookup(codepage).name.replace("-", "_") if codepage not in PRIORS else codepage)
    return None


codecs.register(_search)
