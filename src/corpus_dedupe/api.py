"""The Python API: the run the ``dedupe`` command makes, as functions that return data and never
print.

``dedupe(src, dst, **options)`` cleans a folder or a JSONL or Parquet file into DST, exactly as ``dedupe SRC DST`` does
(the command calls :func:`run`, the same code); ``dedupe_records(records, **options)`` cleans
documents already in memory, one dict each, and gives back the cleaned dicts with what was
removed from each. The options are the command's, as keyword arguments with underscores
(``near_threshold=0.85``, ``pages="aggressive"``, ``include=["*.txt"]``); see docs/api.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Iterable

from .formats import dumps_row, jsonl_lines, loads_row
from .model import Skipped
from .writer import MANIFEST, META_DIR, PROVENANCE
from .settings import Settings, parse_encoding_option


@dataclass(frozen=True)
class Summary:
    """What a run wrote: the totals ``dedupe`` prints, the files it skipped and why, and the
    whole manifest (``DST/.dedupe/manifest.json``) for the rest."""

    dst: Path
    files: int
    paragraphs: int
    kept: int
    removed: dict[str, int]  # paragraphs removed, by reason
    input_bytes: int
    output_bytes: int
    seconds: float
    skipped: list[Skipped] = field(default_factory=list)
    totals: dict = field(default_factory=dict, repr=False)  # the manifest's "totals" (rows read, written, skipped...)

    @property
    def manifest(self) -> dict:
        """The whole manifest, read from ``DST/.dedupe/manifest.json`` when asked: the run does
        not keep its per-file entries in memory (a corpus of a million files has a million)."""
        return json.loads((Path(self.dst) / META_DIR / MANIFEST).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RemovedParagraph:
    """A paragraph taken out of a record: its text, why (``reason`` and ``rule`` as in the
    provenance map) and, for a duplicate, the record and paragraph it repeats (``duplicate_of``:
    ``(record index, paragraph index)``)."""

    paragraph: int
    text: str
    reason: str
    rule: str | None = None
    duplicate_of: tuple[int, int] | None = None
    similarity: float | None = None


@dataclass(frozen=True)
class CleanedRecord:
    """One record after cleaning: ``record`` is a copy of the input dict with its text field
    replaced by the cleaned text; ``index`` is its position in the input; ``removed`` lists the
    paragraphs taken out of it, in order."""

    index: int
    record: dict
    removed: list[RemovedParagraph]


def settings_from_options(options: dict[str, Any]) -> Settings:
    """The validated :class:`Settings` for keyword options named as the command's long options
    (``near_threshold``, ``pages``, ``include``...). Lists are accepted where the command repeats
    an option; ``encodings`` takes ``"GLOB=CODEC"`` or ``"CODEC"`` strings, as ``--encoding``
    does. An unknown name is a TypeError; a value out of range a SettingsError (a ValueError).

    >>> settings_from_options({"near_threshold": 0.85, "include": ["*.txt"]}).include
    ('*.txt',)
    >>> settings_from_options({"near_treshold": 0.85})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: unknown option 'near_treshold' (known: include, format, text_field, id_field, keep_empty_rows, ...)
    """
    known = [f.name for f in fields(Settings)]
    for name in options:
        if name not in known:
            raise TypeError(f"unknown option {name!r} (known: {', '.join(known)})")
    values = dict(options)
    if "include" in values:
        values["include"] = tuple([values["include"]] if isinstance(values["include"], str) else values["include"])
    if "encodings" in values:
        given = [values["encodings"]] if isinstance(values["encodings"], str) else values["encodings"]
        values["encodings"] = tuple(parse_encoding_option(e) if isinstance(e, str) else tuple(e) for e in given)
    for name in ("rules_file", "page_model"):
        if values.get(name) is not None:
            values[name] = os.fspath(values[name])
    return Settings(**values)


def run(src: str | os.PathLike, dst: str | os.PathLike, settings: Settings, force: bool = False,
        progress: Callable | None = None, index: str | os.PathLike | None = None) -> Summary:
    """The run with settings already validated (the ``dedupe`` command calls this)."""
    from .pipeline import run as run_pipeline  # numpy and the stages load on first use

    result = run_pipeline(Path(src), Path(dst), settings, force=force, progress=progress, index=Path(index) if index is not None else None)
    totals = result.manifest["totals"]
    return Summary(result.dst, totals["files"], totals["paragraphs"], totals["kept"], dict(totals["removed"]),
                   totals["input_bytes"], totals["output_bytes"], result.seconds, list(result.skipped), totals)


def dedupe(src: str | os.PathLike, dst: str | os.PathLike, *, force: bool = False, index: str | os.PathLike | None = None,
           **options: Any) -> Summary:
    """Clean ``src`` (a folder, or a JSONL or Parquet file) into ``dst``, as ``dedupe SRC DST`` does, and
    return the summary.

    ``dst`` is written atomically (nothing half-written is left behind on an error) and ``src``
    is never modified; ``force=True`` replaces a non-empty ``dst`` that is not a previous output.
    ``index``: an index folder for incremental runs (docs/incremental.md): ``src`` is decided as
    the batch after those indexed there, then added to it.
    Errors raise: SettingsError (a ValueError) for an option out of range, RulesError or
    PageModelError for a bad rules or model file, DestinationError for a ``dst`` that cannot be
    used, InputError when ``src`` cannot be read. A file that cannot be read is skipped and
    listed in ``summary.skipped``.

    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "src").mkdir()
    >>> _ = (root / "src" / "a.txt").write_text("The ferry sank at dawn and all forty passengers were rescued by fishermen.\\n")
    >>> _ = (root / "src" / "b.txt").write_text("The ferry sank at dawn and all forty passengers were rescued by fishermen.\\n")
    >>> summary = dedupe(root / "src", root / "out", jobs=1)
    >>> summary.files, summary.kept, summary.removed
    (2, 1, {'exact_duplicate': 1})

    A JSONL file (or Parquet) comes out as the same file, each row's text cleaned:

    >>> import json
    >>> rows = [{"id": "a", "text": "The ferry sank at dawn and all forty passengers were rescued by fishermen.\\n\\nIt was raining."},
    ...         {"id": "b", "text": "The ferry sank at dawn and all forty passengers were rescued by fishermen."}]
    >>> _ = (root / "rows.jsonl").write_text("".join(json.dumps(r) + "\\n" for r in rows))
    >>> summary = dedupe(root / "rows.jsonl", root / "rows-out", jobs=1, keep_empty_rows=True)
    >>> [json.loads(line) for line in open(root / "rows-out" / "rows.jsonl")]
    [{'id': 'a', 'text': 'The ferry sank at dawn and all forty passengers were rescued by fishermen.\\n\\nIt was raining.'}, {'id': 'b', 'text': ''}]
    """
    return run(src, dst, settings_from_options(options), force=force, index=index)


def dedupe_records(records: Iterable[dict], text_field: str = "text", keep_empty: bool = False,
                   **options: Any) -> list[CleanedRecord]:
    """Clean documents held in memory: each record a dict whose ``text_field`` is a document.

    Returns the records in their order, each a :class:`CleanedRecord` with a copy of the dict
    whose text is the cleaned text and the paragraphs removed from it; a record whose whole text
    was removed is left out unless ``keep_empty`` (then with empty text). The decisions are those
    of a folder run with one file per record, in the records' order: a paragraph repeated in a
    later record is removed there, and its ``duplicate_of`` names the earlier record. A record
    whose text field is missing or not a string raises ValueError naming its index, before
    anything runs. The texts go through a run over a temporary JSONL file, as ``dedupe`` would
    clean a JSONL file of them (one row per record), so memory holds the records given and the
    cleaned copies.

    >>> out = dedupe_records([
    ...     {"id": "a", "text": "Officials said the bridge would stay closed for at least a month while engineers checked it."},
    ...     {"id": "b", "text": "Officials said the bridge would stay closed for at least a month while engineers checked it.\\n\\nTraffic was diverted."},
    ... ], jobs=1)
    >>> [(r.index, r.record["id"], r.record["text"]) for r in out]
    [(0, 'a', 'Officials said the bridge would stay closed for at least a month while engineers checked it.'), (1, 'b', 'Traffic was diverted.')]
    >>> out[1].removed[0].reason, out[1].removed[0].duplicate_of
    ('exact_duplicate', (0, 0))
    """
    rows = list(records)
    for index, record in enumerate(rows):
        if not isinstance(record, dict) or not isinstance(record.get(text_field), str):
            raise ValueError(f"record {index}: field {text_field!r} is missing or not a string")
    settings = settings_from_options({**options, "text_field": "text", "id_field": "id", "keep_empty_rows": True, "format": None})
    # Only the texts go through the run (as rows of a JSONL file, known by their number): the
    # other fields stay in memory as they are, whatever their types.
    with tempfile.TemporaryDirectory(prefix="corpus-dedupe-records-") as tmp:
        src, dst = Path(tmp) / "records.jsonl", Path(tmp) / "dst"
        with open(src, "wb") as handle:
            for record in rows:
                handle.write(dumps_row({"text": record[text_field]}))
        run(src, dst, settings)
        removed: dict[int, list[RemovedParagraph]] = {index: [] for index in range(len(rows))}
        with open(dst / META_DIR / PROVENANCE, "rb") as f:
            for line in f:
                rec = loads_row(line)
                if rec.get("decision") != "drop":
                    continue
                twin = rec.get("duplicate_of")
                removed[rec["row"]].append(RemovedParagraph(
                    rec["paragraph"], rec.get("text", ""), rec["reason"], rec.get("rule"),
                    (twin["row"], twin["paragraph"]) if twin else None, rec.get("similarity")))
        texts = [loads_row(line)["text"] for line in jsonl_lines(dst / "records.jsonl", None)]
    cleaned: list[CleanedRecord] = []
    for index, (record, text) in enumerate(zip(rows, texts)):
        if text or keep_empty:
            cleaned.append(CleanedRecord(index, {**record, text_field: text}, removed[index]))
    return cleaned
