"""The vectorised MinHash is datasketch's MinHash, and a key's fingerprint does not depend on its batch."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

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
