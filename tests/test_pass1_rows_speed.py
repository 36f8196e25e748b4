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
