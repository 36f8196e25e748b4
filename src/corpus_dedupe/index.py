"""The persistent index of incremental runs (``dedupe SRC DST --index DIR``): what later batches
need to know about the paragraphs of earlier ones, on disk, read through memory maps.

What a batch's decisions read from earlier batches (see incremental.py) decides what is kept:
not only the kept paragraphs. A removed paragraph still takes one of the first
``cluster._BUCKET_KEEP`` places of its LSH buckets (a later paragraph is compared with those
places only), an exact copy of a removed paragraph follows that paragraph's own decision, and a
paragraph that copies-of-copies removed was kept in the keep-first loop that later batches' rows
were compared in. So every candidate paragraph of a batch is indexed, with its state after each
step of the decision (:class:`cluster.StageStates`).

Layout of DIR::

    index.json        the manifest: format, version, the settings that decisions depend on, batches
    lock              flock'ed by the one run that may update the index
    b000001/ ...      one segment per batch, written once, never changed

A segment holds numpy arrays (``.npy``, opened with ``mmap_mode="r"``: a batch reads the pages
of the rows it looks up, never the whole index) and two small JSON files:

* per row (``rows`` of them; a row's global number is the segment's ``first`` plus its place):
  ``key_hash``, ``n_words``, ``heading``, ``sketch`` (the 8-bit signature sketch),
  ``state`` (loop, copies-of-copies and final code, as int8 columns), ``dup`` (the three
  ``duplicate_of`` values and ``variant_of``, global row numbers, -1: none), ``sim`` (the
  unrounded similarity after the loop and after copies of copies, the final rounded one),
  ``flags`` (orphan heading, removed as a moved-break piece, a template line), ``where``
  (document, paragraph, first line), and the match keys (``keys.bin`` with ``key_ends``);
* look-ups: ``exact_hash``/``exact_row`` (sorted key hashes of the paragraphs that were the
  first of their key), ``bucket_start``/``bucket_value``/``bucket_row`` (per bucket column,
  sorted bucket keys with the global row of each of the first ``_BUCKET_KEEP`` members of the
  bucket in this segment; exact copies are no bucket's members), ``template_hash``/
  ``template_count`` (per site, and per line for the whole corpus, the documents and the articles
  that carried a template-shaped line: hashes of ``site\0SITE\0LINE`` and ``corpus\0LINE``),
  ``presence`` (a Bloom filter over the exact and bucket tables: see :func:`presence_filter`);
  the rows of the look-up tables are the segment's own (uint32; add ``first``);
* ``heirs.json``: earlier rows removed as moved-break pieces whose copies were first seen here
  (the row kept in their place); ``docs.json``: the documents' keys (``Address.key``) and SRC.

An update is atomic: the segment is written into a temporary folder, flushed, renamed to its
name, and only then is ``index.json`` replaced (written beside and renamed over it). A run killed
at any point leaves the previous ``index.json``, which names only complete segments; a folder it
does not name is a killed run's leftover, removed by the next writer.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .fingerprint import fmix64

_SEGMENT_NAME = re.compile(r"b\d{6}")
INDEX_FORMAT = "corpus-dedupe-index"
INDEX_VERSION = 2
MANIFEST = "index.json"
LOCK = "lock"
DECISION_SETTINGS = ("num_perm", "bands", "shingle_words", "near_threshold", "contained_threshold", "min_words_near",
                     "min_words_contained", "boilerplate", "template_min_documents", "template_max_words", "pages")
STATE_COLUMNS = ("loop", "coc", "final")
DUP_COLUMNS = ("loop", "coc", "final", "variant")
SIM_COLUMNS = ("loop", "coc", "final")
FLAG_ORPHAN, FLAG_ABSORBED, FLAG_TEMPLATE = 1, 2, 4


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` by a sort: numpy 2.4's ``np.unique`` of 1.7 million 64-bit values
    took 1.15 s (a hash table), its sort 0.01 s."""
    ordered = np.sort(np.asarray(values))
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


_PRESENCE_BITS_PER_ENTRY = 16
_EXACT_TABLE = -1  # the presence filter's "column" of the exact-key table


@functools.cache
def _probe_masks() -> np.ndarray:
    """65,536 masks of (up to) four bits of a 64-bit word, the bits of a filter entry: an entry's
    mask is one look-up, where computing four shifts per key made asking the filter cost four
    times as much as asking the one-bit filter before it."""
    h = fmix64(np.arange(1, 1 << 16, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    mask = np.zeros(1 << 16, dtype=np.uint64)
    for probe in range(4):
        mask[1:] |= np.uint64(1) << ((h >> np.uint64(6 * probe)) & np.uint64(63))
    mask[0] = np.uint64(0x8421)
    return mask


def _presence_probe(values: np.ndarray, column: int, words: int) -> tuple[np.ndarray, np.ndarray]:
    """Where a (column, key) pair sits in a segment's presence filter of ``words`` 64-bit words
    (a power of two): its word (the low bits of the key, a 64-bit hash, mixed with the column),
    and the mask of its bits in that word (chosen by its top 16 bits)."""
    mixed, mask = _presence_hash(values, column)
    return mixed & np.uint64(words - 1), mask


def _presence_hash(values: np.ndarray, column: int) -> tuple[np.ndarray, np.ndarray]:
    """The mixed keys (their low bits pick the word in a filter of any size) and their masks:
    the same in every segment, so a batch computes them once per column, not once per segment."""
    salt = np.uint64((0x9E3779B97F4A7C15 * (column + 2)) & 0xFFFFFFFFFFFFFFFF)
    mixed = np.asarray(values, dtype=np.uint64) ^ salt
    mixed ^= mixed >> np.uint64(29)
    return mixed, _probe_masks()[mixed >> np.uint64(48)]


def presence_filter(tables: list[tuple[int, np.ndarray]]) -> np.ndarray:
    """A blocked Bloom filter over a segment's look-up tables (each ``(column, keys)``): at least
    ``_PRESENCE_BITS_PER_ENTRY`` bits per entry, each entry setting four bits of one 64-bit word
    (one memory read to ask). A batch asks the filter first and searches the
    sorted tables only for the keys it lets through: most keys of a new batch are in no earlier
    batch, and a search touches pages all over the tables. A first filter of one bit per entry
    (8 bits per entry, 12% of absent keys through) sent 2.0 million searches into a 1 GB index
    for a 20 MB batch whose keys were held 0.4 million times; this one lets about 0.3% through."""
    entries = sum(len(v) for _, v in tables)
    words = 1 << max(10, (max(entries, 1) * _PRESENCE_BITS_PER_ENTRY // 64 - 1).bit_length())
    filt = np.zeros(words, dtype=np.uint64)
    for column, values in tables:
        word, mask = _presence_probe(values, column, words)
        np.bitwise_or.at(filt, word, mask)
    return filt


def _may_hold(filt: np.ndarray, values: np.ndarray, column: int) -> np.ndarray:
    return _held(filt, *_presence_hash(values, column))


def _held(filt: np.ndarray, mixed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which keys (given by :func:`_presence_hash`) the filter may hold. (np.asarray: numpy's
    memmap subclass made the gather and comparison about a third slower.)"""
    if len(filt) == 0:
        return np.ones(len(mixed), dtype=bool)
    filt = np.asarray(filt)
    return (filt[mixed & np.uint64(len(filt) - 1)] & mask) == mask


class IndexError_(Exception):
    """The index cannot be used: busy, from another version, made with other settings, damaged."""


class IndexUpdateError(IndexError_):
    """DST was written but the batch could not be added to the index (the index is as it was)."""


def check_index_place(index: Path, src: Path, dst: Path) -> None:
    """The index folder must be apart from SRC (its files would be read as documents of the next
    batch) and from DST (replacing DST would delete it; a next writer removes unnamed segment
    folders in it)."""
    index_r, src_r, dst_r = Path(index).resolve(), Path(src).resolve(), Path(dst).resolve()
    for other, name in ((src_r, "SRC"), (dst_r, "DST")):
        if index_r == other or index_r.is_relative_to(other) or other.is_relative_to(index_r):
            raise IndexError_(f"{index}: the index folder must be outside {name} and {name} outside it")


def decision_settings(settings) -> dict:
    """The settings a batch's decisions depend on: an index made with others would not give
    the decisions of one big run, so it is refused."""
    values = {name: getattr(settings, name) for name in DECISION_SETTINGS}
    for name in ("rules_file", "page_model"):
        path = getattr(settings, name)
        values[name] = None if path is None else _sha256(Path(path))
    return values


@dataclass
class Segment:
    """One batch's part of the index, opened lazily through memory maps."""

    folder: Path
    batch: int
    first: int
    rows: int
    _arrays: dict = field(default_factory=dict, repr=False, compare=False)
    _json: dict = field(default_factory=dict, repr=False, compare=False)

    def array(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            path = self.folder / f"{name}.npy"
            self._arrays[name] = np.load(path, mmap_mode="r") if path.stat().st_size > 128 else np.load(path)
        return self._arrays[name]

    def json(self, name: str):
        if name not in self._json:
            self._json[name] = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        return self._json[name]

    def key_slices(self, local: np.ndarray) -> tuple[list[memoryview], np.ndarray]:
        """The UTF-8 bytes of the match keys of rows ``local``, as slices of the memory map (joined
        once by the caller, whatever the number of segments), and their lengths: one gather of
        the key ends (a slice per key through numpy's memmap cost 6 µs)."""
        ends = self.array("key_ends")
        data = memoryview(np.asarray(self.array("keys")))
        stop = np.asarray(ends[local])
        start = np.where(local > 0, np.asarray(ends[np.maximum(local - 1, 0)]), 0)
        return [data[a:b] for a, b in zip(start.tolist(), stop.tolist())], stop - start


class Index:
    """An index folder opened by one run. ``Index.open(DIR, settings, write=True)`` takes the
    writer's lock (a second writer stops with one line: :class:`IndexError_`) and removes what
    killed runs left; ``close()`` releases it."""

    def __init__(self, folder: Path, manifest: dict, lock_fd: int | None) -> None:
        self.folder = folder
        self.manifest = manifest
        self._lock_fd = lock_fd
        self.segments = [Segment(folder / b["dir"], b["batch"], b["first"], b["rows"]) for b in manifest["batches"]]

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, folder: Path, settings=None, write: bool = False) -> "Index":
        folder = Path(folder)
        if write:
            folder.mkdir(parents=True, exist_ok=True)
        elif not (folder / MANIFEST).is_file():
            raise IndexError_(f"{folder}: no index here (no {MANIFEST})")
        lock_fd = None
        if write:
            lock_fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(lock_fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise IndexError_(f"{folder}: the index is being updated by another run; try again when it has finished") from None
                raise
        try:
            manifest = cls._read_manifest(folder, settings)
            index = cls(folder, manifest, lock_fd)
            if write:
                index._remove_leftovers()
            return index
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise

    @staticmethod
    def _read_manifest(folder: Path, settings) -> dict:
        path = folder / MANIFEST
        if not path.exists():
            if any(p.name not in (LOCK,) and not p.name.startswith(".tmp-") for p in folder.iterdir()):
                raise IndexError_(f"{folder}: not an index folder (it holds other files and no {MANIFEST})")
            return {"format": INDEX_FORMAT, "version": INDEX_VERSION,
                    "settings": decision_settings(settings) if settings is not None else None,
                    "batches": [], "rows": 0, "documents": 0}
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"{path}: unreadable index manifest ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != INDEX_FORMAT:
            raise IndexError_(f"{path}: not a corpus-dedupe index")
        version = manifest.get("version")
        if version != INDEX_VERSION:
            newer = isinstance(version, int) and version > INDEX_VERSION
            raise IndexError_(f"{folder}: index format version {version} is {'newer' if newer else 'older'} than this dedupe's "
                              f"({INDEX_VERSION}); use the dedupe that made it, or start a new index")
        if settings is not None and manifest.get("settings") is not None:
            wanted = decision_settings(settings)
            differing = [k for k in wanted if manifest["settings"].get(k) != wanted[k]]
            if differing:
                k = differing[0]
                raise IndexError_(f"{folder}: the index was made with {k}={manifest['settings'].get(k)!r}, this run has "
                                  f"{k}={wanted[k]!r}; decisions would differ from one run over all batches")
        return manifest

    def _remove_leftovers(self) -> None:
        """Segments that ``index.json`` does not name and temporary files: what killed runs left
        (only names this module writes: ``b000123``, ``.tmp-...``)."""
        named = {b["dir"] for b in self.manifest["batches"]}
        for p in self.folder.iterdir():
            ours = _SEGMENT_NAME.fullmatch(p.name) or p.name.startswith(".tmp-")
            if not ours or p.name in named:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- facts -----------------------------------------------------------------------------------

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"])

    @property
    def next_batch(self) -> int:
        return len(self.manifest["batches"]) + 1

    def segment_of(self, rows: np.ndarray) -> np.ndarray:
        firsts = np.array([s.first for s in self.segments], dtype=np.int64)
        return np.searchsorted(firsts, rows, side="right") - 1

    def _by_segment(self, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Per segment holding some of ``rows``, their places in ``rows`` (in order): gathering
        segment by segment into those places gives the values in the order of ``rows``, sorted
        or not."""
        seg = self.segment_of(rows)
        order = np.argsort(seg, kind="stable")
        bounds = np.searchsorted(seg[order], np.arange(len(self.segments) + 1))
        return [(s, order[bounds[s] : bounds[s + 1]]) for s in range(len(self.segments)) if bounds[s] < bounds[s + 1]]

    def gather(self, rows: np.ndarray, name: str) -> np.ndarray:
        """``name``'s values at the global ``rows``, in their order, read segment by segment."""
        rows = np.asarray(rows, dtype=np.int64)
        template = self.segments[0].array(name) if self.segments else None
        if template is None or len(rows) == 0:
            shape = (0,) + (template.shape[1:] if template is not None else ())
            return np.zeros(shape, dtype=template.dtype if template is not None else np.int64)
        out = np.empty((len(rows),) + template.shape[1:], dtype=template.dtype)
        for s, places in self._by_segment(rows):
            segment = self.segments[s]
            out[places] = np.asarray(segment.array(name)[rows[places] - segment.first])
        return out

    def keys_encoded(self, rows: np.ndarray) -> tuple[bytes, np.ndarray]:
        """The match keys of global ``rows`` (sorted: the index's order), their UTF-8 bytes run
        together (one join) and their lengths."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return b"", np.zeros(0, dtype=np.int64)
        slices: list[memoryview] = []
        lengths = []
        for s, places in self._by_segment(rows):
            segment_slices, segment_lengths = self.segments[s].key_slices(rows[places] - self.segments[s].first)
            slices.extend(segment_slices)
            lengths.append(segment_lengths)
        return b"".join(slices), np.concatenate(lengths).astype(np.int64)

    def first_rows_of(self, key_hash: np.ndarray) -> np.ndarray:
        """The global row that was the first of each key hash (-1: none indexed)."""
        found = np.full(len(key_hash), -1, dtype=np.int64)
        key_hash = np.asarray(key_hash, dtype=np.uint64)
        for segment in self.segments:
            hashes, rows = segment.array("exact_hash"), segment.array("exact_row")
            if len(hashes) == 0:
                continue
            ask = np.flatnonzero((found < 0) & _may_hold(segment.array("presence"), key_hash, _EXACT_TABLE))
            at = np.minimum(np.searchsorted(hashes, key_hash[ask]), len(hashes) - 1)
            hit = np.asarray(hashes[at]) == key_hash[ask]
            found[ask[hit]] = np.asarray(rows[at[hit]]).astype(np.int64) + segment.first
        return found

    def bucket_members(self, column: int, values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """For bucket keys ``values`` (distinct, sorted) of one column: the first ``limit`` indexed
        members of each, in corpus order, as (index into ``values``, global row) pairs."""
        which, rows = [], []
        values = np.asarray(values, dtype=np.uint64)
        taken = np.zeros(len(values), dtype=np.int64)
        mixed, mask = _presence_hash(values, column)
        for segment in self.segments:
            starts = segment.array("bucket_start")
            lo, hi = int(starts[column]), int(starts[column + 1])
            if lo == hi or not len(values):
                continue
            ask = np.flatnonzero((taken < limit) & _held(segment.array("presence"), mixed, mask))
            if not len(ask):
                continue
            seg_values = np.asarray(segment.array("bucket_value"))[lo:hi]
            left = np.searchsorted(seg_values, values[ask], side="left")
            right = np.searchsorted(seg_values, values[ask], side="right")
            room = np.minimum(right - left, limit - taken[ask])
            if not room.any():
                continue
            v = np.repeat(np.arange(len(ask)), room)
            offset = np.arange(int(room.sum())) - np.repeat(np.cumsum(room) - room, room)
            which.append(ask[v])
            rows.append(np.asarray(segment.array("bucket_row"))[lo:hi][left[v] + offset].astype(np.int64) + segment.first)
            taken[ask] += room
        if not which:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(which), np.concatenate(rows).astype(np.int64)

    def heirs(self) -> dict[int, int]:
        """Rows removed as moved-break pieces, and the row kept in each one's place (-1: none yet)."""
        heirs: dict[int, int] = {}
        for segment in self.segments:
            for g, e in segment.json("heirs"):
                heirs[int(g)] = int(e)
        return heirs

    def template_counts(self, hashes: np.ndarray) -> np.ndarray:
        """(documents, articles) of the indexed batches that carried each counted line (see
        incremental.template_count_table)."""
        counts = np.zeros((len(hashes), 2), dtype=np.int64)
        for segment in self.segments:
            seg_hash, seg_count = segment.array("template_hash"), segment.array("template_count")
            if len(seg_hash) == 0:
                continue
            at = np.minimum(np.searchsorted(seg_hash, hashes), len(seg_hash) - 1)
            hit = np.asarray(seg_hash[at]) == hashes
            counts[hit] += np.asarray(seg_count[at[hit]])
        return counts

    def references(self, rows: np.ndarray) -> list[tuple[int, str, int, int]]:
        """(batch, document key, paragraph, first line) of each global row, for provenance."""
        rows = np.asarray(rows, dtype=np.int64)
        where = self.gather(rows, "where").tolist()
        out = []
        for s, row, (doc, para, line) in zip(self.segment_of(rows).tolist(), rows.tolist(), where):
            segment = self.segments[s]
            out.append((segment.batch, segment.json("docs")["documents"][doc], para, line))
        return out

    def summary(self) -> dict:
        """What ``dedupe index DIR`` prints."""
        batches = self.manifest["batches"]
        size = sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())
        return {"index": str(self.folder), "version": INDEX_VERSION, "batches": len(batches),
                "documents": int(self.manifest.get("documents", 0)), "paragraphs": self.rows,
                "kept": sum(b.get("kept", 0) for b in batches), "source_bytes": sum(b.get("source_bytes", 0) for b in batches),
                "index_bytes": size, "batch_list": batches}

    # -- writing ----------------------------------------------------------------------------------

    def add_segment(self, arrays: dict[str, np.ndarray], docs: dict, heirs: list[tuple[int, int]], facts: dict) -> None:
        """Write one batch's segment and make it part of the index, atomically (see the module)."""
        if self._lock_fd is None:
            raise IndexError_(f"{self.folder}: opened for reading only")
        batch = self.next_batch
        name = f"b{batch:06d}"
        tmp = self.folder / f".tmp-{name}-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        digests = {}
        for key, value in arrays.items():
            with open(tmp / f"{key}.npy", "wb") as f:
                np.save(f, np.ascontiguousarray(value))
                f.flush()
                os.fsync(f.fileno())
            digests[f"{key}.npy"] = _sha256(tmp / f"{key}.npy")
        for key, value in (("docs", docs), ("heirs", heirs)):
            with open(tmp / f"{key}.json", "w", encoding="utf-8") as f:
                json.dump(value, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            digests[f"{key}.json"] = _sha256(tmp / f"{key}.json")
        _fsync_dir(tmp)
        os.rename(tmp, self.folder / name)
        _fsync_dir(self.folder)
        rows = int(len(arrays["key_hash"]))
        entry = {"batch": batch, "dir": name, "first": self.rows, "rows": rows,
                 "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **facts, "files": digests}
        manifest = {**self.manifest, "batches": [*self.manifest["batches"], entry], "rows": self.rows + rows,
                    "documents": int(self.manifest.get("documents", 0)) + int(facts.get("documents", 0))}
        tmp_manifest = self.folder / f".tmp-{MANIFEST}-{os.getpid()}"
        with open(tmp_manifest, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_manifest, self.folder / MANIFEST)
        try:  # the batch is in the index now; an error here must not say otherwise
            _fsync_dir(self.folder)
        except OSError:
            pass
        self.manifest = manifest
        self.segments.append(Segment(self.folder / name, batch, entry["first"], rows))


def verify_index(folder: Path) -> list[str]:
    """The problems of an index (empty: it is whole): every segment the manifest names is there,
    its files have the sha256 the manifest recorded, its arrays have one entry per row, its
    look-up tables are sorted and point into it, and the batches' rows follow each other."""
    index = Index.open(folder)
    problems: list[str] = []
    expected_first = 0
    for entry, segment in zip(index.manifest["batches"], index.segments):
        name = entry["dir"]
        if entry["first"] != expected_first:
            problems.append(f"{folder}/{name}: starts at row {entry['first']}, expected {expected_first}")
        expected_first = entry["first"] + entry["rows"]
        if not segment.folder.is_dir():
            problems.append(f"{folder}/{name}: missing")
            continue
        bad_files = False
        for file, digest in entry.get("files", {}).items():
            path = segment.folder / file
            if not path.is_file():
                problems.append(f"{path}: missing")
                bad_files = True
            elif _sha256(path) != digest:
                problems.append(f"{path}: changed since it was written (sha256 differs)")
                bad_files = True
        if bad_files:
            continue
        n = entry["rows"]
        for array, width in (("key_hash", None), ("n_words", None), ("heading", None), ("sketch", None), ("state", 3), ("dup", 4),
                             ("sim", 3), ("flags", None), ("where", 3), ("key_ends", None)):
            if len(segment.array(array)) != n:
                problems.append(f"{segment.folder}/{array}.npy: {len(segment.array(array))} rows, the manifest says {n}")
        hashes = np.asarray(segment.array("exact_hash"))
        if len(hashes) > 1 and np.any(hashes[1:] < hashes[:-1]):
            problems.append(f"{segment.folder}/exact_hash.npy: not sorted")
        for table in ("exact_row", "bucket_row"):
            rows = np.asarray(segment.array(table))
            if len(rows) and rows.max() >= n:
                problems.append(f"{segment.folder}/{table}.npy: rows outside the batch")
        dup = np.asarray(segment.array("dup"))
        if len(dup) and dup.max() >= segment.first + n:
            problems.append(f"{segment.folder}/dup.npy: points at a later row")
    if index.rows != expected_first:
        problems.append(f"{folder}/{MANIFEST}: {index.rows} rows, the batches hold {expected_first}")
    return problems


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
