"""The compiled part of corpus-dedupe: one optional C extension (the fingerprint loop, see
src/corpus_dedupe/_fingerprint.c). Everything else is in pyproject.toml. Where no C compiler is
available the build goes on without it and the same fingerprints are computed with numpy."""

import os

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "corpus_dedupe._fingerprint",
            ["src/corpus_dedupe/_fingerprint.c"],
            optional=True,
            extra_compile_args=[] if os.name == "nt" else ["-O3"],
        )
    ]
)
