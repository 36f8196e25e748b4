"""Document structure rules that depend on the duplicate decisions.

The orphan-heading rule: a heading whose whole section was removed, at least partly as duplicate,
is removed too, because a heading with nothing under it is noise in the output. The motivating
case is a scraper that captured an article twice and the second copy carries the section headings
("What happened in the 40 hours in Balochistan?") that the first copy lacks: every paragraph under
the heading duplicates the first copy, and the heading alone would be left dangling.
"""

from __future__ import annotations

from .model import DUPLICATE_REASONS, ORPHAN_HEADING, Decision, Paragraph


def orphan_headings(paragraphs: list[Paragraph], decisions: list[Decision], protected: frozenset[int] = frozenset()) -> list[int]:
    """Indexes (into ``paragraphs``, one document in order) of kept headings to remove.

    A section runs from the heading to the next heading or the end of the document. It is
    orphaned when it is not empty, nothing in it is kept, and at least one of its paragraphs was
    removed as a duplicate (a section removed only as boilerplate, such as a heading over a
    dateline, is left alone). ``protected`` holds the paragraphs that other paragraphs were removed
    as duplicates (or variants) of: removing such a "heading" would lose its text altogether.

    >>> from corpus_dedupe.model import Paragraph, Decision
    >>> def p(i, text, heading=False):
    ...     return Paragraph("a.txt", i, i + 1, i + 1, 0, 0, text, is_heading=heading)
    >>> ps = [p(0, "Intro", True), p(1, "Body one."), p(2, "Again", True), p(3, "Body one.")]
    >>> ds = [Decision(None), Decision(None), Decision(None), Decision("exact_duplicate")]
    >>> orphan_headings(ps, ds)
    [2]
    """
    orphans: list[int] = []
    for h, heading in enumerate(paragraphs):
        if not heading.is_heading or not decisions[h].kept or h in protected:
            continue
        section = []
        for k in range(h + 1, len(paragraphs)):
            if paragraphs[k].is_heading and decisions[k].kept:
                break
            if paragraphs[k].is_heading and decisions[k].reason in DUPLICATE_REASONS:
                break
            section.append(decisions[k])
        if section and not any(d.kept for d in section) and any(d.reason in DUPLICATE_REASONS for d in section):
            orphans.append(h)
    return orphans


def apply_orphan_headings(paragraphs: list[Paragraph], decisions: list[Decision], protected: frozenset[int] = frozenset()) -> int:
    """Mark orphaned headings in place; returns how many."""
    orphans = orphan_headings(paragraphs, decisions, protected)
    for h in orphans:
        decisions[h] = Decision(ORPHAN_HEADING, rule="structure.orphan_heading")
    return len(orphans)
