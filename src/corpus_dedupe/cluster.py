"""Find duplicate paragraphs across the corpus and decide which to keep.

Keep-first: paragraphs are visited in corpus order (sorted relative path, then position), and each
one is compared only with *kept* paragraphs before it. Candidates come from three indexes:

* the exact match key (a dictionary),
* MinHash LSH buckets (one per band; a bucket is a band key shared by two or more paragraphs,
  found by sorting the band keys with numpy rather than by a Python object per band per key),
* the first and the last ``min_words_contained`` words of the key, which catch a copy truncated
  so hard that its shingles no longer look alike (seed 003: a paragraph cut at "and has").

Every candidate is verified with rapidfuzz before anything is removed. Each bucket remembers at most
``_BUCKET_KEEP`` kept paragraphs, so a paragraph repeated 100,000 times costs 100,000 dictionary
look-ups, never 10^10 comparisons.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from .fingerprint import ShingleHasher, band_keys, signatures
from .model import CONTAINED, EXACT_DUPLICATE, NEAR_DUPLICATE, Decision, ParagraphRef
from .normalise import numbers_in
from .settings import Settings

_BUCKET_KEEP = 8


@dataclass(slots=True)
class Candidate:
    """What clustering needs of one undecided paragraph."""

    ref: ParagraphRef
    key: str
    text: str


def _differing_numbers(a: str, b: str) -> list[str]:
    ca, cb = Counter(numbers_in(a)), Counter(numbers_in(b))
    return sorted(((ca - cb) + (cb - ca)).elements())


def _numbers_contained(short: str, long: str) -> bool:
    return not (Counter(numbers_in(short)) - Counter(numbers_in(long)))


def verify(short_or_any: Candidate, kept: Candidate, settings: Settings) -> tuple[str, float] | None:
    """Is ``short_or_any`` a near-duplicate of, or contained in, ``kept``? Returns (reason,
    similarity) or None. Similarity is rapidfuzz's normalised Indel similarity of the match keys
    (near) or the best partial alignment (contained), from 0 to 1."""
    p, q = short_or_any.key, kept.key
    words = p.count(" ") + 1
    if words >= settings.min_words_contained and len(p) < len(q) and p in q:
        return CONTAINED, 1.0
    if words >= settings.min_words_near:
        near = fuzz.ratio(p, q, score_cutoff=settings.near_threshold * 100) / 100
        if near:
            return NEAR_DUPLICATE, near
    if words >= settings.min_words_contained and len(p) < len(q):
        part = fuzz.partial_ratio(p, q, score_cutoff=settings.contained_threshold * 100) / 100
        if part:
            return CONTAINED, part
    return None


def decide(candidates: list[Candidate], settings: Settings) -> tuple[list[Decision], dict]:
    """A decision for each candidate (same order) and the counts of this stage."""
    n = len(candidates)
    decisions: list[Decision | None] = [None] * n
    counts = Counter()

    # 1. Exact keys: later copies inherit the first copy's decision target.
    first_of_key: dict[str, int] = {}
    unique: list[int] = []
    exact_of: list[int] = [-1] * n
    for i, c in enumerate(candidates):
        j = first_of_key.setdefault(c.key, i)
        if j != i:
            exact_of[i] = j
        else:
            unique.append(i)

    # 2. Fingerprints of the unique keys long enough to be near or contained duplicates.
    min_words = min(settings.min_words_near, settings.min_words_contained)
    fuzzy = [i for i in unique if candidates[i].key.count(" ") + 1 >= min_words]
    hasher = ShingleHasher(settings.shingle_words)
    sigs = signatures([hasher.shingles(candidates[i].key) for i in fuzzy], settings.num_perm)
    keys = band_keys(sigs, settings.bands) if len(fuzzy) else np.empty((0, settings.bands), np.uint64)
    # bucket ids per (paragraph, band): only buckets with two or more members matter.
    buckets_of: dict[int, list[tuple]] = {}
    for band in range(settings.bands):
        column = keys[:, band]
        uniq, inverse, count = np.unique(column, return_inverse=True, return_counts=True)
        shared = count[inverse] > 1
        for row in np.nonzero(shared)[0]:
            buckets_of.setdefault(fuzzy[row], []).append(("b", band, int(inverse[row])))
    affix_words = settings.min_words_contained
    for i in fuzzy:
        words = candidates[i].key.split()
        if len(words) >= affix_words:
            buckets_of.setdefault(i, []).extend(
                (("p", " ".join(words[:affix_words])), ("s", " ".join(words[-affix_words:])))
            )

    # 3. Keep-first pass.
    bucket_members: dict[tuple, list[int]] = {}
    for i in range(n):
        j = exact_of[i]
        if j >= 0:
            first = decisions[j]
            if first.kept:
                decisions[i] = Decision(EXACT_DUPLICATE, duplicate_of=candidates[j].ref, similarity=1.0)
            else:  # the first copy was itself a duplicate: point at what it duplicated
                decisions[i] = Decision(first.reason, duplicate_of=first.duplicate_of, similarity=first.similarity)
            counts[decisions[i].reason] += 1
            continue
        my_buckets = buckets_of.get(i, ())
        best: tuple[float, int, str] | None = None
        variant: tuple[float, int, list[str]] | None = None
        seen: set[int] = set()
        for bucket in my_buckets:
            for j in bucket_members.get(bucket, ()):
                if j in seen:
                    continue
                seen.add(j)
                counts["verified_pairs"] += 1
                verdict = verify(candidates[i], candidates[j], settings)
                if verdict is None:
                    continue
                reason, similarity = verdict
                if reason == NEAR_DUPLICATE:
                    differing = _differing_numbers(candidates[i].text, candidates[j].text)
                    numbers_ok = not differing
                else:
                    numbers_ok = _numbers_contained(candidates[i].text, candidates[j].text)
                    differing = [] if numbers_ok else _differing_numbers(candidates[i].text, candidates[j].text)
                if not numbers_ok:
                    if variant is None or similarity > variant[0]:
                        variant = (similarity, j, differing)
                    continue
                if best is None or (similarity, -j) > (best[0], -best[1]):
                    best = (similarity, j, reason)
        if best is not None:
            similarity, j, reason = best
            decisions[i] = Decision(reason, duplicate_of=candidates[j].ref, similarity=round(similarity, 4))
            counts[reason] += 1
            continue
        decision = Decision(None)
        if variant is not None:
            similarity, j, differing = variant
            decision = Decision(None, variant_of=candidates[j].ref, similarity=round(similarity, 4), differing_numbers=differing)
            counts["variants"] += 1
        decisions[i] = decision
        for bucket in my_buckets:
            members = bucket_members.setdefault(bucket, [])
            if len(members) < _BUCKET_KEEP:
                members.append(i)
    counts["fingerprinted"] = len(fuzzy)
    return decisions, dict(counts)
