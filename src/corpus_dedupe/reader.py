"""Find the source files and decode them into lines that know their bytes.

Decoding keeps the exact mapping back to the source bytes: for ASCII-compatible encodings the bytes
are split into lines first (a line feed byte never occurs inside a multi-byte character of UTF-8 or
the legacy CJK encodings), then each line is decoded on its own with ``surrogateescape`` so that an
undecodable byte survives as a lone surrogate and ``raw.encode(codec, "surrogateescape")`` gives the
bytes back. UTF-16 and UTF-32 (recognised by their byte order mark) are decoded whole (an invalid
code unit becomes U+FFFD, which has the same length) and the line offsets computed from code-unit
lengths. A line longer than MAX_LINE_BYTES is cut into pieces, so that no paragraph, and no later
stage's copy of it, grows with the size of a file that has no line breaks.

Hostile input is an :class:`InputError` with a one-line reason (the file is skipped and listed),
never an exception of another kind: binary data, truncated UTF-16, a file that disappears, cannot
be opened or keeps changing while it is read. Discovery is iterative (any depth) and never leaves
SRC through a symbolic link.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import os
import re
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from .codepage import MIXED_PREFIX, c1_bytes_are_undefined, choose_code_page
from .model import Document, Skipped, SourceLine


class InputError(Exception):
    """A source file that cannot be processed; the message names the problem."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")
_LINE_BREAK_TEXT = re.compile(r"\r\n|\r|\n")


def discover(src: Path, include: tuple[str, ...] = (), follow_symlinks: bool = False,
             sizes: dict[str, int] | None = None) -> tuple[list[str], list[Skipped]]:
    """Every regular file under ``src`` in sorted relative-path order, and the entries passed over.

    Hidden files and folders (name starting with ".") are skipped. Symbolic links are not followed
    unless ``follow_symlinks``, and even then only when they resolve inside ``src``; a link out of
    the corpus, a broken link and a link to a folder that is read anyway (a loop, or a second path
    to the same folder) are recorded as skipped. Real paths win over links: folders reached through
    a link are walked after the whole real tree, so each folder is listed once, under its real path
    when it has one, and a web of links cannot multiply the work. ``include`` globs match the
    relative path or the file name. ``sizes``, when given, is filled with each found file's size
    (one stat while the folder is listed: the run batches and reads ahead by size without asking
    again, 100,000 stat calls of the main process for 100,000 small files).

    The walk is iterative (an explicit stack), so the depth of the tree is limited only by the
    length of a path. A folder that cannot be listed is recorded and the walk goes on; SRC itself
    not being listable raises :class:`InputError`.
    """
    src = Path(os.path.realpath(src))
    found: list[str] = []
    skipped: list[Skipped] = []
    listed: set[tuple[int, int]] = set()  # (st_dev, st_ino) of every folder already listed

    def matches(rel: str, name: str) -> bool:
        return not include or any(fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(name, g) for g in include)

    def list_folder(folder: str, rel: str) -> list[os.DirEntry] | None:
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=lambda e: e.name)
        except PermissionError:
            if not rel:
                raise InputError(f"{src}: cannot list SRC: permission denied") from None
            skipped.append(Skipped(rel, "permission denied (folder)"))
        except OSError as exc:
            if not rel:
                raise InputError(f"{src}: cannot list SRC: {exc.strerror or exc}") from None
            skipped.append(Skipped(rel, f"cannot list folder: {exc.strerror or exc}"))
        return None

    try:
        st = os.stat(src)
    except OSError as exc:
        raise InputError(f"{src}: cannot read SRC: {exc.strerror or exc}") from None
    listed.add((st.st_dev, st.st_ino))
    # Folders through links wait in ``linked`` until the real tree is done.
    pending: list[tuple[str, str]] = [(str(src), "")]
    linked: list[tuple[str, str, str]] = []  # (rel of the link, its real target, the link path)
    while pending or linked:
        if not pending:
            linked.sort()
            rel, target, link = linked.pop(0)
            try:
                st = os.stat(target)
            except OSError as exc:
                skipped.append(Skipped(rel, f"cannot stat: {exc.strerror or exc}"))
                continue
            key = (st.st_dev, st.st_ino)
            if key in listed:
                home = os.path.realpath(os.path.dirname(link))  # the folder holding the link
                loop = home == target or home.startswith(target.rstrip(os.sep) + os.sep)
                skipped.append(Skipped(rel, "symbolic link loop" if loop else "symbolic link to a folder that is read under another path"))
                continue
            listed.add(key)
            pending.append((target, rel))
            continue
        folder, rel_folder = pending.pop()
        entries = list_folder(folder, rel_folder)
        if entries is None:
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            rel = f"{rel_folder}/{name}" if rel_folder else name
            try:
                if entry.is_symlink():
                    if not follow_symlinks:
                        skipped.append(Skipped(rel, "symbolic link (not followed; use --follow-symlinks)"))
                        continue
                    target = os.path.realpath(entry.path)
                    if not Path(target).is_relative_to(src):
                        skipped.append(Skipped(rel, "symbolic link to outside SRC"))
                        continue
                    try:
                        mode = os.stat(target).st_mode
                    except OSError as exc:
                        problem = "symbolic link loop" if exc.errno == errno.ELOOP else "broken symbolic link"
                        skipped.append(Skipped(rel, problem))
                        continue
                    if stat.S_ISDIR(mode):
                        linked.append((rel, target, entry.path))
                        continue
                    is_dir = False
                    is_file = stat.S_ISREG(mode)
                else:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    is_file = not is_dir and entry.is_file(follow_symlinks=False)
            except OSError as exc:
                skipped.append(Skipped(rel, f"cannot stat: {exc.strerror or exc}"))
                continue
            if is_dir:
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    skipped.append(Skipped(rel, f"cannot stat: {exc.strerror or exc}"))
                    continue
                listed.add((st.st_dev, st.st_ino))
                subfolders.append((entry.path, rel))
            elif is_file:
                if matches(rel, name):
                    found.append(rel)
                    if sizes is not None:
                        try:
                            sizes[rel] = entry.stat().st_size
                        except OSError:
                            sizes[rel] = 0
            else:
                skipped.append(Skipped(rel, "not a regular file"))
        pending.extend(reversed(subfolders))
    return sorted(found), skipped


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class EncodingDecision:
    """How a file is decoded: the codec, the length of its byte order mark, the notes for the
    manifest (damage, control bytes, how the code page was chosen) and how sure the reader is
    (1.0 for a byte order mark, valid UTF-8 or a code page given with ``--encoding``)."""

    codec: str
    bom: int
    notes: list[str]
    confidence: float = 1.0


def detect_encoding(data: bytes) -> tuple[str, int, list[str]]:
    """(codec, number of BOM bytes, notes) of ``data``, as :func:`decide_encoding` decides.

    >>> detect_encoding("café".encode("utf-8"))[0]
    'utf-8'
    >>> detect_encoding("Déjà vu, señor, très élégant".encode("cp1252"))[0]
    'cp1252'
    >>> detect_encoding(b"caf\\xc3\\xa9 na\\xc3\\xafve, and a Windows-1252 letter: \\xe9t\\xe9")[0]
    'utf-8+cp1252'
    >>> detect_encoding(codecs.BOM_UTF16_LE + b"A\\x00\\x00\\xd8B\\x00")
    ('utf-16-le', 2, ['1 invalid utf-16-le code unit(s) replaced with U+FFFD'])
    """
    decision = decide_encoding(data)
    return decision.codec, decision.bom, decision.notes


def decide_encoding(data: bytes, forced: str | None = None) -> EncodingDecision:
    """Decide how to decode ``data``; raise InputError for binary data.

    Order: a byte order mark wins (the file says what it is); then ``forced`` (a code page the user named with
    ``--encoding``); then strict UTF-8; then the reading that reads most like text
    (:func:`corpus_dedupe.codepage.choose_code_page`): a legacy code page, or UTF-8 with the bytes
    that are not UTF-8 read in a code page (``utf-8+cp1252``: two sources concatenated). Damage
    and stray control bytes are named in the notes (they go into the manifest). Memory stays
    bounded whatever the size: the checks go through the data in 1 MiB slices, and the code page
    is chosen from a sample.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec != "utf-8":
                bad = _invalid_units(data, len(bom), codec)
                return EncodingDecision(codec, len(bom), [f"{bad} invalid {codec} code unit(s) replaced with U+FFFD"] if bad else [])
            notes = _control_notes(data, len(bom))
            invalid = 0 if _is_utf8(data, len(bom)) else _utf8_damage(data, len(bom))[0]
            if invalid:
                notes.append(f"{invalid} invalid UTF-8 byte(s) replaced with U+FFFD")
            return EncodingDecision(codec, len(bom), notes)
    notes = _control_notes(data, 0) if forced is None or not forced.startswith("utf_16") else []
    if forced is not None:
        return EncodingDecision(forced, 0, [*notes, f"decoded as {forced} (--encoding)"])
    if _is_utf8(data, 0):
        return EncodingDecision("utf-8", 0, notes)
    choice = choose_code_page(data)
    codec = choice.codec
    how = f"sure {choice.confidence:.2f}" + (f", next best {choice.runner_up}" if choice.runner_up else "")
    if codec.startswith(MIXED_PREFIX):
        invalid = _utf8_damage(data, 0)[0]
        notes.append(f"mostly UTF-8: {invalid} byte(s) that are not UTF-8 read as {codec[len(MIXED_PREFIX):]} ({how})")
    else:
        notes.append(f"decoded as {codec} (not valid UTF-8; {how})")
    undefined = _undefined_bytes(data, codec)
    if undefined:
        notes.append(f"{undefined} byte(s) undefined in {codec} replaced with U+FFFD")
    return EncodingDecision(codec, 0, notes, choice.confidence)


def _undefined_bytes(data: bytes, codec: str) -> int:
    """How many bytes of ``data`` ``codec`` cannot decode (each becomes U+FFFD in the output)."""
    if c1_bytes_are_undefined(codec):
        return len(data) - len(data.translate(None, bytes(range(0x80, 0xA0))))
    try:
        data.decode(codec)
        return 0
    except UnicodeDecodeError:
        pass
    count = 0
    for pos in range(0, len(data), _SLICE):
        text = data[pos : pos + _SLICE].decode(codec, "surrogateescape")
        count += len(_LONE_SURROGATES.findall(text))
    return count


_LONE_SURROGATES = re.compile("[\udc80-\udcff]")
# Control bytes that text does not hold (C0 controls but tab, LF, VT, FF, CR and ESC): a few in a
# long file are stray (0x1C, a lone NUL) and left out of the output; a file where they are more
# than 1% of the bytes, or that holds a run of NULs, is not text. Form feeds and vertical tabs
# (page breaks of old text files) and DEL are left out of the output and noted, never proof of
# binary data.
_BINARY_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])
_PAGE_CONTROL_BYTES = b"\x0b\x0c\x7f"
_CONTROL_BYTES = _BINARY_CONTROL_BYTES + _PAGE_CONTROL_BYTES
_NUL_RUN = b"\x00\x00\x00\x00"
# Signatures of binary formats that hold a byte no text starts with (formats with a plain-ASCII
# signature, "MZ", "RIFF", hold control bytes enough to be refused by their share).
_BINARY_SIGNATURES = (
    b"PK\x03\x04", b"%PDF-", b"\x89PNG", b"GIF87a", b"GIF89a", b"\xff\xd8\xff", b"\x7fELF", b"\x1f\x8b",
    b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"\x28\xb5\x2f\xfd", b"SQLite format 3\x00",
    b"\xd0\xcf\x11\xe0", b"\xca\xfe\xba\xbe",
)


_SLICE = 1 << 20


def _control_notes(data: bytes, start: int) -> list[str]:
    """The note on the stray control bytes of ``data[start:]`` (none when there are none); raise
    InputError when the data is not text: control bytes making up more than 1% of it, a run of
    NUL bytes, or a known binary signature at the start. A form feed between two paragraphs, a
    0x1C inside a line, a lone NUL in a long file are text with a stray byte. Counted by deleting
    them (``bytes.translate``) and comparing lengths, 1 MiB at a time: five times faster than a
    regex character class on text, and memory stays bounded.
    """
    if start <= len(data) <= _SLICE and len(data.translate(None, _CONTROL_BYTES)) == len(data):
        # The usual small text (a row, a short file): no control byte in the whole of it, found
        # by one deletion, without the slices (the same answer: nothing to count, then the
        # signature).
        if data[start : start + 16].startswith(_BINARY_SIGNATURES):
            raise InputError("binary file (starts with the signature of a binary format)")
        return []
    stray = page = 0
    for pos in range(start, len(data), _SLICE):
        chunk = data[pos : pos + _SLICE]
        if len(chunk.translate(None, _CONTROL_BYTES)) == len(chunk):
            continue  # the usual slice: one pass finds no control byte of either kind
        removed = len(chunk) - len(chunk.translate(None, _BINARY_CONTROL_BYTES))
        if removed:
            stray += removed
            if _NUL_RUN in data[max(start, pos - 3) : pos + _SLICE]:
                raise InputError(_NOT_TEXT)
        page += len(chunk) - len(chunk.translate(None, _PAGE_CONTROL_BYTES))
    if stray * 100 > len(data) - start:
        raise InputError(_NOT_TEXT)
    if data[start : start + 16].startswith(_BINARY_SIGNATURES):
        raise InputError("binary file (starts with the signature of a binary format)")
    return [f"{stray + page} control byte(s) left out of the output"] if stray + page else []


_NOT_TEXT = "binary file (contains NUL or other control bytes)"


def _is_utf8(data: bytes, start: int) -> bool:
    """Whether ``data[start:]`` is valid UTF-8: a strict decode, slice by slice (ASCII slices
    skipped). Most files are valid, and for them this one pass in the codec is all the checking
    they need; :func:`_utf8_damage`, which counts what is wrong, takes four passes (a decode and
    three encodes) and ran on every file that was not ASCII: a fifth of reading a file (20 MB
    benchmark corpus, py-spy)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for pos in range(start, len(data), _SLICE):
            chunk = data[pos : pos + _SLICE]
            if chunk.isascii() and not decoder.getstate()[0]:
                continue
            decoder.decode(chunk, final=pos + _SLICE >= len(data))
    except UnicodeDecodeError:
        return False
    return True  # the last slice decoded was final (a sequence cut off at the end raised), or none was pending


def _utf8_damage(data: bytes, start: int) -> tuple[int, int]:
    """(invalid bytes, valid non-ASCII characters) of ``data[start:]`` read as UTF-8, counted slice
    by slice: an undecodable byte becomes one lone surrogate (surrogateescape), so it is the
    difference between the bytes and the UTF-8 length of what decoded."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    invalid = non_ascii = 0
    for pos in range(start, max(len(data), start + 1), _SLICE):
        chunk = data[pos : pos + _SLICE]
        if chunk.isascii() and not decoder.getstate()[0]:
            continue
        text = decoder.decode(chunk, final=pos + _SLICE >= len(data))
        valid = len(text.encode("utf-8", "ignore"))  # lone surrogates dropped
        consumed = len(text.encode("utf-8", "surrogateescape"))
        invalid += consumed - valid
        non_ascii += len(text) - len(text.encode("ascii", "ignore"))
    pending = decoder.getstate()[0]
    invalid += len(pending)
    return invalid, non_ascii - invalid


_unit_errors = threading.local()


def _replace_and_count(exc: UnicodeDecodeError) -> tuple[str, int]:
    """The "replace" error handler (one U+FFFD per undecodable code unit) that also counts."""
    _unit_errors.count = getattr(_unit_errors, "count", 0) + 1
    return "\ufffd", exc.end


codecs.register_error("corpus_dedupe.replace_and_count", _replace_and_count)


def _invalid_units(data: bytes, start: int, codec: str) -> int:
    """How many code units of a UTF-16/32 body do not decode (lone surrogates, code points out of
    range); :func:`decode_lines` replaces each with one U+FFFD, which keeps the byte offsets."""
    unit = 2 if codec.startswith("utf-16") else 4
    if (len(data) - start) % unit:
        raise InputError(f"truncated {codec} data ({len(data) - start} bytes is not a multiple of {unit})")
    _unit_errors.count = 0
    decoder = codecs.getincrementaldecoder(codec)("corpus_dedupe.replace_and_count")
    for pos in range(start, len(data), _SLICE):
        decoder.decode(data[pos : pos + _SLICE], final=pos + _SLICE >= len(data))
    return _unit_errors.count


# A line longer than this is cut into pieces, each read as a paragraph of its own (see
# decode_lines). Real paragraphs are far shorter; a file of megabytes without a line break would
# otherwise become one "paragraph" that every later stage holds, hashes and compares whole.
MAX_LINE_BYTES = 1 << 16
_SENTENCE_END_BYTES = re.compile(rb"[.!?][\"')\]]*(?=[ \t])")
_SENTENCE_END_TEXT = re.compile(r"[.!?。！？][\"')\]”’]*(?=\s)|[。！？]")


def _cut_bytes(data: bytes, start: int, end: int, codec: str) -> list[int]:
    """Where to cut ``data[start:end]`` (one line) so that no piece is longer than
    MAX_LINE_BYTES: after the last sentence end of the second half of each window, else at its
    last space or tab, else (text without spaces) at a character boundary. Space, tab and
    sentence punctuation never occur inside a multi-byte character of UTF-8 or of the legacy CJK
    encodings, so a cut there leaves every character whole.

    >>> import corpus_dedupe.reader as r
    >>> line = b"One sentence here. " * 5000
    >>> cuts = r._cut_bytes(line, 0, len(line), "utf-8")
    >>> [line[c - 1 : c + 1] for c in cuts], all(b - a <= r.MAX_LINE_BYTES for a, b in zip([0] + cuts, cuts + [len(line)]))
    ([b'. '], True)
    """
    cuts: list[int] = []
    pos = start
    while end - pos > MAX_LINE_BYTES:
        limit = pos + MAX_LINE_BYTES
        cut = -1
        for m in _SENTENCE_END_BYTES.finditer(data, pos + MAX_LINE_BYTES // 2, limit):
            cut = m.end()
        if cut <= pos:
            cut = max(data.rfind(b" ", pos + 1, limit), data.rfind(b"\t", pos + 1, limit))
        if cut <= pos:
            cut = limit
            if codec.replace("_", "-").startswith("utf-8"):  # utf-8+cp1252 too
                while cut > pos + 1 and 0x80 <= data[cut] <= 0xBF:  # not before a continuation byte
                    cut -= 1
            else:
                floor = pos + MAX_LINE_BYTES // 2
                back = cut
                while back > floor and data[back - 1] >= 0x80:  # just after an ASCII byte
                    back -= 1
                if back > floor:
                    cut = back
        cuts.append(cut)
        pos = cut
    return cuts


def _cut_text(text: str, limit_chars: int) -> list[int]:
    """Character positions to cut an overlong decoded line (UTF-16/32 files), as :func:`_cut_bytes`."""
    cuts: list[int] = []
    pos = 0
    while len(text) - pos > limit_chars:
        limit = pos + limit_chars
        cut = -1
        for m in _SENTENCE_END_TEXT.finditer(text, pos + limit_chars // 2, limit):
            cut = m.end()
        if cut <= pos:
            cut = max(text.rfind(" ", pos + 1, limit), text.rfind("\t", pos + 1, limit))
        if cut <= pos:
            cut = limit
        cuts.append(cut)
        pos = cut
    return cuts


def decode_lines(data: bytes, codec: str, bom: int) -> list[SourceLine]:
    """Split ``data`` into lines (LF, CRLF and CR all end a line) with their byte ranges.

    A line longer than MAX_LINE_BYTES is cut into pieces (see :func:`_cut_bytes`) that keep the
    line's number; an empty line with a zero-length byte range goes between two pieces, so that
    each piece is a block, hence at least one paragraph, of its own. Every byte still belongs to
    exactly one piece or to the whitespace at a cut.

    >>> [(l.number, len(l.raw), l.byte_start, l.byte_end) for l in decode_lines(b"ab " * 30000, "utf-8", 0)]
    [(1, 65534, 0, 65534), (1, 0, 65534, 65534), (1, 24466, 65534, 90000)]

    Invalid UTF-16 and UTF-32 code units become U+FFFD, which has the same length in code units,
    so the byte offsets stay exact.

    >>> [l.raw for l in decode_lines(codecs.BOM_UTF16_LE + "a\\nb".encode("utf-16-le") + b"\\x00\\xd8", "utf-16-le", 2)]
    ['a', 'b\\ufffd']
    """
    lines: list[SourceLine] = []
    if codec.startswith(("utf-16", "utf-32")):
        unit = 2 if codec.startswith("utf-16") else 4
        body = data[bom:]
        if len(body) % unit:
            raise InputError(f"truncated {codec} data ({len(body)} bytes is not a multiple of {unit})")
        text = body.decode(codec, "replace")
        del body
        pos_char = 0
        pos_byte = bom
        number = 1

        def add(raw: str, number: int, pos_byte: int) -> int:
            pieces = [0] + _cut_text(raw, MAX_LINE_BYTES // unit) if len(raw) * unit > MAX_LINE_BYTES else [0]
            for i, (a, b) in enumerate(zip(pieces, pieces[1:] + [len(raw)])):
                nbytes = len(raw[a:b].encode(codec, "surrogatepass"))
                if i:
                    lines.append(SourceLine(number, "", pos_byte, pos_byte))
                lines.append(SourceLine(number, raw[a:b], pos_byte, pos_byte + nbytes))
                pos_byte += nbytes
            return pos_byte

        for m in _LINE_BREAK_TEXT.finditer(text):
            pos_byte = add(text[pos_char : m.start()], number, pos_byte)
            pos_byte += len(m.group().encode(codec))
            pos_char = m.end()
            number += 1
        if pos_char < len(text):
            add(text[pos_char:], number, pos_byte)
        return lines
    if b"\r" not in data:
        return _decode_lf_lines(data, codec, bom)
    return _decode_split_lines(data, codec, bom)


def _decode_split_lines(data: bytes, codec: str, bom: int) -> list[SourceLine]:
    """:func:`decode_lines` for an ASCII-compatible codec, any line breaks."""
    lines: list[SourceLine] = []
    pos = bom
    number = 1
    decoder = codecs.getdecoder(codec)

    def add_bytes(start: int, end: int, number: int) -> None:
        if end - start <= MAX_LINE_BYTES:
            lines.append(SourceLine(number, decoder(data[start:end], "surrogateescape")[0], start, end))
            return
        lines.extend(_long_line(data, start, end, number, codec))

    for m in _LINE_BREAK_BYTES.finditer(data, bom):
        add_bytes(pos, m.start(), number)
        pos = m.end()
        number += 1
    if pos < len(data):
        add_bytes(pos, len(data), number)
    return lines


def _decode_lf_lines(data: bytes, codec: str, bom: int) -> list[SourceLine]:
    """:func:`decode_lines` for an ASCII-compatible codec when ``data`` holds no CR: every line
    ends at a LF, so ``bytes.split`` finds the lines (no regex match per line). An ASCII body is
    decoded once and split as text (UTF-8 only): its characters are its bytes, so the offsets are
    the same.
    A line too long for one piece goes through the general path."""
    lines: list[SourceLine] = []
    body = data[bom:] if bom else data
    if (codec == "utf-8" or codecs.lookup(codec).name == "utf-8") and body.isascii():
        parts: list = body.decode("ascii").split("\n")
        decode = None
    else:
        parts = body.split(b"\n")
        decode = codecs.getdecoder(codec)
    if not parts[-1]:
        parts.pop()  # data ending in a line break has no line after it
    pos = bom
    for number, part in enumerate(parts, 1):
        end = pos + len(part)
        if end - pos > MAX_LINE_BYTES:
            lines.extend(_long_line(data, pos, end, number, codec))
        else:
            lines.append(SourceLine(number, part if decode is None else decode(part, "surrogateescape")[0], pos, end))
        pos = end + 1
    return lines


def _long_line(data: bytes, start: int, end: int, number: int, codec: str) -> list[SourceLine]:
    """The pieces of one line longer than MAX_LINE_BYTES, as :func:`decode_lines` cuts them."""
    decoder = codecs.getdecoder(codec)
    out: list[SourceLine] = []
    bounds = [start] + _cut_bytes(data, start, end, codec) + [end]
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if i:
            out.append(SourceLine(number, "", a, a))
        out.append(SourceLine(number, decoder(data[a:b], "surrogateescape")[0], a, b))
    return out


def encoded_length(text: str, codec: str) -> int:
    """Byte length of ``text`` in the source encoding (for offsets inside a line)."""
    errors = "surrogatepass" if codec.startswith(("utf-16", "utf-32")) else "surrogateescape"
    return len(text.encode(codec, errors))


_READ_ATTEMPTS = 3


def read_document(src: str | os.PathLike, rel: str, max_file_size: int, encodings: tuple[tuple[str, str], ...] = ()) -> tuple[Document, bytes]:
    """Read and decode one file; raise InputError with a one-line reason when it cannot be used.

    ``encodings``: the ``--encoding`` pairs (see :func:`forced_codec`).
    The file is opened once and read through that descriptor (never more than
    its size at that moment, plus one byte to notice growth; one copy in memory). When its size or modification time differ
    before and after the read (it was being written), it is read again, up to three times, then
    skipped: the bytes that are hashed into the manifest and accounted for in the provenance are
    always one consistent snapshot. A file deleted after it was opened is still read whole.
    The path is joined as a string: two pathlib objects per file were 9% of the per-document
    stages' time for files of 300 bytes.
    """
    path = os.path.join(src, rel)
    for _attempt in range(_READ_ATTEMPTS):
        data, stable = _read_snapshot(path, max_file_size)
        if stable:
            break
    else:
        raise InputError(f"file kept changing while being read ({_READ_ATTEMPTS} attempts)")
    return document_from_bytes(rel, data, forced_codec(rel, encodings)), data


def document_from_row(key: str, data: bytes) -> Document:
    """A row's :class:`Document`: ``data`` is the UTF-8 encoding of its text (formats.row_bytes),
    valid by construction, so only stray control bytes are looked for (what
    :func:`decide_encoding` finds in valid UTF-8 without a byte order mark, with a BOM skipped
    as it skips one); no hash (a row is hashed as part of its file)."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    notes = _control_notes(data, bom)
    return Document(key, len(data), "", "utf-8", decode_lines(data, "utf-8", bom), notes)


def document_from_bytes(rel: str, data: bytes, forced: str | None = None) -> Document:
    """Decode ``data`` (the bytes of a file, or the UTF-8 encoding of a row's text, ``forced``
    then "utf-8") into a :class:`Document`; InputError when it is not text."""
    decision = decide_encoding(data, forced)
    lines = decode_lines(data, decision.codec, decision.bom)
    return Document(rel, len(data), sha256_hex(data), decision.codec, lines, decision.notes, decision.confidence)


def forced_codec(rel: str, encodings: tuple[tuple[str, str], ...]) -> str | None:
    """The code page ``--encoding`` gives for the file ``rel``: the first ``GLOB=CODEC`` whose
    glob matches its relative path or its name, else a plain ``CODEC`` (glob ""), else None.

    >>> forced_codec("ru/a.txt", (("ru/*", "koi8_r"), ("", "cp1252"))), forced_codec("b.txt", (("ru/*", "koi8_r"), ("", "cp1252")))
    ('koi8_r', 'cp1252')
    """
    name = rel.rsplit("/", 1)[-1]
    default = None
    for glob, codec in encodings:
        if not glob:
            default = default or codec
        elif fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(name, glob):
            return codec
    return default


def _read_snapshot(path: str | os.PathLike, max_file_size: int) -> tuple[bytes, bool]:
    """(the bytes of ``path``, whether the file stayed the same while it was read)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("file disappeared before it could be read") from None
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}") from None
    try:
        before = os.fstat(fd)
        if stat.S_ISDIR(before.st_mode):
            raise InputError("is a folder")
        if not stat.S_ISREG(before.st_mode):
            raise InputError("not a regular file")
        if before.st_size > max_file_size:
            raise InputError(f"file too large ({before.st_size} bytes > --max-file-size {max_file_size})")
        expected = before.st_size
        parts: list[bytes] = []
        total = 0
        while total < expected:  # one read() normally; more only after a short read
            chunk = os.read(fd, min(expected - total, 1 << 30))
            if not chunk:
                break  # the file shrank
            parts.append(chunk)
            total += len(chunk)
        grew = total == expected and os.read(fd, 1) != b""
        after = os.fstat(fd)
    except PermissionError:
        raise InputError("permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    stable = not grew and total == expected == after.st_size and before.st_mtime_ns == after.st_mtime_ns
    return data, stable


_SMALL_FILE = 16 << 10


class ReadAhead:
    """Asks the kernel to start reading the files that will be read next, in a background thread,
    at most ``window`` bytes ahead of what has been read (:meth:`consumed`).

    Pass 1 reads the files in worker processes that block on each read: a corpus that is not in
    the page cache (the usual case for a corpus of gigabytes) leaves a core idle for every read
    that waits on the disk. On this project's 2-core machine the 200 MB benchmark corpus took
    20.3 s in pass 1 from a cold cache against 17.8 s from a warm one. ``posix_fadvise(...,
    POSIX_FADV_WILLNEED)`` starts the reading without waiting for it, so the disk works while
    the workers compute. Only a hint: nothing is read into this process, a file that cannot be
    opened is passed over (its reader reports it), anything but a regular file (a FIFO would block
    a reader) is left alone, and where the call does not exist (macOS) nothing happens.
    """

    def __init__(self, src: Path, paths: list[str], max_file_size: int, window: int = 64 << 20,
                 sizes: dict[str, int] | None = None) -> None:
        if sizes is not None:
            # Files of a few pages are left alone: the hint costs this process three system calls
            # per file (0.6 CPU-s for 100,000 files of 300 bytes, in the process the workers wait
            # on), and a small file's read is one request of the disk either way.
            paths = [rel for rel in paths if sizes.get(rel, _SMALL_FILE) >= _SMALL_FILE]
        self._src, self._paths, self._max_file_size, self._window = src, paths, max_file_size, window
        self._consumed = 0
        self._stopped = False
        self._wake = threading.Condition()
        self.advised = 0  # files and bytes the kernel was asked to read
        self.advised_bytes = 0
        self._thread: threading.Thread | None = None
        self.finished = threading.Event()  # set when every file was advised or it was closed

    def __enter__(self) -> "ReadAhead":
        if hasattr(os, "posix_fadvise") and self._paths:
            self._thread = threading.Thread(target=self._run, name="dedupe-readahead", daemon=True)
            self._thread.start()
        else:
            self.finished.set()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def consumed(self, nbytes: int) -> None:
        """The readers have read ``nbytes`` in all: the window moves on."""
        with self._wake:
            self._consumed = nbytes
            self._wake.notify()

    def close(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            self._advise_all()
        finally:
            self.finished.set()

    def _advise_all(self) -> None:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        for rel in self._paths:
            with self._wake:
                while not self._stopped and self.advised_bytes - self._consumed > self._window:
                    self._wake.wait()
                if self._stopped:
                    return
            try:
                fd = os.open(self._src / rel, flags)
            except OSError:
                continue
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and 0 < info.st_size <= self._max_file_size:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
                    self.advised += 1
                    self.advised_bytes += info.st_size
            except OSError:
                pass
            finally:
                os.close(fd)
