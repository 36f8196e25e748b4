"""Measure how the matching parameters trade recall against precision, to choose the defaults.

Real paragraphs from bench-text (public-domain speeches) are the originals; copies of realistic
kinds are made from a sample of them (word substitutions, deletions and insertions, case and
punctuation changes, truncation, re-wrapping with doubled spaces); every original paragraph of
the same speeches is also in the corpus, so neighbouring paragraphs on the same subject act as hard
negatives. The real clustering function (``corpus_dedupe.cluster.decide_texts``) runs for each parameter
set, and each copy counts as found when it is removed as a duplicate of its own original; each
original removed counts as a false positive.

    python benchmarks/tune_matching.py --source ../shared/bench-text --pairs 3000

Prints one Markdown table row per parameter set.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from corpus_dedupe.cluster import KEEP, decide_texts
from corpus_dedupe.normalise import match_key, repair_text
from corpus_dedupe.reader import decode_lines, detect_encoding
from corpus_dedupe.settings import Settings

KINDS = ("edit1", "edit3", "case_punct", "truncate", "short_edit1")


def load_paragraphs(source: Path) -> list[str]:
    seen, out = set(), []
    for path in sorted(source.rglob("*.txt")):
        data = path.read_bytes()
        codec, bom, _ = detect_encoding(data)
        for line in decode_lines(data, codec, bom):
            text = repair_text(line.raw)
            key = match_key(text)
            if len(key.split()) >= 8 and key not in seen:
                seen.add(key)
                out.append(text)
    return out


def make_copy(text: str, kind: str, rng: random.Random, vocabulary: list[str]) -> str:
    words = text.split()
    if kind in ("edit1", "edit3", "short_edit1"):
        for _ in range(1 if kind != "edit3" else 3):
            i = rng.randrange(len(words))
            op = rng.choice(("sub", "del", "ins"))
            if op == "sub":
                words[i] = rng.choice(vocabulary)
            elif op == "del" and len(words) > 6:
                del words[i]
            else:
                words.insert(i, rng.choice(vocabulary))
        return " ".join(words)
    if kind == "case_punct":
        out = text.replace(",", "").replace("'", "’").replace(". ", ".  ")
        return out.lower() if rng.random() < 0.5 else out.upper()
    if kind == "truncate":
        keep = max(8, int(len(words) * rng.uniform(0.3, 0.95)))
        return " ".join(words[:keep])
    raise ValueError(kind)


def build(paragraphs: list[str], pairs: int, seed: int):
    rng = random.Random(seed)
    vocabulary = [w for p in paragraphs[:2000] for w in p.split()]
    short = [i for i, p in enumerate(paragraphs) if len(p.split()) <= 20]
    longer = [i for i, p in enumerate(paragraphs) if len(p.split()) > 20]
    copies = []
    for n in range(pairs):
        kind = KINDS[n % len(KINDS)]
        pool = short if kind == "short_edit1" else longer
        original = rng.choice(pool)
        copies.append((original, kind, make_copy(paragraphs[original], kind, rng, vocabulary)))
    return copies


def evaluate(paragraphs, copies, settings: Settings):
    texts = paragraphs + [c[2] for c in copies]
    keys = [match_key(t) for t in texts]
    start = time.perf_counter()
    result = decide_texts(keys, settings)
    seconds = time.perf_counter() - start
    counts = result.counts
    n = len(paragraphs)
    false_pos = int((result.code[:n] != KEEP).sum())
    found = {k: 0 for k in KINDS}
    total = {k: 0 for k in KINDS}
    for (original, kind, _), code, dup in zip(copies, result.code[n:], result.duplicate_of[n:]):
        total[kind] += 1
        if code != KEEP and dup == original:
            found[kind] += 1
        elif code != KEEP:
            false_pos += 1
    flagged = false_pos + sum(found.values())
    precision = sum(found.values()) / flagged if flagged else 1.0
    recall = sum(found.values()) / len(copies)
    return precision, recall, {k: found[k] / total[k] for k in KINDS if total[k]}, seconds, counts.get("verified_pairs", 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "bench-text")
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    paragraphs = load_paragraphs(args.source)
    copies = build(paragraphs, args.pairs, args.seed)
    grid = [
        dict(shingle_words=k, num_perm=128, bands=b, near_threshold=t)
        for k in (2, 3, 5)
        for b in (16, 32)
        for t in (0.8, 0.85, 0.9)
    ]
    print(f"{len(paragraphs)} original paragraphs, {len(copies)} copies ({', '.join(KINDS)})\n")
    print("| shingle | perms | bands | near thr | precision | recall | " + " | ".join(KINDS) + " | verified pairs | seconds |")
    print("|---" * (8 + len(KINDS)) + "|")
    for params in grid:
        s = Settings(jobs=1, **params)
        precision, recall, per_kind, seconds, verified = evaluate(paragraphs, copies, s)
        print(
            f"| {s.shingle_words} | {s.num_perm} | {s.bands} | {s.near_threshold} | {precision:.4f} | {recall:.4f} | "
            + " | ".join(f"{per_kind[k]:.3f}" for k in KINDS)
            + f" | {verified} | {seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
