"""Baseline: paragraph dedupe as a user would hand-write it from datasketch's README.

This is the point of comparison for corpus-dedupe, so it is deliberately the straightforward
version and not a tuned one: lower-case, word 5-gram shingles, one ``MinHash(num_perm=128)`` per
paragraph fed with ``update(shingle.encode())`` per shingle, and a ``MinHashLSH(threshold=0.8)``
index. Paragraphs are visited in corpus order (sorted relative path, then line); each is queried
before it is inserted, and keep-first applies: a paragraph with any hit is flagged as a duplicate
(and not inserted), otherwise it is inserted as a keeper. No text repair, no containment check.

Usage::

    python benchmarks/baseline_datasketch.py CORPUS [--out flagged.json]

CORPUS is a folder of text files, or a ``.jsonl`` file of one document per row (the row's ``text``
field; ``id`` names it): the rows are visited in file order and split into paragraphs as a file's
text is.

Output: a JSON list of the flagged paragraphs, ``[{"path": ..., "line": ...}, ...]``, with
``path`` relative to CORPUS (posix; for a JSONL row its ``id``, or its row number from 0 when it
has none) and ``line`` the 1-based first line of the paragraph (in the row's text).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterator

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.8
SHINGLE_WORDS = 5


def iter_documents(root: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every document: the files under a folder in sorted relative path order,
    or the rows of a JSONL file in file order (named by their ``id``, else their row number)."""
    if root.is_file() and root.suffix == ".jsonl":
        with root.open(encoding="utf-8") as f:
            row = 0
            for line in f:
                if not line.strip():
                    continue
                record = json.loads(line)
                ident = record.get("id")
                yield (str(row) if ident is None else str(ident)), record["text"]
                row += 1
        return
    files = sorted((p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file())
    for rel, path in files:
        yield rel, path.read_text(encoding="utf-8", errors="replace")


def iter_paragraphs(root: Path) -> Iterator[tuple[str, int, str]]:
    """(relative path, first line, text) of every paragraph under ``root``, in corpus order.

    A file with a blank line between two non-empty lines uses blank-line separated blocks, whose
    lines are joined with spaces; otherwise every non-empty line is a paragraph.
    """
    for rel, text in iter_documents(root):
        lines = text.split("\n")
        nonempty = [i for i, line in enumerate(lines) if line.strip()]
        if not nonempty:
            continue
        blank_layout = any(not line.strip() for line in lines[nonempty[0] : nonempty[-1]])
        if not blank_layout:
            for i in nonempty:
                yield rel, i + 1, lines[i].strip()
            continue
        block: list[str] = []
        start = 0
        for i, line in enumerate(lines):
            if line.strip():
                if not block:
                    start = i + 1
                block.append(line.strip())
            elif block:
                yield rel, start, " ".join(block)
                block = []
        if block:
            yield rel, start, " ".join(block)


def shingles(text: str) -> set[str]:
    """Lower-cased word 5-grams; a paragraph with fewer words is one shingle of all of them."""
    words = text.lower().split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)}
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def find_duplicates(root: Path) -> list[dict]:
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    flagged = []
    for key, (rel, line, text) in enumerate(iter_paragraphs(root)):
        m = MinHash(num_perm=NUM_PERM)
        for shingle in shingles(text):
            m.update(shingle.encode("utf-8"))
        if lsh.query(m):
            flagged.append({"path": rel, "line": line})
        else:
            lsh.insert(key, m)
    return flagged


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="datasketch MinHashLSH paragraph dedupe baseline")
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--out", type=Path, help="write the JSON list here instead of stdout")
    args = parser.parse_args(argv)
    flagged = find_duplicates(args.corpus)
    text = json.dumps(flagged)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


if __name__ == "__main__":
    main()
