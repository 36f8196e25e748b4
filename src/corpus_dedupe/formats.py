"""Corpus formats: where a document lives (an :class:`Address`), how rows are read from JSONL and
Parquet files, and how the cleaned rows are written back in the same format.

A folder of text files has one document per file. A JSONL or Parquet file (a *container*) has one
document per row: the row's text field. Every stage downstream sees a document by a string key:
the file's relative path for a text file, and for a row the path, the row number and the row's
id joined by NUL characters (a byte no file name can hold, so a key is never ambiguous).
:class:`Address` turns keys into the fields the provenance map writes (``source``, ``row``,
``id``) and into the ``FILE:ROW_ID`` labels people type.

Row numbers count from 0 in the order the file holds its rows (blank JSONL lines are not rows).
Byte ranges of a row's paragraphs are offsets into the UTF-8 encoding of the row's text.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator, Protocol

FORMATS = ("txt", "jsonl", "parquet")
CONTAINER_FORMATS = ("jsonl", "parquet")
_SEP = "\0"

try:  # orjson parses a 330-byte row 3.3 times faster than json, writes it 1.6 times faster; json is the fallback
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the fallback keeps a broken install working
    orjson = None


class RowError(ValueError):
    """A row that cannot be cleaned (its text field is missing or not a string, the line is not
    JSON); the message is the problem, without the file and row (the caller adds them).
    ``id``: the row's id when it is known (a row with an id but no text)."""

    def __init__(self, message: str, id: Any = None) -> None:
        super().__init__(message)
        self.id = id


@dataclass(frozen=True, slots=True)
class Address:
    """Where a document is: a file (``row`` None), or a row of a JSONL or Parquet file, known by its
    number (from 0) and, when the row has one, its id.

    >>> a = Address("news/2026.jsonl", 3, "a-17")
    >>> Address.from_key(a.key) == a, a.label, a.fields()
    (True, 'news/2026.jsonl:a-17', {'source': 'news/2026.jsonl', 'row': 3, 'id': 'a-17'})
    >>> Address("b.txt").key, Address.from_key("b.txt").label, Address("c.jsonl", 5).label
    ('b.txt', 'b.txt', 'c.jsonl:5')
    """

    file: str
    row: int | None = None
    id: Any = None

    @property
    def key(self) -> str:
        if self.row is None:
            return self.file
        return row_key(self.file, self.row, self.id)

    @classmethod
    def from_key(cls, key: str) -> "Address":
        if _SEP not in key:
            return cls(key)
        file, row, ident = key.split(_SEP, 2)
        return cls(file, int(row), json.loads(ident) if ident else None)

    @property
    def label(self) -> str:
        """How a person names it: ``FILE``, ``FILE:ID``, or ``FILE:ROW`` for a row without an id."""
        if self.row is None:
            return self.file
        return f"{self.file}:{self.row if self.id is None else self.id}"

    @property
    def where(self) -> str:
        """For a message: ``FILE``, or ``FILE row N (id ID)``.

        >>> Address("a.jsonl", 4, "x").where, Address("a.jsonl", 4).where
        ('a.jsonl row 4 (id x)', 'a.jsonl row 4')
        """
        if self.row is None:
            return self.file
        return f"{self.file} row {self.row}" + ("" if self.id is None else f" (id {self.id})")

    def fields(self) -> dict:
        """The provenance fields that name it."""
        out: dict = {"source": self.file}
        if self.row is not None:
            out["row"] = self.row
            if self.id is not None:
                out["id"] = self.id
        return out


# json.dumps(value, ensure_ascii=False, separators=(",", ":")) builds a JSONEncoder with those
# arguments on every call; the encoder keeps nothing from one call to the next, so one built once
# gives the same text. For a string it is json's encode_basestring (the quoted, escaped string),
# for a plain int int.__repr__: what the encoder calls for them.
_ID_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_encode_string = json.encoder.encode_basestring


def row_key(file: str, row: int, ident: Any) -> str:
    """``Address(file, row, ident).key``, without building the Address: what pass 1 needs of
    every row. The id as ``json.dumps`` writes it (compact, non-ASCII kept), for the usual ids
    (strings, integers) without json.dumps's new encoder per call: with the frozen Address,
    3.5 of the 50 µs a 300-byte row cost.

    >>> row_key("a.jsonl", 3, "é/x").split("\\0"), row_key("a.jsonl", 4, 12).split("\\0"), row_key("a.jsonl", 5, None).split("\\0")
    (['a.jsonl', '3', '"é/x"'], ['a.jsonl', '4', '12'], ['a.jsonl', '5', ''])
    """
    if ident is None:
        text = ""
    elif type(ident) is str:
        text = _encode_string(ident)
    elif type(ident) is int:
        text = int.__repr__(ident)
    else:
        text = _ID_ENCODER.encode(ident)
    return f"{file}{_SEP}{row}{_SEP}{text}"


def is_row_key(key: str) -> bool:
    return _SEP in key


def file_of(key: str) -> str:
    """The file a document key is in (the key itself for a text file)."""
    return key.split(_SEP, 1)[0] if _SEP in key else key


def row_of(key: str) -> int | None:
    return int(key.split(_SEP, 2)[1]) if _SEP in key else None


def format_of(rel: str, forced: str | None = None) -> str:
    """The format a file is read as: ``forced`` (``--format``), else by its name.

    >>> [format_of(n) for n in ("a.txt", "b.jsonl", "c.JSONL.GZ", "d.jsonl.zst", "e.ndjson", "f.parquet", "g.json")]
    ['txt', 'jsonl', 'jsonl', 'jsonl', 'jsonl', 'parquet', 'txt']
    """
    if forced:
        return forced
    name = rel.lower()
    for suffix in (".gz", ".zst", ".zstd"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return "txt"


def compression_of(rel: str) -> str | None:
    """``gzip`` or ``zstd`` by the file's last suffix; None for an uncompressed file.

    >>> compression_of("a.jsonl.gz"), compression_of("a.jsonl.zst"), compression_of("a.jsonl")
    ('gzip', 'zstd', None)
    """
    name = rel.lower()
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith((".zst", ".zstd")):
        return "zstd"
    return None


# --------------------------------------------------------------------------------------------
# JSONL


def open_for_reading(path: str | os.PathLike, compression: str | None) -> BinaryIO:
    """The file's bytes, decompressed."""
    raw = open(path, "rb")
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)  # type: ignore[return-value]
    return raw


def jsonl_lines(path: str | os.PathLike, compression: str | None) -> Iterator[bytes]:
    """The rows of a JSONL file as raw lines (without the line break), blank lines left out."""
    with open_for_reading(path, compression) as handle:
        stream = io.BufferedReader(handle, 1 << 20) if compression else handle  # type: ignore[arg-type]
        for line in stream:
            if line.strip():
                yield line.rstrip(b"\r\n")


_LONG_NUMBER = re.compile(rb"\d{19}")
_DIGITS = b"0123456789"


def loads_row(raw: bytes) -> Any:
    """Parse one JSONL line. orjson first; json for what orjson refuses but JSON writers emit
    (lone surrogate escapes such as ``"\\ud800"``, NaN), and for a line with a run of 19 digits
    or more: orjson reads an integer past 64 bits as a float, which would change the field when
    the row is written back (a hypothesis test found -9223372036854775809 coming back as
    -9.223372036854776e+18).

    >>> loads_row(b'{"id": 18446744073709551616, "text": "x"}')["id"]
    18446744073709551616
    """
    # (A line with fewer than 19 digits in all has no such run: counting them is a C loop over
    # the bytes, the regex search cost a 330-byte row 63,000 instructions, 11% of its pass 1.)
    if orjson is not None and (len(raw) - len(raw.translate(None, _DIGITS)) < 19 or not _LONG_NUMBER.search(raw)):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RowError(f"not a valid JSON line ({getattr(exc, 'msg', None) or exc})") from None


def dumps_row(record: Any) -> bytes:
    """One JSONL line (with its line break): compact, non-ASCII as UTF-8, keys in their order."""
    if orjson is not None:
        try:
            return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # lone surrogates, NaN, big integers: the json module writes them
            pass
    from .writer import json_text

    return json_text(record, separators=(",", ":")).encode("utf-8") + b"\n"


def text_and_id(record: Any, text_field: str, id_field: str) -> tuple[str, Any]:
    """The text to clean and the id of a parsed row; RowError when there is no text to clean."""
    if not isinstance(record, dict):
        raise RowError(f"not a JSON object (a {type(record).__name__})")
    ident = record.get(id_field)
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        ident = None  # a row without a usable id is known by its number
    if text_field not in record:
        raise RowError(f"no field {text_field!r}", ident)
    text = record[text_field]
    if not isinstance(text, str):
        raise RowError(f"field {text_field!r} is not a string (it is {_json_type(text)})", ident)
    return text, ident


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


class JsonlWriter:
    """Writes rows to a JSONL file with the source's compression. gzip's header carries no time
    and no name, and zstd runs single-threaded at a fixed level, so the same rows give the same
    bytes."""

    def __init__(self, path: str | os.PathLike, compression: str | None) -> None:
        self._raw = open(path, "wb")
        if compression == "gzip":
            self._handle: Any = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        elif compression == "zstd":
            import zstandard

            self._handle = zstandard.ZstdCompressor(level=3).stream_writer(self._raw, closefd=False)
        else:
            self._handle = io.BufferedWriter(self._raw, 1 << 20)

    def write(self, line: bytes) -> None:
        self._handle.write(line)

    def close(self) -> None:
        self._handle.close()
        if not self._raw.closed:
            self._raw.close()

    def abort(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# --------------------------------------------------------------------------------------------
# Parquet


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise RowError(f"reading Parquet needs pyarrow ({exc})") from None
    return pyarrow


def parquet_rows(path: str | os.PathLike, text_field: str, id_field: str) -> Iterator[tuple[str | None, Any, str | None]]:
    """(text, id, problem) for each row of a Parquet file, reading only the text and id columns,
    a row group at a time. RowError when the file has no such text column or is not Parquet."""
    pf = _open_parquet(path, text_field)
    names = pf.schema_arrow.names
    columns = [text_field] + ([id_field] if id_field in names and id_field != text_field else [])
    for batch in pf.iter_batches(columns=columns, batch_size=8192):
        texts = batch.column(0).to_pylist()
        ids = batch.column(1).to_pylist() if batch.num_columns > 1 else [None] * len(texts)
        for text, ident in zip(texts, ids):
            if not isinstance(ident, (str, int)) or isinstance(ident, bool):
                ident = None
            if text is None:
                yield None, ident, f"field {text_field!r} is null"
            else:
                yield text, ident, None


def _open_parquet(path: str | os.PathLike, text_field: str):
    """The Parquet file at ``path``, checked to hold a string column ``text_field``; RowError
    (the problem) when it is not Parquet or has no such column."""
    pa = _pyarrow()
    try:
        pf = pa.parquet.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise RowError(f"not a readable Parquet file ({exc})") from None
    _check_text_column(pf, text_field)
    return pf


def _check_text_column(pf, text_field: str) -> None:
    pa = _pyarrow()
    names = pf.schema_arrow.names
    if text_field not in names:
        raise RowError(f"no column {text_field!r} (columns: {', '.join(names[:10])})")
    text_type = pf.schema_arrow.field(text_field).type
    if not (pa.types.is_string(text_type) or pa.types.is_large_string(text_type)):
        raise RowError(f"column {text_field!r} is not a string column (it is {text_type})")


def parquet_compression(path: str | os.PathLike) -> str:
    """The compression codec of the file's first column chunk (what the output is written with)."""
    pa = _pyarrow()
    meta = pa.parquet.ParquetFile(path).metadata
    if meta.num_row_groups and meta.num_columns:
        return meta.row_group(0).column(0).compression.lower()
    return "snappy"


def row_bytes(text: str) -> bytes:
    """The bytes a row's text is cleaned from, and that its byte ranges point into: its UTF-8
    encoding, with a lone surrogate (JSON allows ``"\\ud800"``; UTF-8 has no encoding for it) as
    U+FFFD.

    >>> row_bytes("café"), row_bytes("a\\ud800b")
    (b'caf\\xc3\\xa9', b'a\\xef\\xbf\\xbdb')
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class RowInput:
    """One row on its way to the per-document stages: a JSONL line still to be parsed (``raw``;
    the worker parses it, so parsing runs in parallel), or a Parquet row's text and id already
    read (``text``; ``problem`` when the row has none)."""

    file: str
    row: int
    raw: bytes | None = None
    text: str | None = None
    id: Any = None
    problem: str | None = None

    def __reduce__(self):  # the constructor's arguments: a third of a dataclass's default pickling time
        return (RowInput, (self.file, self.row, self.raw, self.text, self.id, self.problem))

    @property
    def size(self) -> int:
        return len(self.raw) if self.raw is not None else len(self.text or "")

    def text_and_id(self, text_field: str, id_field: str) -> tuple[str, Any]:
        """The row's text and id; RowError (the problem) when it has no text to clean."""
        if self.raw is not None:
            return text_and_id(loads_row(self.raw), text_field, id_field)
        if self.problem is not None or self.text is None:
            raise RowError(self.problem or f"field {text_field!r} is null", self.id)
        return self.text, self.id

    def text_and_address(self, text_field: str, id_field: str) -> tuple[str, Address]:
        text, ident = self.text_and_id(text_field, id_field)
        return text, Address(self.file, self.row, ident)

    def text_and_key(self, text_field: str, id_field: str) -> tuple[str, str]:
        """The text and the address's key without making the Address (see :func:`row_key`)."""
        text, ident = self.text_and_id(text_field, id_field)
        return text, row_key(self.file, self.row, ident)


@dataclass
class ContainerFacts:
    """What the run knows of a JSONL or Parquet file before its rows are read: its format and
    compression, its size and sha256 as stored, and its number of rows (for progress; for JSONL
    the number of line breaks)."""

    path: str
    format: str
    compression: str | None
    size: int
    sha256: str
    rows: int


def container_facts(root: str | os.PathLike, rel: str, fmt: str, text_field: str) -> ContainerFacts:
    """Read a container once whole: its hash, and a check that it decompresses (or that its
    Parquet footer reads), so that a damaged file is skipped with one line before any of its rows
    are used. RowError names the problem."""
    import hashlib

    path = os.path.join(root, rel)
    digest = hashlib.sha256()
    size = 0
    compression = compression_of(rel) if fmt == "jsonl" else None
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        if fmt == "parquet":
            rows = _open_parquet(path, text_field).metadata.num_rows
        else:
            rows = 0
            with open_for_reading(path, compression) as stream:
                while chunk := stream.read(1 << 20):
                    rows += chunk.count(b"\n")
    except RowError:
        raise
    except (OSError, EOFError, ValueError) as exc:  # gzip.BadGzipFile is an OSError; zstd raises ZstdError (a ValueError)
        what = f"{compression} data is damaged" if compression else "cannot read"
        raise RowError(f"{what} ({getattr(exc, 'strerror', None) or exc})") from None
    except Exception as exc:  # zstandard.ZstdError and the like
        raise RowError(f"{compression or 'file'} data is damaged ({exc})") from None
    return ContainerFacts(rel, fmt, compression, size, digest.hexdigest(), rows)


# --------------------------------------------------------------------------------------------
# The seam between formats and the run: a container format is a reader of its rows (RowInput,
# what the per-document stages take) and a writer of its output (RowWriter). Text files are the
# third format: reader.read_document and writer.write_document.


def _jsonl_inputs(path: str, facts: ContainerFacts, text_field: str, id_field: str) -> Iterator[RowInput]:
    for row, raw in enumerate(jsonl_lines(path, facts.compression)):
        yield RowInput(facts.path, row, raw=raw)  # parsed in the worker


def _parquet_inputs(path: str, facts: ContainerFacts, text_field: str, id_field: str) -> Iterator[RowInput]:
    for row, (text, ident, problem) in enumerate(parquet_rows(path, text_field, id_field)):
        yield RowInput(facts.path, row, text=text, id=ident, problem=problem)


class RowWriter(Protocol):
    """Writes a container's output from its source, row by row in order: :meth:`put` writes
    source row ``row`` with ``text`` as its text field (None: the row as it was; ``line``: that
    row already rendered in the format, by the worker that cleaned it); source rows
    never put are left out, except that :meth:`finish` writes the rows after the last one put
    as they were when ``keep_rest``. ``rows_read``: source rows gone through so far."""

    rows_read: int

    def put(self, row: int, text: str | None, line: bytes | None = None) -> None: ...

    def finish(self, keep_rest: bool) -> None: ...

    def abort(self) -> None: ...


class JsonlRowWriter:
    """A JSONL output: the source is read again line by line alongside (a row's other fields do
    not travel through the stages), each row written keeps every field, the text replaced."""

    def __init__(self, src_path: str, out_path: str, compression: str | None, text_field: str) -> None:
        self._source = jsonl_lines(src_path, compression)
        self._src_path, self._text_field = src_path, text_field
        self._out = JsonlWriter(out_path, compression)
        self.rows_read = 0

    def _next_source_row(self) -> bytes:
        try:
            raw = next(self._source)
        except StopIteration:
            raise RowError(f"{self._src_path}: has fewer rows than when it was read (changed during the run?)") from None
        self.rows_read += 1
        return raw

    def put(self, row: int, text: str | None, line: bytes | None = None) -> None:
        while self.rows_read < row:
            self._next_source_row()
        raw = self._next_source_row()
        if line is not None:  # rendered by the worker, from the same source line
            self._out.write(line)
        elif text is None:
            self._out.write(raw + b"\n")
        else:
            record = loads_row(raw)
            record[self._text_field] = text
            self._out.write(dumps_row(record))

    def finish(self, keep_rest: bool) -> None:
        for raw in self._source:
            self.rows_read += 1
            if keep_rest:
                self._out.write(raw + b"\n")
        self._out.close()

    def abort(self) -> None:
        self._out.abort()


class ParquetRowWriter:
    """A Parquet output, written a row group at a time: the rows put are held until the source
    row group they belong to is complete, then that group is read, the rows taken, their text
    replaced and written as one row group of the output (left out when none of its rows is
    written). Every other column, the schema and its metadata are the source's, and so is the
    compression. Memory: one row group, never the file."""

    def __init__(self, src_path: str, out_path: str, compression: str | None, text_field: str) -> None:
        pa = _pyarrow()
        self._pa = pa
        self._source = pa.parquet.ParquetFile(src_path)
        self._schema = self._source.schema_arrow
        self._index = self._schema.get_field_index(text_field)
        self._out = pa.parquet.ParquetWriter(out_path, self._schema, compression=parquet_compression(src_path))
        self._group = 0  # the source row group being gathered
        self._group_start = 0
        self._group_end = self._rows_in(0)
        self._rows: list[int] = []
        self._texts: list[str | None] = []
        self.rows_read = 0

    def _rows_in(self, group: int) -> int:
        meta = self._source.metadata
        return self._group_start + meta.row_group(group).num_rows if group < meta.num_row_groups else self._group_start

    def _write_group(self) -> None:
        """Write the gathered rows of the current source row group, and move to the next."""
        pa = self._pa
        if self._rows:
            table = self._source.read_row_group(self._group)
            table = table.take(pa.array([row - self._group_start for row in self._rows], type=pa.int64()))
            column = table.column(self._index).to_pylist()
            merged = [old if new is None else new for old, new in zip(column, self._texts)]
            field = self._schema.field(self._index)
            self._out.write_table(table.set_column(self._index, field, pa.array(merged, type=field.type)))
        self._rows, self._texts = [], []
        self._group += 1
        self._group_start = self._group_end
        self._group_end = self._rows_in(self._group)

    def put(self, row: int, text: str | None, line: bytes | None = None) -> None:
        while row >= self._group_end and self._group < self._source.metadata.num_row_groups:
            self._write_group()
        self._rows.append(row)
        self._texts.append(text)
        self.rows_read = row + 1

    def finish(self, keep_rest: bool) -> None:
        n_rows = self._source.metadata.num_rows
        if keep_rest:
            for row in range(self.rows_read, n_rows):
                self.put(row, None)
        while self._group < self._source.metadata.num_row_groups:
            self._write_group()
        self.rows_read = n_rows
        self._out.close()

    def abort(self) -> None:
        try:
            self._out.close()
        except Exception:
            pass


ROW_FORMATS: dict[str, tuple] = {  # format: (its rows as RowInputs, its RowWriter)
    "jsonl": (_jsonl_inputs, JsonlRowWriter),
    "parquet": (_parquet_inputs, ParquetRowWriter),
}


def row_inputs(root: str | os.PathLike, facts: ContainerFacts, text_field: str, id_field: str) -> Iterator[RowInput]:
    """The rows of a container, in order, as the workers take them."""
    return ROW_FORMATS[facts.format][0](os.path.join(root, facts.path), facts, text_field, id_field)


def row_writer(facts: ContainerFacts, src_path: str, out_path: str, text_field: str) -> RowWriter:
    """The writer of a container's output (see :class:`RowWriter`)."""
    return ROW_FORMATS[facts.format][1](src_path, out_path, facts.compression, text_field)


@dataclass
class CorpusInputs:
    """What a run reads, in corpus order: the files under ``root`` (a folder SRC, or the folder
    holding a single-file SRC), each read by its format; text files are one document each,
    containers (``containers``) one document per row."""

    root: str
    paths: list[str]
    formats: dict[str, str]
    containers: dict[str, ContainerFacts]
    sizes: dict[str, int] | None = None  # of the files, as found (None: not known)

    @property
    def text_files(self) -> list[str]:
        return [p for p in self.paths if self.formats[p] == "txt"]

    @property
    def documents_expected(self) -> int:
        return len(self.text_files) + sum(facts.rows for facts in self.containers.values())

    def items(self, text_field: str, id_field: str) -> Iterator[str | RowInput]:
        """Every document to clean, in corpus order: a text file's relative path, or a row."""
        for rel in self.paths:
            if self.formats[rel] == "txt":
                yield rel
            elif rel in self.containers:
                yield from row_inputs(self.root, self.containers[rel], text_field, id_field)


def discover_inputs(src: str | os.PathLike, forced_format: str | None, text_field: str, include: tuple[str, ...] = (),
                    follow_symlinks: bool = False) -> tuple[CorpusInputs, list]:
    """The inputs of a run from SRC (a folder, or one file), and the files passed over (a
    container that cannot be read is passed over here, with the problem)."""
    from .model import Skipped
    from .reader import discover

    src = os.fspath(src)
    skipped: list = []
    sizes: dict[str, int] = {}
    if os.path.isfile(src):
        root, paths = os.path.dirname(os.path.abspath(src)), [os.path.basename(src)]
        sizes[paths[0]] = os.path.getsize(src)
    else:
        root = src
        paths, skipped = discover(src, include, follow_symlinks, sizes)
    formats = {rel: format_of(rel, forced_format) for rel in paths}
    containers: dict[str, ContainerFacts] = {}
    for rel in paths:
        if formats[rel] in CONTAINER_FORMATS:
            try:
                containers[rel] = container_facts(root, rel, formats[rel], text_field)
            except RowError as exc:
                skipped.append(Skipped(rel, str(exc)))
    return CorpusInputs(root, paths, formats, containers, sizes), skipped
