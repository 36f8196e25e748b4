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
from pathlib import Path

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
# Bytes that do not occur in text: C0 controls other than tab, LF, VT, FF, CR and ESC.
_BINARY_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x1B), *range(0x1C, 0x20)])


def discover(src: Path, include: tuple[str, ...] = (), follow_symlinks: bool = False) -> tuple[list[str], list[Skipped]]:
    """Every regular file under ``src`` in sorted relative-path order, and the entries passed over.

    Hidden files and folders (name starting with ".") are skipped. Symbolic links are not followed
    unless ``follow_symlinks``, and even then only when they resolve inside ``src``; a link out of
    the corpus, a broken link and a link to a folder that is read anyway (a loop, or a second path
    to the same folder) are recorded as skipped. Real paths win over links: folders reached through
    a link are walked after the whole real tree, so each folder is listed once, under its real path
    when it has one, and a web of links cannot multiply the work. ``include`` globs match the
    relative path or the file name.

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
            else:
                skipped.append(Skipped(rel, "not a regular file"))
        pending.extend(reversed(subfolders))
    return sorted(found), skipped


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def detect_encoding(data: bytes) -> tuple[str, int, list[str]]:
    """Return (codec, number of BOM bytes, notes) for ``data``; raise InputError for binary data.

    Order: a byte order mark wins; then strict UTF-8; then UTF-8 with a few bad bytes (text that
    has more valid multi-byte UTF-8 sequences than invalid bytes is UTF-8 with damage, not a legacy
    encoding); then charset-normalizer for legacy single-byte and CJK encodings. Damage is named in
    the notes (they go into the manifest): invalid bytes of a UTF-8 file, invalid code units of a
    UTF-16 or UTF-32 file, both replaced by U+FFFD in the text.

    Memory stays bounded whatever the size: the checks decode the data in 1 MiB slices.

    >>> detect_encoding("café".encode("utf-8"))[0]
    'utf-8'
    >>> detect_encoding("Déjà vu, señor, très élégant".encode("cp1252"))[0] in ("cp1252", "latin_1", "iso8859_15")
    True
    >>> detect_encoding(b"caf\\xc3\\xa9 na\\xc3\\xafve, but one bad byte: \\xff")
    ('utf-8', 0, ['1 invalid UTF-8 byte(s) replaced with U+FFFD'])
    >>> detect_encoding(codecs.BOM_UTF16_LE + b"A\\x00\\x00\\xd8B\\x00")
    ('utf-16-le', 2, ['1 invalid utf-16-le code unit(s) replaced with U+FFFD'])
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec != "utf-8":
                bad = _invalid_units(data, len(bom), codec)
                return codec, len(bom), ([f"{bad} invalid {codec} code unit(s) replaced with U+FFFD"] if bad else [])
            _refuse_binary(data, len(bom))
            invalid = 0 if _is_utf8(data, len(bom)) else _utf8_damage(data, len(bom))[0]
            return codec, len(bom), ([f"{invalid} invalid UTF-8 byte(s) replaced with U+FFFD"] if invalid else [])
    _refuse_binary(data, 0)
    if _is_utf8(data, 0):
        return "utf-8", 0, []
    invalid, multibyte = _utf8_damage(data, 0)
    if multibyte > invalid:
        return "utf-8", 0, [f"{invalid} invalid UTF-8 byte(s) replaced with U+FFFD"]
    codec = _legacy_codec(data)
    if codec in ("utf_16", "utf_32", "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"):
        raise InputError("binary file (UTF-16/32 without a byte order mark is not supported)")
    return codec, 0, [f"decoded as {codec} (not valid UTF-8)"]


_SLICE = 1 << 20


def _refuse_binary(data: bytes, start: int) -> None:
    """Refuse data holding one of ``_BINARY_BYTES`` from ``start`` on. Found by deleting them
    (``bytes.translate``) and comparing lengths, 1 MiB at a time: five times faster than a regex
    character class on text, and memory stays bounded."""
    for pos in range(start, len(data), _SLICE):
        chunk = data[pos : pos + _SLICE]
        if len(chunk.translate(None, _BINARY_BYTES)) != len(chunk):
            raise InputError("binary file (contains NUL or other control bytes)")


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


def _plausible_share(text: str) -> float:
    """How plausible the non-ASCII characters of mostly-ASCII prose are, from 0 to 1: typographic
    punctuation 1, accented Latin-1 letters, fractions and the cent sign 0.9, common symbols 0.8, other Latin letters 0.6,
    anything else 0 (box drawing, inverted marks, letters of other scripts)."""
    total = 0
    score = 0.0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        total += 1
        if 0x2010 <= o <= 0x203A:
            score += 1.0
        elif (0xC0 <= o <= 0xFF and o not in (0xD7, 0xF7)) or ch in "½¼¾¢":
            score += 0.9
        elif ch in "\u00a0©®°£€«»§":
            score += 0.8
        elif 0x100 <= o <= 0x24F:
            score += 0.6
    return score / total if total else 1.0


def _legacy_codec(data: bytes) -> str:
    """The legacy encoding of ``data`` (not UTF-8).

    charset-normalizer's first choice is unreliable for mostly-ASCII text with a few non-ASCII
    bytes: for "Déjà vu ... naïve café" in cp1252 it answers cp1257, and for a 1970 State of the
    Union address whose dashes and quotes are Big5 punctuation (b"\xa1X" is "—") it answers cp775.
    For such text (at most 30% high bytes: Western prose, unlike Cyrillic, Greek or CJK text where
    most letters are high bytes) each candidate, cp1252 included, is scored by how plausible its
    non-ASCII characters are (accented Latin letters, typographic punctuation) and the best wins;
    otherwise charset-normalizer's choice stands.
    """
    import charset_normalizer

    matches = [codecs.lookup(m.encoding).name for m in charset_normalizer.from_bytes(data)]
    if not matches:
        raise InputError("undecodable: not UTF-8 and no legacy encoding fits")
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    if high > 0.3 * len(data):
        return matches[0]
    sample = _lines_with_high_bytes(data)
    best, best_score = matches[0], -1.0
    for codec in dict.fromkeys(["cp1252"] + matches):  # ties go to cp1252, the web's usual legacy code page
        try:
            score = _plausible_share(sample.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
        if score > best_score:
            best, best_score = codec, score
    return best


_HIGH_BYTES = bytes(range(0x80, 0x100))
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_SAMPLE_BYTES = 1 << 20


def _lines_with_high_bytes(data: bytes) -> bytes:
    """``data`` itself up to 1 MiB; beyond, the lines holding non-ASCII bytes (whole lines, so that
    a multi-byte character is never cut) until there is 1 MiB of them, so that scoring the
    candidate encodings costs the same for a 200 MB file as for a 1 MB one."""
    if len(data) <= _SAMPLE_BYTES:
        return data
    parts: list[bytes] = []
    size = pos = 0
    while size < _SAMPLE_BYTES:
        m = _HIGH_BYTE.search(data, pos)
        if m is None:
            break
        start = max(data.rfind(b"\n", 0, m.start()) + 1, m.start() - 4096)
        end = data.find(b"\n", m.end())
        if end < 0 or end > m.end() + 4096:  # no line end near: stop at a space
            end = min(len(data), m.end() + 4096)
            space = data.rfind(b" ", m.end(), end)
            end = space if space >= 0 else end
        if start == m.start() - 4096:  # an overlong line: begin at a space, never inside a character
            space = data.find(b" ", start, m.start())
            start = space + 1 if space >= 0 else m.start()
        parts.append(data[start:end])
        size += end - start
        pos = end
    return b"\n".join(parts)


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
            if codec.replace("_", "-") in ("utf-8", "utf-8-sig"):
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
    if codecs.lookup(codec).name == "utf-8" and body.isascii():
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


def read_document(src: Path, rel: str, max_file_size: int) -> tuple[Document, bytes]:
    """Read and decode one file; raise InputError with a one-line reason when it cannot be used.

    The file is opened once and read through that descriptor (never more than
    its size at that moment, plus one byte to notice growth; one copy in memory). When its size or modification time differ
    before and after the read (it was being written), it is read again, up to three times, then
    skipped: the bytes that are hashed into the manifest and accounted for in the provenance are
    always one consistent snapshot. A file deleted after it was opened is still read whole.
    """
    path = src / rel
    for _attempt in range(_READ_ATTEMPTS):
        data, stable = _read_snapshot(path, max_file_size)
        if stable:
            break
    else:
        raise InputError(f"file kept changing while being read ({_READ_ATTEMPTS} attempts)")
    codec, bom, notes = detect_encoding(data)
    lines = decode_lines(data, codec, bom)
    return Document(rel, len(data), sha256_hex(data), codec, lines, notes), data


def _read_snapshot(path: Path, max_file_size: int) -> tuple[bytes, bool]:
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

    def __init__(self, src: Path, paths: list[str], max_file_size: int, window: int = 64 << 20) -> None:
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
