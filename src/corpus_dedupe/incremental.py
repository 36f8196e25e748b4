"""A batch decided against an index of earlier batches (``dedupe SRC DST --index DIR``), with the
decisions that one run over all batches (in batch order) gives the batch's paragraphs.

Keep-first decides each paragraph from earlier paragraphs only, so a batch that comes after the
indexed ones needs, of all earlier paragraphs, just those its decisions can read:

* the first paragraph of each of its match keys (an exact copy points at it, or follows its
  decision when it was removed);
* the first ``cluster._BUCKET_KEEP`` members of each LSH bucket its paragraphs fall in (the only
  ones a later member is compared with; removed paragraphs hold such places too);
* the paragraphs those point at (``duplicate_of``, ``variant_of``, the paragraph kept in place of
  a removed moved-break piece), to follow a chain of copies to the paragraph that was kept.

These rows (a few per paragraph of the batch, whatever the size of the index) are placed before
the batch's candidates, with their state at each step of the big run
(:class:`cluster.PriorState`), and the same stage functions run over both: exact copies,
candidate pairs (only the batch's rows get pairs), verification, the keep-first loop (over the
batch's rows), copies of copies, moved-break pieces, orphan headings.

Stages that count across documents cannot be exact without re-reading earlier batches, and a
batch's output, once written, is not rewritten. What they do instead:

* corpus template lines: a line is a template line of this batch when the documents of this
  batch and of the indexed batches that carried it reach ``--template-min-documents``. Earlier
  batches' copies of it stay (they were written before the count was reached); once reached, the
  line is removed from every later batch. Copies of one article count once inside a batch; across
  batches each batch's documents count.
* copy groups (headings repeated in another copy of the document are not restored) and the count
  of restored labels: within the batch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from .cluster import (_BUCKET_KEEP, _COPY_OF_COPY_VERIFY, _MAX_VERIFY, KEEP, REASON_OF_CODE, ClusterResult, ExactCopies, KeyStore, PriorState,
                      StageStates, _add_short_key_columns, _in_threads, absorb_fragments, candidate_pairs, find_exact, first_of_each_row,
                      keep_first, verify_pairs)
from .boilerplate import TemplateLineCounts
from .fingerprint import Fingerprints, SparseColumn, key_hashes
from .index import _EXACT_TABLE, FLAG_ABSORBED, FLAG_ORPHAN, FLAG_TEMPLATE, Index, presence_filter, sorted_distinct

_CLOSURE_ROUNDS = 8  # chains of copies are short (a target is kept, or points at a kept one)


@dataclass
class PriorRows:
    """The index rows a batch's decisions read (global row numbers), and what the stages need of
    each. The rows reached through the batch's keys and buckets come first, in corpus order;
    then the rows those point at (:func:`complete_prior`), which are in no bucket here."""

    rows: np.ndarray
    key_hash: np.ndarray
    n_words: np.ndarray
    heading: np.ndarray
    sketch: np.ndarray
    columns: list[tuple[np.ndarray, np.ndarray]]  # per bucket column: the rows (increasing) in a bucket a batch row shares, and its key
    codes: np.ndarray  # (rows, 3) int8: after the loop, after copies of copies, final
    state: PriorState | None = None
    orphan: np.ndarray | None = None
    heirs: dict[int, int] = field(default_factory=dict)  # (row numbers of the combined arrays)

    @property
    def m(self) -> int:
        return len(self.rows)


def gather_prior(index: Index, fp: Fingerprints, n_columns: int, threads: int = 1) -> PriorRows:
    """The index rows that the batch with fingerprints ``fp`` (short-key columns added) reaches
    through its keys (the first row of each) and its buckets (the first _BUCKET_KEEP members
    of each), with what the candidate search needs of them. ``threads``: bucket columns looked
    up at once (numpy's searches release the GIL)."""
    wanted: list[np.ndarray] = []
    live = fp.n_words > 0
    first = index.first_rows_of(fp.key_hash[live]) if index.rows else np.zeros(0, dtype=np.int64)
    wanted.append(first[first >= 0])

    def members(c: int) -> tuple[int, np.ndarray, np.ndarray]:
        values = sorted_distinct(fp.column(c))
        values = values[values != 0]
        which, rows = index.bucket_members(c, values, _BUCKET_KEEP)
        return c, rows, values[which]

    membership = _in_threads(members, range(n_columns), threads) if index.rows else []  # (column, global rows, their bucket key)
    wanted.extend(rows for _, rows, _ in membership)
    rows = sorted_distinct(np.concatenate(wanted)) if wanted else np.zeros(0, dtype=np.int64)
    m = len(rows)
    columns: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64))] * n_columns
    for c, member_rows, member_values in membership:
        by_row = np.argsort(member_rows, kind="stable")  # (a row is in one bucket of a column)
        columns[c] = (np.searchsorted(rows, member_rows[by_row]), member_values[by_row])  # (increasing queries: a faster search)
    return PriorRows(rows, *_row_facts(index, rows, fp.sketch.shape[1], threads), columns, _gather(index, rows, "state", (3,), np.int8))


def _gather(index: Index, rows: np.ndarray, name: str, shape: tuple, dtype) -> np.ndarray:
    if len(rows) == 0:
        return np.zeros((0, *shape), dtype=dtype)
    return index.gather(rows, name).reshape(len(rows), *shape).astype(dtype)


def _row_facts(index: Index, rows: np.ndarray, sketch_width: int, threads: int = 1) -> tuple:
    """Key hash, word count, heading flag and sketch of index ``rows`` (read in ``threads``
    threads: numpy's gathers from the memory maps release the GIL)."""
    wanted = (("key_hash", (), np.uint64), ("n_words", (), np.int32), ("heading", (), bool), ("sketch", (sketch_width,), np.uint8))
    return tuple(_in_threads(lambda spec: _gather(index, rows, *spec), wanted, threads))


def _in_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``np.isin(values, table)`` for a sorted ``table``, by a binary search."""
    if len(table) == 0:
        return np.zeros(len(values), dtype=bool)
    return table[np.minimum(np.searchsorted(table, values), len(table) - 1)] == values


def complete_prior(index: Index, prior: PriorRows, reached: np.ndarray) -> PriorRows:
    """``prior`` with the rows that its ``reached`` rows (those the batch's decisions read:
    compared with a batch row, or the first of a batch row's key) point at, appended, and their
    states after each step: a copy of a copy follows its target's target, and a removed
    moved-break piece the row kept in its place."""
    heirs_global = index.heirs() if index.rows else {}
    live_rows = prior.rows[reached]  # global, sorted: the rows whose states are read
    frontier = live_rows
    gathered_rows, gathered_dup, gathered_flags = [], [], []  # of the reached rows, then of each round's new ones
    for _ in range(_CLOSURE_ROUNDS + 1):
        if not len(frontier):
            break
        dup = _gather(index, frontier, "dup", (4,), np.int64)
        flags = _gather(index, frontier, "flags", (), np.uint8)
        gathered_rows.append(frontier)
        gathered_dup.append(dup)
        gathered_flags.append(flags)
        absorbed = frontier[(flags & FLAG_ABSORBED) != 0]
        more = sorted_distinct(np.concatenate([dup.reshape(-1), np.array([heirs_global.get(int(g), -1) for g in absorbed.tolist()], dtype=np.int64)]))
        more = more[more >= 0]
        # A row pointed at may be among the bucket members already without being reached: it
        # becomes live all the same. (np.setdiff1d, np.union1d and np.isin go through np.unique,
        # slow in numpy 2.4: see sorted_distinct.)
        frontier = more[~_in_sorted(more, live_rows)]
        live_rows = np.sort(np.concatenate([live_rows, frontier]))
    pointed = np.concatenate(gathered_rows) if gathered_rows else np.zeros(0, dtype=np.int64)
    extra = sorted_distinct(pointed[~_in_sorted(pointed, prior.rows)])
    rows = np.concatenate([prior.rows, extra])
    m = len(rows)
    key_hash, n_words, heading, sketch = _row_facts(index, extra, prior.sketch.shape[1])
    out = PriorRows(rows, np.concatenate([prior.key_hash, key_hash]), np.concatenate([prior.n_words, n_words]),
                    np.concatenate([prior.heading, heading]), np.concatenate([prior.sketch, sketch]),
                    prior.columns,  # (the rows added are in no bucket)
                    np.concatenate([prior.codes, _gather(index, extra, "state", (3,), np.int8)]))
    order = np.argsort(rows, kind="stable")

    def local(values: np.ndarray) -> np.ndarray:
        at = order[np.minimum(np.searchsorted(rows[order], values), m - 1)] if m else np.zeros(len(values), dtype=np.int64)
        return np.where(values >= 0, at, -1).astype(np.int64)

    # What the decisions read of a row is only read of the live ones.
    live = local(pointed)
    dup = np.full((m, 4), -1, dtype=np.int64)
    sim = np.full((m, 3), np.nan, dtype=np.float64)
    flags = np.zeros(m, dtype=np.uint8)
    if len(gathered_rows):
        dup[live] = np.concatenate(gathered_dup)
        flags[live] = np.concatenate(gathered_flags)
        sim[live] = _gather(index, rows[live], "sim", (3,), np.float64)
    out.state = PriorState(m, out.codes[:, 0].copy(), local(dup[:, 0]), sim[:, 0].copy(), out.codes[:, 1].copy(), local(dup[:, 1]),
                           sim[:, 1].copy())
    out.orphan = (flags & FLAG_ORPHAN) != 0
    for g in np.flatnonzero((flags & FLAG_ABSORBED) != 0).tolist():
        e = heirs_global.get(int(rows[g]), -1)
        out.heirs[g] = int(local(np.array([e]))[0]) if e >= 0 else -1
    return out


class CombinedKeys:
    """The match keys of a batch's combined rows: the index rows ``rows`` (global row numbers)
    first, then the batch's own (``batch``), each index row's read from the index when asked
    for. The verification tasks ask for a few thousand at once (:meth:`many`); the keep-first
    loop and absorb_fragments for a few hundred, one at a time. Reading every row a decision
    might read up front (about 100,000 keys of a 20 MB batch against 1 GB) took 0.3 s before any
    pair could be compared."""

    def __init__(self, index: Index, rows: np.ndarray, batch: KeyStore) -> None:
        self.index, self.rows, self.batch, self.m = index, rows, batch, len(rows)

    def __len__(self) -> int:
        return self.m + len(self.batch)

    def __getitem__(self, i: int) -> str:
        if i >= self.m:
            return self.batch[i - self.m]
        blob, _ = self.index.keys_encoded(self.rows[i : i + 1])
        return blob.decode("utf-8")

    def cached(self, size: int = 65536):
        return functools.lru_cache(maxsize=size)(self.__getitem__)

    def many(self, indexes: np.ndarray) -> list[str]:
        """The keys at ``indexes``, in that order (the index rows read in the index's order)."""
        indexes = np.asarray(indexes, dtype=np.int64)
        out: list[str] = [""] * len(indexes)
        old = np.flatnonzero(indexes < self.m)
        if len(old):
            wanted = self.rows[indexes[old]]
            order = np.argsort(wanted, kind="stable")
            blob, lengths = self.index.keys_encoded(wanted[order])
            ends = np.cumsum(lengths).tolist()
            for place, start, end in zip(old[order].tolist(), [0, *ends[:-1]], ends):
                out[place] = blob[start:end].decode("utf-8")
        new = np.flatnonzero(indexes >= self.m)
        if len(new):
            for place, key in zip(new.tolist(), self.batch.many(indexes[new] - self.m)):
                out[place] = key
        return out


def combined_fingerprints(prior: PriorRows, fp: Fingerprints, heading: np.ndarray) -> Fingerprints:
    return Fingerprints(
        np.concatenate([prior.key_hash, fp.key_hash]),
        np.concatenate([prior.n_words, fp.n_words]),
        [_combined_column(prior.columns[c], fp.column(c), prior.m) for c in range(fp.n_columns)],
        np.concatenate([prior.sketch, fp.sketch]),
        np.concatenate([prior.heading, heading]),
    )


def _combined_column(prior_entries: tuple[np.ndarray, np.ndarray], batch_column: np.ndarray, m: int) -> SparseColumn:
    """A bucket column of the prior rows (their entries) and the batch's rows after them."""
    batch_rows = np.flatnonzero(batch_column)
    return SparseColumn(np.concatenate([prior_entries[0].astype(np.int64), batch_rows + m]),
                        np.concatenate([prior_entries[1], batch_column[batch_rows]]).astype(np.uint64), m + len(batch_column))


@dataclass
class BatchDecisions:
    """The duplicate decisions of a batch in the combined row space (prior rows first), and what
    the index keeps of them."""

    prior: PriorRows
    clusters: ClusterResult
    stages: StageStates
    absorbed: list[int]
    heirs: dict[int, int]
    copies: np.ndarray  # the batch's rows that are exact copies of an earlier row, of the index or the batch


def decide_batch(index: Index, keys: KeyStore, fp: Fingerprints, heading: np.ndarray, cand_doc: np.ndarray, cand_para: np.ndarray,
                 template_rows: dict[int, int], settings) -> BatchDecisions:
    """cluster.decide and absorb_fragments for a batch against the index."""
    if fp.n_columns == settings.bands + 2:
        _add_short_key_columns(keys, fp)
    prior = gather_prior(index, fp, fp.n_columns, settings.jobs)
    m = prior.m
    all_fp = combined_fingerprints(prior, fp, heading)
    exact = find_exact(all_fp)
    exact.exact[:m] = False  # an index row is no exact copy here (it is the first of its key, or a bucket member)
    # Only the batch's rows get pairs (all bucket columns are there: the keys are not read).
    pairs = candidate_pairs(keys, all_fp, exact, settings, from_row=m)
    reached = np.zeros(m, dtype=bool)
    if m:
        # The keep-first loop skips an index row that was removed in the loop, and compares a
        # row with at most _MAX_VERIFY kept candidates (index rows kept in the loop, or batch rows,
        # which may be kept): only those index rows' texts can be read there (most of a popular
        # paragraph's bucket places are its removed copies). Copies of copies compare a kept row
        # with its first two removed candidates.
        old_j = pairs.cand_j < m
        removed_j = np.zeros(len(pairs.cand_j), dtype=bool)
        removed_j[old_j] = prior.codes[pairs.cand_j[old_j], 0] != KEEP
        pairs.ahead = _pairs_ahead(pairs.cand_i, removed_j, exact.exact)
        # A row's candidates before an index row that was kept: at least the index rows kept
        # before it are kept (batch rows may turn out removed), so it is read when fewer than
        # _MAX_VERIFY of those come first.
        reached[pairs.cand_j[first_of_each_row(pairs.cand_i, np.flatnonzero(old_j & ~removed_j), _MAX_VERIFY)]] = True
        reached[pairs.cand_j[first_of_each_row(pairs.cand_i, np.flatnonzero(removed_j), _COPY_OF_COPY_VERIFY)]] = True
        reached[exact.first_of[m:][exact.first_of[m:] < m]] = True  # the first rows of the batch's keys
    # The comparisons start now, in workers, while the rows the reached ones point at are read.
    verdicts = verify_pairs(CombinedKeys(index, prior.rows, keys), pairs, settings)
    stages: list = []
    try:
        # The rows those point at come after the reached ones (in no bucket: the pairs stay as
        # they are, the batch's rows move up).
        prior = complete_prior(index, prior, np.flatnonzero(reached))
        shift = prior.m - m
        if shift:
            pairs.cand_i = pairs.cand_i + shift
            pairs.cand_j = np.where(pairs.cand_j >= m, pairs.cand_j + shift, pairs.cand_j).astype(pairs.cand_j.dtype)
            pairs.active = pairs.active + shift
            # The added rows are the first of no batch row's key (those were reached already).
            first_of = np.where(exact.first_of >= m, exact.first_of + shift, exact.first_of)
            exact = ExactCopies(np.concatenate([first_of[:m], np.arange(m, prior.m), first_of[m:]]),
                                np.concatenate([exact.exact[:m], np.zeros(shift, dtype=bool), exact.exact[m:]]))
            m = prior.m
        all_keys = CombinedKeys(index, prior.rows, keys)
        verdicts.renumber(pairs.cand_i, pairs.cand_j, all_keys)
        n_words = np.concatenate([prior.n_words, fp.n_words])  # (the bucket columns are done with)
        n = len(n_words)
        clusters = keep_first(n, exact, pairs, verdicts, prior.state, stages)
    finally:
        verdicts.close()
    doc_of = np.concatenate([np.full(m, -1, dtype=np.int64) - np.arange(m), cand_doc.astype(np.int64)])
    para_of = np.concatenate([np.zeros(m, dtype=np.int64), cand_para.astype(np.int64)])
    heirs = dict(prior.heirs)
    template = {c + m: count for c, count in template_rows.items()}
    absorbed = absorb_fragments(all_keys, n_words, clusters, doc_of, para_of, settings, template, first_row=m, heirs=heirs)
    return BatchDecisions(prior, clusters, stages[0], absorbed, heirs, exact.exact[m:].copy())


def _pairs_ahead(cand_i: np.ndarray, removed_j: np.ndarray, is_exact: np.ndarray) -> np.ndarray:
    """The pairs to compare ahead of the keep-first loop in a batch against an index (the
    decisions do not depend on it; any other pair the loop asks for is compared there, one at a
    time in this process). The loop passes over an index row removed in the loop and compares a
    row with its first _MAX_VERIFY other candidates; copies of copies compare a kept row with
    its first _COPY_OF_COPY_VERIFY removed ones (an index row removed in the loop is a near or
    contained copy: exact copies are in no bucket), and an exact copy is never kept. On a 20 MB
    batch against 1 GB, taking the first _MAX_VERIFY pairs of each row as in one run, without
    those of removed index rows, left 28,500 pairs to the loop, 0.45 s in this process."""
    loop = first_of_each_row(cand_i, np.flatnonzero(~removed_j), _MAX_VERIFY)
    copies = first_of_each_row(cand_i, np.flatnonzero(removed_j & ~is_exact[cand_i]), _COPY_OF_COPY_VERIFY)
    return np.sort(np.concatenate([loop, copies]))


def batch_result(decisions: BatchDecisions, index: Index) -> "BatchResult":
    """The batch's own ClusterResult (its rows only). A ``duplicate_of`` or ``variant_of`` that
    is an index row is -2 there; ``outside_dup`` and ``outside_var`` give its global row."""
    prior, c = decisions.prior, decisions.clusters
    m = prior.m
    outside: list[dict[int, int]] = []
    mapped = []
    for values in (c.duplicate_of[m:].astype(np.int64), c.variant_of[m:].astype(np.int64)):
        old = np.flatnonzero((values >= 0) & (values < m))
        outside.append(dict(zip(old.tolist(), prior.rows[values[old]].tolist())))
        mapped.append(np.where(values >= m, values - m, np.where(values >= 0, -2, -1)).astype(np.int32))
    result = ClusterResult(c.code[m:].copy(), mapped[0], c.similarity[m:].copy(), mapped[1],
                           {k - m: v for k, v in c.differing_numbers.items() if k >= m}, dict(c.counts))
    for code, name in REASON_OF_CODE.items():
        result.counts[name] = int((result.code == code).sum())
    return BatchResult(result, outside[0], outside[1])


@dataclass
class BatchResult:
    clusters: ClusterResult
    outside_dup: dict[int, int]
    outside_var: dict[int, int]

    def references(self, index: Index) -> dict[int, tuple]:
        """Per batch row pointing at an index row: that row's (document, paragraph, line, batch)."""
        targets = {**self.outside_var, **self.outside_dup}
        found = index.references(np.array(list(targets.values()), dtype=np.int64))
        return {k: (path, para, line, batch) for k, (batch, path, para, line) in zip(targets, found)}


def global_rows(decisions: BatchDecisions, index: Index, values: np.ndarray) -> np.ndarray:
    """Combined row numbers as global ones (-1 stays -1)."""
    prior, m = decisions.prior, decisions.prior.m
    values = np.asarray(values, dtype=np.int64)
    out = np.full(len(values), -1, dtype=np.int64)
    old = (values >= 0) & (values < m)
    out[old] = prior.rows[values[old]]
    new = values >= m
    out[new] = index.rows + values[new] - m
    return out


def segment_arrays(decisions: BatchDecisions, final: BatchResult, index: Index, fp: Fingerprints, keys: KeyStore, heading: np.ndarray,
                   orphan: np.ndarray, template: np.ndarray, where: np.ndarray, template_hash: np.ndarray,
                   template_count: np.ndarray) -> tuple[dict[str, np.ndarray], list[tuple[int, int]]]:
    """The index segment of a batch: its rows' facts and look-up tables (see index.py). ``fp``
    and ``keys`` are the batch's (short-key columns added), ``final`` its rendered decisions."""
    m = decisions.prior.m
    n = len(fp.key_hash)
    base = index.rows
    copy = decisions.copies  # as one big run sees them: the key of an earlier row, of this batch or not
    first = ~copy & (fp.n_words > 0)
    order = np.argsort(fp.key_hash[first], kind="stable")
    exact_hash = fp.key_hash[first][order]
    exact_row = np.flatnonzero(first)[order].astype(np.uint32)  # rows are the segment's own (index.py adds its first row)
    starts, values, rows = [0], [], []
    for c in range(fp.n_columns):
        col = fp.column(c)
        r = np.flatnonzero(~copy & (col != 0))
        v = col[r]
        o = np.lexsort((r, v))
        r, v = r[o], v[o]
        pos = np.arange(len(v))
        new_bucket = np.r_[True, v[1:] != v[:-1]] if len(v) else np.zeros(0, dtype=bool)
        rank = pos - np.maximum.accumulate(np.where(new_bucket, pos, 0)) if len(v) else pos
        keep = rank < _BUCKET_KEEP
        values.append(v[keep])
        rows.append(r[keep].astype(np.uint32))
        starts.append(starts[-1] + int(keep.sum()))
    (loop_code, loop_dup, loop_sim), (coc_code, coc_dup, coc_sim) = decisions.stages.loop, decisions.stages.coc

    def final_global(values: np.ndarray, outside: dict[int, int]) -> np.ndarray:
        out = np.where(values >= 0, values.astype(np.int64) + base, -1)
        for k, g in outside.items():
            out[k] = g
        return out

    ends = keys._settle()
    absorbed = np.zeros(n, dtype=bool)
    absorbed[[a - m for a in decisions.absorbed]] = True
    flags = orphan.astype(np.uint8) * FLAG_ORPHAN | absorbed.astype(np.uint8) * FLAG_ABSORBED | template.astype(np.uint8) * FLAG_TEMPLATE
    c = final.clusters
    arrays = {
        "key_hash": fp.key_hash.astype(np.uint64),
        "n_words": fp.n_words.astype(np.int32),
        "heading": heading.astype(np.uint8),
        "sketch": fp.sketch,
        "state": np.stack([loop_code[m:], coc_code[m:], c.code]).T.astype(np.int8),
        "dup": np.stack([global_rows(decisions, index, loop_dup[m:]), global_rows(decisions, index, coc_dup[m:]),
                         final_global(c.duplicate_of, final.outside_dup), final_global(c.variant_of, final.outside_var)]).T.astype(np.int64),
        "sim": np.stack([loop_sim[m:], coc_sim[m:], c.similarity.astype(np.float64)]).T,
        "flags": flags.astype(np.uint8),
        "where": where.astype(np.int32),
        "keys": np.frombuffer(bytes(keys._data[: int(ends[-1])]), dtype=np.uint8),
        "key_ends": ends[1:].astype(np.int64),
        "exact_hash": exact_hash.astype(np.uint64),
        "exact_row": exact_row,
        "bucket_start": np.array(starts, dtype=np.int64),
        "bucket_value": np.concatenate(values).astype(np.uint64),
        "bucket_row": np.concatenate(rows).astype(np.uint32),
        "presence": presence_filter([(_EXACT_TABLE, exact_hash)] + [(c, v) for c, v in enumerate(values)]),
        "template_hash": template_hash.astype(np.uint64),
        "template_count": template_count.astype(np.int64),
    }
    heirs = []
    for g, e in sorted(decisions.heirs.items()):
        if g >= m or decisions.prior.heirs.get(g, -1) != e:
            gg = int(global_rows(decisions, index, np.array([g]))[0])
            heirs.append((gg, int(global_rows(decisions, index, np.array([e]))[0]) if e >= 0 else -1))
    return arrays, heirs


def _template_entries(counts: TemplateLineCounts) -> tuple[list[str], list[tuple[int, int]]]:
    """The counted lines as strings to hash (per site, and for the whole corpus), with their
    (documents, articles)."""
    names = [f"site\0{site}\0{key}" for site, key in counts.site_docs]
    values = [(counts.site_docs[k], counts.site_articles[k]) for k in counts.site_docs]
    names += [f"corpus\0{key}" for key in counts.corpus_docs]
    values += [(counts.corpus_docs[k], counts.corpus_articles[k]) for k in counts.corpus_docs]
    return names, values


def add_earlier_template_counts(counts: TemplateLineCounts, index: Index) -> None:
    """Add what the indexed batches counted of this batch's lines (see the module's docstring)."""
    if not index.rows:
        return
    names, _ = _template_entries(counts)
    earlier = index.template_counts(key_hashes(names)).tolist()
    site_keys, corpus_keys = list(counts.site_docs), list(counts.corpus_docs)
    for k, (docs, articles) in zip(site_keys, earlier[: len(site_keys)]):
        counts.site_docs[k] += docs
        counts.site_articles[k] += articles
    for k, (docs, articles) in zip(corpus_keys, earlier[len(site_keys):]):
        counts.corpus_docs[k] += docs
        counts.corpus_articles[k] += articles


def template_count_table(counts: TemplateLineCounts) -> tuple[np.ndarray, np.ndarray]:
    """A batch's own counts as the index keeps them: sorted hashes and (documents, articles)."""
    names, values = _template_entries(counts)
    hashes = key_hashes(names)
    order = np.argsort(hashes, kind="stable")
    return hashes[order], np.array(values, dtype=np.int64).reshape(-1, 2)[order]
