"""Shared fixtures: the seeds, and a helper that runs the real ``dedupe`` command on real folders."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus_dedupe.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CLEANED = ROOT / "cleaned"
SHARED_BENCH_TEXT = ROOT.parent / "shared" / "bench-text"


def run_cli(*args: str) -> "click.testing.Result":
    """Run ``dedupe ARGS`` in-process; returns click's result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def provenance(dst: Path) -> list[dict]:
    return [json.loads(line) for line in (dst / ".dedupe" / "provenance.jsonl").read_text(encoding="utf-8").splitlines()]


def manifest(dst: Path) -> dict:
    return json.loads((dst / ".dedupe" / "manifest.json").read_text(encoding="utf-8"))


def output_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` by relative path, except run.json (the only file that
    differs between two runs on the same input)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "run.json"}


def write_files(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create a source folder from {relative path: content}; str content is written as UTF-8."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory) -> Path:
    """One run of ``dedupe seeds/ DST`` shared by the seed tests."""
    dst = tmp_path_factory.mktemp("seeds") / "out"
    result = run_cli(SEEDS, dst, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return dst


def decodes_as_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8 (a strict decode): the reference the tests compare with."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def generated_corpus(out: Path, size_mb: float, seed: int) -> Path:
    """A corpus made by ``benchmarks/generate.py`` (real speeches from ../shared/bench-text, every
    kind of copy, ``--extended``) in ``out``."""
    import importlib.util
    import sys

    bench = ROOT / "benchmarks"
    name = "bench_generate_for_tests"
    generate = sys.modules.get(name)
    if generate is None:
        spec = importlib.util.spec_from_file_location(name, bench / "generate.py")
        generate = importlib.util.module_from_spec(spec)
        sys.modules[name] = generate  # (its dataclasses look their module up)
        sys.path.insert(0, str(bench))
        try:
            spec.loader.exec_module(generate)
        finally:
            sys.path.remove(str(bench))
    generate.generate(SHARED_BENCH_TEXT, size_mb, seed, out, extended=True)
    return out
