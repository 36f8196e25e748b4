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

Extended kinds (``--extended``)
-------------------------------
Off by default (the default corpus is byte-identical to what this generator always wrote). With
``--extended`` the corpus also holds copies that cut a paragraph's lines differently
(``break_moved``, ``case_break_moved``), one-word edits of short paragraphs (``short_edit``),
truncated copies of edited copies (``copy_of_copy``), and short lines that look like duplicates but
must be kept: unique headlines above duplicates (``unique_short_line``), headings that differ from
an earlier one only by a name, letter or identifier (``name_variant``) and labels repeated above
different content (``repeated_label``). Each keep-kind line has an origin of its own, so the
"same origin as an earlier paragraph" rule still says which paragraphs are duplicates. Every truth
record then also carries ``lines`` ([first, last]), and a copy its ``source`` (where its origin
was first written; for ``copy_of_copy`` also ``via``, the edited copy it was cut from).
benchmarks/kinds.py scores a dedupe run per kind.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
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
KINDS = ("original", *DUPLICATE_KINDS, "boilerplate")  # what a default corpus holds
# --extended adds these; the default corpus never has them (and is unchanged by their existence).
EXTENDED_DUPLICATE_KINDS = ("break_moved", "case_break_moved", "short_edit", "copy_of_copy")
KEEP_KINDS = ("unique_short_line", "name_variant", "repeated_label")  # short lines that must be kept
ALL_DUPLICATE_KINDS = (*DUPLICATE_KINDS, *EXTENDED_DUPLICATE_KINDS)
ORIGINAL_KINDS = ("original", *KEEP_KINDS)  # not duplicates: removing one is a precision error
ALL_KINDS = ("original", *ALL_DUPLICATE_KINDS, *KEEP_KINDS, "boilerplate")

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
# --- extended kinds (--extended) ---------------------------------------------------------------
# Slot kind weights in extended corpora: the default kinds, somewhat less of each, and the new ones.
EXTENDED_SLOT_KIND_WEIGHTS = {
    "exact": 0.20,
    "near_edit": 0.14,
    "case_punct": 0.10,
    "truncated": 0.08,
    "rewrapped": 0.12,
    "mojibake": 0.06,
    "break_moved": 0.12,
    "case_break_moved": 0.08,
    "short_edit": 0.10,
    "copy_of_copy": 0.08,
}
SHORT_WORDS = (8, 20)  # short originals: verbatim source paragraphs of this many words
SHORT_ORIGINAL_SHARE = 0.07  # of original slots, while the short source paragraphs last
BREAK_FIRST_WORDS = (1, 3)  # a moved break leaves this many words on the first line
BREAK_TRAILING_SPACE_SHARE = 0.5  # "It is possible \nto open ...": a space before the break
BREAK_WRAP_SHARE = 0.3  # the rest of the paragraph is hard-wrapped too (when long enough)
UNIQUE_LINE_RATE = 0.15  # of slot duplicates, preceded by a unique headline-like line
UNIQUE_LINE_WORDS = (3, 10)
UNIQUE_LINE_REAL_SHARE = 0.4  # of unique lines, a real short heading of the source while they last
LABEL_RATE = 0.06  # of originals, preceded by a repeated label
LABEL_WORDS = (1, 4)
LABEL_SAME_DOCUMENT_SHARE = 0.3  # a label already used in this document, when there is one
NAME_VARIANT_RATE = 0.03  # of originals, preceded by a heading of a name-variant family
NAME_VARIANT_STARTED_SHARE = 0.7  # continue a family that has appeared before, when there is one
GENERIC_LABELS = (
    "Meal 1", "Meal 2", "Pre-Workout Meal", "Post-Workout Meal", "Background", "Key Points",
    "Summary", "Recommendations", "Foreign Policy", "The Economy", "Next Steps", "Our Goals",
)
# The presidents whose speeches are the source, for headings that differ only by the name.
PRESIDENTS = (
    "George Washington", "John Adams", "Thomas Jefferson", "James Madison", "James Monroe",
    "John Quincy Adams", "Andrew Jackson", "Martin Van Buren", "William Henry Harrison",
    "James K. Polk", "Zachary Taylor", "Franklin Pierce", "James Buchanan", "Abraham Lincoln",
    "Ulysses S. Grant", "Rutherford B. Hayes", "James A. Garfield", "Grover Cleveland",
    "Benjamin Harrison", "William McKinley", "Theodore Roosevelt", "William Howard Taft",
    "Woodrow Wilson", "Warren G. Harding", "Calvin Coolidge", "Herbert Hoover",
    "Franklin D. Roosevelt", "Harry S. Truman", "Dwight D. Eisenhower", "John F. Kennedy",
    "Lyndon B. Johnson", "Richard Nixon", "Gerald R. Ford", "Jimmy Carter", "Ronald Reagan",
    "George H.W. Bush", "Bill Clinton", "George W. Bush", "Barack Obama", "Donald J. Trump",
    "Joseph R. Biden",
)
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
_LETTERS = tuple("ABCDEFGHJKLM")
# Heading families: (template, slot). Members of a family differ only in the slot's value: a name
# ("... by George H.W. Bush" / "... by George W. Bush"), a letter ("Meal Plan A" / "Meal Plan B")
# or an identifier (a year, a number). "year" takes the years of the source files.
NAME_VARIANT_FAMILIES = (
    ("State of the Union Address by {}", "name"),
    ("Inaugural Address of President {}", "name"),
    ("Remarks by {} to the Congress", "name"),
    ("Annual Message to the Congress, {}", "year"),
    ("State of the Union Address, {}", "year"),
    ("Budget Message for Fiscal Year {}", "year"),
    ("Meal Plan {}", "letter"),
    ("Appendix {}", "letter"),
    ("Option {}: Full Funding", "letter"),
    ("Part {}", "roman"),
    ("Chapter {}: The Years Ahead", "roman"),
    ("Table {}", "number"),
    ("Recommendation No. {}", "number"),
)
_STOP_WORDS = frozenset(
    "a an the of to in on for and or but nor is are was were be been being by with as at from that this these "
    "those it its we our ours us i my me you your he she him his her they them their there here will shall would "
    "should can could may might must have has had do does did not no so than then which who whom whose what when "
    "where why how all any each also very upon into if".split()
)
_HEADLINE_WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*$")
_SHORT_LINE = re.compile(r"^[A-Z][A-Za-z ,'-]*[A-Za-z]$")  # a heading: capital first, letters, no digits, no final stop
# Short lines of the source that are no section headings: a web page's navigation, a signature.
_NOT_HEADINGS = frozenset({"state dinners", "reagan memorial page", "campaign finance database", "richard nixon"})

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


def truncate_keeping_edit(edited: str, original: str, rng: random.Random) -> str | None:
    """Like :func:`truncate` (the first 60-95 % of the words, cut mid-sentence), of an edited copy,
    keeping at least the first word where it differs from the original: a cut of the copy, not
    one of the original. None when the edit is too near the end for such a cut."""
    words, orig = edited.split(" "), original.split(" ")
    edit = next((i for i, (a, b) in enumerate(zip(words, orig)) if a != b), min(len(words), len(orig)))
    low = max(edit + 1, math.ceil(0.60 * len(words)))
    high = max(low, math.floor(0.95 * len(words)))
    cuts = [k for k in range(low, min(high, len(words) - 1) + 1) if not _COMPLETE_SENTENCE.search(words[k - 1])]
    if not cuts:
        cuts = [k for k in range(edit + 1, len(words)) if not _COMPLETE_SENTENCE.search(words[k - 1])]
    return " ".join(words[: rng.choice(cuts)]) if cuts else None


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


def title_case(text: str) -> str:
    """Every word capitalised, the rest of each word as it was ("the U.S. economy" -> "The U.S. Economy")."""
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


def break_moved(text: str, rng: random.Random) -> list[str] | None:
    """The text over two or more lines, the first break in mid-sentence after 1-3 words.

    What a PDF or e-book extraction leaves ("It is possible " / "to open the bookmark group, ..."):
    joined with spaces (the first line's trailing space, when there is one, stripped), the lines
    are the text again. The rest is one line or, sometimes, hard-wrapped at 60-75 columns. None
    when the first sentence is too short for a break in it.
    """
    words = text.split(" ")
    low, high = BREAK_FIRST_WORDS
    ks = [k for k in range(low, high + 1) if k <= len(words) - 2 and not any(_COMPLETE_SENTENCE.search(w) for w in words[:k])]
    if not ks:
        return None
    k = rng.choice(ks)
    first = " ".join(words[:k])
    if rng.random() < BREAK_TRAILING_SPACE_SHARE:
        first += " "
    rest = " ".join(words[k:])
    if len(rest) >= REWRAP_MIN_CHARS and rng.random() < BREAK_WRAP_SHARE:
        return [first, *rewrap(rest, rng.randint(*REWRAP_WIDTH))]
    return [first, rest]


def short_edit(text: str, rng: random.Random, vocab: list[str]) -> str:
    """Exactly one word substituted, deleted or inserted, as a copy editor would.

    Never a number, a capitalised word (a name, or the word starting a sentence) or the first
    word: only lower-case words are replaced or deleted, and an inserted word goes between two
    words. A deleted word is a bare one (no punctuation attached to lose); a substitute keeps the
    punctuation around the word it replaces.
    """
    tokens = text.split(" ")
    lower = [i for i, tok in enumerate(tokens) if i > 0 and (m := _ALPHA_CORE.match(tok)) and m.group(2).islower()]
    bare = [i for i in lower if tokens[i].isalpha()]
    op = rng.choice(("substitute", "delete", "insert")) if lower else "insert"
    if op == "delete" and not bare:
        op = "substitute"
    if op == "insert":
        tokens.insert(rng.randint(1, len(tokens) - 1), rng.choice(vocab))
    elif op == "delete":
        del tokens[rng.choice(bare)]
    else:
        i = rng.choice(lower)
        head, core, tail = _ALPHA_CORE.match(tokens[i]).groups()
        new = rng.choice(vocab)
        while new == core:
            new = rng.choice(vocab)
        tokens[i] = head + new + tail
    return " ".join(tokens)


def headline(sentence: str, rng: random.Random) -> str | None:
    """A headline made of a real sentence's content words ("Tragic fate has thrust upon us grave
    responsibilities." -> "Tragic Fate Thrust Grave Responsibilities"): 3-8 of them in order, the
    small words between them dropped, title-cased. At least one word is dropped from inside the
    run, so the headline is not a quote of the sentence. None when the sentence has no such run."""
    words = [w.strip(".,;:!?\"'()[]") for w in sentence.split(" ")]
    content = [i for i, w in enumerate(words) if _HEADLINE_WORD.match(w) and w.lower() not in _STOP_WORDS]
    low = UNIQUE_LINE_WORDS[0]
    if len(content) < low:
        return None
    n = rng.randint(low, min(8, len(content)))
    start = rng.randint(0, len(content) - n)
    picked = content[start : start + n]
    if picked[-1] - picked[0] + 1 == n:
        return None  # the words are next to each other in the sentence: a quote, not a headline
    return " ".join(words[i][:1].upper() + words[i][1:] for i in picked)


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


@dataclass
class ShortLines:
    """Real short lines of the source (the lines the pool leaves out), for the extended kinds."""

    headings: list[str]  # 4-7 words, once in the source, in no pool paragraph: unique headlines
    labels: list[str]  # 1-3 word headings ("CIVIL RIGHTS", "HOUSING") and GENERIC_LABELS: repeated labels
    years: list[str]  # the years of the source files, identifiers for name-variant headings


@functools.lru_cache(maxsize=4)
def cached_short_lines(source: str) -> ShortLines:
    return build_short_lines(Path(source), cached_pool(source))


def build_short_lines(source: Path, pool: Pool) -> ShortLines:
    """Heading-like lines of the source: letters only (no digits), no final stop or colon, fewer
    than MIN_WORDS words. 1-3 word ones become labels (they may repeat in the source; a label is
    meant to); 4-7 word ones that occur once and in no pool paragraph become unique headlines."""
    texts = read_source(source)
    counts: dict[str, int] = {}
    first: dict[str, str] = {}  # fold key -> the line as first seen; insertion (source) order
    for _, text in texts:
        for line in text.splitlines():
            line = _WS.sub(" ", line).strip()
            if not _SHORT_LINE.match(line) or len(line.split(" ")) >= MIN_WORDS:
                continue
            key = fold(line)
            if key in _NOT_HEADINGS:
                continue
            counts[key] = counts.get(key, 0) + 1
            first.setdefault(key, line)
    pool_text = " " + " \n ".join(fold(p) for p in pool.paragraphs) + " "  # words stay whole: " key " matches words
    headings, labels = [], []
    for key, line in first.items():
        n = len(key.split(" "))
        if n <= 3:
            labels.append(line)
        elif counts[key] == 1 and f" {key} " not in pool_text:
            headings.append(line)
    label_keys = {fold(label) for label in labels}
    labels += [label for label in GENERIC_LABELS if fold(label) not in label_keys]
    years = sorted({name[:4] for name, _ in ((Path(rel).name, t) for rel, t in texts) if name[:4].isdigit()})
    return ShortLines(headings=headings, labels=labels, years=years)


# --- generation --------------------------------------------------------------------------------


@dataclass
class Paragraph:
    """One paragraph as written: its lines (several only when re-wrapped), origin and kind."""

    lines: list[str]
    origin: int
    kind: str
    # Extended kinds: an earlier paragraph this one refers to, recorded in the truth under
    # ref_field ("via": the edited copy a copy_of_copy was cut from; "variant_of": the previous
    # heading of a name-variant family; "repeats": the previous use of a repeated label).
    ref: Paragraph | None = field(default=None, repr=False, compare=False)
    ref_field: str = ""
    where: tuple[str, int] | None = field(default=None, repr=False, compare=False)  # (path, line) once written


@dataclass
class Stats:
    files: int = 0
    bytes: int = 0
    paragraphs: int = 0
    real_originals: int = 0
    recombined_originals: int = 0
    short_originals: int = 0  # extended corpora: real paragraphs of SHORT_WORDS words (short_edit's sources)
    kinds: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})


class CorpusGenerator:
    """Writes documents in corpus order (sorted path order), so "earlier in the corpus" is simply
    "already generated": every duplicate refers to an origin that was already written, and the first
    occurrence of every origin is its original."""

    def __init__(self, pool: Pool, seed: int, target_bytes: int, short_lines: ShortLines | None = None):
        """``short_lines`` turns the extended kinds on (see the module docstring)."""
        self.pool = pool
        self.rng = random.Random(seed)
        self.target_bytes = target_bytes
        self.real_order = list(range(len(pool.paragraphs)))
        self.rng.shuffle(self.real_order)
        self.real_next = 0
        self.extended = short_lines is not None
        if self.extended:
            self.init_extended(short_lines)
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
        if self.extended:
            self.stats.kinds = {k: 0 for k in ALL_KINDS}

    def init_extended(self, short_lines: ShortLines) -> None:
        """State of the extended kinds. Short source paragraphs are set apart for short originals
        (so none is also used as an ordinary original: that would be an unrecorded duplicate)."""
        words = self.pool.paragraph_words
        is_short = [SHORT_WORDS[0] <= n <= SHORT_WORDS[1] for n in words]
        self.short_order = [i for i in self.real_order if is_short[i]]
        self.real_order = [i for i in self.real_order if not is_short[i]]
        self.short_next = 0
        self.used_short: list[int] = []
        self.near_edit_copies: list[Paragraph] = []  # what a copy_of_copy is cut from
        self.short_lines = short_lines
        self.headings_order = list(short_lines.headings)
        self.rng.shuffle(self.headings_order)
        self.headings_next = 0
        # Every short line's fold key, so that no two keep-kind lines are equal except a label
        # repeated on purpose (the labels' keys are taken from the start).
        self.short_keys: set[str] = {fold(label) for label in short_lines.labels}
        self.label_last: dict[str, Paragraph] = {}
        self.family_values: dict[int, list[str]] = {}  # family -> its slot values, shuffled at its first use
        self.family_next: dict[int, int] = {}
        self.family_last: dict[int, Paragraph] = {}
        self.families_started: list[int] = []
        self.first_seen: dict[int, tuple[str, int]] = {}  # origin -> (path, line) of its first occurrence

    # origins ---------------------------------------------------------------------------------

    def origin_text(self, origin: int) -> str:
        n_real = len(self.pool.paragraphs)
        if origin < n_real:
            return self.pool.paragraphs[origin]
        entry = self.recombined[origin - n_real]
        if isinstance(entry, str):  # an extended corpus's short line
            return entry
        return " ".join(self.pool.sentences[s] for s in entry)

    def line_origin(self, text: str) -> int:
        """A new origin for a keep-kind short line (its text stands where a recombined paragraph's
        sentence ids would), so that it is the only paragraph with that origin."""
        origin = len(self.pool.paragraphs) + len(self.recombined)
        self.recombined.append(text)
        return origin

    def new_origin(self) -> int:
        """A never-used paragraph: a verbatim source paragraph or a recombined one (in an extended
        corpus also a short source paragraph, the kind short_edit copies)."""
        if self.extended and self.short_next < len(self.short_order) and self.rng.random() < SHORT_ORIGINAL_SHARE:
            origin = self.short_order[self.short_next]
            self.short_next += 1
            self.used_short.append(origin)
            self.stats.real_originals += 1
            self.stats.short_originals += 1
        elif self.real_next < len(self.real_order) and self.rng.random() < self.real_share:
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
        if kind == "copy_of_copy":
            if not self.near_edit_copies:
                return None
            via = rng.choice(self.near_edit_copies)
            text = truncate_keeping_edit(via.lines[0], self.origin_text(via.origin), rng)
            return None if text is None else Paragraph([text], via.origin, kind, ref=via, ref_field="via")
        candidates = {
            "exact": self.used,
            "case_punct": self.used,
            "near_edit": self.used_editable,
            "truncated": self.used_editable,
            "rewrapped": self.used_rewrappable,
            "mojibake": self.used_mojibakeable,
            "break_moved": self.used,
            "case_break_moved": self.used,
            "short_edit": self.used_short if self.extended else [],
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
        elif kind in ("break_moved", "case_break_moved"):
            if kind == "case_break_moved":
                upper = rng.random() < 0.5
                cased = text.upper() if upper else title_case(text)
                text = cased if cased != text else (title_case(text) if upper else text.upper())
            lines = break_moved(text, rng)
            if lines is None:
                return None
        elif kind == "short_edit":
            lines = [short_edit(text, rng, self.pool.vocab)]
        else:  # mojibake
            lines = [mojibake(typographic_quotes(text))]
        return Paragraph(lines, origin, kind)

    def body(self, blank_layout: bool) -> list[Paragraph]:
        """5-40 paragraphs, ~SLOT_DUPLICATE_RATE of them duplicates, plus maybe a repeated body."""
        rng = self.rng
        slot_weights = EXTENDED_SLOT_KIND_WEIGHTS if self.extended else SLOT_KIND_WEIGHTS
        kinds = [k for k in slot_weights if blank_layout or k != "rewrapped"]
        weights = [slot_weights[k] for k in kinds]
        paragraphs: list[Paragraph] = []
        doc_origins: list[int] = []
        doc_labels: list[str] = []
        for _ in range(rng.randint(*DOC_PARAGRAPHS)):
            para = None
            if rng.random() < SLOT_DUPLICATE_RATE:
                para = self.duplicate(rng.choices(kinds, weights)[0], doc_origins)
            if para is None:
                origin = self.new_origin()
                doc_origins.append(origin)
                para = Paragraph([self.origin_text(origin)], origin, "original")
                if self.extended:
                    paragraphs.extend(self.heading_above_original(doc_labels))
            elif self.extended:
                if para.kind == "near_edit":
                    self.near_edit_copies.append(para)
                if rng.random() < UNIQUE_LINE_RATE:
                    paragraphs.extend(self.unique_short_line())
            paragraphs.append(para)
        if rng.random() < REPEAT_DOC_SHARE and len(paragraphs) >= 2 * REPEAT_PARAGRAPHS[0]:
            n = rng.randint(REPEAT_PARAGRAPHS[0], min(REPEAT_PARAGRAPHS[1], len(paragraphs) // 2))
            paragraphs.extend(Paragraph(p.lines, p.origin, "repeated_body") for p in paragraphs[:n])
        return paragraphs

    # extended keep kinds ------------------------------------------------------------------------

    def heading_above_original(self, doc_labels: list[str]) -> list[Paragraph]:
        """Nothing, a repeated label or a name-variant heading, to go above an original."""
        r = self.rng.random()
        if r < LABEL_RATE:
            return [self.repeated_label(doc_labels)]
        if r < LABEL_RATE + NAME_VARIANT_RATE:
            return self.name_variant()
        return []

    def repeated_label(self, doc_labels: list[str]) -> Paragraph:
        """A 1-4 word label ("CIVIL RIGHTS", "Meal 1") used again and again above different
        content, sometimes twice in one document. Every use is its own origin: not a duplicate."""
        rng = self.rng
        if doc_labels and rng.random() < LABEL_SAME_DOCUMENT_SHARE:
            text = rng.choice(doc_labels)
        else:
            text = rng.choice(self.short_lines.labels)
        doc_labels.append(text)
        para = Paragraph([text], self.line_origin(text), "repeated_label", ref=self.label_last.get(text), ref_field="repeats")
        self.label_last[text] = para
        return para

    def name_variant(self) -> list[Paragraph]:
        """The next heading of a family whose members differ only by a name, a letter or an
        identifier; mostly of a family that has appeared before. Empty when the families are
        used up (every heading text is used once)."""
        rng = self.rng
        started = [f for f in self.families_started if self.family_next[f] < len(self.family_values[f])]
        fresh = [f for f in range(len(NAME_VARIANT_FAMILIES)) if f not in self.family_values]
        if started and (not fresh or rng.random() < NAME_VARIANT_STARTED_SHARE):
            family = rng.choice(started)
        elif fresh:
            family = rng.choice(fresh)
            template, slot = NAME_VARIANT_FAMILIES[family]
            values = {
                "name": list(PRESIDENTS),
                "year": list(self.short_lines.years),
                "letter": list(_LETTERS),
                "roman": list(_ROMAN),
                "number": [str(n) for n in range(1, 41)],
            }[slot]
            rng.shuffle(values)
            self.family_values[family] = values
            self.family_next[family] = 0
            self.families_started.append(family)
        else:
            return []
        template = NAME_VARIANT_FAMILIES[family][0]
        while self.family_next[family] < len(self.family_values[family]):
            text = template.format(self.family_values[family][self.family_next[family]])
            self.family_next[family] += 1
            key = fold(text)
            if key in self.short_keys:
                continue
            self.short_keys.add(key)
            para = Paragraph([text], self.line_origin(text), "name_variant", ref=self.family_last.get(family),
                             ref_field="variant_of")
            self.family_last[family] = para
            return [para]
        return []

    def unique_short_line(self) -> list[Paragraph]:
        """A unique 3-10 word headline-like line (to go right above a duplicate): a real heading
        of the source used once, or a headline made of a real sentence's content words."""
        rng = self.rng
        for _ in range(100):
            if self.headings_next < len(self.headings_order) and rng.random() < UNIQUE_LINE_REAL_SHARE:
                text = self.headings_order[self.headings_next]
                self.headings_next += 1
            else:
                text = headline(self.pool.sentences[rng.randrange(len(self.pool.sentences))], rng)
            if text is None or not UNIQUE_LINE_WORDS[0] <= len(text.split(" ")) <= UNIQUE_LINE_WORDS[1]:
                continue
            key = fold(text)
            if key in self.short_keys:
                continue
            self.short_keys.add(key)
            return [Paragraph([text], self.line_origin(text), "unique_short_line")]
        return []

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
            if self.extended:  # not between a short line and the paragraph it goes with
                at = rng.choice([i for i in range(1, len(body)) if body[i - 1].kind not in KEEP_KINDS])
            else:
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
                        first = len(out_lines) + 1
                        record = {"path": rel, "line": first, "origin": para.origin, "kind": para.kind}
                        if self.extended:
                            para.where = (rel, first)
                            record["lines"] = [first, first + len(para.lines) - 1]
                            seen = self.first_seen.setdefault(para.origin, (rel, first))
                            if para.kind in ALL_DUPLICATE_KINDS:
                                record["source"] = {"path": seen[0], "line": seen[1]}
                            if para.ref is not None:
                                record[para.ref_field] = {"path": para.ref.where[0], "line": para.ref.where[1]}
                        records.append(json.dumps(record, ensure_ascii=False))
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


def generate(source: Path, size_mb: float, seed: int, out: Path, force: bool = False, extended: bool = False) -> dict:
    """Generate a corpus into ``out``; returns the metadata also written to ``<out>.meta.json``.
    ``extended``: add the extended kinds (module docstring); off, the corpus is what it always was."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise SystemExit(f"{out} exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    pool = cached_pool(str(Path(source).resolve()))
    target = int(size_mb * 1_000_000)
    short_lines = cached_short_lines(str(Path(source).resolve())) if extended else None
    generator = CorpusGenerator(pool, seed, target, short_lines)
    stats = generator.write(out, truth_path(out))
    scored = stats.paragraphs - stats.kinds["boilerplate"]
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size_mb": size_mb,
        "files": stats.files,
        "bytes": stats.bytes,
        "paragraphs": stats.paragraphs,
        "duplicate_share": round(sum(stats.kinds.get(k, 0) for k in ALL_DUPLICATE_KINDS) / max(1, scored), 4),
        "kinds": stats.kinds,
        "pool_paragraphs": len(pool.paragraphs),
        "pool_sentences": len(pool.sentences),
        "source_files": pool.source_files,
        "real_originals": stats.real_originals,
        "recombined_originals": stats.recombined_originals,
    }
    if extended:  # (a default corpus's meta has exactly the fields it always had)
        meta["extended"] = True
        meta["short_originals"] = stats.short_originals
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
    parser.add_argument("--extended", action="store_true",
                        help="also write the extended kinds (break_moved, case_break_moved, short_edit, copy_of_copy, "
                             "unique_short_line, name_variant, repeated_label); off: the default corpus, unchanged")
    args = parser.parse_args(argv)
    meta = generate(args.source, args.size_mb, args.seed, args.out, force=args.force, extended=args.extended)
    print(json.dumps(meta, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
