"""The run never damages SRC, refuses dangerous destinations, and replaces DST atomically."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import SEEDS, manifest, provenance, run_cli, write_files


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def small_corpus(root: Path) -> Path:
    return write_files(
        root / "src",
        {
            "one.txt": "A first paragraph with enough words to matter here.\n\nShared paragraph that appears in both files of this corpus.\n",
            "two.txt": "Shared paragraph that appears in both files of this corpus.\n",
            "empty.txt": "",
            "blob.bin": b"\x00\x01\x02binary\x00",
        },
    )


def test_src_is_not_modified(tmp_path):
    src = small_corpus(tmp_path)
    before = tree_digest(src)
    assert run_cli(src, tmp_path / "dst").exit_code == 0
    assert tree_digest(src) == before


def test_dst_inside_src_or_equal_or_containing_is_refused(tmp_path):
    src = small_corpus(tmp_path)
    for dst, words in ((src / "out", "inside SRC"), (src, "same folder"), (tmp_path, "SRC is inside DST")):
        result = run_cli(src, dst)
        assert result.exit_code == 3
        assert words in result.stderr and "Traceback" not in result.stderr
    assert not (src / "out").exists()


def test_non_empty_foreign_dst_needs_force(tmp_path):
    src = small_corpus(tmp_path)
    dst = tmp_path / "dst"
    dst.mkdir()
    (dst / "precious.txt").write_text("not ours")
    result = run_cli(src, dst)
    assert result.exit_code == 3 and "--force" in result.stderr
    assert (dst / "precious.txt").read_text() == "not ours"
    assert run_cli(src, dst, "--force").exit_code == 0
    assert not (dst / "precious.txt").exists() and (dst / "one.txt").exists()


def test_previous_output_is_replaced_without_force_and_no_staging_is_left(tmp_path):
    src = small_corpus(tmp_path)
    dst = tmp_path / "dst"
    assert run_cli(src, dst).exit_code == 0
    (src / "two.txt").unlink()
    assert run_cli(src, dst).exit_code == 0
    assert not (dst / "two.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dst", "src"]


def test_binary_is_skipped_and_recorded_empty_file_listed_not_written(tmp_path):
    src = small_corpus(tmp_path)
    dst = tmp_path / "dst"
    result = run_cli(src, dst)
    assert result.exit_code == 0
    assert "skipped blob.bin: binary file" in result.stderr
    m = manifest(dst)
    assert m["skipped"] == [{"path": "blob.bin", "problem": "binary file (contains NUL or other control bytes)"}]
    files = {f["path"]: f for f in m["files"]}
    assert files["empty.txt"]["output_path"] is None and files["empty.txt"]["paragraphs"] == 0
    assert not (dst / "empty.txt").exists()
    # two.txt lost its only paragraph as a duplicate: listed, not written
    assert files["two.txt"]["output_path"] is None and files["two.txt"]["removed"] == {"exact_duplicate": 1}
    assert not (dst / "two.txt").exists()
    assert [r["source"] for r in provenance(dst)] == ["one.txt", "one.txt", "two.txt"]


def test_bad_option_values_are_one_line_errors(tmp_path):
    src = small_corpus(tmp_path)
    result = run_cli(src, tmp_path / "dst", "--bands", "7")
    assert result.exit_code == 2
    assert result.stderr.strip() == "dedupe: bands must divide num_perm (128), got 7"
    result = run_cli(tmp_path / "missing", tmp_path / "dst")
    assert result.exit_code == 2 and "SRC does not exist" in result.stderr


def test_output_is_deterministic_across_runs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_cli(SEEDS, a, "-q").exit_code == 0
    assert run_cli(SEEDS, b, "-q", "--jobs", "2").exit_code == 0
    da, db = tree_digest(a), tree_digest(b)
    da.pop(".dedupe/run.json"), db.pop(".dedupe/run.json")
    assert da == db


def test_run_facts_give_each_stage_its_time_memory_and_cpu_split(tmp_path):
    """run.json is where a user looks for where a run's time went: every stage has its wall
    seconds, the main process's peak memory, and the CPU seconds spent in the main process and in
    its workers (with --jobs 2 the per-document stages run in workers, so they must show there)."""
    import json

    dst = tmp_path / "dst"
    assert run_cli(SEEDS, dst, "-q", "--jobs", "2").exit_code == 0
    facts = json.loads((dst / ".dedupe" / "run.json").read_text(encoding="utf-8"))
    stages = ["discover", "read_normalise_segment_fingerprint", "templates", "dedupe", "headings", "write"]
    assert list(facts["timings_seconds"]) == stages
    assert list(facts["peak_rss_mb"]) == stages
    assert list(facts["cpu_seconds"]) == stages
    for stage in stages:
        split = facts["cpu_seconds"][stage]
        assert set(split) == {"main", "workers"} and split["main"] >= 0 and split["workers"] >= 0
    assert facts["cpu_seconds"]["read_normalise_segment_fingerprint"]["workers"] > 0
