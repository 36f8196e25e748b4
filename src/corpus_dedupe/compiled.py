"""The optional compiled loops (``_speedups.c``), or None where they were not built.

``pip install`` builds them when a C compiler is available; without one the build goes on and the
same results come from numpy and Python (fingerprints, sketch agreements, the match keys of ASCII
text, the first look at verification pairs, the keep-first loop of the duplicate decisions, the
radix sorts of the candidate search, the needle prechecks of the boilerplate rules, the word
counts of the content test, the check of an ASCII line that needs no repair, the character traits
of text that is not ASCII, the stretches of the mojibake test): the whole run about 22% slower
(200 MB benchmark corpus, 2026-12-06). A build older than the code (its ``API_VERSION`` differs: a
source tree where ``pip install -e .`` was not run again after a change to the C file) is not used.

This is the one switch between the compiled loops and their fallbacks: every module asks
``speedups`` here. ``DEDUPE_PURE_PYTHON=1`` in the environment turns the compiled loops off for a
process and its workers, to check that both give the same output (tested on the seeds) or to run
where the extension misbehaves.
"""

from __future__ import annotations

import os

API_VERSION = 16

try:
    if os.environ.get("DEDUPE_PURE_PYTHON", "") not in ("", "0"):
        raise ImportError("DEDUPE_PURE_PYTHON is set")
    from . import _speedups as speedups

    if getattr(speedups, "API_VERSION", None) != API_VERSION:
        speedups = None
except ImportError:  # pragma: no cover - depends on the build
    speedups = None
