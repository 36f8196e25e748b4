"""Reading and decoding: encodings, line ends, byte offsets, files that cannot be used."""

from __future__ import annotations

import codecs
import os

import pytest
from hypothesis import example, given, settings, strategies as st

from corpus_dedupe.reader import InputError, decode_lines, detect_encoding, discover, read_document

from conftest import SHARED_BENCH_TEXT, decodes_as_utf8


TEXT = "Déjà vu: the “ministry” said — again — that costs rose 12 % to €5 million.\nSecond line, naïve café.\n"


@pytest.mark.parametrize(
    "data, codec",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("cp1252"), "cp1252"),
    ],
)
def test_decodes_each_encoding_to_the_same_lines(data, codec):
    found, bom, _notes = detect_encoding(data)
    lines = decode_lines(data, found, bom)
    assert [l.raw for l in lines] == TEXT.splitlines()
    assert found.replace("_", "-") == codec or codec == "cp1252" and found in ("cp1252", "windows-1252")
    for line in lines:  # byte ranges point at the line's own bytes
        assert data[line.byte_start : line.byte_end].decode(found) == line.raw


def test_latin1_bench_text_is_detected_not_mangled():
    path = SHARED_BENCH_TEXT / "state_union" / "1954-Eisenhower.txt"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    codec, _bom, notes = detect_encoding(data)
    text = data.decode(codec)
    # Its only non-ASCII bytes are "½¢" (half a cent), which GB18030 and Big5 also read, as one
    # Chinese character alone in an English speech.
    assert codec == "cp1252" and "the ½¢ decrease" in text
    assert notes and codec in notes[0]


def test_crlf_and_cr_end_lines():
    data = b"one\r\ntwo\rthree\nfour"
    lines = decode_lines(data, "utf-8", 0)
    assert [(l.number, l.raw) for l in lines] == [(1, "one"), (2, "two"), (3, "three"), (4, "four")]
    assert [(l.byte_start, l.byte_end) for l in lines] == [(0, 3), (5, 8), (9, 14), (15, 19)]


def test_bytes_that_are_not_utf8_in_a_utf8_file_are_read_as_windows_1252_and_keep_their_bytes():
    data = "Prix: 5 €, “quoted” text — fine.\n".encode("utf-8") + "Deuxième source: très élevé.\n".encode("cp1252")
    codec, _bom, notes = detect_encoding(data)
    assert codec == "utf-8+cp1252" and "read as cp1252" in notes[0]
    lines = decode_lines(data, codec, 0)
    assert [l.raw for l in lines] == ["Prix: 5 €, “quoted” text — fine.", "Deuxième source: très élevé."]
    for line in lines:  # the byte ranges are the lines' own bytes, read the same way
        assert data[line.byte_start : line.byte_end].decode(codec) == line.raw


@pytest.mark.parametrize("data", [b"PK\x03\x04\x00\x00binary", b"\x00\x01\x02\x03" * 10, b"text\x00with nul"])
def test_binary_files_are_refused(data):
    with pytest.raises(InputError, match="binary"):
        detect_encoding(data)


@pytest.mark.parametrize("where", [0, (1 << 20) - 1, 1 << 20, (1 << 20) + 7, -1])
@pytest.mark.parametrize("byte", [b"\x00", b"\x08", b"\x0c", b"\x0e", b"\x1a", b"\x1c", b"\x1f"])
def test_a_stray_control_byte_anywhere_in_a_large_file_is_text_and_noted(where, byte):
    # 1.5 MiB of text: the count goes slice by slice, and a slice boundary must not hide a byte.
    data = bytearray(b"Plain text line.\n" * 95000)
    data[where] = byte[0]
    for body in (bytes(data), codecs.BOM_UTF8 + bytes(data)):
        codec, _bom, notes = detect_encoding(body)
        assert codec == "utf-8" and notes == ["1 control byte(s) left out of the output"]


@pytest.mark.parametrize("data", [b"\x00\x00\x00\x00" + b"long text " * 1000, b"text\x00with nul", b"short \x01\x02 bytes",
                                  b"%PDF-1.7 looks like text at first"])
def test_nul_runs_a_high_share_of_control_bytes_or_a_binary_signature_are_binary(data):
    with pytest.raises(InputError, match="binary"):
        detect_encoding(data)


@pytest.mark.parametrize("byte", [b"\t", b"\x0b", b"\x0c", b"\r", b"\x1b"])
def test_text_control_bytes_are_not_binary(byte):
    assert detect_encoding(b"a line" + byte + b"and more\n" * 3)[0] == "utf-8"


def test_discover_sorted_recursive_skips_hidden_and_links(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".hidden.txt").write_text("h")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("x")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")
    found, skipped = discover(tmp_path)
    assert found == ["a.txt", "b/z.txt"]
    assert [s.path for s in skipped] == ["link.txt"]
    found, _ = discover(tmp_path, include=("*.txt",), follow_symlinks=True)
    assert found == ["a.txt", "b/z.txt", "link.txt"]
    found, _ = discover(tmp_path, include=("b/*",))
    assert found == ["b/z.txt"]


def test_read_document_reports_too_large(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 100)
    with pytest.raises(InputError, match="too large"):
        read_document(tmp_path, "big.txt", max_file_size=50)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_either_refused_or_mapped_exactly(data):
    """Property: whatever the bytes, decoding either refuses with InputError or yields lines whose
    byte ranges are in order, inside the file, and hold exactly the bytes the line decodes from."""
    try:
        codec, bom, _ = detect_encoding(data)
        lines = decode_lines(data, codec, bom)
    except InputError:
        return
    previous_end = bom
    errors = "surrogatepass" if codec.startswith(("utf-16", "utf-32")) else "surrogateescape"
    for line in lines:
        assert previous_end <= line.byte_start <= line.byte_end <= len(data)
        assert data[line.byte_start : line.byte_end].decode(codec, errors) == line.raw
        assert data[previous_end : line.byte_start].strip(b"\r\n\x00") == b"" or codec.startswith("utf-")
        previous_end = line.byte_end


@pytest.mark.parametrize(
    "text, codec",
    [
        ("Zażółć gęślą jaźń, to jest polski tekst testowy dla kodowania.", "cp1250"),
        ("Привет, как дела? Это тест кодировки для русского текста.", "cp1251"),
        ("Ελληνικά κείμενα για δοκιμή της κωδικοποίησης", "cp1253"),
    ],
)
def test_other_legacy_code_pages_are_not_forced_to_cp1252(text, codec):
    data = text.encode(codec)
    found, _bom, _notes = detect_encoding(data)
    assert data.decode(found) == text


def test_big5_punctuation_in_english_text_is_decoded_as_big5():
    """Some bench-text speeches carry their dashes and quotes as Big5 (b"\\xa1X" is an em dash)."""
    path = SHARED_BENCH_TEXT / "state_union" / "1970-Nixon.txt"
    codec, _bom, _notes = detect_encoding(path.read_bytes())
    text = path.read_bytes().decode(codec)
    assert codec == "big5" and "’" in text and "—" in text


needs_fadvise = pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="no posix_fadvise on this platform")


@needs_fadvise
def test_read_ahead_advises_regular_files_and_passes_over_the_rest(tmp_path):
    """Read-ahead is only a hint: a FIFO (opening it for reading could block), a folder, a file
    that vanished and a file over --max-file-size are passed over without error or delay."""
    from corpus_dedupe.reader import ReadAhead

    (tmp_path / "a.txt").write_bytes(b"one\n" * 100)
    (tmp_path / "b.txt").write_bytes(b"two\n" * 50)
    (tmp_path / "big.txt").write_bytes(b"x" * 5000)
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "pipe")
    paths = ["a.txt", "pipe", "folder", "gone.txt", "big.txt", "b.txt"]
    with ReadAhead(tmp_path, paths, max_file_size=4096) as read_ahead:
        assert read_ahead.finished.wait(10)
    assert (read_ahead.advised, read_ahead.advised_bytes) == (2, 600)


@needs_fadvise
def test_read_ahead_stays_within_its_window_and_stops_when_closed(tmp_path):
    """It never runs more than ``window`` bytes ahead of what was read, moves on as reading
    progresses, and closing it does not wait for the rest of the corpus."""
    import time

    from corpus_dedupe.reader import ReadAhead

    paths = []
    for n in range(10):
        (tmp_path / f"{n}.txt").write_bytes(b"x" * 1000)
        paths.append(f"{n}.txt")

    def settle(read_ahead: ReadAhead, expected: int) -> int:
        deadline = time.monotonic() + 10
        while read_ahead.advised < expected and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # would it go further?
        return read_ahead.advised

    read_ahead = ReadAhead(tmp_path, paths, max_file_size=1 << 20, window=2500).__enter__()
    try:
        assert settle(read_ahead, 3) == 3  # 3,000 bytes advised: over the window, it waits
        read_ahead.consumed(3000)
        assert settle(read_ahead, 6) == 6
    finally:
        read_ahead.close()
    assert read_ahead.advised == 6


# Pieces that make valid and invalid UTF-8 when run together: ASCII, characters of two, three and
# four bytes, a lone continuation byte, a lead byte without its continuation, an overlong form, an
# encoded surrogate and a code point above U+10FFFF.
_UTF8_PIECES = [b"a", b"plain text ", "é".encode(), "€".encode(), "𝄞".encode(), b"\x80", b"\xc3", b"\xe2\x82",
                b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf0"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_UTF8_PIECES), max_size=12), st.integers(1, 5), st.integers(0, 3))
@example([b"\xc3", b"a", b"\x80"], 1, 0)  # a lead byte, an ASCII slice, a continuation byte: not UTF-8
def test_utf8_validity_check_agrees_with_the_damage_count(pieces, slice_size, start):
    """The one-pass check that lets a valid file skip the damage count says "valid" exactly when
    the count finds no invalid byte, whatever the slicing (sequences cut by a slice boundary, a
    file ending inside a sequence, ASCII slices skipped while a sequence is pending)."""
    from corpus_dedupe import reader

    data = b"".join(pieces)
    saved = reader._SLICE
    reader._SLICE = slice_size
    try:
        assert reader._is_utf8(data, start) == (reader._utf8_damage(data, start)[0] == 0)
    finally:
        reader._SLICE = saved
    assert reader._is_utf8(data, start) == decodes_as_utf8(data[start:])


def test_files_with_invalid_utf8_still_report_how_many_bytes_were_replaced(tmp_path):
    text = "Valid “quoted” words — naïve café — then one bad byte: ".encode() + b"\xff" + " and a cut one: ".encode() + b"\xe2\x82"
    # Without a byte order mark the bytes are read in the code page that reads best (Windows-1252);
    # with one the file declares itself UTF-8, and they are damage.
    codec, _bom, notes = detect_encoding(text)
    assert codec == "utf-8+cp1252" and notes[0].startswith("mostly UTF-8: 3 byte(s) that are not UTF-8 read as cp1252")
    assert detect_encoding(codecs.BOM_UTF8 + text)[2] == ["3 invalid UTF-8 byte(s) replaced with U+FFFD"]
    assert detect_encoding(codecs.BOM_UTF8 + "“fine”".encode()) == ("utf-8", 3, [])
