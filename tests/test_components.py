"""Keep-first per connected component of the candidate graph (cluster.decide_by_components, what
the Ray engine runs as tasks) decides exactly what keep-first over the whole corpus decides."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import SEEDS, generated_corpus
from corpus_dedupe import pipeline
from corpus_dedupe.cluster import candidate_components, candidate_pairs, decide, decide_by_components, find_exact
from corpus_dedupe.formats import discover_inputs
from corpus_dedupe.settings import Settings



def _collected(src: Path, settings: Settings):
    """A corpus as the pipeline has it when the duplicate search starts."""
    inputs, skipped = discover_inputs(src, None, "text", (), False)
    with tempfile.NamedTemporaryFile() as spill:
        corpus = pipeline.collect(pipeline._analyse_all(src, inputs, settings, spill.name, None), skipped, settings)
    pipeline.find_template_lines(corpus, settings)
    heading = np.zeros(corpus.n_candidates, dtype=bool)
    heading[corpus.heading_cands] = True
    corpus.fp.title = heading
    return corpus


def _generated(tmp: Path) -> Path:
    return generated_corpus(tmp / "corpus", 2, 5)


@pytest.mark.parametrize("which", ["seeds", "generated"])
def test_components_decide_as_the_whole_corpus(tmp_path, which):
    src = SEEDS if which == "seeds" else _generated(tmp_path)
    settings = Settings(jobs=1)
    whole = decide(*_pieces(_collected(src, settings)), settings)
    corpus = _collected(src, settings)
    by_parts = decide_by_components(corpus.keys, corpus.fp, settings, None)
    for field in ("code", "duplicate_of", "variant_of"):
        assert np.array_equal(getattr(whole, field), getattr(by_parts, field)), field
    assert np.array_equal(np.nan_to_num(whole.similarity, nan=-1), np.nan_to_num(by_parts.similarity, nan=-1))
    assert whole.differing_numbers == by_parts.differing_numbers
    assert whole.counts == by_parts.counts
    assert (whole.code != 0).sum() > 10  # copies were found


def _pieces(corpus):
    return corpus.keys, corpus.fp


def test_a_component_holds_a_row_its_candidates_and_its_first_copy():
    """The graph's edges: candidate pairs and exact copies (a copy of a copy of a copy is one
    component with the original), nothing else."""
    keys = ["the river rose above the old stone bridge during the night and the town woke to water",
            "a quite different sentence about elections and the counting of ballots in the capital city",
            "the river rose above the old stone bridge during the night and the town woke to water",
            "the river rose above the old stone bridge during the night and the town woke to deep water"]
    from corpus_dedupe.fingerprint import fingerprint

    s = Settings(jobs=1)
    fp = fingerprint(keys, s.num_perm, s.bands, s.shingle_words, min(s.min_words_near, s.min_words_contained), s.min_words_contained)
    exact = find_exact(fp)
    labels = candidate_components(len(keys), exact, candidate_pairs(keys, fp, exact, s))
    assert labels[0] == labels[2] == labels[3] != labels[1]
