"""Find duplicate paragraphs across the corpus and decide which to keep.

Keep-first: paragraphs are visited in corpus order (sorted relative path, then position), and each
one is compared only with *kept* paragraphs before it. Candidates come from three indexes:

* the exact match key (64-bit key hashes grouped with ``numpy.unique``; equal hashes are taken
  for equal keys: a collision is a 2^-64 event per pair),
* MinHash LSH buckets, one column per band: a bucket is a band key shared by two or more
  paragraphs, found by sorting each column with numpy instead of keeping a Python object per band
  per key as ``datasketch.MinHashLSH`` does,
* the first and the last ``min_words_contained`` words of the key, which catch a copy truncated so
  hard that its shingles no longer look alike (seed 003: a paragraph cut at "and has").

Candidate pairs are found with numpy: each later member of a shared bucket is paired with the
bucket's first ``_BUCKET_KEEP`` members (exact copies are no bucket's members), so a paragraph
repeated 100,000 times costs 100,000 array entries, never 10^10 comparisons. An 8-bit sketch of
each MinHash signature then estimates every pair's Jaccard similarity and containment: pairs
that merely share a quoted sentence are dropped, and each paragraph's candidates are ranked most
similar first. Every remaining pair is verified with rapidfuzz before anything is removed, at
most ``_MAX_VERIFY`` kept candidates per paragraph; those text comparisons do not depend on the
keep-first decisions, so they run ahead of the loop, in worker processes with ``--jobs`` > 1.
The loop itself reads arrays of verdicts (compiled, or :func:`_keep_first_python`), and waits
only where a verdict has not arrived yet.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

from .compiled import speedups as _compiled
from .fingerprint import Fingerprints, _key_spans, _span_hashes, fingerprint, fmix64, pair_jaccard
from .model import CONTAINED, EXACT_DUPLICATE, NEAR_DUPLICATE
from .settings import Settings
from .workers import in_order, started_in_order, worker_init

_BUCKET_KEEP = 8  # a bucket's first members that later ones are compared with
_MAX_VERIFY = 6  # kept paragraphs verified per paragraph


def compared_ahead(cand_i: np.ndarray) -> np.ndarray:
    """Which pairs (``cand_i`` sorted, each row's most similar first) are compared ahead of the
    keep-first loop: the first _MAX_VERIFY of each row. Most are kept paragraphs; those that turn
    out removed are skipped, and a row that then needs a later candidate compares it in the loop.
    The text comparisons do not depend on any decision, so they run ahead, in workers when there
    are several.

    >>> compared_ahead(np.array([0] * 8 + [3, 3]))
    array([0, 1, 2, 3, 4, 5, 8, 9])
    """
    return first_of_each_row(cand_i, np.arange(len(cand_i)), _MAX_VERIFY)


def first_of_each_row(cand_i: np.ndarray, chosen: np.ndarray, limit: int) -> np.ndarray:
    """The first ``limit`` of the pairs ``chosen`` (increasing) of each row."""
    rows = cand_i[chosen]
    rank = np.arange(len(chosen)) - np.searchsorted(rows, rows, side="left")
    return chosen[rank < limit]
_MAX_CANDIDATES = 32  # candidates per paragraph before the kept ones are picked
_MIN_JACCARD = 0.3  # see _estimates
_MIN_CONTAINMENT = 0.7
_MIN_AFFIX_CONTAINMENT = 0.3
_NEAR_OK, _CONTAIN_OK = 1, 2  # the tests a candidate pair gets
_TITLE = 4  # a pair's bit: both are headings, titles or labels (see _differing_words)
_ANCHOR = 16  # characters that must agree at the start (end) of a truncated copy with an edit
KEEP, EXACT, NEAR, CONT = 0, 1, 2, 3
REASON_OF_CODE = {EXACT: EXACT_DUPLICATE, NEAR: NEAR_DUPLICATE, CONT: CONTAINED}
_DIGITS = re.compile(r"\d+")


class KeyStore:
    """Match keys of all candidates, packed in one UTF-8 buffer with an array of offsets (a Python
    string per paragraph would cost about 50 bytes of overhead each, on top of the text)."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._ends: list[np.ndarray] = []
        self._offsets = np.zeros(1, dtype=np.int64)

    def extend(self, keys: list[str]) -> None:
        encoded = [key.encode("utf-8") for key in keys]
        self.extend_encoded(b"".join(encoded), np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))

    def extend_encoded(self, blob: bytes, lengths: np.ndarray) -> None:
        """Append keys given as their UTF-8 bytes run together and each key's length in bytes."""
        start = len(self._data)
        self._data += blob
        self._ends.append(start + np.cumsum(lengths, dtype=np.int64))

    def _settle(self) -> np.ndarray:
        if self._ends:
            self._offsets = np.concatenate([self._offsets, *self._ends])
            self._ends = []
        return self._offsets

    def __len__(self) -> int:
        return len(self._settle()) - 1

    def __getitem__(self, i: int) -> str:
        offsets = self._settle()
        return self._data[offsets[i] : offsets[i + 1]].decode("utf-8")

    def cached(self, size: int = 65536):
        """A look-up that remembers the most recent keys (kept paragraphs are read again and again)."""
        offsets = memoryview(self._settle())  # indexing gives Python ints, cheaper than numpy scalars
        data = self._data

        def get(i: int) -> str:
            return data[offsets[i] : offsets[i + 1]].decode("utf-8")

        return lru_cache(maxsize=size)(get)

    def many(self, indexes: np.ndarray) -> list[str]:
        """The keys at ``indexes``, in that order. A verification task fetches a few thousand
        keys at once: a slice and a decode each, with the offsets read as Python ints in one
        call, costs 0.55 µs a key; through :meth:`cached` (whose cache saves little inside one
        task) it cost twice that, a sixth of the task's time (20 MB benchmark corpus)."""
        offsets = self._settle()
        data = self._data
        return [data[start:end].decode("utf-8") for start, end in zip(offsets[indexes].tolist(), offsets[indexes + 1].tolist())]


@dataclass
class ClusterResult:
    """Per candidate: a reason code (KEEP, EXACT, NEAR, CONT), the candidate it duplicates or is a
    variant of (-1: none), the similarity, and for variants the numbers that differ."""

    code: np.ndarray
    duplicate_of: np.ndarray
    similarity: np.ndarray
    variant_of: np.ndarray
    differing_numbers: dict[int, list[str]] = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    @classmethod
    def all_kept(cls, n: int) -> "ClusterResult":
        """``n`` candidates, every one kept (what the decisions start from)."""
        return cls(np.zeros(n, dtype=np.int8), np.full(n, -1, dtype=np.int32), np.full(n, np.nan, dtype=np.float32),
                   np.full(n, -1, dtype=np.int32), {}, {})


def verify(p: str, q: str, settings: Settings) -> tuple[int, float] | None:
    """Is the paragraph with key ``p`` a near-duplicate of, or contained in, the kept paragraph with
    key ``q``? Returns (code, similarity) or None.

    Near: rapidfuzz's normalised Indel similarity of the keys. Contained: ``p`` is shorter and is
    inside ``q``, or matches the start or the end of ``q`` (a truncated copy) at the contained
    threshold; aligning only at the ends keeps this linear instead of the quadratic cost of a
    full partial alignment.

    >>> s = Settings(jobs=1)
    >>> verify("the port city has long been a focal point for insurgent violence", "the port city has long been a focal point for insurgent violence due to its role", s)
    (3, 1.0)
    >>> verify("the council voted on tuesday to extend the night bus service", "the council voted on monday to extend the night bus service", s)[0]
    2
    """
    words = p.count(" ") + 1
    near = None
    if words >= settings.min_words_near:
        near = fuzz.ratio(p, q, score_cutoff=settings.near_threshold * 100) / 100 or _near_by_one_word(p, q)
    return _verdict(p, q, near, words >= settings.min_words_contained, settings)


# A short paragraph (this many words or fewer, and at least _ONE_WORD_MIN) is a near-duplicate of
# another when one word was changed, added or left out, whatever the character similarity: in a
# sentence of eleven words a replaced word can be a tenth of the characters ("Our third goal is to
# improve the quality of American life." with "footsteps" for "improve": 0.897), under any
# threshold that keeps distinct long paragraphs apart. Numbers, letters and, in titles, any word still make a variant.
_ONE_WORD_MAX = 21
_ONE_WORD_MIN = 7


def _near_by_one_word(p: str, q: str) -> float | None:
    """The similarity of two short keys that differ by one word (replaced, added or left out),
    else None.

    >>> _near_by_one_word("our third goal is to improve the quality of american life", "our third goal is to footsteps the quality of american life")
    0.8966
    >>> _near_by_one_word("the cup of peril is full", "the cup of danger is full") is None  # too short
    True
    """
    spaces_p, spaces_q = p.count(" "), q.count(" ")  # word counts less one, without splitting
    shorter, longer = min(spaces_p, spaces_q) + 1, max(spaces_p, spaces_q) + 1
    if shorter < _ONE_WORD_MIN or longer > _ONE_WORD_MAX or longer - shorter > 1:
        return None
    words_p, words_q = p.split(), q.split()
    if Levenshtein.distance(words_p, words_q, score_cutoff=1) > 1:
        return None
    return round(fuzz.ratio(p, q) / 100, 4)


def _verdict(p: str, q: str, near: float | None, can_contain: bool, settings: Settings) -> tuple[int, float] | None:
    """:func:`verify` with the near similarity already computed (None: below the threshold)."""
    shorter = len(p) < len(q)
    if can_contain and shorter and p in q:
        return CONT, 1.0
    if near is not None:
        return NEAR, near
    if can_contain and shorter:
        # A truncated copy keeps the start or the end of its original: each side is aligned only
        # when the first (last) _ANCHOR characters agree. A paragraph that quotes sentences from
        # the middle of a longer one costs two string comparisons, not two alignments.
        cutoff = settings.contained_threshold * 100
        head = p[:_ANCHOR]
        tail = p[-_ANCHOR:]
        best = max(fuzz.ratio(p, q[: len(p)], score_cutoff=cutoff) if q.startswith(head) else 0,
                   fuzz.ratio(p, q[-len(p) :], score_cutoff=cutoff) if q.endswith(tail) else 0)
        if best:
            return CONT, best / 100
    return None


def _bucket_columns(fp: Fingerprints, member: np.ndarray, release: bool = False, threads: int = 1) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per bucket column: the members sorted by bucket (corpus order inside a bucket), and for every
    member that is not the first of its bucket (the only ones that get candidates) its row, the
    position of its bucket's first member in that order, and its rank in the bucket. Sparse: a
    column's unshared buckets cost nothing after this function. ``release``: drop each column of a
    corpus's fingerprints (a list of columns) once it is indexed. ``threads``: columns indexed at
    once (numpy's sorts and gathers release the GIL, so threads share the cores without copying
    the columns to other processes); the result does not depend on it."""

    def index(c: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rows, values = fp.column_entries(c, member)
        rows = rows.astype(np.int32)
        sorted_rows, bucket_start, rank = buckets_in_order(rows, values)
        del rows, values
        later = rank > 0
        by_row = _stable_argsort(sorted_rows[later].astype(np.uint64))  # a row is in one bucket of a column: no ties, any sort is the stable one
        if release and isinstance(fp.buckets, list):
            fp.buckets[c] = None  # indexed: the column is not needed any more
        return (sorted_rows, sorted_rows[later][by_row], bucket_start[later][by_row].astype(np.int32),
                np.minimum(rank[later][by_row], _BUCKET_KEEP).astype(np.int8))

    return _in_threads(index, range(fp.n_columns), threads)


def buckets_in_order(rows: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One bucket column's members (``rows``, in corpus order, with their bucket keys
    ``values``) sorted by bucket, corpus order inside a bucket (a stable sort), and for each its
    bucket's first position in that order and its rank in the bucket (0: the first member)."""
    order = _stable_argsort(values)
    sorted_rows = rows[order]
    sorted_values = values[order]
    del order
    position = np.arange(len(sorted_rows), dtype=np.int64)
    new_bucket = np.ones(len(sorted_rows), dtype=bool)
    new_bucket[1:] = sorted_values[1:] != sorted_values[:-1]
    del sorted_values
    bucket_start = np.maximum.accumulate(np.where(new_bucket, position, 0))
    return sorted_rows, bucket_start, position - bucket_start


def _stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for uint64 values: by the compiled radix sort when it
    was built (two to three times faster on a bucket column), else numpy's."""
    if _compiled is None:
        return np.argsort(values, kind="stable")
    order = np.empty(len(values), dtype=np.int64)
    _compiled.stable_argsort_u64(np.ascontiguousarray(values, dtype=np.uint64), order)
    return order


def _sorted_codes(values: np.ndarray) -> np.ndarray:
    """``np.sort(values)`` for non-negative int64 values (the pair codes of the candidate search):
    by the compiled radix sort when it was built, which skips the high bytes those codes never
    use (600,000 codes: 29 -> 17 ms)."""
    if _compiled is None:
        return np.sort(values)
    return values[_stable_argsort(values.view(np.uint64))]


def _in_threads(function, items, threads: int) -> list:
    """``[function(x) for x in items]``, in ``threads`` threads when there are several (for numpy
    work that releases the GIL), in order."""
    if threads <= 1:
        return [function(x) for x in items]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, items))


def _candidates(fp: Fingerprints, columns, lo: int, hi: int, settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs (i, j) for the rows ``lo <= i < hi``: ``j`` is one of the first
    ``_BUCKET_KEEP`` members of a bucket ``i`` shares. Pairs that cannot be a near-duplicate or a
    containment are dropped; each pair comes with the tests it deserves (``_NEAR_OK``,
    ``_CONTAIN_OK`` bits); at most ``_MAX_CANDIDATES`` per ``i`` are kept, the most
    similar first. Sorted by ``i``."""
    n = len(fp.key_hash)
    parts = []
    for c, (sorted_rows, rows, start, rank) in enumerate(columns):
        a, b = np.searchsorted(rows, (lo, hi))
        if a == b:
            continue
        parts.extend(bucket_pair_codes(sorted_rows, rows[a:b], start[a:b], rank[a:b], n, c in _affix_columns(settings)))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.int8)
    return candidates_from_codes(fp, _sorted_codes(np.concatenate(parts)), n, settings)


def _affix_columns(settings: Settings) -> tuple[int, int]:
    """The first- and last-words bucket columns (truncated copies)."""
    return (settings.bands, settings.bands + 1)


def bucket_pair_codes(sorted_rows: np.ndarray, rows: np.ndarray, start: np.ndarray, rank: np.ndarray, n: int, affix: bool) -> list[np.ndarray]:
    """The (pair, bucket) codes of one bucket column's later members ``rows`` (with the position
    of their bucket's first member in ``sorted_rows`` and their rank, capped at _BUCKET_KEEP;
    see :func:`_bucket_columns`): each is paired with the first members of its bucket before
    it, one int64 per (pair, bucket): (i * n + j) * 2, plus 1 for a first/last-words bucket."""
    rows = rows.astype(np.int64)
    affix_bit = int(affix)
    parts = []
    for k in range(_BUCKET_KEEP):
        sel = rank > k
        if not sel.any():
            break
        parts.append((rows[sel] * n + sorted_rows[start[sel] + k]) * 2 + affix_bit)
    return parts


def candidates_from_codes(fp: Fingerprints, shared: np.ndarray, n: int, settings: Settings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_candidates` from the sorted (pair, bucket) codes of its rows (rows numbered in
    ``fp``; ``n``, the number the codes were made with)."""
    pair = shared >> 1
    first = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
    codes = pair[first]
    hits = np.diff(np.concatenate((first, [len(pair)])))  # buckets the pair shares
    affix = np.logical_or.reduceat((shared & 1).astype(bool), first)
    i, j = codes // n, codes % n
    # Word counts rule many pairs out before any text is compared: a near-duplicate has nearly
    # the same length, a contained copy is shorter than its original. A longer paragraph is a
    # containment candidate when it shares the first or last words (a truncated copy) or several
    # buckets (a copy of most of it); one shared bucket is the usual lot of paragraphs that merely
    # quote the same sentence.
    t = settings.near_threshold
    length_ratio = max(0.3, t / (2 - t) - 0.1)  # Indel similarity <= 2 * shorter / (shorter + longer); 0.1 of slack: words are counted, not characters
    words_i, words_j = fp.n_words[i], fp.n_words[j]
    similar = (words_j >= words_i * length_ratio) & (words_j <= words_i / length_ratio)
    can_contain = (words_i >= settings.min_words_contained) & (words_j >= words_i)
    keep = similar | (can_contain & (words_j > words_i) & ((hits >= 2) | affix))
    i, j, hits, affix, similar, can_contain = i[keep], j[keep], hits[keep], affix[keep], similar[keep], can_contain[keep]
    jaccard, containment = _estimates(fp, i, j, settings.shingle_words)
    near_ok = similar & (jaccard >= _MIN_JACCARD) & (fp.n_words[i] >= settings.min_words_near)
    contain_ok = can_contain & ((containment >= _MIN_CONTAINMENT) | (affix & (containment >= _MIN_AFFIX_CONTAINMENT)))
    keep = near_ok | contain_ok
    i, j = i[keep], j[keep]
    # Every containment candidate gets the exact substring test and the head/tail alignment for a
    # truncated copy with an edit (which _verdict tries only where the ends agree). Before the
    # sketches the alignment needed shared first/last words or three shared bands, which missed a
    # copy cut short with an edit among its first eight words.
    flags = near_ok[keep] * _NEAR_OK + contain_ok[keep] * _CONTAIN_OK
    if fp.title is not None:
        # Both headings, titles or labels: a sentence whose copy lost its full stop is no title.
        flags = flags + (fp.title[i] & fp.title[j]) * _TITLE
    score = np.maximum(jaccard, containment)[keep]
    order = _most_similar_first(i, score)
    i, j, flags = i[order], j[order], flags[order]
    first = np.searchsorted(i, i, side="left")
    within = np.arange(len(i)) - first < _MAX_CANDIDATES
    return i[within], j[within], flags[within].astype(np.int8)


def _most_similar_first(i: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The order of pairs that come sorted by (i, j) that sorts them by i, then by decreasing
    score, then by j: ``np.lexsort((j, -score, i))``. Two stable radix sorts, by score (a
    non-negative float's bits sort as the float does; inverted, from the highest) and then by
    i, keep the (i, j) order among equal keys, so j needs no pass of its own; 50 -> 9 ms for
    200,000 pairs, a sixth of the candidate search."""
    bits = (np.asarray(score, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: a -0.0 is 0.0, whose bits are all zero
    by_score = _stable_argsort(~bits)
    return by_score[_stable_argsort(i[by_score].astype(np.uint64))]


def _estimates(fp: Fingerprints, i: np.ndarray, j: np.ndarray, shingle_words: int) -> tuple[np.ndarray, np.ndarray]:
    """Estimated Jaccard similarity of each pair's shingle sets, and containment of ``i``'s in
    ``j``'s (0 when ``i`` has more shingles), from the signature sketches.

    Sharing one LSH bucket is weak evidence: in a corpus where a quoted sentence recurs in many
    paragraphs, most pairs that share a bucket share only that sentence (estimated Jaccard 0.1 to
    0.3). Only a pair whose estimated Jaccard similarity is at least ``_MIN_JACCARD`` gets the
    near test, and only one where ``i``'s shingles are mostly inside ``j``'s (estimated
    containment at least ``_MIN_CONTAINMENT``; at least ``_MIN_AFFIX_CONTAINMENT`` when they also
    share their first or last words: a truncated copy with an edit) gets the containment tests.
    On the 200 MB benchmark corpus every pair that verification accepted had an estimated Jaccard
    of 0.4 or more or an estimated containment of 0.7 or more, and the thresholds drop about four
    pairs in five of those that share a bucket.
    """
    jaccard = np.empty(len(i), dtype=np.float64)
    containment = np.empty(len(i), dtype=np.float64)
    step = 1 << 17  # pairs at a time: 16 MiB of sketches per side
    shingles = np.maximum(fp.n_words.astype(np.float64) - (shingle_words - 1), 1.0)
    for lo in range(0, len(i), step):
        a, b = i[lo : lo + step], j[lo : lo + step]
        jac = pair_jaccard(fp.sketch, a, b)
        size_a, size_b = shingles[a], shingles[b]
        # |A & B| = J (|A| + |B|) / (1 + J); the containment of A in B is |A & B| / |A|.
        jaccard[lo : lo + step] = jac
        containment[lo : lo + step] = np.where(size_a <= size_b, jac * (size_a + size_b) / ((1 + jac) * size_a), 0.0)
    return jaccard, containment


_ROW_BLOCK = 1 << 16  # rows whose candidates are found in one numpy pass
_MIN_ROW_BLOCK = 4096
_VERIFY_TASK = 4096  # candidate pairs compared per task in a worker
_PARALLEL_FROM = 20000  # fewer pairs than this are compared here: a pool costs more than it saves
_VERIFY_WINDOW_PAIRS = 1 << 18  # pairs handed to the workers ahead of the loop (about 5 MB of tasks and verdicts)
_shared_for_workers: tuple | None = None  # (keys, cand_i, cand_j, flags, settings), inherited by forked workers


def _compare_pairs(get_keys, cand_i, cand_j, flags, settings: Settings, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, list[str]]]:
    """Verdicts for the candidate pairs at ``index``: reason code (0: not a duplicate), similarity,
    and for a pair whose numbers differ (a variant) the differing numbers.

    A task's pairs share paragraphs (a row has up to ``_MAX_VERIFY`` pairs; a kept paragraph is
    the candidate of many rows): each distinct key is fetched once per task, and the near
    similarities of all pairs that get the near test are computed in one ``rapidfuzz`` call
    (``cpdist``, pair by pair in C: the same scores as ``fuzz.ratio``), as are the truncated-copy
    alignments. On the 985,000 pairs compared ahead for the 200 MB benchmark corpus: 6.8 µs a
    pair before, 5.6 µs after, in one process."""
    m = len(index)
    codes = np.zeros(m, dtype=np.int8)
    sims = np.zeros(m, dtype=np.float64)
    variants: dict[int, list[str]] = {}
    if m == 0:
        return codes, sims, variants
    pair_flags = flags[index]
    distinct, position = np.unique(np.concatenate((cand_i[index], cand_j[index])), return_inverse=True)
    texts = get_keys(distinct)
    position = position.reshape(-1).tolist()
    left = [texts[x] for x in position[:m]]
    right = [texts[x] for x in position[m:]]
    near = np.zeros(m, dtype=np.float64)
    near_rows = np.flatnonzero(pair_flags & _NEAR_OK)
    if len(near_rows):
        rows = near_rows.tolist()
        near[near_rows] = cpdist([left[k] for k in rows], [right[k] for k in rows], scorer=fuzz.ratio,
                                 score_cutoff=settings.near_threshold * 100, dtype=np.float64) / 100
        for k in near_rows[near[near_rows] == 0].tolist():  # below the threshold: a short one-word edit?
            near[k] = _near_by_one_word(left[k], right[k]) or 0.0
    # _verdict, with the alignments gathered to be computed in two calls below.
    kinds = _pair_kinds(left, right, pair_flags, near, settings.contained_threshold)
    verdicts: list[tuple[int, int, float]] = [(pos, CONT, 1.0) for pos in np.flatnonzero(kinds == _KIND_CONTAINED).tolist()]  # (pair, code, similarity)
    near_rows = np.flatnonzero(kinds == _KIND_NEAR)
    verdicts.extend(zip(near_rows.tolist(), [NEAR] * len(near_rows), near[near_rows].tolist()))
    head_rows = np.flatnonzero(kinds & _KIND_HEAD).tolist()  # pairs that get the truncated-copy alignment at the start
    tail_rows = np.flatnonzero(kinds & _KIND_TAIL).tolist()  # and at the end
    if head_rows or tail_rows:
        cutoff = settings.contained_threshold * 100
        best: dict[int, float] = {}
        for rows, cut in ((head_rows, lambda p, q: q[: len(p)]), (tail_rows, lambda p, q: q[-len(p) :])):
            if not rows:
                continue
            queries = [left[k] for k in rows]
            scores = cpdist(queries, [cut(p, right[k]) for p, k in zip(queries, rows)], scorer=fuzz.ratio,
                            score_cutoff=cutoff, dtype=np.float64)
            for k, score in zip(rows, scores.tolist()):
                if score > best.get(k, 0.0):
                    best[k] = score
        verdicts.extend((k, CONT, score / 100) for k, score in best.items())
    for pos, c, sim in verdicts:
        numbers = _variant_differences(left[pos], right[pos], c, bool(pair_flags[pos] & _TITLE))
        if numbers is not None:
            variants[pos] = numbers
        codes[pos], sims[pos] = c, sim
    return codes, sims, variants


_KIND_CONTAINED, _KIND_NEAR, _KIND_HEAD, _KIND_TAIL = 1, 2, 4, 8


def _pair_kinds(left: list[str], right: list[str], pair_flags: np.ndarray, near: np.ndarray, contained_threshold: float) -> np.ndarray:
    """Per pair of keys: _KIND_CONTAINED when the left one may be contained in the right one and
    is a substring of it; else _KIND_NEAR when its near similarity is not 0; else, when it may be
    contained, _KIND_HEAD if the right one starts with its first _ANCHOR characters plus
    _KIND_TAIL if it ends with its last ones; else 0. Compiled when the module was built (about
    half a microsecond a pair less), else this loop.

    The compiled loop also leaves out a head (tail) alignment that cannot reach
    ``contained_threshold``: too few of the left key's adjacent character pairs occur in the
    right one's slice (``may_align`` in ``_speedups.c`` gives the bound). Paragraphs that open
    with the same sentence and then part are common (97% of the alignments of the 200 MB
    benchmark corpus are ruled out): ruling them out there saves building the slices and aligning them, and
    the verdicts do not change."""
    if _compiled is None:
        return _pair_kinds_python(left, right, pair_flags, near)
    kinds = np.zeros(len(left), dtype=np.int8)
    _compiled.pair_kinds(left, right, np.ascontiguousarray(pair_flags, dtype=np.int8), np.ascontiguousarray(near, dtype=np.float64), _ANCHOR,
                         1.0 - contained_threshold, kinds)
    return kinds


def _pair_kinds_python(left: list[str], right: list[str], pair_flags: np.ndarray, near: np.ndarray) -> np.ndarray:
    """:func:`_pair_kinds` without the compiled module (and its reference in the tests)."""
    kinds = np.zeros(len(left), dtype=np.int8)
    for pos, (p, q, f, s) in enumerate(zip(left, right, pair_flags.tolist(), near.tolist())):
        can_contain = f & _CONTAIN_OK and len(p) < len(q)
        if can_contain and p in q:
            kinds[pos] = _KIND_CONTAINED
        elif s:
            kinds[pos] = _KIND_NEAR
        elif can_contain:
            kinds[pos] = _KIND_HEAD * q.startswith(p[:_ANCHOR]) + _KIND_TAIL * q.endswith(p[-_ANCHOR:])
    return kinds


def _compare_pair(p: str, q: str, flags: int, settings: Settings) -> tuple[int, float, list[str] | None]:
    """:func:`_compare_pairs` for one pair of keys, without its fixed cost per call (the
    keep-first loop compares a pair now and then, when a row's first candidates were removed)."""
    near = (fuzz.ratio(p, q, score_cutoff=settings.near_threshold * 100) / 100 or _near_by_one_word(p, q)) if flags & _NEAR_OK else None
    verdict = _verdict(p, q, near, bool(flags & _CONTAIN_OK), settings)
    if verdict is None:
        return 0, 0.0, None
    return verdict[0], verdict[1], _variant_differences(p, q, verdict[0], bool(flags & _TITLE))


def _has_digit(text: str) -> bool:
    """Whether ``_DIGITS`` finds a number in ``text``. In ASCII text (``str.isascii`` reads a flag)
    that is ten searches for one character each: 0.3 µs for a 400-character key where the regex's
    scan takes 4.9 µs, and two in three of the pairs found alike have no digit at all. Other text
    may hold other digits (``\\d`` matches "٣" too) and is left to the regex."""
    if not text.isascii():
        return _DIGITS.search(text) is not None
    return any(digit in text for digit in "0123456789")


def _variant_differences(p: str, q: str, code: int, title: bool = False) -> list[str] | None:
    """What makes two keys found alike a variant, kept and linked instead of removed (None:
    nothing): differing numbers (:func:`_differing_numbers`), and for near keys names, letters
    and identifiers, which count as numbers do (:func:`_differing_words`).

    >>> _variant_differences("meal prep menu for eating plan b", "meal prep menu for eating plan a", NEAR, title=True)
    ['a', 'b']
    >>> _variant_differences("killed 31 people in the attack", "killed 13 people in the attack", NEAR)
    ['13', '31']
    """
    if code == NEAR:
        words = _differing_words(p, q, title)
        if words is not None:
            return words
    return _differing_numbers(p, q, code)


def _differing_numbers(p: str, q: str, code: int) -> list[str] | None:
    """The numbers that differ between two keys found alike (None: they agree). A near-duplicate
    must have the same numbers, a contained copy no number its original lacks: otherwise the
    paragraph is a variant ("killed 31" against "killed 13"), which is kept and reported."""
    if not _has_digit(p) and (code != NEAR or not _has_digit(q)):  # no numbers, or none to lack: the shortcut of the test below
        return None
    found_i, found_j = _DIGITS.findall(p), _DIGITS.findall(q)
    if found_i == found_j or (not found_i and code != NEAR):  # the same numbers in the same order; none to lack
        return None
    numbers_i, numbers_j = Counter(found_i), Counter(found_j)
    if numbers_i == numbers_j if code == NEAR else not (numbers_i - numbers_j):
        return None
    return sorted(((numbers_i - numbers_j) + (numbers_j - numbers_i)).elements())


# One-letter words of the languages most text is in (a letter outside ASCII alone, "à", "и", is
# taken for a word), and the letters that contractions and
# elisions leave as words of their own in a key ("it's", "don't", "l'homme"): a deleted "a" or a
# dropped "'s" is an edit, a changed "B" in "Plan B" is not.
_ONE_LETTER_WORDS = frozenset("aeiouystdmlncj")
_SIGNIFICANT_LETTER = re.compile(r"(?<!\S)[bfghkpqrvwxz](?!\S)")  # an ASCII letter alone that is none of those
# Keys longer than this (about 25 words) are paragraphs, where a letter that differs is an edit: the
# letter rule is for names and titles ("George H.W. Bush", "Plan B"), and skipping it for long keys
# saves a regex scan per near pair (most near pairs are long).
_LETTER_RULE_CHARS = 160


def _differing_words(p: str, q: str, title: bool = False) -> list[str] | None:
    """The words that make two near keys different paragraphs (None: an edit): a single letter
    ("George H.W. Bush" and "George W. Bush", "Plan A" and "Plan B"; in a short sentence only a
    letter that is no word of its own: a deleted "a" or "'s" is an edit; in a long paragraph no
    letter: a letter that differs there is a typo); and when both are headings, titles or
    labels (``title``: a short line that does not end like a sentence, see segment.is_heading) any
    word replaced, added or left out ("Address by President Reagan" and "... Clinton", "John
    Adams" and "John Quincy Adams"): in a title one word in five is no edit, and its words are
    mostly names. The keys are case-folded, so a name is known here by where it stands, not by
    its capital; in a sentence a changed name is left to the similarity threshold, and a word
    left out of a sentence of eight words ("... our programs for world economic recovery.") is an
    edit.

    >>> _differing_words("george h w bush s address", "george w bush s address")
    ['h']
    >>> _differing_words("second we will continue our programs for world economic recovery", "second we will continue our programs world economic recovery") is None
    True
    >>> _differing_words("address by president ronald reagan", "address by president bill clinton", title=True)
    ['bill', 'clinton', 'reagan', 'ronald']
    """
    if p == q:
        return None
    if not title and (len(p) > _LETTER_RULE_CHARS or not (_SIGNIFICANT_LETTER.search(p) or _SIGNIFICANT_LETTER.search(q))):
        return None  # a long paragraph (most pairs), or no letter standing alone
    words_p, words_q = p.split(), q.split()
    if not title:
        # Only a letter can make a sentence a variant here: look for one among the words that
        # are not in both (a set difference: ten times cheaper than counting, 4,000 near pairs
        # of the 20 MB benchmark corpus); a letter that only differs in how often it occurs is
        # left to the threshold.
        if not any(len(w) == 1 and w.isascii() and w.isalpha() and w not in _ONE_LETTER_WORDS for w in set(words_p).symmetric_difference(words_q)):
            return None
    if len(words_p) + len(words_q) > 40:
        only_p = Counter(words_p) - Counter(words_q)
        only_q = Counter(words_q) - Counter(words_p)
        return sorted((only_p + only_q).elements()) if only_p or only_q else None
    # A title's few words: the multiset difference by hand (a fifth of the cost of two Counters).
    rest = list(words_q)
    differing = []
    for w in words_p:
        if w in rest:
            rest.remove(w)
        else:
            differing.append(w)
    differing += rest
    return sorted(differing) if differing else None


def _compare_in_worker(lo: int, hi: int, index: np.ndarray):
    keys, cand_i, cand_j, flags, settings = _shared_for_workers  # type: ignore[misc]
    return lo, hi, _compare_pairs(_many_getter(keys), cand_i, cand_j, flags, settings, index)


def _many_getter(keys: "KeyStore | list[str]"):
    """A function from an array of candidate indexes to their keys."""
    if hasattr(keys, "many"):  # a KeyStore, or a batch's and its index rows' (incremental.CombinedKeys)
        return keys.many
    return lambda indexes: [keys[i] for i in indexes.tolist()]


_DIFFERING = 8  # a verdict code's bit: the pair matched, but its numbers differ (a variant at best)


class _PairVerdicts:
    """Verdicts of the candidate pairs, filled as the keep-first loop needs them: ``code[k]``
    (int8; -1: not known yet, 0: no match, else the reason code, plus ``_DIFFERING`` when the
    numbers differ, whose list is ``numbers[k]``) and ``similarity[k]``. The pairs compared
    ahead (``ahead``: candidate indexes, increasing) arrive task by task, in order; any other
    pair is compared when asked for."""

    def __init__(self, keys, get_key, cand_i, cand_j, flags, ahead: np.ndarray, settings: Settings, jobs: int) -> None:
        global _shared_for_workers
        self.cand_i, self.cand_j, self.flags, self.settings, self.get_key = cand_i, cand_j, flags, settings, get_key
        self.get_keys = _many_getter(keys)
        self.ahead = ahead
        self.is_ahead = np.zeros(len(cand_i), dtype=bool)
        self.is_ahead[ahead] = True
        self.code = np.full(len(cand_i), -1, dtype=np.int8)
        self.similarity = np.zeros(len(cand_i), dtype=np.float64)
        self.numbers: dict[int, list[str]] = {}
        self.done_to = 0  # the pairs ahead below this candidate index have their verdicts
        self.compared = 0
        self.pool = None
        calls = ((lo, min(len(ahead), lo + _VERIFY_TASK), ahead[lo : lo + _VERIFY_TASK]) for lo in range(0, len(ahead), _VERIFY_TASK))
        if jobs > 1 and len(ahead) >= _PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
            # Forked workers (forked at the first submit) see the keys and candidate arrays
            # without copying them.
            _shared_for_workers = (keys, cand_i, cand_j, flags, settings)
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                            initializer=worker_init, initargs=(os.getpid(),))
            # Submitted now, and up to _VERIFY_WINDOW_PAIRS ahead: the workers start while this
            # process goes on (a batch against an index reads its index rows meanwhile).
            self.results = started_in_order(self.pool, _compare_in_worker, calls, max(4 * jobs, _VERIFY_WINDOW_PAIRS // _VERIFY_TASK))
        else:
            self.results = in_order(None, self._compare_here, calls, 0)

    def renumber(self, cand_i: np.ndarray, cand_j: np.ndarray, keys) -> None:
        """The same pairs, their rows numbered anew (``keys`` in the new numbering): a batch
        against an index starts the comparisons before the index rows its decisions point at
        are placed among its rows (incremental.decide_batch). Tasks already handed to workers
        go on with the numbering they were given; the verdicts are per pair, not per row."""
        self.cand_i, self.cand_j = cand_i, cand_j
        self.get_key = keys.cached() if hasattr(keys, "cached") else keys.__getitem__
        self.get_keys = _many_getter(keys)

    def _compare_here(self, lo: int, hi: int, index: np.ndarray):
        return lo, hi, _compare_pairs(self.get_keys, self.cand_i, self.cand_j, self.flags, self.settings, index)

    def fill(self, k: int) -> None:
        """Make the verdict of candidate ``k`` known: a pair compared ahead is waited for (its
        task's verdicts are gathered, and those before it), any other is compared here."""
        if self.is_ahead[k]:
            while self.done_to <= k:
                task = next(self.results)
                lo, hi, (codes, sims, variants) = task
                index = self.ahead[lo:hi]
                if variants and not codes.flags.writeable:  # (a Ray task's result: read-only)
                    codes = codes.copy()
                for pos, numbers in variants.items():
                    codes[pos] |= _DIFFERING
                    self.numbers[int(index[pos])] = numbers
                self.code[index] = codes
                self.similarity[index] = sims
                self.compared += hi - lo
                self.done_to = int(index[-1]) + 1
            if self.code[k] >= 0:
                return
        self.compared += 1
        c, sim, numbers = _compare_pair(self.get_key(int(self.cand_i[k])), self.get_key(int(self.cand_j[k])), int(self.flags[k]), self.settings)
        if numbers is not None:
            c |= _DIFFERING
            self.numbers[k] = numbers
        self.code[k], self.similarity[k] = c, sim

    def close(self) -> None:
        global _shared_for_workers
        self.results.close()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _shared_for_workers = None


# Keys of this many words get two more bucket keys, their first and their last three words: a
# one-word edit of a sentence of nine words breaks every 3-word-shingle band and both first- and
# last-eight-words keys ("tonight the cup of peril is full in vietnam" / "... of motor ..."), but
# leaves one of its ends alone. The pairs found still pass the sketch filters and verification.
_SHORT_KEY_WORDS = (_ONE_WORD_MIN, _ONE_WORD_MAX)
_SHORT_KEY_CHUNK = 1 << 16
_END_WORDS = 3


def _add_short_key_columns(keys: "KeyStore | list[str]", fp: Fingerprints) -> None:
    """Append to ``fp`` the two bucket columns of short keys: a 64-bit hash of the first and of the
    last :data:`_END_WORDS` words of each key of 7 to 21 words (0: none); a key's value does not
    depend on anything else, so decisions do not depend on batches or workers. Computed with numpy
    on the short keys' bytes, 65,536 keys at a time (a key's words are separated by single
    spaces): a Python loop over the keys cost 1.3 s at 200 MB; all keys at once, the index of
    their bytes took 430 MB more at 200 MB."""
    n = len(fp.n_words)
    lo, hi = _SHORT_KEY_WORDS
    short = np.flatnonzero((fp.n_words >= lo) & (fp.n_words <= hi))
    first = np.zeros(n, dtype=np.uint64)
    last = np.zeros(n, dtype=np.uint64)
    if len(short):
        # A chunk of keys at a time (memory: their bytes and an index of 8 bytes per byte, not the
        # whole store's); of each key only the bytes of its first and last words are hashed.
        for at in range(0, len(short), _SHORT_KEY_CHUNK):
            rows = short[at : at + _SHORT_KEY_CHUNK]
            if isinstance(keys, KeyStore):
                offsets = keys._settle()
                starts, ends = offsets[rows], offsets[rows + 1]
                lengths = ends - starts
                sub_start = np.zeros(len(rows), dtype=np.int64)
                np.cumsum(lengths[:-1], out=sub_start[1:])
                gather = np.repeat(starts - sub_start, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
                blob = np.frombuffer(keys._data, dtype=np.uint8)
                data = blob[gather]
                del blob, gather  # (the view holds the store's buffer, which must stay resizable)
                sub_end = sub_start + lengths
            else:
                data, sub_start, sub_end = _key_spans([keys[i] for i in rows.tolist()])
            spaces = np.flatnonzero(data == 0x20)
            head_end = spaces[np.searchsorted(spaces, sub_start) + _END_WORDS - 1]
            tail_start = spaces[np.searchsorted(spaces, sub_end) - _END_WORDS] + 1
            first[rows] = fmix64(_compact_span_hashes(data, sub_start, head_end) ^ np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
            last[rows] = fmix64(_compact_span_hashes(data, tail_start, sub_end) ^ np.uint64(0xC2B2AE3D27D4EB4F)) | np.uint64(1)
    if isinstance(fp.buckets, list):
        fp.buckets.extend([first, last])
    else:
        fp.buckets = np.column_stack([fp.buckets, first, last])


def _compact_span_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``_span_hashes(data, starts, ends)``, computed on the spans' bytes gathered together (a span's
    hash depends only on its bytes): the prefix sums then cover a few words per key instead of
    every byte of every key. On 195,530 short keys (20 MB) the whole-data prefix took 0.4 s and
    200 MB of 64-bit temporaries, twice."""
    lengths = ends - starts
    offsets = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=offsets[1:])
    gather = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
    return _span_hashes(data[gather], offsets, offsets + lengths)


@dataclass
class ExactCopies:
    """``first_of[i]``: the first candidate whose key hash is candidate i's; ``exact[i]``: i is an
    exact copy of an earlier candidate (empty keys never match)."""

    first_of: np.ndarray
    exact: np.ndarray


def find_exact(fp: Fingerprints) -> ExactCopies:
    """Exact copies: the same match key hash as an earlier candidate."""
    n = len(fp.key_hash)
    # One stable sort (numpy 2.4's np.unique with return_index and return_inverse took 0.1 s
    # for the 441,000 rows of a batch and its index rows): the first of each run of equal
    # hashes is the earliest candidate that has it.
    order = _stable_argsort(np.asarray(fp.key_hash, dtype=np.uint64))
    ordered = fp.key_hash[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first_of = np.empty(n, dtype=np.int64)
    first_of[order] = order[np.maximum.accumulate(np.where(starts, np.arange(n), 0))] if n else order
    return ExactCopies(first_of, (first_of != np.arange(n)) & (fp.n_words > 0))


@dataclass
class CandidatePairs:
    """The pairs the keep-first loop may compare: for each candidate i (in corpus order) its
    earlier candidates j sharing an LSH bucket, most similar first (``cand_i``, ``cand_j``,
    ``flags``, sorted by i); ``active``, the candidates that are exact copies or share a bucket
    (only they can be removed); ``ahead``, the pairs worth comparing before the loop reaches them
    (the first few of each row)."""

    active: np.ndarray
    cand_i: np.ndarray
    cand_j: np.ndarray
    flags: np.ndarray
    ahead: np.ndarray
    counts: dict[str, int]


def candidate_pairs(keys: KeyStore | list[str], fp: Fingerprints, exact: ExactCopies, settings: Settings,
                    release_buckets: bool = False, from_row: int = 0) -> CandidatePairs:
    """LSH buckets and the candidate pairs they give (numpy, block by block of rows; int32
    indexes: 9 bytes a pair). ``from_row``: only rows from there on get pairs and are active
    (the rows before are an index's, decided already: incremental.py). ``release_buckets``: the bucket columns of ``fp`` are dropped as
    they are indexed (the pipeline does not need them afterwards; on a large corpus they are the
    biggest thing in memory)."""
    n = len(fp.key_hash)
    counts = {"fingerprinted": len(fp.column_entries(0)[0])}
    # Buckets: an exact copy is never kept, so it is no bucket's member; a paragraph repeated
    # 100,000 times is one member, not 100,000.
    if fp.n_columns == settings.bands + 2:  # (a batch run against an index brings them: see incremental.py)
        _add_short_key_columns(keys, fp)
    columns = _bucket_columns(fp, ~exact.exact, release=release_buckets, threads=settings.jobs)
    in_bucket = np.zeros(n, dtype=bool)
    for sorted_rows, rows, start, _rank in columns:
        in_bucket[rows] = True
        in_bucket[sorted_rows[start]] = True  # the first member of each shared bucket
    counts["in_shared_buckets"] = int(in_bucket.sum())
    active = np.nonzero(exact.exact | in_bucket)[0]
    active = active[active >= from_row]

    def block(lo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        block_i, block_j, block_flags = _candidates(fp, columns, lo, min(n, lo + rows_per_block), settings)
        return block_i.astype(np.int32), block_j.astype(np.int32), block_flags, compared_ahead(block_i)

    parts_i, parts_j, parts_flags, parts_ahead = [], [], [], []
    offset = 0
    # Blocks of _ROW_BLOCK rows, or fewer when there are fewer rows than two per thread would
    # take (a 48,000-row batch against an index was one block in one thread: 0.67 s).
    rows_per_block = min(_ROW_BLOCK, max(_MIN_ROW_BLOCK, -(-(n - from_row) // (2 * max(1, settings.jobs)))))
    for block_i, block_j, block_flags, block_ahead in _in_threads(block, range(from_row, n, rows_per_block), settings.jobs):
        parts_ahead.append(block_ahead + offset)
        parts_i.append(block_i)
        parts_j.append(block_j)
        parts_flags.append(block_flags)
        offset += len(block_i)
    cand_i = np.concatenate(parts_i) if parts_i else np.zeros(0, dtype=np.int32)
    cand_j = np.concatenate(parts_j) if parts_j else np.zeros(0, dtype=np.int32)
    cand_flags = np.concatenate(parts_flags) if parts_flags else np.zeros(0, dtype=np.int8)
    ahead = np.concatenate(parts_ahead) if parts_ahead else np.zeros(0, dtype=np.int64)
    return CandidatePairs(active, cand_i, cand_j, cand_flags, ahead, counts)


def verify_pairs(keys: KeyStore | list[str], pairs: CandidatePairs, settings: Settings) -> "_PairVerdicts":
    """The text comparisons (rapidfuzz) of the candidate pairs: those ``ahead`` start at once, in
    ``settings.jobs`` processes; any other is compared when the keep-first loop asks for it. The
    verdicts do not depend on any decision, nor on the number of processes. Close it when done."""
    get_key = keys.cached() if hasattr(keys, "cached") else keys.__getitem__
    return _PairVerdicts(keys, get_key, pairs.cand_i, pairs.cand_j, pairs.flags, pairs.ahead, settings, settings.jobs)


@dataclass
class PriorState:
    """Rows of earlier batches placed before a batch's candidates (rows ``0..rows-1`` of the arrays
    :func:`keep_first` works on; see incremental.py), decided already. A later row's decision reads
    an earlier row's state as it was at each step of one big run, so each is given at two steps:
    after the keep-first loop (``loop_*``: a paragraph that copies-of-copies removed afterwards was
    kept in the loop, and later rows were compared with it) and after copies of copies
    (``coc_*``). ``duplicate_of`` values are row numbers of these arrays."""

    rows: int
    loop_code: np.ndarray
    loop_dup: np.ndarray
    loop_sim: np.ndarray
    coc_code: np.ndarray
    coc_dup: np.ndarray
    coc_sim: np.ndarray

    @property
    def coc_removed(self) -> np.ndarray:
        """The rows that copies-of-copies removed (kept in the loop, removed after)."""
        return (self.loop_code == KEEP) & (self.coc_code != KEEP)


@dataclass
class StageStates:
    """Each candidate's (code, duplicate_of, unrounded similarity) after the keep-first loop and
    after copies of copies: what an index keeps so that later batches see this one as one big run
    would (:class:`PriorState`)."""

    loop: tuple[np.ndarray, np.ndarray, np.ndarray]
    coc: tuple[np.ndarray, np.ndarray, np.ndarray]


def keep_first(n: int, exact: ExactCopies, pairs: CandidatePairs, verdicts: "_PairVerdicts", prior: PriorState | None = None,
               stages: list | None = None) -> ClusterResult:
    """The decisions, row by row in corpus order: a candidate is removed when it copies an earlier
    kept one (exactly, or by a verified pair); compiled, or _keep_first_python. The loop stops where
    a verdict is not known yet, has it computed (or waits for the workers' one) and goes on.
    ``prior``: the first rows are an index's, decided already (``pairs.active`` holds none of them).
    ``stages``: a list that gets the :class:`StageStates`."""
    blank = ClusterResult.all_kept(n)
    code, duplicate_of, similarity, variant_of = blank.code, blank.duplicate_of, blank.similarity, blank.variant_of
    differing = blank.differing_numbers
    counts: Counter = Counter(pairs.counts)
    active, cand_i, cand_j = pairs.active, pairs.cand_i, pairs.cand_j
    kept = bytearray(b"\x01") * n  # code == KEEP, readable without numpy's per-item cost
    starts = np.searchsorted(cand_i, active, side="left")
    ends = np.searchsorted(cand_i, active, side="right")
    is_exact = exact.exact[active].view(np.uint8)
    first_of_active = exact.first_of[active].astype(np.int64)
    sims = np.full(n, np.nan, dtype=np.float64)  # unrounded until the loop ends
    variant_pair = np.full(n, -1, dtype=np.int64)
    if prior is not None and prior.rows:
        m = prior.rows
        code[:m], duplicate_of[:m], sims[:m] = prior.loop_code, prior.loop_dup, prior.loop_sim
        kept[:m] = (prior.loop_code == KEEP).astype(np.uint8).tobytes()
    loop = _compiled.keep_first if _compiled is not None else _keep_first_python
    r = 0
    while True:
        r, k = loop(active, is_exact, first_of_active, starts, ends, cand_j, kept, verdicts.code, verdicts.similarity,
                    _MAX_VERIFY, r, code, duplicate_of, sims, variant_of, variant_pair)
        if k < 0:
            break
        verdicts.fill(k)
    code_before = gone_before = None
    after_loop = (code.copy(), duplicate_of.copy(), sims.copy()) if stages is not None else None
    if prior is not None and prior.rows:
        m = prior.rows
        code_before, gone_before = code.copy(), prior.coc_removed
        code[:m], duplicate_of[:m], sims[:m] = prior.coc_code, prior.coc_dup, prior.coc_sim
    counts["copies_of_copies"] = _copies_of_copies(cand_j, code, duplicate_of, sims, variant_of, verdicts,
                                                   code_before, gone_before)
    if stages is not None:
        stages.append(StageStates(after_loop, (code.copy(), duplicate_of.copy(), sims.copy())))
    decided = np.flatnonzero(~np.isnan(sims))
    similarity[decided] = [round(s_, 4) for s_ in sims[decided].tolist()]
    for i, k in zip(np.flatnonzero(variant_of >= 0).tolist(), variant_pair[variant_of >= 0].tolist()):
        differing[i] = verdicts.numbers[k]
    counts["verified_pairs"] = verdicts.compared
    counts["variants"] = len(differing)
    for c, name in REASON_OF_CODE.items():
        counts[name] = int((code == c).sum())
    return ClusterResult(code, duplicate_of, similarity, variant_of, differing, dict(counts))


def decide(keys: KeyStore | list[str], fp: Fingerprints, settings: Settings, release_buckets: bool = False) -> ClusterResult:
    """Decisions for every candidate (index order is corpus order): the stages :func:`find_exact`,
    :func:`candidate_pairs`, :func:`verify_pairs` and :func:`keep_first` in turn. Candidate pairs
    are compared as text in ``settings.jobs`` processes; the decisions do not depend on that
    number."""
    n = len(fp.key_hash)
    if n == 0:
        return ClusterResult.all_kept(0)
    exact = find_exact(fp)
    pairs = candidate_pairs(keys, fp, exact, settings, release_buckets)
    verdicts = verify_pairs(keys, pairs, settings)
    try:
        return keep_first(n, exact, pairs, verdicts)
    finally:
        verdicts.close()


_COMPONENT_TASK_PAIRS = 20000  # candidate pairs (at least) per task of decide_by_components


def candidate_components(n: int, exact: ExactCopies, pairs: CandidatePairs) -> np.ndarray:
    """The connected component of each candidate in the graph of its candidate pairs and exact
    copies (its first copy): keep-first reads nothing outside a row's component (its candidates,
    their decisions, what those point at), so components can be decided apart, in any order,
    each in corpus order. Labels are numbered by their first row."""
    return components_of_edges(n, exact, pairs.cand_i, pairs.cand_j)


def components_of_edges(n: int, exact: ExactCopies, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`candidate_components` from any edges with the pairs' connectivity: the pairs
    themselves, or a spanning forest of them (shuffle.py: the driver never holds the pairs)."""
    # Row numbers in int32 where they fit (the pairs' own type): the driver of a cluster builds
    # this graph over every paragraph of the corpus, and int64 edges doubled its largest arrays.
    index = np.int32 if n < 2**31 else np.int64
    copies = np.flatnonzero(exact.exact).astype(index)
    return _graph_labels(n, np.concatenate([np.asarray(a, dtype=index), copies]),
                         np.concatenate([np.asarray(b, dtype=index), exact.first_of[copies].astype(index)]))


def _graph_labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The connected component of each of ``n`` nodes of the undirected graph of edges (a, b),
    numbered by their first node."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)), directed=False)
    return labels


def spanning_forest(i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges (row, first row of its component) with the connectivity of the pairs (i, j): one
    edge per row that is not the first of its component, however many pairs there are. A task
    of the candidate search returns this instead of its pairs (shuffle.py).

    >>> spanning_forest(np.array([5, 7, 7, 9]), np.array([2, 5, 2, 8]))
    (array([5, 7, 9]), array([2, 2, 8]))
    """
    rows = np.unique(np.concatenate([np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)]))
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    labels = _graph_labels(len(rows), np.searchsorted(rows, i), np.searchsorted(rows, j))
    _, first = np.unique(labels, return_index=True)  # each component's first (smallest) row
    root = rows[first[labels]]
    other = root != rows
    return rows[other], root[other]


@dataclass
class ComponentTasks:
    """Whole components in runs of at least ``_COMPONENT_TASK_PAIRS`` pairs (or the rest): task t
    decides the rows ``order[row_starts[t]:row_starts[t + 1]]`` (one component after the other,
    corpus order inside), whose pairs are ``pair_starts[t]:pair_starts[t + 1]`` of the pairs
    grouped by component (their order inside kept)."""

    order: np.ndarray
    row_starts: np.ndarray
    pair_starts: np.ndarray

    def __len__(self) -> int:
        return len(self.row_starts) - 1

    def rows(self, t: int) -> np.ndarray:
        return self.order[self.row_starts[t] : self.row_starts[t + 1]]


def plan_component_tasks(labels: np.ndarray, pairs_of_row: np.ndarray) -> ComponentTasks:
    """The tasks of :func:`decide_by_components` from each row's component and its number of
    pairs (as the first row of a pair): rows alone in their component (no pair, no copy) are
    kept and in no task."""
    alone = np.bincount(labels)[labels] == 1  # a row with no pair and no copy: kept
    order = np.flatnonzero(~alone)
    order = order[np.argsort(labels[order], kind="stable")]  # grouped by component, corpus order inside
    component = labels[order]
    starts = np.flatnonzero(np.r_[True, component[1:] != component[:-1]]) if len(order) else np.zeros(0, dtype=np.int64)
    pairs_of_component = np.bincount(labels, weights=pairs_of_row, minlength=len(labels)).astype(np.int64)[component[starts]]
    pair_starts = np.r_[0, np.cumsum(pairs_of_component)]
    weight = pairs_of_component + 1
    cut = np.flatnonzero(np.diff(np.cumsum(weight) // _COMPONENT_TASK_PAIRS, prepend=0) > 0)
    task_starts = np.unique(np.r_[0, cut + 1])
    task_starts = np.r_[task_starts[task_starts < len(starts)], len(starts)] if len(starts) else np.zeros(1, dtype=np.int64)
    return ComponentTasks(order, np.r_[starts, len(order)][task_starts], pair_starts[task_starts])


def _component_problem(rows: np.ndarray, pair_range: np.ndarray, exact: ExactCopies, pairs: CandidatePairs, active: np.ndarray,
                       local_of: np.ndarray, keys) -> tuple:
    """What deciding some whole components needs, renumbered from 0: ``rows``, their rows one
    component after the other (corpus order inside each), and ``pair_range``, their pairs in the
    same order. Components never read each other, so deciding them together in this order is
    deciding each apart. ``local_of`` is scratch space of the corpus's size."""
    local_of[rows] = np.arange(len(rows))
    cand_i = local_of[pairs.cand_i[pair_range]].astype(np.int32)
    cand_j = local_of[pairs.cand_j[pair_range]].astype(np.int32)
    if isinstance(keys, KeyStore):
        texts = keys.many(rows)
    elif hasattr(keys, "texts_later"):  # keys in files (shuffle.FileKeys): the task reads them
        texts = keys.texts_later(rows)
    else:
        texts = [keys[r] for r in rows.tolist()]
    return (texts, local_of[exact.first_of[rows]], exact.exact[rows], np.flatnonzero(active[rows]), cand_i, cand_j,
            pairs.flags[pair_range])


def _decide_components(problem: tuple, settings: Settings) -> ClusterResult:
    """keep_first for the components of a :func:`_component_problem` (a task: all it needs
    travels with it)."""
    texts, first_of, is_exact, active, cand_i, cand_j, flags = problem
    if not isinstance(texts, list):
        texts = texts.load()
    ahead = compared_ahead(cand_i)
    pairs = CandidatePairs(active, cand_i, cand_j, flags, ahead, {})
    verdicts = _PairVerdicts(texts, texts.__getitem__, cand_i, cand_j, flags, ahead, settings, 1)
    try:
        return keep_first(len(texts), ExactCopies(first_of, is_exact), pairs, verdicts)
    finally:
        verdicts.close()


def decide_by_components(keys: KeyStore | list[str], fp: Fingerprints, settings: Settings, pool, release_buckets: bool = False,
                         find_pairs=None) -> ClusterResult:
    """:func:`decide`, with the keep-first decisions (and their text comparisons) made per
    connected component of the candidate graph, as tasks of ``pool`` (an engine's, engines.py;
    None: here): components grouped into tasks of at least ``_COMPONENT_TASK_PAIRS`` pairs,
    results merged by row. The same decisions as :func:`decide` (tests/test_ray_engine.py).
    ``find_pairs``: a function of the exact copies that gives :func:`candidate_pairs`'s pairs, or
    a shuffle.PairFiles when ``fp`` holds no bucket keys: the pairs stay in files, this process
    finds the components from a spanning forest of them, and each task reads its own pairs."""
    n = len(fp.key_hash)
    if n == 0:
        return ClusterResult.all_kept(0)  # (as decide: the same manifest for an empty corpus)
    exact = find_exact(fp)
    pairs = find_pairs(exact) if find_pairs is not None else candidate_pairs(keys, fp, exact, settings, release_buckets)
    active = np.zeros(n, dtype=bool)
    active[pairs.active] = True
    if isinstance(pairs, CandidatePairs):
        labels = candidate_components(n, exact, pairs)
        tasks = plan_component_tasks(labels, np.bincount(pairs.cand_i, minlength=n))
        pair_order = np.argsort(labels[pairs.cand_i.astype(np.int64)], kind="stable")  # grouped by component, their order inside
        local_of = np.zeros(n, dtype=np.int64)
        function = _decide_components
        calls = ((_component_problem(tasks.rows(t), pair_order[tasks.pair_starts[t] : tasks.pair_starts[t + 1]], exact, pairs, active,
                                     local_of, keys), settings) for t in range(len(tasks)))
    else:  # the pairs in files (shuffle.PairFiles): only a spanning forest of them comes here
        labels = components_of_edges(n, exact, pairs.forest_a, pairs.forest_b)
        tasks = plan_component_tasks(labels, pairs.pairs_of_row)
        function, calls = pairs.component_calls(tasks, exact, active, keys, settings, pool)
    merged = ClusterResult.all_kept(n)
    code, duplicate_of, similarity, variant_of = merged.code, merged.duplicate_of, merged.similarity, merged.variant_of
    differing = merged.differing_numbers
    counts: Counter = Counter(pairs.counts)
    for t, result in enumerate(in_order(pool, function, calls, 4 * settings.jobs)):
        rows = tasks.rows(t)
        code[rows] = result.code
        duplicate_of[rows] = np.where(result.duplicate_of >= 0, rows[np.maximum(result.duplicate_of, 0)], -1)
        variant_of[rows] = np.where(result.variant_of >= 0, rows[np.maximum(result.variant_of, 0)], -1)
        similarity[rows] = result.similarity
        differing.update({int(rows[i]): numbers for i, numbers in result.differing_numbers.items()})
        for name in ("copies_of_copies", "verified_pairs", "variants"):
            counts[name] += result.counts.get(name, 0)
    for c, name in REASON_OF_CODE.items():
        counts[name] = int((code == c).sum())
    return ClusterResult(code, duplicate_of, similarity, variant_of, dict(sorted(differing.items())), dict(counts))


_COPY_OF_COPY_VERIFY = 2  # removed candidates compared per kept row (0.53 s of 200 MB's main process with six)


def _copies_of_copies(cand_j, code, duplicate_of, sims, variant_of, verdicts: "_PairVerdicts",
                      code_before: np.ndarray | None = None, gone_before: np.ndarray | None = None) -> int:
    """Kept paragraphs that copy a removed one, removed as copies of what that one copied. The
    keep-first loop compares a paragraph with kept paragraphs only; a truncated copy of an edited
    copy is less like the original than like the edited copy it was cut from, and stays when the
    original alone is below the thresholds. Each kept row (in corpus order) is compared with its
    removed candidates too (at most ``_COPY_OF_COPY_VERIFY``, most similar first); a match makes it a copy
    of the kept paragraph its match was removed as a copy of, so every ``duplicate_of`` still
    names a kept paragraph. Rows that copied a row removed here point at its kept paragraph too.
    Returns how many rows were removed. With an index's rows first (:class:`PriorState`),
    ``code_before`` is every row's code after the loop (the index's rows' loop codes) and
    ``gone_before`` the index's rows that this step removed in their own batch."""
    cand_i = verdicts.cand_i
    if code_before is None:
        code_before = code
    if len(cand_i) == 0 and (gone_before is None or not gone_before.any()):
        return 0
    # The pairs to look at, all at once: a kept row's pairs whose candidate was removed (before
    # this pass), the first _COPY_OF_COPY_VERIFY of each row (the most similar first).
    # (An exact copy is its original's text, which the row was compared with already.)
    chosen = np.flatnonzero(((code_before[cand_j] == NEAR) | (code_before[cand_j] == CONT)) & (code[cand_i] == KEEP) & (variant_of[cand_i] < 0))
    if len(chosen) == 0 and (gone_before is None or not gone_before.any()):
        return 0
    rows_of = cand_i[chosen]
    rank = np.arange(len(chosen)) - np.searchsorted(rows_of, rows_of, side="left")
    chosen, rows_of = chosen[rank < _COPY_OF_COPY_VERIFY], rows_of[rank < _COPY_OF_COPY_VERIFY]
    removed_here: list[int] = []
    bounds = np.flatnonzero(np.r_[True, rows_of[1:] != rows_of[:-1], True]) if len(chosen) else np.zeros(1, dtype=np.int64)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        i = int(rows_of[lo])
        best = None
        for k in chosen[lo:hi].tolist():
            if verdicts.code[k] < 0:
                verdicts.fill(k)
            c = int(verdicts.code[k])
            if c <= 0 or c & _DIFFERING:
                continue
            sim = float(verdicts.similarity[k])
            if best is None or sim > best[0]:
                best = (sim, k, c)
        if best is None:
            continue
        sim, k, c = best
        root = int(duplicate_of[int(cand_j[k])])
        while root >= 0 and code[root] != KEEP:
            root = int(duplicate_of[root])
        if root < 0:
            continue
        code[i], duplicate_of[i], sims[i] = c, root, sim
        removed_here.append(i)
    if removed_here or (gone_before is not None and gone_before.any()):
        gone = np.zeros(len(code), dtype=bool)
        gone[removed_here] = True
        if gone_before is not None:  # (an index's rows: their own copies were repointed in their batch)
            gone[: len(gone_before)] |= gone_before
        for x in np.flatnonzero((duplicate_of >= 0) & gone[np.maximum(duplicate_of, 0)]).tolist():
            g = int(duplicate_of[x])
            if code[x] == EXACT:  # an exact copy of the removed row is what that row is
                code[x], sims[x] = code[g], sims[g]
            duplicate_of[x] = duplicate_of[g]  # the removed row's own kept paragraph
        for x in np.flatnonzero((variant_of >= 0) & gone[np.maximum(variant_of, 0)]).tolist():
            variant_of[x] = duplicate_of[int(variant_of[x])]
    return len(removed_here)


def _keep_first_python(rows, is_exact, first_of, starts, ends, cand_j, kept, verdict_code, verdict_sim, max_verify: int, r0: int,
                       code, duplicate_of, similarity, variant_of, variant_pair) -> tuple[int, int]:
    """The keep-first loop of :func:`decide` from the active row ``r0`` on, where the module was
    not compiled (and the compiled loop's reference in the tests). Rows come in corpus order; an
    exact copy points at the first copy (or at what that one duplicated); any other row reads its
    candidates in order, only the kept ones and at most ``max_verify`` of them, and is a
    duplicate of its most similar match (the first of equals), else a variant of its most
    similar pair whose numbers differ. A row's outputs are written when it is finished, so at a
    candidate whose verdict is not known yet (code -1) the loop returns (row, candidate) and the
    caller calls again from that row once the verdict is filled. (len(rows), -1): done."""
    total = len(rows)
    r = r0
    while r < total:
        hi = min(total, r + 1024)  # rows read as Python lists at a time
        lo_k = int(starts[r])
        js = cand_j[lo_k : int(ends[hi - 1])].tolist()
        codes = verdict_code[lo_k : int(ends[hi - 1])].tolist()
        for r_, i, is_copy, j0, s, e in zip(range(r, hi), rows[r:hi].tolist(), is_exact[r:hi].tolist(), first_of[r:hi].tolist(),
                                            starts[r:hi].tolist(), ends[r:hi].tolist()):
            if is_copy:
                if kept[j0]:
                    code[i], duplicate_of[i], similarity[i] = EXACT, j0, 1.0
                else:  # the first copy was itself a duplicate: point at what it duplicated
                    code[i], duplicate_of[i], similarity[i] = code[j0], duplicate_of[j0], similarity[j0]
                kept[i] = 0
                continue
            best = variant = None
            taken = 0
            for k in range(s, e):
                if not kept[js[k - lo_k]]:
                    continue
                taken += 1
                if taken > max_verify:
                    break
                c = codes[k - lo_k]
                if c < 0:
                    return r_, k
                if not c:
                    continue
                sim = float(verdict_sim[k])
                if c & _DIFFERING:
                    if variant is None or sim > variant[0]:
                        variant = (sim, k)
                elif best is None or sim > best[0]:
                    best = (sim, k, c)
            if best is not None:
                sim, k, c = best
                code[i], duplicate_of[i], similarity[i] = c, js[k - lo_k], sim
                kept[i] = 0
            elif variant is not None:
                sim, k = variant
                variant_of[i], similarity[i], variant_pair[i] = js[k - lo_k], sim, k
        r = hi
    return total, -1


# A corpus template line of at most this many words can be a piece that a moved line break cut off
# a copy ("The" alone on its line in three documents of a site); absorb_fragments takes it back.
_FRAGMENT_WORDS = 5


def absorb_fragments(keys: "KeyStore | list[str]", n_words: np.ndarray, result: ClusterResult, doc_of: np.ndarray,
                     para_of: np.ndarray, settings: Settings, template: "set[int] | dict[int, int]" = frozenset(),
                     first_row: int = 0, heirs: "dict[int, int] | None" = None) -> list[int]:
    """Short pieces that a moved line break cut off a copy, removed with it. Scraped text breaks
    lines where a link or an inline tag was ("It is possible \nto open NC:BookmarksRoot group
    bookmark, ..."): the segmenter keeps a line of one to three words apart (it may be a heading),
    the rest of the copy is found as a truncated copy of the original, and the piece would stay
    in the output alone. A kept piece right before (or after) a paragraph removed as a copy of
    ``t``, in the same document, goes as a copy of ``t`` too when the two together are still a
    copy of ``t`` and ``t`` holds the piece's words, exactly, right before (after) the words it
    was cut from (a piece of any length: the lines of a hard-wrapped copy that were kept apart,
    too short to be found on their own): the decision does not depend on where the line
    broke, nor on the case (the keys are folded), and a heading over a copy ("The Economy" over a
    paragraph quoted from elsewhere) stays unless the original has those words at that place.
    Several pieces in a row are taken one by one. A piece that is an exact copy of another piece
    (the same break moved the same way in a second copy) is taken as well. A piece found as a corpus template line
    (``template``: "The" or "We" alone on a line in three documents of a site, because moved
    breaks left it there) is such a piece too. ``result`` is updated in place; returns the
    candidates removed (the caller takes them out of ``template``). ``first_row``: the rows before
    it are an index's (see incremental.py), decided already: only later copies are looked at, and
    ``heirs`` maps each index row that this step removed in its own batch to the row kept in its
    place (-1: none yet); it is updated with the heirs chosen now.

    >>> s = Settings(jobs=1)
    >>> keys = ["it is possible to open the bookmarks root group bookmark from the menu of the sidebar",
    ...         "it is possible", "to open the bookmarks root group bookmark from the menu of the sidebar"]
    >>> r = decide_texts(keys, s)
    >>> r.code.tolist(), absorb_fragments(keys, np.array([15, 3, 12]), r, np.zeros(3, dtype=np.int32), np.arange(3), s), r.code.tolist()
    ([0, 0, 3], [1], [0, 2, 3])
    """
    code, duplicate_of, similarity = result.code, result.duplicate_of, result.similarity
    removed: list[int] = []
    n = len(code)
    # The copies with a neighbour that could be a piece, found with numpy (most have none).
    could_be_piece = ((code == KEEP) | (code == EXACT)) & (result.variant_of < 0) & (n_words > 0)
    if template:
        could_be_piece[np.fromiter(template, dtype=np.int64, count=len(template))] = True
    copies = np.flatnonzero((code == NEAR) | (code == CONT))
    copies = copies[(duplicate_of[copies] >= 0) & (copies >= first_row)]
    near = np.zeros(len(copies), dtype=bool)
    for step in (-1, 1):
        g = copies + step
        inside = (g >= 0) & (g < n)
        g = np.clip(g, 0, n - 1)
        # The original must be long enough to hold the piece and the copy (a word or two of slack).
        fits = n_words[duplicate_of[copies]] + 2 >= n_words[copies] + n_words[g]
        near |= inside & could_be_piece[g] & fits & (doc_of[g] == doc_of[copies]) & (para_of[g] == para_of[copies] + step)
    for c in copies[near].tolist():
        target = int(duplicate_of[c])
        target_key = keys[target]
        for step in (-1, 1):
            joined = keys[c]
            f = c
            while 0 <= f + step < n:
                g = f + step
                if (doc_of[g] != doc_of[c] or para_of[g] != para_of[f] + step or code[g] not in (KEEP, EXACT) or result.variant_of[g] >= 0
                        or not (0 < n_words[g] or (g in template and keys[g].count(" ") < _FRAGMENT_WORDS))):
                    break
                piece = keys[g]
                # The piece must stand in the original right where it was cut off: its words
                # followed (preceded) by the first (last) words of what it was cut from.
                seam = piece + " " + " ".join(joined.split()[:3]) if step < 0 else " ".join(joined.split()[-3:]) + " " + piece
                if seam not in target_key:
                    break
                joined = piece + " " + joined if step < 0 else joined + " " + piece
                verdict = verify(joined, target_key, settings) if joined != target_key else (NEAR, 1.0)
                if verdict is None:
                    break
                code[g], duplicate_of[g], similarity[g] = CONT if verdict[0] == CONT else NEAR, target, verdict[1]
                removed.append(g)
                f = g
    _repoint_copies_of(removed, result, first_row, heirs)
    result.counts["fragments"] = len(removed)
    for c, name in REASON_OF_CODE.items():
        result.counts[name] = int((code == c).sum())
    return sorted(removed)


def _repoint_copies_of(removed: list[int], result: ClusterResult, first_row: int = 0, heirs: "dict[int, int] | None" = None) -> None:
    """Every ``duplicate_of`` and ``variant_of`` must name a kept paragraph: the copies of a piece
    that :func:`absorb_fragments` removed (another "It is possible" alone on a line elsewhere,
    with no copy beside it) are kept in its place, the first of them kept and the others its
    copies, in corpus order. ``first_row``, ``heirs``: see :func:`absorb_fragments`."""
    known = {g: e for g, e in (heirs or {}).items()}
    if not removed and not known:
        return
    gone = np.zeros(len(result.code), dtype=bool)
    gone[removed] = True
    gone[list(known)] = True
    code, duplicate_of, variant_of = result.code, result.duplicate_of, result.variant_of
    heir: dict[int, int] = {g: e for g, e in known.items() if e >= 0}
    later = np.arange(len(code)) >= first_row
    for e in np.flatnonzero(((duplicate_of >= 0) & gone[np.maximum(duplicate_of, 0)] & ~gone & later)).tolist():
        g = int(duplicate_of[e])
        if g in heir:
            duplicate_of[e] = heir[g]
        else:
            heir[g] = e
            code[e], duplicate_of[e], result.similarity[e] = KEEP, -1, np.nan
    for e in np.flatnonzero((variant_of >= 0) & gone[np.maximum(variant_of, 0)] & later).tolist():
        g = int(variant_of[e])
        if g in heir and heir[g] < e:
            variant_of[e] = heir[g]
        else:
            variant_of[e] = -1
            result.differing_numbers.pop(e, None)
    if heirs is not None:
        heirs.update({g: heir.get(g, -1) for g in removed})
        heirs.update({g: e for g, e in heir.items() if g in known})


def decide_texts(keys: list[str], settings: Settings) -> ClusterResult:
    """Fingerprint and decide a list of match keys in one call (tests, tuning)."""
    fp = fingerprint(keys, settings.num_perm, settings.bands, settings.shingle_words,
                     min(settings.min_words_near, settings.min_words_contained), settings.min_words_contained)
    return decide(keys, fp, settings)
