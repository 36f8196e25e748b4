"""Build the legacy code-page test corpus: ``source/*.txt`` (UTF-8) -> ``files/*.txt`` + ``expected.json``.

Run from anywhere: ``python tests/data/encodings/make.py``. The output is deterministic; the test
``tests/test_encodings_real.py`` checks that ``files/`` is what this script builds.

Each source text is the exact text a correct reader should produce (for the control-byte files:
the text without the control byte). ``expected.json`` maps each file name in ``files/`` to
``{"text_file": "source/<name>", "codecs": [...], ...}``, where ``codecs`` lists the Python codecs
(of ``CANDIDATES``) that decode the file's bytes, strictly, to the source text (NFC-compared; for
the control-byte files, to the source text with the control byte in it). A file that no single
codec decodes right (mojibake, UTF-8 with a Windows-1252 tail) has an empty list and ``parts``.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
FILES = HERE / "files"
EXPECTED = HERE / "expected.json"

# (file name in source/ and files/, codec it is encoded with, case, options)
SPECS: list[tuple[str, str, str, dict]] = [
    # Central European
    ("cs_cp1250.txt", "cp1250", "central_european", {}),
    ("pl_cp1250.txt", "cp1250", "central_european", {}),
    ("hr_cp1250.txt", "cp1250", "central_european", {"needs_c1_bytes": True}),
    ("hu_cp1250.txt", "cp1250", "central_european", {"no_c1_bytes": True}),
    ("sk_iso8859_2.txt", "iso8859_2", "central_european", {}),
    ("pl_iso8859_2.txt", "iso8859_2", "central_european", {}),
    # Cyrillic
    ("ru_cp1251.txt", "cp1251", "plain", {}),
    ("bg_cp1251.txt", "cp1251", "plain", {}),
    ("sr_cp1251.txt", "cp1251", "plain", {}),
    ("uk_cp1251.txt", "cp1251", "plain", {}),
    ("ru_koi8_r.txt", "koi8_r", "plain", {}),
    ("mk_iso8859_5.txt", "iso8859_5", "plain", {}),
    # Western European
    ("fr_cp1252.txt", "cp1252", "plain", {}),
    ("de_cp1252.txt", "cp1252", "plain", {}),
    ("es_cp1252.txt", "cp1252", "plain", {}),
    ("pt_cp1252.txt", "cp1252", "plain", {}),
    ("is_cp1252.txt", "cp1252", "plain", {}),
    ("sv_latin_1.txt", "latin_1", "plain", {}),
    # Greek, Turkish, Hebrew, Arabic, Baltic, Vietnamese
    ("el_cp1253.txt", "cp1253", "plain", {}),
    ("el_iso8859_7.txt", "iso8859_7", "plain", {}),
    ("tr_cp1254.txt", "cp1254", "plain", {}),
    ("tr_iso8859_9.txt", "iso8859_9", "plain", {}),
    ("he_cp1255.txt", "cp1255", "plain", {}),
    ("ar_cp1256.txt", "cp1256", "plain", {}),
    ("lv_cp1257.txt", "cp1257", "plain", {}),
    ("lt_iso8859_13.txt", "iso8859_13", "plain", {}),
    ("et_iso8859_4.txt", "iso8859_4", "plain", {}),
    ("vi_cp1258.txt", "cp1258", "plain", {}),
    # CJK
    ("ja_shift_jis.txt", "shift_jis", "plain", {}),
    ("ja_euc_jp.txt", "euc_jp", "plain", {}),
    ("zh_gbk.txt", "gbk", "plain", {}),
    ("zh_big5.txt", "big5", "plain", {}),
    ("ko_euc_kr.txt", "euc_kr", "plain", {}),
    # Hard cases: mostly ASCII with a handful of Latin-1 letters
    ("en_cp1252_mostly_ascii_cafe.txt", "cp1252", "mostly_ascii", {"min_lines": 10, "non_ascii_letters": (2, 5)}),
    ("en_cp1252_mostly_ascii_zurich.txt", "cp1252", "mostly_ascii", {"min_lines": 10, "non_ascii_letters": (2, 5)}),
    ("en_cp1252_mostly_ascii_nbsp_quotes.txt", "cp1252", "mostly_ascii", {"min_lines": 10, "non_ascii_letters": (2, 5), "needs_bytes": b"\xa0\x93\x94"}),
    ("es_latin_1_three_accents.txt", "latin_1", "mostly_ascii", {"non_ascii_letters": (3, 3)}),
    # Hard cases: mixtures
    ("en_cp1252_mojibake.txt", "cp1252", "mojibake", {"utf8_words": ["café", "crème brûlée"]}),
    ("de_utf8_fr_cp1252_tail.txt", "utf_8", "utf8_tail", {"tail_from": "Le château de Chambord", "tail_codec": "cp1252"}),
    # Hard cases: stray control bytes (inserted right after the anchor)
    ("fr_cp1252_form_feed.txt", "cp1252", "control", {"insert": ("tous les sièges anglais.\n", "\x0c")}),
    ("en_ascii_file_separator_byte.txt", "cp1252", "control", {"insert": ("shifts of several weeks and ", "\x1c")}),
    ("en_ascii_one_nul_byte.txt", "cp1252", "control", {"insert": ("who struck a stone ", "\x00"), "min_lines": 20}),
]

# The codecs tried when listing which ones decode a file right.
CANDIDATES = [
    "utf_8", "ascii",
    "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "latin_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7",
    "iso8859_8", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16",
    "koi8_r", "koi8_u", "mac_cyrillic", "mac_roman", "mac_latin2", "mac_greek", "mac_turkish",
    "cp437", "cp850", "cp852", "cp855", "cp866", "cp869", "cp857", "cp862", "cp864", "cp775",
    "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312", "gbk", "gb18030", "hz",
    "big5", "cp950", "big5hkscs", "euc_kr", "cp949", "johab",
]

_VIETNAMESE_TONES = "\u0300\u0301\u0303\u0309\u0323"


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 the way Windows writes it: a precomposed letter where the code page has one,
    otherwise the base letter (with its circumflex, breve or horn: â ê ô ă ơ ư) and a combining
    tone mark (grave, acute, tilde, hook above, dot below)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        nfd = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _VIETNAMESE_TONES))
        out += (base + "".join(c for c in nfd if c in _VIETNAMESE_TONES)).encode("cp1258")
    return bytes(out)


def encode(text: str, codec: str) -> bytes:
    return encode_cp1258(text) if codec == "cp1258" else text.encode(codec)


def decodes_right(data: bytes, codec: str, text: str) -> bool:
    try:
        decoded = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return False
    return unicodedata.normalize("NFC", decoded) == unicodedata.normalize("NFC", text)


def non_ascii_letters(text: str) -> int:
    return sum(1 for c in text if ord(c) > 127 and c.isalpha())


def build_one(name: str, codec: str, case: str, opts: dict) -> tuple[bytes, dict]:
    text = (SOURCE / name).read_text(encoding="utf-8")
    meta: dict = {"text_file": f"source/{name}", "case": case, "language": name.split("_")[0]}
    if case == "mojibake":
        # A Windows-1252 file in which some words are the UTF-8 bytes of the word (the text was
        # decoded wrongly once and saved again): each of those bytes is a cp1252 character.
        words = opts["utf8_words"]
        pattern = re.compile("|".join(re.escape(w) for w in words))
        data = bytearray()
        pos = 0
        for m in pattern.finditer(text):
            data += text[pos : m.start()].encode(codec) + m.group().encode("utf-8")
            pos = m.end()
        data += text[pos:].encode(codec)
        data = bytes(data)
        assert all(w in text for w in words)
        meta.update(codecs=[], parts=[{"codec": codec, "utf8_words": words}])
    elif case == "utf8_tail":
        cut = text.index(opts["tail_from"])
        data = text[:cut].encode("utf-8") + text[cut:].encode(opts["tail_codec"])
        head_lines = text[:cut].count("\n")
        meta.update(codecs=[], parts=[{"codec": "utf_8", "lines": [1, head_lines]}, {"codec": opts["tail_codec"], "lines": [head_lines + 1, text.count("\n")]}])
        assert data[:len(text[:cut].encode("utf-8"))].decode("utf-8") and non_ascii_letters(text[:cut]) >= 5 and non_ascii_letters(text[cut:]) >= 5
    else:
        intended = text
        if case == "control":
            anchor, byte = opts["insert"]
            at = text.index(anchor) + len(anchor)
            assert text.count(anchor) == 1
            intended = text[:at] + byte + text[at:]
            meta["control_byte"] = f"0x{ord(byte):02x}"
        data = encode(intended, codec)
        if not decodes_right(data, codec, intended):
            raise SystemExit(f"{name}: {codec} does not round-trip")
        meta["codecs"] = [c for c in CANDIDATES if decodes_right(data, c, intended)]
        assert codec in meta["codecs"] or (codec == "latin_1" and "latin_1" in meta["codecs"])
    meta["encoded_with"] = codec if case != "utf8_tail" else ["utf_8", opts["tail_codec"]]

    # The hard cases are what they claim to be.
    lines = text.count("\n")
    if "min_lines" in opts:
        assert lines >= opts["min_lines"], (name, lines)
    if "non_ascii_letters" in opts:
        low, high = opts["non_ascii_letters"]
        assert low <= non_ascii_letters(text) <= high, (name, non_ascii_letters(text))
    c1 = sum(1 for b in data if 0x80 <= b <= 0x9F)
    if opts.get("no_c1_bytes"):
        assert c1 == 0, name
    if opts.get("needs_c1_bytes"):
        assert c1 > 0, name
    for b in opts.get("needs_bytes", b""):
        assert b in data, (name, hex(b))
    if case == "control":
        assert sum(1 for b in data if b < 0x20 and b not in b"\t\n\r") == 1, name
    else:
        assert not any(b < 0x20 and b not in b"\n" for b in data), name
    return data, meta


def sentences(text: str) -> set[str]:
    """Sentences of ``text`` as letter-only keys, for the check that no two files share one."""
    parts = re.split(r"(?<=[.!?。．])\s*", text)
    keys = {"".join(c for c in unicodedata.normalize("NFC", p) if c.isalnum()).lower() for p in parts}
    return {k for k in keys if len(k) >= 12}


def build() -> dict[str, tuple[bytes, dict]]:
    out = {}
    seen: dict[str, str] = {}
    for name, codec, case, opts in SPECS:
        out[name] = build_one(name, codec, case, opts)
        for key in sentences((SOURCE / name).read_text(encoding="utf-8")):
            if key in seen:
                raise SystemExit(f"{name} and {seen[key]} share a sentence: {key}")
            seen[key] = name
    unused = {p.name for p in SOURCE.glob("*.txt")} - set(out)
    if unused:
        raise SystemExit(f"source texts without a spec: {sorted(unused)}")
    return out


def main() -> int:
    built = build()
    FILES.mkdir(exist_ok=True)
    for old in FILES.iterdir():
        if old.name not in built:
            old.unlink()
    for name, (data, _meta) in built.items():
        (FILES / name).write_bytes(data)
    expected = {name: meta for name, (_data, meta) in sorted(built.items())}
    EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    codecs = sorted({c for _n, c, _k, _o in SPECS} | {"cp1252"})
    print(f"{len(built)} files, {len(codecs)} code pages: {', '.join(codecs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
