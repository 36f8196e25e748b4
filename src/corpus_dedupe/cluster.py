"""Find duplicate paragraphs across the corpus and decide which to keep.

Keep-first: paragraphs are visited in corpus order (sorted relative path, then position), and each
one is compared only with *kept* paragraphs before it. Candidates come from three indexes:

* the exact match key (64-bit key hashes grouped with ``numpy.unique``; equal hashes are checked
  against the keys themselves),
* MinHash LSH buckets, one column per band: a bucket is a band key shared by two or more
  paragraphs, found by sorting each column with numpy instead of keeping a Python object per band
  per key as ``datasketch.MinHashLSH`` does,
* the first and the last ``min_words_contained`` words of the key, which catch a copy truncated so
  hard that its shingles no longer look alike (seed 003: a paragraph cut at "and has").

Only paragraphs that share a bucket or a key with another one enter the Python loop. Every
candidate pair is verified with rapidfuzz before anything is removed. Each bucket remembers at most
``_BUCKET_KEEP`` kept paragraphs, so a paragraph repeated 100,000 times costs 100,000 dictionary
look-ups, never 10^10 comparisons.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from .fingerprint import Fingerprints, fingerprint
from .model import CONTAINED, EXACT_DUPLICATE, NEAR_DUPLICATE
from .settings import Settings

_BUCKET_KEEP = 8
_MAX_VERIFY = 12
KEEP, EXACT, NEAR, CONT = 0, 1, 2, 3
REASON_OF_CODE = {EXACT: EXACT_DUPLICATE, NEAR: NEAR_DUPLICATE, CONT: CONTAINED}
_DIGITS = re.compile(r"\d+")


class KeyStore:
    """Match keys of all candidates, packed in one UTF-8 buffer (a Python string per paragraph
    would cost about 50 bytes of overhead each, on top of the text)."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._offsets = [0]

    def extend(self, keys: list[str]) -> None:
        for key in keys:
            self._data += key.encode("utf-8")
            self._offsets.append(len(self._data))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._data[self._offsets[i] : self._offsets[i + 1]].decode("utf-8")

    def cached(self, size: int = 65536):
        """A look-up that remembers the most recent keys (kept paragraphs are read again and again)."""
        return lru_cache(maxsize=size)(self.__getitem__)


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
        near = fuzz.ratio(p, q, score_cutoff=settings.near_threshold * 100) / 100 or None
    return _verdict(p, q, near, words >= settings.min_words_contained, settings)


def _verdict(p: str, q: str, near: float | None, can_contain: bool, settings: Settings, fuzzy_contain: bool = True) -> tuple[int, float] | None:
    """:func:`verify` with the near similarity already computed (None: below the threshold)."""
    shorter = len(p) < len(q)
    if can_contain and shorter and p in q:
        return CONT, 1.0
    if near is not None:
        return NEAR, near
    if can_contain and shorter and fuzzy_contain:
        cutoff = settings.contained_threshold * 100
        best = max(fuzz.ratio(p, q[: len(p)], score_cutoff=cutoff), fuzz.ratio(p, q[-len(p) :], score_cutoff=cutoff))
        if best:
            return CONT, best / 100
    return None


def _numbers(key: str) -> Counter:
    return Counter(_DIGITS.findall(key))


def decide(keys: KeyStore | list[str], fp: Fingerprints, settings: Settings) -> ClusterResult:
    """Decisions for every candidate (index order is corpus order)."""
    n = len(fp.key_hash)
    code = np.zeros(n, dtype=np.int8)
    duplicate_of = np.full(n, -1, dtype=np.int32)
    similarity = np.full(n, np.nan, dtype=np.float32)
    variant_of = np.full(n, -1, dtype=np.int32)
    differing: dict[int, list[str]] = {}
    counts: Counter = Counter()
    if n == 0:
        return ClusterResult(code, duplicate_of, similarity, variant_of, differing, dict(counts))

    # Exact: the first paragraph with the same key hash (empty keys never match).
    _, first_idx, inverse = np.unique(fp.key_hash, return_index=True, return_inverse=True)
    first_of = first_idx[inverse.reshape(-1)]
    exact = (first_of != np.arange(n)) & (fp.n_words > 0)

    # Buckets shared by two or more paragraphs.
    columns = fp.buckets.shape[1]
    bucket_id = np.full((n, columns), -1, dtype=np.int64)
    for c in range(columns):
        col = fp.buckets[:, c]
        _, inv, cnt = np.unique(col, return_inverse=True, return_counts=True)
        inv = inv.reshape(-1)
        shared = (col != 0) & (cnt[inv] > 1)
        bucket_id[shared, c] = inv[shared] + c * n
    in_bucket = (bucket_id >= 0).any(axis=1)
    active = np.nonzero(exact | in_bucket)[0]
    counts["fingerprinted"] = int((fp.buckets[:, 0] != 0).sum())
    counts["in_shared_buckets"] = int(in_bucket.sum())

    members: dict[int, list[int]] = {}
    n_words_l = fp.n_words.tolist()
    affix_from = (columns - 2) * n  # bucket ids of the first/last-words columns start here
    # Indel similarity is at most 2 * shorter / (shorter + longer): keys whose lengths differ more
    # than the near threshold allows cannot be near-duplicates (0.1 of slack: words are counted,
    # not characters).
    t = settings.near_threshold
    near_cutoff = t * 100
    length_ratio = max(0.3, t / (2 - t) - 0.1)
    active_buckets = bucket_id[active]  # rows are turned into lists one at a time: a list of lists
    del bucket_id                        # of Python ints for every row would cost gigabytes
    exact_l = exact[active].tolist()
    first_l = first_of[active].tolist()
    get_key = keys.cached() if isinstance(keys, KeyStore) else keys.__getitem__
    verified = 0
    for row_no, (i, is_exact, j0) in enumerate(zip(active.tolist(), exact_l, first_l)):
        if is_exact:  # equal 64-bit key hashes: equal keys (a collision is a 2^-64 event per pair)
            if code[j0] == KEEP:
                code[i], duplicate_of[i], similarity[i] = EXACT, j0, 1.0
            else:  # the first copy was itself a duplicate: point at what it duplicated
                code[i], duplicate_of[i], similarity[i] = code[j0], duplicate_of[j0], similarity[j0]
            continue
        my_buckets = [b for b in active_buckets[row_no].tolist() if b >= 0]
        if not my_buckets:
            continue
        key_i = get_key(i)
        best = None
        variant = None
        # Rank the kept paragraphs sharing a bucket by how many buckets they share (a near-copy
        # shares many bands, a paragraph that merely shares a sentence shares one or two) and
        # verify only the best _MAX_VERIFY: bounded work per paragraph however crowded the buckets.
        hits: dict[int, int] = {}
        affix: set[int] = set()
        for b in my_buckets:
            kept = members.get(b, ())
            for j in kept:
                hits[j] = hits.get(j, 0) + 1
            if b >= affix_from:
                affix.update(kept)
        # Word counts rule most pairs out before any text is compared: a near-duplicate has
        # nearly the same length, a contained copy is shorter than its original.
        words_i = n_words_l[i]
        low, high = words_i * length_ratio, words_i / length_ratio
        can_contain = words_i >= settings.min_words_contained
        # A longer paragraph is a containment candidate when it shares the first or last words
        # (a truncated copy) or several bands (a copy of most of it); one shared band is the
        # usual lot of paragraphs that merely quote the same sentence.
        ranked = sorted(
            (j for j in hits if low <= n_words_l[j] <= high
             or (can_contain and n_words_l[j] > words_i and (hits[j] >= 2 or j in affix))),
            key=lambda j: (-hits[j], j),
        )[:_MAX_VERIFY]
        verified += len(ranked)
        cand_keys = [get_key(j) for j in ranked]
        # The near test for all candidates in one rapidfuzz call; containment per candidate.
        near_of = {}
        if words_i >= settings.min_words_near and cand_keys:
            for _choice, score, k in process.extract(key_i, cand_keys, scorer=fuzz.ratio, score_cutoff=near_cutoff, limit=None):
                near_of[k] = score / 100
        for k, (j, key_j) in enumerate(zip(ranked, cand_keys)):
            # The fuzzy head/tail alignment (a truncated copy with an edit) only for paragraphs that
            # share the first or last words or several bands; an exact substring is always tried.
            verdict = _verdict(key_i, key_j, near_of.get(k), can_contain, settings, fuzzy_contain=j in affix or hits[j] >= 3)
            if verdict is None:
                continue
            c, s = verdict
            ni, nj = _numbers(key_i), _numbers(key_j)
            numbers_ok = ni == nj if c == NEAR else not (ni - nj)
            if not numbers_ok:
                if variant is None or s > variant[0]:
                    variant = (s, j, sorted(((ni - nj) + (nj - ni)).elements()))
                continue
            if best is None or s > best[0]:
                best = (s, j, c)
        if best is not None:
            s, j, c = best
            code[i], duplicate_of[i], similarity[i] = c, j, round(s, 4)
            continue
        if variant is not None:
            s, j, nums = variant
            variant_of[i], similarity[i] = j, round(s, 4)
            differing[i] = nums
        for b in my_buckets:
            kept = members.setdefault(b, [])
            if len(kept) < _BUCKET_KEEP:
                kept.append(i)
    counts["verified_pairs"] = verified
    counts["variants"] = len(differing)
    for c, name in REASON_OF_CODE.items():
        counts[name] = int((code == c).sum())
    return ClusterResult(code, duplicate_of, similarity, variant_of, differing, dict(counts))


def decide_texts(keys: list[str], settings: Settings) -> ClusterResult:
    """Fingerprint and decide a list of match keys in one call (tests, tuning)."""
    fp = fingerprint(keys, settings.num_perm, settings.bands, settings.shingle_words,
                     min(settings.min_words_near, settings.min_words_contained), settings.min_words_contained)
    return decide(keys, fp, settings)
