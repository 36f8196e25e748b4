"""Read a finished run back from DST and answer a person's questions about it.

Three questions, one function each; none of them prints (the CLI and the HTML report render what
they return):

* :func:`report_data` -- what did the run remove, by reason and rule, from which files, and which
  paragraphs were copied most;
* :func:`explain_data` -- every paragraph of one source file (or the one at a line) with its
  decision and, for a copy or a variant, its twin and a word-level diff;
* :func:`verify` -- does the provenance map still account for every byte of SRC, and is every
  output file exactly its kept paragraphs.

Everything is read from ``DST/.dedupe/manifest.json``, ``DST/.dedupe/provenance.jsonl`` and the
output files. Provenance stores the text of removed paragraphs only; the text of a kept paragraph
is read from its output file (``output.lines``), or rebuilt from SRC when SRC is given.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein

from .accounting import byte_coverage_problems
from .formats import (Address, ContainerFacts, RowError, compression_of, file_of, format_of, is_row_key, jsonl_lines, loads_row,
                      row_bytes, row_inputs)
from .model import DUPLICATE_REASONS, Decision, Paragraph
from .codepage import C1_TO_REPLACEMENT, c1_bytes_are_undefined
from .normalise import repair_text
from .reader import InputError, decide_encoding, discover, forced_codec, sha256_hex
from .settings import parse_encoding_option
from .segment import join_wrapped
from .writer import MANIFEST, META_DIR, PROVENANCE, DocumentOutput, render_document

_REQUIRED_FIELDS = ("source", "paragraph", "lines", "bytes", "decision")


class AuditError(Exception):
    """DST (or an argument) cannot be audited at all; the message is one line naming the file."""


# --------------------------------------------------------------------------------------------
# Loading a run


@dataclass
class RunData:
    """A finished run read back from DST: the manifest, the provenance records, and indexes."""

    dst: Path
    manifest: dict
    records: list[dict]
    problems: list[str] = field(default_factory=list)  # damaged provenance lines (see load_run)
    by_key: dict[tuple[str, int], dict] = field(default_factory=dict)
    by_source: dict[str, list[dict]] = field(default_factory=dict)
    _output_cache: dict[str, list[str] | None] = field(default_factory=dict, repr=False)
    _row_cache: dict[str, list | None] = field(default_factory=dict, repr=False)
    _entries: dict | None = field(default=None, repr=False)

    @property
    def provenance_path(self) -> Path:
        return self.dst / META_DIR / PROVENANCE

    @property
    def files(self) -> list[dict]:
        return self.manifest.get("files", [])

    def file_entry(self, source: str) -> dict | None:
        """The manifest entry of a file (for a row's key: of the file holding it)."""
        if self._entries is None:
            self._entries = {f.get("path"): f for f in self.files if isinstance(f, dict)}
        return self._entries.get(file_of(source))

    def output_row_text(self, rel: str, row: int) -> str | None:
        """The text field of row ``row`` of the output file ``DST/rel`` (None when missing)."""
        if rel not in self._row_cache:
            self._row_cache[rel] = read_row_texts(self.dst / rel, self.manifest.get("parameters", {}).get("text_field", "text"),
                                                  (self.file_entry(rel) or {}).get("format"))
        texts = self._row_cache[rel]
        return texts[row] if texts is not None and 0 <= row < len(texts) and isinstance(texts[row], str) else None

    def output_lines(self, rel: str) -> list[str] | None:
        """Lines of the output file ``DST/rel`` (None when it is missing or unreadable)."""
        if rel not in self._output_cache:
            try:
                self._output_cache[rel] = (self.dst / rel).read_text(encoding="utf-8").split("\n")
            except (OSError, UnicodeDecodeError):
                self._output_cache[rel] = None
        return self._output_cache[rel]

    def text_of(self, rec: dict, src: Path | None = None) -> str | None:
        """The (normalised) text of a paragraph: stored for a removed one; for a kept one read
        from its output file, or rebuilt from SRC when the output cannot be read and ``src`` is
        given. None when neither is possible."""
        if rec.get("decision") != "keep":
            return rec.get("text")
        out = rec.get("output") or {}
        if "row" in out:
            text = self.output_row_text(out["path"], out["row"]) if out.get("path") else None
            lines = text.split("\n") if text is not None else None
        else:
            lines = self.output_lines(out["path"]) if out.get("path") else None
        if lines is not None:
            first, last = out.get("lines", [0, 0])
            if 1 <= first <= last <= len(lines):
                return "\n".join(lines[first - 1 : last])
        if src is not None:
            entry = self.file_entry(rec["source"])
            try:
                if "row" in rec:
                    data = source_row_bytes(src, rec["source"], rec["row"], entry or {}, self.manifest.get("parameters", {}))
                else:
                    data = (src / rec["source"]).read_bytes()
            except (OSError, RowError):
                return None
            if entry is not None:
                start, end = rec["bytes"]
                return paragraph_text_from_source(data, entry.get("encoding", "utf-8"), start, end)
        return None


def load_run(dst: Path, tolerate_damage: bool = False) -> RunData:
    """Read DST/.dedupe/. Raises :class:`AuditError` when DST is not a dedupe output or its
    manifest cannot be read. A damaged provenance line (truncated, edited) raises too, unless
    ``tolerate_damage`` (used by :func:`verify`), in which case it is listed in ``problems`` and
    skipped."""
    dst = Path(dst)
    meta = dst / META_DIR
    if not dst.exists():
        raise AuditError(f"{dst}: does not exist")
    if not dst.is_dir():
        raise AuditError(f"{dst}: not a folder")
    if not meta.is_dir():
        raise AuditError(f"{dst}: not a dedupe output (no {META_DIR}/ folder)")
    manifest_path = meta / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(f"{manifest_path}: missing (not a complete dedupe output)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"{manifest_path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise AuditError(f"{manifest_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise AuditError(f"{manifest_path}: not a dedupe manifest (no list of files)")

    prov_path = meta / PROVENANCE
    run = RunData(dst, manifest, [])
    try:
        raw = prov_path.read_bytes()
    except FileNotFoundError:
        raise AuditError(f"{prov_path}: missing (not a complete dedupe output)") from None
    except OSError as exc:
        raise AuditError(f"{prov_path}: cannot read: {exc.strerror or exc}") from None

    def damaged(message: str) -> None:
        if not tolerate_damage:
            raise AuditError(f"{prov_path}: {message}")
        run.problems.append(f"{prov_path}: {message}")

    if raw and not raw.endswith(b"\n"):
        damaged("does not end with a line break: the last record is cut off (truncated file?)")
    for number, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            damaged(f"line {number}: not a valid JSON record (truncated or edited?)")
            continue
        missing = [k for k in _REQUIRED_FIELDS if not isinstance(rec, dict) or k not in rec]
        if missing:
            damaged(f"line {number}: record lacks {', '.join(repr(k) for k in missing)}")
            continue
        bad = _malformed(rec)
        if bad:
            damaged(f"line {number}: {bad}")
            continue
        doc = doc_key(rec)
        if (doc, rec["paragraph"]) in run.by_key:
            damaged(f"line {number}: a second record for {where(rec)} paragraph {rec['paragraph']}")
            continue
        run.records.append(rec)
        run.by_key[(doc, rec["paragraph"])] = rec
        run.by_source.setdefault(doc, []).append(rec)
    return run


def doc_key(rec: dict) -> str:
    """The document a record (or a ``duplicate_of``) is about, as the stages name it: the source
    path, or for a row the path, row and id (see formats.Address). A link into an earlier batch of
    an incremental run (``"batch": N``) names a document of that batch: its key starts with
    ``[batch N] `` so that it never matches this run's document of the same name, and reads as
    such where it is shown (``[batch 1] site/a.txt``)."""
    source = rec["source"] if "batch" not in rec else f"[batch {rec['batch']}] {rec['source']}"
    if "row" not in rec:
        return source
    return Address(source, rec["row"], rec.get("id")).key


def where(rec: dict) -> str:
    """A record's document for a person: ``a.txt``, or ``b.jsonl row 3 (id x)``."""
    return Address.from_key(doc_key(rec)).where


def _is_pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _malformed(rec: dict) -> str | None:
    """What is wrong with the shape of a provenance record, or None."""
    if not isinstance(rec["source"], str) or not isinstance(rec["paragraph"], int):
        return "'source' must be a path and 'paragraph' a number"
    if "row" in rec and (not isinstance(rec["row"], int) or rec["row"] < 0):
        return "'row' must be a row number"
    if not _is_pair(rec["lines"]) or not _is_pair(rec["bytes"]):
        return "'lines' and 'bytes' must be pairs of numbers"
    if rec["decision"] not in ("keep", "drop"):
        return f"unknown decision {rec['decision']!r}"
    if rec["decision"] == "keep" and not (isinstance(rec.get("output"), dict) and isinstance(rec["output"].get("path"), str) and _is_pair(rec["output"].get("lines"))):
        return "a kept paragraph without an output path and line pair"
    for relation in ("duplicate_of", "variant_of"):
        target = rec.get(relation)
        if target is not None and not (isinstance(target, dict) and isinstance(target.get("source"), str) and isinstance(target.get("paragraph"), int)):
            return f"'{relation}' must name a source and a paragraph"
    return None


def paragraph_text_from_source(data: bytes, encoding: str, start: int, end: int) -> str:
    """Rebuild a paragraph's normalised text from its source bytes, as the segmenter made it: each
    line repaired on its own, hard-wrapped lines joined with a space (no space after a hyphen).

    >>> paragraph_text_from_source("x Geo\\r\\nNews.  caf\\u00e9".encode(), "utf-8", 2, 19)
    'Geo News. café'
    >>> paragraph_text_from_source(b"well-\\nknown", "utf-8", 0, 11)
    'well-known'
    """
    errors = "replace" if encoding.startswith(("utf-16", "utf-32")) else "surrogateescape"  # as the reader decodes
    raw = data[start:end].decode(encoding, errors)
    if c1_bytes_are_undefined(encoding):
        raw = raw.translate(C1_TO_REPLACEMENT)
    return join_wrapped([repair_text(line) for line in re.split(r"\r\n|\r|\n", raw)])


def _length(rec: dict) -> int:
    start, end = rec["bytes"]
    return max(0, end - start)


def _ref(rec: dict) -> dict:
    fields = {k: rec[k] for k in ("source", "row", "id") if k in rec}
    return {**fields, "paragraph": rec["paragraph"], "line": rec["lines"][0]}


def label_of(ref: dict) -> str:
    """``a.txt:LINE``, or for a row ``b.jsonl:ID:LINE`` (what ``explain`` takes)."""
    if ref.get("source") is None:
        return "?"
    return f"{Address.from_key(doc_key(ref)).label}:{ref.get('line')}"


def read_row_texts(path: Path, text_field: str, fmt: str | None) -> list | None:
    """The text field of every row of a JSONL or Parquet output file, in order (None when it
    cannot be read)."""
    try:
        if fmt == "parquet" or (fmt is None and format_of(path.name) == "parquet"):
            import pyarrow.parquet as pq

            return pq.read_table(path, columns=[text_field]).column(0).to_pylist()
        texts = []
        for raw in jsonl_lines(path, compression_of(path.name)):
            try:
                record = loads_row(raw)
            except RowError:  # a row that could not be read, kept as it was (--keep-empty-rows)
                record = None
            texts.append(record.get(text_field) if isinstance(record, dict) else None)
        return texts
    except Exception:  # damaged, missing, not that format: the caller reports it as unreadable
        return None


def source_row_bytes(src: Path, rel: str, row: int, entry: dict, params: dict) -> bytes:
    """The bytes a row's byte ranges point into (formats.row_bytes of its text), read from SRC."""
    path = src / rel if src.is_dir() else src
    facts = ContainerFacts(path.name, entry.get("format") or format_of(rel), entry.get("compression"), 0, "", 0)
    text_field, id_field = params.get("text_field", "text"), params.get("id_field", "id")
    for item in row_inputs(path.parent, facts, text_field, id_field):
        if item.row == row:
            return row_bytes(item.text_and_address(text_field, id_field)[0])
    raise RowError(f"{rel}: has no row {row}")


# --------------------------------------------------------------------------------------------
# report


def report_data(run: RunData, top: int = 10, max_listed: int = 50) -> dict:
    """Everything ``dedupe report`` shows, as one JSON-serialisable dict.

    Totals come from the manifest (what the run counted); the breakdowns by rule, by file and by
    duplicate group are computed from the provenance records. ``bytes`` are source bytes (the
    byte ranges of the removed paragraphs in their source files). A duplicate group lists at most
    ``max_listed`` members and files; ``copies`` and ``file_count`` are always complete.
    """
    totals = dict(run.manifest.get("totals", {}))
    by_reason: dict[str, dict] = {}
    by_rule: dict[str, dict] = {}
    per_file: dict[str, dict] = {}
    groups: dict[tuple[str, int], list[dict]] = {}
    variants = 0
    for rec in run.records:
        f = per_file.setdefault(rec["source"], {"removed": 0, "removed_bytes": 0, "removed_by_reason": Counter()})
        if rec.get("variant_of"):
            variants += 1
        if rec["decision"] == "keep":
            continue
        reason = rec.get("reason") or "unknown"
        size = _length(rec)
        r = by_reason.setdefault(reason, {"paragraphs": 0, "bytes": 0})
        r["paragraphs"] += 1
        r["bytes"] += size
        if rec.get("rule"):
            u = by_rule.setdefault(rec["rule"], {"reason": reason, "paragraphs": 0, "bytes": 0})
            u["paragraphs"] += 1
            u["bytes"] += size
        f["removed"] += 1
        f["removed_bytes"] += size
        f["removed_by_reason"][reason] += 1
        if reason in DUPLICATE_REASONS and rec.get("duplicate_of"):
            target = rec["duplicate_of"]
            groups.setdefault((doc_key(target), target["paragraph"]), []).append(rec)

    totals.setdefault("removed_paragraphs", sum(r["paragraphs"] for r in by_reason.values()))
    totals["removed_source_bytes"] = sum(r["bytes"] for r in by_reason.values())

    files = []
    for entry in run.files:
        f = per_file.get(entry["path"])
        if not f or not f["removed"]:
            continue
        size = entry.get("input_bytes") or 0
        files.append(
            {
                "path": entry["path"],
                "paragraphs": entry.get("paragraphs"),
                "kept": entry.get("kept"),
                "removed": f["removed"],
                "input_bytes": size,
                "output_bytes": entry.get("output_bytes"),
                "removed_bytes": f["removed_bytes"],
                "removed_share": round(f["removed_bytes"] / size, 4) if size else 0.0,
                "removed_by_reason": dict(sorted(f["removed_by_reason"].items())),
            }
        )
    files.sort(key=lambda f: (-f["removed_bytes"], f["path"]))

    order = {entry["path"]: i for i, entry in enumerate(run.files)}
    ranked = sorted(
        groups.items(),
        key=lambda kv: (-len(kv[1]), -sum(_length(r) for r in kv[1]), order.get(file_of(kv[0][0]), 1 << 30), kv[0][0], kv[0][1]),
    )
    dup_groups = []
    for (source, paragraph), copies in ranked[:top]:
        kept = run.by_key.get((source, paragraph))
        kept_ref = _ref(kept) if kept else dict(copies[0]["duplicate_of"])
        text = run.text_of(kept) if kept else None
        members = [dict(kept_ref, decision="keep")] + [
            dict(_ref(c), decision="drop", reason=c.get("reason"), similarity=c.get("similarity")) for c in copies
        ]
        group_files = sorted({m["source"] for m in members}, key=lambda s: order.get(s, 1 << 30))
        dup_groups.append(
            {
                "kept": kept_ref,
                "text": text if text is not None else copies[0].get("text"),
                "copies": 1 + len(copies),
                "removed_bytes": sum(_length(c) for c in copies),
                "file_count": len(group_files),
                "files": group_files[:max_listed],
                "members": members[:max_listed],  # the kept paragraph, then the removed copies in corpus order
            }
        )

    return {
        "dst": str(run.dst),
        "tool": {"name": run.manifest.get("tool"), "version": run.manifest.get("version")},
        "totals": totals,
        "by_reason": dict(sorted(by_reason.items(), key=lambda kv: (-kv[1]["paragraphs"], kv[0]))),
        "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1]["paragraphs"], kv[0]))),
        "variants": variants,
        "duplicate_groups": len(groups),
        "files_losing_most": files[:top],
        "largest_duplicate_groups": dup_groups,
        "skipped": run.manifest.get("skipped", []),
    }


# --------------------------------------------------------------------------------------------
# explain


def word_diff(twin: str, this: str) -> list[dict]:
    """Word-level edit script from ``twin`` (the kept or earlier paragraph) to ``this`` one, as
    runs of ``equal``, ``delete`` (words only in the twin), ``insert`` (words only in this one) and
    ``replace``; made from rapidfuzz's Levenshtein opcodes over whitespace-split words.

    >>> [(d["op"], d["twin"], d["this"]) for d in word_diff("reported Karachi-based Geo News.", "reported Karachi-based")]
    [('equal', 'reported Karachi-based', 'reported Karachi-based'), ('delete', 'Geo News.', '')]
    >>> [(d["op"], d["twin"], d["this"]) for d in word_diff("killed 145 militants", "killed 177 militants")][1]
    ('replace', '145', '177')
    """
    a, b = twin.split(), this.split()
    return [
        {"op": op.tag, "twin": " ".join(a[op.src_start : op.src_end]), "this": " ".join(b[op.dest_start : op.dest_end])}
        for op in Levenshtein.opcodes(a, b)
    ]


def resolve_source(run: RunData, arg: str) -> tuple[str, int | None]:
    """Turn ``SOURCE_PATH[:LINE]`` into (relative source path, line or None).

    SOURCE_PATH is the path relative to SRC as in the provenance; a path that ends with it (e.g.
    ``seeds/003.txt`` for ``003.txt``) is accepted when only one source file fits.
    """
    row = _resolve_row(run, arg)
    if row is not None:
        return row
    known = [f["path"] for f in run.files if not f.get("format") or f.get("format") == "txt"]
    known += [s for s in run.by_source if run.file_entry(s) is None and not is_row_key(s)]
    skipped = {s["path"]: s.get("problem", "") for s in run.manifest.get("skipped", []) if "row" not in s}
    attempts: list[tuple[str, int | None]] = [(arg, None)]
    m = re.fullmatch(r"(.+):(\d+)", arg)
    if m:
        attempts.insert(0, (m.group(1), int(m.group(2))))
    for path, line in attempts:
        path = path.replace("\\", "/")
        while path.startswith("./"):
            path = path[2:]
        if path in skipped:
            raise AuditError(f"{path}: skipped by the run ({skipped[path]}), so it has no paragraphs")
        if path in known:
            return path, line
        fits = [k for k in known if path.endswith("/" + k)]
        if len(fits) == 1:
            return fits[0], line
        if len(fits) > 1:
            raise AuditError(f"{path}: ambiguous, could be {' or '.join(sorted(fits)[:3])}")
    # A bare name (or a tail of a path) that a file deeper in SRC has: suggest its full path.
    name = attempts[0][0].replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    under = sorted(k for k in known if k.endswith("/" + name))
    if under:
        suffix = f":{attempts[0][1]}" if attempts[0][1] is not None else ""
        raise AuditError(f"{arg}: not a source file of the run in {run.dst}; did you mean "
                         + " or ".join(f"{k}{suffix}" for k in under[:3]) + "?")
    raise AuditError(f"{arg}: not a source file of the run in {run.dst}")


def _resolve_row(run: RunData, arg: str) -> tuple[str, int | None] | None:
    """``FILE:ROW_ID[:LINE]`` for a row of a JSONL or Parquet file: (the row's key, line or
    None); None when ``arg`` does not start with such a file. ROW_ID is the row's id, or its
    number (from 0) for a row without one."""
    containers = [f["path"] for f in run.files if f.get("format") in ("jsonl", "parquet")]
    if not containers:
        return None
    name = arg.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    for file in sorted(containers, key=len, reverse=True):
        if name == file or name.endswith("/" + file):
            raise AuditError(f"{arg}: a {run.file_entry(file).get('format')} file; name one of its rows as {file}:ROW_ID "
                             f"(the row's id, or its number from 0)")
        for prefix in (file + ":", "/" + file + ":"):
            at = name.find(prefix)
            if at == 0 or (prefix.startswith("/") and at >= 0 and name.endswith(name[at:])):
                rest = name[at + len(prefix):]
                break
        else:
            continue
        rows = [Address.from_key(k) for k in run.by_source if is_row_key(k) and file_of(k) == file]
        attempts: list[tuple[str, int | None]] = [(rest, None)]
        m = re.fullmatch(r"(.+):(\d+)", rest)
        if m:
            attempts.insert(0, (m.group(1), int(m.group(2))))
        for ident, line in attempts:
            for a in rows:
                if a.id is not None and str(a.id) == ident:
                    return a.key, line
            if ident.isdigit():
                for a in rows:
                    if a.row == int(ident):
                        return a.key, line
        skipped = [s for s in run.manifest.get("skipped", []) if s.get("path") == file and "row" in s
                   and (str(s.get("id")) == rest or str(s.get("row")) == rest)]
        if skipped:
            raise AuditError(f"{arg}: skipped by the run ({skipped[0].get('problem')}), so it has no paragraphs")
        raise AuditError(f"{arg}: {file} has no row with id or number {rest!r}")
    return None


def explain_data(run: RunData, arg: str, src: Path | None = None) -> dict:
    """Every paragraph of the source file named by ``arg`` (``SOURCE_PATH[:LINE]``) with its
    decision; with ``:LINE``, only the paragraph(s) covering that source line (a line split into
    pieces has several). For a duplicate: the kept twin, the similarity and a word diff; for a
    variant: the earlier paragraph, the differing numbers and a word diff; for a kept paragraph:
    the copies of it that were removed."""
    source, line = resolve_source(run, arg)
    recs = sorted(run.by_source.get(source, []), key=lambda r: r["paragraph"])
    if line is not None:
        chosen = [r for r in recs if r["lines"][0] <= line <= r["lines"][1]]
        if not chosen:
            last = max((r["lines"][1] for r in recs), default=0)
            if line < 1 or line > last:
                raise AuditError(f"{source}: line {line} is past its last paragraph (which ends at line {last})")
            before = max((r["lines"][1] for r in recs if r["lines"][1] < line), default=None)
            after = min((r["lines"][0] for r in recs if r["lines"][0] > line), default=None)
            raise AuditError(f"{source}: line {line} is not in any paragraph (blank line; paragraphs end at line {before} and start at line {after})")
    else:
        chosen = recs

    copies_of: dict[tuple[str, int], list[dict]] = {}
    variants_of: dict[tuple[str, int], list[dict]] = {}
    wanted = {(doc_key(r), r["paragraph"]) for r in chosen if r["decision"] == "keep"}
    if wanted:
        for rec in run.records:
            for rel, index in (("duplicate_of", copies_of), ("variant_of", variants_of)):
                target = rec.get(rel)
                if target and (doc_key(target), target["paragraph"]) in wanted:
                    index.setdefault((doc_key(target), target["paragraph"]), []).append(
                        dict(_ref(rec), reason=rec.get("reason"), similarity=rec.get("similarity"))
                    )

    entries = []
    for rec in chosen:
        entry = {k: v for k, v in rec.items() if k not in ("duplicate_of", "variant_of")}
        entry["text"] = run.text_of(rec, src)
        for relation in ("duplicate_of", "variant_of"):
            target = rec.get(relation)
            if not target:
                continue
            twin_rec = run.by_key.get((doc_key(target), target["paragraph"]))
            twin = {"relation": relation, **target}
            twin["decision"] = twin_rec["decision"] if twin_rec else None
            twin["output"] = twin_rec.get("output") if twin_rec else None
            twin["text"] = run.text_of(twin_rec, src) if twin_rec else None
            entry["twin"] = twin
            if twin["text"] is not None and entry["text"] is not None:
                entry["diff"] = word_diff(twin["text"], entry["text"])
                entry["identical"] = twin["text"] == entry["text"]
        key = (doc_key(rec), rec["paragraph"])
        if key in copies_of:
            entry["copies_removed"] = copies_of[key]
        if key in variants_of:
            entry["later_variants"] = variants_of[key]
        entries.append(entry)

    entry = run.file_entry(source) or {}
    address = Address.from_key(source)
    if address.row is not None:  # a row: its own counts, from its records
        kept = [r for r in recs if r["decision"] == "keep"]
        facts = {
            "paragraphs": len(recs),
            "kept": len(kept),
            "removed": dict(sorted(Counter(r.get("reason") for r in recs if r["decision"] != "keep").items())),
            "output_path": entry.get("output_path") if kept or run.manifest.get("parameters", {}).get("keep_empty_rows") else None,
            "output_row": kept[0]["output"].get("row") if kept else (address.row if run.manifest.get("parameters", {}).get("keep_empty_rows") else None),
            "metadata": None,
        }
    else:
        facts = {
            "paragraphs": entry.get("paragraphs", len(recs)),
            "kept": entry.get("kept", sum(1 for r in recs if r["decision"] == "keep")),
            "removed": entry.get("removed", dict(Counter(r.get("reason") for r in recs if r["decision"] != "keep"))),
            "output_path": entry.get("output_path"),
            "metadata": entry.get("metadata"),
        }
    return {
        "source": address.file,
        **({"row": address.row, "id": address.id} if address.row is not None else {}),
        "label": address.label,
        "line": line,
        "file": facts,
        "paragraphs": entries,
    }


# --------------------------------------------------------------------------------------------
# verify


@dataclass
class VerifyResult:
    """What :func:`verify` checked and every failure found (one line each, naming the file)."""

    failures: list[str] = field(default_factory=list)
    source_files: int = 0
    source_bytes: int = 0
    records: int = 0
    output_files: int = 0
    duplicate_links: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def verify(src: Path, dst: Path, index: Path | None = None) -> VerifyResult:
    """Check DST against SRC as it is now.

    * every source file of the manifest is in SRC, unchanged (sha256), and no file was added;
    * the provenance records of each file account for every one of its bytes
      (:func:`~corpus_dedupe.accounting.byte_coverage_problems`), are numbered 0..n-1, agree with
      the manifest's counts, and each removed paragraph's recorded text is its source text;
    * each output file matches the manifest's size and sha256, and is exactly its kept paragraphs
      rebuilt from SRC and laid out by :func:`~corpus_dedupe.writer.render_document`, at the
      output lines the provenance gives; no other file is in DST;
    * every ``duplicate_of`` (and ``variant_of``) points at a paragraph that was kept (in an
      earlier batch of an incremental run: looked up in ``index``).

    Raises :class:`AuditError` only when DST is not a dedupe output or SRC is not a folder.
    """
    src, dst = Path(src), Path(dst)
    if not src.exists():
        raise AuditError(f"{src}: SRC does not exist")
    if not src.is_dir() and not src.is_file():
        raise AuditError(f"{src}: SRC is not a folder or a file")
    run = load_run(dst, tolerate_damage=True)
    result = VerifyResult(failures=list(run.problems), records=len(run.records))
    fail = result.failures.append
    manifest_path = dst / META_DIR / MANIFEST
    prov = run.provenance_path
    params = run.manifest.get("parameters", {})

    listed = {}
    for entry in run.files:
        if not isinstance(entry, dict) or "path" not in entry:
            fail(f"{manifest_path}: a file entry without a path")
            continue
        listed[entry["path"]] = entry
    skipped = {s.get("path") for s in run.manifest.get("skipped", []) if isinstance(s, dict) and "row" not in s}
    if src.is_file():  # one JSONL or Parquet file (or one text file) was the corpus
        found = [src.name]
        src = src.parent
    else:
        try:
            found, _passed_over = discover(src, tuple(params.get("include") or ()), bool(params.get("follow_symlinks")))
        except InputError as exc:
            raise AuditError(f"{src}: {exc}") from None
    found_set = set(found)
    forced = tuple(parse_encoding_option(e) for e in params.get("encodings") or ())
    for rel in found:
        if rel not in listed and rel not in skipped:
            fail(f"{src / rel}: in SRC but not in the manifest (added since the run?)")
    for rel in run.by_source:
        if file_of(rel) not in listed:
            fail(f"{prov}: records for {Address.from_key(rel).where}, which is not a source file in the manifest")

    for rel, entry in listed.items():
        path = src / rel
        if rel not in found_set:
            fail(f"{path}: listed in the manifest but not found in SRC")
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"{path}: cannot read: {exc.strerror or exc}")
            continue
        result.source_files += 1
        result.source_bytes += len(data)
        if sha256_hex(data) != entry.get("input_sha256"):
            fail(f"{path}: changed since the run (sha256 differs from the manifest's input_sha256)")
            continue
        if entry.get("format") in ("jsonl", "parquet"):
            _verify_container(run, src, rel, entry, result)
            continue
        encoding = entry.get("encoding", "utf-8")
        try:
            detected = decide_encoding(data, forced_codec(rel, forced)).codec
        except InputError as exc:
            detected = f"unreadable ({exc})"
        if detected != encoding:
            fail(f"{path}: the manifest says encoding {encoding}, the file reads as {detected}")
        _verify_file(run, src, rel, entry, data, encoding, result)

    _verify_outputs_present(run, listed, result)
    _verify_links(run, result, index)
    _verify_totals(run, listed, result)
    return result


def _verify_file(run: RunData, src: Path, rel: str, entry: dict, data: bytes, encoding: str, result: VerifyResult) -> None:
    fail = result.failures.append
    path = src / rel
    prov = run.provenance_path
    recs = sorted(run.by_source.get(rel, []), key=lambda r: r["paragraph"])
    for problem in byte_coverage_problems(data, encoding, [tuple(r["bytes"]) for r in recs]):
        fail(f"{path}: {problem} (according to {prov.name})")
    if [r["paragraph"] for r in recs] != list(range(len(recs))):
        fail(f"{prov}: the records of {rel} are not numbered 0..{len(recs) - 1} (paragraphs missing?)")
    if len(recs) != entry.get("paragraphs"):
        fail(f"{prov}: {len(recs)} records for {rel}, the manifest says {entry.get('paragraphs')} paragraphs")
    kept = [r for r in recs if r["decision"] == "keep"]
    removed = Counter(r.get("reason") for r in recs if r["decision"] != "keep")
    if len(kept) != entry.get("kept") or dict(removed) != entry.get("removed", {}):
        fail(
            f"{prov}: the records of {rel} keep {len(kept)} and remove {dict(sorted(removed.items()))}, "
            f"the manifest says {entry.get('kept')} and {entry.get('removed')}"
        )

    # Removed text is the source text; kept paragraphs rebuilt from the source are the output.
    paragraphs: list[Paragraph] = []
    decisions: list[Decision] = []
    for r in recs:
        start, end = r["bytes"]
        if not (0 <= start <= end <= len(data)):
            continue  # already reported by the coverage check
        text = paragraph_text_from_source(data, encoding, start, end)
        if r["decision"] != "keep":
            if r.get("text") != text:
                fail(f"{prov}: {rel} paragraph {r['paragraph']} (line {r['lines'][0]}): the recorded removed text is not the source text")
            continue
        paragraphs.append(Paragraph(rel, r["paragraph"], r["lines"][0], r["lines"][1], start, end, text))
        decisions.append(Decision(None))
    rebuilt, ranges = render_document(DocumentOutput(rel, len(data), "", encoding, [], paragraphs, decisions))
    for p, rng in zip(paragraphs, ranges):
        rec = run.by_key[(rel, p.index)]
        if rec.get("output") != rng:
            fail(f"{prov}: {rel} paragraph {p.index} (line {p.first_line}): output {rec.get('output')} but the kept paragraphs put it at {rng}")

    out_rel = entry.get("output_path")
    out = run.dst / rel
    if not rebuilt:
        if out_rel is not None:
            fail(f"{run.dst / out_rel}: the manifest lists an output but no paragraph of {rel} is kept")
        elif out.exists():
            fail(f"{out}: exists, but no paragraph of {rel} is kept (the manifest says no output)")
        return
    if out_rel != rel:
        fail(f"{run.dst / META_DIR / MANIFEST}: output_path of {rel} is {out_rel!r}, expected {rel!r}")
        return
    written = _read_output(out, entry, result)
    if written is None:
        return
    expected = rebuilt.encode("utf-8")
    if written != expected:
        fail(f"{out}: is not exactly its kept paragraphs ({_first_difference(expected, written)})")


def _read_output(out: Path, entry: dict, result: VerifyResult) -> bytes | None:
    """The bytes of an output file, checked against the manifest's size and sha256 (None, and a
    failure, when it cannot be read)."""
    try:
        written = out.read_bytes()
    except OSError as exc:
        result.failures.append(f"{out}: missing or unreadable output file ({exc.strerror or exc})")
        return None
    result.output_files += 1
    if sha256_hex(written) != entry.get("output_sha256") or len(written) != entry.get("output_bytes"):
        result.failures.append(f"{out}: does not match the manifest (sha256 or size differs from output_sha256/output_bytes)")
    return written


def _verify_container(run: RunData, src: Path, rel: str, entry: dict, result: VerifyResult) -> None:
    """A JSONL or Parquet file: every row's records account for the bytes of its text, removed
    text is its source text, and the output file holds exactly the rows the run says it wrote, in
    order, each with every field as it was and its text field the row's kept paragraphs."""
    fail = result.failures.append
    prov = run.provenance_path
    params = run.manifest.get("parameters", {})
    text_field, id_field = params.get("text_field", "text"), params.get("id_field", "id")
    keep_empty = bool(params.get("keep_empty_rows"))
    skipped_rows = {s.get("row") for s in run.manifest.get("skipped", []) if s.get("path") == rel and "row" in s}
    facts = ContainerFacts(rel, entry["format"], entry.get("compression"), 0, "", 0)
    expected: list[tuple[Any, str | None]] = []  # per output row: (source row's record or raw line, new text or None: unchanged)
    rows = documents = paragraphs = kept_total = 0
    removed_total: Counter = Counter()
    try:
        items = list(row_inputs(src, facts, text_field, id_field))
    except (RowError, OSError, ValueError) as exc:
        fail(f"{src / rel}: cannot read its rows ({exc})")
        return
    for item in items:
        rows += 1
        try:
            text, address = item.text_and_address(text_field, id_field)
        except RowError:
            if item.row not in skipped_rows:
                fail(f"{src / rel} row {item.row}: cannot be read now, but the manifest does not list it as skipped")
            if keep_empty:
                expected.append((item, None))
            continue
        recs = sorted(run.by_source.get(address.key, []), key=lambda r: r["paragraph"])
        if not recs:
            if item.row not in skipped_rows:
                fail(f"{prov}: no records for {address.where}")
            elif keep_empty:
                expected.append((item, None))
            continue
        documents += 1
        data = row_bytes(text)
        for problem in byte_coverage_problems(data, "utf-8", [tuple(r["bytes"]) for r in recs]):
            fail(f"{src / rel} row {item.row}: {problem} (according to {prov.name})")
        if [r["paragraph"] for r in recs] != list(range(len(recs))):
            fail(f"{prov}: the records of {address.where} are not numbered 0..{len(recs) - 1} (paragraphs missing?)")
        kept_texts: list[str] = []
        out_rows = set()
        for r in recs:
            start, end = r["bytes"]
            if not (0 <= start <= end <= len(data)):
                continue  # already reported by the coverage check
            piece = paragraph_text_from_source(data, "utf-8", start, end)
            paragraphs += 1
            if r["decision"] != "keep":
                removed_total[r.get("reason")] += 1
                if r.get("text") != piece:
                    fail(f"{prov}: {address.where} paragraph {r['paragraph']}: the recorded removed text is not the source text")
                continue
            kept_total += 1
            line = sum(t.count("\n") + 2 for t in kept_texts) + 1
            span = [line, line + piece.count("\n")]
            out = r.get("output") or {}
            out_rows.add(out.get("row"))
            if out.get("path") != rel or out.get("lines") != span:
                fail(f"{prov}: {address.where} paragraph {r['paragraph']}: output {out} but the kept paragraphs put it at lines {span} of {rel}")
            kept_texts.append(piece)
        if kept_texts or keep_empty:
            if out_rows - {len(expected)}:
                fail(f"{prov}: {address.where}: its kept paragraphs name output row {sorted(out_rows, key=str)}, but it is row {len(expected)} of {rel}")
            expected.append((item, "\n\n".join(kept_texts)))
    if (rows, len(expected)) != (entry.get("rows"), entry.get("rows_written")):
        fail(f"{run.dst / META_DIR / MANIFEST}: {rel} has {rows} rows of which {len(expected)} are written, the manifest says {entry.get('rows')} and {entry.get('rows_written')}")
    if paragraphs != entry.get("paragraphs") or kept_total != entry.get("kept") or dict(sorted(removed_total.items())) != entry.get("removed", {}):
        fail(f"{prov}: the records of {rel} keep {kept_total} and remove {dict(sorted(removed_total.items()))}, the manifest says {entry.get('kept')} and {entry.get('removed')}")

    out = run.dst / rel
    written = _read_output(out, entry, result)
    if written is None:
        return
    try:
        if entry["format"] == "jsonl":
            # A row written as it was is compared as bytes (it may not even be JSON); a cleaned
            # row as data (the same fields and values, whatever the spacing).
            got_raw = list(jsonl_lines(out, entry.get("compression")))
            got, want = [], []
            for (item, text), raw in zip(expected, got_raw):
                if text is None:
                    got.append(raw)
                    want.append(item.raw)
                else:
                    record = loads_row(item.raw)
                    record[text_field] = text
                    want.append(record)
                    try:
                        got.append(loads_row(raw))
                    except RowError:
                        got.append(raw)
            got += got_raw[len(expected):]
            want += [None] * (len(expected) - len(got_raw))
        else:
            import pyarrow.parquet as pq

            got = pq.read_table(out).to_pylist()
            source_rows = pq.read_table(src / rel).to_pylist()
            want = [{**source_rows[item.row], **({} if text is None else {text_field: text})} for item, text in expected]
    except Exception as exc:  # damaged output: one line naming it
        fail(f"{out}: cannot read its rows ({exc})")
        return
    if len(got) != len(want):
        fail(f"{out}: holds {len(got)} rows, the run wrote {len(want)}")
    for n, (g, w) in enumerate(zip(got, want)):
        if g != w:
            what = "its text is not the row's kept paragraphs" if isinstance(g, dict) and isinstance(w, dict) and g.get(text_field) != w.get(text_field) else "a field differs from the source row"
            fail(f"{out} row {n}: {what}")
            break


def _first_difference(expected: bytes, written: bytes) -> str:
    a = expected.decode("utf-8", "replace").split("\n")
    b = written.decode("utf-8", "replace").split("\n")
    for n, (x, y) in enumerate(zip(a, b), 1):
        if x != y:
            return f"first difference at output line {n}"
    if len(a) != len(b):
        return f"{'extra' if len(b) > len(a) else 'missing'} lines from output line {min(len(a), len(b)) + 1}"
    return "differs in bytes"


def _verify_outputs_present(run: RunData, listed: dict, result: VerifyResult) -> None:
    """No file in DST (outside hidden folders) that the run did not write."""
    expected = {e.get("output_path") for e in listed.values() if e.get("output_path")}
    folders = [run.dst]  # a stack, not os.walk: Python 3.11's os.walk recurses (deep trees)
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            result.failures.append(f"{folder}: cannot list: {exc.strerror or exc}")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                folders.append(Path(entry.path))
                continue
            rel = Path(entry.path).relative_to(run.dst).as_posix()
            if rel not in expected:
                result.failures.append(f"{run.dst / rel}: in DST but not written by the run (not in the manifest)")


def _verify_links(run: RunData, result: VerifyResult, index_dir: Path | None = None) -> None:
    earlier = _EarlierBatches(index_dir) if index_dir is not None else None
    for rec in run.records:
        for relation in ("duplicate_of", "variant_of"):
            target = rec.get(relation)
            if not target:
                continue
            if relation == "duplicate_of":
                result.duplicate_links += 1
            where_ = f"{run.provenance_path}: {where(rec)} paragraph {rec['paragraph']} (line {rec['lines'][0]})"
            if "batch" in target:  # a paragraph of an earlier batch of an incremental run
                problem = earlier.check(target) if earlier is not None else "give the index with --index DIR to check it"
                if problem:
                    result.failures.append(f"{where_}: {relation} points at batch {target['batch']} {target.get('source') or target.get('path')} "
                                           f"paragraph {target.get('paragraph')}: {problem}")
                continue
            twin = run.by_key.get((doc_key(target), target.get("paragraph"))) if isinstance(target.get("source"), str) else None
            if twin is None:
                at = f"{target.get('source')}" + (f" row {target.get('row')}" if "row" in target else "")
                result.failures.append(f"{where_}: {relation} points at {at} paragraph {target.get('paragraph')}, which has no record")
            elif twin["decision"] != "keep":
                result.failures.append(
                    f"{where_}: {relation} points at {where(twin)} paragraph {twin['paragraph']} (line {twin['lines'][0]}), which was removed ({twin.get('reason')})"
                )
            elif target.get("line") != twin["lines"][0]:
                result.failures.append(f"{where_}: {relation} gives line {target.get('line')}, but that paragraph starts at line {twin['lines'][0]}")


class _EarlierBatches:
    """Paragraphs of earlier batches, looked up in an incremental run's index (verify --index)."""

    def __init__(self, index_dir: Path) -> None:
        from .index import Index, IndexError_

        try:
            self.index = Index.open(index_dir)
        except IndexError_ as exc:
            raise AuditError(str(exc)) from None

    def check(self, target: dict) -> str | None:
        import numpy as np

        from .index import FLAG_ORPHAN, FLAG_TEMPLATE

        segment = next((s for s in self.index.segments if s.batch == target["batch"]), None)
        if segment is None:
            return "the index has no such batch"
        documents = segment.json("docs")["documents"]
        try:
            doc = documents.index(doc_key({k: v for k, v in target.items() if k != "batch"}))
        except ValueError:
            return "that batch has no such document"
        where_ = np.asarray(segment.array("where"))
        rows = np.flatnonzero((where_[:, 0] == doc) & (where_[:, 1] == target.get("paragraph")))
        if len(rows) == 0:
            return "the index has no such paragraph (not a candidate of that batch)"
        row = int(rows[0])
        if int(where_[row, 2]) != target.get("line"):
            return f"that paragraph starts at line {int(where_[row, 2])}, not {target.get('line')}"
        code = int(segment.array("state")[row, 2])
        flags = int(segment.array("flags")[row])
        if code != 0 or flags & (FLAG_ORPHAN | FLAG_TEMPLATE):
            return "that paragraph was removed in its batch"
        return None


def _verify_totals(run: RunData, listed: dict, result: VerifyResult) -> None:
    totals = run.manifest.get("totals", {})
    sums = {
        "files": len(listed),
        "paragraphs": sum(e.get("paragraphs") or 0 for e in listed.values()),
        "kept": sum(e.get("kept") or 0 for e in listed.values()),
        "input_bytes": sum(e.get("input_bytes") or 0 for e in listed.values()),
        "output_bytes": sum(e.get("output_bytes") or 0 for e in listed.values()),
    }
    for key, value in sums.items():
        if totals.get(key) != value:
            result.failures.append(f"{run.dst / META_DIR / MANIFEST}: totals.{key} is {totals.get(key)}, the files add up to {value}")
