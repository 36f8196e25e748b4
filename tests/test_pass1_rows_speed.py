"""The shortcuts taken for the per-document stages of many small documents (rows of a JSONL file)
give the results of the code they shortcut: a row's key is its Address's key."""

from __future__ import annotations

import json

from hypothesis import example, given, settings, strategies as st

from corpus_dedupe.formats import Address, RowInput, row_key


@given(st.one_of(st.none(), st.text(max_size=12), st.integers(), st.floats(allow_nan=True), st.booleans(),
                 st.lists(st.integers(), max_size=3)), st.integers(min_value=0, max_value=10**6))
@example("\ud800\u2028\x7f\"\\", 3)
@example(2**70, 1)
def test_row_key_is_the_address_key(ident, row):
    assert row_key("dir/a.jsonl", row, ident) == Address("dir/a.jsonl", row, ident).key
    expected = "" if ident is None else json.dumps(ident, ensure_ascii=False, separators=(",", ":"))
    assert row_key("dir/a.jsonl", row, ident) == f"dir/a.jsonl\0{row}\0{expected}"


def test_text_and_key_is_text_and_address():
    rows = [RowInput("a.jsonl", 0, raw=b'{"id": "x/1", "text": "Hello"}'), RowInput("a.jsonl", 1, raw=b'{"text": "Hi", "id": 7}'),
            RowInput("a.jsonl", 2, raw=b'{"text": "Hi", "id": [1]}'), RowInput("p.parquet", 3, text="T", id="é")]
    for row in rows:
        text, address = row.text_and_address("text", "id")
        assert row.text_and_key("text", "id") == (text, address.key)


def _control_notes_by_slices(data: bytes, start: int) -> list[str]:
    """reader._control_notes without its shortcut for small texts: the slices only."""
    from corpus_dedupe import reader

    stray = page = 0
    for pos in range(start, len(data), reader._SLICE):
        chunk = data[pos : pos + reader._SLICE]
        if len(chunk.translate(None, reader._CONTROL_BYTES)) == len(chunk):
            continue
        removed = len(chunk) - len(chunk.translate(None, reader._BINARY_CONTROL_BYTES))
        if removed:
            stray += removed
            if reader._NUL_RUN in data[max(start, pos - 3) : pos + reader._SLICE]:
                raise reader.InputError(reader._NOT_TEXT)
        page += len(chunk) - len(chunk.translate(None, reader._PAGE_CONTROL_BYTES))
    if stray * 100 > len(data) - start:
        raise reader.InputError(reader._NOT_TEXT)
    if data[start : start + 16].startswith(reader._BINARY_SIGNATURES):
        raise reader.InputError("binary file (starts with the signature of a binary format)")
    return [f"{stray + page} control byte(s) left out of the output"] if stray + page else []


_BYTE_PIECES = [b"text ", b"\n", b"\r\n", b"\x0c", b"\x0b", b"\x7f", b"\x00", b"\x00\x00\x00\x00", b"\x1c", b"\x1b", b"\x1f",
                b"\xef\xbb\xbf", b"\xff\xfe", b"%PDF-", b"PK\x03\x04", b"GIF89a", b"\x89PNG", b"caf\xc3\xa9 ", b"\t"]


@given(st.lists(st.sampled_from(_BYTE_PIECES), max_size=40).map(b"".join) | st.binary(max_size=200), st.sampled_from([0, 2, 3]))
@example(b"%PDF-1.4 text", 0)
@example(b"\xef\xbb\xbf%PDF-", 3)
def test_control_notes_of_a_small_text_are_those_of_the_slices(data, start):
    from corpus_dedupe.reader import InputError, _control_notes

    def outcome(function):
        try:
            return function(data, start)
        except InputError as exc:
            return str(exc)

    assert outcome(_control_notes) == outcome(_control_notes_by_slices)
