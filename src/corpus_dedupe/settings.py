"""One validated settings object, built once at the edge (CLI or library caller).

Stages trust it: every range check lives here, with a message that says what is allowed, so a bad
option fails before any file is read.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


class SettingsError(ValueError):
    """An option value is out of its allowed range."""


def _is_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def parse_encoding_option(value: str) -> tuple[str, str]:
    """One ``--encoding`` value as (GLOB, CODEC): ``"cp1251"`` is ("", "cp1251") for every file,
    ``"ru/*=koi8_r"`` is ("ru/*", "koi8_r").

    >>> parse_encoding_option("ru/*=koi8-r"), parse_encoding_option("cp1250")
    (('ru/*', 'koi8-r'), ('', 'cp1250'))
    """
    glob, sep, codec = value.rpartition("=")
    return (glob, codec.strip()) if sep else ("", value.strip())


PAGE_MODES = ("off", "precise", "aggressive")
FORMATS = ("txt", "jsonl", "parquet")  # as formats.FORMATS (settings load without the format readers)
ENGINES = ("local", "ray")  # see engines.py


@dataclass(frozen=True)
class Settings:
    # Reading
    include: tuple[str, ...] = ()
    # Formats (see formats.py): None reads each file by its name (.jsonl[.gz|.zst], .parquet, else text)
    format: str | None = None
    text_field: str = "text"  # the field of a JSONL or Parquet row that is cleaned
    id_field: str = "id"  # the field that names a row in the provenance (rows without one: their number)
    keep_empty_rows: bool = False  # write a row whose whole text was removed (empty), and rows that could not be read (as they were)
    follow_symlinks: bool = False
    max_file_size: int = 256 * 1024 * 1024
    # --encoding: (GLOB, CODEC) pairs, GLOB "" for every file (see reader.forced_codec)
    encodings: tuple[tuple[str, str], ...] = ()
    # Fingerprints and matching (defaults chosen by measurement: see docs/matching.md)
    num_perm: int = 128
    bands: int = 32
    shingle_words: int = 3
    near_threshold: float = 0.9
    contained_threshold: float = 0.95
    min_words_near: int = 6
    min_words_contained: int = 8
    # Boilerplate
    boilerplate: bool = True
    rules_file: str | None = None
    template_min_documents: int = 3
    template_max_words: int = 8
    # Whole-page text (see page.py): off, precise (the model's threshold) or aggressive
    pages: str = "precise"
    page_model: str | None = None  # a page_model.json retrained on other pages
    # Execution (not part of the output: the output is the same for any value)
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    # Where the parallel work runs (engines.py); neither changes the output
    engine: str = "local"
    ray_address: str | None = None

    def __post_init__(self) -> None:
        def check(ok: bool, message: str) -> None:
            if not ok:
                raise SettingsError(message)

        check(16 <= self.num_perm <= 1024, f"num_perm must be between 16 and 1024, got {self.num_perm}")
        check(
            1 <= self.bands <= self.num_perm and self.num_perm % self.bands == 0,
            f"bands must divide num_perm ({self.num_perm}), got {self.bands}",
        )
        check(1 <= self.shingle_words <= 10, f"shingle_words must be between 1 and 10, got {self.shingle_words}")
        check(0.5 <= self.near_threshold <= 1.0, f"near_threshold must be between 0.5 and 1.0, got {self.near_threshold}")
        check(
            0.5 <= self.contained_threshold <= 1.0,
            f"contained_threshold must be between 0.5 and 1.0, got {self.contained_threshold}",
        )
        check(self.min_words_near >= 1, f"min_words_near must be at least 1, got {self.min_words_near}")
        check(self.min_words_contained >= 3, f"min_words_contained must be at least 3, got {self.min_words_contained}")
        check(
            self.template_min_documents >= 2,
            f"template_min_documents must be at least 2, got {self.template_min_documents}",
        )
        check(self.template_max_words >= 1, f"template_max_words must be at least 1, got {self.template_max_words}")
        for _glob, codec in self.encodings:
            check(_is_codec(codec), f"unknown encoding {codec!r} (a Python codec name, such as cp1252, cp1251, koi8_r, shift_jis)")
        check(self.max_file_size >= 1, f"max_file_size must be positive, got {self.max_file_size}")
        check(1 <= self.jobs <= 256, f"jobs must be between 1 and 256, got {self.jobs}")
        check(self.engine in ENGINES, f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.rules_file is not None:
            check(Path(self.rules_file).is_file(), f"rules file not found: {self.rules_file}")
        check(self.format is None or self.format in FORMATS, f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        check(bool(self.text_field), "text_field must not be empty")
        check(self.pages in PAGE_MODES, f"pages must be one of {', '.join(PAGE_MODES)}, got {self.pages!r}")
        if self.page_model is not None:
            check(Path(self.page_model).is_file(), f"page model not found: {self.page_model}")

    def output_parameters(self) -> dict:
        """Every parameter that can change the output (recorded in the manifest); jobs and the
        engine are left out because the output is byte-identical for any worker count and on
        either engine."""
        params = asdict(self)
        for where in ("jobs", "engine", "ray_address"):  # where the work runs: the same output
            params.pop(where)
        params["include"] = list(self.include)
        params["encodings"] = [f"{glob}={codec}" if glob else codec for glob, codec in self.encodings]
        if self.rules_file is not None:
            params["rules_file"] = Path(self.rules_file).name
        if self.page_model is not None:
            params["page_model"] = Path(self.page_model).name
        return params
