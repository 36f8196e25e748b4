"""MinHash signatures and LSH band keys of paragraph match keys, for a whole batch with numpy.

The signatures are datasketch MinHash signatures: the same permutation family (datasketch's
``affine32`` scheme: the MurmurHash3 finaliser, then ``a * h + b`` modulo 2^32, with ``a`` and ``b``
drawn from ``numpy.random.RandomState(seed)`` exactly as datasketch draws them) applied to word
shingle hashes. ``to_datasketch`` turns a row into a ``datasketch.LeanMinHash`` so that any
datasketch index or estimator can use it; the equivalence with ``datasketch.MinHash.update`` fed
the same shingle hashes is tested.

Why not ``MinHash.update`` per shingle: the time goes into Python tokenising and hashing, about
11 microseconds a shingle. Here the batch of keys is one byte array: word hashes are polynomial
hashes computed from prefix sums (one pass, no Python loop over words), shingle hashes combine
neighbouring word hashes with array arithmetic, all permutations are one matrix operation, and
``np.minimum.reduceat`` reduces them per paragraph (:func:`fingerprint_numpy`). Where the compiled
module is built (``_speedups.c``), the same numbers come from one loop over each key, four times
faster; the tests compare the two bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .compiled import speedups as _compiled

_U64 = np.uint64
_R = _U64(0x100000001B3)  # FNV-64 prime: odd, so it has an inverse modulo 2^64
_R_INV = _U64(pow(0x100000001B3, -1, 1 << 64))
_SHINGLE_MULTIPLIER = np.uint32(0x9E3779B1)
_CHUNK_SHINGLES = 1 << 13
_SPACE, _NEWLINE = 32, 10


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters of ``datasketch.MinHash(num_perm, seed, scheme="affine32")``."""
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


def fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


@dataclass
class SparseColumn:
    """A bucket column given by its non-zero entries: ``rows`` (increasing) and their bucket keys.

    A batch run against an index (incremental.py) places the index rows it reaches before its
    own: 393,000 of them for a 20 MB batch against 1 GB, each in a shared bucket of a few of the
    36 columns only. Dense, those columns were 36 arrays of 393,000 mostly zero keys, built and
    copied in 0.35 s; sparse, they are the 0.9 million entries the bucket search reads."""

    rows: np.ndarray  # (k,) int64, increasing
    values: np.ndarray  # (k,) uint64, none zero
    n: int  # rows of the column

    def dense(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=_U64)
        out[self.rows] = self.values
        return out


@dataclass
class Fingerprints:
    """Per key: a 64-bit hash of the whole key (exact matching), its word count, the LSH
    bucket keys (``bands`` MinHash band keys then the first- and last-words keys; 0: none), and a
    sketch of the signature for estimating similarity before any text is compared.

    The sketch is the lowest 8 bits of each MinHash value ("b-bit minwise hashing", Li and König):
    128 bytes a paragraph instead of 512, and two keys agree on a value with probability
    J + (1 - J) / 256 for Jaccard similarity J, so :func:`estimated_jaccard` loses almost nothing.
    """

    key_hash: np.ndarray  # (n,) uint64
    n_words: np.ndarray  # (n,) int32
    buckets: np.ndarray | list  # (n, bands + 2) uint64; or, for a whole corpus, a list of its columns (SparseColumn for a batch and its index rows)
    sketch: np.ndarray  # (n, num_perm) uint8; all zero for keys too short to have a signature
    title: np.ndarray | None = None  # (n,) bool: headings, titles and labels (set for a corpus by the pipeline)

    @property
    def n_columns(self) -> int:
        return len(self.buckets) if isinstance(self.buckets, list) else self.buckets.shape[1]

    def column(self, c: int) -> np.ndarray:
        """Bucket keys of column ``c`` (a band, then the first- and the last-words column)."""
        if isinstance(self.buckets, list):
            col = self.buckets[c]
            return col.dense() if isinstance(col, SparseColumn) else col
        return self.buckets[:, c]

    def column_entries(self, c: int, member: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The rows of column ``c`` that have a bucket key (among ``member`` rows), in order, and their keys."""
        col = self.buckets[c] if isinstance(self.buckets, list) else self.buckets[:, c]
        if isinstance(col, SparseColumn):
            rows, values = col.rows, col.values
            if member is not None:
                keep = member[rows]
                rows, values = rows[keep], values[keep]
            return rows, values
        rows = np.nonzero((col != 0) if member is None else (member & (col != 0)))[0]
        return rows, col[rows]

    def clear_row(self, i: int) -> None:
        """Take row ``i`` out of the duplicate search (no hash, no words, no bucket)."""
        self.key_hash[i] = 0
        self.n_words[i] = 0
        if isinstance(self.buckets, list):
            for col in self.buckets:
                if isinstance(col, SparseColumn):
                    raise TypeError("clear_row on a sparse bucket column")
                col[i] = 0
        else:
            self.buckets[i] = 0

    @staticmethod
    def concatenate(parts: "list[Fingerprints]", bands: int, num_perm: int) -> "Fingerprints":
        if not parts:
            return Fingerprints(np.zeros(0, _U64), np.zeros(0, np.int32), np.zeros((0, bands + 2), _U64),
                                np.zeros((0, num_perm), np.uint8))
        if len(parts) == 1:
            return parts[0]
        return Fingerprints(*(np.concatenate(a) for a in zip(*((p.key_hash, p.n_words, p.buckets, p.sketch) for p in parts))))


class FingerprintCollector:
    """Gathers the fingerprints of a whole corpus, document by document, in the layout the
    duplicate search wants: one array per bucket column (so that each column can be released as
    soon as it is indexed) and no moment where the corpus's fingerprints exist twice (a plain
    ``np.concatenate`` of the parts would need the parts and the result at once: on a 1 GB corpus,
    an extra gigabyte)."""

    _CHUNK_ROWS = 1 << 16

    def __init__(self, bands: int, num_perm: int, columns: int | None = None) -> None:
        self._columns = bands + 2 if columns is None else columns  # (0: fingerprints whose columns stay in files, shuffle.py)
        self._num_perm = num_perm
        self._pending: list[Fingerprints] = []
        self._pending_rows = 0
        self._chunks: list[tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]] = []

    def add(self, part: Fingerprints) -> None:
        self._pending.append(part)
        self._pending_rows += len(part.key_hash)
        if self._pending_rows >= self._CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        # Each bucket column is gathered straight from the parts (concatenating the parts' rows
        # first and then taking columns copied the buckets twice: 0.34 s instead of 0.24 s for
        # 1.4 million rows); a part's column is one piece of memory when it was computed column
        # by column (see fingerprint).
        parts = self._pending
        columns = []
        for c in range(self._columns):
            column = np.empty(self._pending_rows, dtype=_U64)
            start = 0
            for part in parts:
                end = start + len(part.key_hash)
                column[start:end] = part.buckets[:, c]
                start = end
            columns.append(column)
        self._chunks.append((np.concatenate([p.key_hash for p in parts]), np.concatenate([p.n_words for p in parts]),
                             columns, np.concatenate([p.sketch for p in parts])))
        self._pending, self._pending_rows = [], 0

    def build(self) -> Fingerprints:
        """All fingerprints gathered so far, in the order they were added. The result is
        allocated once and each chunk is released as soon as it is copied, so the peak is the
        result plus one chunk (the collector is emptied)."""
        self._flush()
        chunks, self._chunks = self._chunks, []
        n = sum(len(chunk[0]) for chunk in chunks)
        key_hash = np.empty(n, dtype=_U64)
        n_words = np.empty(n, dtype=np.int32)
        columns = [np.empty(n, dtype=_U64) for _ in range(self._columns)]
        sketch = np.empty((n, self._num_perm), dtype=np.uint8)
        start = 0
        while chunks:
            chunk_hash, chunk_words, chunk_columns, chunk_sketch = chunks.pop(0)
            end = start + len(chunk_hash)
            key_hash[start:end] = chunk_hash
            n_words[start:end] = chunk_words
            for column, part in zip(columns, chunk_columns):
                column[start:end] = part
            sketch[start:end] = chunk_sketch
            del chunk_hash, chunk_words, chunk_columns, chunk_sketch
            start = end
        return Fingerprints(key_hash, n_words, columns, sketch)


_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)


def estimated_jaccard(sketch_a: np.ndarray, sketch_b: np.ndarray) -> np.ndarray:
    """Jaccard similarity of the shingle sets, estimated from two (m, num_perm) arrays of 8-bit
    sketches, row by row: the share of agreeing values, corrected for the 1/256 chance that two
    different minima agree on their lowest 8 bits.

    >>> a = minhash("the council voted on tuesday to extend the night bus service until march")
    >>> b = minhash("the council voted on monday to extend the night bus service until march")
    >>> est = estimated_jaccard((a & 255).astype(np.uint8)[None], (b & 255).astype(np.uint8)[None])[0]
    >>> bool(0.4 < est < 0.75)  # 8 of the 11 shingles are shared: J = 8 / 14
    True
    """
    num_perm = sketch_a.shape[1]
    if num_perm % 8 == 0 and hasattr(np, "bitwise_count") and sketch_a.flags.c_contiguous and sketch_b.flags.c_contiguous:
        # Eight sketch bytes per 64-bit word: a byte of a ^ b is 0 where the sketches agree;
        # ~(((x & 0x7f..) + 0x7f..) | x | 0x7f..) keeps exactly the top bit of each zero byte (no
        # carry crosses a byte), and counting bits counts agreements. Same counts as comparing
        # byte by byte, several times faster on the two million pairs of the 200 MB corpus.
        x = sketch_a.view(np.uint64) ^ sketch_b.view(np.uint64)
        zero_bytes = ~(((x & _LOW7) + _LOW7) | x | _LOW7)
        agree = np.bitwise_count(zero_bytes).sum(axis=1, dtype=np.int64) / num_perm
    else:
        agree = (sketch_a == sketch_b).mean(axis=1)
    return _corrected(agree)


def _corrected(agree: np.ndarray) -> np.ndarray:
    """Jaccard similarity from the share of agreeing sketch values (see :func:`estimated_jaccard`)."""
    return np.clip((agree - 1 / 256) / (1 - 1 / 256), 0.0, 1.0)


def pair_jaccard(sketch: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``estimated_jaccard(sketch[i], sketch[j])``: with the compiled module the rows are compared
    where they are, without gathering two copies of 128 bytes per pair first (the candidate
    search compares two million pairs on the 200 MB benchmark corpus)."""
    if _compiled is None or sketch.dtype != np.uint8 or sketch.ndim != 2 or not sketch.flags.c_contiguous or sketch.shape[1] == 0:
        return estimated_jaccard(sketch[i], sketch[j])
    counts = np.empty(len(i), dtype=np.int64)
    _compiled.agreements(sketch, sketch.shape[1], np.ascontiguousarray(i, dtype=np.int64), np.ascontiguousarray(j, dtype=np.int64), counts)
    return _corrected(counts / sketch.shape[1])


_powers_cache: list[np.ndarray] = [np.ones(1, dtype=_U64), np.ones(1, dtype=_U64)]
_POWERS_KEPT = 1 << 21


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """R^i and R^-i modulo 2^64 for i in 0..n. The tables are kept and grown (doubling) between
    calls: every batch of a run needs the same prefix of them, and computing them was a fixed
    cost of two running products over the whole batch, twice per batch. Only tables up to
    ``_POWERS_KEPT`` entries are kept (32 MiB for both): a one-off call on a large batch of keys
    (``decide_texts`` on a whole corpus) must not leave 16 bytes per key byte behind."""
    pow_r, pow_inv = _powers_cache
    if len(pow_r) <= n:
        size = max(n + 1, 2 * len(pow_r))
        if size > _POWERS_KEPT:
            size = n + 1
        pow_r = np.empty(size, dtype=_U64)
        pow_r[0] = 1
        pow_r[1:] = _R
        np.cumprod(pow_r, out=pow_r)
        pow_inv = np.empty(size, dtype=_U64)
        pow_inv[0] = 1
        pow_inv[1:] = _R_INV
        np.cumprod(pow_inv, out=pow_inv)
        if size <= _POWERS_KEPT:
            _powers_cache[:] = [pow_r, pow_inv]
    return pow_r, pow_inv


def _prefix_hashes(data: np.ndarray) -> np.ndarray:
    """Prefix sums of ``data[i] * R^-i`` (modulo 2^64), from which :func:`_span_hashes` takes the
    hash of any span; one array serves all the spans of a batch (keys and words alike)."""
    n = len(data)
    _pow_r, pow_inv = _powers(n)
    prefix = np.empty(n + 1, dtype=_U64)
    prefix[0] = 0
    np.cumsum(data.astype(_U64) * pow_inv[:n], out=prefix[1:])
    return prefix


def _span_hashes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, prefix: np.ndarray | None = None) -> np.ndarray:
    """Polynomial hash (base R, modulo 2^64) of each byte span ``data[start:end]``, all at once.
    ``prefix``: ``_prefix_hashes(data)``, when the caller has it already."""
    if prefix is None:
        prefix = _prefix_hashes(data)
    pow_r, _pow_inv = _powers(len(data))
    return (prefix[ends] - prefix[starts]) * pow_r[starts]


def _key_spans(keys: list[str] | list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The keys' UTF-8 bytes, one line each, and where each key starts and ends in them. Keys may
    come already encoded (bytes): a batch is encoded key by key, so that one key that is not
    ASCII does not make the whole batch go through the slower encoder for wide strings."""
    encoded = keys if keys and isinstance(keys[0], bytes) else [k.encode("utf-8") for k in keys]  # type: ignore[union-attr]
    data = np.frombuffer(b"\n".join(encoded), dtype=np.uint8)  # type: ignore[arg-type]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    key_start = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    return data, key_start, key_start + lengths


def key_hashes(keys: list[str]) -> np.ndarray:
    """``Fingerprints.key_hash`` of each key, without the rest of :func:`fingerprint` (a key's hash
    does not depend on the keys around it)."""
    if not keys:
        return np.zeros(0, dtype=_U64)
    return fmix64(_span_hashes(*_key_spans(keys)))


def fingerprint(keys: list[str] | list[bytes], num_perm: int, bands: int, shingle_words: int, min_words: int, affix_words: int, seed: int = 1) -> Fingerprints:
    """Fingerprints of ``keys`` (match keys: lower-case words separated by single spaces; as
    strings, or as their UTF-8 bytes).

    Keys with fewer than ``min_words`` words get no band keys (they are matched exactly only);
    keys with fewer than ``affix_words`` words get no first/last-words keys.

    Computed by the compiled module when it was built (four times faster on a batch: pass 1 spent
    a sixth of its time here), else by :func:`fingerprint_numpy`; both give the same numbers.
    """
    if _compiled is None or not keys:
        return fingerprint_numpy(keys, num_perm, bands, shingle_words, min_words, affix_words, seed)
    n = len(keys)
    data, key_start, key_end = _key_spans(keys)
    a, b = permutations(num_perm, seed)
    key_hash = np.zeros(n, dtype=_U64)
    n_words = np.zeros(n, dtype=np.int32)
    # Column by column in memory (``buckets`` is a transposed view): the main process gathers the
    # corpus's buckets one column at a time, and copies a column of a batch in one piece.
    columns = np.zeros((bands + 2, n), dtype=_U64)
    sketch = np.zeros((n, num_perm), dtype=np.uint8)
    _compiled.batch(data, key_start.astype(np.int64), key_end.astype(np.int64), a, b, _band_mix(num_perm // bands), int(_R_INV),
                    num_perm, bands, shingle_words, min_words, affix_words, key_hash, n_words, columns, sketch, True)
    return Fingerprints(key_hash, n_words, columns.T, sketch)


def fingerprint_numpy(keys: list[str] | list[bytes], num_perm: int, bands: int, shingle_words: int, min_words: int, affix_words: int, seed: int = 1) -> Fingerprints:
    """:func:`fingerprint` with numpy only: the reference for the compiled loop, and what runs
    where it was not built."""
    n = len(keys)
    buckets = np.zeros((n, bands + 2), dtype=_U64)
    sketch = np.zeros((n, num_perm), dtype=np.uint8)
    if n == 0:
        return Fingerprints(np.zeros(0, _U64), np.zeros(0, np.int32), buckets, np.zeros((0, num_perm), np.uint8))
    data, key_start, key_end = _key_spans(keys)
    prefix = _prefix_hashes(data)
    key_hash = fmix64(_span_hashes(data, key_start, key_end, prefix))

    # Words: maximal runs of bytes that are neither space nor newline.
    is_word = ~((data == _SPACE) | (data == _NEWLINE))
    step = np.diff(np.concatenate(([False], is_word, [False])).astype(np.int8))
    word_start = np.nonzero(step == 1)[0]
    word_end = np.nonzero(step == -1)[0]
    word_key = np.searchsorted(key_start, word_start, side="right") - 1
    n_words = np.bincount(word_key, minlength=n).astype(np.int32)
    word_hash = (fmix64(_span_hashes(data, word_start, word_end, prefix)) >> _U64(32)).astype(np.uint32)
    del prefix
    first_word = np.concatenate(([0], np.cumsum(n_words)[:-1]))

    # Shingles: k consecutive words of one key.
    k = shingle_words
    eligible = n_words >= max(min_words, k)
    if eligible.any() and len(word_hash) >= k:
        m = len(word_hash) - k + 1
        sh = word_hash[:m].copy()
        for j in range(1, k):
            sh = sh * _SHINGLE_MULTIPLIER + word_hash[j : j + m]
        valid = (word_key[:m] == word_key[k - 1 : k - 1 + m]) & eligible[word_key[:m]]
        sh_key = word_key[:m][valid]
        sh = sh[valid]
        sigs = _signatures(sh, sh_key, num_perm, seed)  # rows for keys present in sh_key
        rows = sh_key[np.concatenate(([True], sh_key[1:] != sh_key[:-1]))]  # sh_key is sorted: its distinct values
        buckets[rows, :bands] = band_keys(sigs, bands)
        sketch[rows] = sigs.astype(np.uint8)  # the lowest 8 bits

    # First and last words, for truncated copies.
    with_affix = np.nonzero(n_words >= affix_words)[0]
    if len(with_affix):
        for col, pos in ((bands, first_word[with_affix]), (bands + 1, first_word[with_affix] + n_words[with_affix] - affix_words)):
            h = np.full(len(with_affix), col + 1, dtype=_U64)
            for j in range(affix_words):
                h = h * _R + word_hash[pos + j].astype(_U64)
            buckets[with_affix, col] = fmix64(h) | _U64(1)
    return Fingerprints(key_hash, n_words, buckets, sketch)


def _signatures(shingles: np.ndarray, owner: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signature per distinct owner (sorted ascending) of ``shingles``; ``owner`` must be
    non-decreasing. Shape (number of owners, num_perm), uint32."""
    a, b = permutations(num_perm, seed)
    mixed = fmix32(shingles)
    boundaries = np.nonzero(np.concatenate(([True], owner[1:] != owner[:-1])))[0]
    out = np.empty((len(boundaries), num_perm), dtype=np.uint32)
    # Process whole owners in chunks of about _CHUNK_SHINGLES shingles (a chunk is one owner when
    # that owner alone has more). The permuted values are laid out one row per permutation, so
    # that the minimum per owner is taken along contiguous memory, into one buffer reused from
    # chunk to chunk (small enough to stay in the processor's cache).
    bounds = np.concatenate((boundaries, [len(owner)]))
    a_col, b_col = a[:, None], b[:, None]
    buffer = np.empty((num_perm, _CHUNK_SHINGLES), dtype=np.uint32)
    n_owners = len(boundaries)
    i = 0
    while i < n_owners:
        j = min(n_owners, max(i + 1, int(bounds.searchsorted(bounds[i] + _CHUNK_SHINGLES, side="right")) - 1))
        lo, hi = bounds[i], bounds[j]
        permuted = buffer[:, : hi - lo] if hi - lo <= _CHUNK_SHINGLES else np.empty((num_perm, hi - lo), dtype=np.uint32)
        np.multiply(a_col, mixed[None, lo:hi], out=permuted)
        np.add(permuted, b_col, out=permuted)
        out[i:j] = np.minimum.reduceat(permuted, bounds[i:j] - lo, axis=1).T
        i = j
    return out


def shingle_hashes(key: str, shingle_words: int) -> np.ndarray:
    """The shingle hashes of one key, as :func:`fingerprint` computes them (for tests and for
    users who want to feed datasketch)."""
    fp_words = key.split()
    if not fp_words:
        return np.zeros(0, np.uint32)
    blob = np.frombuffer(key.encode("utf-8"), dtype=np.uint8)
    starts, ends, pos = [], [], 0
    for w in fp_words:
        starts.append(pos)
        pos += len(w.encode("utf-8"))
        ends.append(pos)
        pos += 1
    wh = (fmix64(_span_hashes(blob, np.array(starts), np.array(ends))) >> _U64(32)).astype(np.uint32)
    k = shingle_words
    m = len(wh) - k + 1
    if m <= 0:
        return np.zeros(0, np.uint32)
    sh = wh[:m].copy()
    for j in range(1, k):
        sh = sh * _SHINGLE_MULTIPLIER + wh[j : j + m]
    return sh


@lru_cache(maxsize=8)
def _band_mix(rows: int) -> np.ndarray:
    return np.random.RandomState(12345).randint(1, 1 << 62, size=rows, dtype=np.uint64) | _U64(1)


def band_keys(sigs: np.ndarray, bands: int) -> np.ndarray:
    """One 64-bit key per (row, band): rows whose signatures agree on every value of a band share
    that band's key, the LSH bucket. Never 0 (0 means "no bucket")."""
    n, num_perm = sigs.shape
    rows = num_perm // bands
    mix = _band_mix(rows)
    blocks = sigs.reshape(n, bands, rows).astype(_U64)
    keys = (blocks * mix[None, None, :]).sum(axis=2, dtype=_U64)
    keys += np.arange(1, bands + 1, dtype=_U64)[None, :] * _U64(0x9E3779B97F4A7C15)
    return fmix64(keys) | _U64(1)


def minhash(key: str, num_perm: int = 128, shingle_words: int = 3, seed: int = 1) -> np.ndarray:
    """The MinHash signature of one key (uint32, length num_perm)."""
    sh = shingle_hashes(key, shingle_words)
    if len(sh) == 0:
        return np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    return _signatures(sh, np.zeros(len(sh), np.int64), num_perm, seed)[0]


def to_datasketch(signature: np.ndarray, seed: int = 1):
    """A ``datasketch.LeanMinHash`` holding ``signature`` (for users who want datasketch's indexes)."""
    from datasketch import LeanMinHash, MinHash

    m = MinHash(num_perm=len(signature), seed=seed, scheme="affine32", hashvalues=signature.astype(np.uint32))
    return LeanMinHash(m)
