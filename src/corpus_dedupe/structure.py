"""Document structure rules that depend on the duplicate decisions, decided for the whole corpus
in corpus order on the dedupe candidates (boilerplate, metadata and empty paragraphs are neither
kept nor duplicates, so they change no section and can be left out).

Two rules, one for each way a short line can be wrong after the duplicates are decided:

* **A repeated heading stays when it heads different content.** "Meal 1" over each of six meal
  plans on one page, "CIVIL RIGHTS" over a section of two different speeches: the line is an
  exact duplicate, but what it heads is not, and removing it would merge the sections into one
  unlabelled list. A short line goes as a duplicate only with what it heads: when nothing under
  it is kept, or when it repeats its own document's title (seed 004 holds its article twice, the
  second time as a rewrite under the title again: a second version of the document).
* **An orphaned heading goes.** A heading inside a second copy of its own document's text goes
  with it: when its whole section was removed, as copies of paragraphs of the same document, and
  the paragraph before it was removed as such a copy too. A scraper that captured an article twice
  carries section headings in the second copy ("What happened in the 40 hours in Balochistan?",
  seed 003) that the first copy lacks, and each would be left dangling. A heading over paragraphs
  copied from other documents, or preceded by kept text, is unique text and stays (a bug title
  "Downloader goes into -ve numbers after 2 Gb limit is reached" followed by posts that were
  copies of other threads).

Both are decided from a document's own paragraphs only: a paragraph that a later document copies
is no different for it (an exact copy of a document added at the end of a corpus leaves every
earlier document's output as it was). A later copy of a heading that was removed as an orphan
follows it (it is removed as an orphan heading too), so that every ``duplicate_of`` still names a
kept paragraph.
"""

from __future__ import annotations

import re

import numpy as np

from .boilerplate import is_sentence_shaped
from .cluster import EXACT, KEEP
from .model import Paragraph

KEPT, DUPLICATE, OTHER = 0, 1, 2
ORPHAN_RULE = "structure.orphan_heading"


def labels_that_stay_rare(bounds: list[int], is_heading: np.ndarray, is_label: np.ndarray, code: np.ndarray,
                          duplicate_of: np.ndarray, other: np.ndarray, site: np.ndarray, key_hash: np.ndarray,
                          min_documents: int) -> np.ndarray:
    """``is_label`` less the labels whose restoring would put their line in ``min_documents`` or
    more outputs of one site. Restored ("Meal 1" over each plan, "CIVIL RIGHTS" in two speeches),
    such a line would be a corpus template line on a second run over the output, where the copies
    that grouped its documents are gone: the output must be a fixed point of the tool. Counted
    are the documents whose output carries the line: where it is kept, and where rule 1 of
    :func:`settle_headings` would restore it (an exact copy of a document restores nothing: its
    sections are copies too, so adding one changes no count)."""
    allowed = is_label.copy()
    candidates = np.flatnonzero(is_label & (code == EXACT))
    candidates = candidates[candidates >= bounds[0]]  # (rows before the first document: an index's, settled in their batch)
    if len(candidates) == 0:
        return allowed
    would: list[int] = []
    doc_of_candidate = np.searchsorted(bounds, candidates, side="right") - 1
    for d in np.unique(doc_of_candidate).tolist():
        lo, hi = bounds[d], bounds[d + 1]
        heading = is_heading[lo:hi].tolist()
        state = [OTHER if other[c] else DUPLICATE if code[c] else KEPT for c in range(lo, hi)]
        title = _first_kept(state, lo)
        for c in candidates[doc_of_candidate == d].tolist():
            if _heads_new_content(c - lo, lo, int(duplicate_of[c]), title, heading, state, is_heading):
                would.append(c)
    if not would:
        return allowed
    keys = np.unique(key_hash[would])
    carries = (code == KEEP) & ~other
    carries[: bounds[0]] = False  # rows before the first document: an index's (incremental.py), counted in their own batch
    carries[would] = True
    carriers = np.flatnonzero(np.isin(key_hash, keys) & carries)
    doc_of_carrier = np.searchsorted(bounds, carriers, side="right") - 1
    seen = np.unique(np.stack([site[carriers].astype(np.uint64), key_hash[carriers], doc_of_carrier.astype(np.uint64)]), axis=1)
    pairs, counts = np.unique(seen[:2], axis=1, return_counts=True)
    crowded = {(int(s), int(k)) for (s, k), n in zip(pairs.T.tolist(), counts.tolist()) if n >= min_documents}
    for c in would:
        if (int(site[c]), int(key_hash[c])) in crowded:
            allowed[c] = False
    return allowed


def settle_headings(bounds: list[int], is_heading: np.ndarray, is_label: np.ndarray, code: np.ndarray, duplicate_of: np.ndarray,
                    variant_of: np.ndarray, other: np.ndarray, copy_group: np.ndarray | None = None,
                    orphan_before: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """Apply both rules to the candidates of every document (``bounds[d]:bounds[d + 1]``, corpus
    order). ``code`` (0: kept, else the duplicate reason) and ``duplicate_of`` are updated in place
    for the repeated headings that stay; ``variant_of`` loses links to orphaned headings.
    ``is_label``: the headings short enough to be a label or title that a page repeats (only an
    exact duplicate of one is restored: a truncated sentence of 14 words without its full stop is
    a heading for the orphan rule, not a label).
    ``other``: candidates removed for another reason (corpus template lines). ``copy_group``: per
    candidate, the copy group of its document (documents sharing half their content paragraphs,
    see boilerplate.copy_groups): a heading repeated in another copy of its document is not
    restored, because once the copies' shared paragraphs are gone the documents are no longer
    copies, and a line in three of them would be a template line on a second run (the output
    would not be a fixed point of the tool). Returns a mask of
    the candidates removed as orphan headings (a heading, or a later copy of one) and the
    candidates restored. ``orphan_before``: the orphans among the rows before ``bounds[0]`` (an
    index's rows, settled in their own batch: see incremental.py).

    >>> import numpy as np
    >>> heading = np.array([1, 0, 1, 0, 1, 0], dtype=bool)      # "Plan", body, "Meal 1", body, "Meal 1", body
    >>> code = np.array([0, 0, 0, 0, 1, 0], dtype=np.int8)     # the second "Meal 1" is an exact duplicate
    >>> dup = np.array([-1, -1, -1, -1, 2, -1], dtype=np.int32)
    >>> orphan, restored = settle_headings([0, 6], heading, heading, code, dup, np.full(6, -1), np.zeros(6, dtype=bool))
    >>> restored, code.tolist(), bool(orphan.any())
    ([4], [0, 0, 0, 0, 0, 0], False)
    """
    orphan = np.zeros(len(code), dtype=bool)
    if orphan_before is not None:
        orphan[: len(orphan_before)] = orphan_before
    restored: list[int] = []
    running = np.concatenate(([0], np.cumsum(is_heading, dtype=np.int64)))
    has_heading = (running[bounds[1:]] - running[bounds[:-1]]).tolist() if len(bounds) > 1 else []
    follows_orphan: set[int] = set()
    for d in range(len(bounds) - 1):
        lo, hi = bounds[d], bounds[d + 1]
        if hi <= lo:
            continue
        # Later copies of headings removed as orphans follow them (only these can point at one).
        if orphan[:lo].any():
            for c in range(lo, hi):
                target = int(duplicate_of[c])
                if code[c] and target >= 0 and orphan[target]:
                    orphan[c] = True
                    follows_orphan.add(c)
                if variant_of[c] >= 0 and orphan[int(variant_of[c])]:
                    variant_of[c] = -1
        if not has_heading[d]:
            continue
        _settle_document(lo, hi, is_heading, is_label, code, duplicate_of, variant_of, other, orphan, restored, copy_group)
    return orphan, restored


def _settle_document(lo: int, hi: int, is_heading: np.ndarray, is_label: np.ndarray, code: np.ndarray, duplicate_of: np.ndarray,
                     variant_of: np.ndarray, other: np.ndarray, orphan: np.ndarray, restored: list[int],
                     copy_group: np.ndarray | None) -> None:
    heading = is_heading[lo:hi].tolist()
    label = is_label[lo:hi].tolist()
    exact = (code[lo:hi] == EXACT).tolist()
    state = [OTHER if other[c] or orphan[c] else DUPLICATE if code[c] else KEPT for c in range(lo, hi)]
    targets = duplicate_of[lo:hi].tolist()
    n = hi - lo
    # Rule 1: a duplicated heading over kept content stays (_heads_new_content), unless it is
    # repeated in another copy of this document.
    title = _first_kept(state, lo)
    for k in range(n):
        if not label[k] or not exact[k] or state[k] != DUPLICATE:
            continue
        if copy_group is not None and not lo <= targets[k] < hi and copy_group[targets[k]] == copy_group[lo]:
            continue  # repeated in another copy of this document
        if _heads_new_content(k, lo, targets[k], title, heading, state, is_heading):
            state[k] = KEPT
            code[lo + k] = 0
            duplicate_of[lo + k] = -1
            restored.append(lo + k)
    # Rule 2: a kept heading whose section is removed as copies of this document's own paragraphs,
    # in a run of such copies, goes; unless a paragraph of this document was removed as its copy
    # (or is its variant).
    protected = {t - lo for t in duplicate_of[lo:hi].tolist() + variant_of[lo:hi].tolist() if lo <= t < hi}
    for k in range(n):
        if not heading[k] or state[k] != KEPT or k in protected:
            continue
        before = next((state[j] for j in range(k - 1, -1, -1) if state[j] != OTHER), None)
        if before != DUPLICATE:
            continue
        section = _section(k, heading, state)
        copies = [j for j in section if state[j] == DUPLICATE]
        if section and copies and not any(state[j] == KEPT for j in section) and all(lo <= targets[j] < hi for j in copies):
            orphan[lo + k] = True


def _first_kept(state: list[int], lo: int) -> int:
    """The document's title as a second run over the output would see it: its first kept
    candidate (-1: none)."""
    return next((lo + k for k, s in enumerate(state) if s == KEPT), -1)


def _heads_new_content(k: int, lo: int, target: int, title: int, heading: list[bool], state: list[int],
                       is_heading: np.ndarray) -> bool:
    """Whether the duplicated heading at ``k`` (a copy of ``target``) heads kept content and
    repeats a heading that is neither this document's title nor the line kept just before it (a
    copy of a sentence that lost its full stop is no repeated heading)."""
    if not is_heading[target] or target in (title, _kept_before(k, state, lo)):
        return False
    return any(state[j] == KEPT for j in _section(k, heading, state))


def _kept_before(k: int, state: list[int], lo: int) -> int:
    """The candidate kept last before ``k`` (as the output will show it; -1: none): a heading that
    repeats it is a stutter, not a label over new content."""
    return next((lo + j for j in range(k - 1, -1, -1) if state[j] == KEPT), -1)


def _section(k: int, heading: list[bool], state: list[int]) -> list[int]:
    """The candidates a heading at ``k`` heads: up to the next heading that is kept or removed as
    a duplicate (a heading removed for another reason is part of the section)."""
    section = []
    for j in range(k + 1, len(heading)):
        if heading[j] and state[j] in (KEPT, DUPLICATE):
            break
        section.append(j)
    return section


_SECTION_LABEL = re.compile(r"[IVXLC]+\.?|\d{1,2}[.)]?|[^\w\s]*\w+(?:\s+\w+)?[^\w\s]*")  # "II.", "3.", one or two words


def section_headings(undecided: list[Paragraph]) -> list[int]:
    """Positions of section headings between prose: a label ("II.", "CONCLUSION", "Agriculture":
    upper case, a number, or one or two words) with prose among the two paragraphs before it and
    prose after it: the next paragraph reads as content or is a short statement ("IV." over
    "Tonight the cup of peril is full in Vietnam."), or the next is a heading over prose ("IV."
    over "EDUCATION" over a part of a speech). A masthead on a document's first line, a promotion
    between paragraphs ("Tap here for more mountain stories") are not such labels. Such a line is
    never a corpus template line where it stands (the pipeline takes these positions out of the
    template lines), however many documents of a site carry it."""
    found = []
    for pos, p in enumerate(undecided[:-1]):
        if p.prose or pos == 0 or not any(q.prose for q in undecided[max(0, pos - 2):pos]):
            continue
        text = p.text.strip()
        if not (text.isupper() or _SECTION_LABEL.fullmatch(text)):
            continue
        after = undecided[pos + 1]
        if (after.prose or is_sentence_shaped(after.text)
                or (after.is_heading and pos + 2 < len(undecided) and undecided[pos + 2].prose)):
            found.append(pos)
    return found
