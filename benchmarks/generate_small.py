"""Deterministic "many small documents" corpus for the benchmark, with ground truth.

    python benchmarks/generate_small.py --source /work/shared/bench-text --docs 100000 --seed 1 \
        --out /tmp/small --jsonl

writes ``/tmp/small/batchNNNN/docNNNNNNN.txt`` (1,000 documents per folder, each 300-330 bytes,
UTF-8, ``\\n`` line ends), ``/tmp/small.truth.jsonl`` and ``/tmp/small.meta.json`` beside the
folder, and with ``--jsonl`` the same documents as one JSONL file, ``/tmp/small.jsonl`` (one row per
document in sorted path order: ``{"id": "<relative path>", "text": "<the file's content>"}``; see
``to_jsonl.py``). The folder and the JSONL file share the truth file: a row's ``id`` is the truth's
``path``, and lines are counted in the row's text as in the file.

The shape is that of short posts, reviews or news blurbs: 1-3 paragraphs per document, one per line
or separated by blank lines. The text is real: every paragraph is either a verbatim paragraph of the
source speeches (each used once) or 2-4 real sentences from different source paragraphs, picked to
fit the document's size, under the same uniqueness rules as ``generate.py`` (a sentence is at most
60 % of the words of a recombined paragraph, no two recombined paragraphs share a pair of
sentences), so two different originals never look like duplicates.

Duplicates, about 30 % of all paragraphs as in the default corpus:

* whole-document copies (a repost): ``DOC_EXACT_RATE`` of the documents are a byte-identical copy
  of an earlier document; ``DOC_NEAR_RATE`` are a copy with one original paragraph changed
  (``near_edit``, ``case_punct`` or ``mojibake``). Their truth records carry
  ``"doc_copy_of": "<path>"``. A copied paragraph is ``exact`` when it was an original in the
  copied document, otherwise it keeps its kind (a copy of a truncated copy is still a truncation
  of the origin);
* paragraph copies: in the other documents every paragraph is, with ``SLOT_DUPLICATE_RATE``, a copy
  of a paragraph written earlier in another document: ``exact``, ``near_edit``, ``case_punct``,
  ``truncated``, ``mojibake``, and ``rewrapped`` (hard-wrapped at 60-75 columns; only in
  blank-line documents of two or more paragraphs). The transforms are ``generate.py``'s.

Truth records are ``generate.py``'s: ``{"path", "line", "origin", "kind"}``, one per paragraph in
corpus order, so ``run.py`` scores the corpus as it does the default one (a paragraph is a
duplicate when an earlier one in corpus order has its origin). There is no boilerplate.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402
import to_jsonl  # noqa: E402

SMALL_GENERATOR_VERSION = 1

DEFAULT_DOCS = 100_000
DOC_BYTES = (300, 330)  # every document's size in bytes, final newline included
DOCS_PER_FOLDER = 1000
PARAGRAPHS_PER_DOC = {1: 0.30, 2: 0.45, 3: 0.25}
BLANK_LAYOUT_SHARE = 0.5
DOC_EXACT_RATE = 0.08  # documents that are a byte-identical copy of an earlier one
DOC_NEAR_RATE = 0.05  # documents that are a copy of an earlier one with one paragraph changed
DOC_NEAR_KINDS = {"near_edit": 0.5, "case_punct": 0.35, "mojibake": 0.15}
SLOT_DUPLICATE_RATE = 0.20  # paragraphs of the other documents that copy an earlier paragraph
SLOT_KIND_WEIGHTS = {
    "exact": 0.30,
    "near_edit": 0.22,
    "case_punct": 0.16,
    "truncated": 0.14,
    "mojibake": 0.08,
    "rewrapped": 0.10,
}
RECOMBINED_SENTENCES = (2, 4)
MIN_PARAGRAPH_BYTES = 60
MIN_SHARE_BYTES = 95  # (so the last paragraph of a document always has room for MIN_PARAGRAPH_BYTES)
SHARE_SLACK = 12
MAX_REAL_SHARE = 0.5


@dataclass
class Para:
    lines: list[str]
    origin: int
    kind: str

    @property
    def size(self) -> int:
        return sum(len(line.encode("utf-8")) for line in self.lines) + len(self.lines) - 1


@dataclass
class Doc:
    blank_layout: bool
    paragraphs: list[Para]
    copy_of: str | None = None  # the path of the document this one copies
    near_copy: bool = False  # a copy with one paragraph changed (else byte-identical)

    def render(self) -> tuple[str, list[int]]:
        """The document's text and the 1-based first line of each paragraph."""
        lines: list[str] = []
        firsts = []
        for para in self.paragraphs:
            if self.blank_layout and lines:
                lines.append("")
            firsts.append(len(lines) + 1)
            lines.extend(para.lines)
        return "\n".join(lines) + "\n", firsts


@dataclass
class Stats:
    files: int = 0
    bytes: int = 0
    paragraphs: int = 0
    real_originals: int = 0
    recombined_originals: int = 0
    doc_exact_copies: int = 0
    doc_near_copies: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: {k: 0 for k in generate.KINDS if k not in ("boilerplate", "repeated_body")})


class LengthIndex:
    """Origins by byte length, to pick one whose text fits a window quickly."""

    def __init__(self) -> None:
        self.by_len: dict[int, list[int]] = {}

    def add(self, length: int, origin: int) -> None:
        self.by_len.setdefault(length, []).append(origin)

    def pick(self, lo: int, hi: int, rng: random.Random) -> int | None:
        lengths = [n for n in range(max(0, lo), hi + 1) if n in self.by_len]
        if not lengths:
            return None
        n = rng.choices(lengths, [len(self.by_len[n]) for n in lengths])[0]
        return rng.choice(self.by_len[n])


class SmallCorpusGenerator:
    """Writes documents in corpus order, so "earlier in the corpus" is "already generated"."""

    def __init__(self, pool: generate.Pool, seed: int, docs: int | None, target_bytes: int | None):
        self.pool = pool
        self.rng = random.Random(seed)
        self.docs_wanted = docs
        self.target_bytes = target_bytes
        self.stats = Stats()
        self.sent_bytes = [len(s.encode("utf-8")) for s in pool.sentences]
        self.sent_order = sorted(range(len(pool.sentences)), key=lambda i: (self.sent_bytes[i], i))
        self.sent_sorted_bytes = [self.sent_bytes[i] for i in self.sent_order]
        n_sent = len(pool.sentences)
        self.pair_used = bytearray((n_sent * n_sent + 7) // 8)
        # Verbatim source paragraphs short enough for a document, by length; each used once.
        fits = [i for i, p in enumerate(pool.paragraphs) if MIN_PARAGRAPH_BYTES <= len(p.encode("utf-8")) <= DOC_BYTES[1] - 1]
        self.real_bytes = {i: len(pool.paragraphs[i].encode("utf-8")) for i in fits}
        self.real_sorted = sorted(fits, key=lambda i: (self.real_bytes[i], i))
        self.real_sorted_bytes = [self.real_bytes[i] for i in self.real_sorted]
        expected_unique = (docs * sum(DOC_BYTES) / 2 if docs else target_bytes) * 0.7
        self.real_share = min(MAX_REAL_SHARE, sum(self.real_bytes.values()) / max(1.0, expected_unique))
        self.recombined: list[tuple[int, ...]] = []
        self.used = LengthIndex()
        self.used_editable = LengthIndex()  # >= 10 words: room for a <= 10 % edit, or a cut
        self.used_mojibakeable = LengthIndex()  # has quotes or non-ASCII to garble
        self.docs: list[tuple[str, Doc]] = []
        self.pending: list[int] = []  # originals of the document being made

    # originals -----------------------------------------------------------------------------

    def origin_text(self, origin: int) -> str:
        n_real = len(self.pool.paragraphs)
        if origin < n_real:
            return self.pool.paragraphs[origin]
        return " ".join(self.pool.sentences[s] for s in self.recombined[origin - n_real])

    def _pick_sentence(self, lo: int, hi: int) -> int | None:
        i = bisect.bisect_left(self.sent_sorted_bytes, lo)
        j = bisect.bisect_right(self.sent_sorted_bytes, hi)
        return self.sent_order[self.rng.randrange(i, j)] if i < j else None

    def _recombine(self, lo: int, hi: int) -> tuple[int, ...] | None:
        """2-4 sentences from different source paragraphs whose joined text is lo..hi bytes, no
        sentence over MAX_SENTENCE_SHARE of the words, no pair of sentences used before."""
        pool, rng = self.pool, self.rng
        n_sent = len(pool.sentences)
        for _ in range(400):
            k = rng.randint(RECOMBINED_SENTENCES[0], max(RECOMBINED_SENTENCES[0], min(RECOMBINED_SENTENCES[1], hi // 80)))
            avg = ((lo + hi) / 2 - (k - 1)) / k
            chosen: list[int] = []
            for _ in range(k - 1):
                s = self._pick_sentence(int(avg * 0.6), int(avg * 1.4))
                if s is None:
                    break
                chosen.append(s)
            if len(chosen) < k - 1:
                continue
            used = sum(self.sent_bytes[s] for s in chosen) + k - 1
            last = self._pick_sentence(max(1, lo - used), hi - used)
            if last is None:
                continue
            chosen.append(last)
            sources = [pool.sentence_source[s] for s in chosen]
            if len(set(sources)) < k:
                continue
            words = [pool.sentence_words[s] for s in chosen]
            if max(words) > generate.MAX_SENTENCE_SHARE * sum(words):
                continue
            bits = [min(a, b) * n_sent + max(a, b) for i, a in enumerate(chosen) for b in chosen[i + 1 :]]
            if any(self.pair_used[bit >> 3] & (1 << (bit & 7)) for bit in bits):
                continue
            for bit in bits:
                self.pair_used[bit >> 3] |= 1 << (bit & 7)
            return tuple(chosen)
        return None

    def new_original(self, lo: int, hi: int) -> Para:
        """A never-used paragraph of lo..hi bytes: a verbatim source paragraph or a recombined one."""
        rng = self.rng
        origin = None
        if rng.random() < self.real_share:
            i = bisect.bisect_left(self.real_sorted_bytes, lo)
            j = bisect.bisect_right(self.real_sorted_bytes, hi)
            if i < j:
                at = rng.randrange(i, j)
                origin = self.real_sorted.pop(at)
                del self.real_sorted_bytes[at]
                self.stats.real_originals += 1
        if origin is None:
            sentences = self._recombine(lo, hi)
            if sentences is None:
                raise RuntimeError(f"no sentences fit a paragraph of {lo}-{hi} bytes: the source is too small")
            origin = len(self.pool.paragraphs) + len(self.recombined)
            self.recombined.append(sentences)
            self.stats.recombined_originals += 1
        self.pending.append(origin)
        return Para([self.origin_text(origin)], origin, "original")

    def publish_pending(self) -> None:
        """Make the originals of the document just written available to later documents' copies
        (paragraph copies come from other documents)."""
        for origin in self.pending:
            text = self.origin_text(origin)
            size = len(text.encode("utf-8"))
            self.used.add(size, origin)
            if text.count(" ") + 1 >= 10:
                self.used_editable.add(size, origin)
            if '"' in text or "'" in text or not text.isascii():
                self.used_mojibakeable.add(size, origin)
        self.pending.clear()

    # copies --------------------------------------------------------------------------------

    def transform(self, kind: str, text: str) -> list[str]:
        rng = self.rng
        if kind == "exact":
            return [text]
        if kind == "near_edit":
            return [generate.near_edit(text, rng, self.pool.vocab)]
        if kind == "case_punct":
            return [generate.case_punct(text, rng)]
        if kind == "truncated":
            return [generate.truncate(text, rng)]
        if kind == "rewrapped":
            return generate.rewrap(text, rng.randint(*generate.REWRAP_WIDTH))
        if kind == "mojibake":
            return [generate.mojibake(generate.typographic_quotes(text))]
        raise ValueError(kind)

    def paragraph_copy(self, kind: str, lo: int, hi: int) -> Para | None:
        """A copy of an earlier paragraph whose written form is lo..hi bytes, or None."""
        index, window = {
            "exact": (self.used, (lo, hi)),
            "case_punct": (self.used, (lo - 4, hi + 4)),
            "rewrapped": (self.used, (max(lo, generate.REWRAP_MIN_CHARS), hi)),
            "near_edit": (self.used_editable, (lo - 12, hi + 12)),
            "truncated": (self.used_editable, (int(lo / 0.95), int(hi / 0.6))),
            "mojibake": (self.used_mojibakeable, (int(lo * 0.8), hi)),
        }[kind]
        for _ in range(8):
            origin = index.pick(*window, self.rng)
            if origin is None:
                return None
            para = Para(self.transform(kind, self.origin_text(origin)), origin, kind)
            if lo <= para.size <= hi:
                return para
        return None

    def doc_copy(self) -> Doc | None:
        """A copy of an earlier document: byte-identical, or with one original paragraph changed."""
        rng = self.rng
        if not self.docs:
            return None
        near = rng.random() < DOC_NEAR_RATE / (DOC_EXACT_RATE + DOC_NEAR_RATE)
        for _ in range(10):
            path, source = self.docs[rng.randrange(len(self.docs))]
            paragraphs = [Para(p.lines, p.origin, "exact" if p.kind == "original" else p.kind) for p in source.paragraphs]
            if not near:
                return Doc(source.blank_layout, paragraphs, path)
            kind = rng.choices(list(DOC_NEAR_KINDS), list(DOC_NEAR_KINDS.values()))[0]
            candidates = [i for i, p in enumerate(source.paragraphs) if p.kind == "original" and self._fits_kind(kind, p.lines[0])]
            if not candidates:
                continue
            i = rng.choice(candidates)
            paragraphs[i] = Para(self.transform(kind, source.paragraphs[i].lines[0]), source.paragraphs[i].origin, kind)
            doc = Doc(source.blank_layout, paragraphs, path, near_copy=True)
            if DOC_BYTES[0] <= len(doc.render()[0].encode("utf-8")) <= DOC_BYTES[1]:
                return doc
        return None

    @staticmethod
    def _fits_kind(kind: str, text: str) -> bool:
        if kind == "near_edit":
            return text.count(" ") + 1 >= 10
        if kind == "mojibake":
            return '"' in text or "'" in text or not text.isascii()
        return True

    def fresh_doc(self) -> Doc:
        """1-3 paragraphs filling DOC_BYTES, each an original or, at SLOT_DUPLICATE_RATE, a copy."""
        rng = self.rng
        n = rng.choices(list(PARAGRAPHS_PER_DOC), list(PARAGRAPHS_PER_DOC.values()))[0]
        blank_layout = rng.random() < BLANK_LAYOUT_SHARE
        separators = 2 * n - 1 if blank_layout else n  # line ends and blank lines, the final newline included
        total = rng.randint(*DOC_BYTES)
        content = total - separators
        # Shares of the content: at least MIN_SHARE_BYTES each, the rest spread at random. A
        # paragraph but the last lands within SHARE_SLACK bytes of its share; the last one takes
        # what brings the document into DOC_BYTES.
        spread = [rng.random() for _ in range(n)]
        spare = content - n * MIN_SHARE_BYTES
        shares = [MIN_SHARE_BYTES + round(spare * w / sum(spread)) for w in spread]
        kinds = list(SLOT_KIND_WEIGHTS)
        if not (blank_layout and n >= 2):
            kinds.remove("rewrapped")  # a hard wrap in a one-per-line document would be new paragraphs
        weights = [SLOT_KIND_WEIGHTS[k] for k in kinds]
        paragraphs: list[Para] = []
        written = 0
        for i in range(n):
            if i == n - 1:
                lo = DOC_BYTES[0] - separators - written
                hi = DOC_BYTES[1] - separators - written
            else:
                lo, hi = shares[i] - SHARE_SLACK, shares[i] + SHARE_SLACK
            lo = max(lo, MIN_PARAGRAPH_BYTES)
            para = None
            if rng.random() < SLOT_DUPLICATE_RATE:
                para = self.paragraph_copy(rng.choices(kinds, weights)[0], lo, hi)
            if para is None:
                para = self.new_original(lo, hi)
            paragraphs.append(para)
            written += para.size
        return Doc(blank_layout, paragraphs)

    def write(self, out: Path, truth_path: Path) -> Stats:
        stats, rng = self.stats, self.rng
        with truth_path.open("w", encoding="utf-8", newline="\n") as truth:
            while (self.docs_wanted is None or stats.files < self.docs_wanted) and (
                self.target_bytes is None or stats.bytes < self.target_bytes
            ):
                index = stats.files
                rel = f"batch{index // DOCS_PER_FOLDER:04d}/doc{index:07d}.txt"
                doc = None
                if rng.random() < DOC_EXACT_RATE + DOC_NEAR_RATE:
                    doc = self.doc_copy()
                if doc is None:
                    doc = self.fresh_doc()
                text, firsts = doc.render()
                data = text.encode("utf-8")
                if index % DOCS_PER_FOLDER == 0:
                    (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_bytes(data)
                records = []
                for para, line in zip(doc.paragraphs, firsts):
                    record = {"path": rel, "line": line, "origin": para.origin, "kind": para.kind}
                    if doc.copy_of is not None:
                        record["doc_copy_of"] = doc.copy_of
                    records.append(json.dumps(record, ensure_ascii=False))
                    stats.kinds[para.kind] += 1
                truth.write("\n".join(records) + "\n")
                if doc.copy_of is not None:
                    stats.doc_near_copies += doc.near_copy
                    stats.doc_exact_copies += not doc.near_copy
                self.docs.append((rel, doc))
                self.publish_pending()
                stats.files += 1
                stats.bytes += len(data)
                stats.paragraphs += len(doc.paragraphs)
        return stats


def generate_small(source: Path, out: Path, seed: int = 1, docs: int | None = None, size_mb: float | None = None,
                   force: bool = False, jsonl: bool = False) -> dict:
    """Generate the corpus into ``out`` (``docs`` documents, or until ``size_mb`` MB are written);
    returns the metadata also written to ``<out>.meta.json``. ``jsonl``: also write ``<out>.jsonl``."""
    if docs is None and size_mb is None:
        raise ValueError("give docs or size_mb")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    pool = generate.cached_pool(str(Path(source).resolve()))
    target = None if size_mb is None else int(size_mb * 1_000_000)
    generator = SmallCorpusGenerator(pool, seed, docs, target)
    stats = generator.write(out, generate.truth_path(out))
    duplicates = sum(n for k, n in stats.kinds.items() if k != "original")
    meta = {
        "generator": "generate_small",
        "generator_version": SMALL_GENERATOR_VERSION,
        "seed": seed,
        "docs_wanted": docs,
        "size_mb": size_mb,
        "files": stats.files,
        "bytes": stats.bytes,
        "paragraphs": stats.paragraphs,
        "duplicate_share": round(duplicates / max(1, stats.paragraphs), 4),
        "kinds": stats.kinds,
        "doc_exact_copies": stats.doc_exact_copies,
        "doc_near_copies": stats.doc_near_copies,
        "real_originals": stats.real_originals,
        "recombined_originals": stats.recombined_originals,
        "pool_paragraphs": len(pool.paragraphs),
        "pool_sentences": len(pool.sentences),
        "source_files": pool.source_files,
    }
    if jsonl:
        rows = to_jsonl.folder_to_jsonl(out, jsonl_path(out))
        meta["jsonl"] = {"path": jsonl_path(out).name, "rows": rows, "bytes": jsonl_path(out).stat().st_size}
    generate.meta_path(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def jsonl_path(out: Path) -> Path:
    """``<out>.jsonl``, beside the corpus folder (it shares ``<out>.truth.jsonl``)."""
    out = Path(out)
    return out.with_name(out.name + ".jsonl")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/bench-text"),
                        help="folder of .txt files, one paragraph per line")
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--docs", type=int, help="number of documents")
    size.add_argument("--size-mb", type=float, help="stop once this many MB (10^6 bytes) are written")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="corpus folder; truth goes to <out>.truth.jsonl")
    parser.add_argument("--jsonl", action="store_true", help="also write the documents as one JSONL file, <out>.jsonl")
    parser.add_argument("--force", action="store_true", help="replace an existing non-empty --out folder")
    args = parser.parse_args(argv)
    meta = generate_small(args.source, args.out, args.seed, docs=args.docs, size_mb=args.size_mb, force=args.force,
                          jsonl=args.jsonl)
    print(json.dumps(meta, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
