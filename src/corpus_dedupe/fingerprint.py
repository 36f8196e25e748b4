"""MinHash signatures of paragraph match keys, computed for a whole batch with numpy.

The signatures are datasketch MinHash signatures: the same permutation family (datasketch's
``affine32`` scheme: the MurmurHash3 finaliser, then ``a * h + b`` modulo 2^32, with ``a`` and ``b``
drawn from ``numpy.random.RandomState(seed)`` exactly as datasketch draws them) applied to word
shingle hashes. ``to_datasketch`` turns a row into a ``datasketch.LeanMinHash`` so that any
datasketch index or estimator can use it; the equivalence is tested against
``datasketch.MinHash.update`` fed with the same shingle hashes.

Why not ``MinHash.update`` per shingle: it costs about 11 microseconds per shingle in Python; the
batch below hashes each distinct word once (a dictionary of crc32 values), builds shingle hashes
with array arithmetic and applies all permutations as one matrix operation.
"""

from __future__ import annotations

import zlib

import numpy as np

_CHUNK_SHINGLES = 1 << 15
_SHINGLE_MULTIPLIER = np.uint32(0x9E3779B1)  # odd: combining word hashes stays a bijection per position


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters datasketch uses for ``MinHash(num_perm, seed, scheme="affine32")``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (datasketch applies it before the permutations)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class ShingleHasher:
    """Hashes of word k-shingles of match keys. Keeps a cache of word hashes across calls."""

    def __init__(self, shingle_words: int):
        self.k = shingle_words
        self._word_hash: dict[str, int] = {}

    def word_hashes(self, words: list[str]) -> np.ndarray:
        cache = self._word_hash
        out = np.empty(len(words), dtype=np.uint32)
        for i, w in enumerate(words):
            h = cache.get(w)
            if h is None:
                h = cache[w] = zlib.crc32(w.encode("utf-8"))
                if len(cache) > 2_000_000:
                    cache.clear()
            out[i] = h
        return out

    def shingles(self, key: str) -> np.ndarray:
        """Distinct shingle hashes of one key; a key shorter than k words is one shingle.

        >>> s = ShingleHasher(3)
        >>> len(s.shingles("a b c d e")), len(s.shingles("a b")), len(s.shingles("a b c a b c"))
        (3, 1, 3)
        """
        w = self.word_hashes(key.split())
        k = min(self.k, len(w))
        if k == 0:
            return np.empty(0, dtype=np.uint32)
        n = len(w) - k + 1
        h = w[:n].copy()
        for j in range(1, k):
            h = h * _SHINGLE_MULTIPLIER + w[j : j + n]
        return np.unique(h)


def signatures(shingle_sets: list[np.ndarray], num_perm: int, seed: int = 1) -> np.ndarray:
    """MinHash signature of each shingle set, as an (n, num_perm) uint32 array. Empty sets get the
    all-ones (maximum) signature, which datasketch uses for an empty MinHash too."""
    a, b = permutations(num_perm, seed)
    n = len(shingle_sets)
    out = np.full((n, num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    start = 0
    while start < n:
        stop, total = start, 0
        while stop < n and (total == 0 or total + len(shingle_sets[stop]) <= _CHUNK_SHINGLES):
            total += len(shingle_sets[stop])
            stop += 1
        chunk = [s for s in shingle_sets[start:stop]]
        lengths = np.fromiter((len(s) for s in chunk), dtype=np.int64, count=len(chunk))
        nonempty = lengths > 0
        if nonempty.any():
            flat = fmix32(np.concatenate([s for s in chunk if len(s)]))
            permuted = flat[:, None] * a[None, :] + b[None, :]
            offsets = np.concatenate(([0], np.cumsum(lengths[nonempty])[:-1]))
            mins = np.minimum.reduceat(permuted, offsets, axis=0)
            rows = np.nonzero(nonempty)[0] + start
            out[rows] = mins
        start = stop
    return out


def band_keys(sigs: np.ndarray, bands: int) -> np.ndarray:
    """One 64-bit key per (paragraph, band): paragraphs whose signatures agree on every row of a
    band share that band's key (the LSH bucket). Shape (n, bands)."""
    n, num_perm = sigs.shape
    rows = num_perm // bands
    mix = np.random.RandomState(12345).randint(1, 1 << 62, size=rows, dtype=np.uint64) | np.uint64(1)
    blocks = sigs.reshape(n, bands, rows).astype(np.uint64)
    keys = (blocks * mix[None, None, :]).sum(axis=2, dtype=np.uint64)
    keys ^= keys >> np.uint64(29)
    return keys


def to_datasketch(signature: np.ndarray, seed: int = 1):
    """A ``datasketch.LeanMinHash`` holding ``signature`` (for users who want datasketch's indexes)."""
    from datasketch import LeanMinHash, MinHash

    m = MinHash(num_perm=len(signature), seed=seed, scheme="affine32", hashvalues=signature.astype(np.uint32))
    return LeanMinHash(m)
