"""The candidate search by shuffle (shuffle.py, what the Ray engine runs as tasks, its bucket keys
and sketches in files) finds exactly the pairs that the search in one process finds, however the
work is cut (partitions, rows per task)."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SEEDS, generated_corpus
from corpus_dedupe import cluster, pipeline, shuffle
from corpus_dedupe.cluster import candidate_pairs, decide, decide_by_components, find_exact
from corpus_dedupe.engines import LocalEngine
from corpus_dedupe.formats import discover_inputs
from corpus_dedupe.settings import Settings


def _collected(src: Path, settings: Settings, folder: Path | None):
    """A corpus as the pipeline has it when the duplicate search starts; with ``folder``, pass 1
    ran in worker processes that left the bucket keys and sketches in files there."""
    inputs, skipped = discover_inputs(src, None, "text", (), False)
    with tempfile.NamedTemporaryFile() as spill:
        batches = pipeline._analyse_all(src, inputs, settings, spill.name, None, LocalEngine(), str(folder) if folder else None)
        corpus = pipeline.collect(batches, skipped, settings, fingerprints_apart=folder is not None)
    templates = pipeline.find_template_lines(corpus, settings)
    corpus.fp.title = corpus.heading_mask()
    return corpus, templates


@pytest.mark.parametrize("which, partitions, rows_per_task", [("seeds", 1, 1 << 18), ("seeds", 3, 7), ("generated", 4, 1 << 18),
                                                                ("generated", 7, 1000)])
def test_the_shuffle_finds_the_pairs_of_one_process(tmp_path, monkeypatch, which, partitions, rows_per_task):
    src = SEEDS if which == "seeds" else generated_corpus(tmp_path / "corpus", 2, 5)
    settings = Settings(jobs=2)
    corpus, _ = _collected(src, settings, None)
    expected = candidate_pairs(corpus.keys, corpus.fp, find_exact(corpus.fp), settings)

    folder = tmp_path / "shuffle"
    folder.mkdir()
    apart, templates = _collected(src, settings, folder)
    assert apart.fp.n_columns == 0 and apart.fp.sketch.shape[1] == 0  # nothing of the buckets in this process
    assert apart.fingerprint_files and all(Path(prefix + ".columns.npy").is_file() for _, _, prefix in apart.fingerprint_files)
    cleared = np.zeros(apart.n_candidates, dtype=bool)
    cleared[list(templates.documents)] = True
    monkeypatch.setattr(shuffle, "_ROWS_PER_TASK", rows_per_task)
    found = shuffle.pair_files_by_shuffle(str(folder), apart.fingerprint_files, apart.fp.n_words, find_exact(apart.fp), cleared,
                                          settings, None, partitions).gather()
    # The match keys stay in the files too, and read back as the main process's KeyStore holds them.
    rows = np.arange(apart.n_candidates)
    assert apart.keys.many(rows) == corpus.keys.many(rows)
    assert pickle.loads(pickle.dumps(apart.keys.texts_later(rows[::3]))).load() == corpus.keys.many(rows[::3])
    monkeypatch.setattr(shuffle, "_OPEN_BATCHES", 1)  # a read of another batch forgets the last one's file and offsets
    keys = pickle.loads(pickle.dumps(apart.keys))  # (nothing read yet)
    scattered = np.random.default_rng(0).permutation(apart.n_candidates)[:300]
    assert [keys[int(r)] for r in scattered] == corpus.keys.many(scattered)
    assert len(keys._offsets) == 1 and len(keys._handles) == 1
    for field in ("active", "cand_i", "cand_j", "flags", "ahead"):
        assert np.array_equal(getattr(expected, field), getattr(found, field)), field
    assert expected.counts == found.counts
    assert len(expected.cand_i) >= (2 if which == "seeds" else 100)  # pairs were found
    if which == "generated":
        assert templates.documents  # and template lines were taken out of the search


def test_a_task_run_twice_writes_the_same_files(tmp_path):
    """Ray runs a task again when its worker is lost: the map and reduce rounds overwrite their
    files with the same bytes."""
    settings = Settings(jobs=2)
    folder = tmp_path / "shuffle"
    folder.mkdir()
    corpus, _ = _collected(SEEDS, settings, folder)
    files = corpus.fingerprint_files
    first, count, prefix = files[0]
    member = ~find_exact(corpus.fp).exact[first : first + count]
    cleared = np.zeros(count, dtype=bool)
    once = shuffle.map_buckets(str(folder), 0, prefix, first, member, cleared, 3)
    written = {p.name: p.read_bytes() for p in folder.glob("m*.npy")}
    assert shuffle.map_buckets(str(folder), 0, prefix, first, member, cleared, 3) == once
    assert {p.name: p.read_bytes() for p in folder.glob("m*.npy")} == written
    assert not list(folder.glob(".*"))  # nothing left aside


@pytest.mark.parametrize("which, rows_per_task, task_pairs", [("seeds", 1 << 18, 20000), ("seeds", 5, 1), ("generated", 1 << 18, 20000),
                                                               ("generated", 300, 7)])
def test_components_decided_from_the_pair_files_decide_as_one_process(tmp_path, monkeypatch, which, rows_per_task, task_pairs):
    """The Ray engine's duplicate search: the pairs stay in round 4's files, the components come
    from a spanning forest of them, and each component task reads its own pairs back. The
    decisions are those of the whole corpus in one process, however the rows and the components
    are cut into tasks (a component's pairs spread over several ranges of rows included)."""
    src = SEEDS if which == "seeds" else generated_corpus(tmp_path / "corpus", 2, 5)
    settings = Settings(jobs=2)
    corpus, _ = _collected(src, settings, None)  # (template lines cleared from its fingerprints)
    whole = decide(corpus.keys, corpus.fp, settings)

    folder = tmp_path / "shuffle"
    folder.mkdir()
    apart, templates = _collected(src, settings, folder)
    cleared = np.zeros(apart.n_candidates, dtype=bool)
    cleared[list(templates.documents)] = True
    monkeypatch.setattr(shuffle, "_ROWS_PER_TASK", rows_per_task)
    monkeypatch.setattr(cluster, "_COMPONENT_TASK_PAIRS", task_pairs)
    kept_of_pairs = []

    def find_pairs(exact):
        found = shuffle.pair_files_by_shuffle(str(folder), apart.fingerprint_files, apart.fp.n_words, exact, cleared, settings, None, 3)
        kept_of_pairs.append(found)
        return found

    by_files = decide_by_components(apart.keys, apart.fp, settings, None, find_pairs=find_pairs)
    for field in ("code", "duplicate_of", "variant_of"):
        assert np.array_equal(getattr(whole, field), getattr(by_files, field)), field
    assert np.array_equal(np.nan_to_num(whole.similarity, nan=-1), np.nan_to_num(by_files.similarity, nan=-1))
    assert whole.differing_numbers == by_files.differing_numbers
    found = kept_of_pairs[0]
    pairs = found.gather()
    assert len(pairs.cand_i) >= 2 and (whole.code != 0).sum() >= 2
    # What the driver kept of the pairs: a forest (fewer edges than rows that have pairs), counts.
    assert len(found.forest_a) < len(np.unique(np.r_[pairs.cand_i, pairs.cand_j]))
    assert found.pairs_of_row.sum() == len(pairs.cand_i)
