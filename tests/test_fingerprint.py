"""The vectorised MinHash is datasketch's MinHash, and a key's fingerprint does not depend on its batch."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash
from hypothesis import given, settings, strategies as st

from corpus_dedupe.fingerprint import fingerprint, key_hashes, minhash, shingle_hashes, to_datasketch

KEY = "heavy rain caused the elbe to burst its banks on thursday night flooding the old town"
OTHER = "heavy rain caused the elbe to burst its banks on friday night flooding the old town"


def test_signature_equals_datasketch_fed_the_same_shingle_hashes():
    reference = MinHash(num_perm=128, seed=1, scheme="affine32", hashfunc=lambda h: h)
    for h in shingle_hashes(KEY, 3):
        reference.update(int(h))
    assert np.array_equal(minhash(KEY, 128, 3), reference.hashvalues)


def test_to_datasketch_gives_a_usable_lean_minhash():
    a, b = to_datasketch(minhash(KEY)), to_datasketch(minhash(OTHER))
    assert a.jaccard(a) == 1.0
    assert 0.4 < a.jaccard(b) < 1.0  # one word of 16 changed: 11 of 17 distinct 3-shingles shared


def test_fingerprint_of_a_key_does_not_depend_on_the_batch():
    alone = fingerprint([KEY], 128, 32, 3, 6, 8)
    in_batch = fingerprint(["a short one", OTHER, KEY, ""], 128, 32, 3, 6, 8)
    assert in_batch.key_hash[2] == alone.key_hash[0]
    assert np.array_equal(in_batch.buckets[2], alone.buckets[0])
    assert in_batch.n_words.tolist() == [3, 16, 16, 0]
    assert not in_batch.buckets[0].any()  # under min_words: matched exactly only
    shared = (in_batch.buckets[1, :32] == in_batch.buckets[2, :32]).sum()
    assert 0 < shared < 32  # near-duplicates share some LSH bands, not all


def test_collector_gives_the_parts_in_order_column_by_column(monkeypatch):
    """The corpus's fingerprints, gathered document by document in chunks, equal the parts put
    end to end (the collector only changes the layout: one array per bucket column)."""
    from corpus_dedupe.fingerprint import FingerprintCollector, Fingerprints

    monkeypatch.setattr(FingerprintCollector, "_CHUNK_ROWS", 5)  # several chunks from a few keys
    rng = np.random.default_rng(3)
    words = ["rain", "river", "town", "bridge", "night", "shelter", "mayor", "flood", "water"]
    parts = []
    for n in (0, 3, 1, 7, 0, 4, 9, 2):
        keys = [" ".join(rng.choice(words, size=rng.integers(0, 14))) for _ in range(n)]
        parts.append(fingerprint(keys, 128, 32, 3, 6, 8))
    collector = FingerprintCollector(32, 128)
    for part in parts:
        collector.add(part)
    built = collector.build()
    whole = Fingerprints.concatenate(parts, 32, 128)
    assert np.array_equal(built.key_hash, whole.key_hash)
    assert np.array_equal(built.n_words, whole.n_words)
    assert np.array_equal(built.sketch, whole.sketch)
    assert built.n_columns == 34
    for c in range(34):
        assert np.array_equal(built.column(c), whole.buckets[:, c])
    built.clear_row(2)
    assert built.key_hash[2] == 0 and all(built.column(c)[2] == 0 for c in range(34))


def test_key_hashes_are_the_fingerprint_key_hashes():
    keys = ["the cat sat", "", "café au lait", "x", "the cat sat", "a b c d e f g h"]
    fp = fingerprint(keys, 64, 16, 3, 3, 3)
    assert key_hashes(keys).tolist() == fp.key_hash.tolist()
    assert key_hashes(keys[2:3]).tolist() == fp.key_hash[2:3].tolist()  # alone or among others
    assert key_hashes([]).tolist() == []


def test_the_compiled_fingerprints_are_built_where_ci_requires_them():
    """CI sets DEDUPE_REQUIRE_COMPILED=1: there the C extension must have been built (without it
    the numpy fallback gives the same results, four times slower, and the test below cannot run)."""
    import os

    import pytest

    from corpus_dedupe import fingerprint as fingerprint_module

    if fingerprint_module._compiled is None:
        if os.environ.get("DEDUPE_REQUIRE_COMPILED") == "1":
            raise AssertionError("corpus_dedupe._speedups was not built (is a C compiler installed?)")
        pytest.skip("the C extension was not built here: fingerprints come from numpy")


_word_text = st.text(alphabet="abcé1 \n", max_size=9)


@given(st.lists(st.lists(_word_text, max_size=14).map(" ".join), max_size=12),
       st.sampled_from([(16, 4), (64, 16), (128, 32), (128, 128), (48, 3)]),
       st.integers(1, 4), st.integers(0, 7), st.integers(0, 9), st.booleans())
@settings(max_examples=300, deadline=None)
def test_compiled_fingerprints_equal_the_numpy_reference(keys, shape, shingle_words, min_words, affix_words, as_bytes):
    """Bit for bit, on keys of any length (empty, one word, runs of spaces, line feeds, non-ASCII)
    and any parameters the settings allow."""
    from corpus_dedupe import fingerprint as fingerprint_module

    if fingerprint_module._compiled is None:
        return  # the test above reports the missing build
    num_perm, bands = shape
    batch = [k.encode("utf-8") for k in keys] if as_bytes else keys
    compiled = fingerprint_module.fingerprint(batch, num_perm, bands, shingle_words, min_words, affix_words)
    reference = fingerprint_module.fingerprint_numpy(batch, num_perm, bands, shingle_words, min_words, affix_words)
    for name in ("key_hash", "n_words", "buckets", "sketch"):
        assert np.array_equal(getattr(compiled, name), getattr(reference, name)), name


@given(st.integers(1, 40), st.sampled_from([16, 64, 128]), st.integers(0, 60), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=200, deadline=None)
def test_pair_jaccard_equals_the_estimate_of_gathered_rows(rows, width, pairs, seed, few_values):
    """The candidate search compares sketch rows in place (compiled); the estimate must be the
    one :func:`estimated_jaccard` gives for the same rows gathered, float for float."""
    from corpus_dedupe.fingerprint import estimated_jaccard, pair_jaccard

    rng = np.random.default_rng(seed)
    sketch = rng.integers(0, 3 if few_values else 256, size=(rows, width), dtype=np.uint8)  # few values: many agreements
    i, j = rng.integers(0, rows, size=pairs), rng.integers(0, rows, size=pairs)
    assert np.array_equal(pair_jaccard(sketch, i, j), estimated_jaccard(sketch[i], sketch[j]))


def test_sparse_bucket_columns_give_the_same_candidate_pairs_as_dense_ones():
    """A batch against an index holds its index rows' bucket columns sparse (SparseColumn): the
    candidate search must find exactly the pairs the dense columns give."""
    from pathlib import Path

    from corpus_dedupe.cluster import KeyStore, candidate_pairs, find_exact
    from corpus_dedupe.fingerprint import Fingerprints, SparseColumn
    from corpus_dedupe.normalise import match_key
    from corpus_dedupe.pipeline import _fingerprint_keys
    from corpus_dedupe.settings import Settings

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    texts = [p for f in sorted(seeds.glob("*.txt")) for p in f.read_text(encoding="utf-8").split("\n\n")]
    keys = [match_key(t) for t in texts if match_key(t)]
    # Exact copies of the first ten (in no bucket), then near copies: each long paragraph again
    # with one word left out.
    keys += keys[:10]
    keys += [" ".join(k.split()[:5] + k.split()[6:]) for k in keys if len(k.split()) >= 12]
    settings = Settings()
    results = []
    for sparse in (False, True):
        fp = _fingerprint_keys(keys, settings)
        store = KeyStore()
        store.extend(keys)
        fp = Fingerprints(fp.key_hash, fp.n_words, [np.ascontiguousarray(fp.column(c)) for c in range(fp.n_columns)], fp.sketch)
        if sparse:
            fp.buckets = [SparseColumn(np.flatnonzero(col), col[col != 0], len(col)) for col in fp.buckets]
        pairs = candidate_pairs(store, fp, find_exact(fp), settings)
        results.append((pairs.cand_i.tolist(), pairs.cand_j.tolist(), pairs.flags.tolist(), pairs.counts))
    assert results[0][0], "the seeds hold near-duplicate paragraphs: some pairs"
    assert results[0] == results[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 2)), max_size=60))
def test_exact_copies_point_at_the_first_candidate_with_the_same_key(rows):
    """find_exact's one sort gives, for every candidate, the first one with its key hash; a
    candidate without words is never an exact copy."""
    from corpus_dedupe.cluster import find_exact
    from corpus_dedupe.fingerprint import Fingerprints

    n = len(rows)
    key_hash = np.array([h for h, _ in rows], dtype=np.uint64)
    n_words = np.array([w for _, w in rows], dtype=np.int32)
    found = find_exact(Fingerprints(key_hash, n_words, np.zeros((n, 2), np.uint64), np.zeros((n, 4), np.uint8)))
    first = {}
    for i, (h, _) in enumerate(rows):
        first.setdefault(h, i)
    assert found.first_of.tolist() == [first[h] for h, _ in rows]
    assert found.exact.tolist() == [first[h] != i and w > 0 for i, (h, w) in enumerate(rows)]
