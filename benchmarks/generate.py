"""Deterministic benchmark corpus generator for corpus-dedupe.

Builds a folder of scraped-looking text documents out of real public-domain prose and injects
duplicated paragraphs of known kinds, recording for every written paragraph where it came from.
The ground truth is what makes precision and recall measurable, so everything here is driven by one
seeded ``random.Random`` and never by set/dict iteration order or the clock: the same arguments
give a byte-identical corpus and truth file.

Usage::

    python benchmarks/generate.py --source /work/shared/bench-text --size-mb 20 --seed 1 \
        --out /tmp/corpus20

writes ``/tmp/corpus20/siteNNNN/docNNNNNN.txt`` plus ``/tmp/corpus20.truth.jsonl`` and
``/tmp/corpus20.meta.json`` next to (not inside) the corpus, so a tool run on the folder never sees
the answers.

Where unique text comes from
----------------------------
The source is only ~3 MB, so a 20 MB corpus cannot be made of verbatim source paragraphs without
repeating them, and a repeated paragraph *is* a duplicate. Every non-duplicate ("original")
paragraph therefore has its own origin id, and is either

* a real source paragraph, verbatim (ids ``0 .. len(pool)-1``; each used at most once), or
* a *recombined* paragraph (ids ``len(pool)`` and up): 2-8 real sentences drawn from different
  source paragraphs.

Recombination is constrained so that different origins never look like duplicates of each other:
the pool itself is filtered for near-duplicates, a recombined paragraph takes at most one sentence
from any source paragraph, no sentence is more than 60 % of the words of its source paragraph or of
the recombined paragraph, and no two recombined paragraphs share a pair of sentences. So two
different origins share at most one sentence, and that sentence is at most 60 % of either. The same
sentence does recur in many unrelated originals across a big corpus; that is sentence reuse, not a
duplicate paragraph.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1

DUPLICATE_KINDS = (
    "exact",
    "near_edit",
    "case_punct",
    "truncated",
    "rewrapped",
    "mojibake",
    "repeated_body",
)
KINDS = ("original", *DUPLICATE_KINDS, "boilerplate")

# --- corpus shape -----------------------------------------------------------------------------
MIN_WORDS = 8  # source paragraphs shorter than this are headings, datelines, applause notes
DOC_PARAGRAPHS = (5, 40)  # body paragraphs per document
DOCS_PER_SITE = (80, 120)
BLANK_LAYOUT_SHARE = 0.5  # the rest is one paragraph per line
# Share of all non-boilerplate paragraphs that are duplicates: ~30 %. Repeated bodies add on
# average REPEAT_DOC_SHARE * ~3.9 paragraphs to a ~22.5-paragraph document (~3.3 % of all
# paragraphs); the per-slot rate makes up the rest of the 30 %.
TARGET_DUPLICATE_SHARE = 0.30
REPEAT_DOC_SHARE = 0.20
REPEAT_PARAGRAPHS = (2, 6)
SLOT_DUPLICATE_RATE = 0.275
# Relative weights of the per-slot duplicate kinds. "rewrapped" only exists in blank-line
# documents (a hard wrap in a one-per-line file would be indistinguishable from new paragraphs),
# so it is weighted up there and absent elsewhere.
SLOT_KIND_WEIGHTS = {
    "exact": 0.26,
    "near_edit": 0.18,
    "case_punct": 0.16,
    "truncated": 0.12,
    "rewrapped": 0.16,
    "mojibake": 0.10,
}
SAME_DOCUMENT_SHARE = 0.3  # of exact copies, when the current document has an original already
MAX_REAL_SHARE = 0.5  # at most this share of originals are verbatim source paragraphs
RECOMBINED_SENTENCES = (2, 8)
MAX_SENTENCE_SHARE = 0.6
POOL_OVERLAP_LIMIT = 0.5  # pool paragraphs sharing this share of 5-grams with another are dropped
REWRAP_WIDTH = (60, 75)
REWRAP_MIN_CHARS = 130  # guarantees at least two lines at width <= 75

# Boilerplate: {site} is the site's name, {year} a per-site year. Header lines go above the body,
# footer lines below it, the mid-body line between two body paragraphs.
BOILERPLATE_HEADERS = (
    "Home | News | Politics | Opinion | Archive",
    "Skip to main content",
    "{site} - independent reporting since {year}",
)
BOILERPLATE_FOOTERS = (
    "Share this article",
    "Subscribe to our newsletter for the latest updates.",
    "Copyright {year} {site}. All rights reserved.",
    "Follow us on Facebook and Twitter",
    "Click here to read more stories like this.",
    "This article was originally published by {site} and is republished here with permission.",
)
BOILERPLATE_MIDDLE = ("Advertisement", "Related: more coverage from {site}")
BOILERPLATE_TEMPLATES = BOILERPLATE_HEADERS + BOILERPLATE_FOOTERS + BOILERPLATE_MIDDLE
BOILERPLATE_LINE_SHARE = 0.85  # a site's boilerplate line appears in this share of its documents
SITE_NAME_PARTS = (
    ("The Daily", "The Evening", "Capitol", "National", "The Weekly", "Civic", "Union"),
    ("Ledger", "Courier", "Review", "Dispatch", "Herald", "Observer", "Record"),
)

_WS = re.compile(r"\s+")
_FOLD = re.compile(r"[\W_]+")
# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before a space and
# an upper-case letter or opening quote, unless the full stop ends an abbreviation or an initial.
_SENTENCE_END = re.compile(r"[.!?][\"')]?(?=\s+[\"'(]?[A-Z])")
_ABBREVIATION = re.compile(r"(?:^|[^\w.])(?:Mr|Mrs|Ms|Dr|St|No|vs|[A-Z])\.$")
_COMPLETE_SENTENCE = re.compile(r"[.!?][\"')]?$")
_ALPHA_CORE = re.compile(r"^([^A-Za-z]*)([A-Za-z](?:[A-Za-z'-]*[A-Za-z])?)([^A-Za-z]*)$")
_COMMA_NOT_IN_NUMBER = re.compile(r",(?!\d)")  # keep "100,000" intact
_VOCAB_WORD = re.compile(r"^[a-z]{3,12}$")
_OPEN_DOUBLE = re.compile(r"(^|[\s(\[{\u2014-])\"")
_OPEN_SINGLE = re.compile(r"(^|[\s(\[{\u2014-])'")


def fold(text: str) -> str:
    """Case- and punctuation-insensitive key, so the pool has no trivially equal paragraphs."""
    return _FOLD.sub(" ", text.lower()).strip()


def shingles(words: list[str], n: int = 5) -> list[str]:
    """Word n-grams; a paragraph shorter than n words is a single shingle of all its words."""
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


def split_sentences(text: str) -> list[str]:
    """Split a whitespace-normalised paragraph into sentences (good enough for speeches)."""
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if _ABBREVIATION.search(text, max(start, end - 5), end):
            continue
        parts.append(text[start:end])
        start = end + 1  # skip the single space after the sentence
    parts.append(text[start:])
    return parts


# --- text transforms (pure functions of text and rng) ------------------------------------------


def typographic_quotes(text: str) -> str:
    """Straight quotes to curly ones, as a CMS "smart quotes" filter does.

    Only quotes are touched (not dashes): ftfy's default ``uncurl_quotes`` maps them straight back,
    which is what lets a mojibake paragraph be repaired to exactly its original.
    """
    text = _OPEN_DOUBLE.sub("\\1\u201c", text).replace('"', "\u201d")
    return _OPEN_SINGLE.sub("\\1\u2018", text).replace("'", "\u2019")


def _sloppy_cp1252_table() -> dict[int, str]:
    """Map latin-1 code points to what Windows-1252 shows for that byte.

    The five bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) stay as the matching C1
    control character, like browsers and ftfy's "sloppy-windows-1252" do; a strict decode would
    fail on the 0x9D in the UTF-8 bytes of a closing curly quote.
    """
    table = {}
    for byte in range(0x80, 0x100):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        if char != chr(byte):
            table[byte] = char
    return table


_CP1252 = _sloppy_cp1252_table()


def mojibake(text: str) -> str:
    """The UTF-8 bytes of ``text`` wrongly decoded as Windows-1252 (“ becomes â€œ)."""
    return text.encode("utf-8").decode("latin-1").translate(_CP1252)


def near_edit(text: str, rng: random.Random, vocab: list[str]) -> str:
    """1-3 word substitutions, deletions or insertions, at most 10 % of the words.

    Tokens containing a digit are never substituted or deleted: changing "1947" to "1948" makes a
    different statement, not a near-duplicate. Substitutes keep the token's punctuation and
    capitalisation so the edit looks like a copy-editing change rather than noise.
    """
    tokens = text.split(" ")
    n_edits = rng.randint(1, max(1, min(3, len(tokens) // 10)))
    for _ in range(n_edits):
        editable = [i for i, tok in enumerate(tokens) if _ALPHA_CORE.match(tok) and not any(c.isdigit() for c in tok)]
        op = rng.choice(("substitute", "delete", "insert")) if editable else "insert"
        if op == "insert":
            tokens.insert(rng.randint(0, len(tokens)), rng.choice(vocab))
            continue
        i = rng.choice(editable)
        if op == "delete" and len(tokens) > 1:
            del tokens[i]
            continue
        head, core, tail = _ALPHA_CORE.match(tokens[i]).groups()
        new = rng.choice(vocab)
        while new == core.lower():
            new = rng.choice(vocab)
        if core[0].isupper():
            new = new.upper() if core.isupper() and len(core) > 1 else new.capitalize()
        tokens[i] = head + new + tail
    return " ".join(tokens)


def case_punct(text: str, rng: random.Random) -> str:
    """Case and/or punctuation/whitespace changes; the words themselves stay the same.

    Picks at most one case change (lower, UPPER, Title) and one or two of: drop commas (not those
    inside numbers), curly quotes, double spaces, em dashes for "--", drop the final full stop. Always changes the text.
    """
    case_ops = (str.lower, str.upper, lambda t: " ".join(w[:1].upper() + w[1:] for w in t.split(" ")))
    punct_ops = []
    if "," in text:
        punct_ops.append(lambda t: _COMMA_NOT_IN_NUMBER.sub("", t))
    if '"' in text or "'" in text:
        punct_ops.append(typographic_quotes)
    if "--" in text:
        punct_ops.append(lambda t: t.replace(" -- ", "\u2014").replace("--", "\u2014"))
    if text.endswith("."):
        punct_ops.append(lambda t: t[:-1])
    punct_ops.append(lambda t: _double_spaces(t, rng))
    ops = []
    if rng.random() < 0.5:
        ops.append(rng.choice(case_ops))
    if not ops or rng.random() < 0.7:
        ops.extend(rng.sample(punct_ops, k=min(len(punct_ops), rng.randint(1, 2))))
    result = text
    for op in ops:
        result = op(result)
    if result == text:  # e.g. lower-casing a lower-case paragraph
        result = _double_spaces(result, rng)
    return result


def _double_spaces(text: str, rng: random.Random) -> str:
    """Double 1-3 of the spaces (or all of them after a full stop, as old typists did)."""
    if rng.random() < 0.3 and ". " in text:
        return text.replace(". ", ".  ")
    parts = text.split(" ")
    if len(parts) < 2:
        return text + " "
    for i in rng.sample(range(1, len(parts)), k=min(len(parts) - 1, rng.randint(1, 3))):
        parts[i] = " " + parts[i]
    return " ".join(parts)


def truncate(text: str, rng: random.Random) -> str:
    """Keep the first 60-95 % of the words, never ending on a sentence boundary.

    This is a scraper cutting a teaser or a paywall: the result is contained in the original.
    """
    words = text.split(" ")
    keep = max(1, min(len(words) - 1, round(len(words) * rng.uniform(0.60, 0.95))))
    while keep > 1 and _COMPLETE_SENTENCE.search(words[keep - 1]):
        keep -= 1
    return " ".join(words[:keep])


def rewrap(text: str, width: int) -> list[str]:
    """Hard-wrap at ``width`` columns (greedy, on spaces); joining the lines with spaces gives the
    text back. textwrap is avoided because it also breaks on hyphens."""
    lines, current = [], ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return lines


# --- the pool ----------------------------------------------------------------------------------


@dataclass
class Pool:
    """Unique real paragraphs and the sentences that recombined paragraphs are built from."""

    paragraphs: list[str]
    paragraph_words: list[int]
    sentences: list[str]
    sentence_words: list[int]
    sentence_source: list[int]  # index of the paragraph a sentence came from
    vocab: list[str]
    source_files: int


def read_source(source: Path) -> list[tuple[str, str]]:
    """(relative path, text) of every .txt under ``source`` in sorted order, README files skipped.

    Some files are ISO-8859-1: anything that is not valid UTF-8 is decoded as latin-1.
    """
    texts = []
    for path in sorted(source.rglob("*.txt"), key=lambda p: p.relative_to(source).as_posix()):
        if path.name.lower().startswith("readme") or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        texts.append((path.relative_to(source).as_posix(), text))
    if not texts:
        raise SystemExit(f"no .txt files under {source}")
    return texts


@functools.lru_cache(maxsize=4)
def cached_pool(source: str) -> Pool:
    """build_pool once per process and source folder (tests generate several small corpora).
    Nothing mutates a Pool after it is built."""
    return build_pool(Path(source))


def build_pool(source: Path) -> Pool:
    """Split the source into paragraphs (one per line) and keep the unique ones.

    Drops paragraphs under MIN_WORDS words and exact duplicates after case/punctuation folding,
    then near-duplicates: a paragraph sharing POOL_OVERLAP_LIMIT of either one's word 5-grams with
    an earlier kept paragraph (e.g. two years' "Mr. Speaker, Members of the 94th/95th Congress"
    salutations, or a speech quoting an earlier one) is dropped too, or the benchmark would count
    the tool wrong for finding it.
    """
    texts = read_source(source)
    paragraphs: list[str] = []
    seen_keys: set[str] = set()
    shingle_owners: dict[str, list[int]] = {}
    shingle_counts: list[int] = []
    for _, text in texts:
        for line in text.splitlines():
            para = _WS.sub(" ", line).strip()
            if len(para.split(" ")) < MIN_WORDS:
                continue
            key = fold(para)
            if key in seen_keys:
                continue
            seen_keys.add(key)
            own = list(dict.fromkeys(shingles(key.split(" "))))
            overlap: dict[int, int] = {}
            for sh in own:
                for owner in shingle_owners.get(sh, ()):
                    overlap[owner] = overlap.get(owner, 0) + 1
            if any(
                n >= POOL_OVERLAP_LIMIT * len(own) or n >= POOL_OVERLAP_LIMIT * shingle_counts[owner]
                for owner, n in overlap.items()
            ):
                continue
            index = len(paragraphs)
            paragraphs.append(para)
            shingle_counts.append(len(own))
            for sh in own:
                shingle_owners.setdefault(sh, []).append(index)

    paragraph_words = [len(p.split(" ")) for p in paragraphs]
    sentences, sentence_words, sentence_source = [], [], []
    seen_sentences: set[str] = set()
    vocab_set: set[str] = set()
    for index, para in enumerate(paragraphs):
        for word in para.split(" "):
            if _VOCAB_WORD.match(word):
                vocab_set.add(word)
        parts = split_sentences(para)
        if len(parts) < 2:
            continue  # a one-sentence paragraph: reusing its sentence would contain the paragraph
        for sentence in parts:
            n = len(sentence.split(" "))
            key = fold(sentence)
            if (
                n < 6
                or n > MAX_SENTENCE_SHARE * paragraph_words[index]
                or not sentence[0].isupper() and sentence[0] not in "\"'("
                or not _COMPLETE_SENTENCE.search(sentence)
                or key in seen_sentences
            ):
                continue
            seen_sentences.add(key)
            sentences.append(sentence)
            sentence_words.append(n)
            sentence_source.append(index)
    return Pool(
        paragraphs=paragraphs,
        paragraph_words=paragraph_words,
        sentences=sentences,
        sentence_words=sentence_words,
        sentence_source=sentence_source,
        vocab=sorted(vocab_set),
        source_files=len(texts),
    )


# --- generation --------------------------------------------------------------------------------


@dataclass
class Paragraph:
    """One paragraph as written: its lines (several only when re-wrapped), origin and kind."""

    lines: list[str]
    origin: int
    kind: str


@dataclass
class Stats:
    files: int = 0
    bytes: int = 0
    paragraphs: int = 0
    real_originals: int = 0
    recombined_originals: int = 0
    kinds: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})


class CorpusGenerator:
    """Writes documents in corpus order (sorted path order), so "earlier in the corpus" is simply
    "already generated": every duplicate refers to an origin that was already written, and the first
    occurrence of every origin is its original."""

    def __init__(self, pool: Pool, seed: int, target_bytes: int):
        self.pool = pool
        self.rng = random.Random(seed)
        self.target_bytes = target_bytes
        self.real_order = list(range(len(pool.paragraphs)))
        self.rng.shuffle(self.real_order)
        self.real_next = 0
        # Verbatim source paragraphs are mixed in at a rate that spreads them over the corpus (a
        # tiny corpus is up to half real, a 200 MB one ~2 %).
        real_bytes = sum(len(p) + 1 for p in pool.paragraphs)
        self.real_share = min(MAX_REAL_SHARE, real_bytes / max(1, target_bytes * (1 - TARGET_DUPLICATE_SHARE)))
        self.recombined: list[tuple[int, ...]] = []  # sentence ids of origin len(pool)+i
        n_sent = len(pool.sentences)
        self.pair_used = bytearray((n_sent * n_sent + 7) // 8)  # bit a*n+b: sentences a<b used together
        # Origins written so far, overall and those fit for the kinds that need a certain text.
        self.used: list[int] = []
        self.used_editable: list[int] = []  # >= 10 words: room for a <= 10 % edit
        self.used_rewrappable: list[int] = []
        self.used_mojibakeable: list[int] = []  # has quotes or non-ASCII to garble
        self.stats = Stats()

    # origins ---------------------------------------------------------------------------------

    def origin_text(self, origin: int) -> str:
        n_real = len(self.pool.paragraphs)
        if origin < n_real:
            return self.pool.paragraphs[origin]
        return " ".join(self.pool.sentences[s] for s in self.recombined[origin - n_real])

    def new_origin(self) -> int:
        """A never-used paragraph: a verbatim source paragraph or a recombined one."""
        if self.real_next < len(self.real_order) and self.rng.random() < self.real_share:
            origin = self.real_order[self.real_next]
            self.real_next += 1
            self.stats.real_originals += 1
        else:
            origin = len(self.pool.paragraphs) + len(self.recombined)
            self.recombined.append(self._recombine())
            self.stats.recombined_originals += 1
        text = self.origin_text(origin)
        self.used.append(origin)
        n_words = text.count(" ") + 1
        if n_words >= 10:
            self.used_editable.append(origin)
        if len(text) >= REWRAP_MIN_CHARS:
            self.used_rewrappable.append(origin)
        if '"' in text or "'" in text or not text.isascii():
            self.used_mojibakeable.append(origin)
        return origin

    def _recombine(self) -> tuple[int, ...]:
        """Sentence ids for a new recombined paragraph, obeying the uniqueness rules in the module
        docstring. Its length follows the real paragraph length distribution."""
        pool, rng = self.pool, self.rng
        n_sent = len(pool.sentences)
        for _ in range(1000):
            target = min(150, max(25, rng.choice(pool.paragraph_words)))
            chosen: list[int] = []
            sources: list[int] = []
            words = 0
            while (words < target or len(chosen) < RECOMBINED_SENTENCES[0]) and len(chosen) < RECOMBINED_SENTENCES[1]:
                s = rng.randrange(n_sent)
                if pool.sentence_source[s] in sources:
                    continue
                chosen.append(s)
                sources.append(pool.sentence_source[s])
                words += pool.sentence_words[s]
            if max(pool.sentence_words[s] for s in chosen) > MAX_SENTENCE_SHARE * words:
                continue
            bits = [min(a, b) * n_sent + max(a, b) for i, a in enumerate(chosen) for b in chosen[i + 1 :]]
            if any(self.pair_used[bit >> 3] & (1 << (bit & 7)) for bit in bits):
                continue
            for bit in bits:
                self.pair_used[bit >> 3] |= 1 << (bit & 7)
            return tuple(chosen)
        raise RuntimeError("sentence pool exhausted: the corpus is too large for this source")

    # paragraphs ------------------------------------------------------------------------------

    def duplicate(self, kind: str, doc_origins: list[int]) -> Paragraph | None:
        """A duplicate of an already-written origin, or None when no origin fits the kind yet."""
        rng = self.rng
        candidates = {
            "exact": self.used,
            "case_punct": self.used,
            "near_edit": self.used_editable,
            "truncated": self.used_editable,
            "rewrapped": self.used_rewrappable,
            "mojibake": self.used_mojibakeable,
        }[kind]
        if kind == "exact" and doc_origins and rng.random() < SAME_DOCUMENT_SHARE:
            candidates = doc_origins
        if not candidates:
            return None
        origin = rng.choice(candidates)
        text = self.origin_text(origin)
        if kind == "exact":
            lines = [text]
        elif kind == "near_edit":
            lines = [near_edit(text, rng, self.pool.vocab)]
        elif kind == "case_punct":
            lines = [case_punct(text, rng)]
        elif kind == "truncated":
            lines = [truncate(text, rng)]
        elif kind == "rewrapped":
            lines = rewrap(text, rng.randint(*REWRAP_WIDTH))
        else:  # mojibake
            lines = [mojibake(typographic_quotes(text))]
        return Paragraph(lines, origin, kind)

    def body(self, blank_layout: bool) -> list[Paragraph]:
        """5-40 paragraphs, ~SLOT_DUPLICATE_RATE of them duplicates, plus maybe a repeated body."""
        rng = self.rng
        kinds = [k for k in SLOT_KIND_WEIGHTS if blank_layout or k != "rewrapped"]
        weights = [SLOT_KIND_WEIGHTS[k] for k in kinds]
        paragraphs: list[Paragraph] = []
        doc_origins: list[int] = []
        for _ in range(rng.randint(*DOC_PARAGRAPHS)):
            para = None
            if rng.random() < SLOT_DUPLICATE_RATE:
                para = self.duplicate(rng.choices(kinds, weights)[0], doc_origins)
            if para is None:
                origin = self.new_origin()
                doc_origins.append(origin)
                para = Paragraph([self.origin_text(origin)], origin, "original")
            paragraphs.append(para)
        if rng.random() < REPEAT_DOC_SHARE and len(paragraphs) >= 2 * REPEAT_PARAGRAPHS[0]:
            n = rng.randint(REPEAT_PARAGRAPHS[0], min(REPEAT_PARAGRAPHS[1], len(paragraphs) // 2))
            paragraphs.extend(Paragraph(p.lines, p.origin, "repeated_body") for p in paragraphs[:n])
        return paragraphs

    def new_site(self, index: int) -> dict:
        """A site: its name and which boilerplate lines its documents carry."""
        rng = self.rng
        name = f"{rng.choice(SITE_NAME_PARTS[0])} {rng.choice(SITE_NAME_PARTS[1])}"
        year = rng.randint(1998, 2024)

        def pick(templates: tuple[str, ...], k: int) -> list[tuple[int, str]]:
            offset = BOILERPLATE_TEMPLATES.index(templates[0])
            picked = sorted(rng.sample(range(len(templates)), k))
            return [(offset + i, templates[i].format(site=name, year=year)) for i in picked]

        return {
            "dir": f"site{index:04d}",
            "header": pick(BOILERPLATE_HEADERS, rng.randint(0, 2)),
            "footer": pick(BOILERPLATE_FOOTERS, rng.randint(1, 3)),
            "middle": pick(BOILERPLATE_MIDDLE, rng.randint(0, 1)),
        }

    def document(self, site: dict) -> tuple[bool, list[Paragraph]]:
        rng = self.rng
        blank_layout = rng.random() < BLANK_LAYOUT_SHARE

        def boilerplate(lines: list[tuple[int, str]]) -> list[Paragraph]:
            return [Paragraph([text], -1 - t, "boilerplate") for t, text in lines if rng.random() < BOILERPLATE_LINE_SHARE]

        body = self.body(blank_layout)
        middle = boilerplate(site["middle"])
        if middle:
            at = rng.randint(1, len(body) - 1)
            body[at:at] = middle
        return blank_layout, boilerplate(site["header"]) + body + boilerplate(site["footer"])

    def write(self, out: Path, truth_path: Path) -> Stats:
        stats = self.stats
        doc_index = 0
        site_index = 0
        with truth_path.open("w", encoding="utf-8", newline="\n") as truth:
            while stats.bytes < self.target_bytes:
                site = self.new_site(site_index)
                site_dir = out / site["dir"]
                site_dir.mkdir(parents=True)
                for _ in range(self.rng.randint(*DOCS_PER_SITE)):
                    if stats.bytes >= self.target_bytes:
                        break
                    rel = f"{site['dir']}/doc{doc_index:06d}.txt"
                    blank_layout, paragraphs = self.document(site)
                    out_lines: list[str] = []
                    records = []
                    for para in paragraphs:
                        if blank_layout and out_lines:
                            out_lines.append("")
                        records.append(
                            json.dumps(
                                {"path": rel, "line": len(out_lines) + 1, "origin": para.origin, "kind": para.kind},
                                ensure_ascii=False,
                            )
                        )
                        out_lines.extend(para.lines)
                        stats.kinds[para.kind] += 1
                    data = ("\n".join(out_lines) + "\n").encode("utf-8")
                    (out / rel).write_bytes(data)
                    truth.write("\n".join(records) + "\n")
                    stats.files += 1
                    stats.bytes += len(data)
                    stats.paragraphs += len(paragraphs)
                    doc_index += 1
                site_index += 1
        return stats


def generate(source: Path, size_mb: float, seed: int, out: Path, force: bool = False) -> dict:
    """Generate a corpus into ``out``; returns the metadata also written to ``<out>.meta.json``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    pool = cached_pool(str(Path(source).resolve()))
    target = int(size_mb * 1_000_000)
    generator = CorpusGenerator(pool, seed, target)
    stats = generator.write(out, truth_path(out))
    scored = stats.paragraphs - stats.kinds["boilerplate"]
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size_mb": size_mb,
        "files": stats.files,
        "bytes": stats.bytes,
        "paragraphs": stats.paragraphs,
        "duplicate_share": round(sum(stats.kinds[k] for k in DUPLICATE_KINDS) / max(1, scored), 4),
        "kinds": stats.kinds,
        "pool_paragraphs": len(pool.paragraphs),
        "pool_sentences": len(pool.sentences),
        "source_files": pool.source_files,
        "real_originals": stats.real_originals,
        "recombined_originals": stats.recombined_originals,
    }
    meta_path(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def truth_path(out: Path) -> Path:
    """``<out>.truth.jsonl``, beside the corpus folder."""
    out = Path(out)
    return out.with_name(out.name + ".truth.jsonl")


def meta_path(out: Path) -> Path:
    out = Path(out)
    return out.with_name(out.name + ".meta.json")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="folder of .txt files, one paragraph per line")
    parser.add_argument("--size-mb", type=float, required=True, help="stop once this many MB (10^6 bytes) are written")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="corpus folder; truth goes to <out>.truth.jsonl")
    parser.add_argument("--force", action="store_true", help="replace an existing non-empty --out folder")
    args = parser.parse_args(argv)
    meta = generate(args.source, args.size_mb, args.seed, args.out, force=args.force)
    print(json.dumps(meta, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
