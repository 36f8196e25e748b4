"""corpus-dedupe: clean and deduplicate a folder of scraped text at the paragraph level, with a
provenance map that accounts for every source byte.

    from corpus_dedupe import dedupe, dedupe_records
    summary = dedupe("seeds/", "cleaned/")               # a folder into a folder, as the command
    cleaned = dedupe_records([{"id": 1, "text": "..."}])  # documents in memory

docs/api.md has the reference; the functions' docstrings hold examples that run as tests.
"""

# The one place the version is written (pyproject.toml reads it from here): looking it up in the
# installed package's metadata costs importlib.metadata, 90 ms of every run's start.
__version__ = "0.1.0"

from .api import CleanedRecord, RemovedParagraph, Summary, dedupe, dedupe_records  # noqa: E402  (light: no numpy)

__all__ = ["CleanedRecord", "RemovedParagraph", "Summary", "__version__", "dedupe", "dedupe_records"]
