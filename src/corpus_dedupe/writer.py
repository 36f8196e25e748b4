"""Write the clean corpus and its provenance map, atomically.

Everything is written into a staging folder next to DST (same file system, so the final move is a
rename). Only when the staging folder is complete (every file written and flushed to disk) does it
replace DST: an interrupted run leaves either the previous output or nothing, never a half-written
DST. What a killed run leaves next to DST (a staging folder, a spill file, the previous output
renamed away in the instant between the two renames of the swap) carries the process id in its
name; the next run for the same DST removes it, or puts the previous output back, once that
process is gone.

A write that fails (disk full, permission denied, name too long) raises :class:`OSError` whose
``filename`` is the file as it would appear in DST, so the message names the file a person knows.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import math
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .formats import Address, ContainerFacts, RowWriter, file_of, is_row_key, parquet_compression, row_of, row_writer
from .model import Decision, Paragraph

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - a dependency; the json module writes the same
    _orjson = None

META_DIR = ".dedupe"
PROVENANCE = "provenance.jsonl"
MANIFEST = "manifest.json"
RUN = "run.json"
_STAGING_TAG = ".dedupe-staging-"
_OLD_TAG = ".dedupe-old-"
_SPILL_TAG = ".dedupe-spill-"
_SHUFFLE_TAG = ".dedupe-shuffle-"


def spill_path(dst: Path) -> Path:
    """Where a run keeps its paragraphs between the two passes: next to DST, removed at the end
    (and by the next run, if this one was killed)."""
    dst = dst.absolute()
    return dst.parent / f".{dst.name}{_SPILL_TAG}{os.getpid()}"


def shuffle_path(dst: Path) -> Path:
    """Where a run on the Ray engine keeps the files of its candidate search (shuffle.py): next
    to DST like the spill file, removed at the end (and by the next run, if this one was killed)."""
    dst = dst.absolute()
    return dst.parent / f".{dst.name}{_SHUFFLE_TAG}{os.getpid()}"


class DestinationError(Exception):
    """DST cannot be used (inside SRC, not a previous output, ...)."""


def check_destination(src: Path, dst: Path, force: bool) -> None:
    """Refuse destinations that would damage SRC or overwrite something that is not ours.

    Once DST is known to be safe, what killed runs left next to it is tidied up
    (:func:`recover_leftovers`), so that a previous output renamed away by a run killed in the
    middle of its swap counts as the previous output again.
    """
    src_r, dst_r = src.resolve(), dst.resolve()
    if not src_r.is_dir() and not src_r.is_file():
        raise DestinationError(f"{src}: SRC is not a folder or a file")
    if dst_r == src_r:
        raise DestinationError(f"{dst}: DST is the same folder as SRC")
    if src_r.is_dir() and dst_r.is_relative_to(src_r):
        raise DestinationError(f"{dst}: DST is inside SRC")
    if src_r.is_relative_to(dst_r):
        raise DestinationError(f"{dst}: SRC is inside DST (replacing DST would delete SRC)")
    if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
        raise DestinationError(f"{dst}: DST exists and is not a folder")
    recover_leftovers(dst)
    if dst.is_dir() and any(dst.iterdir()) and not (dst / META_DIR / MANIFEST).is_file() and not force:
        raise DestinationError(
            f"{dst}: DST is not empty and is not a previous dedupe output (use --force to replace it)"
        )
    previous_src = _previous_src(dst)
    if previous_src is not None and previous_src != os.fsdecode(src_r) and not force:
        # `dedupe seeds/ out` after `dedupe corpus/ out` would silently replace the clean output
        # of another corpus, perhaps hours of work.
        raise DestinationError(f"{dst}: DST is the output of another SRC ({previous_src}); use --force to replace it")


def _previous_src(dst: Path) -> str | None:
    """The SRC a previous run wrote ``dst`` from, as its ``run.json`` records it (None when there
    is no such record: not an output, or one written before the record was kept)."""
    try:
        facts = json.loads((dst / META_DIR / RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    previous = facts.get("src") if isinstance(facts, dict) else None
    return previous if isinstance(previous, str) else None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _leftovers(dst: Path) -> Iterator[tuple[Path, str, int]]:
    """(path, tag, pid) of the staging folders, spill files and renamed-away outputs of runs
    writing to ``dst`` (this process included)."""
    parent = dst.parent
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        for tag in (_STAGING_TAG, _OLD_TAG, _SPILL_TAG, _SHUFFLE_TAG):
            prefix = f".{dst.name}{tag}"
            rest = entry.name[len(prefix) :]
            if entry.name.startswith(prefix) and rest.isdigit():
                yield Path(entry.path), tag, int(rest)


def recover_leftovers(dst: Path) -> None:
    """Undo what runs killed while writing ``dst`` left behind: when DST is missing and a killed
    run had renamed the previous output away (it died between the two renames of the swap), that
    output is renamed back to DST; staging folders, spill files and old outputs of runs that are no
    longer running are removed. Leftovers of a run still in progress (its process is alive) are
    not touched."""
    dst = dst.absolute()
    stale = [(path, tag, pid) for path, tag, pid in _leftovers(dst) if (pid == os.getpid() and tag != _SPILL_TAG) or not _pid_alive(pid)]
    if not os.path.lexists(dst):
        olds = sorted(path for path, tag, _pid in stale if tag == _OLD_TAG and (path / META_DIR / MANIFEST).is_file())
        if olds:
            os.rename(olds[-1], dst)
            stale = [item for item in stale if item[0] != olds[-1]]
    for path, tag, _pid in stale:
        if tag == _SPILL_TAG:
            try:
                path.unlink()
            except OSError:
                pass
        else:
            remove_tree(path)


@dataclass
class DocumentOutput:
    """What the writer needs of one processed source file."""

    path: str
    size: int
    sha256: str
    encoding: str
    notes: list[str]
    paragraphs: list[Paragraph]
    decisions: list[Decision]
    metadata: dict = field(default_factory=dict)
    encoding_confidence: float = 1.0
    output_row: int | None = None  # a row's place in its output file (None: a file, or a row not written)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder for every provenance line
_json_string = json.encoder.encode_basestring  # how _COMPACT_JSON writes a str (ensure_ascii=False)


def json_text(data, **options) -> str:
    """``json.dumps(data, ensure_ascii=False)``, except that lone surrogates are written as
    ``\\udcXX`` escapes. A file name that is not valid UTF-8 reaches Python as a str holding
    lone surrogates (one per undecodable byte); written raw it cannot be encoded as UTF-8, escaped
    it is valid UTF-8 JSON that ``json.loads`` turns back into the same str, hence
    ``os.fsencode`` into the same bytes.

    >>> json_text({"source": "caf\\udce9.txt", "text": "café"})
    '{"source": "caf\\\\udce9.txt", "text": "café"}'
    >>> json.loads(json_text("caf\\udce9.txt")) == "caf\\udce9.txt"
    True
    """
    if options == {"separators": (",", ":")}:
        text = _COMPACT_JSON.encode(data)  # json.dumps would build an encoder per call
    else:
        text = json.dumps(data, ensure_ascii=False, **options)
    return _escape_lone_surrogates(text)


def _escape_lone_surrogates(text: str) -> str:
    """Lone surrogates written as ``\\udcXX`` escapes; ASCII text (a flag, no scan) has none."""
    if text.isascii() or not _LONE_SURROGATE.search(text):
        return text
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _LazyPath:
    """``Path(folder) / name`` for an error message, joined only if an error needs it."""

    __slots__ = ("folder", "name")

    def __init__(self, folder: Path | str, name: str) -> None:
        self.folder, self.name = folder, name

    def __str__(self) -> str:
        return os.path.join(self.folder, self.name)


class WriteError(OSError):
    """A failed write, with ``filename`` the file as it would appear in DST."""


@contextmanager
def _naming(path: Path | str) -> Iterator[None]:
    """Give an OSError raised inside the block ``path`` as its file name (a failed write() has
    none; a failed open() names the staging copy, which a person never sees). The innermost
    block names it."""
    try:
        yield
    except WriteError:
        raise
    except OSError as exc:
        raise WriteError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def source_fields_json(key: str) -> str:
    """The provenance fields naming a document, as JSON inside a record: ``"a.txt"`` for a file,
    ``"b.jsonl","row":3,"id":"x"`` for a row (what follows ``"source":``)."""
    if "\0" not in key:
        return _json_string(key)
    file, row, ident = key.split("\0", 2)  # the id is JSON already (formats.Address.key)
    return f'{_json_string(file)},"row":{row},"id":{ident}' if ident else f'{_json_string(file)},"row":{row}'


def _record(p: Paragraph, d: Decision, output: dict | None) -> dict:
    rec: dict = {
        **(Address.from_key(p.source).fields() if is_row_key(p.source) else {"source": p.source}),
        "paragraph": p.index,
        "lines": [p.first_line, p.last_line],
        "bytes": [p.byte_start, p.byte_end],
        "decision": "keep" if d.kept else "drop",
    }
    if not d.kept:
        rec["reason"] = d.reason
    if d.rule:
        rec["rule"] = d.rule
    if d.duplicate_of is not None:
        rec["duplicate_of"] = d.duplicate_of.as_json()
    if d.variant_of is not None:
        rec["variant_of"] = d.variant_of.as_json()
    if d.differing_numbers:
        rec["differing_numbers"] = d.differing_numbers
    if d.similarity is not None:
        rec["similarity"] = d.similarity
    if d.template_documents is not None:
        rec["template_documents"] = d.template_documents
    if d.evidence:
        rec["evidence"] = d.evidence
    if p.metadata:
        rec["metadata"] = p.metadata
    if d.kept:
        rec["output"] = output
    else:
        rec["text"] = p.text
    return rec


def _record_line(p: Paragraph, d: Decision, output: dict | None, source_json: str) -> str:
    """``_COMPACT_JSON.encode(_record(p, d, output))``, written directly for the records nearly
    every paragraph gets (kept with its output lines; removed with reason, rule, the paragraph it
    duplicates, similarity and text). The general encoder walks a dict per paragraph and checks
    each value's type: 8.7 µs a record on the 200 MB benchmark corpus, 3.8 s of the write stage.
    Strings are escaped by the same function the encoder uses (``ensure_ascii=False``), numbers
    formatted as it formats them (``int.__str__``, ``float.__repr__``); records with rarer fields
    (variants, differing numbers, template counts, metadata) go through the encoder.
    ``source_json``: ``p.source`` already encoded (the same for a whole document).
    tests/test_writer_fast_paths.py compares both on generated records."""
    if (d.variant_of is not None or d.differing_numbers or d.template_documents is not None or p.metadata or d.evidence
            or (d.duplicate_of is not None and d.duplicate_of.batch is not None)):
        return _COMPACT_JSON.encode(_record(p, d, output))
    head = f'{{"source":{source_json},"paragraph":{p.index},"lines":[{p.first_line},{p.last_line}],"bytes":[{p.byte_start},{p.byte_end}],"decision":'
    if d.reason is None:
        if d.rule or d.duplicate_of is not None or d.similarity is not None or output is None:
            return _COMPACT_JSON.encode(_record(p, d, output))
        lines = output["lines"]
        row = f',"row":{output["row"]}' if "row" in output else ""
        return f'{head}"keep","output":{{"path":{_json_string(output["path"])}{row},"lines":[{lines[0]},{lines[1]}]}}}}'
    parts = [head, '"drop","reason":', _json_string(d.reason)]
    if d.rule:
        parts += [',"rule":', _json_string(d.rule)]
    if d.duplicate_of is not None:
        ref = d.duplicate_of
        parts += [',"duplicate_of":{"source":', source_fields_json(ref.source), f',"paragraph":{ref.index},"line":{ref.first_line}}}']
    if d.similarity is not None:
        parts += [',"similarity":', _json_number(d.similarity)]
    parts += [',"text":', _json_string(p.text), "}"]
    return "".join(parts)


def _json_number(x: float | int) -> str:
    return float.__repr__(x) if isinstance(x, float) and math.isfinite(x) else _COMPACT_JSON.encode(x)


def render_document(doc: DocumentOutput) -> tuple[str, list[dict | None]]:
    """The output text of one document (kept paragraphs, a blank line between them, a final
    newline; "" when nothing is kept) and, per paragraph, its output line range or None."""
    ranges = output_ranges(doc)
    return "".join(_output_pieces(doc)), ranges


_WRITE_CHUNK_CHARS = 1 << 20


def output_ranges(doc: DocumentOutput) -> list[dict | None]:
    """Per paragraph of ``doc``, its output line range (``{"path", "lines"}``; for a row
    ``{"path", "row", "lines"}``, lines of the row's text) or None."""
    ranges: list[dict | None] = []
    line = 1
    row = is_row_key(doc.path)
    path = file_of(doc.path) if row else doc.path
    for p, d in zip(doc.paragraphs, doc.decisions):
        if not d.kept:
            ranges.append(None)
            continue
        n_lines = p.text.count("\n") + 1
        if row:
            ranges.append({"path": path, "row": doc.output_row, "lines": [line, line + n_lines - 1]})
        else:
            ranges.append({"path": path, "lines": [line, line + n_lines - 1]})
        line += n_lines + 1
    return ranges


def _output_pieces(doc: DocumentOutput) -> Iterator[str]:
    """The output text of ``doc`` in pieces (so a big document is never one more copy in memory):
    the kept paragraphs with a blank line between them, then a final newline."""
    first = True
    for p, d in zip(doc.paragraphs, doc.decisions):
        if d.kept:
            if not first:
                yield "\n\n"
            yield p.text
            first = False
    if not first:
        yield "\n"


def _output_chunks(doc: DocumentOutput) -> Iterator[str]:
    """:func:`_output_pieces` gathered into chunks of about ``_WRITE_CHUNK_CHARS`` characters: one
    write (and one digest update) for most documents, and a big one is still never held whole a
    second time."""
    pending: list[str] = []
    pending_chars = 0
    for piece in _output_pieces(doc):
        pending.append(piece)
        pending_chars += len(piece)
        if pending_chars >= _WRITE_CHUNK_CHARS:
            yield "".join(pending)
            pending, pending_chars = [], 0
    if pending:
        yield "".join(pending)


@dataclass
class WrittenDocument:
    """What writing one document produced: its manifest entry and its provenance lines. Made by
    :func:`write_document` (in a worker when there are several), gathered by :func:`write_corpus`."""

    entry: dict
    provenance: bytes  # UTF-8, encoded where it was rendered (the main process only writes it)
    # The entry as manifest.json holds it (:func:`manifest_entry_text`), also encoded where it was
    # rendered: the indenting JSON encoder is Python code, and in the write stage the main process
    # is what the workers wait for (see :func:`write_corpus`).
    entry_text: str
    orphan_headings: int = 0
    row_text: str | None = None  # a row's cleaned text (None: a file, or a row with nothing kept)


@dataclass
class WrittenRows:
    """Consecutive rows of one JSONL or Parquet file rendered together (in a worker when there
    are several): their provenance lines, their cleaned texts (None: nothing kept) and their
    counts, one object per batch of rows: the main process, which writes the container, handles
    one object per 256 rows instead of one per row."""

    file: str
    rows: list[int] = field(default_factory=list)
    texts: list[str | None] = field(default_factory=list)
    lines: list[bytes | None] = field(default_factory=list)  # a JSONL row's output line, rendered with its text (None: not rendered)
    provenance: list[bytes] = field(default_factory=list)
    paragraphs: int = 0
    kept: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    row_notes: list[dict] = field(default_factory=list)
    orphan_headings: int = 0

    def add(self, key: str, written: WrittenDocument, orphan_headings: int, line: bytes | None = None) -> None:
        entry = written.entry
        self.rows.append(row_of(key))
        self.texts.append(written.row_text)
        self.lines.append(line)
        self.provenance.append(written.provenance)
        self.paragraphs += entry["paragraphs"]
        self.kept += entry["kept"]
        for reason, count in entry["removed"].items():
            self.removed[reason] = self.removed.get(reason, 0) + count
        if entry.get("notes"):
            fields = Address.from_key(key).fields()
            fields.pop("source")
            self.row_notes.append({**fields, "notes": entry["notes"]})
        self.orphan_headings += orphan_headings


def _provenance_bytes(doc: DocumentOutput, ranges: list[dict | None]) -> tuple[bytes, dict[str, int]]:
    """The provenance lines of ``doc``, UTF-8, and its removed paragraphs by reason."""
    removed: dict[str, int] = {}
    lines = []
    source, source_fields = None, ""
    for p, d, rng in zip(doc.paragraphs, doc.decisions, ranges):
        if p.source is not source:  # once per document: its paragraphs share one source string
            source, source_fields = p.source, source_fields_json(p.source)
        lines.append(_record_line(p, d, rng, source_fields))
        if not d.kept:
            removed[d.reason] = removed.get(d.reason, 0) + 1
    lines.append("")
    provenance = "\n".join(lines)
    try:
        # Strict UTF-8 refuses lone surrogates: a text it encodes has none to escape (most do, and
        # are not scanned for them: 0.5 CPU-s of the write stage at 200 MB).
        return provenance.encode("utf-8"), removed
    except UnicodeEncodeError:
        return _escape_lone_surrogates(provenance).encode("utf-8"), removed  # as json_text does


def render_row(doc: DocumentOutput) -> WrittenDocument:
    """A row's cleaned text (its kept paragraphs with a blank line between them, no final line
    break: a field, not a file) and its provenance lines; the container it belongs to is written
    by :class:`ContainerOutputs`, in the main process."""
    ranges = output_ranges(doc)
    provenance, removed = _provenance_bytes(doc, ranges)
    kept = sum(1 for d in doc.decisions if d.kept)
    entry: dict = {"paragraphs": len(doc.paragraphs), "kept": kept, "removed": dict(sorted(removed.items()))}
    if doc.notes:
        entry["notes"] = doc.notes
    text = "".join(_output_pieces(doc))[:-1] if kept else None
    return WrittenDocument(entry, provenance, "", row_text=text)


def write_document(staging: Path, dst: Path, doc: DocumentOutput, folders: set[str] | None = None) -> WrittenDocument:
    """Write the output file of ``doc`` into the staging folder and render its provenance lines.
    A failure is an OSError naming the file as it would appear in DST. ``folders``: staging
    folders known to exist (filled in here), so that a batch of documents does not check the
    same folder again and again."""
    ranges = output_ranges(doc)
    entry: dict = {
        "path": doc.path,
        "encoding": doc.encoding,
        "encoding_confidence": doc.encoding_confidence,
        "input_bytes": doc.size,
        "input_sha256": doc.sha256,
    }
    if doc.notes:
        entry["notes"] = doc.notes
    kept = sum(1 for d in doc.decisions if d.kept)
    if kept:
        # Plain strings, not Path objects: pathlib's joins and hashing cost 0.6 s of the write
        # stage at 200 MB (18,000 files).
        out_path = os.path.join(staging, doc.path)
        parent = os.path.dirname(out_path)
        digest, size = hashlib.sha256(), 0
        with _naming(_LazyPath(dst, doc.path)):
            if folders is None or parent not in folders:
                _make_folders(Path(parent))
                if folders is not None:
                    folders.add(parent)
            with open(out_path, "wb") as handle:
                for chunk in _output_chunks(doc):
                    data = chunk.encode("utf-8")
                    handle.write(data)
                    digest.update(data)
                    size += len(data)
        entry["output_path"] = doc.path
        entry["output_bytes"] = size
        entry["output_sha256"] = digest.hexdigest()
    else:
        entry["output_path"] = None
        entry["output_bytes"] = 0
    provenance_bytes, removed = _provenance_bytes(doc, ranges)
    entry["paragraphs"] = len(doc.paragraphs)
    entry["kept"] = kept
    entry["removed"] = dict(sorted(removed.items()))
    if doc.metadata:
        entry["metadata"] = doc.metadata
    return WrittenDocument(entry, provenance_bytes, manifest_entry_text(entry))


class _ContainerOutput:
    """The output file of one JSONL or Parquet file, written as its rows come in order through
    the format's :class:`~corpus_dedupe.formats.RowWriter`. A source row that no document stands
    for could not be cleaned (it is in the manifest's skipped list): it is left out, or with
    ``keep_empty`` written as it was, so that every source row has its output row."""

    def __init__(self, root: str, facts: ContainerFacts, staging: Path, dst: Path, text_field: str, keep_empty: bool) -> None:
        self.facts, self.keep_empty = facts, keep_empty
        self.src_path = os.path.join(root, facts.path)
        self.out_path = os.path.join(staging, facts.path)
        self.shown_as = _LazyPath(dst, facts.path)
        self.next_row = self.rows_written = self.documents = self.paragraphs = self.kept = 0
        self.removed: dict[str, int] = {}
        self.row_notes: list[dict] = []
        with _naming(self.shown_as):
            _make_folders(Path(self.out_path).parent)
            self.writer: RowWriter = row_writer(facts, self.src_path, self.out_path, text_field)

    def _put(self, row: int, text: str | None, line: bytes | None = None) -> None:
        self.writer.put(row, text, line)
        self.rows_written += 1

    def add(self, written: WrittenRows) -> None:
        with _naming(self.shown_as):
            for row, text, line in zip(written.rows, written.texts, written.lines):
                if self.keep_empty:
                    for skipped in range(self.next_row, row):  # rows that could not be read, as they were
                        self._put(skipped, None)
                if text is not None or self.keep_empty:
                    self._put(row, text or "", line)
                self.next_row = row + 1
        self.documents += len(written.rows)
        self.paragraphs += written.paragraphs
        self.kept += written.kept
        for reason, count in written.removed.items():
            self.removed[reason] = self.removed.get(reason, 0) + count
        self.row_notes += written.row_notes

    def finish(self) -> dict:
        """Write the rest and close; the container's manifest entry."""
        with _naming(self.shown_as):
            before = self.writer.rows_read
            self.writer.finish(keep_rest=self.keep_empty)
            if self.keep_empty:
                self.rows_written += self.writer.rows_read - before
            digest, size = hashlib.sha256(), 0
            with open(self.out_path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        rows = self.writer.rows_read
        entry: dict = {
            "path": self.facts.path,
            "format": self.facts.format,
            "compression": self.facts.compression if self.facts.format == "jsonl" else parquet_compression(self.src_path),
            "input_bytes": self.facts.size,
            "input_sha256": self.facts.sha256,
            "rows": rows,
            "rows_skipped": rows - self.documents,
            "rows_written": self.rows_written,
            "output_path": self.facts.path,
            "output_bytes": size,
            "output_sha256": digest.hexdigest(),
            "paragraphs": self.paragraphs,
            "kept": self.kept,
            "removed": dict(sorted(self.removed.items())),
        }
        if self.row_notes:
            entry["row_notes"] = self.row_notes
        return entry

    def abort(self) -> None:
        self.writer.abort()


class ContainerOutputs:
    """Writes the output files of a run's JSONL and Parquet files from their rows, which come in
    corpus order (all rows of one file, then the next file's): one file open at a time."""

    def __init__(self, root: str | Path, facts: dict[str, ContainerFacts], text_field: str, keep_empty: bool) -> None:
        self.root, self.facts, self.text_field, self.keep_empty = str(root), facts, text_field, keep_empty
        self.current: _ContainerOutput | None = None
        self.entries: dict[str, dict] = {}

    def add(self, staging: Path, dst: Path, written: WrittenRows) -> None:
        if self.current is None or self.current.facts.path != written.file:
            self._finish_current()
            self.current = _ContainerOutput(self.root, self.facts[written.file], staging, dst, self.text_field, self.keep_empty)
        self.current.add(written)

    def _finish_current(self) -> None:
        if self.current is not None:
            self.entries[self.current.facts.path] = self.current.finish()
            self.current = None

    def finish(self, staging: Path, dst: Path) -> list[dict]:
        """Every container's manifest entry (a container none of whose rows could be cleaned gets
        its output too: empty, or its rows as they were with ``keep_empty``)."""
        self._finish_current()
        for path, facts in self.facts.items():
            if path not in self.entries:
                self.entries[path] = _ContainerOutput(self.root, facts, staging, dst, self.text_field, self.keep_empty).finish()
        return [self.entries[path] for path in sorted(self.entries)]

    def abort(self) -> None:
        if self.current is not None:
            self.current.abort()


def staging_path(dst: Path) -> Path:
    """The folder a run writes into before it is swapped into place as DST."""
    dst = dst.absolute()
    return dst.parent / f".{dst.name}{_STAGING_TAG}{os.getpid()}"


_PROVENANCE_BUFFER = 4 << 20


def write_corpus(
    dst: Path,
    documents: Callable[[Path], Iterable[WrittenDocument | WrittenRows]],
    manifest_head: Callable[[], dict],
    run_facts: Callable[[], dict],
    skipped: list[dict],
    containers: ContainerOutputs | None = None,
) -> dict:
    """Write DST atomically; returns the manifest that was written, without its "files" entries
    (one per file of the corpus: they go to the manifest from a spool file, and are read back
    from it where needed). ``documents(staging)`` writes
    the documents' output files into the staging folder (see :func:`write_document`) and yields
    what each produced, in order; ``manifest_head`` and ``run_facts`` are called after the last
    document, so that they can report what writing counted. On any failure (an OSError naming the
    file, an interrupt) the staging folder is removed and DST is left as it was."""
    dst = dst.absolute()
    with _naming(dst.parent):
        _make_folders(dst.parent)
    recover_leftovers(dst)  # staging folders, spill files and old outputs left by killed runs
    staging = staging_path(dst)
    with _naming(staging):
        staging.mkdir()
    written_documents = None
    try:
        meta = staging / META_DIR
        meta.mkdir()
        entries = _ManifestEntries(staging)
        totals: dict = {"files": 0, "files_written": 0, "paragraphs": 0, "kept": 0, "removed": {}, "input_bytes": 0, "output_bytes": 0}
        written_documents = iter(documents(staging))
        # Provenance is gathered into writes of 4 MiB, not written document by document: each
        # write lets go of the interpreter lock, which the thread receiving the workers' results
        # then holds for up to 5 ms. On the 200 MB benchmark corpus the 18,000 writes took 1.37 s
        # of this thread's time (0.52 s of CPU); buffered, 0.36 s.
        with _naming(dst / META_DIR / PROVENANCE), open(meta / PROVENANCE, "wb", buffering=_PROVENANCE_BUFFER) as prov:
            for written in written_documents:
                if isinstance(written, WrittenRows):
                    prov.write(b"".join(written.provenance))
                    containers.add(staging, dst, written)  # type: ignore[union-attr]
                    continue
                entry = written.entry
                prov.write(written.provenance)
                entries.add(entry["path"], written.entry_text)
                totals["files"] += 1
                if entry["output_path"] is not None:
                    totals["files_written"] += 1
                totals["output_bytes"] += entry["output_bytes"]
                totals["paragraphs"] += entry["paragraphs"]
                totals["kept"] += entry["kept"]
                totals["input_bytes"] += entry["input_bytes"]
                for reason, count in entry["removed"].items():
                    totals["removed"][reason] = totals["removed"].get(reason, 0) + count
        by_path = False
        if containers is not None and containers.facts:
            for entry in containers.finish(staging, dst):
                entries.add(entry["path"], manifest_entry_text(entry))
                totals["files"] += 1
                totals["files_written"] += 1
                for name in ("output_bytes", "paragraphs", "kept", "input_bytes"):
                    totals[name] += entry[name]
                for name in ("rows", "rows_written", "rows_skipped"):
                    totals[name] = totals.get(name, 0) + entry[name]
                for reason, count in entry["removed"].items():
                    totals["removed"][reason] = totals["removed"].get(reason, 0) + count
            by_path = True  # corpus order: by path (the containers' entries come last)
        totals["removed"] = dict(sorted(totals["removed"].items()))
        totals["skipped"] = sum(1 for s in skipped if "row" not in s)  # files (skipped rows: totals.rows_skipped)
        manifest = manifest_head()
        manifest["totals"] = totals
        manifest["files"] = []
        manifest["skipped"] = skipped
        with _naming(dst / META_DIR / MANIFEST), open(meta / MANIFEST, "w", encoding="utf-8", newline="\n") as handle:
            write_manifest(handle, manifest, entries.texts(by_path))
            handle.write("\n")
        entries.close()
        del manifest["files"]
        with _naming(dst / META_DIR / RUN):
            _write_json(meta / RUN, run_facts())
        _flush_to_disk(staging, dst)
        _swap_into_place(staging, dst)
        return manifest
    except BaseException:
        # Stop whatever still writes into the staging folder (pool workers) before removing it.
        close = getattr(written_documents, "close", None)
        if close is not None:
            close()
        if containers is not None:
            containers.abort()
        remove_tree(staging)
        raise


def _same_in_orjson(value) -> bool:
    """Whether orjson writes ``value`` as the json module does (numbers are where they differ).
    A loop over a stack, strings passed over first: a manifest entry holds a dozen values, mostly
    strings, and one generator per dict and list cost a file of 300 bytes about 10 µs."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            continue
        if isinstance(item, float):
            if not (math.isfinite(item) and "e" not in float.__repr__(item)):
                return False
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int) and not isinstance(item, bool):
            if not -(1 << 63) <= item < (1 << 64):
                return False
    return True


def manifest_entry_text(entry: dict) -> str:
    """One entry of the manifest's "files" list as :func:`write_manifest` places it: indented as
    ``json_text(manifest, indent=2)`` indents the list's items (a JSON text holds no raw line
    break, so every line break is one of the layout's).

    orjson writes the same text (compared on the 100,000 entries of the small-document benchmark
    and on empty containers, floats, non-ASCII) in 0.8 µs instead of the json module's 9.6 µs; a
    file of 300 bytes costs its worker about 80 µs in all. What orjson writes differently or not
    at all goes through json: a float that is not finite (orjson writes null) or that Python
    writes with an exponent (6.103515625e-05; orjson writes 0.00006103515625: found by the
    property test in tests/test_writer_fast_paths.py), a lone surrogate (a file name that is not
    UTF-8), an integer past 64 bits.

    >>> print(manifest_entry_text({"path": "a.txt", "removed": {}, "notes": ["x"], "confidence": 0.5}))
        {
          "path": "a.txt",
          "removed": {},
          "notes": [
            "x"
          ],
          "confidence": 0.5
        }
    """
    if _orjson is not None and _same_in_orjson(entry):
        try:
            return "    " + _orjson.dumps(entry, option=_orjson.OPT_INDENT_2).decode("utf-8").replace("\n", "\n    ")
        except TypeError:
            pass
    return "    " + json_text(entry, indent=2, sort_keys=False).replace("\n", "\n    ")


def write_manifest(handle, manifest: dict, file_texts: Iterable[str]) -> None:
    """Write ``json_text(manifest, indent=2, sort_keys=False)`` to ``handle`` for a manifest whose
    "files" entries were encoded already, one by one as the documents were written
    (:func:`manifest_entry_text`), and come from ``file_texts`` in order, not from memory. The JSON
    encoder with indentation is Python code, 0.23 s for the 18,000 entries of the 200 MB benchmark
    corpus, which would otherwise run after the last document, on one core. The rest is encoded
    with an empty list, whose top-level line is then replaced (a key's line at the top level is
    the only one indented by two spaces)."""
    text = json_text({**manifest, "files": []}, indent=2, sort_keys=False)
    empty = '\n  "files": []'
    at = text.index(empty)
    handle.write(text[:at])
    separator = '\n  "files": [\n'
    for entry_text in file_texts:
        handle.write(separator)
        handle.write(entry_text)
        separator = ",\n"
    handle.write(empty if separator != ",\n" else "\n  ]")
    handle.write(text[at + len(empty):])


class _ManifestEntries:
    """The manifest's "files" entries, encoded, kept in an unnamed file in the staging folder as
    they come instead of in memory (about 2 KB a file with the entry's dict: 200 MB for the
    96,677 files of the 1 GB benchmark corpus, the driver's largest holding in its writing
    stage); only each entry's path and place stay here."""

    def __init__(self, folder: Path) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile(dir=folder)
        self._paths: list[str] = []
        self._ends: list[int] = []
        self._end = 0

    def add(self, path: str, entry_text: str) -> None:
        data = entry_text.encode("utf-8", "surrogatepass")
        self._file.write(data)
        self._end += len(data)
        self._paths.append(path)
        self._ends.append(self._end)

    def texts(self, by_path: bool) -> Iterator[str]:
        """The entries in the order they came, or sorted by path (stably)."""
        self._file.flush()
        starts = [0] + self._ends[:-1]
        order = sorted(range(len(self._paths)), key=self._paths.__getitem__) if by_path else range(len(self._paths))
        fd = self._file.fileno()
        for i in order:
            yield os.pread(fd, self._ends[i] - starts[i], starts[i]).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._file.close()


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(json_text(data, indent=2, sort_keys=False))
        handle.write("\n")


def _flush_to_disk(root: Path, shown_as: Path) -> None:
    """Make everything written under ``root`` durable before it is swapped into place.

    On Linux one ``syncfs`` flushes the file system that holds ``root``: one journal commit
    instead of one ``fsync`` per file (1,844 files: 0.03 s instead of 0.45 s on this machine's
    ext4). Where ``syncfs`` is missing, each file and folder is flushed in turn."""
    syncfs = _syncfs()
    if syncfs is None:
        _fsync_tree(root, shown_as)
        return
    with _naming(shown_as):
        fd = os.open(root, os.O_RDONLY)
        try:
            if syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
        finally:
            os.close(fd)


def _syncfs():
    """libc's ``syncfs``, or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


def _fsync_tree(root: Path, shown_as: Path) -> None:
    """Flush every file and folder of ``root`` to disk (a failure names the file as in DST)."""
    for path, rel, is_dir in _walk(root):
        with _naming(shown_as / rel if rel else shown_as):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            except OSError as exc:
                if not is_dir or exc.errno not in (errno.EINVAL, errno.EBADF):  # folders: best effort
                    raise
            finally:
                os.close(fd)


def _walk(root: Path) -> Iterator[tuple[str, str, bool]]:
    """Every file and folder under ``root`` (``root`` first, then depth first, a folder before
    its contents), as (path, path relative to ``root``, is a folder), without recursion (the tree
    can be thousands of folders deep) and without following symbolic links."""
    stack = [(str(root), "")]
    while stack:
        folder, rel_folder = stack.pop()
        yield folder, rel_folder, True
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel))
                else:
                    yield entry.path, rel, False


def remove_tree(root: Path) -> None:
    """Remove ``root`` and everything under it, as well as can be (errors are ignored, like
    ``shutil.rmtree(ignore_errors=True)``, whose recursion a 2,000-folder-deep tree exceeds)."""
    if not os.path.lexists(root):
        return
    if os.path.islink(root) or not os.path.isdir(root):
        try:
            os.unlink(root)
        except OSError:
            pass
        return
    folders: list[str] = []
    try:
        for path, _rel, is_dir in _walk(root):
            if is_dir:
                folders.append(path)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    except OSError:
        pass
    for folder in reversed(folders):  # deepest first
        try:
            os.rmdir(folder)
        except OSError:
            pass


def _make_folders(folder: Path) -> None:
    """``folder.mkdir(parents=True, exist_ok=True)`` without recursion."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            pass


@contextmanager
def _interrupts_deferred() -> Iterator[list[int]]:
    """Hold back Ctrl-C (SIGINT) for the few system calls of the swap, so that it cannot land
    between the two renames; the signals received are listed. Only the main thread can set
    signal handlers; elsewhere this does nothing."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield received
    finally:
        signal.signal(signal.SIGINT, previous)


def _swap_into_place(staging: Path, dst: Path) -> None:
    """Replace DST by the finished staging folder: the previous output is renamed away first, the
    new one renamed in, then the old one removed. A Ctrl-C during the swap is held back and then
    ignored: once the new output is complete, finishing the swap is the quickest way to a
    consistent DST, and the run ends normally. A kill (SIGKILL, power loss) between the two
    renames leaves DST missing and the previous output next to it, which the next run puts back
    (:func:`recover_leftovers`)."""
    old = None
    with _interrupts_deferred():
        if dst.exists():
            old = dst.parent / f".{dst.name}{_OLD_TAG}{os.getpid()}"
            with _naming(dst):
                os.rename(dst, old)
        try:
            with _naming(dst):
                os.rename(staging, dst)
        except BaseException:
            if old is not None:
                os.rename(old, dst)
            raise
        _fsync_folder(dst.parent)
        if old is not None:
            remove_tree(old)


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
