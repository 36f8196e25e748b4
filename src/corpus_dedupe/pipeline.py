"""The whole run: discover, read, normalise, segment, boilerplate, fingerprint, dedupe, structure,
write.

Streaming, in two passes over the documents:

1. Per-document stages (read, decode, repair, segment, boilerplate rules, match keys, MinHash and
   LSH band keys) run in a process pool. What the corpus-level stages need stays in this process
   in compact form (keys packed in one buffer, fingerprints in numpy arrays); the workers append
   the paragraphs themselves to a temporary spill file next to DST.
2. Corpus-level stages (template lines, duplicates) run here on the compact data; then each
   document's paragraphs are read back from the spill file, decided, rendered and written.

Results come back from the pool in corpus order and every corpus-level decision is made in this
process, so the output does not depend on the worker count.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import pickle
import platform
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from . import __version__
from .boilerplate import (
    RuleSet,
    copy_groups_from_hashes,
    site_of,
    template_line_counts,
    template_lines_found,
    split_line_edges,
    template_shaped,
)
from .cluster import REASON_OF_CODE, ClusterResult, KeyStore, absorb_fragments, decide, decide_by_components
from .incremental import (BatchDecisions, BatchResult, PriorRows, add_earlier_template_counts, batch_result, decide_batch, segment_arrays,
                          template_count_table)
from .engines import LocalEngine, RayEngine, open_engine
from .index import Index, IndexUpdateError, check_index_place
from .fingerprint import FingerprintCollector, Fingerprints, fingerprint, key_hashes
from .formats import (Address, CorpusInputs, RowError, RowInput, discover_inputs, dumps_row, file_of, is_row_key, loads_row, row_bytes,
                      row_of)
from .model import BOILERPLATE, ORPHAN_HEADING, Decision, Document, Paragraph, ParagraphRef, Skipped
from .normalise import match_keys_utf8
from .page import classify_page, load_model
from .reader import InputError, ReadAhead, document_from_row, read_document
from .segment import segment
from .settings import Settings
from .shuffle import FileKeys, pair_files_by_shuffle, write_fingerprint_files
from .structure import ORPHAN_RULE, labels_that_stay_rare, section_headings, settle_headings
from .workers import in_order, set_mmap_threshold
from .writer import (ContainerOutputs, DocumentOutput, WrittenDocument, WrittenRows, check_destination, remove_tree, render_row, shuffle_path,
                     spill_path, write_corpus,
                     write_document)

Progress = Callable[..., None]  # (stage, done, total[, bytes read][, unit: "files" or "documents"])
TEMPLATE_RULE = "template.repeated_line"


@dataclass(slots=True)
class AnalysedDocument:
    """One document's part of an :class:`AnalysedBatch`: its facts, the length of its pickled
    paragraphs in the batch's blob, and its number of dedupe candidates (undecided paragraphs)."""

    path: str
    size: int
    sha256: str
    encoding: str
    notes: list[str]
    paragraphs_length: int
    n_candidates: int
    encoding_confidence: float = 1.0

    def __reduce__(self):  # the constructor's arguments: see _DocumentEntry
        return (AnalysedDocument, (self.path, self.size, self.sha256, self.encoding, self.notes, self.paragraphs_length,
                                   self.n_candidates, self.encoding_confidence))


@dataclass
class AnalysedBatch:
    """What a worker sends back for a batch of documents, in their order: each document's facts
    (or why it was skipped), where it appended their pickled paragraphs to the spill file (the
    paragraphs travel through the file, not through the pool's pipe: 22 MB of pickles per 20 MB
    of input that this process no longer receives and writes), and what the corpus-level stages
    need for their candidates, as one array each for the whole batch (candidate order: document
    by document). One array per batch instead of one per document:
    the main process, which shares the cores with the workers, handles a few numpy objects per
    batch (16 to 256 documents) instead of a dozen per document."""

    documents: list[AnalysedDocument | Skipped]
    spill_offset: int  # the documents' paragraphs, one after the other, start here in the spill file
    candidate_index: np.ndarray  # paragraph index of each candidate in its document
    candidate_line: np.ndarray  # its first source line
    fingerprints: Fingerprints
    keys_blob: bytes  # the candidates' match keys, UTF-8, run together
    key_lengths: np.ndarray  # each key's length in bytes
    template_keys: np.ndarray  # candidates that are distinct short non-sentence lines of their document
    content_positions: np.ndarray  # candidates that read as content
    heading_positions: np.ndarray  # candidates that are headings (see structure.settle_headings)
    section_heading_positions: np.ndarray  # candidates that are section headings between prose (never template lines)
    fingerprint_file: str | None = None  # where the bucket keys and sketches went instead (shuffle.py): their prefix

    @property
    def n_candidates(self) -> int:
        return len(self.key_lengths)


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


def _fingerprint_keys(keys: list[str] | list[bytes], settings: Settings) -> Fingerprints:
    """Fingerprints of ``keys`` in batches of about 1 MiB of keys (fingerprint() holds about 40
    bytes per key byte); each key's fingerprint does not depend on the batch it is in."""
    fp_args = (settings.num_perm, settings.bands, settings.shingle_words,
               min(settings.min_words_near, settings.min_words_contained), settings.min_words_contained)
    batches, start, size = [], 0, 0
    for end, key in enumerate(keys, 1):
        size += len(key) + 1
        if size >= 1 << 20 or end == len(keys):
            batches.append(fingerprint(keys[start:end], *fp_args))
            start, size = end, 0
    if not batches:
        return fingerprint([], *fp_args)
    return Fingerprints.concatenate(batches, settings.bands, settings.num_perm)


@dataclass
class _TextAnalysis:
    """:func:`_analyse_text`'s result for one document, before the batch is fingerprinted."""

    document: AnalysedDocument
    paragraphs_blob: bytes
    candidate_index: list[int]
    candidate_line: list[int]
    keys: list[bytes]  # UTF-8
    template_keys: list[int]  # positions (into keys) of distinct short non-sentence lines
    content_positions: list[int]  # positions (into keys) of paragraphs that read as content
    heading_positions: list[int]  # positions (into keys) of headings
    section_heading_positions: list[int]  # positions (into keys) of section headings between prose


def _read_input(src: str, item: "str | RowInput", settings: Settings) -> Document | Skipped:
    """The decoded document of a file (``item`` its relative path) or of a row."""
    if isinstance(item, str):
        try:
            return read_document(src, item, settings.max_file_size, settings.encodings)[0]  # the bytes are not kept
        except InputError as exc:
            return Skipped(item, str(exc))
    try:
        text, key = item.text_and_key(settings.text_field, settings.id_field)
    except RowError as exc:
        return Skipped(Address(item.file, item.row, exc.id).key, str(exc))
    data = row_bytes(text)
    if len(data) > settings.max_file_size:
        return Skipped(key, f"text too large ({len(data)} bytes > --max-file-size {settings.max_file_size})")
    try:
        return document_from_row(key, data)
    except InputError as exc:
        return Skipped(key, str(exc).replace("binary file", "not text"))


def _analyse_text(src: str, item: "str | RowInput", settings: Settings) -> _TextAnalysis | Skipped:
    """The per-document stages for one file or row, fingerprints aside."""
    doc = _read_input(src, item, settings)
    if isinstance(doc, Skipped):
        return doc
    paragraphs = segment(doc, split_line_edges if settings.boilerplate else None)
    if settings.boilerplate:
        _rules(settings).classify(paragraphs)
        if settings.pages != "off":
            classify_page(paragraphs, load_model(settings.page_model), aggressive=settings.pages == "aggressive", rules=_rules(settings))
    undecided = [p for p in paragraphs if p.reason is None]
    keys = match_keys_utf8([p.text for p in undecided])
    template_keys: list[int] = []
    content_positions: list[int] = []
    if settings.boilerplate:
        seen: set[bytes] = set()
        for pos, (p, key) in enumerate(zip(undecided, keys)):
            if p.prose:
                content_positions.append(pos)
            elif key not in seen and template_shaped(p.text, key, settings.template_max_words):  # classify found it is no prose
                seen.add(key)
                template_keys.append(pos)
    # A JSONL row's source line goes to the spill file with its paragraphs: pass 2 writes its
    # output line in the worker that renders it (the main process only writes the lines out).
    raw_row = item.raw if isinstance(item, RowInput) else None
    blob = pickle.dumps(paragraphs if raw_row is None else (paragraphs, raw_row), protocol=pickle.HIGHEST_PROTOCOL)
    return _TextAnalysis(
        AnalysedDocument(doc.path, doc.size, doc.sha256, doc.encoding, doc.notes, len(blob), len(undecided), doc.encoding_confidence),
        blob,
        [p.index for p in undecided],
        [p.first_line for p in undecided],
        keys,
        template_keys,
        content_positions,
        [pos for pos, p in enumerate(undecided) if p.is_heading],
        section_headings(undecided) if settings.boilerplate else [],
    )


def analyse_documents(src: str, items: "list[str | RowInput]", settings: Settings, spill_file: str) -> AnalysedBatch:
    """The per-document stages for a few files or rows. Their keys are fingerprinted together:
    numpy's fixed cost per call is paid once per batch, not once per (often small) document.
    Their paragraphs are appended to ``spill_file``."""
    results = [_analyse_text(src, item, settings) for item in items]
    analysed = [r for r in results if isinstance(r, _TextAnalysis)]
    spill_offset = _append_to_spill(spill_file, b"".join(r.paragraphs_blob for r in analysed))
    encoded = [k for r in analysed for k in r.keys]  # UTF-8
    template_keys: list[int] = []
    content_positions: list[int] = []
    heading_positions: list[int] = []
    section_heading_positions: list[int] = []
    offset = 0
    for r in analysed:
        template_keys.extend(offset + pos for pos in r.template_keys)
        content_positions.extend(offset + pos for pos in r.content_positions)
        heading_positions.extend(offset + pos for pos in r.heading_positions)
        section_heading_positions.extend(offset + pos for pos in r.section_heading_positions)
        offset += len(r.keys)
    return AnalysedBatch(
        [r.document if isinstance(r, _TextAnalysis) else r for r in results],
        spill_offset,
        np.array([i for r in analysed for i in r.candidate_index], dtype=np.int32),
        np.array([line for r in analysed for line in r.candidate_line], dtype=np.int32),
        _fingerprint_keys(encoded, settings),
        b"".join(encoded),
        np.fromiter(map(len, encoded), dtype=np.int32, count=len(encoded)),
        np.array(template_keys, dtype=np.int64),
        np.array(content_positions, dtype=np.int64),
        np.array(heading_positions, dtype=np.int64),
        np.array(section_heading_positions, dtype=np.int64),
    )


def analyse_documents_apart(src: str, items: "list[str | RowInput]", settings: Settings, spill_file: str, fingerprint_folder: str) -> AnalysedBatch:
    """:func:`analyse_documents`, with the batch's match keys, bucket keys and sketches written to
    files in ``fingerprint_folder`` for the distributed candidate search (shuffle.py) instead of
    sent back."""
    batch = analyse_documents(src, items, settings, spill_file)
    batch.fingerprint_file, batch.fingerprints = write_fingerprint_files(fingerprint_folder, batch.keys_blob, batch.key_lengths,
                                                                         batch.fingerprints, batch.heading_positions)
    batch.keys_blob = b""  # (in the files too: shuffle.FileKeys)
    return batch


def analyse_document(src: str, item: "str | RowInput", settings: Settings, spill_file: str) -> AnalysedBatch:
    """The per-document stages for one file or row."""
    return analyse_documents(src, [item], settings, spill_file)


def _append_to_spill(spill_file: str, blob: bytes) -> int:
    """Append ``blob`` to the spill file and return where it starts. Every worker appends to the
    same file through its own descriptor, holding an exclusive ``flock`` on it from finding the
    end to the last byte written, so two workers' blobs never overlap, even when one takes
    several writes (more than 2 GiB, or a write cut short)."""
    if not blob:
        return 0
    fd = os.open(spill_file, os.O_WRONLY | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        start = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(blob)
        while view:
            written = os.write(fd, view)
            if written == 0:  # nothing written and no error: treat as a full disk rather than loop
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), spill_file)
            view = view[written:]
        return start
    except OSError as exc:
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, spill_file) from None
        raise
    finally:
        os.close(fd)  # closing the descriptor releases the lock


_BATCH_MIN = 16  # documents a batch holds at least, unless one is large
_BATCH_MAX = 256  # documents a batch holds at most
_BATCH_SMALL_BYTES = 256 << 10  # ... and more than _BATCH_MIN only while they are this small together
_BATCH_BYTES = 4 << 20


def _batch_full(count: int, size: int, next_size: int) -> bool:
    """Whether a batch of ``count`` documents and ``size`` bytes takes no more documents (the next
    one is ``next_size`` bytes): 256 documents; 16 documents once they make 256 KiB; or 4 MiB (a
    large document travels alone). Small documents go 256 to a batch: a batch costs a message to
    a worker and back and a numpy call per stage whatever it holds, and batches of 16 documents
    of 300 bytes spent more time being passed around than being cleaned."""
    return count >= _BATCH_MAX or (count >= _BATCH_MIN and size >= _BATCH_SMALL_BYTES) or size + next_size > _BATCH_BYTES


def _in_batches(items: Iterable, size_of: Callable[[object], int]) -> Iterator[list]:
    """Consecutive ``items`` in batches (see :func:`_batch_full`), each item's size from
    ``size_of``: pass 1's files and rows, and pass 2's documents, batched alike."""
    current: list = []
    size = 0
    for item in items:
        n = size_of(item)
        if current and _batch_full(len(current), size, n):
            yield current
            current, size = [], 0
        current.append(item)
        size += n
    if current:
        yield current


def _batches(src: Path, items: "Iterable[str | RowInput]", sizes: dict[str, int] | None = None) -> "Iterator[list[str | RowInput]]":
    """Consecutive files or rows in batches (see :func:`_batch_full`). A generator: the pool
    starts on the first batches while the sizes of the others are looked up (18,000 stat calls,
    0.2 s from a cold cache, were a wait before any worker started)."""
    folder = str(src)

    def size_of(item: "str | RowInput") -> int:
        if not isinstance(item, str):
            return item.size
        if sizes is not None and item in sizes:
            return sizes[item]
        try:
            return os.stat(os.path.join(folder, item)).st_size
        except OSError:
            return 0

    return _in_batches(items, size_of)


def _analyse_all(src: Path, inputs: "CorpusInputs", settings: Settings, spill_file: str, progress: Progress | None,
                 engine: "LocalEngine | RayEngine | None" = None, fingerprint_folder: str | None = None) -> Iterator[AnalysedBatch]:
    """The per-document stages over all files and rows, results in corpus order; in a process
    pool when --jobs > 1. The text files are read ahead (see :class:`ReadAhead`) so that the disk
    works while the stages compute. ``fingerprint_folder``: the bucket keys and sketches go to
    files there (an engine's pool only; shuffle.py)."""
    with ReadAhead(src, inputs.text_files, settings.max_file_size, sizes=inputs.sizes) as read_ahead:
        yield from _analysed(src, inputs, settings, spill_file, progress, read_ahead, engine or LocalEngine(), fingerprint_folder)


def _analysed(src: Path, inputs: "CorpusInputs", settings: Settings, spill_file: str, progress: Progress | None,
              read_ahead: ReadAhead, engine: "LocalEngine | RayEngine", fingerprint_folder: str | None = None) -> Iterator[AnalysedBatch]:
    total = inputs.documents_expected
    unit = "documents" if inputs.containers else "files"  # for the progress line: rows are documents
    nbytes = 0
    if engine.name == "local" and (settings.jobs == 1 or total < 2):
        # Text files one at a time (a progress step each); rows in batches, fingerprinted
        # together as in a worker (one numpy call per row cost more than cleaning it).
        n = 0
        for group in _batches(src, inputs.items(settings.text_field, settings.id_field), inputs.sizes):
            for items in ([group] if not isinstance(group[0], str) else [[item] for item in group]):
                if isinstance(items[0], str):
                    batch = analyse_document(str(src), items[0], settings, spill_file)
                else:
                    batch = analyse_documents(str(src), items, settings, spill_file)
                n += len(items)
                nbytes += sum(getattr(d, "size", 0) for d in batch.documents)
                read_ahead.consumed(nbytes)
                yield batch
                if progress:
                    progress("read", n, total, nbytes, unit)
        return
    batches = _batches(src, inputs.items(settings.text_field, settings.id_field), inputs.sizes)
    if fingerprint_folder is None:
        function, calls = analyse_documents, ((str(src), batch, settings, spill_file) for batch in batches)
    else:
        function, calls = analyse_documents_apart, ((str(src), batch, settings, spill_file, fingerprint_folder) for batch in batches)
    with engine.pool(settings.jobs) as pool:
        try:
            # At most 8 batches per worker in flight (in_order also holds Ctrl-C back while the
            # workers are forked): Executor.map would take every batch at once, and a batch of
            # rows carries the rows themselves: a JSONL file of gigabytes would sit in memory.
            n = 0
            for batch in in_order(pool, function, calls, 8 * settings.jobs):
                n += len(batch.documents)
                nbytes += sum(getattr(d, "size", 0) for d in batch.documents)
                yield batch
                read_ahead.consumed(nbytes)
                if progress:
                    progress("read", n, total, nbytes, unit)
        except BaseException:  # interrupted or failed: drop the queued work instead of finishing it
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _cpu_seconds() -> tuple[float, float]:
    """CPU seconds (user + system) used so far by this process and by its finished workers."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20) if sys.platform == "darwin" else peak / 1024, 1)


def _rss_file_mb() -> float | None:
    """Resident pages of this process that are mapped files (an incremental run's index, read
    through memory maps: shared with the page cache and dropped under memory pressure, unlike
    the rest), in MB; None where /proc does not tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("RssFile:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


@dataclass(slots=True)
class _DocumentEntry:
    path: str
    size: int
    sha256: str
    encoding: str
    notes: list[str]
    spill_offset: int
    spill_length: int
    first_candidate: int
    n_candidates: int
    encoding_confidence: float = 1.0

    def __reduce__(self):
        # Pickled as the constructor's arguments (every document goes to a render worker once):
        # a third of the default's time for a dataclass.
        return (_DocumentEntry, (self.path, self.size, self.sha256, self.encoding, self.notes, self.spill_offset,
                                 self.spill_length, self.first_candidate, self.n_candidates, self.encoding_confidence))


class _StageClock:
    """What run.json reports of each stage: wall seconds, this process's peak resident memory at
    its end (MB), and the CPU seconds of this process and of its finished workers."""

    def __init__(self) -> None:
        self.started = time.time()
        self.timings: dict[str, float] = {}
        self.peak_rss: dict[str, float] = {}
        self.rss_file: dict[str, float | None] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self._mark = _cpu_seconds()
        self._stage_start = time.perf_counter()

    def start(self) -> None:
        self._stage_start = time.perf_counter()

    def end(self, stage: str) -> None:
        self.timings[stage] = time.perf_counter() - self._stage_start
        self.peak_rss[stage] = _peak_rss_mb()
        self.rss_file[stage] = _rss_file_mb()
        own, workers = _cpu_seconds()
        self.cpu[stage] = {"main": round(own - self._mark[0], 3), "workers": round(workers - self._mark[1], 3)}
        self._mark = (own, workers)
        self._stage_start = time.perf_counter()


def _run_facts(clock: _StageClock, src: Path, settings: Settings) -> dict:
    """run.json: the facts of this run only (everything else in DST is byte-reproducible)."""
    return {
        "started": datetime.fromtimestamp(clock.started, timezone.utc).isoformat(timespec="seconds"),
        "src": os.fsdecode(src.resolve()),  # which SRC this DST is the output of (check_destination)
        "host": platform.node(),
        "python": platform.python_version(),
        "jobs": settings.jobs,
        "timings_seconds": {k: round(v, 3) for k, v in clock.timings.items()},
        "peak_rss_mb": clock.peak_rss,
        "rss_file_mb": clock.rss_file,  # of that, at each stage's end: mapped files (the index of an incremental run)
        "cpu_seconds": clock.cpu,
        "duration_seconds": round(time.time() - clock.started, 3),
    }


def _manifest_head(settings: Settings, discovered: int, corpus: CollectedCorpus, templates: TemplateLines, clusters: ClusterResult,
                   orphan_headings: int, batch: int | None = None) -> dict:
    """The manifest before its totals, files and skipped list: the tool, every parameter that can
    change the output, and what each stage counted; for an incremental run, the batch number."""
    return {
        "tool": "corpus-dedupe",
        "version": __version__,
        "parameters": settings.output_parameters(),
        **({"incremental": {"batch": batch}} if batch is not None else {}),
        "stage_counts": {
            "discovered_files": discovered,
            "dedupe_candidates": corpus.n_candidates,
            "template_lines_found": templates.found,
            "template_paragraphs": len(templates.documents),
            **{k: v for k, v in sorted(clusters.counts.items())},
            "orphan_headings": orphan_headings,
        },
    }


def run(src: Path, dst: Path, settings: Settings, force: bool = False, progress: Progress | None = None,
        index: Path | None = None) -> RunSummary:
    """Run the whole pipeline from SRC to DST and return what was written: the stages in turn
    (discover_inputs, collect over pass 1, find_template_lines, find_duplicates,
    settle_orphan_headings, render_batches), then pass 2 writing DST atomically. ``index``: an
    index folder of earlier batches (incremental.py): SRC is decided as the next batch, and
    added to the index once DST is written."""
    if index is not None:
        check_index_place(Path(index), Path(src), Path(dst))
        with Index.open(Path(index), settings, write=True) as opened:
            return _run(src, dst, settings, force, progress, opened)
    return _run(src, dst, settings, force, progress, None)


def _run(src: Path, dst: Path, settings: Settings, force: bool, progress: Progress | None, index: "Index | None") -> RunSummary:
    engine = open_engine(settings.engine, settings.ray_address, settings.jobs)
    try:
        return _run_on(src, dst, settings, force, progress, index, engine)
    finally:
        engine.close()


def _run_on(src: Path, dst: Path, settings: Settings, force: bool, progress: Progress | None, index: "Index | None",
            engine: "LocalEngine | RayEngine") -> RunSummary:
    clock = _StageClock()
    set_mmap_threshold(top_pad=64 << 20, arenas=1)
    src, dst = Path(src), Path(dst)
    check_destination(src, dst, force)
    if settings.boilerplate:
        _rules(settings)  # fail early on a bad rules file
        if settings.pages != "off":
            load_model(settings.page_model)  # and on a bad page model

    clock.start()
    inputs, skipped = discover_inputs(src, settings.format, settings.text_field, settings.include, settings.follow_symlinks)
    root = Path(inputs.root)
    clock.end("discover")
    if not inputs.paths and not skipped:
        # An empty corpus would replace DST: a mistyped SRC or --include is not a reason to.
        what = f"no file matches --include {' '.join(settings.include)}" if settings.include else "no file to read"
        raise InputError(f"{src}: {what} (hidden files and folders are not read)")

    spill_file = spill_path(dst)
    spill_file.parent.mkdir(parents=True, exist_ok=True)
    # On an engine of other processes or machines, the bucket keys and sketches stay in files
    # and the candidate pairs are found by its tasks (shuffle.py). (A batch against an index
    # decides in this process: incremental.py.)
    shuffle_folder = shuffle_path(dst) if engine.name != "local" and index is None else None
    try:
        if shuffle_folder is not None:
            shuffle_folder.mkdir()
        with open(spill_file, "w+b") as spill:
            # Pass 1: per-document stages, in the pool.
            corpus = collect(_analyse_all(root, inputs, settings, str(spill_file), progress, engine,
                                          str(shuffle_folder) if shuffle_folder is not None else None),
                             skipped, settings, fingerprints_apart=shuffle_folder is not None)
            clock.end("read_normalise_segment_fingerprint")
            templates = find_template_lines(corpus, settings, index)
            corpus.release_content()
            clock.end("templates")
            if progress:
                progress("dedupe", 0, corpus.n_candidates)
            indexed = None
            if index is None:
                clusters = find_duplicates(corpus, templates, settings, engine)
                if shuffle_folder is not None:
                    remove_tree(shuffle_folder)  # (the bucket keys and sketches: done with)
                clock.end("dedupe")
                orphans = settle_orphan_headings(corpus, templates, clusters, settings)
            else:
                indexed = decide_against_index(index, corpus, templates, settings)
                clock.end("dedupe")
                clusters, orphans = indexed.final.clusters, indexed.orphans
            clock.end("headings")

            # Pass 2: decide, render and write, document by document.
            batches = render_batches(corpus, templates, clusters, orphans, settings,
                                     indexed.final.references(index) if indexed is not None else None)
            orphan_total = [0]  # counted as the documents are written (the manifest head is made after)
            unit = "documents" if inputs.containers else "files"

            def written_documents(staging: Path) -> Iterator[WrittenDocument | WrittenRows]:
                n = 0
                for written in _render_all(str(spill_file), staging, dst.absolute(), batches, settings, engine):
                    orphan_total[0] += written.orphan_headings
                    n += len(written.rows) if isinstance(written, WrittenRows) else 1
                    if progress:
                        progress("write", n, len(corpus.docs), unit=unit)
                    yield written
                # The spill file is done with: emptied now, its pages are not flushed to disk
                # with the output (one syncfs flushes the whole file system).
                spill.truncate(0)

            def run_facts() -> dict:
                clock.end("write")
                return _run_facts(clock, src, settings)

            manifest = write_corpus(
                dst, written_documents,
                lambda: _manifest_head(settings, len(inputs.paths), corpus, templates, clusters, orphan_total[0],
                                       index.next_batch if index is not None else None),
                run_facts,
                [{**_path_fields(s.path), "problem": s.problem} for s in skipped],
                ContainerOutputs(root, inputs.containers, settings.text_field, settings.keep_empty_rows),
            )
        if indexed is not None:
            try:
                add_batch_to_index(index, indexed, corpus, templates, src, sum(inputs.sizes.values()) if inputs.sizes else 0)
            except OSError as exc:
                raise IndexUpdateError(f"{exc.filename or index.folder}: could not add the batch to the index: {exc.strerror or exc}; "
                                       f"DST holds the batch's output, the index is as it was: run the batch again") from exc
    except OSError as exc:
        if exc.filename is None:  # a failed write to the spill file: name it
            raise OSError(exc.errno, exc.strerror, str(spill_file)) from exc
        raise
    finally:
        try:
            os.unlink(spill_file)
        except FileNotFoundError:
            pass
        if shuffle_folder is not None and shuffle_folder.exists():
            remove_tree(shuffle_folder)
    return RunSummary(dst, manifest, skipped, time.time() - clock.started)


def _path_fields(key: str) -> dict:
    """How the manifest names a skipped file (``path``) or row (``path``, ``row``, ``id``)."""
    fields = Address.from_key(key).fields()
    return {"path": fields.pop("source"), **fields}


# --------------------------------------------------------------------------------------------
# The corpus-level stages, each a function of plain data: collect (pass 1's results gathered),
# template lines, duplicates, orphan headings, render batches (pass 2's plan). Another engine (an
# incremental index, a cluster) calls the same functions on the same data to reach the same
# decisions.


@dataclass
class CollectedCorpus:
    """Pass 1's results gathered in corpus order: one entry per document, and per dedupe
    candidate (a paragraph not decided in pass 1; candidates are numbered in corpus order) its
    document, paragraph, first line, match key and fingerprint, and which candidates are template
    line candidates, content, headings and section headings."""

    docs: list[_DocumentEntry]
    keys: "KeyStore | FileKeys"  # (FileKeys: in files, when fingerprint_files is set)
    fp: Fingerprints
    cand_doc: np.ndarray  # document (index into docs) of each candidate
    cand_para: np.ndarray  # its paragraph index in the document
    cand_line: np.ndarray  # its first source line
    template_cands: np.ndarray  # candidates that are distinct short non-sentence lines of their document
    content_doc: np.ndarray  # for each candidate that reads as content: its document
    content_hash: np.ndarray  # ... and its key hash
    heading_cands: np.ndarray
    section_heading_cands: np.ndarray
    skipped: list[Skipped]
    # (first candidate, candidates, prefix) of each batch whose bucket keys and sketches are in
    # files (shuffle.py); ``fp`` then holds key hashes and word counts only
    fingerprint_files: list[tuple[int, int, str]] | None = None

    @property
    def n_candidates(self) -> int:
        return len(self.cand_doc)

    @property
    def first_candidates(self) -> list[int]:
        """Each document's first candidate, then the number of candidates."""
        return [doc.first_candidate for doc in self.docs] + [self.n_candidates]

    def release_content(self) -> None:
        """Drop ``content_doc`` and ``content_hash``: only the template stage reads them (16 bytes
        a paragraph of content, 37 MB of the 1 GB corpus's, held through the duplicate search
        for nothing)."""
        self.content_doc = np.zeros(0, dtype=np.int64)
        self.content_hash = np.zeros(0, dtype=np.uint64)

    def heading_mask(self) -> np.ndarray:
        """Which candidates are headings, titles or labels."""
        mask = np.zeros(self.n_candidates, dtype=bool)
        mask[self.heading_cands] = True
        return mask


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def collect(batches: Iterable[AnalysedBatch], skipped: list[Skipped], settings: Settings, fingerprints_apart: bool = False) -> CollectedCorpus:
    """Gather pass 1's batches (in corpus order) into a :class:`CollectedCorpus`; documents that
    could not be read are added to ``skipped`` (sorted by file, then row). ``fingerprints_apart``:
    the batches' match keys, bucket keys and sketches are in files (:func:`analyse_documents_apart`);
    ``keys`` is then a shuffle.FileKeys."""
    docs: list[_DocumentEntry] = []
    keys = KeyStore()
    fp_parts = FingerprintCollector(settings.bands, 0, columns=0) if fingerprints_apart else FingerprintCollector(settings.bands, settings.num_perm)
    files: list[tuple[int, int, str]] = []
    cand_doc, cand_para, cand_line = [], [], []
    template_cands, content_doc, content_hash, heading_cands, section_heading_cands = [], [], [], [], []
    n_cand = 0
    for batch in batches:
        offset = batch.spill_offset
        batch_docs, batch_counts = [], []
        first_candidate = n_cand
        for document in batch.documents:
            if isinstance(document, Skipped):
                skipped.append(document)
                continue
            docs.append(_DocumentEntry(document.path, document.size, document.sha256, document.encoding, document.notes,
                                       offset, document.paragraphs_length, first_candidate, document.n_candidates,
                                       document.encoding_confidence))
            offset += document.paragraphs_length
            first_candidate += document.n_candidates
            batch_docs.append(len(docs) - 1)
            batch_counts.append(document.n_candidates)
        if not fingerprints_apart:
            keys.extend_encoded(batch.keys_blob, batch.key_lengths)
        fp_parts.add(batch.fingerprints)
        if batch.fingerprint_file is not None:
            files.append((n_cand, batch.n_candidates, batch.fingerprint_file))
        doc_of_candidate = np.repeat(np.array(batch_docs, dtype=np.int32), batch_counts)
        cand_doc.append(doc_of_candidate)
        # Copies: on the Ray engine a batch's arrays are views of its object in Ray's store, and
        # keeping one would keep the whole object (the 1 GB driver peaked at 5.9 GB).
        cand_para.append(np.array(batch.candidate_index))
        cand_line.append(np.array(batch.candidate_line))
        template_cands.append(n_cand + batch.template_keys)
        heading_cands.append(n_cand + batch.heading_positions)
        section_heading_cands.append(n_cand + batch.section_heading_positions)
        content_doc.append(doc_of_candidate[batch.content_positions].astype(np.int64))
        content_hash.append(batch.fingerprints.key_hash[batch.content_positions])
        n_cand += batch.n_candidates
    skipped.sort(key=lambda s: (file_of(s.path), row_of(s.path) or 0))
    return CollectedCorpus(docs, FileKeys(files) if fingerprints_apart else keys, fp_parts.build(), _concat(cand_doc, np.int32), _concat(cand_para, np.int32), _concat(cand_line, np.int32),
                           _concat(template_cands, np.int64), _concat(content_doc, np.int64), _concat(content_hash, np.uint64),
                           _concat(heading_cands, np.int64), _concat(section_heading_cands, np.int64), skipped,
                           files if fingerprints_apart else None)


@dataclass
class TemplateLines:
    """Corpus template lines: ``documents`` maps each candidate that is one to the number of
    documents that carried the line; ``groups`` is the copy group of each document (copies of
    one article count once); ``found``, the number of distinct lines."""

    documents: dict[int, int]
    groups: np.ndarray
    found: int = 0
    own_counts: tuple[np.ndarray, np.ndarray] | None = None  # an incremental batch's own line counts (incremental.template_count_table)


def find_template_lines(corpus: CollectedCorpus, settings: Settings, index: Index | None = None) -> TemplateLines:
    """Corpus template lines, removed before duplicates are looked for (their fingerprints are
    cleared in ``corpus.fp``, so that the duplicate search passes them over). ``index``: the
    lines are counted with the indexed batches' counts added (incremental.py)."""
    docs, fp, keys = corpus.docs, corpus.fp, corpus.keys
    template_docs: dict[int, int] = {}
    groups = np.arange(len(docs))  # copies of one article (see below): each its own without templates
    if not (settings.boilerplate and docs):
        return TemplateLines(template_docs, groups, 0)
    # Copies of one article (sharing half their content paragraphs) count once; so do exact
    # copies of a document without content paragraphs (a page of short lines), through a key
    # standing for the whole document: a document copied at the end of the corpus must not make
    # a line of the original a template line.
    whole_doc, whole_hash = _document_hashes(docs, fp.key_hash)
    groups = copy_groups_from_hashes(np.concatenate([corpus.content_doc, whole_doc]),
                                     np.concatenate([corpus.content_hash, whole_hash]), len(docs))
    # Each document's template candidates (they come in corpus order, hence by document).
    template_cands = corpus.template_cands
    bounds = np.searchsorted(corpus.cand_doc[template_cands], np.arange(len(docs) + 1)).tolist()
    counts = template_line_counts(_template_candidates_by_document(docs, groups, keys, template_cands, bounds))
    own_counts = None
    if index is not None:
        own_counts = template_count_table(counts)
        add_earlier_template_counts(counts, index)
    found = template_lines_found(counts, settings.template_min_documents)
    if found:
        # Template lines are short: only keys that short are looked up.
        short = np.flatnonzero((fp.n_words > 0) & (fp.n_words <= settings.template_max_words))
        # and only those whose key hash is a found key's: the others are not decoded.
        short = short[np.isin(fp.key_hash[short], key_hashes(sorted({key for _site, key in found})))]
        sites = [site_of(doc.path) for doc in docs]
        for c, d_i, key in zip(short.tolist(), corpus.cand_doc[short].tolist(), keys.many(short)):
            count = found.get((sites[d_i], key))
            if count is not None:
                template_docs[c] = count
                fp.clear_row(c)  # out of the duplicate search
    return TemplateLines(template_docs, groups, len(found), own_counts)


def _template_candidates_by_document(docs: list[_DocumentEntry], groups: np.ndarray, keys, template_cands: np.ndarray,
                                     bounds: list[int]) -> Iterator[tuple[str, list[str], int]]:
    """(path, the keys of its template candidates, copy group) of each document. The keys are
    read 4,096 documents at a time: keys in files (shuffle.FileKeys) are read a batch file at a
    time, and only a few thousand documents' keys are held at once."""
    for lo in range(0, len(docs), 4096):
        hi = min(lo + 4096, len(docs))
        chunk = keys.many(template_cands[bounds[lo] : bounds[hi]])
        for d in range(lo, hi):
            yield docs[d].path, chunk[bounds[d] - bounds[lo] : bounds[d + 1] - bounds[lo]], int(groups[d])


def find_duplicates(corpus: CollectedCorpus, templates: TemplateLines, settings: Settings,
                    engine: "LocalEngine | RayEngine | None" = None) -> ClusterResult:
    """Exact, near and contained copies, keep-first in corpus order (cluster.decide), then the
    pieces of moved line breaks; a template line that is a section heading where it stands is
    taken back out of ``templates``."""
    fp = corpus.fp
    fp.title = corpus.heading_mask()  # a heading that differs by a word is a variant, not a copy
    if engine is not None and engine.name != "local":
        # Keep-first per connected component of the candidate graph, components as the engine's
        # tasks; the same decisions as in one piece. When pass 1 left the bucket keys in files,
        # the candidate pairs are found by the engine's tasks and stay in files: each component
        # task reads its pairs and keys there, and this process never holds the pairs.
        with engine.pool(settings.jobs) as pool:
            find_pairs = None
            if corpus.fingerprint_files is not None:
                files = corpus.fingerprint_files
                cleared = np.zeros(corpus.n_candidates, dtype=bool)
                cleared[list(templates.documents)] = True  # template lines: out of the duplicate search

                def find_pairs(exact):
                    return pair_files_by_shuffle(os.path.dirname(files[0][2]) if files else "", files, fp.n_words, exact, cleared,
                                                 settings, pool, partitions=2 * max(1, settings.jobs))
            clusters = decide_by_components(corpus.keys, fp, settings, pool, release_buckets=True, find_pairs=find_pairs)
    else:
        clusters = decide(corpus.keys, fp, settings, release_buckets=True)
    _take_back_template_lines(templates, corpus, absorb_fragments(corpus.keys, fp.n_words, clusters, corpus.cand_doc, corpus.cand_para,
                                                                  settings, templates.documents))
    return clusters


def _take_back_template_lines(templates: TemplateLines, corpus: CollectedCorpus, pieces: Iterable[int]) -> None:
    """Template lines that are not: the pieces of moved breaks removed with their copies, and a
    template line that heads prose after prose, a section heading where it stands ("EDUCATION",
    "II." over a part of a State of the Union address; between menu lines, the same line is the
    site's template). (After the pieces of moved breaks are taken: "Now," alone on a line in
    three documents is the start of a sentence.)"""
    for c in pieces:
        templates.documents.pop(c, None)
    for c in corpus.section_heading_cands.tolist():
        templates.documents.pop(c, None)


@dataclass
class IndexedBatch:
    """A batch's decisions against an index: in the combined row space (``decisions``) and the
    batch's own (``final``, ``orphans``)."""

    decisions: BatchDecisions
    final: BatchResult
    orphans: np.ndarray
    heading: np.ndarray


def decide_against_index(index: Index, corpus: CollectedCorpus, templates: TemplateLines, settings: Settings) -> IndexedBatch:
    """find_duplicates and settle_orphan_headings for a batch that follows the indexed ones."""
    is_heading_a = corpus.heading_mask()
    decisions = decide_batch(index, corpus.keys, corpus.fp, is_heading_a, corpus.cand_doc, corpus.cand_para, templates.documents, settings)
    m = decisions.prior.m
    _take_back_template_lines(templates, corpus, [c - m for c in decisions.absorbed])
    orphan_all = settle_orphan_headings(corpus, templates, decisions.clusters, settings, prior=decisions.prior)
    return IndexedBatch(decisions, batch_result(decisions, index), orphan_all[m:], is_heading_a)


def add_batch_to_index(index: Index, indexed: IndexedBatch, corpus: CollectedCorpus, templates: TemplateLines, src: Path,
                       source_bytes: int) -> None:
    """Add a batch, once its output is written, to the index (atomically: see index.py)."""
    template = np.zeros(corpus.n_candidates, dtype=bool)
    template[list(templates.documents)] = True
    where = np.stack([corpus.cand_doc, corpus.cand_para, corpus.cand_line]).T
    arrays, heirs = segment_arrays(indexed.decisions, indexed.final, index, corpus.fp, corpus.keys, indexed.heading, indexed.orphans,
                                   template, where, *(templates.own_counts or (np.zeros(0, np.uint64), np.zeros((0, 2), np.int64))))
    code = indexed.final.clusters.code
    kept = int(((code == 0) & ~template & ~indexed.orphans).sum())
    facts = {"src": os.fsdecode(Path(src).resolve()), "documents": len(corpus.docs), "kept": kept, "source_bytes": source_bytes}
    index.add_segment(arrays, {"documents": [doc.path for doc in corpus.docs]}, heirs, facts)


def settle_orphan_headings(corpus: CollectedCorpus, templates: TemplateLines, clusters: ClusterResult, settings: Settings,
                           prior: "PriorRows | None" = None) -> np.ndarray:
    """Headings: a repeated one over different content stays, one whose section went as copies
    goes (structure.settle_headings). Updates ``clusters`` (an orphan is rendered as an orphan
    heading, not as a duplicate; a restored heading loses its similarity) and returns the
    orphans' mask over the candidates. ``prior``: the rows of an index placed before the
    candidates in ``clusters`` (incremental.py); the mask then covers them too."""
    docs, fp = corpus.docs, corpus.fp
    m = prior.m if prior is not None else 0
    n = m + corpus.n_candidates
    is_heading_a = np.concatenate([np.zeros(m, dtype=bool), corpus.heading_mask()])
    template_a = np.zeros(n, dtype=bool)
    template_a[[m + c for c in templates.documents]] = True
    first_candidates = [m + c for c in corpus.first_candidates]
    n_words = fp.n_words
    key_hash = fp.key_hash
    cand_doc = corpus.cand_doc.astype(np.int64)
    group = templates.groups[cand_doc]
    if prior is not None:
        is_heading_a[:m] = prior.heading
        n_words = np.concatenate([prior.n_words, n_words])
        key_hash = np.concatenate([prior.key_hash, key_hash])
        group = np.concatenate([-1 - np.arange(m), group])  # an earlier batch's document is no copy of this batch's (see incremental.py)
    is_label_a = is_heading_a & (n_words <= _LABEL_WORDS)
    if settings.boilerplate and docs:
        site_ids: dict[str, int] = {}
        site_of_doc = np.array([site_ids.setdefault(site_of(doc.path), len(site_ids)) for doc in docs], dtype=np.int64)
        site = np.concatenate([np.full(m, -1, dtype=np.int64), site_of_doc[cand_doc]])
        is_label_a &= labels_that_stay_rare(first_candidates, is_heading_a, is_label_a, clusters.code, clusters.duplicate_of,
                                            template_a, site, key_hash, settings.template_min_documents)
    orphan_a, restored = settle_headings(first_candidates, is_heading_a, is_label_a, clusters.code, clusters.duplicate_of,
                                         clusters.variant_of, template_a, group, prior.orphan if prior is not None else None)
    clusters.similarity[restored] = np.nan
    clusters.code[orphan_a] = 0  # rendered as orphan headings, not as duplicates
    clusters.duplicate_of[orphan_a] = -1
    for c_, name in REASON_OF_CODE.items():
        clusters.counts[name] = int((clusters.code[m:] == c_).sum())
    clusters.counts["headings_restored"] = len(restored)
    return orphan_a


def _output_rows(corpus: CollectedCorpus, clusters: ClusterResult, template_candidate: list[int], orphan_a: np.ndarray,
                 keep_empty_rows: bool) -> list[int | None]:
    """Each document's row in its output file: None for a text file and for a row not written.
    Known before the rows are rendered: a row is written when one of its candidates is kept (the
    paragraphs decided in pass 1 are all removed), or always with --keep-empty-rows (then at its
    own number: every source row has its output row). A container's rows are consecutive
    documents, so a row's place is the count of written rows of its file before it."""
    docs = corpus.docs
    keys = [doc.path for doc in docs]
    is_row = np.fromiter(("\0" in key for key in keys), dtype=bool, count=len(keys))
    if not is_row.any():
        return [None] * len(docs)
    if keep_empty_rows:
        return [row_of(key) if row else None for key, row in zip(keys, is_row.tolist())]
    removed_a = clusters.code != 0
    removed_a[template_candidate] = True
    removed_a |= orphan_a
    removed_per_doc = np.bincount(corpus.cand_doc[removed_a], minlength=len(docs))
    written = is_row & (np.fromiter((doc.n_candidates for doc in docs), dtype=np.int64, count=len(docs)) > removed_per_doc)
    files = [file_of(key) if row else None for key, row in zip(keys, is_row.tolist())]
    file_start = np.array([d == 0 or files[d] != files[d - 1] for d in range(len(docs))], dtype=bool)
    before = np.cumsum(written) - written  # written rows before each document, in the corpus
    first_of_file = np.maximum.accumulate(np.where(file_start, np.arange(len(docs)), 0))
    place = (before - before[first_of_file]).tolist()
    return [p if w else None for p, w in zip(place, written.tolist())]


@dataclass(slots=True)
class _RenderBatch:
    """Consecutive documents for pass 2, and the corpus-level verdicts on their dedupe candidates
    as arrays over the batch's candidates (global numbers ``first_candidate`` onwards): the
    worker that renders them builds each document's decisions itself, so the process that plans
    pass 2 (the driver of a cluster) handles a few arrays per batch instead of Python objects
    per removed paragraph. Only candidates that were removed or are variants have a verdict
    (``verdict_candidate``, increasing; the others are kept): its reason code (0: a variant),
    similarity, and the (document, paragraph, line) it duplicates or is a variant of, with the
    paths of those documents in ``paths`` (``outside``: instead a ref of an earlier batch of an
    index run). ``template_candidate``/``template_documents``: corpus template lines and the
    number of documents that carried them; ``orphan_candidate``: orphan headings
    (structure.settle_headings); ``output_rows``: each document's row in its output file."""

    docs: list[_DocumentEntry]
    verdict_candidate: np.ndarray
    verdict_code: np.ndarray
    verdict_similarity: np.ndarray
    target_doc: np.ndarray
    target_para: np.ndarray
    target_line: np.ndarray
    paths: dict[int, str]
    outside: dict[int, tuple]
    numbers: dict[int, list[str]] | None
    template_candidate: np.ndarray
    template_documents: np.ndarray
    orphan_candidate: np.ndarray
    output_rows: list[int | None]

    def __reduce__(self):
        return (_RenderBatch, tuple(getattr(self, name) for name in self.__slots__))

    def verdicts(self) -> dict[int, tuple]:
        """Global candidate -> (code, similarity, ref, differing numbers)."""
        refs: list[tuple] = [(self.paths[d], p, line) for d, p, line in
                             zip(self.target_doc.tolist(), self.target_para.tolist(), self.target_line.tolist())]
        candidates = self.verdict_candidate.tolist()
        if self.outside:
            for at, c in enumerate(candidates):
                if c in self.outside:
                    refs[at] = self.outside[c]
        numbers = self.numbers or {}
        return {c: (code, similarity, ref, numbers.get(c)) for c, code, similarity, ref in
                zip(candidates, self.verdict_code.tolist(), self.verdict_similarity.tolist(), refs)}


def render_batches(corpus: CollectedCorpus, templates: TemplateLines, clusters: ClusterResult, orphan_a: np.ndarray,
                   settings: Settings, outside: dict[int, tuple] | None = None) -> Iterator[_RenderBatch]:
    """Pass 2's plan, batch by batch in corpus order (documents batched as pass 1 batches them,
    :func:`_batch_full`): the verdicts on the batch's candidates that were removed or are
    variants, its template lines and orphan headings, and each row's place in its output file.
    ``outside``: the candidates whose duplicate_of or variant_of is a paragraph of an earlier
    batch (-2 in ``clusters``), with its (document, paragraph, line, batch)."""
    docs = corpus.docs
    n = corpus.n_candidates
    verdict_candidate = np.flatnonzero((clusters.code != 0) | (clusters.variant_of != -1))
    target = np.where(clusters.duplicate_of[verdict_candidate] != -1, clusters.duplicate_of[verdict_candidate],
                      clusters.variant_of[verdict_candidate])
    target = np.maximum(target, 0)  # (-2: an earlier batch's paragraph, given in ``outside``)
    verdict_code = clusters.code[verdict_candidate]
    verdict_similarity = clusters.similarity[verdict_candidate]
    target_doc = corpus.cand_doc[target]
    target_para = corpus.cand_para[target]
    target_line = corpus.cand_line[target]
    del target
    template_candidate = np.array(sorted(templates.documents), dtype=np.int64)
    template_documents = np.array([templates.documents[c] for c in template_candidate.tolist()], dtype=np.int64)
    orphan_candidate = np.flatnonzero(orphan_a)
    output_rows = _output_rows(corpus, clusters, template_candidate.tolist(), orphan_a, settings.keep_empty_rows)
    numbers = clusters.differing_numbers or None
    outside_keys = np.array(sorted(outside), dtype=np.int64) if outside else None
    for batch_docs in _in_batches(range(len(docs)), lambda d: docs[d].size):
        first, end = batch_docs[0], batch_docs[-1] + 1
        lo = docs[first].first_candidate
        hi = docs[end].first_candidate if end < len(docs) else n
        v_lo, v_hi = np.searchsorted(verdict_candidate, [lo, hi]).tolist()
        t_lo, t_hi = np.searchsorted(template_candidate, [lo, hi]).tolist()
        o_lo, o_hi = np.searchsorted(orphan_candidate, [lo, hi]).tolist()
        batch_target_doc = target_doc[v_lo:v_hi]
        batch_outside: dict[int, tuple] = {}
        if outside_keys is not None:
            k_lo, k_hi = np.searchsorted(outside_keys, [lo, hi]).tolist()
            batch_outside = {c: outside[c] for c in outside_keys[k_lo:k_hi].tolist()}  # type: ignore[index]
        batch_numbers = None
        if numbers:
            batch_numbers = {c: numbers[c] for c in verdict_candidate[v_lo:v_hi].tolist() if c in numbers}
        yield _RenderBatch(
            docs[first:end],
            verdict_candidate[v_lo:v_hi], verdict_code[v_lo:v_hi], verdict_similarity[v_lo:v_hi],
            batch_target_doc, target_para[v_lo:v_hi], target_line[v_lo:v_hi],
            {d: docs[d].path for d in np.unique(batch_target_doc).tolist()},
            batch_outside, batch_numbers,
            template_candidate[t_lo:t_hi], template_documents[t_lo:t_hi], orphan_candidate[o_lo:o_hi],
            output_rows[first:end],
        )


def render_documents(spill_file: str, staging: Path, dst: Path, batch: _RenderBatch, text_field: str = "text") -> list[WrittenDocument | WrittenRows]:
    """Pass 2 for a batch of documents: read their paragraphs back from the spill file, turn the
    verdicts into decisions, remove orphaned headings, write the output files into the staging
    folder (rows: render their cleaned text and their output line, gathered per container into
    one :class:`WrittenRows`) and render the provenance lines. Runs in a pool worker when there
    are several."""
    out: list[WrittenDocument | WrittenRows] = []
    folders: set[str] = set()
    verdicts = batch.verdicts()
    templates = dict(zip(batch.template_candidate.tolist(), batch.template_documents.tolist()))
    orphans = set(batch.orphan_candidate.tolist())
    with open(spill_file, "rb") as spill:
        for doc, output_row in zip(batch.docs, batch.output_rows):
            spill.seek(doc.spill_offset)
            paragraphs: list[Paragraph] = pickle.loads(spill.read(doc.spill_length))
            raw_row = None
            if isinstance(paragraphs, tuple):  # a JSONL row: its paragraphs and its source line (see _analyse_text)
                paragraphs, raw_row = paragraphs
            decisions, orphan_headings = _decisions_for(paragraphs, doc.first_candidate, verdicts, templates, orphans)
            metadata: dict = {}
            for p in paragraphs:
                for k, v in (p.metadata or {}).items():
                    metadata.setdefault(k, v)
            output = DocumentOutput(doc.path, doc.size, doc.sha256, doc.encoding, doc.notes, paragraphs, decisions, metadata,
                                    doc.encoding_confidence, output_row)
            if is_row_key(doc.path):
                file = file_of(doc.path)
                if not out or not isinstance(out[-1], WrittenRows) or out[-1].file != file:
                    out.append(WrittenRows(file))
                written = render_row(output)
                line = None
                if raw_row is not None and written.row_text is not None:
                    record = loads_row(raw_row)  # parsed in pass 1 already: valid
                    record[text_field] = written.row_text
                    line = dumps_row(record)
                out[-1].add(doc.path, written, orphan_headings, line)  # type: ignore[union-attr]
                continue
            written = write_document(staging, dst, output, folders)
            written.orphan_headings = orphan_headings
            out.append(written)
    return out


def _document_hashes(docs: list[_DocumentEntry], key_hash: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(document, hash of its candidates' keys in order) of every document that has candidates:
    equal for exact copies (as far as matching can tell)."""
    doc_ids, hashes = [], []
    for d, doc in enumerate(docs):
        if doc.n_candidates:
            digest = hashlib.blake2b(key_hash[doc.first_candidate : doc.first_candidate + doc.n_candidates].tobytes(), digest_size=8)
            doc_ids.append(d)
            hashes.append(int.from_bytes(digest.digest(), "little"))
    return np.array(doc_ids, dtype=np.int64), np.array(hashes, dtype=np.uint64)


# The longest heading that counts as a label or title a page may repeat over different content
# ("Pre-Workout Meal", "CIVIL RIGHTS", "What happens next"; see structure.settle_headings).
_LABEL_WORDS = 10


def _render_all(spill_file: str, staging: Path, dst: Path, batches: Iterator[_RenderBatch], settings: Settings,
                engine: "LocalEngine | RayEngine | None" = None) -> Iterator[WrittenDocument]:
    """:func:`render_documents` over all batches, in order; in a process pool when --jobs > 1,
    or as tasks of the Ray engine."""
    calls = ((spill_file, staging, dst, batch, settings.text_field) for batch in batches)
    engine = engine or LocalEngine()
    if engine.name == "local" and settings.jobs == 1:
        for written in in_order(None, render_documents, calls, 0):
            yield from written
        return
    with engine.pool(settings.jobs) as pool:
        try:
            for written in in_order(pool, render_documents, calls, 4 * settings.jobs):
                yield from written
        except BaseException:  # failed, interrupted or closed: drop queued work, wait for the running batches
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _decisions_for(paragraphs: list[Paragraph], first_candidate: int, verdicts: dict[int, tuple], templates: dict[int, int],
                   orphans: set[int]) -> tuple[list[Decision], int]:
    """A document's decisions (its candidates numbered from ``first_candidate`` in the corpus;
    the maps are its batch's, see :meth:`_RenderBatch.verdicts`) and its number of orphan
    headings."""
    decisions: list[Decision] = []
    c = first_candidate
    orphan_headings = 0
    for p in paragraphs:
        if p.reason is not None:
            decisions.append(Decision(p.reason, rule=p.rule, evidence=p.evidence))
            continue
        if c in orphans:
            decisions.append(Decision(ORPHAN_HEADING, rule=ORPHAN_RULE))
            orphan_headings += 1
        elif c in templates:
            decisions.append(Decision(BOILERPLATE, rule=TEMPLATE_RULE, template_documents=templates[c]))
        elif c in verdicts:
            reason_code, similarity, ref, differing = verdicts[c]
            if reason_code:
                decisions.append(Decision(REASON_OF_CODE[reason_code], duplicate_of=ParagraphRef(*ref), similarity=round(similarity, 4)))
            else:
                decisions.append(Decision(None, variant_of=ParagraphRef(*ref), similarity=round(similarity, 4), differing_numbers=differing))
        else:
            decisions.append(Decision(None))
        c += 1
    return decisions, orphan_headings
