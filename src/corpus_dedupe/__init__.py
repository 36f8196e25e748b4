"""corpus-dedupe: clean and deduplicate a folder of scraped text at the paragraph level, with a
provenance map that accounts for every source byte."""

# The one place the version is written (pyproject.toml reads it from here): looking it up in the
# installed package's metadata costs importlib.metadata, 90 ms of every run's start.
__version__ = "0.1.0"

__all__ = ["__version__"]
