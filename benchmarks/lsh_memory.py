"""What an LSH index costs per paragraph: datasketch's in-memory ``MinHashLSH`` against the numpy
arrays corpus-dedupe keeps.

    python benchmarks/lsh_memory.py --corpus /tmp/c20 --paragraphs 40000

Both index the same signatures (corpus-dedupe's MinHash of each paragraph's match key, handed to
datasketch as ``LeanMinHash``) with the same banding, 32 bands of 4 rows. Memory is measured with
``tracemalloc`` (Python and numpy allocations), as the growth while the index is built, divided by
the number of paragraphs; the signatures themselves are built before measuring and not counted.
corpus-dedupe's figure is what ``cluster.decide`` holds for the search: the fingerprint arrays
(key hash, word count, 34 bucket keys, 128-byte sketch) plus the per-column sorted indexes that
``_bucket_columns`` builds from them.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from corpus_dedupe.cluster import _bucket_columns
from corpus_dedupe.fingerprint import fingerprint, minhash, to_datasketch
from corpus_dedupe.normalise import match_key, repair_text
from corpus_dedupe.reader import discover, read_document


def corpus_keys(corpus: Path, limit: int) -> list[str]:
    keys: list[str] = []
    paths, _ = discover(corpus)
    for rel in paths:
        doc = read_document(corpus, rel, 1 << 30)[0]
        for line in doc.lines:
            key = match_key(repair_text(line.raw))
            if len(key.split()) >= 6:
                keys.append(key)
                if len(keys) >= limit:
                    return keys
    return keys


def measure(build) -> tuple[float, float, object]:
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    index = build()
    seconds = time.perf_counter() - start
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current, seconds, index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--paragraphs", type=int, default=40000)
    args = ap.parse_args()
    from datasketch import MinHashLSH

    keys = corpus_keys(args.corpus, args.paragraphs)
    n = len(keys)
    signatures = [to_datasketch(minhash(k)) for k in keys]

    def datasketch_index():
        lsh = MinHashLSH(num_perm=128, params=(32, 4))
        for i, sig in enumerate(signatures):
            lsh.insert(i, sig)
        return lsh

    def numpy_index():
        fp = fingerprint(keys, 128, 32, 3, 6, 8)
        columns = _bucket_columns(fp, np.ones(n, dtype=bool))
        return fp, columns

    ds_bytes, ds_seconds, _lsh = measure(datasketch_index)
    np_bytes, np_seconds, _ours = measure(numpy_index)
    print(f"{n} paragraphs from {args.corpus}, 128 permutations, 32 bands x 4 rows\n")
    print("| index | bytes per paragraph | build seconds |")
    print("|---|---:|---:|")
    print(f"| datasketch MinHashLSH (insert of LeanMinHash) | {ds_bytes / n:,.0f} | {ds_seconds:.2f} |")
    print(f"| corpus-dedupe numpy arrays (incl. fingerprinting) | {np_bytes / n:,.0f} | {np_seconds:.2f} |")
    print(f"\nratio: {ds_bytes / np_bytes:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
