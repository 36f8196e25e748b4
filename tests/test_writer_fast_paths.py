"""The provenance line written directly (writer._record_line) is the general JSON encoder's line."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings, strategies as st

from corpus_dedupe import writer
from corpus_dedupe.writer import json_text, manifest_entry_text
from corpus_dedupe.model import Decision, Paragraph, ParagraphRef

_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=40) | st.sampled_from(['say "hi"\\', "tab\there\nnew", "café “q” —", "\x00\x1f\x7f\u2028", "\udce9bad"])
_NAME = st.sampled_from(["doc.txt", "site/a b.txt", "caf\udce9.txt", 'q"uote.txt', "日本/記事.txt"])
_INT = st.integers(0, 10**12)
_SIM = st.one_of(st.none(), st.floats(0, 1), st.sampled_from([1.0, 0.0, 0.9876, 1e-05, 0.1 + 0.2]), st.just(float("nan")), st.integers(0, 1))
_REASONS = st.sampled_from(["empty", "boilerplate", "metadata", "exact_duplicate", "near_duplicate", "contained"])


@st.composite
def records(draw):
    source = draw(_NAME)
    p = Paragraph(source, draw(_INT), draw(_INT), draw(_INT), draw(_INT), draw(_INT), draw(_TEXT),
                  metadata=draw(st.one_of(st.none(), st.just({"date": "2026-02-02"}))))
    ref = draw(st.one_of(st.none(), st.builds(ParagraphRef, _NAME, _INT, _INT)))
    kept = draw(st.booleans())
    d = Decision(
        None if kept else draw(_REASONS),
        rule=draw(st.one_of(st.none(), st.just(""), st.sampled_from(["share.widget", "template.repeated_line"]))),
        duplicate_of=None if kept and draw(st.booleans()) else ref,
        similarity=draw(_SIM),
        variant_of=draw(st.one_of(st.none(), st.just(None), st.builds(ParagraphRef, _NAME, _INT, _INT))),
        differing_numbers=draw(st.one_of(st.none(), st.just([]), st.just(["12", "13"]))),
        template_documents=draw(st.one_of(st.none(), st.integers(0, 99))),
    )
    output = {"path": source, "lines": [draw(_INT), draw(_INT)]} if kept and draw(st.integers(0, 9)) else None
    return p, d, output


@given(records())
@settings(max_examples=600)
def test_record_line_is_the_encoder_line(record):
    p, d, output = record
    assert writer._record_line(p, d, output, writer._json_string(p.source)) == writer._COMPACT_JSON.encode(writer._record(p, d, output))


def test_common_records_take_the_direct_path_and_read_back():
    p = Paragraph("s/a.txt", 3, 7, 8, 100, 180, "He said “no” — twice.\tOK")
    keep = writer._record_line(p, Decision(None), {"path": "s/a.txt", "lines": [5, 6]}, writer._json_string(p.source))
    drop = writer._record_line(p, Decision("near_duplicate", duplicate_of=ParagraphRef("s/b.txt", 1, 2), similarity=0.9731),
                               None, writer._json_string(p.source))
    assert json.loads(keep)["output"] == {"path": "s/a.txt", "lines": [5, 6]}
    assert json.loads(drop) == {"source": "s/a.txt", "paragraph": 3, "lines": [7, 8], "bytes": [100, 180], "decision": "drop",
                                "reason": "near_duplicate", "duplicate_of": {"source": "s/b.txt", "paragraph": 1, "line": 2},
                                "similarity": 0.9731, "text": "He said “no” — twice.\tOK"}


def test_output_file_written_in_chunks_is_the_kept_paragraphs_and_its_digest(tmp_path, monkeypatch):
    """write_document gathers the output in chunks of about _WRITE_CHUNK_CHARS characters: with a
    chunk far smaller than the document (many writes, chunk edges inside and between paragraphs,
    non-ASCII text) the file is still the kept paragraphs with blank lines between them and a
    final newline, and the manifest entry's size and sha256 are the file's."""
    import hashlib

    monkeypatch.setattr(writer, "_WRITE_CHUNK_CHARS", 7)
    texts = ["Première ligne, café “crème”.", "dropped", "Second paragraph — with a dash.", "x", "日本語の段落。"]
    paragraphs = [Paragraph("s/doc.txt", i, i + 1, i + 1, 0, 1, t) for i, t in enumerate(texts)]
    decisions = [Decision(None), Decision("boilerplate", rule="share.widget"), Decision(None), Decision(None), Decision(None)]
    staging = tmp_path / "staging"
    staging.mkdir()
    written = writer.write_document(staging, tmp_path / "dst", writer.DocumentOutput("s/doc.txt", 10, "0" * 64, "utf-8", [], paragraphs, decisions))
    data = (staging / "s" / "doc.txt").read_bytes()
    kept = [t for t, d in zip(texts, decisions) if d.kept]
    assert data.decode("utf-8") == "\n\n".join(kept) + "\n"
    assert written.entry["output_bytes"] == len(data)
    assert written.entry["output_sha256"] == hashlib.sha256(data).hexdigest()


_JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**12), st.floats(allow_nan=False, allow_infinity=False), _TEXT,
              st.sampled_from(['"files": []', '\n  "files": []', "caf\udce9.txt"])),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["files", "path", "notes", "removed", "x\ny", '"q"']), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["version", "settings", "skipped", "totals", "files", "src", "a\nb"]), _JSON_VALUES, max_size=5),
       st.lists(st.dictionaries(st.sampled_from(["path", "notes", "removed", "metadata", "files", "output_path"]), _JSON_VALUES, max_size=5), max_size=4))
@settings(max_examples=300, deadline=None)
def test_manifest_with_entries_encoded_ahead_is_the_encoder_text(head, files):
    """manifest.json is written from entries encoded as the documents arrive; it must be the
    general encoder's text of the whole manifest, whatever the entries and the other keys hold
    (nested "files" keys, strings that look like the layout, lone surrogates, empty lists)."""
    manifest = {**head, "files": files}
    expected = writer.json_text(manifest, indent=2, sort_keys=False)
    written = io.StringIO()
    writer.write_manifest(written, manifest, (writer.manifest_entry_text(e) for e in files))
    assert written.getvalue() == expected


_entry_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _entry_values, max_size=6))
def test_a_manifest_entry_is_written_as_the_json_module_indents_it(entry):
    # manifest_entry_text takes orjson's path where it writes the same bytes; any text (lone
    # surrogates), number (past 64 bits, NaN) or nesting gives what json_text(indent=2) gives.
    expected = "    " + json_text(entry, indent=2, sort_keys=False).replace("\n", "\n    ")
    assert manifest_entry_text(entry) == expected
