"""The candidate search of an engine whose workers are other processes or machines (the Ray
engine): the LSH bucket keys are grouped by a hash-partitioned shuffle through files, and no
process ever holds the whole corpus's bucket keys, sketches or candidate pairs.

One run in one process (cluster.candidate_pairs) holds every paragraph's bucket keys (34
columns of 8 bytes) and sketch (128 bytes): 400 bytes a paragraph, 0.9 GB for a 1 GB corpus, in
the one process that cannot be added to. Here the same pairs are found in rounds of tasks,
each reading and writing files in a folder beside DST (on a cluster, a file system every node
sees, as for the spill file):

1. **Pass 1** (:func:`write_fingerprint_files`, in the pass-1 task): a batch's bucket columns
   (with the two short-key columns, which depend on the key alone), sketches, word counts and
   heading flags go to ``B.columns.npy`` etc.; the main process receives only the key hashes
   and word counts.
2. **Map** (:func:`map_buckets`, a task per batch): each bucket key of a paragraph that can be a
   bucket member (no exact copy, no template line) is sent to partition
   ``hash(column, key) % P``: one file per (batch, partition).
3. **Reduce** (:func:`reduce_buckets`, a task per partition): the entries of one partition, from
   every batch in corpus order, sorted by bucket; each later member of a bucket is paired with
   the first ``_BUCKET_KEEP`` members before it (cluster.bucket_pair_codes), and the (pair,
   bucket) codes go to one file per range of rows.
4. **Rows** (:func:`row_pairs`, a task per range of rows): the codes of the range, from every
   partition; the sketches and word counts of the rows they name are read from the pass-1
   files (memory maps), and cluster.candidates_from_codes filters and ranks them as one process
   does. The pairs go to a file; the main process receives each row's number of pairs and a
   spanning forest of them (:class:`PairFiles`), from which it finds the components.
5. **Route** (:func:`route_pairs`, a task per range of rows): the range's pairs sorted by the
   component task their rows belong to; each component task reads its part of every range's
   file (:func:`_decide_components_from_files`).

Each task's output depends only on its inputs, so a task that Ray runs again (a lost worker)
writes the same files (written aside and renamed over). The pairs are exactly those of
cluster.candidate_pairs, and the decisions those of one keep-first over the corpus
(tests/test_shuffle.py, tests/test_ray_engine.py).
"""

from __future__ import annotations

import os
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import numpy as np

from .cluster import (_BUCKET_KEEP, CandidatePairs, ClusterResult, ComponentTasks, ExactCopies, KeyStore, _add_short_key_columns,
                      _affix_columns, _decide_components, _sorted_codes, compared_ahead, spanning_forest,
                      bucket_pair_codes, buckets_in_order, candidates_from_codes)
from .fingerprint import Fingerprints, fmix64
from .index import sorted_distinct
from .settings import Settings
from .workers import in_order

_ROWS_PER_TASK = 1 << 18  # rows whose candidates one task of the last round finds
_ENTRY = np.dtype([("column", np.int16), ("value", np.uint64), ("row", np.int64)])
_PAIR = np.dtype([("i", np.int32), ("j", np.int32), ("flags", np.int8)])  # a candidate pair in the files of round 4


def _save(path: Path, array: np.ndarray) -> None:
    """``np.save``, written aside and renamed: a task run twice, or killed, never leaves half a file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def write_fingerprint_files(folder: str, keys_blob: bytes, key_lengths: np.ndarray, fp: Fingerprints, heading_positions: np.ndarray) -> tuple[str, Fingerprints]:
    """Write a pass-1 batch's match keys, bucket columns (short-key columns added), sketches,
    word counts and heading flags to files in ``folder``; return their common prefix and the
    fingerprints the main process keeps (key hashes and word counts; no column, no sketch)."""
    n = len(fp.key_hash)
    keys = KeyStore()
    keys.extend_encoded(keys_blob, key_lengths)
    full = Fingerprints(fp.key_hash, fp.n_words, [np.ascontiguousarray(fp.column(c)) for c in range(fp.n_columns)], fp.sketch)
    _add_short_key_columns(keys, full)
    title = np.zeros(n, dtype=bool)
    title[heading_positions] = True
    prefix = os.path.join(folder, uuid.uuid4().hex)
    _save(Path(prefix + ".key_ends.npy"), np.cumsum(key_lengths, dtype=np.int64))
    tmp = Path(f"{prefix}.keys.{uuid.uuid4().hex}")
    tmp.write_bytes(keys_blob)
    os.replace(tmp, prefix + ".keys")
    _save(Path(prefix + ".columns.npy"), np.stack(full.buckets) if n else np.zeros((len(full.buckets), 0), dtype=np.uint64))
    _save(Path(prefix + ".sketch.npy"), np.ascontiguousarray(fp.sketch))
    _save(Path(prefix + ".n_words.npy"), np.ascontiguousarray(fp.n_words))
    _save(Path(prefix + ".title.npy"), title)
    kept = Fingerprints(fp.key_hash, fp.n_words, np.zeros((n, 0), dtype=np.uint64), np.zeros((n, 0), dtype=np.uint8))
    return prefix, kept


_OPEN_BATCHES = 16  # batches whose key file a FileKeys keeps open, and whose offsets it keeps


class FileKeys:
    """The match keys of a corpus whose pass 1 left them in files (:func:`write_fingerprint_files`):
    indexed like cluster.KeyStore (``keys[row]``, ``keys.many(rows)``) by the main process, which
    reads a few of them (template lines, moved-break pieces), and sent to tasks as the list of
    files, each task reading the keys it compares (:meth:`texts_later`). ``files``: (first row,
    rows, prefix) of each batch, in corpus order.

    The keys are read with ``pread``, not through memory maps: a page of a mapped file that was
    read counts in the process's resident memory until it is unmapped, and the driver of a 1 GB
    corpus, which reads a few keys of nearly every batch, showed 700 MB of key files that way.
    For the same reason only the last few batches' key offsets are kept (all of them were 8 bytes
    a paragraph, 20 MB of the 1 GB corpus's driver)."""

    def __init__(self, files: list[tuple[int, int, str]]) -> None:
        self.files = files
        self._firsts = np.array([first for first, _, _ in files], dtype=np.int64)
        self._offsets: OrderedDict[int, np.ndarray] = OrderedDict()  # the last few batches' (8 bytes a row: not all of them)
        self._handles: OrderedDict[int, BinaryIO] = OrderedDict()  # the last few files read (a key at a time: moved-break pieces)

    def __getstate__(self) -> dict:
        return {"files": self.files}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["files"])

    def __len__(self) -> int:
        return sum(count for _, count, _ in self.files)

    def _offsets_of(self, f: int) -> np.ndarray:
        """Where each key of batch ``f`` starts in its file, and the end (8 bytes a row)."""
        offsets = self._offsets.pop(f, None)
        if offsets is None:
            offsets = np.concatenate([[0], np.load(self.files[f][2] + ".key_ends.npy")]).astype(np.int64)
            while len(self._offsets) >= _OPEN_BATCHES:
                self._offsets.popitem(last=False)
        self._offsets[f] = offsets
        return offsets

    def _keys_of_batch(self, f: int, local: np.ndarray) -> list[str]:
        """The keys at positions ``local`` of batch ``f``: one read of the stretch that holds
        them all, or one read a key where that stretch would be mostly other keys."""
        offsets = self._offsets_of(f)
        starts, ends = offsets[local], offsets[local + 1]
        lo, hi = int(starts.min()), int(ends.max())
        fd = self._handle(f).fileno()
        if hi - lo <= 4 * int((ends - starts).sum()) + (64 << 10):
            data = os.pread(fd, hi - lo, lo)
            return [data[a - lo : b - lo].decode("utf-8") for a, b in zip(starts.tolist(), ends.tolist())]
        return [os.pread(fd, b - a, a).decode("utf-8") for a, b in zip(starts.tolist(), ends.tolist())]

    def _handle(self, f: int) -> BinaryIO:
        handle = self._handles.pop(f, None)
        if handle is None:
            handle = open(self.files[f][2] + ".keys", "rb")
            while len(self._handles) >= _OPEN_BATCHES:
                self._handles.popitem(last=False)[1].close()
        self._handles[f] = handle
        return handle

    def __getitem__(self, row: int) -> str:
        return self.many(np.array([row]))[0]

    def many(self, rows: np.ndarray) -> list[str]:
        rows = np.asarray(rows, dtype=np.int64)
        out: list[str] = [""] * len(rows)
        if not len(rows):
            return out
        which = np.searchsorted(self._firsts, rows, side="right") - 1
        order = np.argsort(which, kind="stable")
        bounds = np.flatnonzero(np.r_[True, which[order][1:] != which[order][:-1], True])
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            at = order[lo:hi]
            f = int(which[at[0]])
            for position, key in zip(at.tolist(), self._keys_of_batch(f, rows[at] - self.files[f][0])):
                out[position] = key
        return out

    def texts_later(self, rows: np.ndarray) -> "KeysOfRows":
        return KeysOfRows(self, np.asarray(rows))


class KeysOfRows:
    """The match keys of some rows, read where they are used (a component task), not where the
    task is made (the main process)."""

    def __init__(self, keys: FileKeys, rows: np.ndarray) -> None:
        self.keys, self.rows = keys, rows

    def load(self) -> list[str]:
        return self.keys.many(self.rows)


def _partition_of(values: np.ndarray, column: int, partitions: int) -> np.ndarray:
    """The partition of each bucket key of ``column``: every entry of one bucket goes to the same
    reduce task, whatever batch it comes from."""
    salt = np.uint64((0x9E3779B97F4A7C15 * (column + 1)) & 0xFFFFFFFFFFFFFFFF)
    return (fmix64(np.asarray(values, dtype=np.uint64) ^ salt) % np.uint64(partitions)).astype(np.int64)


def map_buckets(folder: str, batch: int, prefix: str, first_row: int, member: np.ndarray, cleared: np.ndarray, partitions: int) -> int:
    """Round 2 for one batch: its bucket entries (column, key, global row) of the rows that can
    be bucket members (``member``: no exact copy, no template line), one file per partition.
    Returns the number of its rows fingerprinted (with a first band key; template lines not
    counted), as cluster.candidate_pairs counts them."""
    columns = np.load(prefix + ".columns.npy", mmap_mode="r")
    out: list[list[np.ndarray]] = [[] for _ in range(partitions)]
    fingerprinted = 0
    for c in range(columns.shape[0]):
        col = np.asarray(columns[c])
        if c == 0:
            fingerprinted = int(((col != 0) & ~cleared).sum())
        rows = np.flatnonzero(member & (col != 0))
        part = _partition_of(col[rows], c, partitions)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(partitions + 1))
        for p in range(partitions):
            take = order[bounds[p] : bounds[p + 1]]
            if len(take):
                entries = np.empty(len(take), dtype=_ENTRY)
                entries["column"] = c
                entries["value"] = col[rows[take]]
                entries["row"] = rows[take] + first_row
                out[p].append(entries)
    for p in range(partitions):
        _save(Path(folder) / f"m{batch:06d}-p{p:05d}.npy", np.concatenate(out[p]) if out[p] else np.zeros(0, dtype=_ENTRY))
    return fingerprinted


def reduce_buckets(folder: str, p: int, batches: int, n: int, range_starts: np.ndarray, affix_columns: tuple[int, int]) -> np.ndarray:
    """Round 3 for partition ``p``: its buckets, each in corpus order (the batches' files are read
    in corpus order, a batch's rows are in order), as cluster._bucket_columns sorts them; the
    (pair, bucket) codes of every later member go to one file per range of rows. Returns the rows
    that share a bucket (a later member, or the first member of a shared bucket)."""
    entries = np.concatenate([np.load(Path(folder) / f"m{b:06d}-p{p:05d}.npy") for b in range(batches)]) if batches else np.zeros(0, dtype=_ENTRY)
    codes: list[np.ndarray] = []
    shared: list[np.ndarray] = []
    column_order = np.argsort(entries["column"], kind="stable")
    entries = entries[column_order]
    column_starts = np.flatnonzero(np.r_[True, entries["column"][1:] != entries["column"][:-1]]) if len(entries) else np.zeros(0, dtype=np.int64)
    for lo, hi in zip(column_starts.tolist(), np.r_[column_starts[1:], len(entries)].tolist()):
        c = int(entries["column"][lo])
        sorted_rows, bucket_start, rank = buckets_in_order(entries["row"][lo:hi].astype(np.int32), entries["value"][lo:hi])
        later = rank > 0
        later_rows, start = sorted_rows[later], bucket_start[later]
        shared.append(later_rows.astype(np.int64))
        shared.append(sorted_rows[start].astype(np.int64))
        codes.extend(bucket_pair_codes(sorted_rows, later_rows, start, np.minimum(rank[later], _BUCKET_KEEP), n, c in affix_columns))
    all_codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64)
    which = np.searchsorted(range_starts, (all_codes >> 1) // max(n, 1), side="right") - 1
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(range_starts) + 1))
    for q in range(len(range_starts)):
        _save(Path(folder) / f"r{p:05d}-q{q:05d}.npy", all_codes[order[bounds[q] : bounds[q + 1]]])
    return sorted_distinct(np.concatenate(shared)) if shared else np.zeros(0, dtype=np.int64)


def _gather_rows(files: list[tuple[int, int, str]], rows: np.ndarray, name: str, shape: tuple, dtype) -> np.ndarray:
    """``name``'s values at the global ``rows`` (sorted), read from the pass-1 files' memory maps."""
    out = np.zeros((len(rows), *shape), dtype=dtype)
    firsts = np.array([first for first, _, _ in files], dtype=np.int64)
    which = np.searchsorted(firsts, rows, side="right") - 1
    bounds = np.searchsorted(which, np.arange(len(files) + 1))
    for f, (first, _count, prefix) in enumerate(files):
        if bounds[f] < bounds[f + 1]:
            out[bounds[f] : bounds[f + 1]] = np.load(prefix + f".{name}.npy", mmap_mode="r")[rows[bounds[f] : bounds[f + 1]] - first]
    return out


def row_candidates(folder: str, q: int, partitions: int, n: int, files: list[tuple[int, int, str]], num_perm: int,
                   settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round 4's pairs for one range of rows: cluster._candidates from the range's (pair, bucket)
    codes, with the sketches, word counts and heading flags of the rows they name (renumbered
    from 0 in row order, which keeps every order the ranking depends on). Returns (i, j, flags)
    sorted by i."""
    codes = np.concatenate([np.load(Path(folder) / f"r{p:05d}-q{q:05d}.npy") for p in range(partitions)])
    if len(codes) == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros(0, dtype=np.int8)
    codes = _sorted_codes(codes)
    pair = codes >> 1
    i, j = pair // n, pair % n
    rows = sorted_distinct(np.concatenate([i, j]))
    m = len(rows)
    local = (np.searchsorted(rows, i) * m + np.searchsorted(rows, j)) * 2 + (codes & 1)
    fp = Fingerprints(np.zeros(m, dtype=np.uint64), _gather_rows(files, rows, "n_words", (), np.int32), [],
                      _gather_rows(files, rows, "sketch", (num_perm,), np.uint8), _gather_rows(files, rows, "title", (), bool))
    cand_i, cand_j, flags = candidates_from_codes(fp, local, m, settings)
    return rows[cand_i].astype(np.int32), rows[cand_j].astype(np.int32), flags


def row_pairs(folder: str, q: int, partitions: int, n: int, files: list[tuple[int, int, str]], num_perm: int, settings: Settings,
              range_start: int, range_end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round 4 for rows ``range_start:range_end``, the pairs kept in a file: :func:`row_candidates`'s
    pairs (sorted by i, each row's most similar first) go to ``c{q}.npy``. Returned: each row's
    number of pairs as their first row, and a spanning forest of the pairs (cluster.spanning_forest):
    what the driver needs to find the components, at most one edge per row however many pairs."""
    i, j, flags = row_candidates(folder, q, partitions, n, files, num_perm, settings)
    pairs = np.empty(len(i), dtype=_PAIR)
    pairs["i"], pairs["j"], pairs["flags"] = i, j, flags
    _save(_pairs_file(folder, q), pairs)
    pairs_of_row = np.bincount(i.astype(np.int64) - range_start, minlength=range_end - range_start).astype(np.int32)
    forest_a, forest_b = spanning_forest(i, j)
    # int32, as the pairs' rows: the driver holds every range's forest (8 bytes a paragraph, not 16)
    return pairs_of_row, forest_a.astype(np.int32), forest_b.astype(np.int32)


def _pairs_file(folder: str, q: int, routed: bool = False) -> Path:
    return Path(folder) / f"{'t' if routed else 'c'}{q:05d}.npy"


def route_pairs(folder: str, q: int, range_start: int, range_end: int, n_tasks: int) -> np.ndarray:
    """Round 5 for one range of rows: its pairs, in the order of the component task their rows
    belong to (``task_of_row.npy``, read for the range only; their order inside kept), to
    ``t{q}.npy``. Returns where each task's pairs start in it (and the end)."""
    pairs = np.load(_pairs_file(folder, q))
    task_of_row = np.load(Path(folder) / "task_of_row.npy", mmap_mode="r")[range_start:range_end]
    task = np.asarray(task_of_row)[pairs["i"].astype(np.int64) - range_start]
    order = np.argsort(task, kind="stable")
    _save(_pairs_file(folder, q, routed=True), pairs[order])
    return np.searchsorted(task[order], np.arange(n_tasks + 1))


def _decide_components_from_files(folder: str, slices: list[tuple[int, int, int]], rows: np.ndarray, first_of: np.ndarray,
                                  is_exact: np.ndarray, active: np.ndarray, keys: "FileKeys", settings: Settings) -> ClusterResult:
    """A component task of the Ray engine: cluster._component_problem and keep-first for the
    components whose rows are ``rows`` (one component after the other, corpus order inside), their
    pairs read from the routed files (``slices``: range, first and end pair), their match keys
    from pass 1's files. ``first_of``: each row's first exact copy (global); ``active``: the
    positions in ``rows`` of the rows that can be removed."""
    parts = [np.load(_pairs_file(folder, q, routed=True), mmap_mode="r")[lo:hi] for q, lo, hi in slices]
    pairs = np.concatenate(parts) if parts else np.zeros(0, dtype=_PAIR)
    sorter = np.argsort(rows, kind="stable")

    def local(global_rows: np.ndarray) -> np.ndarray:
        return sorter[np.searchsorted(rows, global_rows, sorter=sorter)]

    pair_i, pair_j = local(pairs["i"]), local(pairs["j"])
    # Grouped by component (the local numbering is), in the order of the global pairs inside:
    # the pairs as cluster.decide_by_components hands them to a task from memory.
    order = np.argsort(pair_i, kind="stable")
    problem = (keys.many(rows), local(first_of), is_exact, active, pair_i[order].astype(np.int32), pair_j[order].astype(np.int32),
               np.asarray(pairs["flags"])[order])
    return _decide_components(problem, settings)


@dataclass
class PairFiles:
    """A corpus's candidate pairs, left in files by round 4 (``c{q}.npy``, one a range of rows),
    and what the driver keeps of them: the rows that can be removed (``active``), each row's
    number of pairs, a spanning forest of the pairs (for the components) and the counts. Used by
    cluster.decide_by_components in place of the pairs themselves."""

    folder: str
    range_starts: np.ndarray
    n: int
    active: np.ndarray
    pairs_of_row: np.ndarray
    forest_a: np.ndarray
    forest_b: np.ndarray
    counts: dict

    def _ranges(self) -> list[tuple[int, int]]:
        ends = np.r_[self.range_starts[1:], self.n]
        return [(int(lo), int(hi)) for lo, hi in zip(self.range_starts, ends)]

    def component_calls(self, tasks: ComponentTasks, exact: ExactCopies, active: np.ndarray, keys: "FileKeys", settings: Settings,
                        pool) -> tuple[Callable, Iterator[tuple]]:
        """Round 5 (:func:`route_pairs`), then the component tasks' function and calls: each
        call carries its rows and their exact copies; its pairs and keys it reads itself."""
        task_of_row = np.full(self.n, -1, dtype=np.int32)
        for t in range(len(tasks)):
            task_of_row[tasks.rows(t)] = t
        _save(Path(self.folder) / "task_of_row.npy", task_of_row)
        del task_of_row
        routes = ((self.folder, q, lo, hi, len(tasks)) for q, (lo, hi) in enumerate(self._ranges()))
        bounds = [b.tolist() for b in in_order(pool, route_pairs, routes, 4 * max(1, settings.jobs))]

        def calls() -> Iterator[tuple]:
            for t in range(len(tasks)):
                rows = tasks.rows(t)
                slices = [(q, b[t], b[t + 1]) for q, b in enumerate(bounds) if b[t] < b[t + 1]]
                yield (self.folder, slices, rows, exact.first_of[rows], exact.exact[rows], np.flatnonzero(active[rows]), keys, settings)

        return _decide_components_from_files, calls()

    def gather(self) -> CandidatePairs:
        """The pairs read back from the files, as cluster.candidate_pairs gives them (to check
        the shuffle against it: tests/test_shuffle.py)."""
        pairs = [np.load(_pairs_file(self.folder, q)) for q in range(len(self.range_starts))]
        joined = np.concatenate(pairs) if pairs else np.zeros(0, dtype=_PAIR)
        cand_i = np.ascontiguousarray(joined["i"])
        return CandidatePairs(self.active, cand_i, np.ascontiguousarray(joined["j"]), np.ascontiguousarray(joined["flags"]),
                              compared_ahead(cand_i), self.counts)


def pair_files_by_shuffle(folder: str, files: list[tuple[int, int, str]], n_words: np.ndarray, exact: ExactCopies, cleared: np.ndarray,
                          settings: Settings, pool, partitions: int) -> PairFiles:
    """cluster.candidate_pairs, the bucket keys and sketches read from the pass-1 files ``files``
    (first row, rows, prefix; in corpus order) by tasks of ``pool`` (an engine's; None: here),
    and the pairs left in files (:class:`PairFiles`). ``cleared``: the template lines (out of
    the duplicate search)."""
    n = len(n_words)  # (at least 1: cluster.decide_by_components decides an empty corpus itself)
    window = 4 * max(1, settings.jobs)
    member = ~exact.exact & ~cleared
    maps = ((folder, b, prefix, first, member[first : first + count], cleared[first : first + count], partitions)
            for b, (first, count, prefix) in enumerate(files))
    fingerprinted = sum(in_order(pool, map_buckets, maps, window))
    range_starts = np.arange(0, max(n, 1), _ROWS_PER_TASK, dtype=np.int64)
    reduces = ((folder, p, len(files), n, range_starts, _affix_columns(settings)) for p in range(partitions))
    in_bucket = np.zeros(n, dtype=bool)
    for shared in in_order(pool, reduce_buckets, reduces, window):
        in_bucket[shared] = True
    ends = np.r_[range_starts[1:], n]
    rounds = ((folder, q, partitions, n, files, settings.num_perm, settings, int(lo), int(hi))
              for q, (lo, hi) in enumerate(zip(range_starts, ends)))
    pairs_of_row = np.zeros(n, dtype=np.int32)
    forest_a, forest_b = [], []
    for q, (counts_q, a, b) in enumerate(in_order(pool, row_pairs, rounds, window)):
        pairs_of_row[range_starts[q] : range_starts[q] + len(counts_q)] = counts_q
        forest_a.append(a)
        forest_b.append(b)
    active = np.flatnonzero(exact.exact | in_bucket)
    counts = {"fingerprinted": fingerprinted, "in_shared_buckets": int(in_bucket.sum())}
    empty = np.zeros(0, dtype=np.int32)
    return PairFiles(folder, range_starts, n, active, pairs_of_row, np.concatenate(forest_a) if forest_a else empty,
                     np.concatenate(forest_b) if forest_b else empty, counts)
