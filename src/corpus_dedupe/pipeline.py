"""The whole run: discover, read, normalise, segment, boilerplate, dedupe, structure, write.

Per-document stages run in a process pool (``jobs``); results come back in corpus order, and every
corpus-level stage runs in this process, so the output does not depend on the worker count.
"""

from __future__ import annotations

import platform
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import __version__
from .boilerplate import RuleSet, site_of, split_line_edges, template_candidate_key
from .cluster import Candidate, decide
from .model import BOILERPLATE, Decision, Paragraph, ParagraphRef, Skipped
from .normalise import match_key
from .reader import InputError, discover, read_document
from .segment import segment
from .settings import Settings
from .structure import apply_orphan_headings
from .writer import DocumentOutput, check_destination, write_corpus

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class ProcessedDocument:
    path: str
    size: int
    sha256: str
    encoding: str
    notes: list[str]
    paragraphs: list[Paragraph]
    keys: list[str]


@dataclass
class RunSummary:
    dst: Path
    manifest: dict
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0


_rules_cache: dict[str | None, RuleSet] = {}


def _rules(settings: Settings) -> RuleSet:
    if settings.rules_file not in _rules_cache:
        _rules_cache[settings.rules_file] = RuleSet.load(settings.rules_file)
    return _rules_cache[settings.rules_file]


def process_document(src: str, rel: str, settings: Settings) -> ProcessedDocument | Skipped:
    """Read, decode, normalise, segment and classify one file (the per-document stages)."""
    try:
        doc, _data = read_document(Path(src), rel, settings.max_file_size)
    except InputError as exc:
        return Skipped(rel, str(exc))
    paragraphs = segment(doc, split_line_edges if settings.boilerplate else None)
    if settings.boilerplate:
        _rules(settings).classify(paragraphs)
    keys = [match_key(p.text) if p.reason is None else "" for p in paragraphs]
    return ProcessedDocument(doc.path, doc.size, doc.sha256, doc.encoding, doc.notes, paragraphs, keys)


def _process_all(src: Path, paths: list[str], settings: Settings, progress: Progress | None):
    total = len(paths)
    if settings.jobs == 1 or total < 2:
        for n, rel in enumerate(paths, 1):
            yield process_document(str(src), rel, settings)
            if progress:
                progress("read", n, total)
        return
    chunk = max(1, min(64, total // (settings.jobs * 8) or 1))
    with ProcessPoolExecutor(max_workers=settings.jobs) as pool:
        for n, result in enumerate(pool.map(process_document, [str(src)] * total, paths, [settings] * total, chunksize=chunk), 1):
            yield result
            if progress:
                progress("read", n, total)


def find_template_lines(docs: list[ProcessedDocument], settings: Settings) -> dict[tuple[str, str], int]:
    """Short non-sentence lines that recur in many documents of one site (top-level folder) or of
    the corpus: "Share this article", "Download our app", a site's slogan. Returns, per
    (site, key), the number of documents carrying it, for those at or above the threshold."""
    per_site: Counter = Counter()
    per_corpus: Counter = Counter()
    for doc in docs:
        seen = set()
        for p in doc.paragraphs:
            key = template_candidate_key(p, settings.template_max_words)
            if key:
                seen.add(key)
        site = site_of(doc.path)
        for key in seen:
            per_site[(site, key)] += 1
            per_corpus[key] += 1
    found = {}
    for (site, key), count in per_site.items():
        best = max(count, per_corpus[key])
        if best >= settings.template_min_documents:
            found[(site, key)] = best
    return found


def run(src: Path, dst: Path, settings: Settings, force: bool = False, progress: Progress | None = None) -> RunSummary:
    """Run the whole pipeline from SRC to DST and return what was written."""
    started = time.time()
    timings: dict[str, float] = {}
    src, dst = Path(src), Path(dst)
    check_destination(src, dst, force)
    if settings.boilerplate:
        _rules(settings)  # fail early on a bad rules file

    t = time.perf_counter()
    paths, skipped = discover(src, settings.include, settings.follow_symlinks)
    timings["discover"] = time.perf_counter() - t

    t = time.perf_counter()
    docs: list[ProcessedDocument] = []
    for result in _process_all(src, paths, settings, progress):
        if isinstance(result, Skipped):
            skipped.append(result)
        else:
            docs.append(result)
    skipped.sort(key=lambda s: s.path)
    timings["read_normalise_segment"] = time.perf_counter() - t

    # Corpus template lines.
    t = time.perf_counter()
    decisions: list[list[Decision]] = []
    templates = find_template_lines(docs, settings) if settings.boilerplate else {}
    for doc in docs:
        site = site_of(doc.path)
        ds = []
        for p in doc.paragraphs:
            if p.reason is not None:
                ds.append(Decision(p.reason, rule=p.rule))
                continue
            count = templates.get((site, match_key(p.text))) if templates else None
            if count is not None and template_candidate_key(p, settings.template_max_words):
                ds.append(Decision(BOILERPLATE, rule="template.repeated_line", template_documents=count))
            else:
                ds.append(None)  # type: ignore[arg-type]
        decisions.append(ds)
    timings["templates"] = time.perf_counter() - t

    # Duplicates.
    t = time.perf_counter()
    candidates: list[Candidate] = []
    slots: list[tuple[int, int]] = []
    for d_i, doc in enumerate(docs):
        for p_i, p in enumerate(doc.paragraphs):
            if decisions[d_i][p_i] is None:
                key = doc.keys[p_i]
                candidates.append(Candidate(ParagraphRef(doc.path, p.index, p.first_line), key, p.text))
                slots.append((d_i, p_i))
    if progress:
        progress("dedupe", 0, len(candidates))
    cluster_decisions, cluster_counts = decide(candidates, settings)
    for (d_i, p_i), decision in zip(slots, cluster_decisions):
        decisions[d_i][p_i] = decision
    timings["dedupe"] = time.perf_counter() - t

    # Structure.
    orphan_count = 0
    for doc, ds in zip(docs, decisions):
        orphan_count += apply_orphan_headings(doc.paragraphs, ds)

    # Write.
    t = time.perf_counter()
    outputs = []
    for doc, ds in zip(docs, decisions):
        metadata: dict = {}
        for p in doc.paragraphs:
            for k, v in (p.metadata or {}).items():
                metadata.setdefault(k, v)
        outputs.append(DocumentOutput(doc.path, doc.size, doc.sha256, doc.encoding, doc.notes, doc.paragraphs, ds, metadata))
    manifest_head = {
        "tool": "corpus-dedupe",
        "version": __version__,
        "parameters": settings.output_parameters(),
        "stage_counts": {
            "discovered_files": len(paths),
            "templates_found": len(templates),
            "dedupe_candidates": len(candidates),
            **{k: v for k, v in sorted(cluster_counts.items())},
            "orphan_headings": orphan_count,
        },
    }
    run_facts = {
        "started": datetime.fromtimestamp(started, timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "python": platform.python_version(),
        "jobs": settings.jobs,
        "timings_seconds": timings,
    }
    skipped_json = [{"path": s.path, "problem": s.problem} for s in skipped]
    if progress:
        progress("write", 0, len(outputs))
    timings["write"] = 0.0
    run_facts["duration_seconds"] = round(time.time() - started, 3)
    manifest = write_corpus(dst, outputs, manifest_head, run_facts, skipped_json)
    timings["write"] = time.perf_counter() - t
    return RunSummary(dst, manifest, skipped, time.time() - started)
