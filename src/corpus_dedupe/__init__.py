"""corpus-dedupe: clean and deduplicate a folder of scraped text at the paragraph level, with a
provenance map that accounts for every source byte."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("corpus-dedupe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
