"""Find the source files and decode them into lines that know their bytes.

Decoding keeps the exact mapping back to the source bytes: for ASCII-compatible encodings the bytes
are split into lines first (a line feed byte never occurs inside a multi-byte character of UTF-8 or
the legacy CJK encodings), then each line is decoded on its own with ``surrogateescape`` so that an
undecodable byte survives as a lone surrogate and ``raw.encode(codec, "surrogateescape")`` gives the
bytes back. UTF-16 and UTF-32 (recognised by their byte order mark) are decoded whole and the line
offsets computed from code-unit lengths.
"""

from __future__ import annotations

import codecs
import errno
import fnmatch
import hashlib
import os
import re
import stat
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
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


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
    encoding); then charset-normalizer for legacy single-byte and CJK encodings.

    >>> detect_encoding("café".encode("utf-8"))[0]
    'utf-8'
    >>> detect_encoding("Déjà vu, señor, très élégant".encode("cp1252"))[0] in ("cp1252", "latin_1", "iso8859_15")
    True
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom), []
    if _BINARY_BYTES.search(data[:65536]) or (len(data) > 65536 and _BINARY_BYTES.search(data)):
        raise InputError("binary file (contains NUL or other control bytes)")
    try:
        data.decode("utf-8")
        return "utf-8", 0, []
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "surrogateescape")
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and not ("\udc80" <= ch <= "\udcff"))
    if multibyte > invalid:
        return "utf-8", 0, [f"{invalid} invalid UTF-8 byte(s) replaced with U+FFFD"]
    codec = _legacy_codec(data)
    if codec in ("utf_16", "utf_32", "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"):
        raise InputError("binary file (UTF-16/32 without a byte order mark is not supported)")
    return codec, 0, [f"decoded as {codec} (not valid UTF-8)"]


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
    high = sum(1 for byte in data if byte > 0x7F)
    if high > 0.3 * len(data):
        return matches[0]
    best, best_score = matches[0], -1.0
    for codec in dict.fromkeys(["cp1252"] + matches):  # ties go to cp1252, the web's usual legacy code page
        try:
            score = _plausible_share(data.decode(codec))
        except (UnicodeDecodeError, LookupError):
            continue
        if score > best_score:
            best, best_score = codec, score
    return best


def decode_lines(data: bytes, codec: str, bom: int) -> list[SourceLine]:
    """Split ``data`` into lines (LF, CRLF and CR all end a line) with their byte ranges."""
    lines: list[SourceLine] = []
    if codec.startswith(("utf-16", "utf-32")):
        unit = 2 if codec.startswith("utf-16") else 4
        body = data[bom:]
        if len(body) % unit:
            raise InputError(f"truncated {codec} data ({len(body)} bytes is not a multiple of {unit})")
        text = body.decode(codec, "surrogatepass")
        pos_char = 0
        pos_byte = bom
        number = 1
        for m in _LINE_BREAK_TEXT.finditer(text):
            raw = text[pos_char : m.start()]
            nbytes = len(raw.encode(codec, "surrogatepass"))
            lines.append(SourceLine(number, raw, pos_byte, pos_byte + nbytes))
            pos_byte += nbytes + len(m.group().encode(codec))
            pos_char = m.end()
            number += 1
        raw = text[pos_char:]
        if raw:
            nbytes = len(raw.encode(codec, "surrogatepass"))
            lines.append(SourceLine(number, raw, pos_byte, pos_byte + nbytes))
        return lines
    pos = bom
    number = 1
    decoder = codecs.getdecoder(codec)
    for m in _LINE_BREAK_BYTES.finditer(data, bom):
        lines.append(SourceLine(number, decoder(data[pos : m.start()], "surrogateescape")[0], pos, m.start()))
        pos = m.end()
        number += 1
    if pos < len(data):
        lines.append(SourceLine(number, decoder(data[pos:], "surrogateescape")[0], pos, len(data)))
    return lines


def encoded_length(text: str, codec: str) -> int:
    """Byte length of ``text`` in the source encoding (for offsets inside a line)."""
    errors = "surrogatepass" if codec.startswith(("utf-16", "utf-32")) else "surrogateescape"
    return len(text.encode(codec, errors))


def read_document(src: Path, rel: str, max_file_size: int) -> tuple[Document, bytes]:
    """Read and decode one file; raise InputError with a one-line reason when it cannot be used."""
    path = src / rel
    try:
        size = path.stat().st_size
        if size > max_file_size:
            raise InputError(f"file too large ({size} bytes > --max-file-size {max_file_size})")
        with open(path, "rb") as handle:
            data = handle.read(max_file_size + 1)
    except PermissionError:
        raise InputError("permission denied") from None
    except FileNotFoundError:
        raise InputError("file disappeared while reading") from None
    except IsADirectoryError:
        raise InputError("is a folder") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_file_size:
        raise InputError(f"file too large (grew past --max-file-size {max_file_size} while reading)")
    codec, bom, notes = detect_encoding(data)
    lines = decode_lines(data, codec, bom)
    return Document(rel, len(data), sha256_hex(data), codec, lines, notes), data
