"""Property tests of the index's look-ups: the presence filter never hides a key that a segment
holds (a hidden key would be a missed duplicate, silently), and the sort-based distinct is
``np.unique``."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus_dedupe.index import _EXACT_TABLE, _may_hold, presence_filter, sorted_distinct

keys = st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=300)
tables = st.lists(st.tuples(st.integers(min_value=_EXACT_TABLE, max_value=35), keys), max_size=6)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_the_presence_filter_lets_every_held_key_through(tables):
    arrays = [(column, np.array(values, dtype=np.uint64)) for column, values in tables]
    filt = presence_filter(arrays)
    assert len(filt) & (len(filt) - 1) == 0  # a power of two of words
    for column, values in arrays:
        assert _may_hold(filt, values, column).all()


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1000, max_value=20000), st.integers(min_value=0, max_value=2**32))
def test_the_presence_filter_keeps_most_absent_keys_out(entries, seed):
    """Sixteen bits or more per entry, four of them set in one word: well under one in a
    hundred of the keys a segment does not hold get through to the sorted tables (the point of
    the filter; at 16.8 bits per entry 0.47% of absent keys passed)."""
    rng = np.random.default_rng(seed)
    held = rng.integers(0, 2**63, size=entries, dtype=np.uint64)
    filt = presence_filter([(3, held)])
    absent = rng.integers(0, 2**63, size=4000, dtype=np.uint64)
    assert _may_hold(filt, absent, 3).mean() < 0.01
    assert _may_hold(filt, held, 4).mean() < 0.01  # the same keys in another column are other entries


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40)))
def test_sorted_distinct_is_numpy_unique(values):
    array = np.array(values, dtype=np.int64)
    assert sorted_distinct(array).tolist() == np.unique(array).tolist()
