"""Property tests of the row formats' parsers (hypothesis): what a JSONL row or an address
becomes when written and read back."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from corpus_dedupe.formats import Address, RowError, dumps_row, loads_row, row_bytes, text_and_id

# JSON values as JSONL writers emit them: strings with any code point but lone surrogates,
# integers of any size, finite floats, nested lists and objects.
_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4), max_leaves=12)
_records = st.dictionaries(_text, _values, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_records)
def test_a_row_written_and_read_back_is_the_same_record(record):
    line = dumps_row(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one row, one line, whatever the text holds
    assert loads_row(line.rstrip(b"\n")) == record
    assert json.loads(line) == record  # any JSON reader reads it the same


@settings(max_examples=200, deadline=None)
@given(_records, _text, _values)
def test_the_text_field_is_taken_only_when_it_is_a_string(record, field, value):
    record = {**record, field: value}
    if isinstance(value, str):
        assert text_and_id(record, field, "id")[0] == value
    else:
        try:
            text_and_id(record, field, "id")
        except RowError as exc:
            assert repr(field) in str(exc)  # the message names the field
        else:
            raise AssertionError("a text field that is not a string was taken")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: "\0" not in s), st.none() | st.integers(min_value=0, max_value=10**9),
       st.none() | st.integers() | _text)
def test_an_address_survives_its_key(file, row, ident):
    address = Address(file, row, ident if row is not None else None)
    assert Address.from_key(address.key) == address
    assert ("\0" in address.key) == (row is not None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_rows_bytes_are_utf8_of_its_text_with_lone_surrogates_replaced(text):
    data = row_bytes(text)
    decoded = data.decode("utf-8")  # always valid UTF-8
    assert len(decoded) == len(text)
    assert all(a == b or (0xD800 <= ord(a) <= 0xDFFF and b == "\ufffd") for a, b in zip(text, decoded))


_SENTENCES = [
    "The council approved the new budget after a long debate on Tuesday evening.",
    "Officials said the bridge would stay closed for at least a month while engineers checked it.",
    "Heavy rain flooded the lower streets of the old town overnight.",
    "Share this article",
    "The school will reopen on Monday after repairs to its roof were finished.",
    "Fishermen rescued all forty passengers when the ferry sank at dawn.",
]
_documents = st.lists(st.lists(st.sampled_from(_SENTENCES), min_size=1, max_size=4).map("\n\n".join), min_size=1, max_size=6)


@settings(max_examples=15, deadline=None)
@given(_documents)
def test_rows_get_the_decisions_of_the_same_texts_as_files(tmp_path_factory, texts):
    from corpus_dedupe import dedupe

    root = tmp_path_factory.mktemp("rows")
    folder = root / "folder"
    folder.mkdir()
    names = [f"{i:02d}.txt" for i in range(len(texts))]
    for name, text in zip(names, texts):
        (folder / name).write_text(text + "\n", encoding="utf-8")
    (root / "rows.jsonl").write_text("".join(json.dumps({"id": n, "text": t}) + "\n" for n, t in zip(names, texts)), encoding="utf-8")
    dedupe(folder, root / "out-folder", jobs=1)
    dedupe(root / "rows.jsonl", root / "out-rows", jobs=1, keep_empty_rows=True)
    rows = [json.loads(line) for line in (root / "out-rows" / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    for name, row in zip(names, rows):
        out = root / "out-folder" / name
        assert row["id"] == name
        assert row["text"] == (out.read_text(encoding="utf-8").removesuffix("\n") if out.exists() else "")
