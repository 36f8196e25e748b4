"""The compiled part of corpus-dedupe: one optional C extension (the fingerprint loop and a few
smaller ones, see src/corpus_dedupe/_speedups.c). Everything else is in pyproject.toml. Where no
C compiler is available the build goes on without it and the same results come from numpy and
Python."""

import os

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "corpus_dedupe._speedups",
            ["src/corpus_dedupe/_speedups.c"],
            optional=True,
            extra_compile_args=[] if os.name == "nt" else ["-O3"],
        )
    ]
)
