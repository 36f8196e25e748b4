"""Write the clean corpus and its provenance map, atomically.

Everything is written into a staging folder next to DST (same file system, so the final move is a
rename). Only when the staging folder is complete does it replace DST: an interrupted run leaves
either the previous output or nothing, never a half-written DST.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .model import Decision, Paragraph

META_DIR = ".dedupe"
PROVENANCE = "provenance.jsonl"
MANIFEST = "manifest.json"
RUN = "run.json"
_STAGING_TAG = ".dedupe-staging-"
_OLD_TAG = ".dedupe-old-"
_SPILL_TAG = ".dedupe-spill-"


def spill_path(dst: Path) -> Path:
    """Where a run keeps its paragraphs between the two passes: next to DST, removed at the end
    (and by the next run, if this one was killed)."""
    dst = dst.absolute()
    return dst.parent / f".{dst.name}{_SPILL_TAG}{os.getpid()}"


class DestinationError(Exception):
    """DST cannot be used (inside SRC, not a previous output, ...)."""


def check_destination(src: Path, dst: Path, force: bool) -> None:
    """Refuse destinations that would damage SRC or overwrite something that is not ours."""
    src_r, dst_r = src.resolve(), dst.resolve()
    if not src_r.is_dir():
        raise DestinationError(f"{src}: SRC is not a folder")
    if dst_r == src_r:
        raise DestinationError(f"{dst}: DST is the same folder as SRC")
    if dst_r.is_relative_to(src_r):
        raise DestinationError(f"{dst}: DST is inside SRC")
    if src_r.is_relative_to(dst_r):
        raise DestinationError(f"{dst}: SRC is inside DST (replacing DST would delete SRC)")
    if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
        raise DestinationError(f"{dst}: DST exists and is not a folder")
    if dst.is_dir() and any(dst.iterdir()) and not (dst / META_DIR / MANIFEST).is_file() and not force:
        raise DestinationError(
            f"{dst}: DST is not empty and is not a previous dedupe output (use --force to replace it)"
        )


def _clean_stale(dst: Path) -> None:
    """Remove staging folders left by a killed run (same DST name)."""
    parent = dst.parent
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if entry.name.startswith((f".{dst.name}{_STAGING_TAG}", f".{dst.name}{_OLD_TAG}")):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name.startswith(f".{dst.name}{_SPILL_TAG}") and entry.name != f".{dst.name}{_SPILL_TAG}{os.getpid()}":
            entry.unlink(missing_ok=True)


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


def _record(p: Paragraph, d: Decision, output: dict | None) -> dict:
    rec: dict = {
        "source": p.source,
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
    if p.metadata:
        rec["metadata"] = p.metadata
    if d.kept:
        rec["output"] = output
    else:
        rec["text"] = p.text
    return rec


def render_document(doc: DocumentOutput) -> tuple[str, list[dict | None]]:
    """The output text of one document (kept paragraphs, a blank line between them, a final
    newline; "" when nothing is kept) and, per paragraph, its output line range or None."""
    parts: list[str] = []
    ranges: list[dict | None] = []
    line = 1
    for p, d in zip(doc.paragraphs, doc.decisions):
        if not d.kept:
            ranges.append(None)
            continue
        n_lines = p.text.count("\n") + 1
        ranges.append({"path": doc.path, "lines": [line, line + n_lines - 1]})
        parts.append(p.text)
        line += n_lines + 1
    return ("\n\n".join(parts) + "\n") if parts else "", ranges


def write_corpus(
    dst: Path,
    documents: Iterable[DocumentOutput],
    manifest_head: Callable[[], dict],
    run_facts: Callable[[], dict],
    skipped: list[dict],
) -> dict:
    """Write DST atomically; returns the manifest that was written. ``documents`` is consumed once,
    in order; ``manifest_head`` and ``run_facts`` are called after the last document, so that they
    can report what writing counted."""
    dst = dst.absolute()
    dst.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(dst)
    staging = dst.parent / f".{dst.name}{_STAGING_TAG}{os.getpid()}"
    staging.mkdir()
    try:
        meta = staging / META_DIR
        meta.mkdir()
        files = []
        totals: dict = {"files": 0, "files_written": 0, "paragraphs": 0, "kept": 0, "removed": {}, "input_bytes": 0, "output_bytes": 0}
        with open(meta / PROVENANCE, "w", encoding="utf-8", newline="\n") as prov:
            for doc in documents:
                text, ranges = render_document(doc)
                entry: dict = {
                    "path": doc.path,
                    "encoding": doc.encoding,
                    "input_bytes": doc.size,
                    "input_sha256": doc.sha256,
                }
                if doc.notes:
                    entry["notes"] = doc.notes
                if text:
                    data = text.encode("utf-8")
                    out_path = staging / doc.path
                    out_path.parent.mkdir(parents=True, exist_ok=True)
                    with open(out_path, "wb") as handle:
                        handle.write(data)
                    entry["output_path"] = doc.path
                    entry["output_bytes"] = len(data)
                    entry["output_sha256"] = hashlib.sha256(data).hexdigest()
                    totals["files_written"] += 1
                    totals["output_bytes"] += len(data)
                else:
                    entry["output_path"] = None
                    entry["output_bytes"] = 0
                removed: dict[str, int] = {}
                for p, d, rng in zip(doc.paragraphs, doc.decisions, ranges):
                    prov.write(json.dumps(_record(p, d, rng), ensure_ascii=False, separators=(",", ":")))
                    prov.write("\n")
                    if not d.kept:
                        removed[d.reason] = removed.get(d.reason, 0) + 1
                kept = sum(1 for d in doc.decisions if d.kept)
                entry["paragraphs"] = len(doc.paragraphs)
                entry["kept"] = kept
                entry["removed"] = dict(sorted(removed.items()))
                if doc.metadata:
                    entry["metadata"] = doc.metadata
                files.append(entry)
                totals["files"] += 1
                totals["paragraphs"] += len(doc.paragraphs)
                totals["kept"] += kept
                totals["input_bytes"] += doc.size
                for reason, count in removed.items():
                    totals["removed"][reason] = totals["removed"].get(reason, 0) + count
        totals["removed"] = dict(sorted(totals["removed"].items()))
        totals["skipped"] = len(skipped)
        manifest = manifest_head()
        manifest["totals"] = totals
        manifest["files"] = files
        manifest["skipped"] = skipped
        _write_json(meta / MANIFEST, manifest)
        _write_json(meta / RUN, run_facts())
        _fsync_tree(staging)
        _swap_into_place(staging, dst)
        return manifest
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_json(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2, sort_keys=False)
        handle.write("\n")


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _swap_into_place(staging: Path, dst: Path) -> None:
    """Replace DST by the finished staging folder: the previous output is renamed away first, the
    new one renamed in, then the old one removed."""
    old = None
    if dst.exists():
        old = dst.parent / f".{dst.name}{_OLD_TAG}{os.getpid()}"
        os.rename(dst, old)
    try:
        os.rename(staging, dst)
    except BaseException:
        if old is not None:
            os.rename(old, dst)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
